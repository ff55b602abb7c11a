// Command gen writes basin's vector kernels in Go assembly with avo:
//
//	cd core/simd/_gen && go run . -out ../simd_amd64.s -stubs ../simd_amd64.go -pkg simd
//
// By concept: element-wise kernels, sums and dot products (this file, AVX2,
// 8 floats a step); Winograd F(2×2, 3×3) transforms (winograd.go, AVX2);
// F(4×4, 3×3) transforms with fused pooling (wino4.go, AVX-512); direct
// 3×3 convolution and the tap convolution with its rows' copy-out (conv.go); pooling with argmax and its backward pass
// (pool.go, AVX-512); the sparse backward pass of pooled convolutions and
// its transposes and gathers (sparse.go, AVX-512 and AVX2). Each kernel handles whole vector
// steps; the Go wrappers in core/simd do the tails and the bounds.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	// dst = a + b + c, dst = a − b − c, dst = a + b, dst = a − b
	ternary("add3", func(a, b, c reg.VecVirtual) { VADDPS(b, a, a); VADDPS(c, a, a) })
	ternary("sub3", func(a, b, c reg.VecVirtual) { VSUBPS(b, a, a); VSUBPS(c, a, a) })
	binary("add2", func(a, b reg.VecVirtual) { VADDPS(b, a, a) })
	binary("sub2", func(a, b reg.VecVirtual) { VSUBPS(b, a, a) })
	maxRelu()
	interleave("interleave2reluAVX2", false, true)
	affine("affineAVX2", false)
	affine("affinereluAVX2", true)
	affine2(false)
	affine2(true)
	bnSums("bnsumsAVX2", false, false)
	bnSums("bnsumsreluAVX2", true, true)
	bnSums("bnsumsmaskAVX2", true, false)
	interleave("interleave2resAVX2", true, false)
	interleave("interleave2resreluAVX2", true, true)
	interleave("interleave2AVX2", false, false)
	binary("add2relu", func(a, b reg.VecVirtual) {
		zero := YMM()
		VXORPS(zero, zero, zero)
		VADDPS(b, a, a)
		VMAXPS(a, zero, a) // a NaN stays NaN
	})
	winoOut(true)
	winoOut(false)
	winoInHoriz()
	winoInVert()
	conv3(false)
	conv3(true)
	wino4InHoriz()
	wino4InVert()
	wino4OutPool()
	wino4PoolRows()
	conv3Rows(false)
	conv3Rows(true)
	for nvec := 1; nvec <= 3; nvec++ {
		convTaps(nvec)
	}
	for _, res := range []bool{false, true} {
		tapsOut(false, res)
		tapsOut(true, res)
	}
	copyRows()
	tapsGrad()
	split2()
	pool4Arg()
	pool2x2Arg()
	sum()
	shiftSums()
	reluMask()
	unpool()
	dot4()
	transpose16()
	transpose8()
	gather8Runs()
	sparseGrad(false, true)
	sparseGrad(true, true)
	sparseGrad(false, false)
	sparseGrad(true, false)
	Generate()
}

func loop(n reg.Register, ptrs []reg.Register, body func()) {
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	body()
	for _, p := range ptrs {
		ADDQ(U8(32), p)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

func ternary(name string, f func(a, b, c reg.VecVirtual)) {
	TEXT(name+"AVX2", NOSPLIT, "func(dst, a, b, c *float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, a, b, c := Load(Param("dst"), GP64()), Load(Param("a"), GP64()), Load(Param("b"), GP64()), Load(Param("c"), GP64())
	n := Load(Param("n"), GP64())
	loop(n, []reg.Register{dst, a, b, c}, func() {
		x, y, z := YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: a}, x)
		VMOVUPS(Mem{Base: b}, y)
		VMOVUPS(Mem{Base: c}, z)
		f(x, y, z)
		VMOVUPS(x, Mem{Base: dst})
	})
}

func binary(name string, f func(a, b reg.VecVirtual)) {
	TEXT(name+"AVX2", NOSPLIT, "func(dst, a, b *float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, a, b := Load(Param("dst"), GP64()), Load(Param("a"), GP64()), Load(Param("b"), GP64())
	n := Load(Param("n"), GP64())
	loop(n, []reg.Register{dst, a, b}, func() {
		x, y := YMM(), YMM()
		VMOVUPS(Mem{Base: a}, x)
		VMOVUPS(Mem{Base: b}, y)
		f(x, y)
		VMOVUPS(x, Mem{Base: dst})
	})
}

// maxRelu: dst = max(max(a, b), max(c, d)) + bias, then max(·, 0).
func maxRelu() {
	TEXT("max4reluAVX2", NOSPLIT, "func(dst, a, b, c, d *float32, bias float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, a, b := Load(Param("dst"), GP64()), Load(Param("a"), GP64()), Load(Param("b"), GP64())
	c, d := Load(Param("c"), GP64()), Load(Param("d"), GP64())
	bias := YMM()
	b32 := Load(Param("bias"), XMM())
	VBROADCASTSS(b32, bias)
	zero := YMM()
	VXORPS(zero, zero, zero)
	n := Load(Param("n"), GP64())
	loop(n, []reg.Register{dst, a, b, c, d}, func() {
		x, y := YMM(), YMM()
		VMOVUPS(Mem{Base: a}, x)
		VMAXPS(Mem{Base: b}, x, x)
		VMOVUPS(Mem{Base: c}, y)
		VMAXPS(Mem{Base: d}, y, y)
		VMAXPS(y, x, x)
		VADDPS(bias, x, x)
		VMAXPS(x, zero, x)
		VMOVUPS(x, Mem{Base: dst})
	})
}

// affine: dst = a·(x − m) + s (a batch norm's map: subtracting the mean
// first keeps activations far from zero exact), then max(·, 0) with relu
// (a NaN stays NaN).
func affine(name string, relu bool) {
	TEXT(name, NOSPLIT, "func(dst, x *float32, m, a, s float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, x := Load(Param("dst"), GP64()), Load(Param("x"), GP64())
	mv, av, sv := YMM(), YMM(), YMM()
	VBROADCASTSS(Load(Param("m"), XMM()), mv)
	VBROADCASTSS(Load(Param("a"), XMM()), av)
	VBROADCASTSS(Load(Param("s"), XMM()), sv)
	zero := YMM()
	VXORPS(zero, zero, zero)
	n := Load(Param("n"), GP64())
	loop(n, []reg.Register{dst, x}, func() {
		v := YMM()
		VMOVUPS(Mem{Base: x}, v)
		VSUBPS(mv, v, v)       // v = x − m
		VFMADD213PS(sv, av, v) // v = a·v + s
		if relu {
			VMAXPS(v, zero, v)
		}
		VMOVUPS(v, Mem{Base: dst})
	})
}

// affine2: dst = p·g + q·(x − m) + r (batch norm's input gradient).
func affine2(masked bool) {
	name, sig := "affine2AVX2", "func(dst, gy, x *float32, p, q, m, c float32, n int)"
	if masked { // g is gy where y is not ≤ 0 (the ReLU after batch norm), else 0
		name, sig = "affine2maskAVX2", "func(dst, gy, x, y *float32, p, q, m, c float32, n int)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape") // the kernels keep no pointer
	dst, g, x := Load(Param("dst"), GP64()), Load(Param("gy"), GP64()), Load(Param("x"), GP64())
	ptrs := []reg.Register{dst, g, x}
	var y reg.Register
	var zero reg.VecVirtual
	if masked {
		y = Load(Param("y"), GP64())
		ptrs = append(ptrs, y)
		zero = YMM()
		VXORPS(zero, zero, zero)
	}
	pv, qv, mv, rv := YMM(), YMM(), YMM(), YMM()
	VBROADCASTSS(Load(Param("p"), XMM()), pv)
	VBROADCASTSS(Load(Param("q"), XMM()), qv)
	VBROADCASTSS(Load(Param("m"), XMM()), mv)
	VBROADCASTSS(Load(Param("c"), XMM()), rv)
	n := Load(Param("n"), GP64())
	loop(n, ptrs, func() {
		v, w := YMM(), YMM()
		VMOVUPS(Mem{Base: x}, v)
		VSUBPS(mv, v, v)       // x − m
		VFMADD213PS(rv, qv, v) // q·(x − m) + r
		VMOVUPS(Mem{Base: g}, w)
		if masked {
			mask := YMM()
			VMOVUPS(Mem{Base: y}, mask)
			VCMPPS(U8(0x06), zero, mask, mask) // not (y ≤ 0), unordered: NaN keeps
			VANDPS(mask, w, w)
		}
		VFMADD231PS(w, pv, v) // + p·g
		VMOVUPS(v, Mem{Base: dst})
	})
}

// bnSums: out[0] = Σ g, out[1] = Σ g·(x − m), batch norm's backward sums;
// with relu g is gy where y is not ≤ 0 (a NaN y keeps it, as Go's test
// does) and 0 elsewhere, and is written to gz if store.
func bnSums(name string, relu, store bool) {
	TEXT(name, NOSPLIT, "func(out, gz, gy, x, y *float32, m float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	out, gz, gy := Load(Param("out"), GP64()), Load(Param("gz"), GP64()), Load(Param("gy"), GP64())
	x, y := Load(Param("x"), GP64()), Load(Param("y"), GP64())
	mv, zero, accS, accH := YMM(), YMM(), YMM(), YMM()
	VBROADCASTSS(Load(Param("m"), XMM()), mv)
	VXORPS(zero, zero, zero)
	VXORPS(accS, accS, accS)
	VXORPS(accH, accH, accH)
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	g, d := YMM(), YMM()
	VMOVUPS(Mem{Base: gy}, g)
	if relu {
		mask := YMM()
		VMOVUPS(Mem{Base: y}, mask)
		VCMPPS(U8(0x06), zero, mask, mask) // not (y ≤ 0), unordered: NaN keeps
		VANDPS(mask, g, g)
		if store {
			VMOVUPS(g, Mem{Base: gz})
		}
	}
	VADDPS(g, accS, accS)
	VMOVUPS(Mem{Base: x}, d)
	VSUBPS(mv, d, d)
	VFMADD231PS(g, d, accH) // accH += g·(x − m)
	for _, p := range []reg.Register{gz, gy, x, y} {
		ADDQ(U8(32), p)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	for k, acc := range []reg.VecVirtual{accS, accH} {
		VMOVSS(hsum(acc), Mem{Base: out, Disp: 4 * k})
	}
	VZEROUPPER()
	RET()
}

// interleave: dst[2i] = a[i] + bias (+ r[2i]), dst[2i+1] = b[i] + bias
// (+ r[2i+1]), then max(·, 0) with relu: a Winograd output row, with the
// residual r of a residual conv when res is set.
func interleave(name string, res, relu bool) {
	sig := "func(dst, a, b *float32, bias float32, n int)"
	if res {
		sig = "func(dst, a, b, r *float32, bias float32, n int)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape") // the kernels keep no pointer
	dst, a, b := Load(Param("dst"), GP64()), Load(Param("a"), GP64()), Load(Param("b"), GP64())
	var r reg.Register
	if res {
		r = Load(Param("r"), GP64())
	}
	bias := YMM()
	VBROADCASTSS(Load(Param("bias"), XMM()), bias)
	zero := YMM()
	VXORPS(zero, zero, zero)
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	x, y, lo, hi := YMM(), YMM(), YMM(), YMM()
	VADDPS(Mem{Base: a}, bias, x)
	VADDPS(Mem{Base: b}, bias, y)
	VUNPCKLPS(y, x, lo)
	VUNPCKHPS(y, x, hi)
	o0, o1 := YMM(), YMM()
	VPERM2F128(U8(0x20), hi, lo, o0)
	VPERM2F128(U8(0x31), hi, lo, o1)
	if res {
		VADDPS(Mem{Base: r}, o0, o0)
		VADDPS(Mem{Base: r, Disp: 32}, o1, o1)
	}
	if relu {
		VMAXPS(o0, zero, o0)
		VMAXPS(o1, zero, o1)
	}
	VMOVUPS(o0, Mem{Base: dst})
	VMOVUPS(o1, Mem{Base: dst, Disp: 32})
	ADDQ(U8(32), a)
	ADDQ(U8(32), b)
	if res {
		ADDQ(U8(64), r)
	}
	ADDQ(U8(64), dst)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// store4 writes four vectors at dst, dst+dstride, dst+2·dstride, …
func store4(vs [4]reg.VecVirtual, dst, dstride reg.Register) {
	d := GP64()
	MOVQ(dst, d)
	for i, v := range vs {
		VMOVUPS(v, Mem{Base: d})
		if i < 3 {
			ADDQ(dstride, d)
		}
	}
}

// sum: the sum of n floats (n a multiple of 32), in four accumulators.
// hsum adds the eight lanes of acc; the sum is in the low lane of the
// register it returns (acc's own low half).
func hsum(acc reg.VecVirtual) reg.Register {
	hi := XMM()
	VEXTRACTF128(U8(1), acc, hi)
	lo := acc.AsX()
	VADDPS(hi, lo, lo)
	VHADDPS(lo, lo, lo)
	VHADDPS(lo, lo, lo)
	return lo
}

func sum() {
	TEXT("sumAVX2", NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape") // the kernels keep no pointer
	x, n := Load(Param("x"), GP64()), Load(Param("n"), GP64())
	var acc [4]reg.VecVirtual
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	SHRQ(U8(5), n)
	JZ(LabelRef("done"))
	Label("loop")
	for i := range acc {
		VADDPS(Mem{Base: x, Disp: 32 * i}, acc[i], acc[i])
	}
	ADDQ(U8(128), x)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hsum(acc[0]), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// reluMask: dst[t] = g[t] where y[t] > 0, else 0, for n floats (a
// multiple of 8).
func reluMask() {
	TEXT("reluMaskAVX2", NOSPLIT, "func(dst, grad, y *float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	d, g, y, n := Load(Param("dst"), GP64()), Load(Param("grad"), GP64()), Load(Param("y"), GP64()), Load(Param("n"), GP64())
	zero := YMM()
	VXORPS(zero, zero, zero)
	loop(n, []reg.Register{d, g, y}, func() {
		m, v := YMM(), YMM()
		VCMPPS(U8(0x11), Mem{Base: y}, zero, m) // 0 < y
		VANDPS(Mem{Base: g}, m, v)
		VMOVUPS(v, Mem{Base: d})
	})
}

// dot4: the dot products of a with b0..b3 (n floats, a multiple of 8),
// into out[0..3].
func dot4() {
	TEXT("dot4AVX2", NOSPLIT, "func(out, a, b0, b1, b2, b3 *float32, n int)")
	Pragma("noescape") // the kernels keep no pointer
	out, a := Load(Param("out"), GP64()), Load(Param("a"), GP64())
	b := []reg.Register{Load(Param("b0"), GP64()), Load(Param("b1"), GP64()), Load(Param("b2"), GP64()), Load(Param("b3"), GP64())}
	n := Load(Param("n"), GP64())
	var acc [4]reg.VecVirtual
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	x := YMM()
	VMOVUPS(Mem{Base: a}, x)
	for i := range acc {
		VFMADD231PS(Mem{Base: b[i]}, x, acc[i])
	}
	for _, p := range append(b, a) {
		ADDQ(U8(32), p)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	for i := range acc {
		hi := XMM()
		VEXTRACTF128(U8(1), acc[i], hi)
		lo := acc[i].AsX()
		VADDPS(hi, lo, lo)
		VHADDPS(lo, lo, lo)
		VHADDPS(lo, lo, lo)
		MOVSS(lo, Mem{Base: out, Disp: 4 * i})
	}
	VZEROUPPER()
	RET()
}

// shiftSums: Σ(x − shift) and Σ(x − shift)² over n floats (a multiple of
// 16), two accumulators of each: batch norm's statistics in one pass.
func shiftSums() {
	TEXT("shiftSumsAVX2", NOSPLIT, "func(x *float32, n int, shift float32) (s, ss float32)")
	Pragma("noescape") // the kernels keep no pointer
	x, n := Load(Param("x"), GP64()), Load(Param("n"), GP64())
	k := Load(Param("shift"), XMM())
	shift := YMM()
	VBROADCASTSS(k, shift)
	var s, ss [2]reg.VecVirtual
	for i := range s {
		s[i], ss[i] = YMM(), YMM()
		VXORPS(s[i], s[i], s[i])
		VXORPS(ss[i], ss[i], ss[i])
	}
	SHRQ(U8(4), n)
	JZ(LabelRef("done"))
	Label("loop")
	for i := range s {
		d := YMM()
		VMOVUPS(Mem{Base: x, Disp: 32 * i}, d)
		VSUBPS(shift, d, d)
		VADDPS(d, s[i], s[i])
		VFMADD231PS(d, d, ss[i])
	}
	ADDQ(U8(64), x)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VADDPS(s[1], s[0], s[0])
	VADDPS(ss[1], ss[0], ss[0])
	Store(hsum(s[0]), ReturnIndex(0))
	Store(hsum(ss[0]), ReturnIndex(1))
	VZEROUPPER()
	RET()
}
