// Command gen writes basin's SGEMM micro-kernels in Go assembly with avo:
//
//	cd core/gemm/_gen && go run . -out ../kernel_amd64.s -stubs ../kernel_amd64.go -pkg gemm
//
// Each kernel computes C[MR×NR] += Ã·B̃ over k steps, where Ã is a packed
// MR-row panel (MR values per step) and B̃ a packed NR-column panel (NR
// values per step), and C has row stride ldc (in elements).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	kernel("kernelAVX512", 8, 3, 16, zmm, true, false)
	kernel("kernelAVX512Set", 8, 3, 16, zmm, false, false)
	kernel("kernelAVX512Rows", 8, 3, 16, zmm, true, true)
	kernel("kernelAVX512RowsSet", 8, 3, 16, zmm, false, true)
	kernel("kernelAVX2", 4, 3, 8, ymm, true, false)
	kernel("kernelAVX2Set", 4, 3, 8, ymm, false, false)
	Generate()
}

func zmm(i int) reg.VecPhysical {
	return []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7, reg.Z8, reg.Z9,
		reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15, reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20,
		reg.Z21, reg.Z22, reg.Z23, reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}[i]
}

func ymm(i int) reg.VecPhysical {
	return []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7, reg.Y8,
		reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}[i]
}

// kernel emits one micro-kernel: mr rows of nv vectors of width lanes. With
// accumulate it adds the tile to C; otherwise it overwrites C (C = Ã·B̃).
// Accumulators take registers 0..mr*nv-1, the B row the next nv, and (for
// AVX2, which has no embedded broadcast) one more for the broadcast A value.
//
// With rows, A is not packed: row i of the tile's A starts at a + i·lda
// (lda in elements), so a row-major A multiplies without being copied.
func kernel(name string, mr, nv, lanes int, r func(int) reg.VecPhysical, accumulate, rows bool) {
	nr := nv * lanes
	sig := "func(k int, a, b, c *float32, ldc int)"
	if rows {
		sig = "func(k int, a *float32, lda int, b, c *float32, ldc int)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape") // the kernels keep no pointer
	op := "="
	if accumulate {
		op = "+="
	}
	what := "packed"
	if rows {
		what = "row-major A, packed B"
	}
	Doc(fmt.Sprintf("%s computes C[%dx%d] %s A·B over k steps (%s).", name, mr, nr, op, what))
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	aAt := func(i int) Mem { return Mem{Base: a, Disp: 4 * i} }
	var a4 reg.Register
	if rows {
		lda := Load(Param("lda"), GP64())
		SHLQ(U8(2), lda)
		lda3 := GP64()
		MOVQ(lda, lda3)
		ADDQ(lda, lda3)
		ADDQ(lda, lda3)
		a4 = GP64()
		MOVQ(lda, a4)
		SHLQ(U8(2), a4)
		ADDQ(a, a4)
		aAt = func(i int) Mem {
			base := a
			if i >= 4 {
				base, i = a4, i-4
			}
			switch i {
			case 0:
				return Mem{Base: base}
			case 3:
				return Mem{Base: base, Index: lda3, Scale: 1}
			}
			return Mem{Base: base, Index: lda, Scale: byte(i)}
		}
	}
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	acc := func(i, j int) reg.VecPhysical { return r(i*nv + j) }
	bv := func(j int) reg.VecPhysical { return r(mr*nv + j) }
	for i := 0; i < mr; i++ {
		for j := 0; j < nv; j++ {
			if lanes == 16 {
				VPXORD(acc(i, j), acc(i, j), acc(i, j)) // AVX-512F (VXORPS zmm needs DQ)
			} else {
				VXORPS(acc(i, j), acc(i, j), acc(i, j))
			}
		}
	}
	TESTQ(k, k)
	JZ(LabelRef("store"))
	Label("loop")
	for j := 0; j < nv; j++ {
		VMOVUPS(Mem{Base: b, Disp: 4 * lanes * j}, bv(j))
	}
	for i := 0; i < mr; i++ {
		// Two broadcast registers alternate where there is room, so the
		// next row's broadcast need not wait for this row's FMAs.
		bc := r(mr*nv + nv)
		if lanes == 16 && i%2 == 1 {
			bc = r(mr*nv + nv + 1)
		}
		VBROADCASTSS(aAt(i), bc)
		for j := 0; j < nv; j++ {
			VFMADD231PS(bc, bv(j), acc(i, j))
		}
	}
	if rows {
		ADDQ(U8(4), a)
		ADDQ(U8(4), a4)
	} else {
		ADDQ(U32(uint32(4*mr)), a)
	}
	ADDQ(U32(uint32(4*nr)), b)
	DECQ(k)
	JNZ(LabelRef("loop"))
	Label("store")
	SHLQ(Imm(2), ldc)
	for i := 0; i < mr; i++ {
		for j := 0; j < nv; j++ {
			m := Mem{Base: c, Disp: 4 * lanes * j}
			if accumulate {
				VADDPS(m, acc(i, j), acc(i, j))
			}
			VMOVUPS(acc(i, j), m)
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
