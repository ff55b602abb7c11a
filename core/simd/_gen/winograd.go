package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// rowsAt returns a function giving row r (0..15) of a Winograd product
// block: rows 4i+j are at base_j + i*4*stride, with base_j = m + j*stride.
func rowsAt(m, stride reg.Register) func(r int) Mem {
	p := []reg.Register{m, GP64(), GP64(), GP64()}
	for j := 1; j < 4; j++ {
		MOVQ(p[j-1], p[j])
		ADDQ(stride, p[j])
	}
	s4, s8, s12 := GP64(), GP64(), GP64()
	MOVQ(stride, s4)
	SHLQ(U8(2), s4)
	MOVQ(s4, s8)
	ADDQ(s4, s8)
	MOVQ(s8, s12)
	ADDQ(s4, s12)
	idx := []reg.Register{nil, s4, s8, s12}
	rows := func(r int) Mem {
		m := Mem{Base: p[r%4]}
		if i := r / 4; i > 0 {
			m.Index, m.Scale = idx[i], 1
		}
		return m
	}
	// The loop advances the four bases.
	advance = func() {
		for _, b := range p {
			ADDQ(U8(32), b)
		}
	}
	return rows
}

var advance func()

// winoOut: the output transform of 8 tiles at a time from the 16 product
// rows (m, stride in bytes): q = Aᵀ M A. With pool it stores
// max(0, max(q)+bias) to dst; else the 4 outputs to q0..q3 (dst, dst+n2,
// dst+2·n2, dst+3·n2, n2 in bytes).
func winoOut(pool bool) {
	name, sig := "winoOutPoolAVX2", "func(dst, m *float32, stride int, bias float32, n int)"
	if !pool {
		name, sig = "winoOutAVX2", "func(dst, m *float32, stride, dstride int, n int)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape") // the kernels keep no pointer
	dst, m := Load(Param("dst"), GP64()), Load(Param("m"), GP64())
	stride := Load(Param("stride"), GP64())
	var bias, zero reg.VecVirtual
	var dstride reg.Register
	if pool {
		bias, zero = YMM(), YMM()
		VBROADCASTSS(Load(Param("bias"), XMM()), bias)
		VXORPS(zero, zero, zero)
	} else {
		dstride = Load(Param("dstride"), GP64())
	}
	n := Load(Param("n"), GP64())
	row := rowsAt(m, stride)
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	var s [8]reg.VecVirtual
	for j := 0; j < 4; j++ {
		a, b, c := YMM(), YMM(), YMM()
		VMOVUPS(row(j), a)
		VMOVUPS(row(4+j), b)
		VMOVUPS(row(8+j), c)
		s[j], s[4+j] = YMM(), YMM()
		VADDPS(b, a, s[j])
		VADDPS(c, s[j], s[j]) // a+b+c
		VSUBPS(c, b, s[4+j])
		VSUBPS(row(12+j), s[4+j], s[4+j]) // b−c−d
	}
	q := [4]reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	VADDPS(s[1], s[0], q[0])
	VADDPS(s[2], q[0], q[0])
	VSUBPS(s[2], s[1], q[1])
	VSUBPS(s[3], q[1], q[1])
	VADDPS(s[5], s[4], q[2])
	VADDPS(s[6], q[2], q[2])
	VSUBPS(s[6], s[5], q[3])
	VSUBPS(s[7], q[3], q[3])
	if pool {
		VMAXPS(q[1], q[0], q[0])
		VMAXPS(q[3], q[2], q[2])
		VMAXPS(q[2], q[0], q[0])
		VADDPS(bias, q[0], q[0])
		VMAXPS(q[0], zero, q[0])
		VMOVUPS(q[0], Mem{Base: dst})
	} else {
		store4(q, dst, dstride)
	}
	ADDQ(U8(32), dst)
	advance()
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// winoInHoriz: the horizontal input transform of 8 tiles from a padded
// row: with e[t] = row[2t], o[t] = row[2t+1], it stores h0 = e[t]−e[t+1],
// h1 = o[t]+e[t+1], h2 = e[t+1]−o[t], h3 = o[t]−o[t+1] at dst + i·dstride.
func winoInHoriz() {
	TEXT("winoInHorizAVX2", NOSPLIT, "func(dst, row *float32, dstride int, n int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, row := Load(Param("dst"), GP64()), Load(Param("row"), GP64())
	dstride := Load(Param("dstride"), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	// split loads 16 floats at off and returns their even and odd halves.
	split := func(off int) (reg.VecVirtual, reg.VecVirtual) {
		x0, x1, e, o := YMM(), YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: row, Disp: off}, x0)
		VMOVUPS(Mem{Base: row, Disp: off + 32}, x1)
		VSHUFPS(U8(0x88), x1, x0, e) // [r0 r2 r8 r10 | r4 r6 r12 r14]
		VSHUFPS(U8(0xDD), x1, x0, o)
		VPERMPD(U8(0xD8), e, e) // → r0 r2 r4 … r14
		VPERMPD(U8(0xD8), o, o)
		return e, o
	}
	e0, o0 := split(0)
	e1, o1 := split(8) // shifted by one tile
	h := [4]reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	VSUBPS(e1, e0, h[0])
	VADDPS(e1, o0, h[1])
	VSUBPS(o0, e1, h[2])
	VSUBPS(o1, o0, h[3])
	store4(h, dst, dstride)
	ADDQ(U8(32), dst)
	ADDQ(U8(64), row)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// winoInVert: the vertical input transform: from rows r0..r3 it stores
// r0−r2, r1+r2, r2−r1, r1−r3 at dst + i·dstride.
func winoInVert() {
	TEXT("winoInVertAVX2", NOSPLIT, "func(dst, r0, r1, r2, r3 *float32, dstride int, n int)")
	Pragma("noescape") // the kernels keep no pointer
	dst := Load(Param("dst"), GP64())
	rp := [4]reg.Register{Load(Param("r0"), GP64()), Load(Param("r1"), GP64()), Load(Param("r2"), GP64()), Load(Param("r3"), GP64())}
	dstride := Load(Param("dstride"), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	rr := [4]reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for i := 0; i < 4; i++ {
		VMOVUPS(Mem{Base: rp[i]}, rr[i])
	}
	v := [4]reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	VSUBPS(rr[2], rr[0], v[0])
	VADDPS(rr[2], rr[1], v[1])
	VSUBPS(rr[1], rr[2], v[2])
	VSUBPS(rr[3], rr[1], v[3])
	store4(v, dst, dstride)
	ADDQ(U8(32), dst)
	for i := 0; i < 4; i++ {
		ADDQ(U8(32), rp[i])
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
