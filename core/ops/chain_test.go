package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A chain of a residual block, a downsampling block with a strided 1×1
// shortcut, a sum and a ReLU, image by image, against the same layers
// one at a time by the definition in float64.
func TestChainMatchesLayers(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const b = 3
	shape := []int{8, 12, 12}
	g1 := Window{C: 8, H: 12, W: 12, K: 3, Stride: 1, Pad: 1}
	g2 := Window{C: 8, H: 12, W: 12, K: 3, Stride: 2, Pad: 1}
	g3 := Window{C: 16, H: 6, W: 6, K: 3, Stride: 1, Pad: 1}
	g4 := Window{C: 8, H: 12, W: 12, K: 1, Stride: 2}
	steps := []ChainStep{
		{Kind: ChainConv, In: []int{0}, Window: g1, O: 8, ReLU: true},
		{Kind: ChainConv, In: []int{1}, Window: g1, O: 8, Res: []int{0}, ReLU: true},
		{Kind: ChainConv, In: []int{2}, Window: g1, O: 8, Res: []int{2}, ReLU: true},
		{Kind: ChainConv, In: []int{3}, Window: g2, O: 16, ReLU: true},
		{Kind: ChainConv, In: []int{4}, Window: g3, O: 16},
		{Kind: ChainConv, In: []int{3}, Window: g4, O: 16},
		{Kind: ChainSum, In: []int{5, 6}, ReLU: true},
		{Kind: ChainReLU, In: []int{7}},
	}
	op, err := NewChain(b, shape, steps)
	if err != nil {
		t.Fatal(err)
	}
	x := floats(r, b*8*12*12)
	inputs := []G.Value{tensor.New(tensor.WithShape(b, 8, 12, 12), tensor.WithBacking(x))}
	var ws, bs [][]float32
	for _, st := range steps {
		if st.Kind == ChainConv {
			w, bias := floats(r, st.O*st.Window.Rows()), floats(r, st.O)
			for j := range w { // He's scale, so values stay near 1 through the layers
				w[j] *= float32(math.Sqrt(2 / float64(st.Window.Rows())))
			}
			ws, bs = append(ws, w), append(bs, bias)
			inputs = append(inputs, tensor.New(tensor.WithShape(st.O, st.Window.C, st.Window.K, st.Window.K), tensor.WithBacking(w)),
				tensor.New(tensor.WithShape(st.O), tensor.WithBacking(bias)))
		}
	}
	var got []float32
	for rep := 0; rep < 2; rep++ { // a second run reuses every buffer
		v, err := op.Do(inputs...)
		if err != nil {
			t.Fatal(err)
		}
		got = v.Data().([]float32)
	}
	if s := v2shape(op.outShape()); s != [4]int{b, 16, 6, 6} {
		t.Fatalf("output shape %v", s)
	}
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	out := 16 * 6 * 6
	for i := 0; i < b; i++ {
		slot := [][]float32{x[i*8*144 : (i+1)*8*144]}
		k := 0
		for _, st := range steps {
			var y []float32
			switch st.Kind {
			case ChainConv:
				var res []float32
				if len(st.Res) == 1 {
					res = slot[st.Res[0]]
				}
				y = f32(naiveConv(st.Window, st.O, slot[st.In[0]], ws[k], bs[k], res, st.ReLU))
				k++
			case ChainSum:
				y = make([]float32, len(slot[st.In[0]]))
				for j := range y {
					y[j] = max(slot[st.In[0]][j]+slot[st.In[1]][j], 0)
				}
			case ChainReLU:
				y = make([]float32, len(slot[st.In[0]]))
				for j, v := range slot[st.In[0]] {
					y[j] = max(v, 0)
				}
			}
			slot = append(slot, y)
		}
		want := slot[len(slot)-1]
		for j, v := range want {
			if d := math.Abs(float64(got[i*out+j] - v)); !(d <= 1e-4*math.Max(1, math.Abs(float64(v)))) { // a NaN fails
				t.Fatalf("image %d: out[%d] = %v, want %v", i, j, got[i*out+j], v)
			}
		}
	}
	if _, err := NewChain(b, shape, []ChainStep{{Kind: ChainConv, In: []int{1}, Window: g1, O: 8}}); err == nil {
		t.Fatal("a step reading a later slot was accepted")
	}
}

func v2shape(s []int) (a [4]int) {
	copy(a[:], s)
	return a
}
