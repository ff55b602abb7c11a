package gemm

import (
	"runtime"
	"sync"

	"github.com/basin-dev/basin/core/simd"
)

// Matrix is a read-only operand: element (i, j) is Data[i*Stride+j], or
// Data[j*Stride+i] when T (the matrix is stored transposed).
type Matrix struct {
	Data   []float32
	Stride int
	T      bool
}

// at returns the offset of element (i, j).
func (m Matrix) at(i, j int) int {
	if m.T {
		return j*m.Stride + i
	}
	return i*m.Stride + j
}

// from returns the view of m whose element (0, 0) is m's (i, j).
func (m Matrix) from(i, j int) Matrix {
	m.Data = m.Data[m.at(i, j):]
	return m
}

// transposed is mᵀ over the same data.
func (m Matrix) transposed() Matrix {
	m.T = !m.T
	return m
}

// Cache blocking: a KC×NC slice of B and an MC×KC slice of A are packed
// at a time (B's panel of NR columns stays in L1, A's block in L2).
const (
	kc = 320
	mc = 96
	nc = 1920
)

type workspace struct {
	a, b []float32
	tile []float32
}

// workspaces are kept for the life of the process, not in a sync.Pool:
// the pool is emptied at every GC, and a fresh 2.5 MB buffer costs page
// faults on its first write that dwarf the multiplication.
var workspaces struct {
	sync.Mutex
	free []*workspace
}

func getWorkspace() *workspace {
	workspaces.Lock()
	defer workspaces.Unlock()
	if n := len(workspaces.free); n > 0 {
		ws := workspaces.free[n-1]
		workspaces.free = workspaces.free[:n-1]
		return ws
	}
	return &workspace{a: make([]float32, mc*kc), b: make([]float32, kc*(nc+64)), tile: make([]float32, 64*64)}
}

func putWorkspace(ws *workspace) {
	workspaces.Lock()
	workspaces.free = append(workspaces.free, ws)
	workspaces.Unlock()
}

// Mul computes C = A·B (or C += A·B with accumulate) for an m×k A and a
// k×n B into C (m×n, row stride ldc), on the calling goroutine.
func Mul(c []float32, ldc int, a, b Matrix, m, n, k int, accumulate bool) {
	mul(c, ldc, a, b, nil, m, n, k, accumulate)
}

// Offsets describes a B that is never stored whole: column j is the run
// Src[Starts[j] + p], p = 0..k−1 (a convolution's input unfolded, each
// column one filter tap's view of a padded plane).
type Offsets struct {
	Src    []float32
	Starts []int
}

// MulOffsets is Mul with B given by Offsets: its panels are gathered
// straight from the runs, eight at a time.
func MulOffsets(c []float32, ldc int, a Matrix, b *Offsets, m, n, k int, accumulate bool) {
	mul(c, ldc, a, Matrix{}, b, m, n, k, accumulate)
}

func mul(c []float32, ldc int, a, b Matrix, off *Offsets, m, n, k int, accumulate bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		if !accumulate {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	ws := getWorkspace()
	defer putWorkspace(ws)
	kern := active
	for pc := 0; pc < k; pc += kc {
		kk := min(kc, k-pc)
		for jc := 0; jc < n; jc += nc {
			nn := min(nc, n-jc)
			if off != nil {
				off.pack(ws.b, pc, jc, kk, nn, kern.NR)
			} else {
				packB(ws.b, b, pc, jc, kk, nn, kern.NR)
			}
			for ic := 0; ic < m; ic += mc {
				mm := min(mc, m-ic)
				if kern.rows != nil && !a.T && n <= 4*kern.NR {
					// Few column panels share each block of A: reading A
					// in place costs less than packing it.
					blockRows(c, ldc, a, ws, kern, ic, jc, pc, mm, nn, kk, accumulate || pc > 0)
					continue
				}
				packA(ws.a, a, ic, pc, mm, kk, kern.MR)
				// The first k-block overwrites C unless accumulating.
				block(c, ldc, ws, kern, ic, jc, mm, nn, kk, accumulate || pc > 0)
			}
		}
	}
}

// block multiplies the packed A (mm×kk) and B (kk×nn) into C at (ic, jc).
func block(c []float32, ldc int, ws *workspace, kern Kernel, ic, jc, mm, nn, kk int, acc bool) {
	tile := kern.fn
	if !acc {
		tile = kern.set
	}
	mr, nr := kern.MR, kern.NR
	for jr := 0; jr < nn; jr += nr {
		bp := &ws.b[jr*kk]
		for ir := 0; ir < mm; ir += mr {
			ap := &ws.a[ir*kk]
			rows, cols := min(mr, mm-ir), min(nr, nn-jr)
			if rows == mr && cols == nr {
				tile(kk, ap, bp, &c[(ic+ir)*ldc+jc+jr], ldc)
				continue
			}
			// An edge tile: compute a full tile aside, keep its valid part.
			t := ws.tile[:mr*nr]
			kern.set(kk, ap, bp, &t[0], nr)
			putEdge(c[(ic+ir)*ldc+jc+jr:], ldc, t, nr, rows, cols, acc)
		}
	}
}

// putEdge writes (or adds, with acc) the rows×cols top-left part of an
// edge tile t (row stride nr) into c.
func putEdge(c []float32, ldc int, t []float32, nr, rows, cols int, acc bool) {
	for i := 0; i < rows; i++ {
		dst := c[i*ldc:][:cols]
		if !acc {
			copy(dst, t[i*nr:i*nr+cols])
			continue
		}
		for j, v := range t[i*nr : i*nr+cols] {
			dst[j] += v
		}
	}
}

// blockRows is block with A read in place (row-major, not packed): whole
// MR-row tiles through the kernel's rows variant, the last rows packed.
func blockRows(c []float32, ldc int, a Matrix, ws *workspace, kern Kernel, ic, jc, pc, mm, nn, kk int, acc bool) {
	tile := kern.rows
	if !acc {
		tile = kern.rowsSet
	}
	mr, nr := kern.MR, kern.NR
	full := mm / mr * mr
	for jr := 0; jr < nn; jr += nr {
		bp := &ws.b[jr*kk]
		cols := min(nr, nn-jr)
		for ir := 0; ir < full; ir += mr {
			ap := &a.Data[a.at(ic+ir, pc)]
			if cols == nr {
				tile(kk, ap, a.Stride, bp, &c[(ic+ir)*ldc+jc+jr], ldc)
				continue
			}
			t := ws.tile[:mr*nr] // an edge tile: computed aside, its valid part kept
			kern.rowsSet(kk, ap, a.Stride, bp, &t[0], nr)
			putEdge(c[(ic+ir)*ldc+jc+jr:], ldc, t, nr, mr, cols, acc)
		}
	}
	if full < mm {
		packA(ws.a, a, ic+full, pc, mm-full, kk, mr)
		block(c, ldc, ws, kern, ic+full, jc, mm-full, nn, kk, acc)
	}
}

// packA copies A[ic:ic+mm, pc:pc+kk] into MR-row panels: for each of the
// kk steps, MR consecutive values (rows past mm are zero). It is packB of
// Aᵀ.
func packA(dst []float32, a Matrix, ic, pc, mm, kk, mr int) {
	pack(dst, a.transposed().from(pc, ic), kk, mm, mr)
}

// packB copies B[pc:pc+kk, jc:jc+nn] into NR-column panels.
func packB(dst []float32, b Matrix, pc, jc, kk, nn, nr int) {
	pack(dst, b.from(pc, jc), kk, nn, nr)
}

// pack copies the kk×nn top-left block of b into w-wide column panels:
// panel q holds, for each of the kk rows, w consecutive values (columns
// past nn are zero). The panel is written in order; when b's rows are not
// contiguous the w columns stream in side by side.
func pack(dst []float32, b Matrix, kk, nn, w int) {
	for j0 := 0; j0 < nn; j0 += w {
		panel := dst[j0*kk : j0*kk+w*kk]
		cols := min(w, nn-j0)
		if cols < w {
			clear(panel)
		}
		if b.T && cols == w && w%8 == 0 {
			// Each column is a contiguous run of b's storage: gather
			// eight at a time, so every read streams.
			for j := 0; j < w; j += 8 {
				gather8(panel[j:], w, b.Data[b.at(0, j0+j):], b.Stride, kk)
			}
			continue
		}
		for p := 0; p < kk; p++ {
			out := panel[p*w : p*w+cols]
			if !b.T {
				copy(out, b.Data[b.at(p, j0):])
				continue
			}
			src := b.Data[b.at(p, j0):]
			for j := range out {
				out[j] = src[j*b.Stride]
			}
		}
	}
}

// pack writes rows pc..pc+kk and columns jc..jc+nn into nr-column panels
// as packB does.
func (o *Offsets) pack(dst []float32, pc, jc, kk, nn, nr int) {
	for j0 := 0; j0 < nn; j0 += nr {
		panel := dst[j0*kk : j0*kk+nr*kk]
		cols := min(nr, nn-j0)
		if cols < nr {
			clear(panel)
		}
		j := 0
		for ; j+8 <= cols; j += 8 {
			s := o.Starts[jc+j0+j : jc+j0+j+8]
			at := [8]int{s[0] + pc, s[1] + pc, s[2] + pc, s[3] + pc, s[4] + pc, s[5] + pc, s[6] + pc, s[7] + pc}
			simd.Gather8Runs(panel[j:], nr, o.Src, &at, kk)
		}
		for ; j < cols; j++ {
			run := o.Src[o.Starts[jc+j0+j]+pc:][:kk]
			for p, v := range run {
				panel[p*nr+j] = v
			}
		}
	}
}

// gather8 interleaves eight runs of kk values, run i starting at
// src[i·stride]: out[p·ostride + i] = src[i·stride + p].
func gather8(out []float32, ostride int, src []float32, stride, kk int) {
	r0, r1 := src[:kk], src[stride:][:kk]
	r2, r3 := src[2*stride:][:kk], src[3*stride:][:kk]
	r4, r5 := src[4*stride:][:kk], src[5*stride:][:kk]
	r6, r7 := src[6*stride:][:kk], src[7*stride:][:kk]
	for p := range r0 {
		o := (*[8]float32)(out[p*ostride:])
		o[0], o[1], o[2], o[3] = r0[p], r1[p], r2[p], r3[p]
		o[4], o[5], o[6], o[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// Workers is how many goroutines Parallel uses: one per core.
var Workers = runtime.GOMAXPROCS(0)

// Parallel is Mul split across Workers goroutines by blocks of C's columns
// (or rows, when C is tall and narrow). Small products stay on one core.
func Parallel(c []float32, ldc int, a, b Matrix, m, n, k int, accumulate bool) {
	w := Workers
	if w <= 1 || int64(m)*int64(n)*int64(k) < 1<<18 {
		Mul(c, ldc, a, b, m, n, k, accumulate)
		return
	}
	nr, mr := active.NR, active.MR
	var wg sync.WaitGroup
	// Split the dimension that divides evenly into whole tiles: columns
	// come in NR-wide panels, rows in MR-high ones.
	colWaste := (w*nr - n%(w*nr)) % (w * nr)
	rowWaste := (w*mr - m%(w*mr)) % (w * mr)
	byCols := n >= w*nr && (m < w*mr*4 || float64(colWaste)/float64(n) <= float64(rowWaste)/float64(m))
	run := func(i0, j0, rows, cols int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Mul(c[i0*ldc+j0:], ldc, a.from(i0, 0), b.from(0, j0), rows, cols, k, accumulate)
		}()
	}
	if byCols {
		step := (n/w + nr - 1) / nr * nr
		for j0 := 0; j0 < n; j0 += step {
			run(0, j0, m, min(step, n-j0))
		}
	} else {
		step := (m + w - 1) / w
		for i0 := 0; i0 < m; i0 += step {
			run(i0, 0, min(step, m-i0), n)
		}
	}
	wg.Wait()
}
