package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
)

// MaxShards bounds a split: more shards than points would leave some
// empty, and a job array of a million tasks is a mistake.
const MaxShards = surface.MaxShards

// CheckShard says why a shard is unusable, or nil.
func CheckShard(sh surface.Shard) error { return sh.Validate() }

// ShardPoints are the points of shard sh of an nx×ny grid, in the order
// they are computed: every sh.N-th point of the grid's coarse-to-fine
// Order, starting at the sh.I-th. Each shard gets an equal share of every
// level of refinement (shard sizes differ by at most one), and a shard
// stopped early still holds a coarse picture of the whole grid.
func ShardPoints(nx, ny int, sh surface.Shard) []int {
	order := Order(nx, ny)
	var out []int
	for j := sh.I; j < len(order); j += sh.N {
		out = append(out, order[j])
	}
	return out
}

// ShardOf returns, for every point of an nx×ny grid, the shard of n that
// computes it.
func ShardOf(nx, ny, n int) []int {
	owner := make([]int, nx*ny)
	for j, k := range Order(nx, ny) {
		owner[k] = j % n
	}
	return owner
}

// Merge joins the parts of a split scan into the surface one process
// would have written: the same settings, directions, images and centre,
// every part's points. It refuses parts that do not belong together or
// overlap, saying why in one line. Missing lists the points no part has
// computed (empty when the merge is complete).
func Merge(parts []*surface.Surface) (merged *surface.Surface, missing []int, err error) {
	if len(parts) == 0 {
		return nil, nil, fmt.Errorf("no parts to merge")
	}
	m := NewMerger(parts[0])
	for _, s := range parts[1:] {
		if err := m.Add(s); err != nil {
			return nil, nil, err
		}
	}
	merged, missing = m.Result()
	return merged, missing, nil
}

// Merger joins parts one at a time, so a merge holds two parts in
// memory, not all of them (64 parts of a standard plane are 600 MB of
// directions).
type Merger struct {
	first *surface.Surface
	out   *surface.Surface
	owner []int // the part (1-based order of Add) that computed each point; 0: none
	parts int
}

// NewMerger starts a merge with its first part.
func NewMerger(first *surface.Surface) *Merger {
	out := first.Clone()
	out.D, out.E, out.EvalIndices = first.D, first.E, first.EvalIndices
	out.Meta.Shard = nil
	m := &Merger{first: first, out: out, owner: make([]int, first.Len()), parts: 1}
	for k, done := range first.Done {
		if done {
			m.owner[k] = 1
		}
	}
	return m
}

// Add folds in the next part, or says in one line why it does not belong.
func (m *Merger) Add(s *surface.Surface) error {
	m.parts++
	p := m.parts
	if err := sameScan(m.first, s); err != nil {
		return fmt.Errorf("part %d does not belong with part 1: %w", p, err)
	}
	for k, done := range s.Done {
		if !done {
			continue
		}
		if m.owner[k] > 0 {
			a, b := s.Coord(k)
			return fmt.Errorf("parts %d and %d both computed point %d (α=%g, β=%g): the same shard twice?", m.owner[k], p, k, a, b)
		}
		m.owner[k] = p
		m.out.Loss[k], m.out.Acc[k], m.out.LossSE[k], m.out.Done[k] = s.Loss[k], s.Acc[k], s.LossSE[k], true
	}
	return nil
}

// Result is the merged surface and the points still missing.
func (m *Merger) Result() (*surface.Surface, []int) {
	m.out.Tally()
	return m.out, m.out.Missing()
}

// sameScan says how b differs from a as parts of one scan: everything
// that makes a point's value, except the shard.
func sameScan(a, b *surface.Surface) error {
	// Shallow copies without the shard: SameSettings reads only the
	// metadata and the axes, so the points need no copying.
	x, y := *a, *b
	x.Meta.Shard, y.Meta.Shard = nil, nil
	ma, mb := x.Meta, y.Meta
	if err := x.SameSettings(&y); err != nil {
		return err
	}
	checks := []struct {
		what       string
		mine, them any
	}{
		{"centre loss", ma.CentreLoss, mb.CentreLoss},
		{"basin version", ma.Version, mb.Version},
		{"direction cosine", ma.Cosine, mb.Cosine},
	}
	for _, c := range checks {
		if c.mine != c.them {
			return fmt.Errorf("its %s is %v, the first part's %v", c.what, c.them, c.mine)
		}
	}
	if !slices.Equal(a.EvalIndices, b.EvalIndices) {
		return fmt.Errorf("its evaluation images differ")
	}
	for _, d := range []struct {
		name string
		p, q model.Params
	}{{"α direction", a.D, b.D}, {"β direction", a.E, b.E}} {
		if !sameParams(d.p, d.q) {
			return fmt.Errorf("its %s differs", d.name)
		}
	}
	return nil
}

func sameParams(p, q model.Params) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i].Name != q[i].Name || !slices.Equal(p[i].Data, q[i].Data) {
			return false
		}
	}
	return true
}

// DescribeMissing names missing points by shard: "shard 2/8: 12 points
// (α=…, β=… first)" per shard, at most limit shards.
func DescribeMissing(s *surface.Surface, missing []int, n, limit int) string {
	if len(missing) == 0 {
		return ""
	}
	owner := ShardOf(s.Alpha.N, s.NY(), max(n, 1))
	byShard := map[int][]int{}
	var shards []int
	for _, k := range missing {
		sh := owner[k]
		if _, ok := byShard[sh]; !ok {
			shards = append(shards, sh)
		}
		byShard[sh] = append(byShard[sh], k)
	}
	slices.Sort(shards)
	var lines []string
	for i, sh := range shards {
		if i == limit {
			lines = append(lines, fmt.Sprintf("… and %d more shards", len(shards)-limit))
			break
		}
		a, b := s.Coord(byShard[sh][0])
		lines = append(lines, fmt.Sprintf("shard %d/%d: %d points missing (first α=%g, β=%g)", sh, n, len(byShard[sh]), a, b))
	}
	return strings.Join(lines, "\n")
}
