package ops

import (
	"fmt"
	"hash"
	"os"
	"strings"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/simd"
)

// Chain runs a run of an evaluation's layers image by image: every step
// of one image, then the next image, instead of each layer over the
// whole batch before the next layer starts. An image's activations
// (25 KB a layer on resnet's first stage) then stay in the core's cache
// from the layer that writes them to the layers that read them, where a
// batch's (3 MB) go out to memory and back between layers.
//
// A step is a convolution on the tap kernel (any size, stride, padding,
// dilation; its bias, a residual input and ReLU applied as it writes), a
// sum of earlier outputs (then ReLU), or a ReLU. Steps read the chain's
// input (slot 0) or earlier steps' outputs (slot s+1 is step s's); the
// last step's output is the op's. Inputs: x [B,C,H,W], then each conv
// step's filters and bias, in step order.
type Chain struct {
	base
	B     int
	Shape []int // the input's [C,H,W]
	Steps []ChainStep

	out    buffer
	ready  bool
	sizes  []int         // per slot: floats per image
	shapes [][]int       // per slot: [C,H,W]
	phys   []int         // per slot: its buffer among a worker's (−1: the input or the op's output)
	slots  [][][]float32 // per worker, per slot: its buffer (the input's and last step's set per image)
	planes [][][]float32 // per worker, per distinct Window: the tap planes
	plane  []int         // per step: its planes among a worker's (conv steps)
	acc    [][]float32   // per worker: eight channels' outputs
}

// ChainStep is one step of a Chain.
type ChainStep struct {
	Kind ChainKind
	In   []int // the slots it reads: one for a conv or ReLU, two or more for a sum
	// A conv's geometry on its input and output channels.
	Window Window
	O      int
	Res    []int // a conv's residual input's slot, if any (one), added before the ReLU
	ReLU   bool  // ReLU on the step's output
	tc     *tapConv
}

// ChainKind is what a ChainStep does.
type ChainKind int

const (
	ChainConv ChainKind = iota
	ChainSum
	ChainReLU
)

// UseChain lets evaluation graphs run chains (BASIN_CHAIN=off turns them
// off, for comparison); they run only where the tap kernel does.
var UseChain = os.Getenv("BASIN_CHAIN") != "off"

// CanChain reports whether an evaluation graph may use Chain here.
func CanChain() bool { return UseChain && UseWinograd && simd.HasConvTaps }

// NewChain returns the op for a batch of b images of shape [C,H,W].
func NewChain(b int, shape []int, steps []ChainStep) (*Chain, error) {
	op := &Chain{B: b, Shape: shape, Steps: append([]ChainStep(nil), steps...)}
	op.sizes = []int{shape[0] * shape[1] * shape[2]}
	op.shapes = [][]int{shape}
	for s, st := range steps {
		if len(st.In) == 0 {
			return nil, fmt.Errorf("chain step %d reads nothing", s)
		}
		if len(st.Res) > 1 || (len(st.Res) == 1 && st.Kind != ChainConv) {
			return nil, fmt.Errorf("chain step %d: residual inputs %v", s, st.Res)
		}
		for _, in := range append(append([]int(nil), st.In...), st.Res...) {
			if in < 0 || in > s {
				return nil, fmt.Errorf("chain step %d reads slot %d, not the input or an earlier step", s, in)
			}
		}
		var size int
		sh := op.shapes[st.In[0]]
		switch st.Kind {
		case ChainConv:
			g := st.Window
			if len(st.In) != 1 || g.C*g.H*g.W != op.sizes[st.In[0]] {
				return nil, fmt.Errorf("chain step %d: a conv on %d values reads %v", s, g.C*g.H*g.W, st.In)
			}
			size, sh = st.O*g.Pixels(), []int{st.O, g.OH(), g.OW()}
			if len(st.Res) == 1 && op.sizes[st.Res[0]] != size {
				return nil, fmt.Errorf("chain step %d: a residual of %d values added to %d", s, op.sizes[st.Res[0]], size)
			}
			op.Steps[s].tc = newTapConv(g, st.O)
		case ChainSum, ChainReLU:
			size = op.sizes[st.In[0]]
			for _, in := range st.In {
				if op.sizes[in] != size || (st.Kind == ChainReLU && len(st.In) != 1) {
					return nil, fmt.Errorf("chain step %d: inputs of %d and %d values", s, size, op.sizes[in])
				}
			}
		default:
			return nil, fmt.Errorf("chain step %d: unknown kind %d", s, st.Kind)
		}
		op.sizes, op.shapes = append(op.sizes, size), append(op.shapes, sh)
	}
	return op, nil
}

func (op *Chain) convs() int {
	n := 0
	for _, st := range op.Steps {
		if st.Kind == ChainConv {
			n++
		}
	}
	return n
}

// outShape is the last step's output, batch first.
func (op *Chain) outShape() []int { return append([]int{op.B}, op.shapes[len(op.shapes)-1]...) }

func (op *Chain) Arity() int { return 1 + 2*op.convs() }
func (op *Chain) Type() hm.Type {
	ts := []hm.Type{tt(4)}
	for range op.convs() {
		ts = append(ts, tt(4), tt(1))
	}
	return hm.NewFnType(append(ts, tt(4))...)
}
func (op *Chain) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.outShape()), nil
}
func (op *Chain) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *Chain) Hashcode() uint32      { return hashOf(op) }
func (op *Chain) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Chain{%d×%v", op.B, op.Shape)
	for _, st := range op.Steps {
		switch st.Kind {
		case ChainConv:
			fmt.Fprintf(&b, " conv%v→%d", st.In, st.O)
		case ChainSum:
			fmt.Fprintf(&b, " sum%v", st.In)
		case ChainReLU:
			fmt.Fprintf(&b, " relu%v", st.In)
		}
	}
	return fmt.Sprintf("%s}(%p)", b.String(), op)
}

// prepare gives each slot a buffer, reusing a buffer once every step that
// reads its slot has run, and allocates every worker's buffers.
func (op *Chain) prepare() {
	if op.ready {
		return
	}
	op.ready = true
	last := make([]int, len(op.sizes)) // the last step reading each slot
	for s, st := range op.Steps {
		for _, in := range append(append([]int(nil), st.In...), st.Res...) {
			last[in] = max(last[in], s)
		}
	}
	op.phys = make([]int, len(op.sizes))
	op.phys[0] = -1
	var size []int   // per buffer: its floats
	var freeAt []int // per buffer: the step after which it is free
	for s := range op.Steps {
		slot := s + 1
		if s == len(op.Steps)-1 {
			op.phys[slot] = -1 // written straight into the op's output
			break
		}
		b := -1
		for i := range size {
			if freeAt[i] < s { // its slot's last reader ran before this step
				b = i
				break
			}
		}
		if b < 0 {
			size, freeAt = append(size, 0), append(freeAt, 0)
			b = len(size) - 1
		}
		size[b] = max(size[b], op.sizes[slot])
		freeAt[b] = max(last[slot], s)
		op.phys[slot] = b
	}
	windows := map[Window]int{}
	var planeLen []int
	accLen := 0
	op.plane = make([]int, len(op.Steps))
	for s, st := range op.Steps {
		if st.Kind != ChainConv {
			continue
		}
		i, ok := windows[st.Window]
		if !ok {
			i = len(planeLen)
			windows[st.Window] = i
			planeLen = append(planeLen, 0)
		}
		planeLen[i] = max(planeLen[i], st.tc.planeLen())
		op.plane[s] = i
		accLen = max(accLen, st.tc.accLen())
	}
	for w := 0; w < Workers; w++ {
		var bufs, planes [][]float32
		for _, n := range size {
			bufs = append(bufs, make([]float32, n))
		}
		for _, n := range planeLen {
			planes = append(planes, make([]float32, n))
		}
		slot := make([][]float32, len(op.sizes))
		for s, p := range op.phys {
			if p >= 0 {
				slot[s] = bufs[p][:op.sizes[s]]
			}
		}
		op.slots = append(op.slots, slot)
		op.planes = append(op.planes, planes)
		op.acc = append(op.acc, make([]float32, accLen))
	}
}

// Do runs every step on every image.
func (op *Chain) Do(inputs ...G.Value) (G.Value, error) {
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	if len(vals) != op.Arity() || len(vals[0]) != op.B*op.sizes[0] {
		return nil, fmt.Errorf("%v: %d inputs, the first of %d values", op, len(vals), len(vals[0]))
	}
	op.prepare()
	k := 1
	for _, st := range op.Steps {
		if st.Kind != ChainConv {
			continue
		}
		w, b := vals[k], vals[k+1]
		if len(w) != st.O*st.Window.Rows() || len(b) != st.O {
			return nil, fmt.Errorf("%v: a conv's filters of %d values and bias of %d", op, len(w), len(b))
		}
		st.tc.filters(w, b)
		k += 2
	}
	t, y := op.out.get(op.outShape()...)
	x, in, out := vals[0], op.sizes[0], op.sizes[len(op.sizes)-1]
	op.each(op.B, func(wk, i int) {
		slot := op.slots[wk]
		slot[0], slot[len(slot)-1] = x[i*in:(i+1)*in], y[i*out:(i+1)*out]
		for s, st := range op.Steps {
			dst := slot[s+1]
			switch st.Kind {
			case ChainConv:
				var res []float32
				if len(st.Res) == 1 {
					res = slot[st.Res[0]]
				}
				st.tc.forwardOn(op.planes[wk][op.plane[s]], op.acc[wk], slot[st.In[0]], dst, res, st.ReLU)
			case ChainSum:
				simd.Add2(dst, slot[st.In[0]], slot[st.In[1]], st.ReLU && len(st.In) == 2)
				for j, in := range st.In[2:] {
					simd.Add2(dst, dst, slot[in], st.ReLU && j == len(st.In)-3)
				}
			case ChainReLU:
				relu(dst, slot[st.In[0]])
			}
		}
	})
	return t, nil
}
