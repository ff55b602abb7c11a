package trajectory

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
)

// Run is one training run's snapshots.
type Run struct {
	Name  string
	Snaps []checkpoint.Snapshot
}

// Plane is the plane through Centre spanned by the top two principal
// components of the runs' snapshots relative to Centre.
type Plane struct {
	Centre    model.Params
	D, E      model.Params // unit, orthogonal (float32 for scans)
	Explained [2]float64   // the share of the snapshots' variance along each
	d, e      []float64    // the same in float64, for projections
	centre    []float64
}

// flat lays the parameters out in one vector. Batch norm's running
// statistics are left at zero: they are state, not weights, so the plane
// moves only the weights and keeps θ*'s statistics, as every scan does.
func flat(p model.Params) []float64 {
	out := make([]float64, 0, p.Len())
	for _, t := range p {
		if t.IsBuffer() {
			out = append(out, make([]float64, len(t.Data))...)
			continue
		}
		for _, v := range t.Data {
			out = append(out, float64(v))
		}
	}
	return out
}

// PCA finds the plane of the runs' snapshots around centre, as Li et al.'s
// plot_trajectory does with scikit-learn: the rows θ_t − θ* of every
// snapshot of every run, centred by their mean, and their top two
// principal components (through the T×T Gram matrix, T the number of
// snapshots, so memory stays at the snapshots themselves).
func PCA(centre model.Params, runs []Run) (*Plane, error) {
	var rows [][]float64
	c := flat(centre)
	for _, r := range runs {
		for _, s := range r.Snaps {
			if err := centre.SameLayout(s.Params); err != nil {
				return nil, fmt.Errorf("run %s, step %d: %w", r.Name, s.Step, err)
			}
			x := flat(s.Params)
			for i := range x {
				x[i] -= c[i]
			}
			rows = append(rows, x)
		}
	}
	n := len(rows)
	if n < 3 {
		return nil, fmt.Errorf("PCA of a trajectory needs at least 3 snapshots, got %d: train with a smaller --snapshot-every", n)
	}
	dim := len(c)
	mean := make([]float64, dim)
	for _, x := range rows {
		for i, v := range x {
			mean[i] += v / float64(n)
		}
	}
	for _, x := range rows {
		for i := range x {
			x[i] -= mean[i]
		}
	}
	gram := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			gram.SetSym(i, j, dot(rows[i], rows[j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(gram, true) {
		return nil, fmt.Errorf("PCA: the eigen decomposition failed")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	total := 0.0
	for _, v := range vals {
		total += math.Max(v, 0)
	}
	if !(total > 0) || !(vals[n-2] > 0) {
		return nil, fmt.Errorf("PCA: the snapshots do not span a plane (the run did not move)")
	}
	pl := &Plane{Centre: centre.Clone(), centre: c}
	for k, col := range []int{n - 1, n - 2} {
		v := make([]float64, dim)
		for i, x := range rows {
			u := vecs.At(i, col)
			for j, xv := range x {
				v[j] += u * xv
			}
		}
		s := 1 / math.Sqrt(vals[col])
		for j := range v {
			v[j] *= s
		}
		pl.Explained[k] = vals[col] / total
		if k == 0 {
			pl.d = v
		} else {
			pl.e = v
		}
	}
	pl.D, pl.E = toParams(pl.d, centre), toParams(pl.e, centre)
	return pl, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

func toParams(v []float64, like model.Params) model.Params {
	p := like.ZerosLike()
	k := 0
	for _, t := range p {
		for j := range t.Data {
			t.Data[j] = float32(v[k])
			k++
		}
	}
	return p
}

// Project places a run's snapshots on the plane: the coordinates of θ_t −
// θ* along D and E (orthonormal, so these are the least-squares ones) and
// the distance of θ_t from the plane.
func (pl *Plane) Project(r Run) surface.Path {
	p := surface.Path{Name: r.Name}
	for _, s := range r.Snaps {
		x := flat(s.Params)
		for i := range x {
			x[i] -= pl.centre[i]
		}
		a, b := dot(x, pl.d), dot(x, pl.e)
		off := 0.0
		for i, v := range x {
			res := v - a*pl.d[i] - b*pl.e[i]
			off += res * res
		}
		p.Steps = append(p.Steps, s.Step)
		p.X, p.Y, p.Off = append(p.X, a), append(p.Y, b), append(p.Off, math.Sqrt(off))
	}
	return p
}

// Extent is the window that holds every path and the centre, with a fifth
// of each axis's span to spare on both sides: where a trajectory's plane
// is worth scanning.
func Extent(paths []surface.Path) (alpha, beta [2]float64) {
	span := func(of func(surface.Path) []float64) [2]float64 {
		lo, hi := 0.0, 0.0
		for _, p := range paths {
			for _, v := range of(p) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		pad := 0.2 * math.Max(hi-lo, 1e-6)
		return [2]float64{lo - pad, hi + pad}
	}
	return span(func(p surface.Path) []float64 { return p.X }), span(func(p surface.Path) []float64 { return p.Y })
}

// ProjectAll is each run's path on the plane, in order.
func (pl *Plane) ProjectAll(runs []Run) []surface.Path {
	paths := make([]surface.Path, len(runs))
	for i, r := range runs {
		paths[i] = pl.Project(r)
	}
	return paths
}
