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
