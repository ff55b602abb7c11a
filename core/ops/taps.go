package ops

import "github.com/basin-dev/basin/core/simd"

// tapConv is a convolution of any kernel size, stride, padding and
// dilation computed straight from the input, with no unfolding and no
// transforms: for small channel counts (resnet's 8 to 32) it does fewer
// passes over memory than im2col or Winograd, and its multiply-adds run
// from registers (simd.ConvTaps).
//
// Each input channel is first copied into Stride² zero-padded phase
// planes, phase (py, px) holding the padded input's pixels (r·s+py,
// q·s+px). Output pixel (oy, ox) through tap (ky, kx) then reads phase
// ((ky·d) mod s, (kx·d) mod s) at (oy + ky·d/s, ox + kx·d/s): for every
// output the same offset into the planes, so a tap is one number and
// outputs are computed on the planes' flattened grid (oy·pw + ox, the
// columns past OW computed and dropped). Eight output channels go
// through the kernel at a time; the bias, ReLU and a residual input are
// applied as each row is copied out.
type tapConv struct {
	g       Window
	o       int
	oh, ow  int
	ph, pw  int    // a phase plane's size
	cs      int    // floats per input channel: Stride²·ph·pw
	n, span int    // outputs on the flattened grid, and rounded up to 16
	taps    []int  // per tap (ky, kx): its offset into a channel's planes
	used    []bool // per phase: whether a tap reads it
	// Where a strided pack puts input row iy (rowAt: its phase plane's
	// row, rowPhase: its phases' first index) and, per column phase, the
	// input columns ix0, ix0+s, … (n of them, from plane offset at).
	rowAt, rowPhase []int
	cols            []struct{ ix0, n, at int }
	even            int // with stride 2: the column phase of even columns (−1: other strides)
	groups          int // groups of eight output channels
	wq              []float32
	xp, acc         [][]float32 // per worker: the input's planes; eight channels' outputs
	bias            []float32
}

func newTapConv(g Window, o int) *tapConv {
	s, d := max(g.Stride, 1), g.D()
	t := &tapConv{g: g, o: o, oh: g.OH(), ow: g.OW()}
	t.ph, t.pw = (g.H+2*g.Pad+s-1)/s, (g.W+2*g.Pad+s-1)/s
	if s == 1 {
		// A row's right padding is the next row's left padding: both are
		// zeros, and an output inside the image reads at most Pad
		// columns past its row's end (d·(K−1) + OW − 1 < W + 2·Pad).
		t.pw = g.W + g.Pad
	}
	t.cs = s * s * t.ph * t.pw
	t.n = t.oh * t.pw
	t.span = (t.n + 15) &^ 15
	t.used = make([]bool, s*s)
	for ky := 0; ky < g.K; ky++ {
		for kx := 0; kx < g.K; kx++ {
			phase := (ky*d%s)*s + kx*d%s
			t.used[phase] = true
			t.taps = append(t.taps, phase*t.ph*t.pw+(ky*d/s)*t.pw+kx*d/s)
		}
	}
	t.even = -1
	if s > 1 {
		plane := t.ph * t.pw
		for iy := 0; iy < g.H; iy++ {
			py := iy + g.Pad
			t.rowAt = append(t.rowAt, (py%s)*s*plane+(py/s)*t.pw)
			t.rowPhase = append(t.rowPhase, (py%s)*s)
		}
		for px := 0; px < s; px++ {
			// the columns ix with (ix+Pad) mod s = px, the first at ix0,
			// go to the phase plane's columns (ix0+Pad)/s, …
			ix0 := ((px-g.Pad)%s + s) % s
			n := max(0, (g.W-ix0+s-1)/s)
			t.cols = append(t.cols, struct{ ix0, n, at int }{ix0, n, px*plane + (ix0+g.Pad)/s})
			if s == 2 && ix0 == 0 {
				t.even = px
			}
		}
	}
	t.groups = (o + 7) / 8
	t.wq = make([]float32, t.groups*g.C*g.K*g.K*8)
	t.bias = make([]float32, o)
	return t
}

// buffers allocates worker's planes (once); the padding stays zero.
func (t *tapConv) buffers(worker int) {
	for len(t.xp) <= worker {
		t.xp = append(t.xp, nil)
		t.acc = append(t.acc, nil)
	}
	if t.xp[worker] == nil {
		t.xp[worker] = make([]float32, t.planeLen())
		t.acc[worker] = make([]float32, t.accLen())
	}
}

// planeLen is the floats of an image's planes, with the slack the kernel
// reads past them; accLen is the floats of eight channels' outputs.
func (t *tapConv) planeLen() int {
	top := 0
	for _, off := range t.taps {
		top = max(top, off)
	}
	return t.g.C*t.cs + top + t.span
}
func (t *tapConv) accLen() int { return 8 * t.span }

// filters regroups w [O,C,K,K] for the kernel, per group of eight output
// channels, input channel and tap: the group's eight weights (zeros past
// O); and keeps the bias (nil: none).
func (t *tapConv) filters(w, bias []float32) {
	clear(t.wq)
	kk, c := t.g.K*t.g.K, t.g.C
	for o := 0; o < t.o; o++ {
		grp := t.wq[(o/8)*c*kk*8:]
		for ch := 0; ch < c; ch++ {
			for k := 0; k < kk; k++ {
				grp[(ch*kk+k)*8+o%8] = w[(o*c+ch)*kk+k]
			}
		}
	}
	if bias == nil {
		clear(t.bias)
	} else {
		copy(t.bias, bias)
	}
}

// pack copies one image x [C,H,W] into phase planes xp (planeLen
// floats, zero where nothing is written: the padding). Only the phases
// some tap reads are written (a 1×1 conv of stride 2 reads one of four).
func (t *tapConv) pack(xp, x []float32) {
	g, s := t.g, max(t.g.Stride, 1)
	hw := g.H * g.W
	for ch := 0; ch < g.C; ch++ {
		src := x[ch*hw : (ch+1)*hw]
		if s == 1 {
			simd.CopyRows(xp[ch*t.cs+g.Pad*t.pw+g.Pad:], t.pw, src, g.W, g.H, g.W)
			continue
		}
		if s == 2 && t.even >= 0 {
			// rows of each parity into their phase row, split by column
			for iy0 := 0; iy0 < 2 && iy0 < g.H; iy0++ {
				at := ch*t.cs + t.rowAt[iy0]
				simd.Split2(xp[at+t.cols[t.even].at:], xp[at+t.cols[1-t.even].at:], t.pw, src[iy0*g.W:], 2*g.W, (g.H-iy0+1)/2, g.W)
			}
			continue
		}
		for iy, ro := range t.rowAt {
			row := src[iy*g.W : (iy+1)*g.W]
			for px, cs := range t.cols {
				if !t.used[t.rowPhase[iy]+px] || cs.n == 0 {
					continue
				}
				dst := xp[ch*t.cs+ro+cs.at:][:cs.n]
				from := row[cs.ix0:]
				_ = from[(cs.n-1)*s]
				for q := range dst {
					dst[q] = from[q*s]
				}
			}
		}
	}
}

// forward convolves one image x [C,H,W] into y [O,OH,OW] on worker's
// buffers: the bias, then res (of y's shape, or nil) added, then ReLU if
// asked.
func (t *tapConv) forward(worker int, x, y, res []float32, relu bool) {
	t.forwardOn(t.xp[worker], t.acc[worker], x, y, res, relu)
}

// forwardOn is forward on the given planes (planeLen floats whose padding
// is zero, as pack leaves it for any conv of the same Window) and
// outputs (accLen floats).
func (t *tapConv) forwardOn(xp, acc, x, y, res []float32, relu bool) {
	t.pack(xp, x)
	t.convolve(xp, t.cs, acc, y, res, relu)
}

// convolve is forwardOn on planes packed already, cstride floats apart
// (each with the padding, layout and slack pack gives them).
func (t *tapConv) convolve(xp []float32, cstride int, acc, y, res []float32, relu bool) {
	ohw, per := t.oh*t.ow, t.g.C*t.g.K*t.g.K*8
	for grp := 0; grp < t.groups; grp++ {
		simd.ConvTaps(acc, t.span, xp, cstride, t.g.C, t.taps, t.wq[grp*per:(grp+1)*per], t.n)
		for j := 0; j < 8 && grp*8+j < t.o; j++ {
			o := grp*8 + j
			var r []float32
			if res != nil {
				r = res[o*ohw : (o+1)*ohw]
			}
			simd.TapsOut(y[o*ohw:(o+1)*ohw], acc[j*t.span:], t.oh, t.ow, t.pw, t.bias[o], r, relu)
		}
	}
}
