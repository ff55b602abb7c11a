package flags

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestRange(t *testing.T) {
	t.Parallel()
	good := map[string][2]float64{"-1:1": {-1, 1}, " 0.5 : 2 ": {0.5, 2}, "-1e300:1e300": {-1e300, 1e300}}
	for in, want := range good {
		lo, hi, err := Range(in)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("%q: %g %g %v", in, lo, hi, err)
		}
	}
	bad := map[string]string{
		"1:-1": "inverted", "1:1": "inverted", "a:1": `"a" is not a number`, "1": "want min:max",
		"NaN:1": "not a number", "-Inf:1": "not a number", "-1e308:1e308": "overflows", ":1": "missing",
	}
	for in, want := range bad {
		if _, _, err := Range(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestGrid(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]int{"21": {21, 21}, "41x21": {41, 21}, "2X1001": {2, 1001}} {
		if nx, ny, err := Grid(in); err != nil || nx != want[0] || ny != want[1] {
			t.Errorf("%q: %d %d %v", in, nx, ny, err)
		}
	}
	for _, in := range []string{"1", "1002", "4x", "x4", "4x4x4", "-3", "abc"} {
		if _, _, err := Grid(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// The CLI and the app register the same scan flags and get the same
// settings from the same values; the app names the seed
// --direction-seed because its --seed is training's.
func TestScanFlagsAgree(t *testing.T) {
	t.Parallel()
	parse := func(shape Shape, seed string, args ...string) (Scan, error) {
		var f Scan
		fs := New("t", "t", "", "t --help", &bytes.Buffer{})
		f.Register(fs.FlagSet, shape, seed)
		return f, fs.Parse(args)
	}
	cli, err := parse(Plane, "seed", "--grid", "41x21", "--seed", "3", "--beta", "-2:2", "--norm", "layer")
	if err != nil {
		t.Fatal(err)
	}
	app, err := parse(Both, "direction-seed", "--grid", "41x21", "--direction-seed", "3", "--beta", "-2:2", "--norm", "layer")
	if err != nil {
		t.Fatal(err)
	}
	a, errA := cli.Settings(true)
	b, errB := app.Settings(true)
	if errA != nil || errB != nil || a != b {
		t.Fatalf("cli %+v (%v), app %+v (%v)", a, errA, b, errB)
	}
	if a.Alpha.N != 41 || a.Beta.N != 21 || a.Direction.Seed != 3 || a.SampleSeed != 3 {
		t.Fatalf("settings %+v", a)
	}
	line, err := app.Settings(false)
	if err != nil || line.Alpha.N != 51 || line.Beta.N != 0 {
		t.Fatalf("line %+v %v", line, err)
	}
	if _, err := parse(Line, "seed", "--grid", "3"); err == nil {
		t.Fatal("scan1d accepted --grid")
	}
}

// Errors are one line that points to the help; --help prints the usage.
func TestParseErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	fs := New("train", "basin train [flags]", "", "basin train --help", &out)
	var tr Train
	tr.Register(fs.FlagSet)
	for _, args := range [][]string{{"--bogus"}, {"--epochs", "x"}, {"extra"}} {
		err := fs.Parse(args)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "basin train --help") || out.Len() > 0 {
			t.Errorf("%v: %q, printed %q", args, err, out.String())
		}
	}
	if err := fs.Parse([]string{"--help"}); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-weight-decay") {
		t.Fatalf("--help: %v %q", err, out.String())
	}
}
