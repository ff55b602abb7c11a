package app

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

var tiny, full *data.Source

// testOptions: the small net on a few hundred images, tiny scans.
func testOptions(t *testing.T) Options {
	t.Helper()
	if full == nil {
		src, err := data.LoadEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		full = src
	}
	if tiny == nil {
		src, err := data.LoadEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := data.SampleIndices(src.Train.Len(), 256, 1)
		te, _ := data.SampleIndices(src.Test.Len(), 64, 1)
		tiny = &data.Source{Name: "tiny", Train: src.Train.Subset(tr), Test: src.Test.Subset(te)}
	}
	arch, _ := model.Preset("small")
	return Options{
		Train:     train.Config{Arch: arch, Epochs: 1, Batch: 32, LR: 0.05, Momentum: 0.9, Optimizer: train.SGD, Seed: 1},
		Alpha:     surface.Axis{Min: -1, Max: 1, N: 5},
		Beta:      surface.Axis{Min: -1, Max: 1, N: 5},
		Points:    7,
		Direction: direction.Spec{Seed: 1, Norm: direction.Filter}, SampleSeed: 1,
		Split: data.Train, Samples: 16, Workers: 2,
		RunsDir: t.TempDir(), Profile: render.NoColor, Source: tiny,
	}
}

// seen keeps all output read so far: WaitFor consumes the stream, and a
// fast engine can print what the next wait looks for in the same chunk.
var seen = map[*teatest.TestModel][]byte{}

func waitFor(t *testing.T, tm *teatest.TestModel, what string) {
	t.Helper()
	if bytes.Contains(seen[tm], []byte(what)) {
		return
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		if bytes.Contains(append(seen[tm][:len(seen[tm]):len(seen[tm])], b...), []byte(what)) {
			seen[tm] = append(seen[tm], b...)
			return true
		}
		return false
	}, teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// waitFile waits for a file the engine writes into the run folder.
func waitFile(t *testing.T, runs, name string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(runs, "*", name)); len(m) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s in %s after 60 s", name, runs)
}

func startApp(t *testing.T, o Options, w, h int) (*Model, *teatest.TestModel) {
	t.Helper()
	ck, src, err := preload(o)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, src, os.Stdout)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	return m, tm
}

// find returns the app's view of type T.
func find[T view](m *Model) T {
	for _, v := range m.views {
		if t, ok := v.(T); ok {
			return t
		}
	}
	panic("no such view")
}

// show puts the view of type T on screen.
func show[T view](m *Model) {
	for i, v := range m.views {
		if _, ok := v.(T); ok {
			m.active = i
		}
	}
}

func finish(t *testing.T, m *Model, tm *teatest.TestModel) *Model {
	t.Helper()
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second)).(*Model)
	m.eng.Shutdown()
	return fm
}

// A newcomer's first run: train, then the 1D curve, then the 2D plane,
// zoom, a resize, quit; everything lands in the run folder.
func TestFlowTrainLinePlane(t *testing.T) {
	m, tm := startApp(t, testOptions(t), 100, 30)
	runs := m.opts.RunsDir
	waitFile(t, runs, "scan1d-1.npz") // trained, then scanned in 1D
	waitFile(t, runs, "scan2d-1.npz") // and on the plane
	waitFor(t, tm, "2D scan  f(α,β)") // which the app moved on to by itself
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("+")})
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	waitFile(t, runs, "scan2d-2.npz") // the zoomed window, rescanned
	fm := finish(t, m, tm)

	if p := find[*planeView](fm); fm.views[fm.active] != view(p) || p.alpha().Min != -0.5 || p.alpha().Max != 0.5 {
		t.Fatalf("view %d, window %+v", fm.active, p.alpha())
	}
	view := fm.View()
	for _, want := range []string{"2D scan", "✕", "grid 5x5", "basin"} {
		if !strings.Contains(view, want) {
			t.Errorf("final view lacks %q:\n%s", want, view)
		}
	}
	if lines := strings.Count(view, "\n") + 1; lines != 24 {
		t.Errorf("view has %d lines at height 24", lines)
	}
	dir := m.eng.RunDir()
	for _, f := range []string{"model.safetensors", "model.trajectory.safetensors", "scan1d-1.npz", "scan2d-1.npz", "scan2d-2.npz"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
}

// Quitting mid-scan returns at once and keeps the points computed so far.
func TestQuitMidScanKeepsPartialSurface(t *testing.T) {
	o := testOptions(t)
	o.Pretrained = true
	o.Source = full // enough images for a scan that outlasts the test
	o.Beta.N, o.Alpha.N, o.Samples, o.Workers = 81, 81, 1000, 1
	m, tm := startApp(t, o, 100, 30)
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	waitFor(t, tm, "/6561 points ·")
	fm := finish(t, m, tm)
	if !find[*planeView](fm).running {
		t.Fatal("the scan finished before the test could quit mid-scan")
	}
	matches, _ := filepath.Glob(filepath.Join(m.eng.RunDir(), "scan2d-*.npz"))
	if len(matches) != 1 {
		t.Fatalf("saved surfaces: %v", matches)
	}
	s, err := surface.Load(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Computed(); n == 0 || n == s.Len() || s.Meta.Complete {
		t.Fatalf("partial surface has %d of %d points (complete=%v)", n, s.Len(), s.Meta.Complete)
	}
}

func TestTooSmallTerminal(t *testing.T) {
	m := newModel(testOptions(t), nil, tiny, os.Stdout)
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	if v := m.View(); !strings.Contains(v, "Make me bigger") || strings.Count(v, "\n") > 2 {
		t.Fatalf("small terminal view:\n%s", v)
	}
	m.Update(tea.WindowSizeMsg{Width: 0, Height: 0})
	_ = m.View()
}

// Off-scale and NaN losses render as such, in every colour profile.
func TestViewWithDivergedPoints(t *testing.T) {
	for _, p := range []render.Profile{render.TrueColor, render.ANSI256, render.ANSI16, render.NoColor} {
		o := testOptions(t)
		o.Profile = p
		m := newModel(o, nil, tiny, os.Stdout)
		m.Update(tea.WindowSizeMsg{Width: 90, Height: 30})
		for _, v := range []*scanState{&find[*lineView](m).scanState, &find[*planeView](m).scanState} {
			v.begin(1)
			s := surface.New(v.alpha(), v.beta())
			for k := 0; k < s.Len(); k++ {
				loss := []float64{0.1, math.NaN(), math.Inf(1), 1e9, 2}[k%5]
				s.Set(k, loss, 0.5)
			}
			v.started(s)
			v.setCentre(model.Result{Loss: 0.1, Accuracy: 0.9})
		}
		for i := 1; i <= 2; i++ {
			m.active = i
			if out := m.View(); !strings.Contains(out, "off scale") {
				t.Errorf("%v %s: no off-scale count in view", p, m.views[i].title())
			}
		}
	}
}

func TestFormKeepsOldRangeOnBadInput(t *testing.T) {
	o := testOptions(t)
	m := newModel(o, nil, tiny, os.Stdout)
	show[*planeView](m)
	p := find[*planeView](m)
	key := func(s string) { m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }
	special := func(k tea.KeyType) { m.Update(tea.KeyMsg{Type: k}) }
	key("e")
	if p.form == nil {
		t.Fatal("e did not open the form")
	}
	for i := 0; i < 4; i++ {
		special(tea.KeyBackspace)
	}
	key("x")
	special(tea.KeyEnter)
	if p.form == nil || !strings.Contains(p.form.err, "not a number") || p.alpha().Min != -1 {
		t.Fatalf("bad number: form %+v, alpha %+v", p.form, p.alpha())
	}
	special(tea.KeyBackspace)
	key("3")
	special(tea.KeyEnter)
	if p.form == nil || !strings.Contains(p.form.err, "below") {
		t.Fatalf("inverted range accepted: %+v", p.form)
	}
	special(tea.KeyBackspace)
	key("-0.25")
	special(tea.KeyEnter)
	if p.form != nil || p.alpha().Min != -0.25 || p.alpha().Max != 1 {
		t.Fatalf("valid range not applied: %+v", p.alpha())
	}
}

func TestKeysMoveZoomAndPan(t *testing.T) {
	m := newModel(testOptions(t), nil, tiny, os.Stdout)
	show[*planeView](m)
	p := find[*planeView](m)
	key := func(k tea.KeyMsg) { m.Update(k) }
	key(tea.KeyMsg{Type: tea.KeyRight})
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("k")})
	if p.cursor[0] != 0.5 || p.cursor[1] != 0.5 {
		t.Fatalf("cursor at (%g, %g), want one grid step (0.5, 0.5)", p.cursor[0], p.cursor[1])
	}
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("+")})
	if a := p.alpha(); a.Min != 0 || a.Max != 1 {
		t.Fatalf("zoom in around the cursor: %+v", a)
	}
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("L")})
	if a := p.alpha(); a.Min != 0.25 || a.Max != 1.25 {
		t.Fatalf("pan right: %+v", a)
	}
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("]")})
	if p.alpha().N != 11 {
		t.Fatalf("finer grid: %d", p.alpha().N)
	}
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("0")})
	if a := p.alpha(); a.Min != -1 || a.Max != 1 || a.N != 5 {
		t.Fatalf("reset: %+v", a)
	}
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("m")})
	if p.dir.Norm != direction.Layer {
		t.Fatalf("normalization after m: %s", p.dir.Norm)
	}
	key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	if p.dir.Seed != 2 {
		t.Fatalf("seed after n: %d", p.dir.Seed)
	}
	key(tea.KeyMsg{Type: tea.KeyTab})
	if got := m.views[m.active].title(); got != "3D" {
		t.Fatalf("tab from 2D: view %q", got)
	}
}

// The app's scans evaluate the same images as `basin eval` and the
// headless scans with the same seed (--direction-seed seeds both unless
// --sample-seed is given), and keep them when n draws a new direction.
func TestScanImagesFollowTheSeed(t *testing.T) {
	o := testOptions(t)
	parsed, err := ParseFlags([]string{"--direction-seed", "3"}, io.Discard, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	o.Direction.Seed, o.SampleSeed = parsed.Direction.Seed, parsed.SampleSeed
	if apart, _ := ParseFlags([]string{"--direction-seed", "3", "--sample-seed", "7"}, io.Discard, noEnv); apart.Direction.Seed != 3 || apart.SampleSeed != 7 {
		t.Fatalf("--sample-seed 7: seeds %d and %d", apart.Direction.Seed, apart.SampleSeed)
	}
	m := newModel(o, nil, tiny, os.Stdout)
	var got []scan.Settings
	m.scanner = scanWatcher(func(j jobs.ScanJob) { got = append(got, j.Settings) })
	m.ck = &checkpoint.Checkpoint{}
	find[*planeView](m).restart(false)
	show[*planeView](m)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	if len(got) != 2 || got[0].SampleSeed != 3 || got[1].SampleSeed != 3 || got[1].Direction.Seed != 4 {
		t.Fatalf("settings: %+v", got)
	}
}

// A typed range whose span overflows is refused like a letter is.
func TestFormRefusesOverflowingSpan(t *testing.T) {
	m := newModel(testOptions(t), nil, tiny, os.Stdout)
	show[*lineView](m)
	l := find[*lineView](m)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("e")})
	for i := 0; i < 4; i++ {
		m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("-1e308")})
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	for i := 0; i < 4; i++ {
		m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1e308")})
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if l.form == nil || !strings.Contains(l.form.err, "overflows") || l.alpha().Min != -1 {
		t.Fatalf("form %+v, alpha %+v", l.form, l.alpha())
	}
}

// Every view fits the terminal at every supported size: no line wider
// than the screen, exactly as many lines as it is tall.
func TestViewsFitTheScreen(t *testing.T) {
	o := testOptions(t)
	o.Pretrained = true
	ck, src, err := preload(o)
	if err != nil {
		t.Fatal(err)
	}
	o.other = ck // the compare view too
	for _, size := range [][2]int{{60, 16}, {80, 24}, {120, 40}, {200, 60}} {
		m := newModel(o, ck, src, os.Stdout)
		m.ready()
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for i := range m.views {
			m.active = i
			for _, help := range []bool{false, true} {
				m.showHelp = help
				out := m.View()
				lines := strings.Split(out, "\n")
				if len(lines) != size[1] {
					t.Errorf("%dx%d %s: %d lines", size[0], size[1], m.views[i].title(), len(lines))
				}
				for n, l := range lines {
					if w := lipgloss.Width(l); w > size[0] {
						t.Errorf("%dx%d %s (help %v) line %d is %d wide: %q", size[0], size[1], m.views[i].title(), help, n, w, l)
					}
				}
			}
		}
		m.eng.Shutdown()
	}
}

// noEnv is an empty environment for ParseFlags.
func noEnv(string) string { return "" }

// scanWatcher runs no scan: it tells the test each job it is given.
type scanWatcher func(jobs.ScanJob)

func (w scanWatcher) Scan(_ context.Context, j jobs.ScanJob) <-chan struct{} {
	w(j)
	over := make(chan struct{})
	close(over)
	return over
}
