package tui

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/cli"
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
	o := testOptions(t)
	dataDir := writeIDX(t, tiny)
	src, err := data.LoadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	o.source = src
	m := newModel(o, nil, src, os.Stdout)
	defer m.eng.shutdown()
	ck, _ := checkpoint.Pretrained("small")
	m.switchModel(ck, nil)
	show[*planeView](m)
	plane := find[*planeView](m)
	for range 2 {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	}
	pump(t, m, func() bool { return !plane.running && plane.file != "" && plane.cur.Computed() == plane.cur.Len() })
	app, err := surface.Load(plane.file)
	if err != nil || app.Meta.Seed != 3 || app.Meta.SampleSeed != 1 {
		t.Fatalf("the app's scan: %v, seeds %d and %d", err, app.Meta.Seed, app.Meta.SampleSeed)
	}
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"info", plane.file}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	_, cmd, ok := strings.Cut(out.String(), "reproduce  basin ")
	if !ok {
		t.Fatalf("basin info prints no command:\n%s", out.String())
	}
	cmd, _, _ = strings.Cut(cmd, "\n")
	copyPath := filepath.Join(t.TempDir(), "copy.npz")
	args := strings.Fields(strings.Replace(cmd, "copy.npz", copyPath, 1))
	if code := cli.Main(args, &out, &errb); code != 0 {
		t.Fatalf("basin %s: %s", cmd, errb.String())
	}
	got, err := surface.Load(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	for k := range app.Loss {
		if got.Loss[k] != app.Loss[k] {
			t.Fatalf("point %d: the CLI gives %v, the app gave %v (%s)", k, got.Loss[k], app.Loss[k], cmd)
		}
	}
	if got.Meta.CentreLoss != app.Meta.CentreLoss {
		t.Fatalf("centre %v, app %v", got.Meta.CentreLoss, app.Meta.CentreLoss)
	}
}
