package app

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// Minimum terminal size the views are laid out for.
const minW, minH = 60, 16

// Model is the root Bubble Tea model: a list of views, one on screen.
type Model struct {
	*common
	views    []view
	trainer  *trainView // the view that makes the model when none is opened
	active   int        // index of the view on screen
	pick     []key.Binding
	help     help.Model
	showHelp bool
	helpPage int     // the help screen's page
	picker   *picker // choosing B to compare with, nil when closed
	// trainForm sets up a new training run, nil when closed.
	trainForm *trainForm
	tour      *demo  // the --demo tour, nil when the keys are the user's
	note      string // a message for the header (where a figure went)
	ticking   bool   // a frame is scheduled for a turning view

	w, h    int
	phase   string // what the app is doing before the views have work
	errMsg  string
	touched bool // a key was pressed: stop moving between views by ourselves
}

// newModel builds the app; out is where it draws (for the colour profile).
func newModel(opts Options, ck *checkpoint.Checkpoint, src *data.Source, out io.Writer) *Model {
	label := opts.Train.Arch.Preset
	if ck != nil {
		label = ck.Arch.Preset
	}
	c := &common{opts: opts, st: newStyles(opts.Profile, out), keys: newKeyMap(),
		eng: jobs.NewEngine(opts.RunsDir, label), ck: ck, src: src, other: opts.other}
	if opts.Demo { // in memory, and a window seen before comes back at once
		c.eng.NoFiles = true
		if c.eng.Hub == nil {
			c.eng.Hub = jobs.NewHub()
		}
	}
	m := &Model{common: c, help: help.New(), w: 80, h: 24}
	m.note = normNote(ck)
	m.setViews(newViews(c))
	tracked := false
	if ck != nil {
		_, err := train.TrackOf(ck.Meta)
		tracked = err == nil
	}
	if ck != nil && !tracked { // an opened model: straight to the first view of its landscape
		// (a run with a sharpness track opens on its training view, λmax along the run)
		for i, v := range m.views {
			if v != view(m.trainer) {
				m.active = i
				break
			}
		}
	}
	c.root, c.scanner = m, c.eng
	return m
}

// setViews makes views the app's list, in tab order: the one owner of
// the tabs, their number keys and the training view's place.
func (m *Model) setViews(views []view) {
	m.views, m.pick = views, nil
	for i, v := range views {
		n := strconv.Itoa(i + 1)
		m.pick = append(m.pick, key.NewBinding(key.WithKeys(n), key.WithHelp(n, v.title())))
		if t, ok := v.(*trainView); ok {
			m.trainer = t
		}
	}
}

// request does what a view asks of the root.
func (m *Model) request(r any) {
	switch r := r.(type) {
	case pauseOthers:
		m.yield(r.asking)
	case startInterp:
		for i, v := range m.views {
			if s, ok := v.(starter); ok {
				m.active = i
				s.start()
			}
		}
	}
}

// onScreen reports whether v is the view on screen.
func (m *Model) onScreen(v view) bool { return m.views[m.active] == v }

// yield pauses the scans of every view but the one asking.
func (m *Model) yield(asking view) {
	for _, v := range m.views {
		if p, ok := v.(scanPauser); ok {
			p.pauseScans(asking)
		}
	}
}

// Init starts loading what is missing, then training or scanning.
func (m *Model) Init() tea.Cmd {
	if m.src == nil {
		m.phase = "loading " + dataName(m.opts.Data)
		m.eng.LoadData(m.opts.Data)
	} else {
		m.afterData()
	}
	if m.opts.Demo {
		return tea.Batch(m.nextEvents(), m.startTour())
	}
	return m.nextEvents()
}

func dataName(dir string) string {
	if dir == "" {
		return "MNIST"
	}
	return dir
}

func (m *Model) afterData() {
	if m.ck != nil {
		m.ready()
		return
	}
	m.phase = "training"
	m.trainer.begin()
}

// ready tells every view that the model exists; the view on screen gets
// the cores first (its scan would otherwise race the others' for them).
func (m *Model) ready() {
	for _, v := range m.views {
		ready(v)
	}
	if scans(m.views[m.active]) {
		m.yield(m.views[m.active])
	}
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 1), max(msg.Height, 1)
		m.help.Width = m.w
		for _, v := range m.views {
			resize(v)
		}
	case eventsMsg:
		for _, ev := range msg {
			m.handleEvent(ev)
		}
		return m, m.nextEvents()
	case tea.MouseMsg:
		msg.Y-- // the header line: views get body coordinates
		if mouse(m.views[m.active], msg, m.w, m.bodyHeight()) {
			m.touched = true
		}
	case tea.KeyMsg:
		if keys := splitKeys(msg); keys != nil {
			cmds := make([]tea.Cmd, len(keys))
			for i, k := range keys {
				_, cmds[i] = m.Update(k)
			}
			return m, tea.Batch(cmds...)
		}
		if m.tour != nil && msg.String() != "ctrl+c" { // any key ends the tour and is not acted on
			m.stopTour()
			return m, nil
		}
		return m, tea.Batch(m.key(msg), m.animate())
	case demoMsg:
		if m.tour != nil && msg.gen == m.tour.gen {
			return m, m.nextStep()
		}
	case frameMsg:
		m.ticking = false
		if v := m.views[m.active]; animating(v) {
			v.(animator).frame()
			return m, m.animate()
		}
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.picker != nil {
		m.pickerKey(msg)
		return nil
	}
	if m.trainForm != nil {
		if cfg, done := m.trainForm.update(msg); done {
			m.trainForm = nil
			if cfg != nil {
				m.startTraining(*cfg)
			}
		}
		return nil
	}
	v := m.views[m.active]
	if capturing(v) { // typing into a form
		v.key(msg)
		return nil
	}
	m.touched = true
	if cmd, done := m.globalKey(msg); done {
		return cmd
	}
	for i, b := range m.pick {
		if key.Matches(msg, b) {
			m.active = i
			m.shown()
			return nil
		}
	}
	v.key(msg)
	return nil
}

// pickerKey is a key in an open picker: on a choice, the model to open
// or the file to watch.
func (m *Model) pickerKey(msg tea.KeyMsg) {
	path, done := m.picker.key(msg)
	if !done {
		return
	}
	asB := m.picker.asB
	m.picker = nil
	switch {
	case path == "":
	case strings.HasSuffix(path, ".npz") || strings.HasSuffix(path, ".progress.json"): // watch it
		m.watch(path)
	case asB:
		m.eng.LoadOther(path)
	default:
		m.eng.LoadModel(path)
	}
}

// globalKey acts on the keys every view shares; done when msg was one.
func (m *Model) globalKey(msg tea.KeyMsg) (cmd tea.Cmd, done bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit, true
	case key.Matches(msg, k.Help):
		if !m.showHelp {
			m.showHelp, m.helpPage = true, 0
			return nil, true
		}
		_, pages := renderHelp(m.st, m.helpSections(m.views[m.active]), m.w, m.bodyHeight(), m.helpPage)
		if m.helpPage++; m.helpPage >= pages {
			m.showHelp = false
		}
		return nil, true
	case msg.String() == "esc" && m.showHelp:
		m.showHelp = false
		return nil, true
	case key.Matches(msg, k.Open) && m.ck != nil:
		m.picker = &picker{items: m.eng.Files.Filter(candidates(m.opts.listRuns(), m.ck.Arch.Preset, m.ck.Path))}
		m.picker.describe(m.eng.Files == nil)
		return nil, true
	case key.Matches(msg, k.Models):
		preset, path := m.opts.Train.Arch.Preset, ""
		if m.ck != nil {
			preset, path = m.ck.Arch.Preset, m.ck.Path
		}
		items := m.eng.Files.Filter(append(candidates(m.opts.listRuns(), preset, ""), surfaces(m.opts.listRuns())...))
		m.picker = &picker{items: items, models: true, mark: path}
		m.picker.describe(m.eng.Files == nil)
		return nil, true
	case key.Matches(msg, k.Figure):
		if f, ok := m.views[m.active].(figurer); ok {
			fig, name, err := f.figure()
			if err != nil {
				m.errMsg = "no figure: " + err.Error()
				return nil, true
			}
			m.errMsg, m.note = "", "drawing a figure…"
			m.eng.SaveFigure(name, fig)
		}
		return nil, true
	case key.Matches(msg, k.Train):
		cfg := m.trainer.cfg
		m.trainForm = newTrainForm(cfg)
		return nil, true
	case key.Matches(msg, k.Next):
		d := 1
		if msg.String() == "shift+tab" {
			d = len(m.views) - 1
		}
		m.active = (m.active + d) % len(m.views)
		m.shown()
		return nil, true
	}
	return nil, false
}

func (m *Model) handleEvent(ev any) {
	switch ev := ev.(type) {
	case jobs.DataLoaded:
		if ev.Err != nil {
			m.errMsg = "could not load the data: " + ev.Err.Error()
			m.phase = "stopped"
			return
		}
		m.src = ev.Source
		m.afterData()
		return
	case jobs.OtherLoaded:
		m.setOther(ev.Checkpoint, ev.Err)
		return
	case jobs.FigureSaved:
		if ev.Err != nil {
			m.errMsg, m.note = "figure: "+ev.Err.Error(), ""
		} else {
			m.note = "figure saved: " + ev.Path
		}
	case jobs.ModelLoaded:
		m.switchModel(ev.Checkpoint, ev.Err)
	case jobs.TrainDone:
		if ev.Err != nil {
			m.errMsg = ev.Err.Error()
		}
		if ev.Checkpoint == nil {
			m.phase = "training failed"
		} else {
			m.ck = ev.Checkpoint
			m.phase = ""
		}
	}
	for i, v := range m.views {
		if handle(v, ev) && i == m.active && !m.touched && i+1 < len(m.views) && m.ck != nil && !onRequest(m.views[i+1]) && !outOfFlow(m.views[i+1]) {
			m.active = i + 1 // the demo flow: training, then the curve, then the plane
		}
	}
	if _, ok := ev.(jobs.TrainDone); ok && m.ck != nil {
		m.ready()
	}
}

// startTraining trains a new model with cfg (the form's) into its own run
// folder; the views stay on the model they show until it is done, then
// switch to it.
func (m *Model) startTraining(cfg train.Config) {
	if m.trainer.running {
		m.errMsg = "a model is training already: stop it first (s in the training view)"
		return
	}
	m.errMsg = ""
	m.eng.NewRun(cfg.Arch.Preset)
	m.trainer.restart(cfg)
	for i, v := range m.views {
		if v == view(m.trainer) {
			m.active = i
		}
	}
	m.touched = true
}

// watch shows the surface file path in the watch view (added the first
// time), following it as it is written.
func (m *Model) watch(path string) {
	var w *watchView
	for _, v := range m.views {
		if wv, ok := v.(*watchView); ok {
			w = wv
		}
	}
	if w == nil {
		w = newWatchView(m.common)
		m.setViews(append(m.views, w))
	}
	w.watch(path)
	m.showView(w.title())
	m.touched = true
}

// normNote says, for a model that records no input normalization (an
// ONNX file), which one it got; "" otherwise.
func normNote(ck *checkpoint.Checkpoint) string {
	if ck == nil || ck.NormFrom == "" {
		return ""
	}
	from := "given"
	if ck.NormFrom != "given" {
		from = "the data's own"
	}
	mean, std := ck.Arch.Norm.Rounded(3)
	return fmt.Sprintf("inputs: mean %s std %s (%s)", mean, std, from)
}

// switchModel shows ck in every view (the models list's choice).
func (m *Model) switchModel(ck *checkpoint.Checkpoint, err error) {
	switch {
	case err != nil:
		m.errMsg = "could not open the model: " + err.Error()
		return
	case m.other != nil && ck.Arch.Same(m.other.Arch) != nil:
		m.errMsg = "this model and B are " + ck.Arch.Same(m.other.Arch).Error() + ": the compare views need one architecture"
		return
	case m.src != nil && ck.Fits(m.src) != nil:
		m.errMsg = ck.Fits(m.src).Error()
		return
	}
	if m.ck == nil || ck.Path != m.ck.Path || ck.SHA256 != m.ck.SHA256 {
		m.eng.NewRun(ck.Arch.Preset) // its scans in a folder of its own, not the last model's
	}
	m.errMsg, m.ck, m.phase, m.note = "", ck, "", normNote(ck)
	if !m.trainer.running {
		m.trainer.open(ck)
	}
	m.ready()
	m.touched = true
}

// setOther makes ck the B of the compare views, adding them (before the
// views that work on request) the first time.
func (m *Model) setOther(ck *checkpoint.Checkpoint, err error) {
	switch {
	case err != nil:
		m.errMsg = "could not open B: " + err.Error()
		return
	case m.ck.Arch.Same(ck.Arch) != nil:
		m.errMsg = "A and B are " + m.ck.Arch.Same(ck.Arch).Error() + ": compare needs one architecture"
		return
	}
	m.errMsg = ""
	m.other = ck
	var cmp []view
	for _, v := range m.views {
		if p, ok := v.(comparer); ok {
			p.setB(ck)
			cmp = append(cmp, v)
		}
	}
	if cmp == nil {
		cmp = compareViews(m.common)
		at := len(m.views)
		for at > 0 && onRequest(m.views[at-1]) {
			at--
		}
		m.setViews(append(m.views[:at:at], append(cmp, m.views[at:]...)...))
	}
	for i, v := range m.views {
		if v == cmp[min(1, len(cmp)-1)] { // the compare view
			m.active = i
		}
		if slices.Contains(cmp, v) {
			ready(v)
		}
		if r, ok := v.(otherWatcher); ok { // views that show B beside their own
			r.otherChanged()
		}
	}
	m.touched = true
}

// shown tells the view now on screen, if it wants to know (a scan
// waiting for another view's gets the cores).
func (m *Model) shown() {
	shown(m.views[m.active])
}

// bodyHeight is the height of a view's body: the screen less the header,
// help line and status bar.
func (m *Model) bodyHeight() int { return m.h - 3 }

// View draws the screen.
func (m *Model) View() string {
	if m.w < minW || m.h < minH {
		return fmt.Sprintf("basin needs at least %dx%d; this terminal is %dx%d.\nMake me bigger (or press q).", minW, minH, m.w, m.h)
	}
	v := m.views[m.active]
	keys := v.keys()
	var body string
	if m.trainForm != nil {
		body = fitHeight(m.trainForm.view(m.st, m.w), m.bodyHeight())
	} else if m.picker != nil {
		body = m.picker.view(m.st, m.w, m.bodyHeight())
	} else if m.showHelp {
		body, _ = renderHelp(m.st, m.helpSections(v), m.w, m.bodyHeight(), m.helpPage)
	} else {
		body = v.view(m.w, m.bodyHeight())
	}
	body = fitHeight(body, m.bodyHeight())
	short := append(append([]key.Binding{}, keys.short...), m.keys.Help, m.keys.Quit)
	helpLine := m.help.ShortHelpView(short)
	status := m.statusBar()
	if c := m.caption(); c != "" || m.tour != nil { // for an audience: what it shows, no keys
		helpLine = m.st.title.Render(c)
		status = m.st.statusBar.Render(padRight(" basin · any key to explore", m.w))
	}
	// Untrusted text (file names, metadata) is cleaned where it is shown;
	// this keeps any that slipped through from acting on the terminal.
	return render.Safe(m.header() + "\n" + body + "\n" + truncate(helpLine, m.w) + "\n" + status)
}

// header is the tabs and the message of the moment. When they do not
// fit, the tabs not on screen show their numbers only, and then the
// message loses its middle, never its end (a file name, a reason).
func (m *Model) header() string {
	msg, style := m.errMsg, m.st.err
	if msg == "" {
		msg, style = m.note, m.st.ok
	}
	var line string
	for _, compact := range []bool{false, true} {
		tabs := make([]string, len(m.views))
		for i, v := range m.views {
			label := fmt.Sprintf(" %d %s ", i+1, v.title())
			if i == m.active {
				tabs[i] = m.st.statusKey.Render(label)
			} else if compact {
				tabs[i] = m.st.faint.Render(fmt.Sprintf(" %d ", i+1))
			} else {
				tabs[i] = m.st.faint.Render(label)
			}
		}
		line = m.st.title.Render("basin") + "  " + strings.Join(tabs, " ")
		room := m.w - lipgloss.Width(line) - 2
		if msg == "" && room >= 0 {
			return line
		}
		if msg != "" && (lipgloss.Width(msg) <= room || compact) {
			if room < 8 { // no room beside the tabs: the message alone
				return style.Render(shortenMiddle(msg, m.w))
			}
			return line + "  " + style.Render(shortenMiddle(msg, room))
		}
	}
	return truncate(line, m.w)
}

// shortenMiddle fits s in w cells by putting "…" for its middle: the
// start says what it is, the end which file or why.
func shortenMiddle(s string, w int) string {
	r := []rune(s)
	if lipgloss.Width(s) <= w || w < 2 {
		return truncate(s, max(w, 0))
	}
	head := min(w/3, 24)
	tail := w - head - 1
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// statusBar says which model, how the view scans it, what the engine
// does and where files go. Too long for the terminal, the file and the
// run folder shrink to their names, then the view's details go from the
// last, so the activity and the run folder stay.
func (m *Model) statusBar() string {
	var head []string
	path := -1
	if name, file, ok := subject(m.views[m.active]); ok {
		head, path = []string{name, file}, 1
	} else if m.ck != nil {
		head, path = []string{m.ck.Arch.Preset, render.Clean(m.ck.Path)}, 1
	} else {
		head = []string{m.opts.Train.Arch.Preset}
	}
	details := status(m.views[m.active])
	tail := []string{m.activity()}
	if d := m.eng.RunDir(); d != "" {
		tail = append(tail, "run "+d)
	}
	join := func() string {
		return " " + strings.Join(append(append(slices.Clone(head), details...), tail...), " │ ") + " "
	}
	short := func(p string) string {
		if filepath.Base(p) == p {
			return p
		}
		return "…" + string(filepath.Separator) + filepath.Base(p)
	}
	if lipgloss.Width(join()) > m.w {
		if path >= 0 {
			head[path] = short(head[path])
		}
		if d := m.eng.RunDir(); d != "" {
			tail[len(tail)-1] = "run " + short(d)
		}
	}
	for len(details) > 0 && lipgloss.Width(join()) > m.w {
		details = details[:len(details)-1]
	}
	return m.st.statusBar.Render(padRight(truncate(join(), m.w), m.w))
}

// activity says what the engine is doing: training if it is, else the
// scans in progress.
func (m *Model) activity() string {
	if a := m.trainer.activity(); a != "" {
		return a
	}
	var scans []string
	for _, v := range m.views {
		if a := activity(v); a != "" {
			scans = append(scans, a)
		}
	}
	switch {
	case len(scans) > 0:
		return "scanning " + strings.Join(scans, ", ")
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

// eventsMsg is every engine event queued since the last one.
type eventsMsg []any

// nextEvents is the Cmd that waits for the engine's events; Update issues
// it again after every eventsMsg.
func (m *Model) nextEvents() tea.Cmd {
	return func() tea.Msg {
		if evs := m.eng.Wait(); evs != nil {
			return eventsMsg(evs)
		}
		return nil
	}
}
