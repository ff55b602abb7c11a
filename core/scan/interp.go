package scan

import (
	"context"
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/build"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
)

// Interpolate scans the straight line between two checkpoints of one
// architecture (Goodfellow et al. 2015): f(t) = L((1−t)·θA + t·θB) at
// st.Alpha's values of t, on st.Samples training images and as many test
// images (both drawn with st.SampleSeed), into one 1D surface: Loss and
// Acc are the training split's, TestLoss and TestAcc the test split's. A
// point is θA − t·θA + t·θB summed in float64, so t = 0 and t = 1 are the
// two checkpoints exactly. pass, if not nil, is told which split is being
// scanned. Cancelled, it returns the points so far with the context's
// error.
// pool, if not nil, lends the evaluators.
func Interpolate(ctx context.Context, a, b *checkpoint.Checkpoint, src *data.Source, st Settings, pool *model.Pool, sink progress.Sink, pass func(data.Split)) (*surface.Surface, error) {
	if err := a.Arch.Same(b.Arch); err != nil {
		return nil, fmt.Errorf("A and B are %w: interpolation needs one architecture", err)
	}
	st.Beta, st.Split, st.Direction.Norm = surface.Axis{}, data.Train, direction.None // the line itself, unscaled
	if err := st.Validate(); err != nil {
		return nil, err
	}
	trainSet, idx, err := EvalSet(src, data.Train, st.Samples, st.SampleSeed)
	if err != nil {
		return nil, err
	}
	testSet, _, err := EvalSet(src, data.Test, st.Samples, st.SampleSeed)
	if err != nil {
		return nil, err
	}
	negA, dir := a.Params.Clone(), b.Params.Clone()
	for i := range negA {
		for j, v := range a.Params[i].Data {
			negA[i].Data[j] = -v
			dir[i].Data[j] -= v
		}
	}
	s := surface.New(st.Alpha, surface.Axis{})
	s.Meta = surface.Meta{Kind: "interp", Checkpoint: a.Path, CheckpointSHA: a.SHA256, CheckpointB: b.Path, CheckpointBSHA: b.SHA256,
		Preset: a.Arch.Preset, Input: a.Arch.Input.String(), Classes: a.Arch.Classes, SampleSeed: st.SampleSeed, Norm: "none", Split: string(data.Train), Samples: st.Samples,
		Data: src.Name, Alpha: st.Alpha, Version: build.Version}
	s.D, s.EvalIndices = dir, idx // θB − θA, for the record
	test := surface.New(st.Alpha, surface.Axis{})
	s.TestLoss, s.TestAcc, s.TestLossSE = test.Loss, test.Acc, test.LossSE
	job := Job{Arch: a.Arch, Theta: a.Params, D: negA, E: b.Params, Workers: st.Workers, Tied: true, Pool: pool, Nice: st.Nice}
	for _, p := range []struct {
		split data.Split
		set   *data.Dataset
		into  *surface.Surface
	}{{data.Train, trainSet, s}, {data.Test, testSet, test}} {
		if pass != nil {
			pass(p.split)
		}
		job.Eval = p.set
		if err := Run(ctx, job, p.into, sink); err != nil {
			finishMeta(s)
			return s, err
		}
	}
	finishMeta(s)
	return s, nil
}

// finishMeta records the centre (t = 0, θA) and how complete the
// surface is, both splits.
func finishMeta(s *surface.Surface) {
	s.Tally()
	for k := range s.Loss {
		if a, _ := s.Coord(k); a == 0 && s.Done[k] {
			s.Meta.CentreLoss, s.Meta.CentreAcc, s.Meta.CentreLossSE = s.Loss[k], s.Acc[k], s.LossSE[k]
		}
	}
}

// Barrier is the bump on the line between two models: the highest loss
// strictly between t = 0 and t = 1, At, Height above the higher end
// (Frankle et al. 2020 read linear mode connectivity from it: near 0, A
// and B sit in one basin). A and B index the points nearest t = 0 and 1.
type Barrier struct {
	Height, At float64
	A, B       int
}

// FindBarrier reads the barrier off loss, scanned at t's values a; ok is
// false while a point between the ends is still unknown (NaN).
func FindBarrier(a surface.Axis, loss []float64) (b Barrier, ok bool) {
	b.A, b.B = nearest(a, 0), nearest(a, 1)
	if b.A > b.B {
		b.A, b.B = b.B, b.A
	}
	peak := math.Inf(-1)
	for k := b.A; k <= b.B; k++ {
		if math.IsNaN(loss[k]) {
			return b, false
		}
		if loss[k] > peak {
			peak, b.At = loss[k], a.At(k)
		}
	}
	b.Height = peak - math.Max(loss[b.A], loss[b.B])
	return b, true
}

// nearest is the index of a's value closest to t.
func nearest(a surface.Axis, t float64) int {
	best := 0
	for k := range a.N {
		if math.Abs(a.At(k)-t) < math.Abs(a.At(best)-t) {
			best = k
		}
	}
	return best
}
