package trajectory

import (
	"math"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/rng"
)

// unit returns a random unit vector in the layout of like, orthogonal to
// the others.
func unit(like model.Params, seed uint64, others ...[]float64) []float64 {
	r := rng.New(seed, 5)
	v := make([]float64, like.Len())
	for i := range v {
		v[i] = r.Norm()
	}
	for _, o := range others {
		d := dot(v, o)
		for i := range v {
			v[i] -= d * o[i]
		}
	}
	n := math.Sqrt(dot(v, v))
	for i := range v {
		v[i] /= n
	}
	return v
}

// at is centre + Σ c_k·v_k as weights.
func at(centre []float64, like model.Params, coef []float64, vs ...[]float64) model.Params {
	x := append([]float64(nil), centre...)
	for k, v := range vs {
		for i := range x {
			x[i] += coef[k] * v[i]
		}
	}
	return toParams(x, like)
}

// A path that lies in a known plane: PCA recovers the plane (its
// directions span it), the variance shares of the path's own covariance,
// and every snapshot projects back to its coordinates with no distance off
// the plane; a point moved off the plane by h is h away from it.
func TestPCARecoversAKnownPlane(t *testing.T) {
	arch, _ := model.Preset("mlp")
	centre := arch.Init(1)
	c := flat(centre)
	e1 := unit(centre, 1)
	e2 := unit(centre, 2, e1)
	e3 := unit(centre, 3, e1, e2)
	var run Run
	var as, bs []float64
	for s := 0; s <= 40; s++ {
		a, b := 3*math.Cos(0.1*float64(s)), math.Sin(0.1*float64(s))
		as, bs = append(as, a), append(bs, b)
		run.Snaps = append(run.Snaps, checkpoint.Snapshot{Step: s, Params: at(c, centre, []float64{a, b}, e1, e2)})
	}
	pl, err := PCA(centre, []Run{run})
	if err != nil {
		t.Fatal(err)
	}
	// The path's covariance in (e1, e2) and its eigenvalues: the exact shares.
	n := float64(len(as))
	ma, mb := mean(as), mean(bs)
	var saa, sbb, sab float64
	for i := range as {
		saa += (as[i] - ma) * (as[i] - ma) / n
		sbb += (bs[i] - mb) * (bs[i] - mb) / n
		sab += (as[i] - ma) * (bs[i] - mb) / n
	}
	tr, det := saa+sbb, saa*sbb-sab*sab
	l1 := tr/2 + math.Sqrt(tr*tr/4-det)
	if math.Abs(pl.Explained[0]-l1/tr) > 1e-4 || math.Abs(pl.Explained[0]+pl.Explained[1]-1) > 1e-4 {
		t.Errorf("explained %v, want %v and %v", pl.Explained, l1/tr, 1-l1/tr)
	}
	for _, v := range [][]float64{pl.d, pl.e} {
		in := math.Hypot(dot(v, e1), dot(v, e2))
		if math.Abs(in-1) > 1e-6 || math.Abs(dot(v, v)-1) > 1e-9 {
			t.Errorf("a direction of norm %v has %v of itself in the plane", math.Sqrt(dot(v, v)), in)
		}
	}
	if math.Abs(dot(pl.d, pl.e)) > 1e-9 {
		t.Errorf("directions not orthogonal: %v", dot(pl.d, pl.e))
	}
	path := pl.Project(run)
	for i := range path.X {
		r := math.Hypot(path.X[i], path.Y[i])
		if math.Abs(r-math.Hypot(as[i], bs[i])) > 1e-4 || path.Off[i] > 1e-4 {
			t.Fatalf("snapshot %d: at radius %v (want %v), %v off the plane", i, r, math.Hypot(as[i], bs[i]), path.Off[i])
		}
	}
	off := pl.Project(Run{Snaps: []checkpoint.Snapshot{{Step: 9, Params: at(c, centre, []float64{1, 0.5, 0.25}, e1, e2, e3)}}})
	if math.Abs(off.Off[0]-0.25) > 1e-4 || off.Steps[0] != 9 {
		t.Errorf("a point 0.25 off the plane: %v", off.Off[0])
	}
	if d := off.Distance(0); math.Abs(d-math.Sqrt(1+0.25+0.0625)) > 1e-4 {
		t.Errorf("the point (1, 0.5, 0.25) is %v from θ*, want %v", d, math.Sqrt(1.3125))
	}
	if _, err := PCA(centre, []Run{{Snaps: run.Snaps[:2]}}); err == nil {
		t.Error("two snapshots made a plane")
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// Batch norm's running statistics change along a run but are not weights:
// the plane leaves them where θ* has them (zero in D and E), as scans do.
func TestPCALeavesBatchNormStatistics(t *testing.T) {
	arch, _ := model.Preset("resnet")
	centre := arch.Init(1)
	r := rng.New(2, 2)
	var snaps []checkpoint.Snapshot
	for s := 0; s < 4; s++ {
		p := centre.Clone()
		for i := range p {
			for j := range p[i].Data {
				p[i].Data[j] += float32(0.1 * r.Norm())
			}
		}
		snaps = append(snaps, checkpoint.Snapshot{Step: s, Params: p})
	}
	pl, err := PCA(centre, []Run{{Name: "run", Snaps: snaps}})
	if err != nil {
		t.Fatal(err)
	}
	moved := false
	for i, tn := range pl.D {
		for j := range tn.Data {
			if tn.IsBuffer() && (tn.Data[j] != 0 || pl.E[i].Data[j] != 0) {
				t.Fatalf("%s moves along the plane", tn.Name)
			}
			moved = moved || tn.Data[j] != 0
		}
	}
	if !moved {
		t.Fatal("the plane moves nothing")
	}
}
