//go:build amd64 && !purego

package gemm

import (
	"os"

	"golang.org/x/sys/cpu"
)

func asmKernels() []Kernel {
	var ks []Kernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && os.Getenv("BASIN_GEMM") != "avx2" {
		ks = append(ks, Kernel{Name: "avx512", MR: 8, NR: 48, fn: kernelAVX512, set: kernelAVX512Set,
			rows: kernelAVX512Rows, rowsSet: kernelAVX512RowsSet})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, Kernel{Name: "avx2", MR: 4, NR: 24, fn: kernelAVX2, set: kernelAVX2Set})
	}
	return ks
}
