package compare

import (
	"context"
	"fmt"
	"time"

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
	Meta        map[string]string     `json:"checkpoint_meta,omitempty"` // what trained it: batch, lr, seed, …
	Test        model.Result          `json:"test"`                      // on the whole test split
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

// left is the time the rest of total steps takes at the pace of the first
// done, rounded for reading.
func left(elapsed time.Duration, done, total int) string {
	if done < 1 {
		return "?"
	}
	d := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
	switch {
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	}
	return d.Round(10 * time.Second).String()
}

// Measure fills side with the numbers of one model: its test-split
// evaluation, its basin along st.Directions directions, its ε-sharpness
// and its Hessian's spectrum (on the line scan's images). Cancelled, side
// keeps what was finished.
//
// say hears each step, and each direction and Hessian-vector product
// within one, with the time left: for a Hessian task, at most (it stops
// when its estimate converges).
func Measure(ctx context.Context, side *Side, ck *checkpoint.Checkpoint, src *data.Source, st Settings, pool *model.Pool, say func(string)) error {
	if say == nil {
		say = func(string) {}
	}
	who := ""
	if side.Name != "" {
		who = side.Name + ": "
	}
	side.Checkpoint, side.SHA256, side.Meta = ck.Path, ck.SHA256, ck.Meta
	say(who + "evaluating on the test split")
	ev := pool.Get()
	ev.Params.CopyFrom(ck.Params)
	t, err := ev.Evaluate(src.Test)
	pool.Put(ev)
	if err != nil {
		return fmt.Errorf("evaluate %s on the test split: %w", ck.Path, err)
	}
	side.Test = t
	if st.Directions > 0 {
		say(fmt.Sprintf("%sthe basin along %d directions", who, st.Directions))
		start, n := time.Now(), 0
		d, err := sharpness.AlongDirections(ctx, ck, src, st.Line, st.Directions, st.Threshold, pool, func(sharpness.Direction) {
			if n++; n < st.Directions {
				say(fmt.Sprintf("%sthe basin along direction %d of %d, %s left", who, n+1, st.Directions, left(time.Since(start), n, st.Directions)))
			}
		})
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
		task, start := "", time.Now()
		sp, err := hessian.Measure(ctx, p, st.Hessian, func(pr hessian.Progress) {
			if pr.Task != task {
				task, start = pr.Task, time.Now()
			}
			if pr.Done {
				say(fmt.Sprintf("%sHessian %s = %s after %d products", who, pr.Task, pr.Estimate, pr.Step))
				return
			}
			say(fmt.Sprintf("%sHessian %s: %s, product %d of at most %d, at most %s left", who, pr.Task, pr.Estimate, pr.Step, pr.Of, left(time.Since(start), pr.Step, pr.Of)))
		})
		side.Hessian = &sp
		if err != nil {
			return err
		}
	}
	obj := sharpness.NewNetObjective(ck.Arch, set)
	defer obj.Close()
	for _, e := range st.Epsilons {
		say(fmt.Sprintf("%sε-sharpness at ε=%g", who, e))
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
