package train

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
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
	b, err := atomicfile.ReadFile(path, 64<<20)
	if err != nil {
		return nil, fmt.Errorf("read training progress: %w", err)
	}
	var l Live
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("read training progress %s: %w", path, err)
	}
	return &l, nil
}
