package figure

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

func bowl(twoD bool) *surface.Surface {
	beta := surface.Axis{}
	if twoD {
		beta = surface.Axis{Min: -1, Max: 1, N: 9}
	}
	s := surface.New(surface.Axis{Min: -1, Max: 1, N: 11}, beta)
	for k := 0; k < s.Len(); k++ {
		a, b := s.Coord(k)
		s.Set(k, 0.05+a*a+2*b*b, 0.98-0.3*a*a)
		s.LossSE[k] = 0.01
	}
	s.Meta = surface.Meta{Kind: "1d", Checkpoint: "m.safetensors", Preset: "small", Norm: "filter", Seed: 1, Split: "train", Samples: 100, SampleSeed: 1, Version: "test"}
	if twoD {
		s.Meta.Kind = "2d"
	}
	return s
}

// Every kind of figure draws, in every format, to a file of that format;
// what cannot be drawn is an error, not a blank file.
func TestFiguresSave(t *testing.T) {
	dir := t.TempDir()
	line, plane := bowl(false), bowl(true)
	traj := bowl(true)
	traj.Meta.Kind, traj.Meta.Explained = "trajectory", []float64{0.7, 0.2}
	traj.Paths = []surface.Path{{Name: "a", Steps: []int{0, 5, 10}, X: []float64{0.8, 0.4, 0}, Y: []float64{0.6, 0.2, 0}, Off: []float64{0.1, 0.1, 0}}}
	interp := bowl(false)
	interp.Meta.Kind, interp.TestLoss, interp.TestAcc, interp.TestLossSE = "interp", interp.Loss, interp.Acc, interp.LossSE
	var figs []Figure
	for _, s := range []*surface.Surface{line, plane, traj, interp} {
		f, err := Surface(s, true)
		if err != nil {
			t.Fatal(err)
		}
		figs = append(figs, f)
	}
	c, err := Compare(plane, bowl(true), true)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Track([]train.SharpnessPoint{{Step: 0, LambdaMax: 3}, {Step: 10, LambdaMax: 12, Residual: 0.3}}, 10, "track")
	if err != nil {
		t.Fatal(err)
	}
	s3, err := Surface3D(plane, true, -0.6, 0.55)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Surface3D(line, true, 0, 0.5); err == nil {
		t.Error("a line drew in 3D")
	}
	figs = append(figs, c, tr, s3)
	magic := map[string]string{".png": "\x89PNG", ".svg": "<?xml", ".pdf": "%PDF"}
	for i, f := range figs {
		for ext, m := range magic {
			path := filepath.Join(dir, "f"+string(rune('a'+i))+ext)
			if err := Save(path, f); err != nil {
				t.Fatalf("figure %d %s: %v", i, ext, err)
			}
			b, _ := os.ReadFile(path)
			if !bytes.HasPrefix(b, []byte(m)) || len(b) < 2000 {
				t.Fatalf("figure %d %s: %d bytes starting %q", i, ext, len(b), b[:min(8, len(b))])
			}
		}
	}
	if err := Save(filepath.Join(dir, "f.jpg"), figs[0]); err == nil || !strings.Contains(err.Error(), ".png") {
		t.Errorf(".jpg: %v", err)
	}
	empty := surface.New(surface.Axis{Min: -1, Max: 1, N: 3}, surface.Axis{})
	if _, err := Surface(empty, false); err == nil {
		t.Error("a surface with no points drew")
	}
	if _, err := Compare(plane, line, false); err == nil {
		t.Error("a plane compared with a line")
	}
	if got := Caption(plane.Meta); !strings.Contains(got, "filter-normalized") || !strings.Contains(got, "100 train images") {
		t.Errorf("caption %q", got)
	}
	off := bowl(true)
	off.Loss[3] = math.Inf(1) // off scale: left out, not a crash
	if _, err := Surface(off, true); err != nil {
		t.Error(err)
	}
}

// A plane whose computed points are all NaN or infinite (a diverged
// model) panicked the figure (a colour map with Max == Min); a plane of
// one value, and A and B finite at no common point, still draw.
func TestNonFiniteSurfaces(t *testing.T) {
	nan := bowl(true)
	for k := range nan.Loss {
		nan.Loss[k] = math.NaN()
		if k%2 == 1 {
			nan.Loss[k] = math.Inf(1)
		}
	}
	if _, err := Surface(nan, true); err == nil || !strings.Contains(err.Error(), "no finite loss") {
		t.Fatalf("an all-NaN plane: %v", err)
	}
	if _, err := Compare(bowl(true), nan, true); err == nil || !strings.Contains(err.Error(), "no finite loss") {
		t.Fatalf("compare with an all-NaN plane: %v", err)
	}
	flat, half, other := bowl(true), bowl(true), bowl(true)
	for k := range flat.Loss {
		flat.Loss[k] = 0.3
		if k%2 == 0 {
			half.Loss[k] = math.NaN()
		} else {
			other.Loss[k] = math.NaN()
		}
	}
	dir := t.TempDir()
	for i, draw := range []func() (Figure, error){
		func() (Figure, error) { return Surface(flat, true) },
		func() (Figure, error) { return Compare(half, other, false) },
	} {
		f, err := draw()
		if err != nil {
			t.Fatal(err)
		}
		if err := Save(filepath.Join(dir, fmt.Sprintf("f%d.png", i)), f); err != nil {
			t.Fatal(err)
		}
	}
}

// An interpolation's axis names its ends A and B wherever its range puts
// them, and only there.
func TestInterpolationTicks(t *testing.T) {
	var labels []string
	for _, tk := range (endsTicks{}).Ticks(-0.5, 1.5) {
		labels = append(labels, tk.Label)
	}
	all := strings.Join(labels, " ")
	if !strings.Contains(all, "0 (A)") || !strings.Contains(all, "1 (B)") {
		t.Errorf("ticks %q", all)
	}
	for _, tk := range (endsTicks{}).Ticks(0.2, 0.8) {
		if strings.Contains(tk.Label, "(") {
			t.Errorf("an end outside the range is ticked: %q", tk.Label)
		}
	}
}

// A plane saved mid-scan draws the coarser grid it has, filled from the
// nearest computed points, not dots on white; the caption says so.
func TestPartialPlaneIsFilled(t *testing.T) {
	s := bowl(true)
	for k := range s.Done {
		if i, j := k/s.Beta.N, k%s.Beta.N; i%2 == 1 || j%2 == 1 { // the coarse grid only
			s.Done[k], s.Loss[k], s.Acc[k] = false, math.NaN(), math.NaN()
		}
	}
	f, note := filled(s)
	if f.Computed() != s.Computed() || note == "" || !strings.Contains(note, fmt.Sprintf("%d of %d points", s.Computed(), s.Len())) {
		t.Fatalf("note %q", note)
	}
	for k, v := range f.Loss {
		if math.IsNaN(v) {
			t.Fatalf("point %d left empty", k)
		}
	}
	if whole, note := filled(bowl(true)); note != "" || whole.Computed() != whole.Len() {
		t.Error("a whole plane was changed")
	}
}

// A caption too long for one line is drawn on two (it panicked on the
// two-byte middle dot of its separator).
func TestLongCaptionWraps(t *testing.T) {
	s := bowl(true)
	s.Meta.Checkpoint = strings.Repeat("a-long-folder/", 12) + "model.safetensors"
	f, err := Surface(s, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(filepath.Join(t.TempDir(), "long.png"), f); err != nil {
		t.Fatal(err)
	}
}
