// Package gemm multiplies float32 matrices fast: C (+)= A·B, with A and B
// each stored plain or transposed. It is the arithmetic under basin's
// convolution and dense layers.
//
// Data flows: Mul splits C into column blocks across cores (Parallel) →
// each block is computed BLIS-style: a KC-deep slice of B is packed into
// NR-column panels, a slice of A into MR-row panels (zero-padded at the
// edges), and a micro-kernel multiplies one MR×NR tile of C per call,
// accumulating into C in place. The micro-kernels are generated Go
// assembly (see _gen: avo writes kernel_amd64.s): AVX-512 (8×48) or
// AVX2+FMA (4×24), chosen at start-up from the CPU, with a pure-Go kernel
// (4×8) for other CPUs. BASIN_GEMM=go (or the build tag purego) forces the
// pure-Go kernel, and BASIN_GEMM=avx2 the AVX2 one, so CI tests the
// fallbacks too. MulOffsets takes a B that is never stored whole (each
// column a run of one buffer at its own offset, as a convolution's input
// unfolded) and gathers its panels straight from the runs, eight at a time
// (simd.Gather8Runs).
package gemm

//go:generate sh -c "cd _gen && go run . -out ../kernel_amd64.s -stubs ../kernel_amd64.go -pkg gemm"
