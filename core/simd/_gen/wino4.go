package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The Winograd F(4×4, 3×3) kernels (AVX-512 for the permutes and masks,
// FMA everywhere). Constants come from the caller: k = [2, 4, 5, 8]; idx
// holds the permutations (see core/simd/wino4.go).
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
	Pragma("noescape") // the kernels keep no pointer
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
	Pragma("noescape") // the kernels keep no pointer
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
	Pragma("noescape") // the kernels keep no pointer
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
	Pragma("noescape") // the kernels keep no pointer
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
		VMAXPS(line, zero, line)
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
