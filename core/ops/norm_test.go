package ops

import (
	"math"
	"testing"

	"github.com/basin-dev/basin/core/rng"
)

// Batch statistics stay exact for activations far from zero: values near
// 1000 with a spread of 0.1 give the variance to 1e-3 relative (a naive
// E[x²] − μ² in float32 would give noise), and the running averages move
// by PyTorch's momentum with the unbiased variance.
func TestBatchNormStatisticsFarFromZero(t *testing.T) {
	const b, c, hw = 8, 2, 50
	x := make([]float32, b*c*hw)
	r := rng.New(1, 1)
	for i := range x {
		x[i] = float32(1000 + 0.1*r.Norm())
	}
	mean, variance := []float32{0, 0}, []float32{1, 1}
	k := &BatchNorm{Shape: []int{b, c, 5, 10}, B: b, C: c, HW: hw, Train: true, Mean: mean, Var: variance, Eps: BNEps}
	y := make([]float32, len(x))
	k.Forward([][]float32{x, {1, 1}, {0, 0}}, y)
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := 0; i < b; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
			}
		}
		n := float64(b * hw)
		mu := s / n
		for i := 0; i < b; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				ss += (float64(v) - mu) * (float64(v) - mu)
			}
		}
		wantVar := 0.9 + 0.1*ss/(n-1)
		if got := float64(variance[ch]); math.Abs(got-wantVar) > 1e-3*0.1*ss/(n-1)+1e-7 {
			t.Errorf("channel %d: running variance %v, want %v", ch, got, wantVar)
		}
		if got := float64(mean[ch]); math.Abs(got-0.1*mu) > 1e-4 {
			t.Errorf("channel %d: running mean %v, want %v", ch, got, 0.1*mu)
		}
	}
	// The normalized output has mean 0 and variance 1 per channel.
	var s, ss float64
	for i := 0; i < b; i++ {
		for _, v := range y[(i*c)*hw : (i*c+1)*hw] {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
	}
	if n := float64(b * hw); math.Abs(s/n) > 1e-3 || math.Abs(ss/n-1) > 1e-2 {
		t.Errorf("normalized: mean %v, variance %v", s/n, ss/n)
	}
}
