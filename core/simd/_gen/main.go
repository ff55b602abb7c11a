// Command gen writes basin's element-wise vector kernels in Go assembly
// (AVX2, 8 floats at a time) with avo:
//
//	cd core/simd/_gen && go run . -out ../simd_amd64.s -stubs ../simd_amd64.go -pkg simd
//
// Each kernel handles n floats, n a multiple of 8; the Go wrappers do the
// tail.
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
	interleave()
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
		VMAXPS(zero, x, x)
		VMOVUPS(x, Mem{Base: dst})
	})
}

// interleave: dst[2i] = max(a[i]+bias, 0), dst[2i+1] = max(b[i]+bias, 0).
func interleave() {
	TEXT("interleave2reluAVX2", NOSPLIT, "func(dst, a, b *float32, bias float32, n int)")
	dst, a, b := Load(Param("dst"), GP64()), Load(Param("a"), GP64()), Load(Param("b"), GP64())
	bias := YMM()
	b32 := Load(Param("bias"), XMM())
	VBROADCASTSS(b32, bias)
	zero := YMM()
	VXORPS(zero, zero, zero)
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	x, y, lo, hi := YMM(), YMM(), YMM(), YMM()
	VADDPS(Mem{Base: a}, bias, x)
	VMAXPS(zero, x, x)
	VADDPS(Mem{Base: b}, bias, y)
	VMAXPS(zero, y, y)
	VUNPCKLPS(y, x, lo)
	VUNPCKHPS(y, x, hi)
	o0, o1 := YMM(), YMM()
	VPERM2F128(U8(0x20), hi, lo, o0)
	VPERM2F128(U8(0x31), hi, lo, o1)
	VMOVUPS(o0, Mem{Base: dst})
	VMOVUPS(o1, Mem{Base: dst, Disp: 32})
	ADDQ(U8(32), a)
	ADDQ(U8(32), b)
	ADDQ(U8(64), dst)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
