package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/jsonfloat"
	"github.com/basin-dev/basin/core/progress"
)

// Live is a training run's progress as a file others can follow while it
// runs (NAME.progress.json beside the checkpoint): what it is, the loss of
// its steps (at most LivePoints of them, evenly thinned), its epochs and
// its sharpness track, and whether it has ended.
type Live struct {
	Preset    string           `json:"preset"`
	Optimizer string           `json:"optimizer"`
	LR        float64          `json:"lr"`
	Momentum  float64          `json:"momentum"`
	Batch     int              `json:"batch"`
	Epochs    int              `json:"epochs"`
	Seed      uint64           `json:"seed"`
	Threshold float64          `json:"stability_threshold,omitempty"`
	Steps     [][2]float64     `json:"steps"` // (global step, loss)
	Last      progress.Step    `json:"last"`
	History   []progress.Epoch `json:"epochs_done"`
	Sharpness []SharpnessPoint `json:"sharpness,omitempty"`
	Done      bool             `json:"done"`
	Updated   time.Time        `json:"updated"`
}

// MaxLiveSize bounds the progress files ReadLive reads.
const MaxLiveSize = 64 << 20

// LivePoints bounds the steps a progress file keeps.
const LivePoints = 1024

// NewLive starts the progress of a run of cfg.
func NewLive(cfg Config) *Live {
	return &Live{Preset: cfg.Arch.Preset, Optimizer: cfg.Optimizer, LR: cfg.LR, Momentum: cfg.Momentum, Batch: cfg.Batch,
		Epochs: cfg.Epochs, Seed: cfg.Seed, Threshold: cfg.StabilityThreshold()}
}

// Add records one event of the run.
func (l *Live) Add(ev progress.Event) {
	switch e := ev.(type) {
	case progress.Step:
		l.Last = e
		l.Steps = append(l.Steps, [2]float64{float64(e.Global), e.Loss})
		if len(l.Steps) > LivePoints { // keep every other point: still the whole run
			half := l.Steps[:0]
			for i := 0; i < len(l.Steps); i += 2 {
				half = append(half, l.Steps[i])
			}
			l.Steps = half
		}
	case progress.Epoch:
		l.History = append(l.History, e)
	case progress.Sharpness:
		l.Sharpness = append(l.Sharpness, SharpnessPoint{Step: e.Step, LambdaMax: e.LambdaMax, Residual: e.Residual, Products: e.Products})
	}
}

// Save writes the progress file atomically.
func (l *Live) Save(path string) error {
	l.Updated = time.Now().UTC()
	b, err := jsonfloat.Marshal(l)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}

// LivePath is the progress file of the checkpoint at path.
func LivePath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".progress.json"
}

// ReadLive reads a progress file.
func ReadLive(path string) (*Live, error) {
	b, err := atomicfile.ReadFile(path, MaxLiveSize)
	if err != nil {
		return nil, fmt.Errorf("read training progress: %w", err)
	}
	l, err := ParseLive(b)
	if err != nil {
		return nil, fmt.Errorf("read training progress %s: %w", path, err)
	}
	return l, nil
}

// ParseLive reads a progress file from its bytes, checking every count
// in it: a file anyone could have written is shown to viewers.
func ParseLive(b []byte) (*Live, error) {
	var l Live
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, err
	}
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("not a training's progress: %w", err)
	}
	return &l, nil
}

// maxCount bounds every count a progress file holds: epochs, steps,
// batches (a run of more is not one basin made).
const maxCount = 1 << 40

// validate says which value of a progress file no run could have
// written: negative or absurd counts, a step past its epoch, time
// running backwards.
func (l *Live) validate() error {
	count := func(name string, v int) error {
		if v < 0 || v > maxCount {
			return fmt.Errorf("%s is %d", name, v)
		}
		return nil
	}
	within := func(name string, i, n int) error {
		if err := count(name, i); err != nil {
			return err
		}
		if i > n {
			return fmt.Errorf("%s %d of %d", name, i, n)
		}
		return nil
	}
	last := l.Last
	for _, err := range []error{
		count("epochs", l.Epochs), count("batch", l.Batch),
		count("the last step's epoch count", last.Epochs), within("the last step's epoch", last.Epoch, last.Epochs),
		count("steps per epoch", last.Steps), within("the last step", last.Step, last.Steps),
		count("the global step", last.Global),
	} {
		if err != nil {
			return err
		}
	}
	if last.Elapsed < 0 {
		return fmt.Errorf("the last step's elapsed time is %s", last.Elapsed)
	}
	if len(l.Steps) > 2*LivePoints || len(l.History) > LivePoints || len(l.Sharpness) > 64*LivePoints {
		return fmt.Errorf("%d steps, %d epochs and %d sharpness points: more than a run keeps", len(l.Steps), len(l.History), len(l.Sharpness))
	}
	for _, s := range l.Steps {
		if !(s[0] >= 0 && s[0] <= maxCount) {
			return fmt.Errorf("step %g", s[0])
		}
	}
	for _, e := range l.History {
		if err := within("an epoch", e.Epoch, e.Epochs); err != nil {
			return err
		}
		if e.Elapsed < 0 || e.EpochElapsed < 0 {
			return fmt.Errorf("epoch %d took a negative time", e.Epoch)
		}
	}
	for _, p := range l.Sharpness {
		if err := count("a sharpness point's step", p.Step); err != nil {
			return err
		}
		if err := count("a sharpness point's products", p.Products); err != nil {
			return err
		}
	}
	if math.IsNaN(l.LR) || math.IsInf(l.LR, 0) || math.IsNaN(l.Momentum) || math.IsInf(l.Momentum, 0) || math.IsNaN(l.Threshold) || math.IsInf(l.Threshold, 0) {
		return fmt.Errorf("learning rate %g, momentum %g, threshold %g", l.LR, l.Momentum, l.Threshold)
	}
	return nil
}

// LiveSaveEvery is how often TrainLive writes the progress file.
const LiveSaveEvery = 2 * time.Second

// TrainLive is Train that keeps a progress file at livePath ("" for
// none) for anyone watching the run (basin's M list, basin serve, the
// watch view): written every LiveSaveEvery while it runs and once more,
// marked done, when it ends. Every event also goes to sink.
func TrainLive(ctx context.Context, cfg Config, src *data.Source, livePath string, sink progress.Sink) (*Result, error) {
	live, lastSave := NewLive(cfg), time.Time{}
	if livePath != "" {
		defer func() {
			live.Done = true
			live.Save(livePath)
		}()
	}
	return Train(ctx, cfg, src, func(ev progress.Event) {
		live.Add(ev)
		if livePath != "" && time.Since(lastSave) > LiveSaveEvery {
			live.Save(livePath)
			lastSave = time.Now()
		}
		sink.Send(ev)
	})
}
