// Package bench measures basin's engine on fixed workloads: the peak of
// this machine's SGEMM, the forward pass, training steps and landscape
// scans, each with images/s, points/s and effective GFLOP/s from the exact
// FLOP count of the net. `basin bench` prints them; bench_test.go runs the
// same workloads as `go test -bench` benchmarks.
//
// Data flows: a Workload gets the embedded MNIST and the shipped
// pretrained checkpoints, runs its engine call for a fixed amount of work
// and returns a Result; Report formats results against the measured peak.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/onnx"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

// Result is one measured workload.
type Result struct {
	Name    string
	Images  int     // images pushed through the net (forward or train)
	Points  int     // scan points
	HVPs    int     // Hessian-vector products
	FLOP    float64 // floating-point operations done
	Elapsed time.Duration
	PeakRSS int64 // bytes, when measured
}

// GFLOPS is the effective rate.
func (r Result) GFLOPS() float64 { return r.FLOP / r.Elapsed.Seconds() / 1e9 }

// Workload is a named measurement, and PyTorch's on the same work when
// there is one (Peer, nil otherwise).
type Workload struct {
	Name string
	Run  func(ctx context.Context, env *Env) (Result, error)
	Peer func(ctx context.Context, env *Env) (Result, error)
	// PeerName is what Peer runs ("" is PyTorch).
	PeerName string
}

// Env is what workloads share: the data and the pretrained models.
type Env struct {
	Source *data.Source
	Quick  bool
	// Exe, when set, is the basin binary: scans then run as child
	// processes (`basin scan2d …`), so their wall time and peak memory are
	// what a user's command sees, unaffected by the other workloads.
	Exe    string
	models map[string]*checkpoint.Checkpoint
	onnx   map[string][]byte // the bytes of each "PRESET.onnx" model
}

// NewEnv loads the embedded data.
func NewEnv(quick bool) (*Env, error) {
	src, err := data.LoadEmbedded()
	if err != nil {
		return nil, err
	}
	return &Env{Source: src, Quick: quick, models: map[string]*checkpoint.Checkpoint{}, onnx: map[string][]byte{}}, nil
}

// model is a pretrained preset, or with ".onnx" after its name the same
// model exported to ONNX and read back: the layers the importer makes of
// it, as a user's exported model gets them.
func (e *Env) model(name string) (*checkpoint.Checkpoint, error) {
	if ck, ok := e.models[name]; ok {
		return ck, nil
	}
	preset, viaONNX := strings.CutSuffix(name, ".onnx")
	ck, err := checkpoint.Pretrained(preset)
	if err != nil {
		return nil, err
	}
	if viaONNX {
		m, err := onnx.Export(ck.Arch, ck.Params)
		if err != nil {
			return nil, err
		}
		b := m.Marshal()
		norm := ck.Arch.Norm
		if ck, err = checkpoint.Parse(name, b); err != nil {
			return nil, err
		}
		if err := ck.SetNorm(norm); err != nil {
			return nil, err
		}
		e.onnx[name] = b
	}
	e.models[name] = ck
	return ck, nil
}

// grid is a scan's side: 3x smaller in a quick run.
func (e *Env) grid(n int) int {
	if e.Quick {
		return max(n/3, 2)
	}
	return n
}

// Workloads lists the fixed workloads, peak first.
func Workloads() []Workload {
	return []Workload{
		{Name: "peak: SGEMM 2048³, all cores", Run: Peak,
			Peer: func(ctx context.Context, e *Env) (Result, error) { return PeerSGEMM(ctx, e) }, PeerName: "numpy (OpenBLAS)"},
		{Name: "forward standard, batch 1000", Run: func(ctx context.Context, e *Env) (Result, error) { return Forward(e, "standard", 1000) }},
		{Name: "forward small, batch 1000", Run: func(ctx context.Context, e *Env) (Result, error) { return Forward(e, "small", 1000) }},
		{Name: "train standard, batch 64", Run: func(ctx context.Context, e *Env) (Result, error) { return Train(e, "standard", 64) }},
		{Name: "train small, batch 64", Run: func(ctx context.Context, e *Env) (Result, error) { return Train(e, "small", 64) }},
		{Name: "Hv small, 1000 images", Run: func(ctx context.Context, e *Env) (Result, error) { return HessianVector(ctx, e, "small", 1000) },
			Peer: func(ctx context.Context, e *Env) (Result, error) { return PeerHessian(ctx, e, "small", 1000) }},
		{Name: "Hv standard, 1000 images", Run: func(ctx context.Context, e *Env) (Result, error) { return HessianVector(ctx, e, "standard", 1000) },
			Peer: func(ctx context.Context, e *Env) (Result, error) { return PeerHessian(ctx, e, "standard", 1000) }},
		{Name: "scan1d standard, 51 points, 1000 images", Run: func(ctx context.Context, e *Env) (Result, error) { return Scan(ctx, e, "standard", 51, 0) }},
		{Name: "scan2d standard, 21x21, 1000 images", Run: func(ctx context.Context, e *Env) (Result, error) { return Scan(ctx, e, "standard", 21, 21) }},
		{Name: "train resnet, batch 64", Run: func(ctx context.Context, e *Env) (Result, error) { return Train(e, "resnet", 64) },
			Peer: func(ctx context.Context, e *Env) (Result, error) { return Peer(ctx, e, "train", 0) }},
		{Name: "scan2d resnet, 11x11, 1000 images", Run: func(ctx context.Context, e *Env) (Result, error) { return Scan(ctx, e, "resnet", 11, 11) },
			Peer: func(ctx context.Context, e *Env) (Result, error) { return Peer(ctx, e, "scan", e.grid(11)) }},
		{Name: "scan2d resnet read from ONNX, 11x11, 1000 images", Run: func(ctx context.Context, e *Env) (Result, error) { return Scan(ctx, e, "resnet.onnx", 11, 11) }},
	}
}

// Peak times a large square SGEMM on every core: the ceiling the other
// rates are compared with.
func Peak(ctx context.Context, e *Env) (Result, error) {
	n, reps := 2048, 5
	if e.Quick {
		reps = 2
	}
	c, A, B := sgemmInputs(n)
	gemm.Parallel(c, n, A, B, n, n, n, false) // warm up: touch the memory
	best := time.Duration(math.MaxInt64)
	for i := 0; i < reps; i++ {
		best = min(best, sgemmOnce(c, A, B, n))
	}
	return Result{Name: "peak (" + gemm.Active().Name + "), best of " + strconv.Itoa(reps), FLOP: 2 * float64(n) * float64(n) * float64(n), Elapsed: best}, nil
}

// sgemmInputs are the peak's seeded n×n operands and its output.
func sgemmInputs(n int) (c []float32, a, b gemm.Matrix) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float32, n*n), make([]float32, n*n)
	for i := range x {
		x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	return make([]float32, n*n), gemm.Matrix{Data: x, Stride: n}, gemm.Matrix{Data: y, Stride: n}
}

// sgemmOnce times one n×n×n SGEMM on every core.
func sgemmOnce(c []float32, a, b gemm.Matrix, n int) time.Duration {
	start := time.Now()
	gemm.Parallel(c, n, a, b, n, n, n, false)
	return time.Since(start)
}

func indices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// Forward times forward passes of a preset at a batch size.
func Forward(e *Env, preset string, batch int) (Result, error) {
	ck, err := e.model(preset)
	if err != nil {
		return Result{}, err
	}
	net, err := model.NewNet(ck.Arch, ck.Params.Clone(), batch, false)
	if err != nil {
		return Result{}, err
	}
	defer net.Close()
	reps := 10
	if preset == "standard" {
		reps = 4
	}
	if e.Quick {
		reps = max(reps/4, 1)
	}
	idx := indices(batch)
	if _, _, err := net.Run(e.Source.Train, idx); err != nil { // warm-up allocates the buffers
		return Result{}, err
	}
	start := time.Now()
	for i := 0; i < reps; i++ {
		if _, _, err := net.Run(e.Source.Train, idx); err != nil {
			return Result{}, err
		}
	}
	n := batch * reps
	return Result{Images: n, FLOP: float64(ck.Arch.FLOPs()) * float64(n), Elapsed: time.Since(start)}, nil
}

// Train times optimizer steps (forward, backward, SGD with momentum) as
// the PyTorch peer times its own (_peer/resnet.py): one run of the steps
// to warm up, then the best of three runs of them, each on the same
// batches (Quick: one step to warm up, one run).
func Train(e *Env, preset string, batch int) (Result, error) {
	arch, err := model.Preset(preset)
	if err != nil {
		return Result{}, err
	}
	params := arch.Init(1)
	net, err := model.NewNet(arch, params, batch, true)
	if err != nil {
		return Result{}, err
	}
	defer net.Close()
	opt, err := train.NewOptimizer(train.SGD, 0.05, 0.9, 0, params)
	if err != nil {
		return Result{}, err
	}
	steps := 300
	if preset != "small" && preset != "mlp" {
		steps = 40
	}
	warm, reps := steps, 3
	if e.Quick {
		steps /= 4
		warm, reps = 1, 1
	}
	idx := indices(batch * steps)
	run := func(n int) (time.Duration, error) {
		start := time.Now()
		for s := 0; s < n; s++ {
			if _, _, err := net.Run(e.Source.Train, idx[s*batch:(s+1)*batch]); err != nil {
				return 0, err
			}
			opt.Step(params, net.Grads)
		}
		return time.Since(start), nil
	}
	if _, err := run(warm); err != nil {
		return Result{}, err
	}
	best := time.Duration(math.MaxInt64)
	for range reps {
		d, err := run(steps)
		if err != nil {
			return Result{}, err
		}
		best = min(best, d)
	}
	n := steps * batch
	return Result{Images: n, FLOP: float64(TrainFLOPs(arch)) * float64(n), Elapsed: best}, nil
}

// HessianVector times exact Hessian-vector products (core/hessian's
// R-operator) of a pretrained preset on the first images of the training
// split: what each power-iteration step and trace probe of basin
// sharpness costs.
func HessianVector(ctx context.Context, e *Env, preset string, images int) (Result, error) {
	ck, err := e.model(preset)
	if err != nil {
		return Result{}, err
	}
	p, err := hessian.NewProduct(ck.Arch, ck.Params, e.Source.Train.Subset(indices(images)))
	if err != nil {
		return Result{}, err
	}
	reps := hessianReps(preset, e.Quick)
	v := make([]float64, p.Dim())
	r := rand.New(rand.NewPCG(1, 2))
	for i := range v {
		v[i] = r.NormFloat64()
	}
	hv := make([]float64, p.Dim())
	if err := p.Apply(ctx, v, hv); err != nil { // warm-up: buffers
		return Result{}, err
	}
	start := time.Now()
	for range reps {
		if err := p.Apply(ctx, v, hv); err != nil {
			return Result{}, err
		}
	}
	n := reps * images
	return Result{Images: n, HVPs: reps, FLOP: float64(HessianFLOPs(ck.Arch)) * float64(n), Elapsed: time.Since(start)}, nil
}

// hessianReps is how many products the Hv workloads time.
func hessianReps(preset string, quick bool) int {
	reps := 20
	if preset == "standard" {
		reps = 4
	}
	if quick {
		reps = max(reps/4, 1)
	}
	return reps
}

// HessianFLOPs counts one image's Hessian-vector product: per layer with
// parameters (f FLOPs forward), the forward pass and its R-value (W·R{x}
// and V·x), the R-gradient of the weights (R{g}·xᵀ and g·R{x}ᵀ), and the
// input gradient and its R-value (Wᵀg, WᵀR{g} and Vᵀg): 8f, or 3f for the
// first layer, whose input is the images.
func HessianFLOPs(a model.Arch) int64 {
	total, first := int64(0), true
	shapes := a.Shapes()
	for i, l := range a.Layers {
		var f int64
		switch l.Kind {
		case model.Conv:
			f = 2 * int64(shapes[i].Size()) * int64(l.In*l.Kernel*l.Kernel)
		case model.Dense:
			f = 2 * int64(l.In) * int64(l.Out)
		default:
			continue
		}
		if first {
			total += 3 * f
			first = false
		} else {
			total += 8 * f
		}
	}
	return total
}

// TrainFLOPs counts one image's training step: the forward pass, the
// weight gradients (as many FLOPs again) and the input gradients of every
// layer but the first.
func TrainFLOPs(a model.Arch) int64 {
	first := int64(0)
	shapes := a.Shapes()
	for i, l := range a.Layers {
		switch l.Kind {
		case model.Conv:
			first = 2 * int64(model.Shape(shapes[i]).Size()) * int64(l.In*l.Kernel*l.Kernel)
		case model.Dense:
			first = 2 * int64(l.In) * int64(l.Out)
		default:
			continue
		}
		break
	}
	return 3*a.FLOPs() - first
}

// Scan times a scan of a pretrained preset on 1000 training images (a 1D
// scan when ny is 0) and its peak resident memory.
func Scan(ctx context.Context, e *Env, preset string, nx, ny int) (Result, error) {
	ck, err := e.model(preset)
	if err != nil {
		return Result{}, err
	}
	if ny > 0 {
		ny = e.grid(ny)
	}
	nx = e.grid(nx)
	st := scan.Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: nx}, Direction: direction.Spec{Seed: 1, Norm: direction.Filter},
		SampleSeed: 1, Split: data.Train, Samples: 1000}
	if ny > 0 {
		st.Beta = surface.Axis{Min: -1, Max: 1, N: ny}
	}
	if e.Exe != "" {
		return scanCommand(ctx, e, ck, st)
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	start := time.Now()
	job, s, err := scan.Prepare(ck, e.Source, st)
	if err != nil {
		return Result{}, err
	}
	if err := scan.Run(ctx, job, s, nil); err != nil {
		return Result{}, err
	}
	el := time.Since(start)
	n := s.Len()
	return Result{Images: n * st.Samples, Points: n, FLOP: float64(ck.Arch.FLOPs()) * float64(n*st.Samples), Elapsed: el, PeakRSS: peakRSS()}, nil
}

// scanCommand runs the scan as `basin scan1d|scan2d` on a copy of the
// checkpoint and measures the child's wall time and peak resident memory.
func scanCommand(ctx context.Context, e *Env, ck *checkpoint.Checkpoint, st scan.Settings) (Result, error) {
	dir, err := os.MkdirTemp("", "basin-bench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	var norm []string
	if b, ok := e.onnx[ck.Path]; ok { // the child reads the ONNX file itself
		path = filepath.Join(dir, "model.onnx")
		err = os.WriteFile(path, b, 0o644)
		n := ck.Arch.Norm
		mean, std, _ := strings.Cut(n.String(), "/")
		norm = []string{"--mean", mean, "--std", std}
	} else {
		err = checkpoint.Save(path, ck.Arch, ck.Params, ck.Meta)
	}
	if err != nil {
		return Result{}, err
	}
	args := []string{"scan1d", "--points", strconv.Itoa(st.Alpha.N)}
	n := st.Alpha.N
	if st.Is2D() {
		args = []string{"scan2d", "--grid", fmt.Sprintf("%dx%d", st.Alpha.N, st.Beta.N)}
		n *= st.Beta.N
	}
	args = append(args, "--checkpoint", path, "--samples", strconv.Itoa(st.Samples), "--out", filepath.Join(dir, "s.npz"))
	args = append(args, norm...)
	cmd := exec.CommandContext(ctx, e.Exe, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("basin %s: %w", args[0], err)
	}
	// The child's own high-water mark, polled while it runs: the rusage
	// wait returns also counts this process's, since Go starts children
	// with vfork (the shared address space's peak is folded in at exec).
	done := make(chan struct{})
	polled := make(chan int64)
	go func() {
		var hwm int64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if v := readHWM(status); v > hwm {
				hwm = v
			}
			select {
			case <-done:
				polled <- hwm
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err = cmd.Wait()
	el := time.Since(start)
	close(done)
	rss := <-polled
	if err != nil {
		return Result{}, fmt.Errorf("basin %s: %v: %s", args[0], err, out.Bytes())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && rss == 0 {
		rss = ru.Maxrss * 1024 // kilobytes on Linux; an upper bound (see above)
	}
	return Result{Images: n * st.Samples, Points: n, FLOP: float64(ck.Arch.FLOPs()) * float64(n*st.Samples), Elapsed: el, PeakRSS: rss}, nil
}

// resetPeakRSS sets the kernel's high-water mark of this process's
// resident memory to its current value (Linux; elsewhere a no-op).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads the high-water mark (VmHWM), 0 when unknown.
func peakRSS() int64 { return readHWM("/proc/self/status") }

// readHWM reads VmHWM from a /proc status file, 0 when unknown.
func readHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// Report formats results as a table; the first result is the peak.
func Report(results []Result, names []string) string {
	var b strings.Builder
	peak, w := 0.0, len("workload")
	for i, n := range names {
		if i < len(results) && results[i].Name != "" {
			n = results[i].Name
		}
		w = max(w, utf8.RuneCountInString(n))
	}
	fmt.Fprintf(&b, "%-*s %10s %9s %10s %7s %9s %7s %9s\n", w, "workload", "time", "img/s", "points/s", "Hv/s", "GFLOP/s", "% peak", "peak RSS")
	for i, r := range results {
		g := r.GFLOPS()
		if i == 0 {
			peak = g
		}
		ips, pps, hps, rss := "", "", "", ""
		if r.HVPs > 0 {
			hps = fmt.Sprintf("%.2f", float64(r.HVPs)/r.Elapsed.Seconds())
		}
		if r.Images > 0 {
			ips = fmt.Sprintf("%.0f", float64(r.Images)/r.Elapsed.Seconds())
		}
		if r.Points > 0 {
			pps = fmt.Sprintf("%.2f", float64(r.Points)/r.Elapsed.Seconds())
		}
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%d MB", r.PeakRSS>>20)
		}
		name := names[i]
		if r.Name != "" {
			name = r.Name
		}
		fmt.Fprintf(&b, "%-*s %9.2fs %9s %10s %7s %9.1f %6.0f%% %9s\n", w, name, r.Elapsed.Seconds(), ips, pps, hps, g, 100*g/peak, rss)
	}
	b.WriteString("GFLOP/s is effective: the net's direct-convolution FLOPs over the time. Winograd does\n" +
		"2.25× (F(2×2,3×3)) or 4× (F(4×4,3×3)) fewer multiplications and the backward pass of a\n" +
		"pooled layer skips the windows that pass no gradient, so it can pass the SGEMM peak.\n")
	return b.String()
}
