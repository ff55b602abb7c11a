package app

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// timedWriter records when the program writes a frame that holds want.
type timedWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen chan time.Time
	want func() string
}

func (w *timedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if want := w.want(); want != "" && strings.Contains(w.buf.String(), want) {
		w.buf.Reset()
		select {
		case w.seen <- time.Now():
		default:
		}
	}
	if w.buf.Len() > 1<<20 {
		w.buf.Reset()
	}
	return len(p), nil
}

// forget drops what was written and seen so far: a frame that matched the
// last key's target again (a redraw while the scan runs) is not this key's.
func (w *timedWriter) forget() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Reset()
	select {
	case <-w.seen:
	default:
	}
}

// BenchmarkKeyLatency measures key → frame in the real Bubble Tea loop
// (keys through a pipe, frames through a writer) while the 2D view scans
// the standard net on 1,000 images with every core: the cursor moves one
// step per key and the time until the frame showing its new position is
// written is the latency. It reports the median and the 95th percentile,
// and the scan's points/s for 5 s before the keys (quiet_points/s) and
// while they come (scan_points/s).
//
//	go test -run XXX -bench KeyLatency -benchtime 1x ./tui/app
func BenchmarkKeyLatency(b *testing.B) {
	o := testOptions(&testing.T{})
	o.Source = full
	o.Alpha = surface.Axis{Min: -1, Max: 1, N: 41}
	o.Beta = o.Alpha
	o.Samples, o.Workers = 1000, 0
	ck, err := checkpoint.Pretrained("standard")
	if err != nil {
		b.Fatal(err)
	}
	debug.SetMemoryLimit(scan.HeapLimit(o.Workers))
	if os.Getenv("BASIN_UI_PROC") != "0" && os.Getenv("GOMAXPROCS") == "" { // as the app runs (cmd's reserveUIProc); 0 measures without it
		before := runtime.GOMAXPROCS(runtime.NumCPU() + 1)
		defer runtime.GOMAXPROCS(before)
	}
	m := newModel(o, ck, full, io.Discard)
	m.touched = true
	pr, pw := io.Pipe()
	var target string
	var tmu sync.Mutex
	tw := &timedWriter{seen: make(chan time.Time, 1), want: func() string { tmu.Lock(); defer tmu.Unlock(); return target }}
	p := tea.NewProgram(m, tea.WithInput(pr), tea.WithOutput(tw), tea.WithoutSignalHandler(), tea.WithFPS(FPS))
	go p.Run()
	defer func() { p.Quit(); m.eng.Shutdown() }()
	p.Send(tea.WindowSizeMsg{Width: 160, Height: 48})
	time.Sleep(300 * time.Millisecond)
	pw.Write([]byte("3")) // the 2D view: its scan starts
	plane := find[*planeView](m)
	time.Sleep(3 * time.Second) // the scan is well under way
	// Its rate without keys, then with them: what the keys cost the scan.
	quietPts, quietT := plane.last.Done, time.Now() // read racily: a rate, not a value to trust to the point
	time.Sleep(5 * time.Second)
	var lat []time.Duration
	startPts, startT := plane.last.Done, time.Now()
	b.ReportMetric(float64(startPts-quietPts)/startT.Sub(quietT).Seconds(), "quiet_points/s")
	for i := 0; i < 40; i++ {
		k, want := "l", "α 0.05 " // right, then back
		if i%2 == 1 {
			k, want = "h", "α 0 "
		}
		tmu.Lock()
		target = want
		tmu.Unlock()
		tw.forget()
		t0 := time.Now()
		pw.Write([]byte(k))
		select {
		case t1 := <-tw.seen:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(2 * time.Second):
			lat = append(lat, 2*time.Second)
		}
		time.Sleep(120 * time.Millisecond)
	}
	b.ReportMetric(float64(plane.last.Done-startPts)/time.Since(startT).Seconds(), "scan_points/s")
	if !plane.running {
		b.Log("the scan ended before the keys: the measurement is of an idle engine")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95_ms")
	if os.Getenv("BASIN_LATENCY_LOG") != "" {
		b.Logf("latencies: %v", lat)
	}
}
