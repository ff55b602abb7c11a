package hessian

import (
	"context"
	"fmt"
	"time"
)

// Options say which of the Hessian's numbers to measure.
type Options struct {
	Top      int  // eigenvalues of largest magnitude, λ1..λk; 0 skips the Hessian
	Bottom   bool // the other end of the spectrum (λmin at a minimum)
	Trace    bool // Hutchinson's trace
	PerLayer bool // λmax of each layer's diagonal block
	// Density is how many stochastic Lanczos quadrature runs estimate the
	// eigenvalue density (0: none), of DensitySteps steps each.
	Density, DensitySteps int
	Search                Search
}

// DefaultOptions: λmax, λmin and the trace, by PyHessian's stopping rule.
func DefaultOptions() Options {
	return Options{Top: 1, Bottom: true, Trace: true, Search: DefaultSearch()}
}

// Validate says what is wrong with o, if anything.
func (o Options) Validate() error {
	if o.Top < 0 || o.Top > 100 {
		return fmt.Errorf("top %d eigenvalues: use 0 to 100", o.Top)
	}
	if o.Top == 0 && (o.Bottom || o.PerLayer) {
		return fmt.Errorf("λmin and per-layer eigenvalues need the top eigenvalue (top ≥ 1)")
	}
	if o.Density < 0 || o.Density > 100 || o.Density > 0 && (o.DensitySteps < 2 || o.DensitySteps > 1000) {
		return fmt.Errorf("density: %d runs of %d Lanczos steps: use 1 to 100 runs of 2 to 1000 steps", o.Density, o.DensitySteps)
	}
	if !(o.Search.Tolerance > 0) || o.Search.MaxIterations < 1 {
		return fmt.Errorf("power iteration needs a positive tolerance and at least one iteration")
	}
	return nil
}

// Enabled reports whether anything is measured.
func (o Options) Enabled() bool { return o.Top > 0 || o.Trace || o.Density > 0 }

// LayerEigen is λmax of one layer's diagonal block.
type LayerEigen struct {
	Layer  string `json:"layer"`
	Params int    `json:"params"`
	Eigen
}

// Spectrum is what Measure found, with how: the images the loss averages,
// the stopping rule, the products spent and the time.
type Spectrum struct {
	Images        int            `json:"images"`
	Params        int            `json:"params"`
	Loss          float64        `json:"loss"`
	Tolerance     float64        `json:"tolerance"`
	MaxIterations int            `json:"max_iterations"`
	Top           []Eigen        `json:"top,omitempty"`
	Bottom        *Eigen         `json:"bottom,omitempty"`
	Trace         *TraceEstimate `json:"trace,omitempty"`
	Layers        []LayerEigen   `json:"layers,omitempty"`
	Density       *Density       `json:"density,omitempty"`
	Products      int            `json:"hessian_vector_products"`
	Took          time.Duration  `json:"took_ns"`
}

// Progress is where Measure is: the task ("λ1", "λmin", "trace",
// "λmax fc1"), the products it has taken and the most it may take, the
// estimate so far, and whether the task is finished.
type Progress struct {
	Task     string
	Step, Of int
	Estimate string
	Done     bool
}

// Measure runs what o asks for on p, telling progress (if not nil) after
// every product. Cancelled, it returns what it finished with the
// context's error.
func Measure(ctx context.Context, p *Product, o Options, progress func(Progress)) (Spectrum, error) {
	start := time.Now()
	if progress == nil {
		progress = func(Progress) {}
	}
	sp := Spectrum{Images: p.Images(), Params: p.Dim(), Tolerance: o.Search.Tolerance, MaxIterations: o.Search.MaxIterations}
	finish := func(err error) (Spectrum, error) {
		for i := range sp.Top {
			sp.Top[i].Vector = nil // as large as the model: not kept
		}
		if sp.Bottom != nil {
			sp.Bottom.Vector = nil
		}
		sp.Loss, sp.Products, sp.Took = p.Loss(), p.Products, time.Since(start)
		return sp, err
	}
	if err := o.Validate(); err != nil {
		return sp, err
	}
	eigen := func(task string) Search {
		s := o.Search
		s.Step = func(e Eigen) {
			progress(Progress{Task: task, Step: e.Iterations, Of: s.MaxIterations, Estimate: fmt.Sprintf("%.5g ± %.2g", e.Value, e.Residual)})
		}
		return s
	}
	done := func(task string, e Eigen) {
		progress(Progress{Task: task, Step: e.Iterations, Of: o.Search.MaxIterations, Estimate: fmt.Sprintf("%.5g ± %.2g", e.Value, e.Residual), Done: true})
	}
	if o.Top > 0 {
		cur := 0 // the eigenvalue being searched for
		s := o.Search
		s.Step = func(e Eigen) {
			progress(Progress{Task: fmt.Sprintf("λ%d", cur+1), Step: e.Iterations, Of: s.MaxIterations, Estimate: fmt.Sprintf("%.5g ± %.2g", e.Value, e.Residual)})
		}
		top, err := Top(ctx, p, o.Top, s, func(i int, e Eigen) {
			done(fmt.Sprintf("λ%d", i+1), e)
			cur = i + 1
		})
		sp.Top = top
		if err != nil {
			return finish(err)
		}
	}
	if o.Top > 0 && o.Bottom {
		// By Lanczos, which converges on λmin where shifted power
		// iteration often does not in as many products.
		s := o.Search
		s.MaxIterations = min(s.MaxIterations, LanczosSteps(p.Dim()))
		_, b, err := LanczosExtremes(ctx, p, 1, s, func(_ []Eigen, b Eigen) {
			progress(Progress{Task: "λmin", Step: b.Iterations, Of: s.MaxIterations, Estimate: fmt.Sprintf("%.5g ± %.2g", b.Value, b.Residual)})
		})
		if err != nil {
			return finish(err)
		}
		done("λmin", b)
		sp.Bottom = &b
	}
	if o.Trace {
		of := MaxProbes + 2*SketchSize
		tr, err := TracePlusPlus(ctx, p, o.Search.Seed, func(t TraceEstimate) {
			progress(Progress{Task: "trace", Step: t.Probes, Of: of, Estimate: fmt.Sprintf("%.5g ± %.2g", t.Value, t.SE), Done: t.Converged || t.Probes == of})
		})
		if tr.Probes > 0 {
			sp.Trace = &tr
		}
		if err != nil {
			return finish(err)
		}
	}
	if o.Density > 0 {
		steps := min(o.DensitySteps, LanczosSteps(p.Dim()))
		d, err := SpectralDensity(ctx, p, o.Density, steps, o.Search.Seed, func(run int) {
			progress(Progress{Task: "density", Step: run, Of: o.Density, Estimate: fmt.Sprintf("run %d of %d", run, o.Density), Done: run == o.Density})
		})
		if err != nil {
			return finish(err)
		}
		sp.Density = &d
	}
	if o.PerLayer {
		var err error
		sp.Layers, err = perLayer(ctx, p, eigen, done)
		return finish(err)
	}
	return finish(nil)
}

// perLayer is λmax of each layer's own block of the Hessian, as far as
// it got.
func perLayer(ctx context.Context, p *Product, search func(task string) Search, done func(string, Eigen)) ([]LayerEigen, error) {
	var layers []LayerEigen
	for _, b := range p.Blocks() {
		op, err := Restrict(p, b)
		if err != nil {
			return layers, err
		}
		task := "λmax " + b.Name
		e, err := Top(ctx, op, 1, search(task), nil)
		if err != nil {
			return layers, err
		}
		done(task, e[0])
		e[0].Vector = nil
		layers = append(layers, LayerEigen{Layer: b.Name, Params: b.Hi - b.Lo, Eigen: e[0]})
	}
	return layers, nil
}
