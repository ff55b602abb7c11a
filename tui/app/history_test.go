package app

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/render"
)

// A million steps fit in the fixed capacity, evenly spread, with the mean
// loss preserved.
func TestHistoryStaysBounded(t *testing.T) {
	h := newHistory(512)
	var sum float64
	const steps = 1_000_000
	for s := 1; s <= steps; s++ {
		loss := 1 + math.Sin(float64(s)/1000)
		sum += loss
		h.add(s, loss)
		if h.len() > 513 || cap(h.x) > 512 {
			t.Fatalf("step %d: %d points (cap %d)", s, h.len(), cap(h.x))
		}
	}
	x, y := h.points()
	if x[len(x)-1] != steps {
		t.Fatalf("last point at step %g, want %d", x[len(x)-1], steps)
	}
	if len(x) < 256 {
		t.Fatalf("only %d points kept", len(x))
	}
	for i := 1; i < len(x); i++ {
		if x[i] <= x[i-1] {
			t.Fatalf("steps not increasing at %d: %g then %g", i, x[i-1], x[i])
		}
	}
	var mean float64
	for i := range y {
		mean += y[i]
	}
	mean /= float64(len(y))
	if math.Abs(mean-sum/steps) > 0.01 {
		t.Fatalf("mean of the kept points %g, of the steps %g", mean, sum/steps)
	}
}

func TestHistoryKeepsEveryStepWhileItFits(t *testing.T) {
	h := newHistory(8)
	for s := 1; s <= 5; s++ {
		h.add(s, float64(s))
	}
	x, y := h.points()
	if len(x) != 5 || x[4] != 5 || y[2] != 3 {
		t.Fatalf("points %v %v", x, y)
	}
}

// The training view keeps its curve at fixed memory however many steps
// arrive (a week-long run sends millions).
func TestTrainViewHistoryIsBounded(t *testing.T) {
	m := newModel(testOptions(t), nil, tiny, nil)
	tv := find[*trainView](m)
	for s := 1; s <= 200_000; s++ {
		tv.handle(progress.Step{Epoch: 1, Epochs: 1, Step: s, Steps: 200_000, Global: s, Loss: 1 / float64(s)})
	}
	if n := tv.steps.len(); n > historyPoints+1 {
		t.Fatalf("%d points kept for 200,000 steps", n)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if v := m.View(); !strings.Contains(v, "step 200000/200000") {
		t.Fatalf("view after 200,000 steps:\n%s", v)
	}
}

// λmax along training: the title says the threshold and where it was
// first reached, the chart marks that step, and stacked under the loss it
// shares the loss chart's label column, so the step axes line up.
func TestSharpnessChart(t *testing.T) {
	st := newStyles(render.NoColor, io.Discard)
	pts := []train.SharpnessPoint{{Step: 0, LambdaMax: 4}, {Step: 10, LambdaMax: 12}, {Step: 20, LambdaMax: 9.5}}
	out := SharpnessChart(st, pts, 10, 20, 60, 12, 0)
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "λmax 9.5") || !strings.Contains(lines[0], "threshold 10, reached at step 10") || len(lines) != 12 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(out, "┊") {
		t.Errorf("no mark at the crossing:\n%s", out)
	}
	below := SharpnessChart(st, pts[:1], 10, 20, 60, 12, 0)
	if !strings.Contains(below, "threshold 10: 40%") || strings.Contains(below, "┊") {
		t.Errorf("below the threshold:\n%s", below)
	}
	wide := SharpnessChart(st, pts, 10, 20, 60, 12, 6)
	if i, j := strings.Index(strings.Split(out, "\n")[1], "│"), strings.Index(strings.Split(wide, "\n")[1], "│"); j != 7 || i >= j {
		t.Errorf("label column: %d, widened to %d", i, j)
	}
}

// A run trained with --track-sharpness (basin experiment eos writes them)
// opens on the training view, its λmax track drawn from the checkpoint.
func TestTrackedRunOpensOnItsTrack(t *testing.T) {
	o := testOptions(t)
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	tracked := *ck
	tracked.Meta = map[string]string{"sharpness_track": train.EncodeTrack([]train.SharpnessPoint{{Step: 0, LambdaMax: 3}, {Step: 50, LambdaMax: 21}}),
		"stability_threshold": "20", "optimizer": "sgd", "lr": "0.1"}
	m := newModel(o, &tracked, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true // no demo flow
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if m.views[m.active].title() != "training" {
		t.Fatalf("opened on %s", m.views[m.active].title())
	}
	if out := m.View(); !strings.Contains(out, "threshold 20, reached at step 50") {
		t.Fatalf("no track:\n%s", out)
	}
	plain := newModel(o, ck, tiny, os.Stdout)
	defer plain.eng.Shutdown()
	if plain.views[plain.active].title() == "training" {
		t.Error("an untracked checkpoint opened on the training view")
	}
}

// basin --checkpoint on a basin experiment eos folder opens its lowest
// rate, and the training view draws every rate's λmax with its 2/η.
func TestEOSFolderOpensWithEveryRate(t *testing.T) {
	o := testOptions(t)
	dir := t.TempDir()
	mlp, _ := model.Preset("mlp")
	for _, lr := range []string{"0.5", "0.05"} {
		r, _ := strconv.ParseFloat(lr, 64)
		cfg := train.Config{Arch: mlp, Epochs: 2, LR: r, Optimizer: train.SGD, Seed: 1, Track: train.Tracking{Every: 1}}
		res, err := train.FullBatch(context.Background(), cfg, tiny.Train, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := train.Save(filepath.Join(dir, "lr-"+lr+".safetensors"), cfg, res, "tiny"); err != nil {
			t.Fatal(err)
		}
	}
	parsed, err := ParseFlags([]string{"--checkpoint", dir}, io.Discard, noEnv)
	if err != nil || filepath.Base(parsed.Checkpoint) != "lr-0.05.safetensors" {
		t.Fatalf("%v: %q", err, parsed.Checkpoint)
	}
	ck, err := checkpoint.Load(parsed.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 30})
	out := m.View()
	if !strings.Contains(out, "lr 0.05: 2/η 40") || !strings.Contains(out, "lr 0.5: 2/η 4") {
		t.Fatalf("experiment chart:\n%s", out)
	}
	if _, err := ParseFlags([]string{"--checkpoint", t.TempDir()}, io.Discard, noEnv); err == nil || !strings.Contains(err.Error(), "lr-RATE") {
		t.Errorf("an empty folder: %v", err)
	}
}
