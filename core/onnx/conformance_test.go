package onnx

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// ONNX's own backend tests, as Debian's libonnx-testdata installs them:
// every test whose graph uses only ops basin reads runs through Import and
// basin's engine, and its output must match ONNX's within 1e-4 relative.
// testdata/conformance.txt records each test's outcome (pass, or skip and
// why); any change of outcome fails, and -update rewrites the file.

var update = flag.Bool("update", false, "rewrite testdata/conformance.txt from this run")

// testdataDir is where libonnx-testdata puts ONNX's tests.
func testdataDir() string {
	if d := os.Getenv("BASIN_ONNX_TESTDATA"); d != "" {
		return d
	}
	return "/usr/share/libonnx-testdata/data"
}

func TestConformance(t *testing.T) {
	root := testdataDir()
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run installs libonnx-testdata", root)
		}
		t.Skipf("%s is missing: apt-get install libonnx-testdata", root)
	}
	var got []string
	for _, suite := range []string{"node", "pytorch-converted"} {
		dirs, err := filepath.Glob(filepath.Join(root, suite, "test_*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			outcome, ours := conformance(t, dir)
			if !ours {
				continue
			}
			got = append(got, suite+"/"+filepath.Base(dir)+" "+outcome)
		}
	}
	sort.Strings(got)
	passed := 0
	for _, g := range got {
		if strings.HasSuffix(g, " pass") {
			passed++
		}
	}
	t.Logf("%d tests of supported ops: %d passed, %d skipped", len(got), passed, len(got)-passed)
	const file = "testdata/conformance.txt"
	text := strings.Join(got, "\n") + "\n"
	if *update {
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wl := strings.Split(strings.TrimSpace(string(want)), "\n")
	for _, g := range got {
		if !slices.Contains(wl, g) {
			t.Errorf("now: %s", g)
		}
	}
	for _, w := range wl {
		if !slices.Contains(got, w) {
			t.Errorf("was: %s", w)
		}
	}
}

// conformance runs one test directory: ours reports whether every op of
// its graph is one basin reads; outcome is "pass", "skip: why", or
// "FAIL: how".
func conformance(t *testing.T, dir string) (outcome string, ours bool) {
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return "", false
	}
	m, err := ParseModel(b)
	if err != nil {
		return "FAIL: " + err.Error(), true
	}
	for _, n := range m.Graph.Nodes {
		if !slices.Contains(Supported, n.Op) || n.Domain != "" && n.Domain != "ai.onnx" {
			return "", false
		}
	}
	var inputs []Value
	for _, v := range m.Graph.Inputs {
		if _, ok := m.Graph.Initializers[v.Name]; !ok {
			inputs = append(inputs, v)
		}
	}
	set := filepath.Join(dir, "test_data_set_0")
	read := func(name string) (*Tensor, error) {
		b, err := os.ReadFile(filepath.Join(set, name))
		if err != nil {
			return nil, err
		}
		return ParseTensor(b)
	}
	if len(inputs) == 0 || len(m.Graph.Outputs) != 1 {
		return fmt.Sprintf("skip: %d inputs and %d outputs", len(inputs), len(m.Graph.Outputs)), true
	}
	if inputs[0].Type == 0 {
		return "skip: the input is not a tensor (a sequence or optional)", true
	}
	x, err := read("input_0.pb")
	if err != nil {
		return "FAIL: " + err.Error(), true
	}
	extra := map[string]*Tensor{}
	for k, v := range inputs[1:] {
		if extra[v.Name], err = read(fmt.Sprintf("input_%d.pb", k+1)); err != nil {
			return "FAIL: " + err.Error(), true
		}
	}
	want, err := read("output_0.pb")
	if err != nil {
		return "FAIL: " + err.Error(), true
	}
	if x.Type != TypeFloat || want.Type != TypeFloat {
		return fmt.Sprintf("skip: %s data (basin computes in float)", typeName(max(x.Type, want.Type))), true
	}
	if len(inputs[0].Shape) == 0 { // some files leave the shape to the data
		inputs[0].Shape = x.Dims
		for i := range m.Graph.Inputs {
			if m.Graph.Inputs[i].Name == inputs[0].Name {
				m.Graph.Inputs[i].Shape = x.Dims
			}
		}
	}
	im, err := Import(m, extra)
	if err != nil {
		var u *UnsupportedError
		if errors.As(err, &u) {
			return "skip: " + u.Op + " " + u.Why, true
		}
		return "skip: " + err.Error(), true
	}
	batch := int(x.Dims[0])
	y, err := im.Forward(x.Floats, batch)
	if err != nil {
		return "FAIL: " + err.Error(), true
	}
	if len(y) != len(want.Floats) {
		return fmt.Sprintf("FAIL: %d values, ONNX's output has %d (%v)", len(y), len(want.Floats), want.Dims), true
	}
	worst := 0.0
	for i, w := range want.Floats {
		d := math.Abs(float64(y[i]) - float64(w))
		if d > 1e-4*math.Abs(float64(w))+1e-6 {
			worst = math.Max(worst, d/math.Max(math.Abs(float64(w)), 1e-6))
		}
	}
	if worst > 0 {
		t.Logf("%s: off by %.3g relative", dir, worst)
		return fmt.Sprintf("FAIL: off by %.3g relative", worst), true
	}
	return "pass", true
}
