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
	pool4Arg()
	pool2x2Arg()
	sum()
	reluMask()
	unpool()
	dot4()
	transpose16()
	sparseGrad(false)
	sparseGrad(true)
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
		VMAXPS(zero, q[0], q[0])
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

// conv3: four output channels of a 3×3 convolution over c flattened,
// zero-padded input planes (plane floats apart, rows xw wide):
// dst[j·dstride + q] = bias[j] + Σ_ch Σ_ky,kx w[36ch + 9j + 3ky + kx]·
// x[ch·plane + q + ky·xw + kx], j = 0..3, for q < n (n a multiple of 16),
// then ReLU if asked. Each step loads the nine shifted input vectors of a
// channel once for all four output channels.
func conv3(relu bool) {
	name := "conv3AVX2"
	if relu {
		name = "conv3ReLUAVX2"
	}
	TEXT(name, NOSPLIT, "func(dst *float32, dstride int, x *float32, xw, plane, c int, w, bias *float32, n int)")
	dst, ds := Load(Param("dst"), GP64()), Load(Param("dstride"), GP64())
	x, xw := Load(Param("x"), GP64()), Load(Param("xw"), GP64())
	plane := Load(Param("plane"), GP64())
	w, bias, n := Load(Param("w"), GP64()), Load(Param("bias"), GP64()), Load(Param("n"), GP64())
	SHLQ(U8(2), ds)
	SHLQ(U8(2), xw)
	SHLQ(U8(2), plane)
	d3 := GP64()
	MOVQ(ds, d3)
	ADDQ(ds, d3)
	ADDQ(ds, d3)
	ADDQ(dst, d3) // dst + 3·dstride
	out := func(j, v int) Mem {
		switch j {
		case 0:
			return Mem{Base: dst, Disp: 32 * v}
		case 3:
			return Mem{Base: d3, Disp: 32 * v}
		}
		return Mem{Base: dst, Index: ds, Scale: byte(j), Disp: 32 * v}
	}
	SHRQ(U8(4), n)
	JZ(LabelRef("done"))
	Label("loop")
	var a [4][2]reg.VecVirtual
	for j := range a {
		a[j][0], a[j][1] = YMM(), YMM()
		VBROADCASTSS(Mem{Base: bias, Disp: 4 * j}, a[j][0])
		VMOVAPS(a[j][0], a[j][1])
	}
	x0, x1, x2, wc, cc := GP64(), GP64(), GP64(), GP64(), GP64()
	MOVQ(x, x0)
	MOVQ(w, wc)
	Load(Param("c"), cc)
	Label("channel")
	MOVQ(x0, x1)
	ADDQ(xw, x1)
	MOVQ(x1, x2)
	ADDQ(xw, x2)
	rows := []reg.Register{x0, x1, x2}
	for ky := 0; ky < 3; ky++ {
		for kx := 0; kx < 3; kx++ {
			xa, xb := YMM(), YMM()
			VMOVUPS(Mem{Base: rows[ky], Disp: 4 * kx}, xa)
			VMOVUPS(Mem{Base: rows[ky], Disp: 4*kx + 32}, xb)
			for j := 0; j < 4; j++ {
				bw := YMM()
				VBROADCASTSS(Mem{Base: wc, Disp: 4 * (9*j + 3*ky + kx)}, bw)
				VFMADD231PS(xa, bw, a[j][0])
				VFMADD231PS(xb, bw, a[j][1])
			}
		}
	}
	ADDQ(plane, x0)
	ADDQ(U32(144), wc)
	DECQ(cc)
	JNZ(LabelRef("channel"))
	var zero reg.VecVirtual
	if relu {
		zero = YMM()
		VXORPS(zero, zero, zero)
	}
	for j := range a {
		for v := range a[j] {
			if relu {
				VMAXPS(zero, a[j][v], a[j][v])
			}
			VMOVUPS(a[j][v], out(j, v))
		}
	}
	for _, p := range []reg.Register{dst, d3, x} {
		ADDQ(U8(64), p)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// The Winograd F(4×4, 3×3) kernels (AVX-512 for the permutes and masks,
// FMA everywhere). Constants come from the caller: k = [2, 4, 5, 8]; idx
// holds the permutations (see wino4.go).
//
// bt applies Bᵀ to d0..d5 and hands each result to out:
//
//	v0 = 4d0 − 5d2 + d4         v3 = 2(d3 − d1) + d4 − d2
//	v1 = d3 + d4 − 4(d1 + d2)   v4 = 2(d1 − d3) + d4 − d2
//	v2 = d4 − d3 + 4(d1 − d2)   v5 = 4d1 − 5d3 + d5
func bt(d [6]reg.VecVirtual, c2, c4, c5 Op, vec func() reg.VecVirtual, out func(i int, v reg.VecVirtual)) {
	v := vec()
	VMOVAPS(d[4], v)
	VFNMADD231PS(d[2], c5, v)
	VFMADD231PS(d[0], c4, v)
	out(0, v)
	s12, s34 := vec(), vec()
	VADDPS(d[2], d[1], s12)
	VADDPS(d[4], d[3], s34)
	VFNMADD231PS(s12, c4, s34)
	out(1, s34)
	m12, m43 := vec(), vec()
	VSUBPS(d[2], d[1], m12)
	VSUBPS(d[3], d[4], m43)
	VFMADD231PS(m12, c4, m43)
	out(2, m43)
	m13, m42, v3 := vec(), vec(), vec()
	VSUBPS(d[3], d[1], m13)
	VSUBPS(d[2], d[4], m42)
	VMOVAPS(m42, v3)
	VFNMADD231PS(m13, c2, v3)
	out(3, v3)
	VFMADD231PS(m13, c2, m42)
	out(4, m42)
	v5 := vec()
	VMOVAPS(d[5], v5)
	VFNMADD231PS(d[3], c5, v5)
	VFMADD231PS(d[1], c4, v5)
	out(5, v5)
}

// at applies Aᵀ to s0..s5: y0 = s0 + (s1+s2) + (s3+s4), y1 = (s1−s2) +
// 2(s3−s4), y2 = (s1+s2) + 4(s3+s4), y3 = (s1−s2) + 8(s3−s4) + s5.
func at(s [6]reg.VecVirtual, k reg.Register) [4]reg.VecVirtual {
	a12, d12, a34, d34 := ZMM(), ZMM(), ZMM(), ZMM()
	VADDPS(s[2], s[1], a12)
	VSUBPS(s[2], s[1], d12)
	VADDPS(s[4], s[3], a34)
	VSUBPS(s[4], s[3], d34)
	var y [4]reg.VecVirtual
	y[0] = ZMM()
	VADDPS(a12, s[0], y[0])
	VADDPS(a34, y[0], y[0])
	y[1] = ZMM()
	VMOVAPS(d12, y[1])
	VFMADD231PS_BCST(Mem{Base: k}, d34, y[1])
	y[2] = a12
	VFMADD231PS_BCST(Mem{Base: k, Disp: 4}, a34, y[2])
	y[3] = d12
	VADDPS(s[5], y[3], y[3])
	VFMADD231PS_BCST(Mem{Base: k, Disp: 12}, d34, y[3])
	return y
}

// wino4InHoriz: the horizontal input transform of rows input rows, each
// rstride floats after the last, n tiles each (n a multiple of 8): tile t
// of a row reads d_j = row[4t + j], j = 0..5, and part i of Bᵀd goes to
// dst + i·pstride + (y mod 4)·phase + (y/4)·tw for row y: the rows are
// kept by phase, so a tile row's six input rows are four phases at its
// index and two at the next. Eight tiles take 36 floats, split four ways
// by permutes.
func wino4InHoriz() {
	TEXT("wino4InHorizAVX512", NOSPLIT, "func(dst, row *float32, rstride, rows, pstride, phase, tw int, idx *int32, k *float32, n int)")
	dst, row := Load(Param("dst"), GP64()), Load(Param("row"), GP64())
	ps, idx, k := Load(Param("pstride"), GP64()), Load(Param("idx"), GP64()), Load(Param("k"), GP64())
	SHLQ(U8(2), ps)
	c2, c4, c5 := ZMM(), ZMM(), ZMM()
	VBROADCASTSS(Mem{Base: k}, c2)
	VBROADCASTSS(Mem{Base: k, Disp: 4}, c4)
	VBROADCASTSS(Mem{Base: k, Disp: 8}, c5)
	var pick [4]reg.VecVirtual
	for j := range pick {
		pick[j] = ZMM()
		VMOVUPS(Mem{Base: idx, Disp: 64 * j}, pick[j])
	}
	y := GP64() // phase of the row: 0..3
	XORQ(y, y)
	Label("row")
	dp, d3, rp, n := GP64(), GP64(), GP64(), GP64()
	MOVQ(dst, dp)
	MOVQ(ps, d3)
	ADDQ(ps, d3)
	ADDQ(ps, d3)
	ADDQ(dst, d3)
	MOVQ(row, rp)
	Load(Param("n"), n)
	part := []Mem{{Base: dp}, {Base: dp, Index: ps, Scale: 1}, {Base: dp, Index: ps, Scale: 2},
		{Base: d3}, {Base: dp, Index: ps, Scale: 4}, {Base: d3, Index: ps, Scale: 2}}
	SHRQ(U8(3), n)
	JZ(LabelRef("next"))
	Label("loop")
	za, zb, zc, zd := ZMM(), ZMM(), ZMM(), ZMM()
	VMOVUPS(Mem{Base: rp}, za)
	VMOVUPS(Mem{Base: rp, Disp: 64}, zb)
	VMOVUPS(Mem{Base: rp, Disp: 16}, zc)
	VMOVUPS(Mem{Base: rp, Disp: 80}, zd)
	var d [6]reg.VecVirtual
	for j := range d {
		d[j] = ZMM()
		VMOVAPS(pick[j%4], d[j])
		if j < 4 {
			VPERMI2PS(zb, za, d[j])
		} else {
			VPERMI2PS(zd, zc, d[j])
		}
	}
	bt(d, c2, c4, c5, ZMM, func(i int, v reg.VecVirtual) { VMOVUPS(v.AsY(), part[i]) })
	ADDQ(U8(128), rp)
	ADDQ(U8(32), dp)
	ADDQ(U8(32), d3)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("next")
	// The next input row; the next phase, or phase 0 of the next index.
	t := GP64()
	Load(Param("rstride"), t)
	SHLQ(U8(2), t)
	ADDQ(t, row)
	Load(Param("phase"), t)
	SHLQ(U8(2), t)
	ADDQ(t, dst)
	INCQ(y)
	CMPQ(y, U8(4))
	JNE(LabelRef("same"))
	XORQ(y, y)
	Load(Param("phase"), t)
	SHLQ(U8(4), t) // 4·phase floats back
	SUBQ(t, dst)
	Load(Param("tw"), t)
	SHLQ(U8(2), t)
	ADDQ(t, dst)
	Label("same")
	Load(Param("rows"), t)
	DECQ(t)
	Store(t, Param("rows"))
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}

// wino4InVert: the vertical input transform over n values (a multiple of
// 8) of one part of the horizontal transforms: input rows 0..3 are phases
// 0..3 at src (phase floats apart), rows 4 and 5 phases 0 and 1 one tile
// row (tw) on; part i of Bᵀ goes to dst + i·dstride (AVX2 and FMA).
func wino4InVert() {
	TEXT("wino4InVertAVX2", NOSPLIT, "func(dst, src *float32, phase, tw, dstride int, k *float32, n int)")
	dst, src := Load(Param("dst"), GP64()), Load(Param("src"), GP64())
	ph, tw := Load(Param("phase"), GP64()), Load(Param("tw"), GP64())
	SHLQ(U8(2), ph)
	SHLQ(U8(2), tw)
	var r [6]reg.Register
	for j := range r {
		r[j] = GP64()
	}
	MOVQ(src, r[0])
	for j := 1; j < 4; j++ {
		MOVQ(r[j-1], r[j])
		ADDQ(ph, r[j])
	}
	MOVQ(src, r[4])
	ADDQ(tw, r[4])
	MOVQ(r[1], r[5])
	ADDQ(tw, r[5])
	ds, k, n := Load(Param("dstride"), GP64()), Load(Param("k"), GP64()), Load(Param("n"), GP64())
	SHLQ(U8(2), ds)
	d3 := GP64()
	MOVQ(ds, d3)
	ADDQ(ds, d3)
	ADDQ(ds, d3)
	ADDQ(dst, d3)
	part := []Mem{{Base: dst}, {Base: dst, Index: ds, Scale: 1}, {Base: dst, Index: ds, Scale: 2},
		{Base: d3}, {Base: dst, Index: ds, Scale: 4}, {Base: d3, Index: ds, Scale: 2}}
	c2, c4, c5 := YMM(), YMM(), YMM()
	VBROADCASTSS(Mem{Base: k}, c2)
	VBROADCASTSS(Mem{Base: k, Disp: 4}, c4)
	VBROADCASTSS(Mem{Base: k, Disp: 8}, c5)
	SHRQ(U8(3), n)
	JZ(LabelRef("done"))
	Label("loop")
	var d [6]reg.VecVirtual
	for j := range d {
		d[j] = YMM()
		VMOVUPS(Mem{Base: r[j]}, d[j])
	}
	bt(d, c2, c4, c5, YMM, func(i int, v reg.VecVirtual) { VMOVUPS(v, part[i]) })
	for _, p := range append(r[:], dst, d3) {
		ADDQ(U8(32), p)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// wino4OutPool: the output transform Aᵀ M A of n tiles (n a multiple of
// 16; M's 36 rows at m + ξ·stride) and 2×2 max pooling of each tile's four
// windows: window (a, b) of tile t goes to q[(2a+b)·qstride + t].
func wino4OutPool() {
	TEXT("wino4OutPoolAVX512", NOSPLIT, "func(q *float32, qstride int, m *float32, stride int, k *float32, n int)")
	q, qs := Load(Param("q"), GP64()), Load(Param("qstride"), GP64())
	m, st := Load(Param("m"), GP64()), Load(Param("stride"), GP64())
	k, n := Load(Param("k"), GP64()), Load(Param("n"), GP64())
	SHLQ(U8(2), qs)
	SHLQ(U8(2), st)
	s3, s5, s6, q3 := GP64(), GP64(), GP64(), GP64()
	MOVQ(st, s3)
	ADDQ(st, s3)
	ADDQ(st, s3)
	MOVQ(s3, s5)
	ADDQ(st, s5)
	ADDQ(st, s5)
	MOVQ(s3, s6)
	ADDQ(s3, s6)
	MOVQ(qs, q3)
	ADDQ(qs, q3)
	ADDQ(qs, q3)
	ADDQ(q, q3)
	SHRQ(U8(4), n)
	JZ(LabelRef("done"))
	Label("loop")
	// T[i] = Aᵀ applied to row i of M (6 values): 24 vectors.
	var t [6][4]reg.VecVirtual
	p := GP64()
	MOVQ(m, p)
	for i := 0; i < 6; i++ {
		if i > 0 {
			ADDQ(s6, p)
		}
		rows := []Mem{{Base: p}, {Base: p, Index: st, Scale: 1}, {Base: p, Index: st, Scale: 2},
			{Base: p, Index: s3, Scale: 1}, {Base: p, Index: st, Scale: 4}, {Base: p, Index: s5, Scale: 1}}
		var s [6]reg.VecVirtual
		for j := range s {
			s[j] = ZMM()
			VMOVUPS(rows[j], s[j])
		}
		t[i] = at(s, k)
	}
	// Columns pair by pair: Y[·][c] = Aᵀ of column c of T, pooled.
	out := []Mem{{Base: q}, {Base: q, Index: qs, Scale: 1}, {Base: q, Index: qs, Scale: 2}, {Base: q3}}
	for b := 0; b < 2; b++ {
		var y [2][4]reg.VecVirtual
		for cc := 0; cc < 2; cc++ {
			var col [6]reg.VecVirtual
			for i := range col {
				col[i] = t[i][2*b+cc]
			}
			y[cc] = at(col, k)
		}
		for a := 0; a < 2; a++ {
			pv := ZMM()
			VMAXPS(y[0][2*a], y[1][2*a], pv)
			VMAXPS(y[0][2*a+1], pv, pv)
			VMAXPS(y[1][2*a+1], pv, pv)
			VMOVUPS(pv, out[2*a+b])
		}
	}
	ADDQ(U8(64), m)
	ADDQ(U8(64), q)
	ADDQ(U8(64), q3)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// wino4PoolRows writes one image's pooled channel from the four window
// rows q (see wino4OutPool), th rows of tiles qrow apart in q: pooled row
// 2ty + a (pw floats apart) gets windows (a, 0) and (a, 1) of up to 8
// tiles interleaved, plus the bias, through ReLU, stored under mask (two
// bits a tile).
func wino4PoolRows() {
	TEXT("wino4PoolRowsAVX512", NOSPLIT, "func(dst *float32, pw int, q *float32, qstride, qrow, th int, bias float32, mask int, idx *int32)")
	dst, pw := Load(Param("dst"), GP64()), Load(Param("pw"), GP64())
	q, qs := Load(Param("q"), GP64()), Load(Param("qstride"), GP64())
	tw, th, idx := Load(Param("qrow"), GP64()), Load(Param("th"), GP64()), Load(Param("idx"), GP64())
	SHLQ(U8(2), pw)
	SHLQ(U8(2), qs)
	SHLQ(U8(2), tw)
	q3 := GP64()
	MOVQ(qs, q3)
	ADDQ(qs, q3)
	ADDQ(qs, q3)
	ADDQ(q, q3)
	bias, zero, perm := ZMM(), ZMM(), ZMM()
	VBROADCASTSS(Load(Param("bias"), XMM()), bias)
	VXORPS(zero, zero, zero)
	VMOVUPS(Mem{Base: idx, Disp: 4 * 64}, perm)
	mask := K()
	mk := GP64()
	Load(Param("mask"), mk)
	KMOVW(mk.As32(), mask)
	win := []Mem{{Base: q}, {Base: q, Index: qs, Scale: 1}, {Base: q, Index: qs, Scale: 2}, {Base: q3}}
	TESTQ(th, th)
	JZ(LabelRef("done"))
	Label("loop")
	for a := 0; a < 2; a++ {
		w0, w1, line := ZMM(), ZMM(), ZMM()
		VMOVUPS(win[2*a], w0)
		VMOVUPS(win[2*a+1], w1)
		VMOVAPS(perm, line)
		VPERMI2PS(w1, w0, line)
		VADDPS(bias, line, line)
		VMAXPS(zero, line, line)
		VMOVUPS(line, mask, Mem{Base: dst})
		ADDQ(pw, dst)
	}
	ADDQ(tw, q)
	ADDQ(tw, q3)
	DECQ(th)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// conv3Rows: eight output channels of a 3×3 convolution, 16 columns of
// rows output rows (AVX-512): for row r, column q < 16 and j = 0..7,
// dst[j·dstride + r·drow + q] = bias[j] + Σ_ch Σ_ky,kx w[72ch + 9j + 3ky
// + kx]·x[ch·plane + (r+ky)·xw + q + kx], then ReLU if asked. The weights
// are broadcast from memory into the multiply-adds.
func conv3Rows(relu bool) {
	name := "conv3RowsAVX512"
	if relu {
		name = "conv3RowsReLUAVX512"
	}
	TEXT(name, NOSPLIT, "func(dst *float32, dstride, drow int, x *float32, xw, plane, c int, w, bias *float32, rows int)")
	dst, ds := Load(Param("dst"), GP64()), Load(Param("dstride"), GP64())
	x, xw := Load(Param("x"), GP64()), Load(Param("xw"), GP64())
	SHLQ(U8(2), ds)
	SHLQ(U8(2), xw)
	ds3 := GP64()
	MOVQ(ds, ds3)
	ADDQ(ds, ds3)
	ADDQ(ds, ds3)
	Label("row")
	b4 := GP64()
	MOVQ(ds, b4)
	SHLQ(U8(2), b4)
	ADDQ(dst, b4)
	out := []Mem{{Base: dst}, {Base: dst, Index: ds, Scale: 1}, {Base: dst, Index: ds, Scale: 2}, {Base: dst, Index: ds3, Scale: 1},
		{Base: b4}, {Base: b4, Index: ds, Scale: 1}, {Base: b4, Index: ds, Scale: 2}, {Base: b4, Index: ds3, Scale: 1}}
	var acc [8]reg.VecVirtual
	bias := GP64()
	Load(Param("bias"), bias)
	for j := range acc {
		acc[j] = ZMM()
		VBROADCASTSS(Mem{Base: bias, Disp: 4 * j}, acc[j])
	}
	x0, x1, x2, wc, cc := GP64(), GP64(), GP64(), GP64(), GP64()
	MOVQ(x, x0)
	Load(Param("w"), wc)
	Load(Param("c"), cc)
	Label("channel")
	MOVQ(x0, x1)
	ADDQ(xw, x1)
	MOVQ(x1, x2)
	ADDQ(xw, x2)
	rows := []reg.Register{x0, x1, x2}
	for ky := 0; ky < 3; ky++ {
		for kx := 0; kx < 3; kx++ {
			xv := ZMM()
			VMOVUPS(Mem{Base: rows[ky], Disp: 4 * kx}, xv)
			for j := 0; j < 8; j++ {
				VFMADD231PS_BCST(Mem{Base: wc, Disp: 4 * (9*j + 3*ky + kx)}, xv, acc[j])
			}
		}
	}
	pl := GP64()
	Load(Param("plane"), pl)
	SHLQ(U8(2), pl)
	ADDQ(pl, x0)
	ADDQ(U32(288), wc)
	DECQ(cc)
	JNZ(LabelRef("channel"))
	var zero reg.VecVirtual
	if relu {
		zero = ZMM()
		VXORPS(zero, zero, zero)
	}
	for j := range acc {
		if relu {
			VMAXPS(zero, acc[j], acc[j])
		}
		VMOVUPS(acc[j], out[j])
	}
	dr := GP64()
	Load(Param("drow"), dr)
	SHLQ(U8(2), dr)
	ADDQ(dr, dst)
	ADDQ(xw, x)
	n := GP64()
	Load(Param("rows"), n)
	DECQ(n)
	Store(n, Param("rows"))
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}

// maxArg returns max(v0..v3) and, as int32 lanes, the index of the first
// maximum (a later value wins only when strictly greater). ks points at
// the int32 constants 1, 2, 3.
func maxArg(v [4]reg.VecVirtual, ks reg.Register) (reg.VecVirtual, reg.VecVirtual) {
	m, idx := ZMM(), ZMM()
	VMOVAPS(v[0], m)
	VPXORD(idx, idx, idx)
	for i := 1; i < 4; i++ {
		k, c := K(), ZMM()
		VCMPPS(U8(0x1E), m, v[i], k) // v[i] > m
		VMAXPS(v[i], m, m)
		VPBROADCASTD(Mem{Base: ks, Disp: 4 * (i - 1)}, c)
		VMOVDQA32(c, k, idx)
	}
	return m, idx
}

// pool4Arg: dst[t] = max(0, max(a, b, c, d)[t] + bias) and arg[t] the
// index (0-3) of the first maximum, for n values (a multiple of 16).
func pool4Arg() {
	TEXT("pool4ArgAVX512", NOSPLIT, "func(dst *float32, arg *uint8, a, b, c, d *float32, bias float32, ks *int32, n int)")
	dst, arg := Load(Param("dst"), GP64()), Load(Param("arg"), GP64())
	src := []reg.Register{Load(Param("a"), GP64()), Load(Param("b"), GP64()), Load(Param("c"), GP64()), Load(Param("d"), GP64())}
	ks, n := Load(Param("ks"), GP64()), Load(Param("n"), GP64())
	bias, zero := ZMM(), ZMM()
	VBROADCASTSS(Load(Param("bias"), XMM()), bias)
	VXORPS(zero, zero, zero)
	SHRQ(U8(4), n)
	JZ(LabelRef("done"))
	Label("loop")
	var v [4]reg.VecVirtual
	for i := range v {
		v[i] = ZMM()
		VMOVUPS(Mem{Base: src[i]}, v[i])
	}
	m, idx := maxArg(v, ks)
	VADDPS(bias, m, m)
	VMAXPS(zero, m, m)
	VMOVUPS(m, Mem{Base: dst})
	VPMOVDB(idx, Mem{Base: arg})
	for _, p := range append(src, dst) {
		ADDQ(U8(64), p)
	}
	ADDQ(U8(16), arg)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// pool2x2Arg: 2×2 max pooling of rows pooled rows, up to 16 windows each:
// window j of pooled row r covers src rows 2r and 2r+1 (w floats apart),
// columns 2j and 2j+1; dst[r·pw + j] = max(0, max + bias) and arg the
// window's first maximum (2·dy + dx), stored under mask. Each row's 32
// values are split into even and odd columns by permutes.
func pool2x2Arg() {
	TEXT("pool2x2ArgAVX512", NOSPLIT, "func(dst *float32, arg *uint8, src *float32, w, pw, rows int, bias float32, mask int, idx, ks *int32)")
	dst, arg, src := Load(Param("dst"), GP64()), Load(Param("arg"), GP64()), Load(Param("src"), GP64())
	w, pw, rows := Load(Param("w"), GP64()), Load(Param("pw"), GP64()), Load(Param("rows"), GP64())
	idx, ks := Load(Param("idx"), GP64()), Load(Param("ks"), GP64())
	SHLQ(U8(2), w)
	bias, zero, even, odd := ZMM(), ZMM(), ZMM(), ZMM()
	VBROADCASTSS(Load(Param("bias"), XMM()), bias)
	VXORPS(zero, zero, zero)
	VMOVUPS(Mem{Base: idx}, even)
	VMOVUPS(Mem{Base: idx, Disp: 64}, odd)
	mask := K()
	mk := GP64()
	Load(Param("mask"), mk)
	KMOVW(mk.As32(), mask)
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	Label("loop")
	var v [4]reg.VecVirtual
	for dy := 0; dy < 2; dy++ {
		lo, hi := ZMM(), ZMM()
		if dy == 0 {
			VMOVUPS(Mem{Base: src}, lo)
			VMOVUPS(Mem{Base: src, Disp: 64}, hi)
		} else {
			VMOVUPS(Mem{Base: src, Index: w, Scale: 1}, lo)
			VMOVUPS(Mem{Base: src, Index: w, Scale: 1, Disp: 64}, hi)
		}
		e, o := ZMM(), ZMM()
		VMOVAPS(even, e)
		VPERMI2PS(hi, lo, e)
		VMOVAPS(odd, o)
		VPERMI2PS(hi, lo, o)
		v[2*dy], v[2*dy+1] = e, o
	}
	m, ix := maxArg(v, ks)
	VADDPS(bias, m, m)
	VMAXPS(zero, m, m)
	VMOVUPS(m, mask, Mem{Base: dst})
	VPMOVDB(ix, mask, Mem{Base: arg})
	ADDQ(w, src)
	ADDQ(w, src)
	t := GP64()
	MOVQ(pw, t)
	ADDQ(t, arg)
	SHLQ(U8(2), t)
	ADDQ(t, dst)
	DECQ(rows)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// sum: the sum of n floats (n a multiple of 32), in four accumulators.
func sum() {
	TEXT("sumAVX2", NOSPLIT, "func(x *float32, n int) float32")
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
	hi := XMM()
	VEXTRACTF128(U8(1), acc[0], hi)
	lo := acc[0].AsX()
	VADDPS(hi, lo, lo)
	VHADDPS(lo, lo, lo)
	VHADDPS(lo, lo, lo)
	Store(lo, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// reluMask: g[t] = 0 where y[t] ≤ 0, for n floats (a multiple of 8).
func reluMask() {
	TEXT("reluMaskAVX2", NOSPLIT, "func(grad, y *float32, n int)")
	g, y, n := Load(Param("grad"), GP64()), Load(Param("y"), GP64()), Load(Param("n"), GP64())
	zero := YMM()
	VXORPS(zero, zero, zero)
	loop(n, []reg.Register{g, y}, func() {
		m, v := YMM(), YMM()
		VCMPPS(U8(0x11), Mem{Base: y}, zero, m) // 0 < y
		VANDPS(Mem{Base: g}, m, v)
		VMOVUPS(v, Mem{Base: g})
	})
}

// unpool: the backward pass of pool2x2Arg for rows pooled rows of up to
// 16 windows (mask: two bits a window, for the two output columns): each
// window's gradient gy goes to the position its arg names, if its pooled
// output was positive, and zeros to the other three; output rows 2r and
// 2r+1 (w floats apart) are written whole, so nothing needs clearing.
func unpool() {
	TEXT("unpoolAVX512", NOSPLIT, "func(gz *float32, w int, gy, pooled *float32, arg *uint8, pw, rows, mask int, idx, ks *int32)")
	gz, w := Load(Param("gz"), GP64()), Load(Param("w"), GP64())
	gy, pooled, arg := Load(Param("gy"), GP64()), Load(Param("pooled"), GP64()), Load(Param("arg"), GP64())
	pw, rows := Load(Param("pw"), GP64()), Load(Param("rows"), GP64())
	idx, ks := Load(Param("idx"), GP64()), Load(Param("ks"), GP64())
	SHLQ(U8(2), w)
	lo, hi, zero := ZMM(), ZMM(), ZMM()
	VMOVUPS(Mem{Base: idx}, lo) // interleave the low eight lanes of two vectors
	VMOVUPS(Mem{Base: idx, Disp: 64}, hi)
	VXORPS(zero, zero, zero)
	var kv [4]reg.VecVirtual
	for e := range kv {
		kv[e] = ZMM()
		if e == 0 {
			VPXORD(kv[e], kv[e], kv[e])
		} else {
			VPBROADCASTD(Mem{Base: ks, Disp: 4 * (e - 1)}, kv[e])
		}
	}
	mk := GP64()
	Load(Param("mask"), mk)
	mLo, mHi := K(), K()
	KMOVW(mk.As32(), mLo)
	SHRQ(U8(16), mk)
	KMOVW(mk.As32(), mHi)
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	Label("loop")
	g, a := ZMM(), ZMM()
	VMOVUPS(Mem{Base: gy}, g)
	VPMOVZXBD(Mem{Base: arg}, a)
	pos := K()
	VCMPPS(U8(0x11), Mem{Base: pooled}, zero, pos) // 0 < pooled
	var v [4]reg.VecVirtual
	for e := range v {
		k := K()
		VPCMPEQD(kv[e], a, pos, k) // arg == e, where positive
		v[e] = ZMM()
		VMOVAPS_Z(g, k, v[e])
	}
	for dy := 0; dy < 2; dy++ {
		l, h := ZMM(), ZMM()
		VMOVAPS(lo, l)
		VPERMI2PS(v[2*dy+1], v[2*dy], l)
		VMOVAPS(hi, h)
		VPERMI2PS(v[2*dy+1], v[2*dy], h)
		if dy == 0 {
			VMOVUPS(l, mLo, Mem{Base: gz})
			VMOVUPS(h, mHi, Mem{Base: gz, Disp: 64})
		} else {
			VMOVUPS(l, mLo, Mem{Base: gz, Index: w, Scale: 1})
			VMOVUPS(h, mHi, Mem{Base: gz, Index: w, Scale: 1, Disp: 64})
		}
	}
	ADDQ(w, gz)
	ADDQ(w, gz)
	ADDQ(pw, arg)
	t := GP64()
	MOVQ(pw, t)
	SHLQ(U8(2), t)
	ADDQ(t, gy)
	ADDQ(t, pooled)
	DECQ(rows)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// dot4: the dot products of a with b0..b3 (n floats, a multiple of 8),
// into out[0..3].
func dot4() {
	TEXT("dot4AVX2", NOSPLIT, "func(out, a, b0, b1, b2, b3 *float32, n int)")
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

// transpose16: dst[j·dstride + i] = src[i·sstride + j] for i, j < 16
// (AVX-512: pairs of rows interleaved by floats, then by pairs of
// floats, then by 128-bit lanes twice).
func transpose16() {
	TEXT("transpose16AVX512", NOSPLIT, "func(dst *float32, dstride int, src *float32, sstride int)")
	dst, ds := Load(Param("dst"), GP64()), Load(Param("dstride"), GP64())
	src, ss := Load(Param("src"), GP64()), Load(Param("sstride"), GP64())
	SHLQ(U8(2), ds)
	SHLQ(U8(2), ss)
	var r [16]reg.VecVirtual
	for i := range r {
		r[i] = ZMM()
		VMOVUPS(Mem{Base: src}, r[i])
		ADDQ(ss, src)
	}
	var t, u, v, w [16]reg.VecVirtual
	for i := 0; i < 8; i++ {
		t[2*i], t[2*i+1] = ZMM(), ZMM()
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1])
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			u[4*i+j] = ZMM()
		}
		VUNPCKLPD(t[4*i+2], t[4*i], u[4*i])
		VUNPCKHPD(t[4*i+2], t[4*i], u[4*i+1])
		VUNPCKLPD(t[4*i+3], t[4*i+1], u[4*i+2])
		VUNPCKHPD(t[4*i+3], t[4*i+1], u[4*i+3])
	}
	for h := 0; h < 2; h++ {
		for j := 0; j < 4; j++ {
			a, b := u[8*h+j], u[8*h+4+j]
			v[8*h+j], v[8*h+4+j] = ZMM(), ZMM()
			VSHUFF32X4(U8(0x88), b, a, v[8*h+j])
			VSHUFF32X4(U8(0xDD), b, a, v[8*h+4+j])
		}
	}
	for j := 0; j < 8; j++ {
		w[j], w[8+j] = ZMM(), ZMM()
		VSHUFF32X4(U8(0x88), v[8+j], v[j], w[j])
		VSHUFF32X4(U8(0xDD), v[8+j], v[j], w[8+j])
	}
	for i := range w {
		VMOVUPS(w[i], Mem{Base: dst})
		ADDQ(ds, dst)
	}
	VZEROUPPER()
	RET()
}

// sparseGrad: the backward pass of a pooled 3×3 convolution through its
// max pooling, for one output channel and 16 input channels, visiting
// only the windows whose pooled output was positive (the rest pass no
// gradient): window k sends g = gy[k] to output pixel p = pix[k] +
// aoff[arg[k]]. Pixels are rows of c floats (channels last) in planes xw
// pixels wide. Filter gradient (input false): dw[t·c + j] += g·x[(p +
// off_t)·c + j] and *bsum += g. Input gradient (input true): x[(p +
// off_t)·c + j] += g·dw[t·c + j]. off_t = ky·xw + kx for tap t = 3ky + kx.
func sparseGrad(input bool) {
	name := "sparseFilterGradAVX512"
	if input {
		name = "sparseInputGradAVX512"
	}
	TEXT(name, NOSPLIT, "func(dw, x *float32, c, xw int, gy, y *float32, arg *uint8, pix, aoff *int32, n int, bsum *float32)")
	dw, x := Load(Param("dw"), GP64()), Load(Param("x"), GP64())
	cb, row := Load(Param("c"), GP64()), Load(Param("xw"), GP64())
	SHLQ(U8(2), cb) // bytes a pixel
	IMULQ(cb, row)  // bytes a row of pixels
	k := Load(Param("n"), GP64())
	gy, y, arg, pix := Load(Param("gy"), GP64()), Load(Param("y"), GP64()), Load(Param("arg"), GP64()), Load(Param("pix"), GP64())
	aoff := Load(Param("aoff"), GP64())
	// Index from −n up to 0 with the arrays' ends as bases.
	LEAQ(Mem{Base: gy, Index: k, Scale: 4}, gy)
	LEAQ(Mem{Base: y, Index: k, Scale: 4}, y)
	LEAQ(Mem{Base: pix, Index: k, Scale: 4}, pix)
	ADDQ(k, arg)
	NEGQ(k)
	var acc [9]reg.VecVirtual
	p := GP64()
	MOVQ(dw, p)
	for t := range acc {
		acc[t] = ZMM()
		VMOVUPS(Mem{Base: p}, acc[t])
		if t < 8 {
			ADDQ(cb, p)
		}
	}
	bs := XMM()
	if !input {
		VXORPS(bs, bs, bs)
	}
	TESTQ(k, k)
	JZ(LabelRef("done"))
	Label("loop")
	t := GP64()
	MOVL(Mem{Base: y, Index: k, Scale: 4}, t.As32())
	TESTL(t.As32(), t.As32())
	JLE(LabelRef("skip")) // y ≤ 0 (as int32 bits: +0 and every negative)
	g := ZMM()
	VBROADCASTSS(Mem{Base: gy, Index: k, Scale: 4}, g)
	if !input {
		VADDSS(Mem{Base: gy, Index: k, Scale: 4}, bs, bs)
	}
	MOVBLZX(Mem{Base: arg, Index: k, Scale: 1}, t.As32())
	b0 := GP64()
	MOVL(Mem{Base: aoff, Index: t, Scale: 4}, t.As32())
	MOVL(Mem{Base: pix, Index: k, Scale: 4}, b0.As32())
	ADDQ(t, b0)
	IMULQ(cb, b0)
	ADDQ(x, b0)
	b1, b2 := GP64(), GP64()
	LEAQ(Mem{Base: b0, Index: row, Scale: 1}, b1)
	LEAQ(Mem{Base: b1, Index: row, Scale: 1}, b2)
	for ky, b := range []reg.Register{b0, b1, b2} {
		for kx := 0; kx < 3; kx++ {
			m := Mem{Base: b}
			if kx > 0 {
				m = Mem{Base: b, Index: cb, Scale: byte(kx)}
			}
			if !input {
				VFMADD231PS(m, g, acc[3*ky+kx])
				continue
			}
			v := ZMM()
			VMOVUPS(m, v)
			VFMADD231PS(acc[3*ky+kx], g, v)
			VMOVUPS(v, m)
		}
	}
	Label("skip")
	INCQ(k)
	JNZ(LabelRef("loop"))
	Label("done")
	if !input {
		MOVQ(dw, p)
		for t := range acc {
			VMOVUPS(acc[t], Mem{Base: p})
			if t < 8 {
				ADDQ(cb, p)
			}
		}
		sp := Load(Param("bsum"), GP64())
		VADDSS(Mem{Base: sp}, bs, bs)
		VMOVSS(bs, Mem{Base: sp})
	}
	VZEROUPPER()
	RET()
}
