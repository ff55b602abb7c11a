package simd

import "golang.org/x/sys/cpu"

var hasFMA = cpu.X86.HasFMA

// Conv3x3 computes four output channels of a 3×3 convolution over c
// zero-padded input planes, flattened: plane ch starts at x[ch·plane] and
// its rows are xw wide. For q < n and j = 0..3,
//
//	dst[j·dstride + q] = bias[j] + Σ_ch Σ_ky,kx w[36ch + 9j + 3ky + kx]·x[ch·plane + q + ky·xw + kx]
//
// then max(·, 0) if relu. Output q stands for the pixel at row q/xw,
// column q%xw of the padded plane's top-left corner; a caller writing one
// output row at a time passes q's start in x and dst and n = the row's
// width. x must hold (c−1)·plane + n + 2·xw + 2 values.
func Conv3x3(dst []float32, dstride int, x []float32, xw, plane, c int, w, bias []float32, n int, relu bool) {
	if n == 0 || c == 0 {
		return
	}
	_ = dst[3*dstride+n-1]
	_ = x[(c-1)*plane+n+2*xw+1]
	_ = w[36*c-1]
	_ = bias[3]
	k := 0
	if useAsm && hasFMA && n >= 16 {
		k = n &^ 15
		if relu {
			conv3ReLUAVX2(&dst[0], dstride, &x[0], xw, plane, c, &w[0], &bias[0], k)
		} else {
			conv3AVX2(&dst[0], dstride, &x[0], xw, plane, c, &w[0], &bias[0], k)
		}
	}
	for j := 0; j < 4; j++ {
		out := dst[j*dstride : j*dstride+n]
		for q := k; q < n; q++ {
			s := bias[j]
			for ch := 0; ch < c; ch++ {
				f := w[36*ch+9*j : 36*ch+9*j+9]
				for ky := 0; ky < 3; ky++ {
					r := x[ch*plane+q+ky*xw:][:3]
					s += f[3*ky]*r[0] + f[3*ky+1]*r[1] + f[3*ky+2]*r[2]
				}
			}
			if relu {
				s = max(s, 0)
			}
			out[q] = s
		}
	}
}

// HasConvRows reports whether Conv3x3Rows can run here (AVX-512).
var HasConvRows = hasAVX512 && hasFMA

// Conv3x3Rows computes eight output channels of a 3×3 convolution, 16
// columns of rows output rows, over c zero-padded input planes (plane
// floats apart, rows xw wide): for row r, column q < 16 and j = 0..7,
//
//	dst[j·dstride + r·drow + q] = bias[j] + Σ_ch Σ_ky,kx w[72ch + 9j + 3ky + kx]·x[ch·plane + (r+ky)·xw + q + kx]
//
// then max(·, 0) if relu. Only when HasConvRows.
func Conv3x3Rows(dst []float32, dstride, drow int, x []float32, xw, plane, c int, w, bias []float32, rows int, relu bool) {
	if rows == 0 || c == 0 {
		return
	}
	_ = dst[7*dstride+(rows-1)*drow+15]
	_ = x[(c-1)*plane+(rows+1)*xw+17]
	_ = w[72*c-1]
	_ = bias[7]
	if relu {
		conv3RowsReLUAVX512(&dst[0], dstride, drow, &x[0], xw, plane, c, &w[0], &bias[0], rows)
	} else {
		conv3RowsAVX512(&dst[0], dstride, drow, &x[0], xw, plane, c, &w[0], &bias[0], rows)
	}
}

// HasConvTaps reports whether ConvTaps runs as a vector kernel here
// (AVX-512); elsewhere it is a plain loop.
var HasConvTaps = hasAVX512 && hasFMA

// ConvTaps computes eight output channels of a convolution given as a
// list of taps, at n consecutive positions of flattened input planes:
// for v < n and j = 0..7,
//
//	dst[j·dstride + v] = Σ_ch<c Σ_t w[8(ch·len(taps) + t) + j]·x[ch·cstride + taps[t] + v]
//
// A tap is an offset into a channel's planes, so one kernel serves any
// kernel size, stride (taps into a strided input's phase planes) and
// dilation. x must hold (c−1)·cstride + max(taps) + n values rounded up
// to 16; the outputs past n up to the next multiple of 16 are written
// too (dst's rows must have room).
func ConvTaps(dst []float32, dstride int, x []float32, cstride, c int, taps []int, w []float32, n int) {
	if n <= 0 || c == 0 || len(taps) == 0 {
		return
	}
	nt, span := len(taps), (n+15)&^15
	top := 0
	for _, t := range taps {
		if t < 0 {
			panic("simd.ConvTaps: negative tap")
		}
		top = max(top, t)
	}
	_ = dst[7*dstride+span-1]
	_ = x[(c-1)*cstride+top+span-1]
	_ = w[8*c*nt-1]
	if HasConvTaps {
		// Three vectors a call; four left go as two and two, as a call of
		// one has too few sums in flight to keep the multipliers busy.
		for v := 0; v < span; {
			switch rest := (span - v) / 16; {
			case rest == 1:
				convTaps1AVX512(&dst[v], dstride, &x[v], cstride, c, &taps[0], nt, &w[0])
				v += 16
			case rest == 2 || rest == 4:
				convTaps2AVX512(&dst[v], dstride, &x[v], cstride, c, &taps[0], nt, &w[0])
				v += 32
			default:
				convTaps3AVX512(&dst[v], dstride, &x[v], cstride, c, &taps[0], nt, &w[0])
				v += 48
			}
		}
		return
	}
	for j := 0; j < 8; j++ {
		out := dst[j*dstride : j*dstride+span]
		clear(out)
		for ch := 0; ch < c; ch++ {
			for t, off := range taps {
				wv := w[8*(ch*nt+t)+j]
				in := x[ch*cstride+off:][:span]
				for v := range out {
					out[v] += wv * in[v]
				}
			}
		}
	}
}

// TapsOut copies rows of ConvTaps' flattened output into an image's
// rows: for r < rows and q < ow,
//
//	dst[r·ow + q] = src[r·pw + q] + bias (+ res[r·ow + q] if res is not nil)
//
// then max(·, 0) if relu (a NaN stays NaN).
func TapsOut(dst, src []float32, rows, ow, pw int, bias float32, res []float32, relu bool) {
	if rows <= 0 || ow <= 0 {
		return
	}
	_ = dst[rows*ow-1]
	_ = src[(rows-1)*pw+ow-1]
	if res != nil {
		_ = res[rows*ow-1]
	}
	if HasConvTaps {
		switch {
		case res != nil && relu:
			tapsOutResReLUAVX512(&dst[0], &src[0], rows, ow, pw, &bias, &res[0])
		case res != nil:
			tapsOutResAVX512(&dst[0], &src[0], rows, ow, pw, &bias, &res[0])
		case relu:
			tapsOutReLUAVX512(&dst[0], &src[0], rows, ow, pw, &bias)
		default:
			tapsOutAVX512(&dst[0], &src[0], rows, ow, pw, &bias)
		}
		return
	}
	for r := 0; r < rows; r++ {
		s, d := src[r*pw:][:ow], dst[r*ow:][:ow]
		for q, v := range s {
			v += bias
			if res != nil {
				v += res[r*ow+q]
			}
			if relu && !(v >= 0) && v == v {
				v = 0
			}
			d[q] = v
		}
	}
}

// CopyRows copies rows of w floats, ss apart in src, to ds apart in dst:
// dst[r·ds + q] = src[r·ss + q] for r < rows, q < w (one call for what
// would be a copy a row).
func CopyRows(dst []float32, ds int, src []float32, ss, rows, w int) {
	if rows <= 0 || w <= 0 {
		return
	}
	_ = dst[(rows-1)*ds+w-1]
	_ = src[(rows-1)*ss+w-1]
	if HasConvTaps {
		copyRowsAVX512(&dst[0], ds, &src[0], ss, rows, w)
		return
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*ds:][:w], src[r*ss:][:w])
	}
}

// TapsGrad adds the lane-wise partial products of a tap convolution's
// filter gradient, for eight output channels and three taps, over n
// blocks of 16 positions: for k < 3, j < 8 and lane < 16,
//
//	out[(k·8 + j)·16 + lane] += Σ_b<n gz[j·gstride + 16b + lane]·x[offs[k] + 16b + lane]
//
// The filter gradient of tap k and output channel j is then the sum of
// its 16 lanes.
func TapsGrad(out, gz []float32, gstride int, x []float32, offs *[3]int, n int) {
	if n <= 0 {
		return
	}
	_ = out[3*8*16-1]
	_ = gz[7*gstride+16*n-1]
	for _, o := range offs {
		_ = x[o+16*n-1]
		if o < 0 {
			panic("simd.TapsGrad: negative offset")
		}
	}
	if HasConvTaps {
		tapsGradAVX512(&out[0], &gz[0], gstride, &x[0], offs, n)
		return
	}
	for k, o := range offs {
		for j := 0; j < 8; j++ {
			acc := out[(k*8+j)*16:][:16]
			g, xs := gz[j*gstride:][:16*n], x[o:][:16*n]
			for b := 0; b < n; b++ {
				for l := range acc {
					acc[l] += g[16*b+l] * xs[16*b+l]
				}
			}
		}
	}
}

// split2Index: the even lanes, then the odd lanes, of two vectors.
var split2Index = func() (idx [32]int32) {
	for i := range 16 {
		idx[i], idx[16+i] = int32(2*i), int32(2*i+1)
	}
	return idx
}()

// Split2 splits rows of w floats (sstride apart in src) into their even
// and odd columns: dst0[r·dstride + i] = src[r·sstride + 2i] for i <
// ⌈w/2⌉ and dst1[r·dstride + i] = src[r·sstride + 2i + 1] for i < ⌊w/2⌋:
// a stride-2 tap convolution's phase planes.
func Split2(dst0, dst1 []float32, dstride int, src []float32, sstride, rows, w int) {
	if rows <= 0 || w <= 0 {
		return
	}
	n0, n1 := (w+1)/2, w/2
	if n1 == 0 {
		dst1 = dst0 // nothing is stored there
	}
	_ = dst0[(rows-1)*dstride+n0-1]
	if n1 > 0 {
		_ = dst1[(rows-1)*dstride+n1-1]
	}
	_ = src[(rows-1)*sstride+w-1]
	if HasConvTaps && w <= 32 {
		lo, hi := min(w, 16), max(w-16, 0)
		split2AVX512(&dst0[0], &dst1[0], dstride, &src[0], sstride, rows, 1<<lo-1, 1<<hi-1, 1<<n0-1, 1<<n1-1, &split2Index[0])
		return
	}
	for r := 0; r < rows; r++ {
		row := src[r*sstride:][:w]
		for i := 0; i < n0; i++ {
			dst0[r*dstride+i] = row[2*i]
		}
		for i := 0; i < n1; i++ {
			dst1[r*dstride+i] = row[2*i+1]
		}
	}
}
