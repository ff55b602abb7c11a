package tui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/train"
)

// state is the view on screen.
type state int

const (
	stateTrain state = iota
	stateLine
	statePlane
)

func (s state) String() string { return [...]string{"training", "1D scan", "2D scan"}[s] }

// Minimum terminal size the views are laid out for.
const minW, minH = 60, 16

// Model is the root Bubble Tea model.
type Model struct {
	opts     Options
	st       styles
	keys     keyMap
	help     help.Model
	showHelp bool
	eng      *engine

	w, h    int
	state   state
	src     *data.Source
	ck      *checkpoint.Checkpoint
	phase   string // what the engine is doing, for the status bar
	errMsg  string
	touched bool // a key was pressed: stop moving between views by ourselves

	train        trainView
	trainCancel  context.CancelFunc
	gate         *train.Gate
	line, plane  scanView
	nextID       int
	scanSettings func(scan.Settings) // tests watch the scans started; nil runs them
}

// newModel builds the app; out is where it draws (for the colour profile).
func newModel(opts Options, ck *checkpoint.Checkpoint, src *data.Source, out io.Writer) *Model {
	label := opts.Train.Arch.Preset
	if ck != nil {
		label = ck.Arch.Preset
	}
	m := &Model{
		opts: opts, st: newStyles(opts.Profile, out), keys: newKeyMap(), help: help.New(),
		eng: newEngine(opts.RunsDir, label), ck: ck, src: src, w: 80, h: 24,
		gate: &train.Gate{},
	}
	m.train = newTrainView(opts.Train)
	m.line = newScanView(false, opts)
	m.plane = newScanView(true, opts)
	if ck != nil {
		m.state = stateLine
		m.train.saved = ck.Path
		m.train.opened, m.train.meta = true, ck.Meta
	}
	return m
}

// Init starts loading what is missing, then training or scanning.
func (m *Model) Init() tea.Cmd {
	if m.src == nil {
		m.phase = "loading " + dataName(m.opts.Data)
		m.eng.loadData(m.opts.Data)
	} else {
		m.afterData()
	}
	return m.eng.box.next()
}

func dataName(dir string) string {
	if dir == "" {
		return "MNIST"
	}
	return dir
}

func (m *Model) afterData() {
	if m.ck != nil {
		m.startScans()
		return
	}
	m.startTraining()
}

func (m *Model) startTraining() {
	ctx, cancel := context.WithCancel(m.eng.ctx)
	m.trainCancel = cancel
	cfg := m.opts.Train
	cfg.Gate = m.gate
	m.train.running = true
	m.phase = "training " + cfg.Arch.Preset
	m.eng.train(ctx, cfg, m.src)
}

func (m *Model) startScans() {
	m.startScan(&m.line)
	m.startScan(&m.plane)
}

// startScan cancels the view's running job and scans its current window.
func (m *Model) startScan(v *scanView) {
	if m.ck == nil || m.src == nil {
		return
	}
	if v.cancel != nil {
		v.cancel()
	}
	m.nextID++
	v.begin(m.nextID)
	ctx, cancel := context.WithCancel(m.eng.ctx)
	v.cancel = cancel
	st := scan.Settings{Alpha: v.alpha, Direction: v.dir, SampleSeed: m.opts.Direction.Seed,
		Split: m.opts.Split, Samples: m.opts.Samples, Workers: m.opts.Workers}
	if v.twoD {
		st.Beta = v.beta
	}
	if m.scanSettings != nil {
		m.scanSettings(st)
		return
	}
	m.eng.scan(ctx, m.nextID, m.ck, m.src, st, v.centre)
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 1), max(msg.Height, 1)
		m.help.Width = m.w
		m.invalidate()
	case eventsMsg:
		for _, ev := range msg {
			m.handleEvent(ev)
		}
		return m, m.eng.box.next()
	case tea.MouseMsg:
		if v := m.scanView(); v != nil && v.form == nil {
			m.mouse(v, msg)
		}
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) invalidate() {
	m.line.dirty, m.plane.dirty = true, true
}

// scanView is the scan on screen, nil in the training view.
func (m *Model) scanView() *scanView {
	switch m.state {
	case stateLine:
		return &m.line
	case statePlane:
		return &m.plane
	}
	return nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	v := m.scanView()
	if v != nil && v.form != nil { // typing into the range form
		f, res := v.form.update(msg)
		v.form = &f
		if res != nil {
			v.form = nil
			if !res.cancelled {
				v.setRanges(res.values)
				m.startScan(v)
			}
		}
		return nil
	}
	m.touched = true
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
		return nil
	case msg.String() == "esc" && m.showHelp:
		m.showHelp = false
		return nil
	case key.Matches(msg, k.Train):
		m.state = stateTrain
	case key.Matches(msg, k.Line):
		m.state = stateLine
	case key.Matches(msg, k.Plane):
		m.state = statePlane
	case key.Matches(msg, k.Next):
		d := 1
		if msg.String() == "shift+tab" {
			d = 2
		}
		m.state = (m.state + state(d)) % 3
	default:
		if v != nil {
			if v.key(msg, k) {
				m.startScan(v)
			}
			return nil
		}
		m.trainKey(msg)
	}
	return nil
}

func (m *Model) trainKey(msg tea.KeyMsg) {
	switch {
	case key.Matches(msg, m.keys.Pause) && m.train.running:
		m.gate.SetPaused(!m.gate.Paused())
		m.train.paused = m.gate.Paused()
	case key.Matches(msg, m.keys.Stop) && m.train.running && m.trainCancel != nil:
		m.gate.SetPaused(false)
		m.trainCancel()
		m.phase = "stopping training"
	}
}

func (m *Model) mouse(v *scanView, msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp, tea.MouseButtonWheelDown:
		if v.pointTo(msg.X, msg.Y-1, m.w, m.bodyHeight()) {
			v.zoom(msg.Button == tea.MouseButtonWheelUp)
			m.touched = true
			m.startScan(v)
		}
	case tea.MouseButtonLeft:
		if v.pointTo(msg.X, msg.Y-1, m.w, m.bodyHeight()) {
			v.dirty = true
		}
	}
}

func (m *Model) handleEvent(ev any) {
	switch ev := ev.(type) {
	case dataLoaded:
		if ev.err != nil {
			m.errMsg = "could not load the data: " + ev.err.Error()
			m.phase = "stopped"
			return
		}
		m.src = ev.src
		m.afterData()
	case trainDone:
		m.train.running, m.train.paused = false, false
		m.trainCancel = nil
		if ev.err != nil {
			m.errMsg = ev.err.Error()
		}
		if ev.ck == nil {
			m.phase = "training failed"
			return
		}
		m.ck = ev.ck
		m.train.saved = ev.ck.Path
		m.phase = "scanning"
		m.startScans()
		if !m.touched && m.state == stateTrain {
			m.state = stateLine
		}
	case scanDone:
		v := m.viewOf(ev.id)
		if v == nil {
			return
		}
		v.finish(ev)
		if v == &m.line && !m.touched && m.state == stateLine {
			m.state = statePlane // the demo flow: curve first, then the plane
		}
	case scanStarted:
		if v := m.viewOf(ev.id); v != nil {
			v.started(ev.surf)
		}
	case scanCentre:
		if v := m.viewOf(ev.id); v != nil {
			v.setCentre(ev.centre)
		}
	case scanPoint:
		if v := m.viewOf(ev.id); v != nil {
			v.point(ev.p)
		}
	default:
		m.train.handle(ev)
	}
}

// viewOf returns the view running job id, nil for a stale job.
func (m *Model) viewOf(id int) *scanView {
	for _, v := range []*scanView{&m.line, &m.plane} {
		if v.id == id {
			return v
		}
	}
	return nil
}

// bodyHeight is the height of a view's body: the screen less the header,
// help line and status bar.
func (m *Model) bodyHeight() int { return m.h - 3 }

// View draws the screen.
func (m *Model) View() string {
	if m.w < minW || m.h < minH {
		return fmt.Sprintf("basin needs at least %dx%d; this terminal is %dx%d.\nMake me bigger (or press q).", minW, minH, m.w, m.h)
	}
	header := m.header()
	var body string
	switch {
	case m.showHelp:
		body = m.help.FullHelpView(m.keys.forState(m.state).FullHelp())
	case m.state == stateTrain:
		body = m.train.view(m.st, m.w, m.bodyHeight(), m.gate.Paused())
	default:
		body = m.scanView().view(m.st, m.w, m.bodyHeight())
	}
	body = fitHeight(body, m.bodyHeight())
	helpLine := m.help.ShortHelpView(m.keys.forState(m.state).ShortHelp())
	return header + "\n" + body + "\n" + truncate(helpLine, m.w) + "\n" + m.statusBar()
}

func (m *Model) header() string {
	tabs := make([]string, 3)
	for i := range tabs {
		label := fmt.Sprintf(" %d %s ", i+1, state(i))
		if state(i) == m.state {
			tabs[i] = m.st.statusKey.Render(label)
		} else {
			tabs[i] = m.st.faint.Render(label)
		}
	}
	line := m.st.title.Render("basin") + "  " + strings.Join(tabs, " ")
	if m.errMsg != "" {
		line += "  " + m.st.err.Render(m.errMsg)
	}
	return truncate(line, m.w)
}

func (m *Model) statusBar() string {
	parts := []string{}
	preset := m.opts.Train.Arch.Preset
	if m.ck != nil {
		preset = m.ck.Arch.Preset
		parts = append(parts, preset, m.ck.Path)
	} else {
		parts = append(parts, preset)
	}
	v := m.scanView()
	if v == nil {
		v = &m.plane
	}
	parts = append(parts, string(v.dir.Norm), fmt.Sprintf("seed %d", v.dir.Seed),
		fmt.Sprintf("%d %s imgs", m.opts.Samples, m.opts.Split), v.gridLabel(), m.activity())
	if d := m.eng.RunDir(); d != "" {
		parts = append(parts, "run "+d)
	}
	s := " " + strings.Join(parts, " │ ") + " "
	return m.st.statusBar.Render(padRight(truncate(s, m.w), m.w))
}

// activity says what the engine is doing.
func (m *Model) activity() string {
	switch {
	case m.train.running && m.gate.Paused():
		return "training paused"
	case m.train.running:
		return m.phase
	case m.line.running || m.plane.running:
		var s []string
		for _, v := range []*scanView{&m.line, &m.plane} {
			if v.running {
				s = append(s, v.progressShort())
			}
		}
		return "scanning " + strings.Join(s, ", ")
	case m.ck != nil:
		return "idle"
	}
	return m.phase
}

// fitHeight pads or cuts s to exactly n lines.
func fitHeight(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// truncate cuts a (possibly styled) line to w cells.
func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return lipgloss.NewStyle().MaxWidth(w).Render(s)
}

func padRight(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
