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
	kernel("kernelAVX512", 8, 3, 16, zmm, true)
	kernel("kernelAVX512Set", 8, 3, 16, zmm, false)
	kernel("kernelAVX2", 4, 3, 8, ymm, true)
	kernel("kernelAVX2Set", 4, 3, 8, ymm, false)
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
func kernel(name string, mr, nv, lanes int, r func(int) reg.VecPhysical, accumulate bool) {
	nr := nv * lanes
	TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int)")
	op := "="
	if accumulate {
		op = "+="
	}
	Doc(fmt.Sprintf("%s computes C[%dx%d] %s A·B over k packed steps.", name, mr, nr, op))
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
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
		VBROADCASTSS(Mem{Base: a, Disp: 4 * i}, bc)
		for j := 0; j < nv; j++ {
			VFMADD231PS(bc, bv(j), acc(i, j))
		}
	}
	ADDQ(U32(uint32(4*mr)), a)
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
