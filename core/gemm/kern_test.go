package gemm

import "testing"

// BenchmarkKernel is the micro-kernel alone on L1-resident panels: the
// ceiling of one core.
func BenchmarkKernel(b *testing.B) {
	for _, k := range Kernels() {
		b.Run(k.Name, func(b *testing.B) {
			const steps = 256
			a := make([]float32, k.MR*steps)
			bb := make([]float32, k.NR*steps)
			c := make([]float32, k.MR*k.NR)
			for i := 0; i < b.N; i++ {
				k.fn(steps, &a[0], &bb[0], &c[0], k.NR)
			}
			b.ReportMetric(2*float64(k.MR*k.NR*steps)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// Panels is Tile over consecutive B panels, set or accumulating.
func TestPanelsIsTileEach(t *testing.T) {
	for _, k := range Kernels() {
		steps, n, ldc := 7, 3*k.NR, 3*k.NR+5
		a := make([]float32, k.MR*steps)
		b := make([]float32, n*steps)
		for i := range a {
			a[i] = float32(i%5) - 2
		}
		for i := range b {
			b[i] = float32(i%7) - 3
		}
		for _, acc := range []bool{false, true} {
			got, want := make([]float32, k.MR*ldc), make([]float32, k.MR*ldc)
			for i := range got {
				got[i], want[i] = 1, 1
			}
			k.Panels(steps, a, b, got, n, ldc, acc)
			for j := 0; j < n; j += k.NR {
				k.Tile(steps, a, b[j*steps:], want[j:], ldc, acc)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s acc=%v: [%d] = %v, want %v", k.Name, acc, i, got[i], want[i])
				}
			}
		}
	}
}
