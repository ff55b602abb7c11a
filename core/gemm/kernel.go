package gemm

import (
	"os"
	"unsafe"
)

// Kernel is a micro-kernel: C[MR×NR] += Ã·B̃ over k packed steps (fn), or
// C = Ã·B̃ (set).
type Kernel struct {
	Name    string
	MR, NR  int
	fn, set func(k int, a, b, c *float32, ldc int)
	// rows and rowsSet, when not nil, read A unpacked: row i at a + i·lda.
	rows, rowsSet func(k int, a *float32, lda int, b, c *float32, ldc int)
}

var goKernel = Kernel{Name: "go", MR: 4, NR: 8, fn: kernelGo, set: kernelGoSet}

// Tile computes one MR×NR tile of C from packed panels: C (+)= Ã·B̃ over
// steps, where a holds MR values and b NR values per step.
func (k Kernel) Tile(steps int, a, b, c []float32, ldc int, accumulate bool) {
	_ = a[k.MR*steps-1]
	_ = b[k.NR*steps-1]
	_ = c[(k.MR-1)*ldc+k.NR-1]
	if accumulate {
		k.fn(steps, &a[0], &b[0], &c[0], ldc)
	} else {
		k.set(steps, &a[0], &b[0], &c[0], ldc)
	}
}

// Panels computes an MR×n strip of C (n a multiple of NR) from one packed
// A panel and n/NR packed B panels laid end to end: Tile for each, in one
// call (Winograd's products are many short strips).
func (k *Kernel) Panels(steps int, a, b, c []float32, n, ldc int, accumulate bool) {
	if n <= 0 {
		return
	}
	_ = a[k.MR*steps-1]
	_ = b[n*steps-1]
	_ = c[(k.MR-1)*ldc+n-1]
	f := k.set
	if accumulate {
		f = k.fn
	}
	for j := 0; j < n; j += k.NR {
		f(steps, &a[0], &b[j*steps], &c[j], ldc)
	}
}

// active is the kernel Mul uses.
var active = chooseKernel()

func chooseKernel() Kernel {
	if os.Getenv("BASIN_GEMM") == "go" {
		return goKernel
	}
	for _, k := range asmKernels() {
		return k // the best this CPU supports
	}
	return goKernel
}

// Active reports the kernel in use.
func Active() Kernel { return active }

// Kernels lists every kernel this CPU can run, best first (for tests).
func Kernels() []Kernel { return append(asmKernels(), goKernel) }

// Use switches the kernel (tests and benchmarks); it returns the old one.
func Use(k Kernel) Kernel {
	old := active
	active = k
	return old
}

// kernelGoSet overwrites the tile.
func kernelGoSet(k int, ap, bp, cp *float32, ldc int) {
	c := unsafe.Slice(cp, 3*ldc+8)
	for i := 0; i < 4; i++ {
		clear(c[i*ldc : i*ldc+8])
	}
	kernelGo(k, ap, bp, cp, ldc)
}

// kernelGo is the portable 4×8 micro-kernel.
func kernelGo(k int, ap, bp, cp *float32, ldc int) {
	a := unsafe.Slice(ap, 4*k)
	b := unsafe.Slice(bp, 8*k)
	var acc [4][8]float32
	for p := 0; p < k; p++ {
		bb := (*[8]float32)(b[8*p : 8*p+8])
		aa := (*[4]float32)(a[4*p : 4*p+4])
		for i := 0; i < 4; i++ {
			ai := aa[i]
			r := &acc[i]
			r[0] += ai * bb[0]
			r[1] += ai * bb[1]
			r[2] += ai * bb[2]
			r[3] += ai * bb[3]
			r[4] += ai * bb[4]
			r[5] += ai * bb[5]
			r[6] += ai * bb[6]
			r[7] += ai * bb[7]
		}
	}
	c := unsafe.Slice(cp, 3*ldc+8)
	for i := 0; i < 4; i++ {
		row := c[i*ldc : i*ldc+8]
		for j := range row {
			row[j] += acc[i][j]
		}
	}
}
