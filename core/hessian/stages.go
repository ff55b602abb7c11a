// The layers of the R-operator pass, a graph like the network's. Each
// stage keeps, for a batch, its output's value y and R-value yd (forward),
// and the loss gradient with respect to its output gy and that gradient's
// R-value ry (backward). Backward passes add into their inputs' gy and ry
// (cleared first), so a value read by two layers (a residual connection)
// gets both gradients. Flatten and dropout (the identity in evaluation)
// share their input's buffers. Batch norm is in evaluation mode: an
// affine map per channel by the running statistics, as scans see it.

package hessian

import (
	"fmt"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/ops"
	"github.com/basin-dev/basin/core/simd"
)

type stage struct {
	layer   model.Layer
	inputs  []int // stage indices; -1 is the image
	tensors []int // indices in params of the trained tensors (weight, bias; γ, β)
	stats   int   // batch norm: index of its running mean (the variance follows)
	in, out int   // values per image of the first input and of the output
	// tangent: the output's R-value is not zero (a layer with parameters
	// is at or before it). needIn: each input needs a gradient.
	tangent bool
	needIn  []bool
	alias   bool // shares its input's buffers (flatten, dropout)
	// dead: a ReLU that the 2×2 max pool after it does (relu), as
	// max(0, max of the window): the ReLU's full-size values, R-values and
	// gradients are never written.
	dead, relu bool
	// overwritten: the one reader of this stage's output is a relu pool
	// whose windows cover it, and which writes all of gy and ry.
	overwritten bool
	// pool: that relu pool, when this stage is a conv that writes the
	// pool's values (Tangent.ForwardPooled) and reads the pool's gradient
	// (BackwardPooled): its own full-size values and gradients are never
	// formed.
	pool *stage

	fast          *ops.Tangent // a 3×3 conv of stride 1: Winograd, both passes
	conv          unfolder     // another conv's geometry and unfolding
	win           ops.Window   // a pool's
	dIn, dOut     int          // a dense layer's features
	c, hw         int          // batch norm's and global pooling's channels and plane
	y, yd, gy, ry []float32
	arg           []int32       // a max pool's maxima, per output value (-1: none)
	arg8          []uint8       // with relu: which of the window's four (2·dy + dx)
	acc           [][][]float32 // per tensor, per worker: R{∂L/∂θ} summed over the images so far
}

// unfolder is a convolution's im2col geometry: ops.Conv for stride 1
// (its unfolding has fast paths), ops.Window for any stride.
type unfolder interface {
	Unfold(x, col []float32)
	UnfoldRows(x, colT []float32)
	Fold(col, x []float32)
	Rows() int
	Pixels() int
}

// scratch is one worker's buffers.
type scratch struct{ col, colD, tmp, fold []float32 }

// build lays out the stages and their batch buffers.
func (p *Product) build() error {
	a := p.Arch
	shapes, graph := a.Shapes(), a.Inputs()
	img := model.Shape{a.Input.C, a.Input.H, a.Input.W}
	per := img.Size()
	for _, sh := range shapes {
		per += 4 * sh.Size() // a value, its R-value and both gradients
	}
	p.batch = min(max(batchBytes/(4*per), minBatch), maxBatch)
	p.x0 = make([]float32, p.batch*img.Size())
	param := 0
	maxCol, maxIn := 0, img.Size()
	fused, readers := reluBeforePool(a, shapes, graph)
	intoPool := make([]bool, len(a.Layers)) // read only by a ReLU the pool after it does
	for j, f := range fused {
		if c := graph[j][0]; f && c >= 0 && readers[c] == 1 {
			intoPool[c] = true
		}
	}
	for i, l := range a.Layers {
		inShape := img
		if j := graph[i][0]; j >= 0 {
			inShape = shapes[j]
		}
		s := &stage{layer: l, inputs: graph[i], stats: -1, in: inShape.Size(), out: shapes[i].Size(), dead: fused[i]}
		if j := s.inputs[0]; j >= 0 && p.stages[j].dead { // the ReLU before it, done here
			s.inputs, s.relu = []int{p.stages[j].inputs[0]}, true
			if k := s.inputs[0]; k >= 0 && readers[k] == 1 && inShape[1]%2 == 0 && inShape[2]%2 == 0 {
				prev := p.stages[k]
				prev.overwritten = true // its windows tile the whole plane
				if prev.fast != nil && prev.fast.CanPool() {
					prev.pool = s // which passes its gradient on as it is (its own planes were never made)
				}
			}
		}
		for _, j := range s.inputs {
			need := j >= 0 && p.stages[j].tangent
			s.needIn = append(s.needIn, need)
			s.tangent = s.tangent || need
		}
		n := l.TensorCount()
		for k := param; k < param+n; k++ {
			if p.params[k].IsBuffer() {
				if s.stats < 0 {
					s.stats = k
				}
				continue
			}
			s.tensors = append(s.tensors, k)
		}
		param += n
		s.tangent = s.tangent || len(s.tensors) > 0
		maxIn = max(maxIn, s.in)
		switch l.Kind {
		case model.Conv:
			g := l.Window(inShape)
			if ops.CanTangent(l.Kernel, g.Stride, g.D()) {
				t, err := ops.NewTangent(g.C, g.H, g.W, l.Out, l.Pad, s.needIn[0])
				if err != nil {
					return fmt.Errorf("layer %d: %w", i+1, err)
				}
				s.fast = t
				break
			}
			if g.Stride == 1 && g.D() == 1 {
				s.conv = ops.NewConv(1, g.C, g.H, g.W, l.Out, l.Kernel, l.Pad, false, true, !s.needIn[0])
			} else {
				s.conv = g
			}
			maxCol = max(maxCol, s.conv.Rows()*s.conv.Pixels())
		case model.Dense:
			s.dIn, s.dOut = s.in, l.Out
		case model.MaxPool, model.AvgPool:
			if len(inShape) != 3 {
				return fmt.Errorf("layer %d: pooling needs a [C,H,W] input", i+1)
			}
			s.win = l.Window(inShape)
			switch {
			case s.relu:
				s.arg8 = make([]uint8, p.batch*s.out)
			case l.Kind == model.MaxPool:
				s.arg = make([]int32, p.batch*s.out)
			}
		case model.BatchNorm, model.GlobalAvgPool:
			s.c, s.hw = inShape[0], inShape.Size()/inShape[0]
		case model.ReLU, model.LeakyReLU, model.Flatten, model.Dropout, model.Add:
		default:
			return fmt.Errorf("layer %d: no R-operator for %v", i+1, l.Kind)
		}
		if s.dead {
			p.stages = append(p.stages, s)
			continue
		}
		switch {
		case s.fast != nil && s.fast.CanPool() && intoPool[i]:
			// No planes: this conv writes its relu pool's values and reads
			// its gradient (the pool sets s.pool on the same conditions:
			// one reader, an even output).
		case l.Kind == model.Flatten || l.Kind == model.Dropout:
			s.alias = true
			if j := s.inputs[0]; j < 0 {
				s.y = p.x0 // the images themselves: no R-value, no gradient
			} else {
				prev := p.stages[j]
				s.y, s.yd, s.gy, s.ry = prev.y, prev.yd, prev.gy, prev.ry
			}
		default:
			n := p.batch * s.out
			s.y, s.gy = make([]float32, n), make([]float32, n)
			if s.tangent {
				s.yd, s.ry = make([]float32, n), make([]float32, n)
			}
		}
		for _, k := range s.tensors {
			var per [][]float32
			for range p.workers {
				per = append(per, make([]float32, len(p.params[k].Data)))
			}
			s.acc = append(s.acc, per)
		}
		p.stages = append(p.stages, s)
	}
	if last := p.stages[len(p.stages)-1]; last.out != a.Classes || last.yd == nil {
		return fmt.Errorf("the last layer must give %d logits that depend on the weights", a.Classes)
	}
	for range p.workers {
		p.work = append(p.work, &scratch{col: make([]float32, maxCol), colD: make([]float32, maxCol),
			tmp: make([]float32, maxCol), fold: make([]float32, maxIn)})
	}
	return nil
}

// needsGradient reports whether a stage's backward pass reads its output's
// gradient gy as well as its R-value ry: a conv whose input is the images
// reads only ry (R{∂L/∂W} = R{g}·unfold(x)ᵀ, R{∂L/∂b} = Σ R{g}) unless its
// pass lists live pixels from both.
func (s *stage) needsGradient() bool {
	if s.layer.Kind != model.Conv || s.needIn[0] {
		return true
	}
	return s.fast != nil && s.fast.NeedsGradient()
}

// reluBeforePool counts each layer's readers and marks the ReLUs whose one reader is a 2×2 max pool of
// stride 2 without padding: max pooling commutes with the ReLU (the
// maximum of the ReLUs is the ReLU of the maximum, and where that is
// positive the window's first maximum is the same), so the pool does both.
func reluBeforePool(a model.Arch, shapes []model.Shape, graph [][]int) (fused []bool, count []int) {
	readers := make([][]int, len(a.Layers))
	for i, in := range graph {
		for _, j := range in {
			if j >= 0 {
				readers[j] = append(readers[j], i)
			}
		}
	}
	fused, count = make([]bool, len(a.Layers)), make([]int, len(a.Layers))
	for i, r := range readers {
		count[i] = len(r)
	}
	for i, l := range a.Layers {
		if l.Kind != model.ReLU || len(readers[i]) != 1 || len(shapes[i]) != 3 {
			continue
		}
		k := readers[i][0]
		pool := a.Layers[k]
		if pool.Kind != model.MaxPool || len(graph[k]) != 1 {
			continue
		}
		g := pool.Window(shapes[i])
		fused[i] = g.K == 2 && g.Stride == 2 && g.Pad == 0 && g.D() == 1
	}
	return fused, count
}

// input returns the value and R-value (nil when zero) of stage s's k-th
// input.
func (p *Product) input(s *stage, k int) (x, xd []float32) {
	j := s.inputs[k]
	if j < 0 {
		return p.x0, nil
	}
	return p.stages[j].y, p.stages[j].yd
}

// grads returns where stage s adds its k-th input's gradient and its
// R-value, or nils when that input needs none.
func (p *Product) grads(s *stage, k int) (gx, rx []float32) {
	if !s.needIn[k] {
		return nil, nil
	}
	prev := p.stages[s.inputs[k]]
	return prev.gy, prev.ry
}

// forward computes every stage's value and R-value for nb images; with
// known, the convs and dense layers keep the values they hold (the other
// stages recompute theirs from them: cheap, and the same).
func (p *Product) forward(nb int, known bool) {
	for _, s := range p.stages {
		if s.dead {
			continue
		}
		x, xd := p.input(s, 0)
		switch s.layer.Kind {
		case model.Conv:
			p.convForward(s, x, xd, nb, known)
		case model.Dense:
			p.denseForward(s, x, xd, nb, known)
		case model.ReLU:
			// R{relu(x)} = R{x} where x > 0 (a NaN passes, as in training).
			m := nb * s.out
			simd.Affine(s.y[:m], x[:m], 0, 1, 0, true)
			if s.yd != nil {
				copy(s.yd[:m], xd[:m])
				simd.ReLUMask(s.yd[:m], s.y[:m])
			}
		case model.LeakyReLU:
			// R{leaky(x)} = slope(x)·R{x}, slope 1 where x > 0.
			a := float32(s.layer.Slope)
			for j, v := range x[:nb*s.out] {
				k := float32(1)
				if v < 0 {
					k = a
				}
				s.y[j] = k * v
				if s.yd != nil {
					s.yd[j] = k * xd[j]
				}
			}
		case model.MaxPool, model.AvgPool:
			if s.relu && p.stages[s.inputs[0]].pool == s {
				break // the conv before it wrote this stage's values
			}
			if s.relu {
				ops.ForEach(nb, func(_, b int) { s.reluPoolForward(x, xd, b) })
				break
			}
			ops.ForEach(nb, func(_, b int) { s.poolForward(x, xd, b) })
		case model.BatchNorm:
			p.normForward(s, x, xd, nb)
		case model.GlobalAvgPool:
			s.globalForward(x, xd, nb)
		case model.Add:
			p.addForward(s, nb)
		}
	}
}

// backward carries gy and ry from the loss down to the first layer with
// parameters, accumulating R{∂L/∂θ} in the stages' workers' buffers.
func (p *Product) backward(nb int) {
	last := len(p.stages) - 1
	ops.ForEach(nb, func(_, b int) {
		for _, s := range p.stages[:last] { // the last one's are the loss's
			if s.gy != nil && !s.alias && !s.overwritten {
				clear(s.gy[b*s.out : (b+1)*s.out])
				if s.ry != nil {
					clear(s.ry[b*s.out : (b+1)*s.out])
				}
			}
		}
	})
	for i := last; i >= 0; i-- {
		s := p.stages[i]
		if !s.tangent || s.dead {
			continue // nothing before it has parameters, or done by the pool after it
		}
		x, xd := p.input(s, 0)
		gx, rx := p.grads(s, 0)
		switch s.layer.Kind {
		case model.Conv:
			p.convBackward(s, x, xd, gx, rx, nb)
		case model.Dense:
			p.denseBackward(s, x, xd, gx, rx, nb)
		case model.ReLU:
			if gx != nil { // this stage's gy and ry are masked in place: nothing reads them after
				ops.ForEach(nb, func(_, b int) {
					y, g, r := s.y[b*s.out:(b+1)*s.out], s.gy[b*s.out:(b+1)*s.out], s.ry[b*s.out:(b+1)*s.out]
					simd.ReLUMask(g, y)
					simd.ReLUMask(r, y)
					simd.Add(gx[b*s.out:(b+1)*s.out], gx[b*s.out:(b+1)*s.out], g)
					simd.Add(rx[b*s.out:(b+1)*s.out], rx[b*s.out:(b+1)*s.out], r)
				})
			}
		case model.LeakyReLU:
			if gx != nil {
				a := float32(s.layer.Slope)
				for j, v := range x[:nb*s.out] {
					k := float32(1)
					if v < 0 {
						k = a
					}
					gx[j] += k * s.gy[j]
					rx[j] += k * s.ry[j]
				}
			}
		case model.MaxPool, model.AvgPool:
			switch {
			case gx != nil && s.relu && p.stages[s.inputs[0]].pool == s:
				// the conv before it reads this stage's gradient itself
			case gx != nil && s.relu:
				prev := p.stages[s.inputs[0]]
				if prev.overwritten && !prev.needsGradient() {
					gx = nil // a first conv reads only the R-gradient
				}
				ops.ForEach(nb, func(_, b int) { s.reluPoolBackward(gx, rx, b, prev.overwritten) })
			case gx != nil:
				ops.ForEach(nb, func(_, b int) { s.poolBackward(gx, rx, b) })
			}
		case model.BatchNorm:
			p.normBackward(s, x, xd, gx, rx, nb)
		case model.GlobalAvgPool:
			if gx != nil {
				s.globalBackward(gx, rx, nb)
			}
		case model.Add:
			for k := range s.inputs {
				if gx, rx := p.grads(s, k); gx != nil {
					addTo(gx[:nb*s.out], s.gy)
					addTo(rx[:nb*s.out], s.ry)
				}
			}
		}
	}
}

// addTo adds src to dst (len(dst) values).
func addTo(dst, src []float32) { simd.Add(dst, dst, src) }

// addForward: y = Σ xₖ, R{y} = Σ R{xₖ}.
func (p *Product) addForward(s *stage, nb int) {
	n := nb * s.out
	x, _ := p.input(s, 0)
	copy(s.y[:n], x)
	if s.yd != nil {
		clear(s.yd[:n])
	}
	for k := range s.inputs {
		x, xd := p.input(s, k)
		if k > 0 {
			addTo(s.y[:n], x)
		}
		if xd != nil && s.needIn[k] {
			addTo(s.yd[:n], xd)
		}
	}
}
