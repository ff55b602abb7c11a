package render

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestFormatTickNeverMinusZero(t *testing.T) {
	t.Parallel()
	cases := map[float64]string{0: "0", math.Copysign(0, -1): "0", -1e-17: "0", 0.5: "0.5", -0.25: "-0.25", 1500: "1.5k", 1000: "1k", -25000: "-25k", 3e6: "3M", 2e10: "2e10", 2.5e-5: "2.5e-5", 12: "12"}
	for v, want := range cases {
		if got := FormatTick(v); got != want {
			t.Errorf("FormatTick(%v) = %q, want %q", v, got, want)
		}
	}
	for _, v := range Ticks(-1, 1, 4) {
		if FormatTick(v) == "-0" {
			t.Fatal("tick -0")
		}
	}
}

func TestTicks(t *testing.T) {
	t.Parallel()
	got := Ticks(-1, 1, 4)
	want := []float64{-1, -0.5, 0, 0.5, 1}
	if len(got) != len(want) {
		t.Fatalf("Ticks(-1,1,4) = %v", got)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Ticks(-1,1,4) = %v", got)
		}
	}
	if l := LogTicks(0.01, 10, 4); len(l) < 3 || l[0] != 0.01 {
		t.Fatalf("LogTicks = %v", l)
	}
	if Ticks(1, 1, 3) != nil || Ticks(math.Inf(-1), 0, 3) != nil {
		t.Fatal("degenerate ranges must give no ticks")
	}
}

func TestScale(t *testing.T) {
	t.Parallel()
	lin := Scale{Min: 1, Max: 3}
	if lin.T(2) != 0.5 || lin.T(10) != 1 || lin.T(-5) != 0 || lin.Value(0.5) != 2 {
		t.Fatal("linear scale")
	}
	lg := Scale{Min: 0.01, Max: 100, Log: true}
	if math.Abs(lg.T(1)-0.5) > 1e-12 || math.Abs(lg.Value(0.5)-1) > 1e-12 {
		t.Fatal("log scale")
	}
	lv := lg.Levels(3)
	if math.Abs(lv[1]-1) > 1e-9 || lv[0] >= lv[1] {
		t.Fatalf("log levels %v", lv)
	}
	if (Scale{Min: 2, Max: 2}).T(2) != 0.5 {
		t.Fatal("flat scale")
	}
}

func TestDetectProfile(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		env  map[string]string
		want Profile
	}{
		{map[string]string{"NO_COLOR": "1", "COLORTERM": "truecolor"}, NoColor},
		{map[string]string{"TERM": "xterm-256color"}, ANSI256},
		{map[string]string{"TERM": "xterm-256color", "COLORTERM": "truecolor"}, TrueColor},
		{map[string]string{"TERM": "xterm"}, ANSI16},
		{map[string]string{"TERM": "dumb"}, NoColor},
		{map[string]string{"TERM": "screen"}, ANSI256},
	}
	for _, c := range cases {
		if got := DetectProfile(env(c.env)); got != c.want {
			t.Errorf("%v: %v, want %v", c.env, got, c.want)
		}
	}
}

func field(w, h int, f func(x, y int) float64) Field {
	fl := NewField(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fl.V[y*w+x] = f(x, y)
		}
	}
	return fl
}

func TestHeatmapHalfBlocks(t *testing.T) {
	t.Parallel()
	// Rows alternate low/high: every cell is ▀ with low on top.
	f := field(4, 4, func(x, y int) float64 { return float64(y % 2) })
	pal := NewPalette(TrueColor)
	c := Heatmap(f, Scale{Min: 0, Max: 1}, pal)
	if c.W != 4 || c.H != 2 {
		t.Fatalf("canvas %dx%d, want 4x2", c.W, c.H)
	}
	cell := c.At(0, 0)
	if cell.Ch != '▀' || cell.FG != pal.At(0) || cell.BG != pal.At(1) {
		t.Fatalf("cell %+v", cell)
	}
	out := c.String()
	if !strings.Contains(out, "38;2;68;1;84") || strings.Count(out, "\x1b[0;") != 2 {
		t.Fatalf("escape codes should appear once per row when the style repeats: %q", out)
	}
}

// Unknown, off-scale and NaN values never panic and are drawn as such.
func TestHeatmapOffScaleAndUnknown(t *testing.T) {
	t.Parallel()
	f := field(3, 2, func(x, y int) float64 {
		switch x {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1)
		}
		return 1e300
	})
	for _, p := range []Profile{TrueColor, ANSI256, ANSI16, NoColor} {
		pal := NewPalette(p)
		s := ScaleOf(f, true)
		c := Heatmap(f, s, pal)
		if c.At(0, 0).Ch != ' ' {
			t.Errorf("%v: unknown cell drawn as %q", p, c.At(0, 0).Ch)
		}
		if p == NoColor && c.At(1, 0).Ch != OffScaleChar {
			t.Errorf("no colour: off-scale cell is %q", c.At(1, 0).Ch)
		}
		if p != NoColor && c.At(1, 0).BG != pal.OffScale() {
			t.Errorf("%v: off-scale cell colour %+v", p, c.At(1, 0))
		}
		_ = c.String()
		Contours(c, NewField(6, 4), f, s.Levels(4), s, pal, None)
	}
	empty := Heatmap(NewField(0, 0), Scale{}, NewPalette(NoColor))
	if empty.W != 1 || empty.H != 1 {
		t.Fatal("zero-size field must give a 1x1 canvas")
	}
}

func TestNoColorRamp(t *testing.T) {
	t.Parallel()
	f := field(10, 2, func(x, y int) float64 { return float64(x) })
	c := Heatmap(f, Scale{Min: 0, Max: 9}, NewPalette(NoColor))
	if got := c.Plain(); got != Ramp {
		t.Fatalf("ramp row %q, want %q", got, Ramp)
	}
	if strings.Contains(c.String(), "\x1b") {
		t.Fatal("no-colour output has escape codes")
	}
}

func TestContoursFollowLevels(t *testing.T) {
	t.Parallel()
	// A radial bowl: contours are rings, so the centre and corners stay
	// clear and some cells between carry braille.
	w, h := 20, 10
	r := func(x, y float64) float64 { return math.Hypot(x, y) }
	fine := field(2*w, 4*h, func(x, y int) float64 { return r(float64(x)/float64(2*w)-0.5, float64(y)/float64(4*h)-0.5) })
	coarse := field(w, 2*h, func(x, y int) float64 { return r(float64(x)/float64(w)-0.5, float64(y)/float64(2*h)-0.5) })
	s := ScaleOf(coarse, false)
	pal := NewPalette(TrueColor)
	c := Heatmap(coarse, s, pal)
	Contours(c, fine, coarse, []float64{0.25}, s, pal, ANSI(15))
	braille := 0
	for _, cell := range c.Cells {
		if cell.Ch >= 0x2800 && cell.Ch <= 0x28ff {
			braille++
			if cell.BG.IsNone() {
				t.Fatal("contour cell lost its heatmap background")
			}
		}
	}
	if braille < 10 || c.At(w/2, h/2).Ch >= 0x2800 || c.At(0, 0).Ch >= 0x2800 {
		t.Fatalf("ring contour: %d braille cells\n%s", braille, c.Plain())
	}
	// Alone, the lines take their level's colour on no background.
	lines := NewCanvas(w, h)
	ContourLines(lines, fine, coarse, []float64{0.25}, s, pal)
	n := 0
	for i, cell := range lines.Cells {
		if cell.Ch >= 0x2800 && cell.Ch <= 0x28ff {
			n++
			x, y := i%w, i/w
			if !cell.BG.IsNone() || cell.FG != cellBackground(coarse, x, y, s, pal) || cell.FG.IsNone() {
				t.Fatalf("contour line cell (%d,%d): fg %v bg %v", x, y, cell.FG, cell.BG)
			}
		}
	}
	if n != braille {
		t.Fatalf("contour lines in %d cells, over the heatmap %d", n, braille)
	}
}

func TestColorBar(t *testing.T) {
	t.Parallel()
	c := ColorBar(10, 8, Scale{Min: 0.1, Max: 10, Log: true}, NewPalette(ANSI256), None)
	p := c.Plain()
	if !strings.Contains(p, "10") || !strings.Contains(p, "0.1") {
		t.Fatalf("colour bar labels:\n%s", p)
	}
	if c.At(0, 0).BG == c.At(0, 9).BG {
		t.Fatal("colour bar has one colour")
	}
	n := ColorBar(12, 10, Scale{Min: 0, Max: 1}, NewPalette(NoColor), None).Plain()
	if !strings.Contains(n, "@ ≥0.9") || !strings.Contains(n, "! off") {
		t.Fatalf("no-colour legend:\n%s", n)
	}
}

func TestLineChart(t *testing.T) {
	t.Parallel()
	xs, ys := []float64{}, []float64{}
	for i := 0; i <= 50; i++ {
		x := -1 + float64(i)/25
		xs, ys = append(xs, x), append(ys, x*x)
	}
	ys[3], ys[4], ys[10] = math.NaN(), math.Inf(1), 1e12 // gaps and divergence
	ch := Chart{W: 40, H: 12, XMin: -1, XMax: 1, YMin: 0, YMax: 1, Series: []Series{{X: xs, Y: ys}}, Marks: []float64{0}, Cursor: 0.5}
	c := ch.Draw()
	p := c.Plain()
	if !strings.ContainsAny(p, "⠁⠂⠄⡀⢀⠠⠐⠈") && !strings.ContainsRune(p, '⣀') {
		t.Fatalf("no braille in chart:\n%s", p)
	}
	last := strings.Split(p, "\n")[c.H-1]
	if !strings.Contains(last, "-1") || !strings.Contains(last, "0") || strings.Contains(last, "-0 ") {
		t.Fatalf("x labels %q", last)
	}
	if col := ch.Column(0.5); c.At(col, 0).Ch != '│' && !(c.At(col, 0).Ch >= 0x2800) {
		t.Fatalf("cursor column missing:\n%s", p)
	}
	// Degenerate sizes and ranges do not panic.
	Chart{W: 1, H: 1, XMin: 0, XMax: 0, YMin: 1, YMax: 1, Series: []Series{{X: xs, Y: ys}}, Cursor: math.NaN()}.Draw()
}

// A series on the right axis is scaled by Y2Min..Y2Max and labelled there:
// accuracy (0..1, in %) beside a loss of another scale.
func TestRightAxis(t *testing.T) {
	t.Parallel()
	xs := []float64{-1, 0, 1}
	ch := Chart{W: 40, H: 10, XMin: -1, XMax: 1, YMin: 0, YMax: 10, Y2Min: 0, Y2Max: 1, Y2Percent: true,
		Series: []Series{{X: xs, Y: []float64{10, 0, 10}}, {X: xs, Y: []float64{1, 1, 1}, Right: true}}, Cursor: math.NaN()}
	x0, w, _ := ch.Plot()
	c := ch.Draw()
	p := c.Plain()
	if !strings.Contains(p, "100%") || !strings.Contains(p, "0%") {
		t.Fatalf("no percent labels on the right:\n%s", p)
	}
	if c.At(x0+w, 0).Ch != '├' && c.At(x0+w, 0).Ch != '│' {
		t.Fatalf("no right axis at column %d:\n%s", x0+w, p)
	}
	// accuracy 1 is the top row on the right scale, though 1 is low on the left
	if r := c.At(x0+w/2, 0).Ch; r < 0x2800 || r > 0x28ff {
		t.Fatalf("right series not at the top (row 0, col %d is %q):\n%s", x0+w/2, r, p)
	}
	plain := Chart{W: 40, H: 10, XMin: -1, XMax: 1, YMin: 0, YMax: 10, Series: []Series{{X: xs, Y: []float64{10, 0, 10}}}, Cursor: math.NaN()}
	if _, w2, _ := plain.Plot(); w2 <= w {
		t.Fatalf("the right axis took no room: %d vs %d", w2, w)
	}
}

// Differences: 0 is white in the middle of a symmetric scale, negative
// blue, positive red.
func TestDivergingPalette(t *testing.T) {
	t.Parallel()
	s := Scale{Min: -0.5, Max: 2}.Symmetric()
	if s.Min != -2 || s.Max != 2 || s.T(0) != 0.5 {
		t.Fatalf("symmetric scale %+v", s)
	}
	pal := NewDivergingPalette(TrueColor)
	mid, lo, hi := pal.At(s.T(0)), pal.At(s.T(-2)), pal.At(s.T(2))
	if mid != TrueColor.RGB(247, 247, 247) || lo != TrueColor.RGB(33, 102, 172) || hi != TrueColor.RGB(178, 24, 43) {
		t.Fatalf("mid %v, low %v, high %v", mid, lo, hi)
	}
	for _, p := range []Profile{ANSI256, ANSI16, NoColor} {
		if NewDivergingPalette(p).Steps() < 2 {
			t.Errorf("%v: too few steps", p)
		}
	}
}

// A bowl seen from above-front: drawn (cells painted), the ✕ at its centre
// where visible, holes where points are unknown, and the same picture twice.
func TestSurface3D(t *testing.T) {
	t.Parallel()
	f := NewField(21, 21)
	for j := 0; j < 21; j++ {
		for i := 0; i < 21; i++ {
			x, y := float64(i-10)/10, float64(j-10)/10
			f.V[j*21+i] = x*x + y*y
		}
	}
	s := ScaleOf(f, false)
	mark := [2]float64{10, 10}
	cam := Camera{Yaw: -0.6, Pitch: 1.2, Zoom: 1, Height: 1} // from high enough to see the bottom of the bowl
	c := Surface3D(f, s, TrueColor, cam, 60, 20, &mark, TrueColor.RGB(255, 0, 0))
	painted, marked := 0, 0
	for _, cell := range c.Cells {
		if cell.Ch != 0 && cell.Ch != ' ' || !cell.BG.IsNone() {
			painted++
		}
		if cell.Ch == '✕' {
			marked++
		}
	}
	if painted < 150 || marked != 1 {
		t.Fatalf("%d cells painted, %d marks:\n%s", painted, marked, c.Plain())
	}
	if again := Surface3D(f, s, TrueColor, cam, 60, 20, &mark, TrueColor.RGB(255, 0, 0)); again.String() != c.String() {
		t.Error("the same surface drew differently")
	}
	half := NewField(21, 21) // only the left half computed: fewer cells
	for j := 0; j < 21; j++ {
		for i := 0; i <= 10; i++ {
			half.V[j*21+i] = f.V[j*21+i]
		}
	}
	h := Surface3D(half, s, NoColor, cam, 60, 20, nil, None)
	n := 0
	for _, cell := range h.Cells {
		if cell.Ch != 0 && cell.Ch != ' ' {
			n++
		}
	}
	if n == 0 || n >= painted {
		t.Errorf("half a surface without colour: %d cells of %d", n, painted)
	}
}

// go test -bench Surface3D ./tui/render: one frame of the 3D view at 200x60.
func BenchmarkSurface3D(b *testing.B) {
	f := NewField(64, 64)
	for j := 0; j < 64; j++ {
		for i := 0; i < 64; i++ {
			x, y := float64(i-32)/32, float64(j-32)/32
			f.V[j*64+i] = math.Log1p(x*x+3*y*y) + 0.1*math.Sin(8*x)
		}
	}
	s := ScaleOf(f, true)
	for range b.N {
		_ = Surface3D(f, s, TrueColor, DefaultCamera(), 200, 57, &[2]float64{32, 32}, TrueColor.RGB(255, 0, 0)).String()
	}
}

func TestCleanShowsControlsAsEscapes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"model.safetensors":             "model.safetensors",
		"α β ✕ 模型":                      "α β ✕ 模型",
		"x\x1b]0;pwned\x07.safetensors": `x\x1b]0;pwned\x07.safetensors`,
		"a\nb\tc\rd":                    `a\nb\tc\rd`,
		"\x9b2J":                        `\x9b2J`,
		"\u202egpj.exe":                 `\u202egpj.exe`,
		"bad\xffutf8":                   `bad\xffutf8`,
		"\x7fdel":                       `\x7fdel`,
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeKeepsColourDropsTheRest(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"\x1b[38;5;12mblue\x1b[0m\nline": "\x1b[38;5;12mblue\x1b[0m\nline",
		"name \x1b]0;pwned\x07.npz":      "name .npz",
		"name \x1b]2;t\x1b\\.npz":        "name .npz",
		"a\x1b[2Jb\x1b[10;10Hc":          "abc",
		"bell\x07 tab\t cr\r":            "bell tab cr",
		"\u202eevil \u009b2J c1":         "evil 2J c1",
		"ok ✕ α":                         "ok ✕ α",
		"\x1bPdcs\x1b\\x":                "x",
		"trail\x1b":                      "trail",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

// At 256 colours the palettes keep their order in lightness (CIELAB L*):
// the loss palette and each 3D shade ramp rise, the diverging one rises to
// white at 0 and falls after; none uses a grey.
func TestPalettes256AreMonotoneInLightness(t *testing.T) {
	labOf := func(c Color) lab {
		var i int
		if _, err := fmt.Sscanf(c.fg, "38;5;%d", &i); err != nil {
			t.Fatalf("%q is not a 256-colour code", c.fg)
		}
		x := xterm256(i)
		return toLab(x[0], x[1], x[2])
	}
	light := func(c Color) float64 { return labOf(c).l }
	check := func(name string, cs []Color, peak int) {
		for i := range cs {
			if l := labOf(cs[i]); peak > len(cs) && math.Hypot(l.a, l.b) < 30 {
				t.Errorf("%s: step %d is grey or nearly", name, i)
			}
		}
		for i := 1; i < len(cs); i++ {
			a, b := light(cs[i-1]), light(cs[i])
			up := b >= a
			if i > peak {
				up = b <= a
			}
			if !up {
				t.Errorf("%s: step %d has L* %.1f after %.1f", name, i, b, a)
			}
		}
	}
	check("loss", NewPalette(ANSI256).colors, 1<<30)
	div := NewDivergingPalette(ANSI256).colors
	check("diverging", div, len(div)/2)
	if mid := labOf(div[len(div)/2]); mid.l < 90 || math.Hypot(mid.a, mid.b) > 10 {
		t.Errorf("the diverging palette's middle is %+v, not white", mid)
	}
	for i, row := range shadesFor(ANSI256).colors {
		check(fmt.Sprintf("3D step %d", i), row, 1<<30)
	}
	distinct := map[string]bool{}
	for _, c := range NewPalette(ANSI256).colors {
		distinct[c.fg] = true
	}
	if len(distinct) < 24 {
		t.Errorf("the loss palette has %d distinct colours of 24", len(distinct))
	}
}

// Without colour the legend shows each ramp character as the map draws
// it: the blank lowest step is blank there too, labelled "below".
func TestNoColorLegendMatchesTheMap(t *testing.T) {
	c := ColorBar(12, 11, Scale{Min: 0.01, Max: 1}, NewPalette(NoColor), None)
	lines := strings.Split(c.String(), "\n")
	last := lines[len(Ramp)-1]
	if !strings.HasPrefix(last, "  <") || strings.Contains(c.String(), "_") {
		t.Errorf("legend:\n%s", c.String())
	}
}
