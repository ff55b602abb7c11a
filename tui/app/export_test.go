package app

import (
	"os"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
)

// ScanInApp is the app's side of TestAppScanReproducedByTheCLI (package
// app_test, which also runs the commands): the shipped small model on
// src, a plane scanned after n new directions; it returns the plane's
// file.
func ScanInApp(t *testing.T, src *data.Source, n int) string {
	o := testOptions(t)
	o.Source = src
	m := newModel(o, nil, src, os.Stdout)
	t.Cleanup(m.eng.Shutdown)
	ck, _ := checkpoint.Pretrained("small")
	m.switchModel(ck, nil)
	show[*planeView](m)
	plane := find[*planeView](m)
	for range n {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	}
	pump(t, m, func() bool { return !plane.running && plane.file != "" && plane.cur.Computed() == plane.cur.Len() })
	return plane.file
}

// Tiny is the small data set the app's tests run on.
func Tiny(t *testing.T) *data.Source {
	testOptions(t)
	return tiny
}
