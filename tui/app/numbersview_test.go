package app

import (
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/hessian"
)

// r measures: for A and B, the numbers of basin sharpness in a table with
// B/A; a model against itself gives ratios of 1.
func TestNumbersViewMeasures(t *testing.T) {
	o := testOptions(t)
	o.Directions, o.Epsilons, o.Threshold = 2, []float64{1e-3}, 0.1
	o.Hessian = hessian.DefaultOptions()
	o.Hessian.PerLayer = true
	o.Hessian.Density, o.Hessian.DensitySteps = 2, 10
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	o.other = ck
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	show[*numbersView](m)
	v := find[*numbersView](m)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	if out := m.View(); !strings.Contains(out, "Press r to measure") {
		t.Fatalf("before r:\n%s", out)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if !v.running {
		t.Fatal("r did not start measuring")
	}
	pump(t, m, func() bool { return !v.running })
	out := m.View()
	for _, want := range []string{"width in α over 2 directions, ± sd", "curvature f''(0) in loss per α²", "± is the sd over directions", "ε-sharpness at ε=0.001", "B/A", "Hessian λ1", "Hessian λmin", "Hessian trace", "λmax of conv2",
		"density: negative weight", "eigenvalue density"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if v.err != "" || len(v.sides) != 2 || v.sides[0].Directional.Width.Mean != v.sides[1].Directional.Width.Mean {
		t.Fatalf("sides %+v, err %q", v.sides, v.err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "basin width") || strings.HasPrefix(line, "ε-sharpness") || strings.HasPrefix(line, "Hessian") {
			if f := strings.Fields(line); f[len(f)-1] != "1" {
				t.Errorf("A against itself: %q", line)
			}
		}
	}
}
