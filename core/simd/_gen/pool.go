package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

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
	Pragma("noescape") // the kernels keep no pointer
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
	VMAXPS(m, zero, m)
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
	Pragma("noescape") // the kernels keep no pointer
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
	VMAXPS(m, zero, m)
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

// unpool: the backward pass of pool2x2Arg for rows pooled rows of up to
// 16 windows (mask: two bits a window, for the two output columns): each
// window's gradient gy goes to the position its arg names, if its pooled
// output was positive, and zeros to the other three; output rows 2r and
// 2r+1 (w floats apart) are written whole, so nothing needs clearing.
func unpool() {
	TEXT("unpoolAVX512", NOSPLIT, "func(gz *float32, w int, gy, pooled *float32, arg *uint8, pw, rows, mask int, idx, ks *int32)")
	Pragma("noescape") // the kernels keep no pointer
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
