package render

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Clean makes an untrusted string safe to print on a terminal: a file
// name, a checkpoint's metadata, a user name. Control characters (an
// escape sequence could set the window title, move the cursor or worse),
// the bidirectional overrides that reorder what is read, and invalid
// UTF-8 are shown as Go escapes (\x1b, \n, \u202e) instead of acting.
func Clean(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// unsafeRune: C0 and C1 controls, DEL, and the bidirectional embeddings,
// overrides and isolates.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// Safe is the last filter of everything the app draws: it keeps the
// colour sequences the renderers write (CSI … m) and line breaks, and
// drops every other control sequence or character whole, so that no
// string that reached the screen unchecked (a file name, metadata) can
// move the cursor, set the window title or reorder text. What it drops
// was zero columns wide to the layout, so lines keep their widths.
func Safe(s string) string {
	var b *strings.Builder // made at the first byte dropped: most frames have none
	kept := 0              // s[kept:i] is still to be copied
	for i := 0; i < len(s); {
		n, keep := 1, true
		switch c := s[i]; {
		case c == 0x1b:
			n, keep = escapeLen(s[i:])
		case c < 0x80:
			keep = c >= 0x20 && c != 0x7f || c == '\n'
		default:
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			keep = !(r == utf8.RuneError && n == 1) && !unsafeRune(r)
		}
		if !keep {
			if b == nil {
				b = &strings.Builder{}
				b.Grow(len(s))
			}
			b.WriteString(s[kept:i])
			kept = i + n
		}
		i += n
	}
	if b == nil {
		return s
	}
	b.WriteString(s[kept:])
	return b.String()
}

// escapeLen is the length of the escape sequence at the start of s, and
// whether it is a colour (SGR) sequence to keep. CSI runs to its final
// byte; OSC, DCS, SOS, PM and APC strings to their terminator (BEL or
// ST); anything else is ESC and one byte.
func escapeLen(s string) (n int, keep bool) {
	if len(s) < 2 {
		return len(s), false
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			c := s[i]
			if c >= 0x40 && c <= 0x7e {
				return i + 1, c == 'm' && sgrParams(s[2:i])
			}
			if c < 0x20 || c > 0x3f {
				return i, false // malformed: drop what came before
			}
		}
		return len(s), false
	case ']', 'P', 'X', '^', '_':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1, false
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2, false
			}
		}
		return len(s), false
	}
	_, n = utf8.DecodeRuneInString(s[1:])
	return 1 + n, false
}

func sgrParams(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}
