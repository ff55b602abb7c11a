package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gather8 emits gather8RunsAVX2: out[p·ostride + i] = src[starts[i] + p]
// for i < 8 and p < 8·blocks. Each block loads eight floats of each of the
// eight runs and transposes them in registers (pairs of rows interleaved
// by floats, then by pairs as doubles, then the 128-bit halves
// exchanged), so packing a B panel from runs at any offsets (a filter
// gradient's taps) streams 32 bytes a load and a store instead of one
// float at a time.
func gather8() {
	TEXT("gather8RunsAVX2", NOSPLIT, "func(out *float32, ostride int, src *float32, starts *[8]int, blocks int)")
	Pragma("noescape") // the kernel keeps no pointer
	Doc("gather8RunsAVX2 sets out[p·ostride + i] = src[starts[i] + p] for i < 8, p < 8·blocks (AVX2).")
	out, os := Load(Param("out"), GP64()), Load(Param("ostride"), GP64())
	src, st := Load(Param("src"), GP64()), Load(Param("starts"), GP64())
	n := Load(Param("blocks"), GP64())
	SHLQ(U8(2), os)
	var row [8]reg.GPVirtual
	for i := range row {
		row[i] = GP64()
		MOVQ(Mem{Base: st, Disp: 8 * i}, row[i])
		SHLQ(U8(2), row[i])
		ADDQ(src, row[i])
	}
	q := GP64() // four rows of out, in bytes
	MOVQ(os, q)
	SHLQ(U8(2), q)
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("block")
	var r, t, u [8]reg.VecVirtual
	for i := range r {
		r[i] = YMM()
		VMOVUPS(Mem{Base: row[i]}, r[i])
		ADDQ(U8(32), row[i])
	}
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
	// u[j] holds floats j of runs 0-3 (low half) and j+4 of runs 0-3
	// (high half); u[4+j] the same for runs 4-7.
	for j := 0; j < 4; j++ {
		lo, hi := YMM(), YMM()
		VPERM2F128(U8(0x20), u[4+j], u[j], lo)
		VPERM2F128(U8(0x31), u[4+j], u[j], hi)
		VMOVUPS(lo, Mem{Base: out})
		VMOVUPS(hi, Mem{Base: out, Index: q, Scale: 1})
		ADDQ(os, out)
	}
	ADDQ(q, out) // past the block's eight rows
	DECQ(n)
	JNZ(LabelRef("block"))
	Label("done")
	VZEROUPPER()
	RET()
}
