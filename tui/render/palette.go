package render

import "math"

// viridis anchors (matplotlib's viridis at 0, 1/8, …, 1): perceptually
// uniform and readable by colour-blind viewers; dark is low loss.
var viridis = [][3]float64{
	{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
	{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
}

// Viridis returns the viridis colour at t in [0,1] as RGB.
func Viridis(t float64) (r, g, b uint8) {
	t = math.Max(0, math.Min(1, t))
	x := t * float64(len(viridis)-1)
	i := min(int(x), len(viridis)-2)
	f := x - float64(i)
	c := func(k int) uint8 { return uint8(math.Round(viridis[i][k]*(1-f) + viridis[i+1][k]*f)) }
	return c(0), c(1), c(2)
}

// ramp16 is the 16-colour stand-in for viridis: dark blue to bright
// yellow through cyan and green.
var ramp16 = []int{4, 12, 6, 14, 2, 10, 3, 11}

// Ramp is the character ramp used when there is no colour, low to high.
const Ramp = " .:-=+*#%@"

// Palette maps a value in [0,1] to a colour of a profile, with a fixed
// number of steps (so adjacent cells of equal step share escape codes).
type Palette struct {
	Profile Profile
	colors  []Color
}

// NewPalette builds the loss palette for a profile.
func NewPalette(p Profile) Palette {
	pal := Palette{Profile: p}
	switch p {
	case TrueColor:
		for i := 0; i < 64; i++ {
			pal.colors = append(pal.colors, p.RGB(Viridis(float64(i)/63)))
		}
	case ANSI256:
		pal.colors = viridis256
	case ANSI16:
		for _, i := range ramp16 {
			pal.colors = append(pal.colors, ANSI(i))
		}
	}
	return pal
}

// diverging anchors: blue for negative, white at 0, red for positive
// (ColorBrewer's RdBu, reversed), for differences of two landscapes.
var diverging = [][3]float64{
	{33, 102, 172}, {103, 169, 207}, {209, 229, 240}, {247, 247, 247},
	{253, 219, 199}, {239, 138, 98}, {178, 24, 43},
}

// NewDivergingPalette builds a palette for signed values on a scale
// symmetric around 0: blue below, white at 0, red above; the 16-colour
// one runs blue, cyan, white, yellow, red.
func NewDivergingPalette(p Profile) Palette {
	pal := Palette{Profile: p}
	switch p {
	case TrueColor:
		for _, c := range divergingSteps(63) { // odd: one step is centred on 0
			pal.colors = append(pal.colors, p.RGB(c[0], c[1], c[2]))
		}
	case ANSI256:
		pal.colors = diverging256
	case ANSI16:
		for _, i := range []int{4, 12, 14, 7, 15, 11, 9, 1} {
			pal.colors = append(pal.colors, ANSI(i))
		}
	}
	return pal
}

// divergingSteps samples the diverging anchors at n evenly spaced steps.
func divergingSteps(n int) [][3]uint8 {
	var out [][3]uint8
	for i := 0; i < n; i++ {
		x := float64(i) / float64(n-1) * float64(len(diverging)-1)
		k := min(int(x), len(diverging)-2)
		f := x - float64(k)
		c := func(j int) uint8 { return uint8(math.Round(diverging[k][j]*(1-f) + diverging[k+1][j]*f)) }
		out = append(out, [3]uint8{c(0), c(1), c(2)})
	}
	return out
}

// The 256-colour palettes, chosen whole (palette256.go): viridis in 24
// steps of rising lightness, and the diverging one in 23 whose lightness
// rises to white at 0 and falls after.
var (
	viridis256 = func() []Color {
		var t [][3]uint8
		for i := 0; i < 24; i++ {
			r, g, b := Viridis(float64(i) / 23)
			t = append(t, [3]uint8{r, g, b})
		}
		return colors256(monotone256(colourful, t, len(t)-1, repeatCost))
	}()
	diverging256 = colors256(monotone256(neutral, divergingSteps(23), 11, repeatCost))
)

// repeatCost is what a palette pays (in ΔE) to keep a step's colour for
// the next: infinite, every step its own colour.
var repeatCost = math.Inf(1)

func colors256(idx []int) []Color {
	out := make([]Color, len(idx))
	for i, x := range idx {
		out[i] = color256(x)
	}
	return out
}

// Symmetric widens a linear scale to ±max(|Min|, |Max|), so that 0 sits
// in its middle.
func (s Scale) Symmetric() Scale {
	m := math.Max(math.Abs(s.Min), math.Abs(s.Max))
	return Scale{Min: -m, Max: m}
}

// Steps is the number of distinct colours (or ramp characters).
func (p Palette) Steps() int {
	if p.Profile == NoColor {
		return len(Ramp)
	}
	return len(p.colors)
}

// step maps t in [0,1] to a step index.
func (p Palette) step(t float64) int {
	n := p.Steps()
	return min(max(int(t*float64(n)), 0), n-1)
}

// At returns the colour for t in [0,1] (None without colour).
func (p Palette) At(t float64) Color {
	if p.Profile == NoColor {
		return None
	}
	return p.colors[p.step(t)]
}

// Char returns the ramp character for t in [0,1].
func (p Palette) Char(t float64) byte { return Ramp[p.step(t)] }

// OffScale is the colour of points whose loss is off the scale (diverged,
// Inf or NaN): a bright magenta no palette uses.
func (p Palette) OffScale() Color {
	switch p.Profile {
	case TrueColor, ANSI256:
		return p.Profile.RGB(255, 95, 215)
	case ANSI16:
		return ANSI(13)
	}
	return None
}

// OffScaleChar marks off-scale cells without colour.
const OffScaleChar = '!'
