package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func naive(a, b Matrix, m, n, k int) []float64 {
	at := func(x Matrix, i, j int) float64 {
		if x.T {
			return float64(x.Data[j*x.Stride+i])
		}
		return float64(x.Data[i*x.Stride+j])
	}
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += at(a, i, p) * at(b, p, j)
			}
			c[i*n+j] = s
		}
	}
	return c
}

func random(r *rand.Rand, rows, cols int, t bool) Matrix {
	if t {
		rows, cols = cols, rows
	}
	stride := cols + r.IntN(3) // padding between rows
	d := make([]float32, rows*stride)
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	return Matrix{Data: d, Stride: stride, T: t}
}

// Every kernel, every transpose, odd sizes, plain and accumulating, on
// one core and several: against a float64 naive product.
func TestMulMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 7, 17, 129}
	for _, kern := range Kernels() {
		old := Use(kern)
		for _, m := range sizes {
			for _, n := range []int{1, 7, 49, 300} {
				for _, k := range []int{1, 17, 300} {
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
						a, b := random(r, m, k, tr[0]), random(r, k, n, tr[1])
						want := naive(a, b, m, n, k)
						ldc := n + 1
						c := make([]float32, m*ldc)
						for i := range c {
							c[i] = 1
						}
						acc := (m+n+k)%2 == 0
						if acc {
							for i := range want {
								want[i]++
							}
						}
						mul := Mul
						if m*n*k > 1<<18 || (m == 129 && n == 300) {
							mul = Parallel
						}
						mul(c, ldc, a, b, m, n, k, acc)
						for i := 0; i < m; i++ {
							for j := 0; j < n; j++ {
								got, w := float64(c[i*ldc+j]), want[i*n+j]
								if math.Abs(got-w) > 1e-4*math.Max(1, math.Sqrt(float64(k)))*math.Max(1, math.Abs(w)) {
									t.Fatalf("%s m=%d n=%d k=%d trans=%v acc=%v: C[%d,%d] = %g, want %g", kern.Name, m, n, k, tr, acc, i, j, got, w)
								}
							}
							if ldc > n && c[i*ldc+n] != 1 && !(i == m-1) {
								t.Fatalf("%s: wrote past the row end", kern.Name)
							}
						}
					}
				}
			}
		}
		Use(old)
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, kern := range Kernels() {
		for _, size := range []int{256, 1024, 2048} {
			b.Run(fmt.Sprintf("%s/%d", kern.Name, size), func(b *testing.B) {
				old := Use(kern)
				defer Use(old)
				r := rand.New(rand.NewPCG(1, 2))
				x, y := random(r, size, size, false), random(r, size, size, false)
				c := make([]float32, size*size)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					Parallel(c, size, x, y, size, size, size, false)
				}
				b.ReportMetric(2*float64(size*size*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// MulOffsets against Mul on the same B stored whole: columns at scattered
// offsets of one buffer, widths around the panel and the gather of 8.
func TestMulOffsetsMatchesMul(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, kern := range Kernels() {
		old := Use(kern)
		for _, n := range []int{1, 9, 48, 72, 300} {
			for _, k := range []int{7, 16, 333} {
				m := 13
				src := make([]float32, 4000)
				for i := range src {
					src[i] = float32(r.NormFloat64())
				}
				starts := make([]int, n)
				whole := make([]float32, k*n) // B[p][j] = src[starts[j]+p]
				for j := range starts {
					starts[j] = r.IntN(len(src) - k)
					for p := 0; p < k; p++ {
						whole[p*n+j] = src[starts[j]+p]
					}
				}
				a := random(r, m, k, false)
				want, got := make([]float32, m*n), make([]float32, m*n)
				for i := range got {
					want[i], got[i] = 1, 1
				}
				Mul(want, n, a, Matrix{Data: whole, Stride: n}, m, n, k, true)
				MulOffsets(got, n, a, &Offsets{Src: src, Starts: starts}, m, n, k, true)
				for i := range got {
					if math.Abs(float64(got[i]-want[i])) > 1e-4*math.Max(1, math.Abs(float64(want[i]))) {
						t.Fatalf("%s n=%d k=%d: [%d] = %v, want %v", kern.Name, n, k, i, got[i], want[i])
					}
				}
			}
		}
		Use(old)
	}
}
