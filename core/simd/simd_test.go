package simd

import (
	"math/rand/v2"
	"testing"
)

// Every kernel, assembly and Go, on lengths around the 8-float width.
func TestKernelsMatchScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{0, 1, 7, 8, 9, 16, 33, 144} {
			in := make([][]float32, 4)
			for i := range in {
				in[i] = make([]float32, n)
				for j := range in[i] {
					in[i][j] = float32(r.NormFloat64())
				}
			}
			a, b, c, d := in[0], in[1], in[2], in[3]
			dst := make([]float32, n)
			check := func(name string, want func(i int) float32) {
				for i := range dst {
					if dst[i] != want(i) {
						t.Fatalf("asm=%v %s n=%d [%d] = %v, want %v", asm, name, n, i, dst[i], want(i))
					}
				}
			}
			Add3(dst, a, b, c)
			check("Add3", func(i int) float32 { return a[i] + b[i] + c[i] })
			Sub3(dst, a, b, c)
			check("Sub3", func(i int) float32 { return a[i] - b[i] - c[i] })
			Add(dst, a, b)
			check("Add", func(i int) float32 { return a[i] + b[i] })
			Sub(dst, a, b)
			check("Sub", func(i int) float32 { return a[i] - b[i] })
			Interleave2ReLU(dst[:n&^1], a, b, -0.1)
			for i := 0; i < n/2; i++ {
				if dst[2*i] != max(a[i]-0.1, 0) || dst[2*i+1] != max(b[i]-0.1, 0) {
					t.Fatalf("asm=%v Interleave2ReLU n=%d at %d", asm, n, i)
				}
			}
			Max4ReLU(dst, a, b, c, d, 0.25)
			check("Max4ReLU", func(i int) float32 { return max(max(max(a[i], b[i]), max(c[i], d[i]))+0.25, 0) })
		}
		useAsm = old
	}
}
