package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

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
	Pragma("noescape") // the kernels keep no pointer
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
	var accs []reg.VecVirtual
	var dsts []Mem
	for j := range a {
		for v := range a[j] {
			accs, dsts = append(accs, a[j][v]), append(dsts, out(j, v))
		}
	}
	storeReLU(accs, dsts, relu, YMM)
	for _, p := range []reg.Register{dst, d3, x} {
		ADDQ(U8(64), p)
	}
	DECQ(n)
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
	Pragma("noescape") // the kernels keep no pointer
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
	storeReLU(acc[:], out, relu, ZMM)
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

// storeReLU stores each accumulator to its place, through ReLU if asked
// (vec makes the zero register: YMM or ZMM).
func storeReLU(accs []reg.VecVirtual, dsts []Mem, relu bool, vec func() reg.VecVirtual) {
	var zero reg.VecVirtual
	if relu {
		zero = vec()
		VXORPS(zero, zero, zero)
	}
	for i, a := range accs {
		if relu {
			VMAXPS(a, zero, a)
		}
		VMOVUPS(a, dsts[i])
	}
}

// convTaps: eight output channels of a convolution given as a list of
// taps, over nvec·16 consecutive outputs of a flattened plane (AVX-512):
// for v < 16·nvec and j = 0..7,
//
//	dst[j·dstride + v] = Σ_ch<c Σ_t<ntaps w[8(ch·ntaps + t) + j]·x[ch·cstride + taps[t] + v]
//
// The three input vectors of a tap are loaded once and each of the eight
// weights broadcast once into a register, so a tap is 8·nvec
// multiply-adds on nvec + 8 loads; the 8·nvec accumulators stay in
// registers for the whole sum and are stored once.
func convTaps(nvec int) {
	TEXT(fmt.Sprintf("convTaps%dAVX512", nvec), NOSPLIT, "func(dst *float32, dstride int, x *float32, cstride, c int, taps *int, ntaps int, w *float32)")
	Pragma("noescape") // the kernels keep no pointer
	acc := make([][]reg.VecVirtual, 8)
	for j := range acc {
		acc[j] = make([]reg.VecVirtual, nvec)
		for v := range acc[j] {
			acc[j][v] = ZMM()
			VXORPS(acc[j][v], acc[j][v], acc[j][v])
		}
	}
	x, cs, cc := Load(Param("x"), GP64()), Load(Param("cstride"), GP64()), Load(Param("c"), GP64())
	wc := Load(Param("w"), GP64())
	SHLQ(U8(2), cs)
	Label("channel")
	tp, tn := Load(Param("taps"), GP64()), Load(Param("ntaps"), GP64())
	Label("tap")
	off := GP64()
	MOVQ(Mem{Base: tp}, off)
	xs := make([]reg.VecVirtual, nvec)
	for v := range xs {
		xs[v] = ZMM()
		VMOVUPS(Mem{Base: x, Index: off, Scale: 4, Disp: 64 * v}, xs[v])
	}
	for j := 0; j < 8; j++ {
		wb := ZMM()
		VBROADCASTSS(Mem{Base: wc, Disp: 4 * j}, wb)
		for v := range xs {
			VFMADD231PS(xs[v], wb, acc[j][v])
		}
	}
	ADDQ(U8(32), wc)
	ADDQ(U8(8), tp)
	DECQ(tn)
	JNZ(LabelRef("tap"))
	ADDQ(cs, x)
	DECQ(cc)
	JNZ(LabelRef("channel"))
	dst, ds := Load(Param("dst"), GP64()), Load(Param("dstride"), GP64())
	SHLQ(U8(2), ds)
	for j := 0; j < 8; j++ {
		for v := 0; v < nvec; v++ {
			VMOVUPS(acc[j][v], Mem{Base: dst, Disp: 64 * v})
		}
		if j < 7 {
			ADDQ(ds, dst)
		}
	}
	VZEROUPPER()
	RET()
}

// tapsOut copies rows of ConvTaps' output (rows pw apart in src) into
// an image's rows (ow wide, packed in dst), adding *bias and, with res,
// the residual input (rows packed like dst's), then ReLU if asked: the
// columns past ow that the flattened grid computed are dropped. A row
// is its whole 16s and then its rest under a mask (AVX-512).
func tapsOut(relu, res bool) {
	name := "tapsOut"
	sig := "func(dst, src *float32, rows, ow, pw int, bias *float32)"
	if res {
		name += "Res"
		sig = "func(dst, src *float32, rows, ow, pw int, bias, res *float32)"
	}
	if relu {
		name += "ReLU"
	}
	TEXT(name+"AVX512", NOSPLIT, sig)
	Pragma("noescape") // the kernels keep no pointer
	dst, src := Load(Param("dst"), GP64()), Load(Param("src"), GP64())
	rows, ow, pw := Load(Param("rows"), GP64()), Load(Param("ow"), GP64()), Load(Param("pw"), GP64())
	var r reg.Register
	if res {
		r = Load(Param("res"), GP64())
	}
	b := ZMM()
	bp := Load(Param("bias"), GP64())
	VBROADCASTSS(Mem{Base: bp}, b)
	var zero reg.VecVirtual
	if relu {
		zero = ZMM()
		VXORPS(zero, zero, zero)
	}
	SHLQ(U8(2), pw)
	rowsByMask(rows, ow, func(rw rowAccess) {
		v := ZMM()
		rw.load(src, v)
		VADDPS(b, v, v)
		if res {
			t := ZMM()
			rw.load(r, t)
			VADDPS(t, v, v)
		}
		if relu {
			VMAXPS(v, zero, v) // a NaN stays NaN
		}
		rw.store(v, dst)
	}, func(ow reg.Register) {
		ADDQ(pw, src)
		ADDQ(ow, dst)
		if res {
			ADDQ(ow, r)
		}
	})
	VZEROUPPER()
	RET()
}

// copyRows copies rows of w floats, ss apart in src, to ds apart in dst
// (AVX-512; a row is its whole 16s, then its rest under a mask): a tap
// convolution's input rows into its zero-padded planes.
func copyRows() {
	TEXT("copyRowsAVX512", NOSPLIT, "func(dst *float32, ds int, src *float32, ss, rows, w int)")
	Pragma("noescape") // the kernels keep no pointer
	dst, ds := Load(Param("dst"), GP64()), Load(Param("ds"), GP64())
	src, ss := Load(Param("src"), GP64()), Load(Param("ss"), GP64())
	rows, w := Load(Param("rows"), GP64()), Load(Param("w"), GP64())
	SHLQ(U8(2), ds)
	SHLQ(U8(2), ss)
	rowsByMask(rows, w, func(rw rowAccess) {
		v := ZMM()
		rw.load(src, v)
		rw.store(v, dst)
	}, func(reg.Register) {
		ADDQ(ss, src)
		ADDQ(ds, dst)
	})
	VZEROUPPER()
	RET()
}

// tapsGrad: the filter gradient of a tap convolution, for eight output
// channels and three taps (AVX-512): over n blocks of 16 positions v,
//
//	out[(k·8 + j)·16 + lane] += Σ_blocks gz[j·gstride + v]·x[offs[k] + v]
//
// lane-wise (the caller sums the 16 lanes once, at the end). Per block the
// three input vectors and the eight gradient vectors are loaded once for
// 24 multiply-adds into registers.
func tapsGrad() {
	TEXT("tapsGradAVX512", NOSPLIT, "func(out, gz *float32, gstride int, x *float32, offs *[3]int, n int)")
	Pragma("noescape") // the kernels keep no pointer
	acc := make([][3]reg.VecVirtual, 8)
	for j := range acc {
		for k := range acc[j] {
			acc[j][k] = ZMM()
			VXORPS(acc[j][k], acc[j][k], acc[j][k])
		}
	}
	gz, gs := Load(Param("gz"), GP64()), Load(Param("gstride"), GP64())
	x, offs, n := Load(Param("x"), GP64()), Load(Param("offs"), GP64()), Load(Param("n"), GP64())
	SHLQ(U8(2), gs)
	var px [3]reg.GPVirtual
	for k := range px {
		px[k] = GP64()
		MOVQ(Mem{Base: offs, Disp: 8 * k}, px[k])
		SHLQ(U8(2), px[k])
		ADDQ(x, px[k])
	}
	gs3 := GP64()
	MOVQ(gs, gs3)
	ADDQ(gs, gs3)
	ADDQ(gs, gs3)
	g4 := GP64()
	Label("block")
	MOVQ(gs, g4)
	SHLQ(U8(2), g4)
	ADDQ(gz, g4)
	rows := []Mem{{Base: gz}, {Base: gz, Index: gs, Scale: 1}, {Base: gz, Index: gs, Scale: 2}, {Base: gz, Index: gs3, Scale: 1},
		{Base: g4}, {Base: g4, Index: gs, Scale: 1}, {Base: g4, Index: gs, Scale: 2}, {Base: g4, Index: gs3, Scale: 1}}
	var xv [3]reg.VecVirtual
	for k := range xv {
		xv[k] = ZMM()
		VMOVUPS(Mem{Base: px[k]}, xv[k])
	}
	for j := 0; j < 8; j++ {
		g := ZMM()
		VMOVUPS(rows[j], g)
		for k := 0; k < 3; k++ {
			VFMADD231PS(xv[k], g, acc[j][k])
		}
	}
	ADDQ(U8(64), gz)
	for k := range px {
		ADDQ(U8(64), px[k])
	}
	DECQ(n)
	JNZ(LabelRef("block"))
	out := Load(Param("out"), GP64())
	for k := 0; k < 3; k++ {
		for j := 0; j < 8; j++ {
			a := Mem{Base: out, Disp: 64 * (k*8 + j)}
			VADDPS(a, acc[j][k], acc[j][k])
			VMOVUPS(acc[j][k], a)
		}
	}
	VZEROUPPER()
	RET()
}

// split2: a stride-2 tap convolution's input rows into their two column
// phases (AVX-512): for each of rows rows (sstride apart in src, dstride
// apart in dst0 and dst1), dst0[i] = src[2i] and dst1[i] = src[2i+1],
// from one row of at most 32 floats loaded under masks mlo and mhi and
// stored under m0 and m1. idx holds the two permutations (even lanes,
// then odd) of the 32 loaded floats.
func split2() {
	TEXT("split2AVX512", NOSPLIT, "func(dst0, dst1 *float32, dstride int, src *float32, sstride, rows, mlo, mhi, m0, m1 int, idx *int32)")
	Pragma("noescape") // the kernels keep no pointer
	d0, d1, ds := Load(Param("dst0"), GP64()), Load(Param("dst1"), GP64()), Load(Param("dstride"), GP64())
	src, ss, rows := Load(Param("src"), GP64()), Load(Param("sstride"), GP64()), Load(Param("rows"), GP64())
	var k [4]reg.Register
	for i, name := range []string{"mlo", "mhi", "m0", "m1"} {
		m := Load(Param(name), GP64())
		k[i] = K()
		KMOVW(m.(reg.GPVirtual).As32(), k[i])
	}
	idx := Load(Param("idx"), GP64())
	ie, io := ZMM(), ZMM()
	VMOVDQU32(Mem{Base: idx}, ie)
	VMOVDQU32(Mem{Base: idx, Disp: 64}, io)
	SHLQ(U8(2), ds)
	SHLQ(U8(2), ss)
	Label("row")
	lo, hi, a, b := ZMM(), ZMM(), ZMM(), ZMM()
	VMOVUPS_Z(Mem{Base: src}, k[0], lo)
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, k[1], hi)
	VMOVAPS(lo, a)
	VPERMT2PS(hi, ie, a)
	VMOVAPS(lo, b)
	VPERMT2PS(hi, io, b)
	VMOVUPS(a, k[2], Mem{Base: d0})
	VMOVUPS(b, k[3], Mem{Base: d1})
	ADDQ(ss, src)
	ADDQ(ds, d0)
	ADDQ(ds, d1)
	DECQ(rows)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}

// rowAccess loads and stores 16 floats of a row at i, whole or under
// the mask of the row's rest.
type rowAccess struct {
	i    reg.Register
	mask reg.Register // nil: a whole 16
}

func (a rowAccess) load(p reg.Register, v reg.VecVirtual) {
	m := Mem{Base: p, Index: a.i, Scale: 4}
	if a.mask == nil {
		VMOVUPS(m, v)
		return
	}
	VMOVUPS_Z(m, a.mask, v)
}

func (a rowAccess) store(v reg.VecVirtual, p reg.Register) {
	m := Mem{Base: p, Index: a.i, Scale: 4}
	if a.mask == nil {
		VMOVUPS(v, m)
		return
	}
	VMOVUPS(v, a.mask, m)
}

// rowsByMask emits a loop over rows rows of w floats: body on each whole
// 16 of a row, then on its rest (w mod 16) under a mask, then next to
// move the row pointers on (given w·4, the row's bytes). It labels
// "row", "chunk", "rest" and "next".
func rowsByMask(rows, w reg.Register, body func(rowAccess), next func(wBytes reg.Register)) {
	rest, m := GP64(), GP64()
	MOVQ(w, rest)
	ANDQ(U8(15), rest)
	MOVQ(U32(1), m)
	SHLXQ(rest, m, m)
	DECQ(m)
	k := K()
	KMOVW(m.As32(), k)
	full := GP64()
	MOVQ(w, full)
	SHRQ(U8(4), full)
	SHLQ(U8(2), w)
	Label("row")
	i, n := GP64(), GP64()
	XORQ(i, i)
	MOVQ(full, n)
	TESTQ(n, n)
	JZ(LabelRef("rest"))
	Label("chunk")
	body(rowAccess{i: i})
	ADDQ(U8(16), i)
	DECQ(n)
	JNZ(LabelRef("chunk"))
	Label("rest")
	TESTQ(rest, rest)
	JZ(LabelRef("next"))
	body(rowAccess{i: i, mask: k})
	Label("next")
	next(w)
	DECQ(rows)
	JNZ(LabelRef("row"))
}
