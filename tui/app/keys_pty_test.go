package app

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/creack/pty"

	"github.com/basin-dev/basin/core/checkpoint"
)

// Letters that arrive in one read from a real terminal ("ll" typed fast,
// or over SSH) were one key "ll" to the app, and lost: each is a key now.
// The app reads a real pty here, as it does in a terminal.
func TestLettersInOneReadAreKeysThroughAPty(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pty:", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100})
	go io.Copy(io.Discard, ptmx) // the screen

	o := testOptions(t)
	o.Points = 11
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	show[*lineView](m)
	m.touched = true // stay on the line: no tour to the next view
	p := tea.NewProgram(m, tea.WithInput(tty), tea.WithOutput(tty), tea.WithoutSignalHandler())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	time.Sleep(300 * time.Millisecond) // the program reads its input
	ptmx.Write([]byte("lll"))          // one write: one read
	time.Sleep(300 * time.Millisecond)
	ptmx.Write([]byte("q"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		p.Kill()
		t.Fatal("q did not end the app")
	}
	line := find[*lineView](m)
	if got := line.cursorIndex(0); got != o.Points/2+3 {
		t.Fatalf("after lll the cursor is at point %d, want %d (three steps right of the centre)", got, o.Points/2+3)
	}
	if !strings.Contains(m.View(), "α 0.6") {
		t.Errorf("the readout does not show α 0.6:\n%s", m.View())
	}
}

// The range form shows numbers as a person types them, not the binary
// tail of a sum (0.1 + 0.2 showed …000000000004).
func TestRangeFormShowsTypedNumbers(t *testing.T) {
	f := newRangeForm([]string{"α min", "α max"}, []float64{0.1 + 0.2, 1.0 / 3})
	if got := f.inputs[0].Value(); got != "0.3" {
		t.Fatalf("0.1+0.2 shows as %q", got)
	}
	if got := f.inputs[1].Value(); got != "0.333333333333" {
		t.Fatalf("1/3 shows as %q", got)
	}
}
