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
