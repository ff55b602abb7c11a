package tui

import (
	"math"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/progress"
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
