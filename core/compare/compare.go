package compare

import (
	"context"
	"fmt"

	"github.com/basin-dev/basin/core/build"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/sharpness"
	"github.com/basin-dev/basin/core/surface"
)

// Settings are what both models are measured with.
type Settings struct {
	Line, Plane scan.Settings // the same images (split, samples, seed) in both
	Directions  int           // K of the directional widths; 0 skips them
	Epsilons    []float64     // box sizes of ε-sharpness; none skips it
	Threshold   float64       // the basin's edge above the centre loss
	Hessian     hessian.Options
}

// Side is one model, measured.
type Side struct {
	Name        string                `json:"name"` // "a" or "b"
	Checkpoint  string                `json:"checkpoint"`
	SHA256      string                `json:"checkpoint_sha256"`
	Test        model.Result          `json:"test"` // on the whole test split
	Line        *surface.Surface      `json:"-"`
	Plane       *surface.Surface      `json:"-"`
	Directional sharpness.Directional `json:"directional"`
	Epsilon     []sharpness.Epsilon   `json:"epsilon_sharpness"`
	Hessian     *hessian.Spectrum     `json:"hessian,omitempty"`
}

// Comparison is two models measured alike.
type Comparison struct {
	Preset  string   `json:"preset"`
	Version string   `json:"basin_version"`
	A, B    Side     `json:"-"`
	Sides   [2]*Side `json:"sides"`
}

// Run measures a and b with the same settings; say is told what it is
// doing. Cancelled, it returns what it has with ctx's error.
func Run(ctx context.Context, a, b *checkpoint.Checkpoint, src *data.Source, st Settings, say func(string)) (*Comparison, error) {
	if err := a.Arch.Same(b.Arch); err != nil {
		return nil, fmt.Errorf("A and B are %w: compare needs one architecture, so that the directions mean the same", err)
	}
	if say == nil {
		say = func(string) {}
	}
	c := &Comparison{Preset: a.Arch.Preset, Version: build.Version}
	c.Sides = [2]*Side{&c.A, &c.B}
	pool := model.NewPool(a.Arch, scan.DefaultWorkers())
	defer pool.Close()
	for i, ck := range []*checkpoint.Checkpoint{a, b} {
		if err := measureSide(ctx, c.Sides[i], i, ck, src, st, pool, say); err != nil {
			return c, err
		}
	}
	return c, nil
}

// measureSide scans side i's line and plane and measures its numbers.
func measureSide(ctx context.Context, side *Side, i int, ck *checkpoint.Checkpoint, src *data.Source, st Settings, pool *model.Pool, say func(string)) error {
	side.Name = string(rune('a' + i))
	for _, which := range []struct {
		name string
		st   scan.Settings
		into **surface.Surface
	}{{"line", st.Line, &side.Line}, {"plane", st.Plane, &side.Plane}} {
		say(fmt.Sprintf("%s: scanning the %s", side.Name, which.name))
		ss, err := scan.NewSession(ck, src, which.st)
		if err != nil {
			return err
		}
		ss.Job.Pool = pool
		*which.into = ss.Surface
		if err := ss.Run(ctx, nil); err != nil {
			return err
		}
	}
	return Measure(ctx, side, ck, src, st, pool, say)
}

// Measure fills side with the numbers of one model: its test-split
// evaluation, its basin along st.Directions directions, its ε-sharpness
// and its Hessian's spectrum (on the line scan's images). Cancelled, side
// keeps what was finished.
func Measure(ctx context.Context, side *Side, ck *checkpoint.Checkpoint, src *data.Source, st Settings, pool *model.Pool, say func(string)) error {
	if say == nil {
		say = func(string) {}
	}
	side.Checkpoint, side.SHA256 = ck.Path, ck.SHA256
	say(fmt.Sprintf("%s: evaluating on the test split", side.Name))
	ev := pool.Get()
	ev.Params.CopyFrom(ck.Params)
	t, err := ev.Evaluate(src.Test)
	pool.Put(ev)
	if err != nil {
		return fmt.Errorf("evaluate %s on the test split: %w", ck.Path, err)
	}
	side.Test = t
	if st.Directions > 0 {
		say(fmt.Sprintf("%s: the basin along %d directions", side.Name, st.Directions))
		d, err := sharpness.AlongDirections(ctx, ck, src, st.Line, st.Directions, st.Threshold, pool, nil)
		side.Directional = d
		if err != nil {
			return err
		}
	}
	if len(st.Epsilons) == 0 && !st.Hessian.Enabled() {
		return nil
	}
	set, _, err := scan.EvalSet(src, st.Line.Split, st.Line.Samples, st.Line.SampleSeed)
	if err != nil {
		return err
	}
	if st.Hessian.Enabled() {
		p, err := hessian.NewProduct(ck.Arch, ck.Params, set)
		if err != nil {
			return err
		}
		sp, err := hessian.Measure(ctx, p, st.Hessian, func(pr hessian.Progress) {
			if pr.Step == 1 || pr.Done {
				say(fmt.Sprintf("%s: Hessian %s %s (%d products)", side.Name, pr.Task, pr.Estimate, pr.Step))
			}
		})
		side.Hessian = &sp
		if err != nil {
			return err
		}
	}
	obj := sharpness.NewNetObjective(ck.Arch, set)
	defer obj.Close()
	for _, e := range st.Epsilons {
		say(fmt.Sprintf("%s: ε-sharpness at ε=%g", side.Name, e))
		r, err := sharpness.EpsilonSharpness(ctx, obj, ck.Params, e, st.Line.Direction.Seed)
		if r.Iterations > 0 {
			side.Epsilon = append(side.Epsilon, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Save writes the four surfaces and the numbers in one .npz.
func (c *Comparison) Save(path string) error {
	var parts []surface.Part
	for _, s := range c.Sides {
		if s.Line != nil {
			parts = append(parts, surface.Part{Name: s.Name + "/line", S: s.Line})
		}
		if s.Plane != nil {
			parts = append(parts, surface.Part{Name: s.Name + "/plane", S: s.Plane})
		}
	}
	return surface.SaveSet(path, parts, c)
}
