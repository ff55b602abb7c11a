package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/jsonfloat"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
)

// Tracking measures the sharpness λmax of the training loss along a run,
// to watch it rise towards the stability threshold and hover there (the
// edge of stability, Cohen et al. 2021).
type Tracking struct {
	Every  int // optimizer steps between measurements; 0: off
	Images int // the fixed training images it is measured on
}

// DefaultTrackImages is the fixed batch λmax is tracked on: enough images
// for a stable λmax, few enough that a measurement costs a few dozen
// training steps.
const DefaultTrackImages = 128

// TrackTolerance stops each tracked search at a 1 % relative change: λmax
// moves by more than that between measurements, the search starts from
// the last eigenvector, and the residual still bounds the error. (One-off
// measurements use PyHessian's 1e-3.)
const TrackTolerance = 1e-2

// StabilityThreshold is the sharpness above which gradient descent at
// this learning rate is unstable on a quadratic of that curvature: 2/η
// for plain gradient descent, (2 + 2β)/η with heavy-ball momentum β (as
// torch.optim.SGD does it; Cohen et al. 2021, appendix on momentum). Adam
// preconditions the step, so λmax of H itself has no such line: 0.
func (c Config) StabilityThreshold() float64 {
	if c.Optimizer != SGD {
		return 0
	}
	return (2 + 2*c.Momentum) / c.LR
}

// SharpnessPoint is one measurement of λmax along a run.
type SharpnessPoint struct {
	Step      int     `json:"step"` // optimizer steps taken before it
	LambdaMax float64 `json:"lambda_max"`
	Residual  float64 `json:"residual"` // ‖Hv − λv‖: the error bar
	Products  int     `json:"products"` // Hessian-vector products it took
}

// FirstCrossing is the step of the first measurement at or above the
// threshold, or -1.
func FirstCrossing(points []SharpnessPoint, threshold float64) int {
	if threshold <= 0 {
		return -1
	}
	for _, p := range points {
		if p.LambdaMax >= threshold {
			return p.Step
		}
	}
	return -1
}

// tracker measures λmax on its fixed images, each search started from the
// last eigenvector.
type tracker struct {
	p      *hessian.Product
	start  []float64
	search hessian.Search
}

// newTracker samples the tracking images (seeded by the run's seed) from
// set and prepares the Hessian on them.
func newTracker(arch model.Arch, params model.Params, set *data.Dataset, images int, seed uint64) (*tracker, error) {
	if images < 1 {
		images = DefaultTrackImages
	}
	idx, err := data.SampleIndices(set.Len(), min(images, set.Len()), seed)
	if err != nil {
		return nil, fmt.Errorf("sharpness tracking: %w", err)
	}
	p, err := hessian.NewProduct(arch, params, set.Subset(idx))
	if err != nil {
		return nil, fmt.Errorf("sharpness tracking: %w", err)
	}
	s := hessian.DefaultSearch()
	s.Seed, s.Tolerance = seed, TrackTolerance
	return &tracker{p: p, search: s}, nil
}

// measure finds λmax at params after step steps and reports it.
func (t *tracker) measure(ctx context.Context, params model.Params, step int, threshold float64, sink progress.Sink) (SharpnessPoint, error) {
	pt, err := t.find(ctx, params, step)
	if err == nil {
		pt.send(sink, threshold)
	}
	return pt, err
}

// find is measure without the report: λmax at params by Lanczos, started
// from the last λmax's vector.
func (t *tracker) find(ctx context.Context, params model.Params, step int) (SharpnessPoint, error) {
	if err := t.p.SetParams(params); err != nil {
		return SharpnessPoint{}, err
	}
	s := t.search
	s.Start = t.start
	e, err := hessian.TopLanczos(ctx, t.p, s)
	if err != nil {
		return SharpnessPoint{}, err
	}
	t.start = e.Vector
	return SharpnessPoint{Step: step, LambdaMax: e.Value, Residual: e.Residual, Products: e.Iterations}, nil
}

// send reports the point as a progress event.
func (pt SharpnessPoint) send(sink progress.Sink, threshold float64) {
	sink.Send(progress.Sharpness{Step: pt.Step, LambdaMax: pt.LambdaMax, Residual: pt.Residual, Threshold: threshold, Products: pt.Products})
}

// EncodeTrack is a sharpness track as checkpoint metadata (JSON).
func EncodeTrack(points []SharpnessPoint) string {
	b, _ := jsonfloat.Marshal(points)
	return string(b)
}

// DecodeTrack reads a track back from checkpoint metadata.
func DecodeTrack(s string) ([]SharpnessPoint, error) {
	var points []SharpnessPoint
	if err := json.Unmarshal([]byte(s), &points); err != nil {
		return nil, fmt.Errorf("sharpness track: %w", err)
	}
	return points, nil
}

// Edge summarizes a sharpness track against its stability threshold: does
// λmax rise to the threshold, and does it hover there (Cohen et al. 2021)?
type Edge struct {
	Threshold     float64 `json:"threshold"`
	Start, Peak   float64 `json:"-"`
	FirstCrossing int     `json:"first_crossing_step"` // -1: never reached
	// After the first crossing: the mean and standard deviation of
	// λmax/threshold over the measurements, and how many there were.
	MeanRatio, SDRatio float64 `json:"-"`
	After              int     `json:"measurements_after"`
}

// SummarizeEdge reads a track against threshold.
func SummarizeEdge(points []SharpnessPoint, threshold float64) Edge {
	e := Edge{Threshold: threshold, FirstCrossing: FirstCrossing(points, threshold)}
	if len(points) == 0 {
		return e
	}
	e.Start = points[0].LambdaMax
	for _, p := range points {
		e.Peak = max(e.Peak, p.LambdaMax)
	}
	if e.FirstCrossing < 0 {
		return e
	}
	var sum, sq float64
	for _, p := range points {
		if p.Step >= e.FirstCrossing {
			r := p.LambdaMax / threshold
			sum += r
			sq += r * r
			e.After++
		}
	}
	e.MeanRatio = sum / float64(e.After)
	if e.After > 1 {
		e.SDRatio = math.Sqrt(max(sq/float64(e.After)-e.MeanRatio*e.MeanRatio, 0) * float64(e.After) / float64(e.After-1))
	}
	return e
}

// UnmarshalJSON reads a point; a λmax written as null (it was not finite)
// reads back as NaN.
func (p *SharpnessPoint) UnmarshalJSON(b []byte) error {
	type plain SharpnessPoint
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	return jsonfloat.NaNForNull(b, map[string]*float64{"lambda_max": &p.LambdaMax, "residual": &p.Residual})
}

// Track is a run's λmax along training, read from its checkpoint's
// metadata, with the stability threshold it was measured against (0:
// none recorded).
type Track struct {
	Points    []SharpnessPoint
	Threshold float64
}

// ErrNoTrack is TrackOf's error for a checkpoint trained without
// --track-sharpness.
var ErrNoTrack = errors.New("no sharpness track: train with --track-sharpness N to record one")

// TrackOf reads the sharpness track from a checkpoint's metadata: the
// one reader of what Meta writes.
func TrackOf(meta map[string]string) (Track, error) {
	s, ok := meta["sharpness_track"]
	if !ok || s == "" {
		return Track{}, ErrNoTrack
	}
	pts, err := DecodeTrack(s)
	if err != nil {
		return Track{}, err
	}
	th, _ := strconv.ParseFloat(meta["stability_threshold"], 64)
	return Track{Points: pts, Threshold: th}, nil
}
