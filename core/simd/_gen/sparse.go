package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// transpose16: dst[j·dstride + i] = src[i·sstride + j] for i, j < 16
// (AVX-512: pairs of rows interleaved by floats, then by pairs of
// floats, then by 128-bit lanes twice).
// transpose8 transposes an 8×8 block in AVX2 registers (transpose8Regs).
func transpose8() {
	TEXT("transpose8AVX2", NOSPLIT, "func(dst *float32, dstride int, src *float32, sstride int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, ds := Load(Param("dst"), GP64()), Load(Param("dstride"), GP64())
	src, ss := Load(Param("src"), GP64()), Load(Param("sstride"), GP64())
	SHLQ(U8(2), ds)
	SHLQ(U8(2), ss)
	var r [8]reg.VecVirtual
	for i := range r {
		r[i] = YMM()
		VMOVUPS(Mem{Base: src}, r[i])
		ADDQ(ss, src)
	}
	q := GP64() // four rows of dst, in bytes
	MOVQ(ds, q)
	SHLQ(U8(2), q)
	transpose8Regs(r, func(lo, hi reg.VecVirtual) {
		VMOVUPS(lo, Mem{Base: dst})
		VMOVUPS(hi, Mem{Base: dst, Index: q, Scale: 1})
		ADDQ(ds, dst)
	})
	VZEROUPPER()
	RET()
}

// gather8Runs: out[p·ostride + i] = src[starts[i] + p] for i < 8 and p <
// 8·blocks. Each block loads eight floats of each of the eight runs and
// transposes them in registers, so packing a GEMM panel from runs at any
// offsets (a filter gradient's taps) moves 32 bytes a load and a store.
func gather8Runs() {
	TEXT("gather8RunsAVX2", NOSPLIT, "func(out *float32, ostride int, src *float32, starts *[8]int, blocks int)")
	Pragma("noescape")
	out, os := Load(Param("out"), GP64()), Load(Param("ostride"), GP64())
	src, st := Load(Param("src"), GP64()), Load(Param("starts"), GP64())
	n := Load(Param("blocks"), GP64())
	SHLQ(U8(2), os)
	var run [8]reg.GPVirtual
	for i := range run {
		run[i] = GP64()
		MOVQ(Mem{Base: st, Disp: 8 * i}, run[i])
		SHLQ(U8(2), run[i])
		ADDQ(src, run[i])
	}
	q := GP64() // four rows of out, in bytes
	MOVQ(os, q)
	SHLQ(U8(2), q)
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("block")
	var r [8]reg.VecVirtual
	for i := range r {
		r[i] = YMM()
		VMOVUPS(Mem{Base: run[i]}, r[i])
		ADDQ(U8(32), run[i])
	}
	transpose8Regs(r, func(lo, hi reg.VecVirtual) {
		VMOVUPS(lo, Mem{Base: out})
		VMOVUPS(hi, Mem{Base: out, Index: q, Scale: 1})
		ADDQ(os, out)
	})
	ADDQ(q, out) // past the block's eight rows
	DECQ(n)
	JNZ(LabelRef("block"))
	Label("done")
	VZEROUPPER()
	RET()
}

// transpose8Regs transposes the 8×8 block whose row i is r[i]: pairs of
// rows interleaved by floats, then by pairs (as doubles), then the 128-bit
// halves exchanged. It calls store four times, j = 0..3, with the block's
// columns j and j+4.
func transpose8Regs(r [8]reg.VecVirtual, store func(lo, hi reg.VecVirtual)) {
	var t, u [8]reg.VecVirtual
	for i := 0; i < 4; i++ {
		t[2*i], t[2*i+1] = YMM(), YMM()
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1])
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 4; j++ {
			u[4*i+j] = YMM()
		}
		VUNPCKLPD(t[4*i+2], t[4*i], u[4*i])
		VUNPCKHPD(t[4*i+2], t[4*i], u[4*i+1])
		VUNPCKLPD(t[4*i+3], t[4*i+1], u[4*i+2])
		VUNPCKHPD(t[4*i+3], t[4*i+1], u[4*i+3])
	}
	// u[j] holds columns j (low half: rows 0-3, high half: rows 0-3 of
	// the block's right half); u[4+j] the same for rows 4-7.
	for j := 0; j < 4; j++ {
		lo, hi := YMM(), YMM()
		VPERM2F128(U8(0x20), u[4+j], u[j], lo)
		VPERM2F128(U8(0x31), u[4+j], u[j], hi)
		store(lo, hi)
	}
}

func transpose16() {
	TEXT("transpose16AVX512", NOSPLIT, "func(dst *float32, dstride int, src *float32, sstride int)")
	Pragma("noescape") // the kernels keep no pointer
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
// sparseGrad writes the sparse backward kernels on 16 channels a call
// (wide: ZMM, AVX-512) or 8 (YMM, for layers of 8 channels, which 16
// would pad with zeros).
func sparseGrad(input, wide bool) {
	name := "sparseFilterGrad"
	if input {
		name = "sparseInputGrad"
	}
	vec := ZMM
	if wide {
		name += "AVX512"
	} else {
		name += "8AVX2"
		vec = YMM
	}
	TEXT(name, NOSPLIT, "func(dw, x *float32, c, xw int, gy, y *float32, arg *uint8, pix, aoff *int32, n int, bsum *float32)")
	Pragma("noescape") // the kernels keep no pointer
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
		acc[t] = vec()
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
	g := vec()
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
			v := vec()
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
