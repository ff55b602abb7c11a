//go:build !amd64 || purego

package gemm

func asmKernels() []Kernel { return nil }

// gather8RunsAsm has no assembly here; gather8Runs never calls it (the
// active kernel is the Go one).
func gather8RunsAsm(out []float32, ostride int, src []float32, start *[8]int, blocks int) {
	panic("gemm: no assembly gather in this build")
}
