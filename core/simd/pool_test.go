package simd

import (
	"math/rand/v2"
	"testing"
)

// The pooling kernels against their Go loops, with ties (values drawn
// from a few levels) so the first-maximum rule is tested.
func TestPoolArg(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	level := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.IntN(5)) - 2
		}
		return v
	}
	for _, n := range []int{1, 15, 16, 17, 49, 144} {
		a, b, c, d := level(n), level(n), level(n), level(n)
		dst, arg := make([]float32, n), make([]uint8, n)
		Pool4Arg(dst, arg, a, b, c, d, 0.5)
		wd, wa := make([]float32, n), make([]uint8, n)
		pool4Go(wd, wa, a, b, c, d, 0.5)
		for i := range dst {
			if dst[i] != wd[i] || arg[i] != wa[i] {
				t.Fatalf("n=%d Pool4Arg [%d] = %v/%d, want %v/%d", n, i, dst[i], arg[i], wd[i], wa[i])
			}
		}
	}
	for _, pw := range []int{3, 14, 16, 20, 35} {
		rows, w := 4, 2*pw+3
		src := level((2*rows-1)*w + (2*pw+31)&^31)
		dst, arg := make([]float32, rows*pw), make([]uint8, rows*pw)
		Pool2x2Arg(dst, arg, src, w, pw, rows, -0.5)
		old := hasPoolArg
		hasPoolArg = false
		wd, wa := make([]float32, rows*pw), make([]uint8, rows*pw)
		Pool2x2Arg(wd, wa, src, w, pw, rows, -0.5)
		hasPoolArg = old
		for i := range dst {
			if dst[i] != wd[i] || arg[i] != wa[i] {
				t.Fatalf("pw=%d Pool2x2Arg [%d] = %v/%d, want %v/%d", pw, i, dst[i], arg[i], wd[i], wa[i])
			}
		}
	}
}

func TestUnpoolAndDot4(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, pw := range []int{3, 7, 12, 16, 21} {
		rows, w := 3, 2*pw+1
		n := (rows-1)*pw + (pw+15)&^15
		gy, pooled, arg := make([]float32, n), make([]float32, n), make([]uint8, n)
		for i := range gy {
			gy[i], pooled[i], arg[i] = float32(r.NormFloat64()), float32(r.IntN(3)-1), uint8(r.IntN(4))
		}
		got := make([]float32, 2*rows*w)
		for i := range got {
			got[i] = 9
		}
		want := append([]float32(nil), got...)
		Unpool2x2(got, w, gy, pooled, arg, pw, rows)
		old := hasPoolArg
		hasPoolArg = false
		Unpool2x2(want, w, gy, pooled, arg, pw, rows)
		hasPoolArg = old
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("pw=%d Unpool2x2 [%d] = %v, want %v", pw, i, got[i], want[i])
			}
		}
		for rr := 0; rr < 2*rows; rr++ { // the Go loop's own check: one value a window
			if want[rr*w+2*pw] != 9 {
				t.Fatalf("pw=%d wrote past 2·pw", pw)
			}
		}
	}
	for _, n := range []int{1, 8, 13, 100} {
		var b [4][]float32
		a := make([]float32, n)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = make([]float32, n)
			for j := range b[i] {
				b[i][j] = float32(r.NormFloat64())
			}
		}
		var out [4]float32
		Dot4(&out, a, b[0], b[1], b[2], b[3])
		for i := range b {
			want := 0.0
			for j := range a {
				want += float64(a[j]) * float64(b[i][j])
			}
			if diff(float64(out[i]), want) > 1e-5 {
				t.Fatalf("n=%d Dot4[%d] = %v, want %v", n, i, out[i], want)
			}
		}
	}
}
