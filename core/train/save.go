package train

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/build"
	"github.com/basin-dev/basin/core/checkpoint"
)

// Meta is the checkpoint metadata of a training result: everything that
// produced the weights.
func Meta(cfg Config, res *Result, dataName string) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	m := map[string]string{
		"seed": fmt.Sprint(cfg.Seed), "optimizer": cfg.Optimizer, "lr": f(cfg.LR),
		"momentum": f(cfg.Momentum), "weight_decay": f(cfg.WeightDecay), "batch": fmt.Sprint(cfg.Batch),
		"epochs_planned": fmt.Sprint(cfg.Epochs), "epochs": fmt.Sprint(len(res.History)),
		"steps": fmt.Sprint(res.Steps), "data": dataName, "basin_version": build.Version,
		"stopped_early": strconv.FormatBool(res.Stopped),
		"created":       time.Now().UTC().Format(time.RFC3339),
	}
	if c := build.Commit(); c != "" {
		m["basin_commit"] = c
	}
	if n := len(res.History); n > 0 && !res.Stopped {
		m["test_loss"], m["test_accuracy"] = f(res.History[n-1].TestLoss), f(res.History[n-1].TestAcc)
	}
	if res.Diverged || !res.Params.Finite() {
		m["diverged"] = "true"
	}
	if cfg.Track.Every > 0 {
		m["track_every"], m["track_images"] = fmt.Sprint(cfg.Track.Every), fmt.Sprint(cfg.Track.Images)
		m["sharpness_track"] = EncodeTrack(res.Sharpness)
		if t := cfg.StabilityThreshold(); t > 0 {
			m["stability_threshold"] = strconv.FormatFloat(t, 'g', 10, 64)
		}
	}
	if res.DataPath != "" {
		if abs, err := filepath.Abs(res.DataPath); err == nil {
			m[checkpoint.DataPathKey] = abs
		}
	}
	if res.snapEvery > 0 {
		m["snapshot_every"] = fmt.Sprint(res.snapEvery)
	}
	if cfg.StopBelow > 0 {
		m["stop_below"] = f(cfg.StopBelow)
	}
	return m
}

// DivergedPath is where the weights of a run that diverged go instead of
// path: beside it, named as such, so a good checkpoint at path survives.
func DivergedPath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".diverged.safetensors"
}

// Save writes the checkpoint and its trajectory beside it, atomically,
// and returns the checkpoint's path. Weights that are no longer finite
// never replace a file: they go to DivergedPath(path), and Save returns
// that path, so the caller can say where they went.
//
// A run stopped before its first step has nothing to save: Save returns
// ErrNoSteps and writes nothing, so a checkpoint already at path is never
// replaced by initial weights. The trajectory records the checkpoint's
// SHA-256, so a pair of which one save failed is refused when read
// (checkpoint.TrajectoryOf).
func Save(path string, cfg Config, res *Result, dataName string) (string, error) {
	if res.Steps == 0 {
		return "", ErrNoSteps
	}
	if res.Diverged || !res.Params.Finite() {
		path = DivergedPath(path)
	}
	meta := Meta(cfg, res, dataName)
	sum, err := checkpoint.SaveSum(path, res.Arch, res.Params, meta)
	if err != nil {
		return "", err
	}
	meta[checkpoint.TrajectoryCheckpointKey] = sum
	if err := checkpoint.SaveTrajectory(checkpoint.TrajectoryPath(path), res.Arch, res.Trajectory, meta); err != nil {
		return "", err
	}
	return path, nil
}

// ErrNoSteps is Save's error for a run that took no optimizer step.
var ErrNoSteps = errors.New("stopped before the first step: no weights were trained, nothing was saved")
