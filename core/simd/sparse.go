package simd

// Transpose sets dst[j·dstride + i] = src[i·sstride + j] for i < rows,
// j < cols: 16×16 blocks in AVX-512 where they fit, the edges in Go.
func Transpose(dst []float32, dstride int, src []float32, sstride, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	_ = src[(rows-1)*sstride+cols-1]
	_ = dst[(cols-1)*dstride+rows-1]
	r16, c16 := 0, 0
	if HasSparseGrad {
		r16, c16 = rows&^15, cols&^15
		for i := 0; i < r16; i += 16 {
			for j := 0; j < c16; j += 16 {
				transpose16AVX512(&dst[j*dstride+i], dstride, &src[i*sstride+j], sstride)
			}
		}
	}
	if r16 == 0 && rows <= 16 { // a few rows: 8×8 blocks (AVX2), then dst's rows in order
		r8, c8 := 0, 0
		if useAsm {
			r8, c8 = rows&^7, cols&^7
			for i := 0; i < r8; i += 8 {
				for j := 0; j < c8; j += 8 {
					transpose8AVX2(&dst[j*dstride+i], dstride, &src[i*sstride+j], sstride)
				}
			}
		}
		for j := 0; j < cols; j++ {
			i0 := 0
			if j < c8 {
				i0 = r8
			}
			d := dst[j*dstride:][:rows]
			for i := i0; i < rows; i++ {
				d[i] = src[i*sstride+j]
			}
		}
		return
	}
	for i := 0; i < rows; i++ {
		j0 := 0
		if i < r16 {
			j0 = c16
		}
		for j := j0; j < cols; j++ {
			dst[j*dstride+i] = src[i*sstride+j]
		}
	}
}

// Gather8Runs interleaves eight runs of n floats at any offsets of src:
// out[p·ostride + i] = src[start[i] + p] for i < 8, p < n. Whole blocks
// of eight are transposed in AVX2 registers; the rest go one by one.
func Gather8Runs(out []float32, ostride int, src []float32, start *[8]int, n int) {
	if n == 0 {
		return
	}
	var r [8][]float32
	for i := range r {
		r[i] = src[start[i]:][:n]
	}
	_ = out[(n-1)*ostride+7]
	p0 := 0
	if blocks := n / 8; useAsm && blocks > 0 {
		gather8RunsAVX2(&out[0], ostride, &src[0], start, blocks)
		p0 = 8 * blocks
	}
	for p := p0; p < n; p++ {
		o := (*[8]float32)(out[p*ostride:])
		o[0], o[1], o[2], o[3] = r[0][p], r[1][p], r[2][p], r[3][p]
		o[4], o[5], o[6], o[7] = r[4][p], r[5][p], r[6][p], r[7][p]
	}
}

// HasSparseGrad reports whether the sparse backward kernels run here
// (AVX-512).
var HasSparseGrad = useAsm && hasFMA && hasPoolArg

// Windows lists the pooling windows of one output channel for the sparse
// backward pass: window k's gradient GY[k] goes to output pixel Pix[k] +
// AOff[Arg[k]] when Y[k] (its pooled output) is positive. Pixels are
// numbered over planes XW wide.
type Windows struct {
	GY, Y []float32
	Arg   []uint8
	Pix   []int32
	AOff  *[4]int32
	XW    int
}

// check panics unless the kernels' reads and writes of lanes channels
// stay inside taps (a channel's nine tap vectors, c apart) and pixels
// (c-channel pixels up to the windows' reach); it reports the window
// count.
func (w *Windows) check(taps, pixels []float32, c, lanes int) int {
	n := len(w.Pix)
	if n == 0 {
		return 0
	}
	_, _, _ = w.GY[n-1], w.Y[n-1], w.Arg[n-1]
	_ = taps[8*c+lanes-1]
	reach := int(w.Pix[n-1]+w.AOff[3]) + 2*w.XW + 3 // one past the last pixel a 3×3 tap reaches
	_ = pixels[(reach-1)*c+lanes-1]
	return n
}

// SparseFilterGrad adds the filter gradient of 16 input channels for one
// output channel: for each window with a positive output,
// dw[t·c + j] += g·x[(p + off_t)·c + j], t = 3ky + kx, off_t = ky·XW + kx,
// j < 16 (x holds pixels of c channels, channels last), and g to *bsum.
// Only when HasSparseGrad.
func SparseFilterGrad(dw, x []float32, c int, w *Windows, bsum *float32) {
	if n := w.check(dw, x, c, 16); n > 0 {
		sparseFilterGradAVX512(&dw[0], &x[0], c, w.XW, &w.GY[0], &w.Y[0], &w.Arg[0], &w.Pix[0], &w.AOff[0], n, bsum)
	}
}

// SparseInputGrad adds the input gradient of 16 input channels for one
// output channel: for each window with a positive output,
// gx[(p + off_t)·c + j] += g·wt[t·c + j] (wt: the channel's filter taps,
// channels last). Only when HasSparseGrad.
func SparseInputGrad(gx, wt []float32, c int, w *Windows) {
	if n := w.check(wt, gx, c, 16); n > 0 {
		var unused float32 // the kernel's bias sum, for the filter gradient only
		sparseInputGradAVX512(&wt[0], &gx[0], c, w.XW, &w.GY[0], &w.Y[0], &w.Arg[0], &w.Pix[0], &w.AOff[0], n, &unused)
	}
}

// SparseFilterGrad8 and SparseInputGrad8 are SparseFilterGrad and
// SparseInputGrad on 8 channels (AVX2 registers), for layers of 8
// channels, which 16 would pad with zeros. Only when HasSparseGrad.
func SparseFilterGrad8(dw, x []float32, c int, w *Windows, bsum *float32) {
	if n := w.check(dw, x, c, 8); n > 0 {
		sparseFilterGrad8AVX2(&dw[0], &x[0], c, w.XW, &w.GY[0], &w.Y[0], &w.Arg[0], &w.Pix[0], &w.AOff[0], n, bsum)
	}
}

// SparseInputGrad8: see SparseFilterGrad8.
func SparseInputGrad8(gx, wt []float32, c int, w *Windows) {
	if n := w.check(wt, gx, c, 8); n > 0 {
		var unused float32
		sparseInputGrad8AVX2(&wt[0], &gx[0], c, w.XW, &w.GY[0], &w.Y[0], &w.Arg[0], &w.Pix[0], &w.AOff[0], n, &unused)
	}
}
