package surface

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/npy"
)

func sample2D() *Surface {
	s := New(Axis{-1, 1, 5}, Axis{-2, 2, 3})
	s.Meta = Meta{Kind: "2d", CheckpointSHA: "abc", Seed: 3, Norm: "filter", Split: "train", Samples: 10, Alpha: s.Alpha, Beta: &s.Beta}
	s.D = model.Params{{Name: "fc.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}
	s.E = model.Params{{Name: "fc.weight", Shape: []int{2, 2}, Data: []float32{5, 6, 7, 8}}}
	s.EvalIndices = []int{4, 9, 11}
	for k := 0; k < s.Len(); k += 2 {
		a, b := s.Coord(k)
		s.Record(k, model.Result{Loss: a*a + b*b, Accuracy: 0.5, LossSE: 0.01 * float64(k)})
	}
	return s
}

func TestNPZRoundTrip(t *testing.T) {
	s := sample2D()
	path := filepath.Join(t.TempDir(), "s.npz")
	if err := Save(path, NPZ, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SameSettings(got); err != nil {
		t.Fatal(err)
	}
	for k := range s.Loss {
		eq := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !eq(s.Loss[k], got.Loss[k]) || !eq(s.LossSE[k], got.LossSE[k]) || s.Done[k] != got.Done[k] {
			t.Fatalf("point %d: %v±%v/%v, read back %v±%v/%v", k, s.Loss[k], s.LossSE[k], s.Done[k], got.Loss[k], got.LossSE[k], got.Done[k])
		}
	}
	if len(got.EvalIndices) != 3 || got.EvalIndices[2] != 11 || got.Meta.Computed != 8 || got.Meta.Complete {
		t.Fatalf("metadata or indices lost: %+v %v", got.Meta, got.EvalIndices)
	}
	other := sample2D()
	other.Meta.Seed = 4
	if err := other.SameSettings(got); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Fatalf("a surface of another seed must not match: %v", err)
	}
}

func TestNpyHeaderIsNumpyCompatible(t *testing.T) {
	b := npy.Array{Shape: []int{3}, F64: []float64{1, 2, 3}}.Encode()
	if len(b)%64 != 24 || string(b[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("header of %d bytes: %q", len(b)-24, b[:10])
	}
	hl := int(b[8]) | int(b[9])<<8
	if (10+hl)%64 != 0 || !strings.Contains(string(b[10:10+hl]), "'shape': (3,)") {
		t.Fatalf("header not 64-aligned or shape wrong: %q", b[10:10+hl])
	}
	a, err := npy.Decode(npy.Array{Str: "héllo"}.Encode())
	if err != nil || a.Str != "héllo" {
		t.Fatalf("string array: %q %v", a.Str, err)
	}
}

func TestCSVAndJSON(t *testing.T) {
	s := sample2D()
	dir := t.TempDir()
	if err := Save(filepath.Join(dir, "s.csv"), CSV, s); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "s.csv"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "alpha,beta,loss,accuracy,loss_se" || len(lines) != 16 || lines[1] != "-1,-2,5,0.5,0" || lines[3] != "-1,2,5,0.5,0.02" || !strings.HasSuffix(lines[2], "nan,nan,nan") {
		t.Fatalf("csv: %q", lines[:3])
	}
	if err := Save(filepath.Join(dir, "s.json"), JSON, s); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "s.json"))
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if loss := v["train_loss"].([]any); len(loss) != 15 || loss[1] != nil {
		t.Fatalf("json train_loss: %v", loss)
	}
	if f, err := FormatFor("x.json", ""); f != JSON || err != nil {
		t.Fatal(f, err)
	}
	if _, err := FormatFor("x", "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestSummaryWidth(t *testing.T) {
	// f(α) = α² on [-1, 1]: below 0 + 0.1 for |α| < √0.1.
	s := New(Axis{-1, 1, 201}, Axis{})
	for k := 0; k < s.Len(); k++ {
		a, _ := s.Coord(k)
		s.Set(k, a*a, 1)
	}
	sum := Summarize(s, 0.1)
	w := sum.WidthAlpha
	if !w.Valid || w.OpenLo || w.OpenHi || math.Abs(w.Hi-math.Sqrt(0.1)) > 1e-3 || math.Abs(w.Lo+math.Sqrt(0.1)) > 1e-3 {
		t.Fatalf("width %+v, want ±%.4f", w, math.Sqrt(0.1))
	}
	if sum.Min.Loss != 0 || sum.Max.Loss != 1 {
		t.Fatalf("min %v max %v", sum.Min, sum.Max)
	}
	// A basin wider than the scan is open on both sides.
	if w := Summarize(s, 5).WidthAlpha; !w.OpenLo || !w.OpenHi {
		t.Fatalf("threshold above every value: %+v", w)
	}
	// Diverged points count as off scale and end the basin.
	s.Set(150, math.Inf(1), 0)
	if sum := Summarize(s, 5); sum.OffScale != 1 || sum.WidthAlpha.OpenHi || sum.WidthAlpha.Hi != s.Alpha.At(150) {
		t.Fatalf("infinite point: %+v", sum)
	}
}

func TestAxisValidate(t *testing.T) {
	for _, a := range []Axis{{1, -1, 5}, {0, 0, 5}, {-1, 1, 1}, {-1, 1, 1002}, {math.NaN(), 1, 3}} {
		if a.Validate("alpha") == nil {
			t.Errorf("%+v accepted", a)
		}
	}
	if (Axis{-1, 1, 21}).At(10) != 0 {
		t.Fatal("the middle of -1:1 at 21 points must be exactly 0")
	}
}

func FuzzDecodeSurface(f *testing.F) {
	s := sample2D()
	b, _ := s.npz()
	f.Add(b)
	f.Add(npy.Array{Shape: []int{2}, F64: []float64{1, 2}}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		decode(b)
		npy.Decode(b)
	})
}

func TestAtInterpolatesFromCoarsePoints(t *testing.T) {
	s := New(Axis{0, 4, 5}, Axis{0, 4, 5})
	if _, ok := s.At(1, 1); ok {
		t.Fatal("empty surface reports a value")
	}
	// Only the corners and the centre (the first coarse level, stride 4).
	for _, k := range []int{0, 4, 20, 24} {
		a, b := s.Coord(k)
		s.Set(k, a+b, 1)
	}
	if v, ok := s.At(1, 3); !ok || math.Abs(v-4) > 1e-12 {
		t.Fatalf("coarse bilinear: %v %v, want 4", v, ok)
	}
	// A finer computed cell takes over.
	for _, k := range []int{6, 7, 11, 12} {
		s.Set(k, 100, 1)
	}
	if v, _ := s.At(1.5, 1.5); v != 100 {
		t.Fatalf("fine cell: %v, want 100", v)
	}
	s.Set(12, math.Inf(1), 0)
	if v, ok := s.At(1.5, 1.5); !ok || !math.IsInf(v, 1) {
		t.Fatalf("off-scale corner: %v", v)
	}
	if _, ok := s.At(5, 1); ok {
		t.Fatal("outside the range reports a value")
	}
	line := New(Axis{-1, 1, 3}, Axis{})
	line.Set(0, 1, 1)
	line.Set(2, 3, 1)
	if v, ok := line.At(0.5, 0); !ok || v != 2.5 {
		t.Fatalf("1D: %v %v", v, ok)
	}
}

func TestWidthString(t *testing.T) {
	cases := map[Width]string{
		{}:                                     "n/a",
		{Valid: true, Lo: -0.4651, Hi: 0.3589}: "[-0.465, 0.359] width 0.824",
		{Valid: true, Lo: -1, Hi: 1, OpenLo: true, OpenHi: true}:        "[<-1, >1] width 2",
		{Valid: true, Lo: math.Copysign(0, -1), Hi: 0.5, OpenHi: false}: "[0, 0.5] width 0.5",
	}
	for w, want := range cases {
		if got := w.String(); got != want {
			t.Errorf("%+v: %q, want %q", w, got, want)
		}
	}
}

// rewrite is sample2D's .npz without entry, and with what add writes.
func rewrite(t *testing.T, entry string, add func(zw *zip.Writer)) []byte {
	t.Helper()
	good, err := sample2D().npz()
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name != entry+".npy" {
			zw.Copy(f)
		}
	}
	add(zw)
	zw.Close()
	return buf.Bytes()
}

// bombNpz is a valid surface whose named entry declares a small array
// but inflates to 256 MB, the way a zip bomb hides behind a header.
func bombNpz(t *testing.T, entry string, declared npy.Array) []byte {
	return rewrite(t, entry, func(zw *zip.Writer) {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: entry + ".npy", Method: zip.Deflate})
		w.Write(declared.Encode())
		zero := make([]byte, 1<<20)
		for i := 0; i < 256; i++ {
			w.Write(zero)
		}
	})
}

// Hostile .npz files cost what their headers declare and no more: a bomb
// behind a loss array reads only its declared points, a bomb in an entry
// basin does not need is never inflated, and an absurd shape is refused
// before anything is read.
func TestDecodeIsBoundedByDeclaredShapes(t *testing.T) {
	s := sample2D()
	loss := npy.Array{Shape: []int{s.Alpha.N, s.Beta.N}, F64: make([]float64, s.Len())}
	for _, entry := range []string{"train_loss", "xdirection/conv1.weight"} {
		b := bombNpz(t, entry, loss)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := decode(b); err != nil {
			t.Fatalf("%s: %v", entry, err)
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
			t.Fatalf("%s: decoding allocated %d MB", entry, grew>>20)
		}
	}
	huge := bombNpz(t, "train_acc", npy.Array{Shape: []int{1 << 30}, U8: []uint8{}})
	if _, err := decode(huge); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("absurd shape: %v", err)
	}
}

// Surfaces written before the standard errors were recorded still load,
// with NaN for them.
func TestOlderFilesWithoutStandardErrorsLoad(t *testing.T) {
	s, err := decode(rewrite(t, "train_loss_se", func(*zip.Writer) {}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Done[0] || !math.IsNaN(s.LossSE[0]) || s.Loss[0] != 5 {
		t.Fatalf("point 0: %v ± %v (done %v)", s.Loss[0], s.LossSE[0], s.Done[0])
	}
}

// Several surfaces in one file, each read back by its name.
func TestSurfaceSet(t *testing.T) {
	a, b := sample2D(), sample2D()
	b.Loss[0] = 42
	path := filepath.Join(t.TempDir(), "set.npz")
	if err := SaveSet(path, []Part{{"a/plane", a}, {"b/plane", b}}, map[string]string{"kind": "test"}); err != nil {
		t.Fatal(err)
	}
	ga, err := LoadPart(path, "a/plane")
	if err != nil {
		t.Fatal(err)
	}
	gb, err := LoadPart(path, "b/plane")
	if err != nil || ga.Loss[0] != a.Loss[0] || gb.Loss[0] != 42 || ga.SameSettings(a) != nil {
		t.Fatalf("%v: a %v, b %v", err, ga.Loss[0], gb)
	}
	if _, err := LoadPart(path, "c/plane"); err == nil {
		t.Fatal("a missing part loaded")
	}
}

// A 632 KB .npz cost 895 MB for info and plot: path arrays the metadata
// does not name were inflated. Only what the metadata names is read.
func TestUnnamedPathArraysAreNotInflated(t *testing.T) {
	b := rewrite(t, "", func(zw *zip.Writer) {
		big := npy.Array{Shape: []int{maxPathPoints}, F64: make([]float64, maxPathPoints)}.Encode()
		for i := range 4 {
			for _, k := range []string{"step", "x", "y", "offplane"} {
				w, _ := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("path_%d_%s.npy", i, k), Method: zip.Deflate})
				w.Write(big)
			}
		}
	})
	if len(b) > 4<<20 {
		t.Fatalf("the test file is %d KB", len(b)>>10)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := decode(b)
	runtime.ReadMemStats(&after)
	if err != nil || len(s.Paths) != 0 {
		t.Fatalf("decode: %v, %d paths", err, len(s.Paths))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Fatalf("a %d KB file took %d MB to read", len(b)>>10, grew>>20)
	}
}
