package scan

import (
	"math"
	"sort"
)

// Order returns the points of an nx×ny grid (row-major indices i*ny+j),
// coarse to fine: first the corners and a sparse sub-grid whose stride is
// the largest power of two below the grid's side, then at each halving of
// the stride the points between. Within a level, points nearer the centre
// come first. Each point appears once.
func Order(nx, ny int) []int {
	n := nx * ny
	seen := make([]bool, n)
	out := make([]int, 0, n)
	stride := 1
	for stride*2 < max(nx, ny)-1 {
		stride *= 2
	}
	on := func(i, side, s int) bool { return i%s == 0 || i == side-1 }
	for s := stride; s >= 1; s /= 2 {
		var level []int
		for i := 0; i < nx; i++ {
			if !on(i, nx, s) {
				continue
			}
			for j := 0; j < ny; j++ {
				if k := i*ny + j; on(j, ny, s) && !seen[k] {
					seen[k] = true
					level = append(level, k)
				}
			}
		}
		cx, cy := float64(nx-1)/2, float64(ny-1)/2
		dist := func(k int) float64 { return math.Hypot(float64(k/ny)-cx, float64(k%ny)-cy) }
		sort.SliceStable(level, func(a, b int) bool { return dist(level[a]) < dist(level[b]) })
		out = append(out, level...)
	}
	return out
}

// Filter keeps the points of order that want reports true for.
func Filter(order []int, want func(int) bool) []int {
	out := order[:0:0]
	for _, k := range order {
		if want(k) {
			out = append(out, k)
		}
	}
	return out
}
