package ops

import "github.com/basin-dev/basin/core/simd"

// Direct 3×3 convolution, for layers with too few input channels for
// Winograd (a network's first layer on grey images): no unfolding and no
// packing. Each input channel is copied once into a zero-padded plane;
// then a group of output channels is computed straight into the output,
// the bias and ReLU added before the store. With AVX-512, a group is eight
// channels and one call covers 16 columns of every output row
// (simd.Conv3x3Rows); else four channels, one row at a time
// (simd.Conv3x3). A row whose width is not a multiple of 16 is done as
// its whole 16s and its last 16 (the overlap is computed twice,
// identically).
type direct struct {
	c, h, w, o, pad int
	oh, ow, xw      int // output size, padded row width
	plane           int // floats per padded input plane, with slack
	group           int // output channels a kernel call computes
	opad            int // O rounded up to the group
	wq, bias, zero  []float32
	xp, part        [][]float32 // per worker: padded planes, a last partial group
}

func newDirect(c, h, w, o, pad int) *direct {
	d := &direct{c: c, h: h, w: w, o: o, pad: pad, group: 4}
	if simd.HasConvRows && w+2*pad-2 >= 16 {
		d.group = 8
	}
	d.oh, d.ow, d.xw = h+2*pad-2, w+2*pad-2, w+2*pad
	d.plane = (h+2*pad)*d.xw + 18 // the kernels read 2·xw + 18 past a row's start
	d.opad = (o + d.group - 1) / d.group * d.group
	d.wq = make([]float32, d.opad*c*9)
	d.bias, d.zero = make([]float32, d.opad), make([]float32, d.opad)
	return d
}

// buffers allocates worker's planes (once).
func (d *direct) buffers(worker int) {
	for len(d.xp) <= worker {
		d.xp = append(d.xp, nil)
		d.part = append(d.part, nil)
	}
	if d.xp[worker] == nil {
		d.xp[worker] = make([]float32, d.c*d.plane)
		d.part[worker] = make([]float32, d.group*d.oh*d.ow+16)
	}
}

// filters regroups w [O,C,3,3] for the kernels — per group of output
// channels and input channel, the group's filters' nine taps (zeros past
// O) — and keeps the bias.
func (d *direct) filters(w, bias []float32) {
	clear(d.wq)
	gs := d.group
	for o := 0; o < d.o; o++ {
		for c := 0; c < d.c; c++ {
			copy(d.wq[((o/gs)*d.c+c)*9*gs+(o%gs)*9:][:9], w[(o*d.c+c)*9:(o*d.c+c+1)*9])
		}
	}
	copy(d.bias, bias)
}

// forward convolves one image x [C,H,W] into y [O,OH,OW], adding the
// bias (unless noBias) and applying ReLU when asked. filters must have
// been called with the current values.
func (d *direct) forward(worker int, x, y []float32, noBias, relu bool) {
	xp := d.xp[worker]
	hw, ohw, gs := d.h*d.w, d.oh*d.ow, d.group
	for c := 0; c < d.c; c++ {
		p := xp[c*d.plane : (c+1)*d.plane]
		for iy := 0; iy < d.h; iy++ { // the padding stays zero from allocation
			copy(p[(iy+d.pad)*d.xw+d.pad:][:d.w], x[c*hw+iy*d.w:][:d.w])
		}
	}
	bias := d.bias
	if noBias {
		bias = d.zero
	}
	for g := 0; g < d.opad/gs; g++ {
		out := y[min(gs*g*ohw, len(y)):]
		if gs*g+gs > d.o { // the last group is partial: compute it aside
			out = d.part[worker]
		}
		w, b := d.wq[g*d.c*9*gs:(g+1)*d.c*9*gs], bias[gs*g:gs*g+gs]
		if gs == 8 {
			for s := 0; s < d.ow; s += 16 {
				s = min(s, d.ow-16)
				simd.Conv3x3Rows(out[s:], ohw, d.ow, xp[s:], d.xw, d.plane, d.c, w, b, d.oh, relu)
			}
		} else {
			d.rows4(out, xp, w, b, relu)
		}
		if gs*g+gs > d.o {
			copy(y[gs*g*ohw:d.o*ohw], out)
		}
	}
}

// rows4 computes a group of four channels row by row.
func (d *direct) rows4(out, xp, w, b []float32, relu bool) {
	ohw := d.oh * d.ow
	for oy := 0; oy < d.oh; oy++ {
		row, in := out[oy*d.ow:], xp[oy*d.xw:]
		if d.ow < 16 {
			simd.Conv3x3(row, ohw, in, d.xw, d.plane, d.c, w, b, d.ow, relu)
			continue
		}
		simd.Conv3x3(row, ohw, in, d.xw, d.plane, d.c, w, b, d.ow&^15, relu)
		if s := d.ow - 16; d.ow%16 != 0 {
			simd.Conv3x3(row[s:], ohw, in[s:], d.xw, d.plane, d.c, w, b, 16, relu)
		}
	}
}
