package simd

// The Winograd F(4×4, 3×3) transforms (Lavin & Gray 2016, points 0, ±1,
// ±2): a 6×6 input tile d becomes V = Bᵀ d B, a 3×3 filter g becomes
// U = G g Gᵀ, and the 36 products M = U ⊙ V (summed over channels) give
// the 4×4 output tile Aᵀ M A. They exist in assembly only (AVX-512 and
// FMA): HasWino4 says whether this machine runs them; without them basin
// uses F(2×2, 3×3).

// HasWino4 reports whether the F(4×4, 3×3) kernels can run here.
var HasWino4 = hasAVX512 && hasFMA

// wino4K are the transforms' constants, broadcast by the kernels.
var wino4K = [4]float32{2, 4, 5, 8}

// wino4Idx holds the permutations: rows 0-3 pick lanes 4t+j (t < 8) of
// two vectors (a row's 32 values split by tile offset j), row 4
// interleaves the low eight lanes of two vectors.
var wino4Idx = func() (p [5][16]int32) {
	for j := 0; j < 4; j++ {
		for t := 0; t < 8; t++ {
			p[j][t] = int32(4*t + j)
		}
	}
	for t := 0; t < 8; t++ {
		p[4][2*t], p[4][2*t+1] = int32(t), int32(16+t)
	}
	return
}()

// Wino4InHoriz computes the horizontal input transform of rows input
// rows (row y at x[y·rstride]), n tiles each: tile t reads row[4t ..
// 4t+5], and part i of Bᵀd goes to h[i·pstride + (y mod 4)·phase +
// (y/4)·tw + t]. The kernel runs n rounded up to 8 (n8) tiles a row,
// reading 4·n8 + 4 values of each row and writing n8 values a part;
// phase must leave room for that. Only when HasWino4.
func Wino4InHoriz(h []float32, pstride, phase, tw int, x []float32, rstride, rows, n int) {
	if n == 0 || rows == 0 {
		return
	}
	n8 := (n + 7) &^ 7
	last := (rows - 1) / 4 * tw // the last index's offset in a phase
	if phase < last+n8 || pstride < 4*phase {
		panic("simd: Wino4InHoriz phases or parts overlap")
	}
	_ = x[(rows-1)*rstride+4*n8+3]
	_ = h[5*pstride+3*phase+last+n8-1]
	wino4InHorizAVX512(&h[0], &x[0], rstride, rows, pstride, phase, tw, &wino4Idx[0][0], &wino4K[0], n8)
}

// Wino4InVert computes the vertical input transform Bᵀ of six rows of n
// values into dst[i·dstride + t], i = 0..5: rows 0..3 are src[j·phase:]
// and rows 4, 5 src[tw:] and src[phase+tw:] (a tile row's input rows,
// as Wino4InHoriz lays them out). Only when HasWino4.
func Wino4InVert(dst []float32, dstride int, src []float32, phase, tw, n int) {
	if n == 0 {
		return
	}
	_ = dst[5*dstride+n-1]
	_ = src[max(3*phase, phase+tw)+n-1]
	if n < 8 {
		wino4InVertGo(dst, dstride, src, phase, tw, n)
		return
	}
	run := func(off, k int) {
		wino4InVertAVX2(&dst[off], &src[off], phase, tw, dstride, &wino4K[0], k)
	}
	run(0, n&^7)
	if n%8 != 0 { // the last eight again, overlapping: same values
		run(n-8, 8)
	}
}

func wino4InVertGo(dst []float32, dstride int, src []float32, phase, tw, n int) {
	for t := 0; t < n; t++ {
		d0, d1, d2, d3 := src[t], src[phase+t], src[2*phase+t], src[3*phase+t]
		d4, d5 := src[tw+t], src[phase+tw+t]
		dst[t] = 4*d0 - 5*d2 + d4
		dst[dstride+t] = d3 + d4 - 4*(d1+d2)
		dst[2*dstride+t] = d4 - d3 + 4*(d1-d2)
		dst[3*dstride+t] = 2*(d3-d1) + d4 - d2
		dst[4*dstride+t] = 2*(d1-d3) + d4 - d2
		dst[5*dstride+t] = 4*d1 - 5*d3 + d5
	}
}

// Wino4OutPool computes Y = Aᵀ M A for n tiles from the 36 product rows
// m[ξ·stride + t] and max-pools each 4×4 tile's four 2×2 windows: window
// (a, b) of tile t goes to q[(2a+b)·qstride + t]. It runs n rounded up to
// 16 tiles (garbage past n): q's rows and m must have that room
// (qstride ≥ n16, m 35·stride + n16 values). Only when HasWino4.
func Wino4OutPool(q []float32, qstride int, m []float32, stride, n int) {
	if n == 0 {
		return
	}
	n16 := (n + 15) &^ 15
	_ = m[35*stride+n16-1]
	_ = q[3*qstride+n16-1]
	if qstride < n16 {
		panic("simd: Wino4OutPool rows overlap")
	}
	wino4OutPoolAVX512(&q[0], qstride, &m[0], stride, &wino4K[0], n16)
}

// Wino4PoolRows writes one pooled channel plane from Wino4OutPool's window
// rows: th rows of tw ≤ 8 tiles, qrow apart, from q[0]. Pooled row
// 2ty + a, pw floats apart in dst, gets windows (a, 0) and (a, 1) of the
// row's tiles interleaved, plus bias, through ReLU. The kernel reads 16
// values of each window row from each tile row's start. Only when
// HasWino4.
func Wino4PoolRows(dst []float32, pw int, q []float32, qstride, qrow, tw, th int, bias float32) {
	if tw == 0 || th == 0 {
		return
	}
	if tw > 8 {
		panic("simd: Wino4PoolRows takes at most 8 tiles a row")
	}
	_ = dst[(2*th-1)*pw+2*tw-1]
	_ = q[3*qstride+(th-1)*qrow+15]
	wino4PoolRowsAVX512(&dst[0], pw, &q[0], qstride, qrow, th, bias, 1<<(2*tw)-1, &wino4Idx[0][0])
}
