package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	pal "gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

// Figure is a drawing of a given size.
type Figure struct {
	W, H vg.Length
	Draw func(dc draw.Canvas)
}

// Formats are the file types Save writes, by extension.
var Formats = []string{".png", ".svg", ".pdf"}

// Save writes the figure to path, as PNG (300 dpi), SVG or PDF by the
// extension, atomically.
func Save(path string, f Figure) error {
	var buf bytes.Buffer
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		c := vgimg.NewWith(vgimg.UseWH(f.W, f.H), vgimg.UseDPI(300))
		f.Draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return fmt.Errorf("draw %s: %w", path, err)
		}
	case ".svg":
		c := vgsvg.New(f.W, f.H)
		f.Draw(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("draw %s: %w", path, err)
		}
	case ".pdf":
		c := vgpdf.New(f.W, f.H)
		f.Draw(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("draw %s: %w", path, err)
		}
	default:
		return fmt.Errorf("%s: a figure is .png, .svg or .pdf", path)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// viridis is the perceptual colour map of the heatmaps (the app's too).
type viridis struct{ n int }

func (v viridis) Colors() []color.Color {
	out := make([]color.Color, v.n)
	for i := range out {
		r, g, b := render.Viridis(float64(i) / float64(v.n-1))
		out[i] = color.RGBA{r, g, b, 255}
	}
	return out
}

// viridisMap is viridis as a colour bar's map over [min, max].
type viridisMap struct{ min, max, alpha float64 }

func (m *viridisMap) At(v float64) (color.Color, error) {
	t := (v - m.min) / (m.max - m.min)
	r, g, b := render.Viridis(math.Min(math.Max(t, 0), 1))
	return color.RGBA{r, g, b, 255}, nil
}
func (m *viridisMap) Max() float64              { return m.max }
func (m *viridisMap) SetMax(v float64)          { m.max = v }
func (m *viridisMap) Min() float64              { return m.min }
func (m *viridisMap) SetMin(v float64)          { m.min = v }
func (m *viridisMap) Alpha() float64            { return 1 }
func (m *viridisMap) SetAlpha(float64)          {}
func (m *viridisMap) Palette(n int) pal.Palette { return viridis{n} }

// Caption is the line under a figure saying what produced it.
func Caption(m surface.Meta) string {
	var parts []string
	switch m.Kind {
	case "interp":
		parts = append(parts, fmt.Sprintf("from %s (t=0) to %s (t=1)", filepath.Base(m.Checkpoint), filepath.Base(m.CheckpointB)))
	case "trajectory":
		parts = append(parts, filepath.Base(m.Checkpoint)+", PCA plane of the snapshots (not normalized)")
	default:
		parts = append(parts, fmt.Sprintf("%s (%s), %s-normalized directions, seed %d", filepath.Base(m.Checkpoint), m.Preset, m.Norm, m.Seed))
	}
	parts = append(parts, fmt.Sprintf("%d %s images (seed %d)", m.Samples, m.Split, m.SampleSeed), "basin "+m.Version)
	return strings.Join(parts, " · ")
}

// newPlot is a plot in the figures' style: readable fonts, light grid.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 12
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = 11
		a.Tick.Label.Font.Size = 9
	}
	p.Legend.TextStyle.Font.Size = 9
	return p
}

// withCaption draws the caption along the bottom of dc and returns the
// canvas above it.
// A caption wider than the figure goes on two lines, split at the " · "
// nearest its middle.
func withCaption(dc draw.Canvas, caption string) draw.Canvas {
	sty := draw.TextStyle{Color: color.Gray{80}, Font: font.From(plot.DefaultFont, 7), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YBottom}
	lines := []string{caption}
	if room := dc.Max.X - dc.Min.X - vg.Points(8); sty.Width(caption) > room {
		const sep = " · "
		best := -1
		for from := 0; ; {
			i := strings.Index(caption[from:], sep)
			if i < 0 {
				break
			}
			if at := from + i; best < 0 || abs(at-len(caption)/2) < abs(best-len(caption)/2) {
				best = at
			}
			from += i + len(sep)
		}
		if best > 0 {
			lines = []string{caption[:best], caption[best+len(sep):]}
		}
	}
	for i, l := range lines {
		y := dc.Min.Y + vg.Points(3) + vg.Points(9)*vg.Length(len(lines)-1-i)
		dc.FillText(sty, vg.Point{X: dc.Min.X + vg.Points(4), Y: y}, l)
	}
	return draw.Crop(dc, 0, 0, vg.Points(5)+vg.Points(9)*vg.Length(len(lines)), 0)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// finite keeps the plotted values drawable: NaN (not computed) stays NaN,
// infinities (off scale) are dropped.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// xys keeps the points whose values are finite and on scale.
func xys(xs, ys []float64) plotter.XYs {
	var out plotter.XYs
	for i := range xs {
		if finite(xs[i]) && finite(ys[i]) && !surface.OffScale(ys[i]) {
			out = append(out, plotter.XY{X: xs[i], Y: ys[i]})
		}
	}
	return out
}
