//go:build !amd64 || purego

package gemm

func asmKernels() []Kernel { return nil }
