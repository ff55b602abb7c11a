//go:build !amd64 || purego

package simd

const hasAsm = false

func add3AVX2(dst, a, b, c *float32, n int)                             { panic("no assembly") }
func sub3AVX2(dst, a, b, c *float32, n int)                             { panic("no assembly") }
func add2AVX2(dst, a, b *float32, n int)                                { panic("no assembly") }
func sub2AVX2(dst, a, b *float32, n int)                                { panic("no assembly") }
func max4reluAVX2(dst, a, b, c, d *float32, bias float32, n int)        { panic("no assembly") }
func interleave2reluAVX2(dst, a, b *float32, bias float32, n int)       { panic("no assembly") }
func affineAVX2(dst, x *float32, m, a, s float32, n int)                { panic("no assembly") }
func affinereluAVX2(dst, x *float32, m, a, s float32, n int)            { panic("no assembly") }
func add2reluAVX2(dst, a, b *float32, n int)                            { panic("no assembly") }
func affine2AVX2(dst, gy, x *float32, p, q, m, c float32, n int)        { panic("no assembly") }
func bnsumsAVX2(out, gz, gy, x, y *float32, m float32, n int)           { panic("no assembly") }
func bnsumsreluAVX2(out, gz, gy, x, y *float32, m float32, n int)       { panic("no assembly") }
func interleave2resAVX2(dst, a, b, r *float32, bias float32, n int)     { panic("no assembly") }
func interleave2resreluAVX2(dst, a, b, r *float32, bias float32, n int) { panic("no assembly") }
func interleave2AVX2(dst, a, b *float32, bias float32, n int)           { panic("no assembly") }
func winoOutAVX2(dst, m *float32, stride, dstride int, n int)           { panic("no assembly") }
func winoOutPoolAVX2(dst, m *float32, stride int, bias float32, n int)  { panic("no assembly") }
func winoInHorizAVX2(dst, row *float32, dstride int, n int)             { panic("no assembly") }
func winoInVertAVX2(dst, r0, r1, r2, r3 *float32, dstride int, n int)   { panic("no assembly") }
func conv3AVX2(dst *float32, dstride int, x *float32, xw, plane, c int, w, bias *float32, n int) {
	panic("no assembly")
}
func conv3ReLUAVX2(dst *float32, dstride int, x *float32, xw, plane, c int, w, bias *float32, n int) {
	panic("no assembly")
}
func wino4InHorizAVX512(dst, row *float32, rstride, rows, pstride, phase, tw int, idx *int32, k *float32, n int) {
	panic("no assembly")
}
func wino4InVertAVX2(dst, src *float32, phase, tw, dstride int, k *float32, n int) {
	panic("no assembly")
}
func wino4OutPoolAVX512(q *float32, qstride int, m *float32, stride int, k *float32, n int) {
	panic("no assembly")
}
func wino4PoolRowsAVX512(dst *float32, pw int, q *float32, qstride, qrow, th int, bias float32, mask int, idx *int32) {
	panic("no assembly")
}
func conv3RowsAVX512(dst *float32, dstride, drow int, x *float32, xw, plane, c int, w, bias *float32, rows int) {
	panic("no assembly")
}
func conv3RowsReLUAVX512(dst *float32, dstride, drow int, x *float32, xw, plane, c int, w, bias *float32, rows int) {
	panic("no assembly")
}
func pool4ArgAVX512(dst *float32, arg *uint8, a, b, c, d *float32, bias float32, ks *int32, n int) {
	panic("no assembly")
}
func pool2x2ArgAVX512(dst *float32, arg *uint8, src *float32, w, pw, rows int, bias float32, mask int, idx, ks *int32) {
	panic("no assembly")
}
func sumAVX2(x *float32, n int) float32         { panic("no assembly") }
func reluMaskAVX2(dst, grad, y *float32, n int) { panic("no assembly") }
func unpoolAVX512(gz *float32, w int, gy, pooled *float32, arg *uint8, pw, rows, mask int, idx, ks *int32) {
	panic("no assembly")
}
func dot4AVX2(out, a, b0, b1, b2, b3 *float32, n int)                        { panic("no assembly") }
func transpose16AVX512(dst *float32, dstride int, src *float32, sstride int) { panic("no assembly") }
func transpose8AVX2(dst *float32, dstride int, src *float32, sstride int)    { panic("no assembly") }
func gather8RunsAVX2(out *float32, ostride int, src *float32, starts *[8]int, blocks int) {
	panic("no assembly")
}
func sparseFilterGradAVX512(dw, x *float32, c, xw int, gy, y *float32, arg *uint8, pix, aoff *int32, n int, bsum *float32) {
	panic("no assembly")
}
func sparseInputGradAVX512(dw, x *float32, c, xw int, gy, y *float32, arg *uint8, pix, aoff *int32, n int, bsum *float32) {
	panic("no assembly")
}
func sparseFilterGrad8AVX2(dw, x *float32, c, xw int, gy, y *float32, arg *uint8, pix, aoff *int32, n int, bsum *float32) {
	panic("no assembly")
}
func sparseInputGrad8AVX2(dw, x *float32, c, xw int, gy, y *float32, arg *uint8, pix, aoff *int32, n int, bsum *float32) {
	panic("no assembly")
}

func convTaps1AVX512(dst *float32, dstride int, x *float32, cstride, c int, taps *int, ntaps int, w *float32) {
	panic("no assembly")
}
func convTaps2AVX512(dst *float32, dstride int, x *float32, cstride, c int, taps *int, ntaps int, w *float32) {
	panic("no assembly")
}
func convTaps3AVX512(dst *float32, dstride int, x *float32, cstride, c int, taps *int, ntaps int, w *float32) {
	panic("no assembly")
}
func tapsOutAVX512(dst, src *float32, rows, ow, pw int, bias *float32)     { panic("no assembly") }
func tapsOutReLUAVX512(dst, src *float32, rows, ow, pw int, bias *float32) { panic("no assembly") }
func tapsOutResAVX512(dst, src *float32, rows, ow, pw int, bias, res *float32) {
	panic("no assembly")
}
func tapsOutResReLUAVX512(dst, src *float32, rows, ow, pw int, bias, res *float32) {
	panic("no assembly")
}
func copyRowsAVX512(dst *float32, ds int, src *float32, ss, rows, w int) { panic("no assembly") }
func tapsGradAVX512(out, gz *float32, gstride int, x *float32, offs *[3]int, n int) {
	panic("no assembly")
}
func shiftSumsAVX2(x *float32, n int, shift float32) (s, ss float32) { panic("no assembly") }
func split2AVX512(dst0, dst1 *float32, dstride int, src *float32, sstride, rows, mlo, mhi, m0, m1 int, idx *int32) {
	panic("no assembly")
}
func affine2maskAVX2(dst, gy, x, y *float32, p, q, m, c float32, n int) { panic("no assembly") }
func bnsumsmaskAVX2(out, gz, gy, x, y *float32, m float32, n int)       { panic("no assembly") }
