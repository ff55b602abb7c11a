package app_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/app"
	"github.com/basin-dev/basin/tui/cmd"
)

// writeIDX writes a data set as IDX files, so the CLI can read the
// images the app scanned.
func writeIDX(t *testing.T, src *data.Source) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, d *data.Dataset) {
		n := d.Len()
		img := binary.BigEndian.AppendUint32(nil, 0x803)
		for _, v := range []uint32{uint32(n), 28, 28} {
			img = binary.BigEndian.AppendUint32(img, v)
		}
		lab := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0x801), uint32(n))
		os.WriteFile(filepath.Join(dir, name+"-images-idx3-ubyte"), append(img, d.Pixels[:n*data.Pixels]...), 0o644)
		os.WriteFile(filepath.Join(dir, name+"-labels-idx1-ubyte"), append(lab, d.Labels[:n]...), 0o644)
	}
	write("train", src.Train)
	write("t10k", src.Test)
	return dir
}

// A plane scanned in the app after two new directions (direction seed 3,
// image seed 1) is reproduced point for point by the command basin info
// prints for its file: the app and the CLI make each other's scans.
func TestAppScanReproducedByTheCLI(t *testing.T) {
	dataDir := writeIDX(t, app.Tiny(t))
	src, err := data.LoadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	file := app.ScanInApp(t, src, 2)
	inApp, err := surface.Load(file)
	if err != nil || inApp.Meta.Seed != 3 || inApp.Meta.SampleSeed != 1 {
		t.Fatalf("the app's scan: %v, seeds %d and %d", err, inApp.Meta.Seed, inApp.Meta.SampleSeed)
	}
	var out, errb bytes.Buffer
	if code := cmd.Main([]string{"info", file}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	_, line, ok := strings.Cut(out.String(), "reproduce  basin ")
	if !ok {
		t.Fatalf("basin info prints no command:\n%s", out.String())
	}
	line, _, _ = strings.Cut(line, "\n")
	copyPath := filepath.Join(t.TempDir(), "copy.npz")
	args := strings.Fields(strings.Replace(line, "copy.npz", copyPath, 1))
	if code := cmd.Main(args, &out, &errb); code != 0 {
		t.Fatalf("basin %s: %s", line, errb.String())
	}
	got, err := surface.Load(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	for k := range inApp.Loss {
		if got.Loss[k] != inApp.Loss[k] {
			t.Fatalf("point %d: the CLI gives %v, the app gave %v (%s)", k, got.Loss[k], inApp.Loss[k], line)
		}
	}
	if got.Meta.CentreLoss != inApp.Meta.CentreLoss {
		t.Fatalf("centre %v, app %v", got.Meta.CentreLoss, inApp.Meta.CentreLoss)
	}
}
