package render

import (
	"fmt"
	"math"
	"strings"
)

// Profile is how many colours the terminal shows.
type Profile int

// Profiles, richest first.
const (
	TrueColor Profile = iota
	ANSI256
	ANSI16
	NoColor
)

func (p Profile) String() string {
	return [...]string{"truecolor", "256", "16", "none"}[p]
}

// ParseProfile reads a --color value; "auto" detects from the
// environment that getenv reads.
func ParseProfile(s string, getenv func(string) string) (Profile, bool, error) {
	switch strings.ToLower(s) {
	case "auto", "":
		return DetectProfile(getenv), true, nil
	case "true", "truecolor", "24bit":
		return TrueColor, false, nil
	case "256":
		return ANSI256, false, nil
	case "16":
		return ANSI16, false, nil
	case "none", "no", "off":
		return NoColor, false, nil
	}
	return NoColor, false, fmt.Errorf("unknown colour mode %q: use auto, true, 256, 16 or none", s)
}

// DetectProfile reads NO_COLOR, COLORTERM and TERM (OpenSSH forwards TERM
// but not COLORTERM, so most SSH sessions come out at 256 colours). It
// never queries the terminal.
func DetectProfile(getenv func(string) string) Profile {
	if getenv("NO_COLOR") != "" {
		return NoColor
	}
	term := strings.ToLower(getenv("TERM"))
	ct := strings.ToLower(getenv("COLORTERM"))
	switch {
	case term == "dumb":
		return NoColor
	case ct == "truecolor" || ct == "24bit" || strings.Contains(term, "direct"):
		return TrueColor
	case strings.Contains(term, "256"), strings.HasPrefix(term, "tmux"), strings.HasPrefix(term, "screen"):
		return ANSI256
	case term == "":
		return NoColor
	}
	return ANSI16
}

// Color is a terminal colour already encoded for a profile: the SGR
// parameters for foreground and background ("" = terminal default).
type Color struct {
	fg, bg string
}

// None is the terminal's default colour.
var None = Color{}

// IsNone reports whether c is the default colour.
func (c Color) IsNone() bool { return c.fg == "" }

// RGB encodes an sRGB colour for the profile: exact in true colour, the
// nearest xterm colour in 256, the nearest of the 16 ANSI colours in 16.
func (p Profile) RGB(r, g, b uint8) Color {
	switch p {
	case TrueColor:
		return Color{fmt.Sprintf("38;2;%d;%d;%d", r, g, b), fmt.Sprintf("48;2;%d;%d;%d", r, g, b)}
	case ANSI256:
		i := nearest256(r, g, b)
		return Color{fmt.Sprintf("38;5;%d", i), fmt.Sprintf("48;5;%d", i)}
	case ANSI16:
		return ANSI(nearest16(r, g, b))
	}
	return None
}

// ANSI returns one of the 16 basic colours (0-7 normal, 8-15 bright).
func ANSI(i int) Color {
	if i < 8 {
		return Color{fmt.Sprint(30 + i), fmt.Sprint(40 + i)}
	}
	return Color{fmt.Sprint(90 + i - 8), fmt.Sprint(100 + i - 8)}
}

var ansi16 = [16][3]uint8{
	{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
	{127, 127, 127}, {255, 0, 0}, {0, 255, 0}, {255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
}

func dist2(r, g, b uint8, c [3]uint8) float64 {
	dr, dg, db := float64(r)-float64(c[0]), float64(g)-float64(c[1]), float64(b)-float64(c[2])
	return 2*dr*dr + 4*dg*dg + 3*db*db
}

func nearest16(r, g, b uint8) int {
	best, bi := math.Inf(1), 0
	for i, c := range ansi16 {
		if d := dist2(r, g, b, c); d < best {
			best, bi = d, i
		}
	}
	return bi
}

// nearest256 picks the closest of the xterm 6x6x6 cube and grey ramp.
func nearest256(r, g, b uint8) int {
	levels := [6]uint8{0, 95, 135, 175, 215, 255}
	q := func(v uint8) int {
		best, bi := 1e9, 0
		for i, l := range levels {
			if d := math.Abs(float64(v) - float64(l)); d < best {
				best, bi = d, i
			}
		}
		return bi
	}
	ri, gi, bi := q(r), q(g), q(b)
	cube := 16 + 36*ri + 6*gi + bi
	cubeD := dist2(r, g, b, [3]uint8{levels[ri], levels[gi], levels[bi]})
	grey := (int(r) + int(g) + int(b)) / 3
	gIdx := min(max((grey-8+5)/10, 0), 23)
	gv := uint8(8 + 10*gIdx)
	if dist2(r, g, b, [3]uint8{gv, gv, gv}) < cubeD {
		return 232 + gIdx
	}
	return cube
}
