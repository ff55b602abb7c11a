package npy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Array is one .npy Array: float64, float32, int64, uint8 or a unicode
// string (dtype <U).
type Array struct {
	Shape []int
	F64   []float64
	F32   []float32
	I64   []int64 // also int32 arrays, widened
	U8    []uint8
	Str   string
}

func (a Array) descr() string {
	switch {
	case a.F64 != nil:
		return "<f8"
	case a.F32 != nil:
		return "<f4"
	case a.I64 != nil:
		return "<i8"
	case a.U8 != nil:
		return "|u1"
	}
	return fmt.Sprintf("<U%d", max(1, utf8.RuneCountInString(a.Str)))
}

func (a Array) Encode() []byte {
	shape := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		shape[i] = strconv.Itoa(d)
	}
	sh := strings.Join(shape, ", ")
	if len(a.Shape) == 1 {
		sh += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", a.descr(), sh)
	// magic(6) + version(2) + len(2) + header + '\n', padded to 64 bytes.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	switch {
	case a.F64 != nil:
		binary.Write(&b, binary.LittleEndian, a.F64)
	case a.F32 != nil:
		binary.Write(&b, binary.LittleEndian, a.F32)
	case a.I64 != nil:
		binary.Write(&b, binary.LittleEndian, a.I64)
	case a.U8 != nil:
		b.Write(a.U8)
	default:
		runes := []rune(a.Str)
		if len(runes) == 0 {
			runes = []rune{0}
		}
		for _, r := range runes {
			binary.Write(&b, binary.LittleEndian, uint32(r))
		}
	}
	return b.Bytes()
}

var headerRE = regexp.MustCompile(`'descr':\s*'([<|>]?[a-zA-Z]\d+)'.*'fortran_order':\s*(True|False).*'shape':\s*\(([\d,\s]*)\)`)

// maxNpyHeader bounds a .npy header (numpy writes under 100 bytes).
const maxNpyHeader = 1 << 16

// Decode parses the .npy arrays basin writes (C order, little endian).
func Decode(b []byte) (Array, error) { return Read(bytes.NewReader(b), int64(len(b))) }

// readHeader reads the magic string, the version and the header text
// of a .npy Array (at most maxNpyHeader bytes).
func readHeader(r io.Reader) ([]byte, error) {
	pre := make([]byte, 10)
	if _, err := io.ReadFull(r, pre); err != nil || string(pre[:6]) != "\x93NUMPY" {
		return nil, errors.New("not a .npy Array")
	}
	var hl int
	switch pre[6] {
	case 1:
		hl = int(binary.LittleEndian.Uint16(pre[8:]))
	case 2, 3:
		ext := make([]byte, 2)
		if _, err := io.ReadFull(r, ext); err != nil {
			return nil, errors.New("truncated .npy header")
		}
		hl = int(binary.LittleEndian.Uint32(append(pre[8:10:10], ext...)))
	default:
		return nil, fmt.Errorf(".npy version %d", pre[6])
	}
	if hl < 0 || hl > maxNpyHeader {
		return nil, fmt.Errorf(".npy header of %d bytes", hl)
	}
	hdr := make([]byte, hl)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, errors.New("truncated .npy header")
	}
	return hdr, nil
}

// Read reads one .npy Array whose body may be at most limit bytes. It
// reads the header first and then exactly the body the header declares,
// so a file that lies about its size costs no more than it declared.
func Read(r io.Reader, limit int64) (Array, error) {
	var a Array
	hdr, err := readHeader(r)
	if err != nil {
		return a, err
	}
	m := headerRE.FindStringSubmatch(string(hdr))
	if m == nil {
		return a, errors.New("unreadable .npy header")
	}
	if m[2] == "True" {
		return a, errors.New("fortran-ordered arrays are not supported")
	}
	n := 1
	for _, s := range strings.Split(m[3], ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return a, fmt.Errorf("bad .npy shape %q", m[3])
		}
		a.Shape = append(a.Shape, d)
		n *= d
	}
	descr := strings.TrimLeft(m[1], "<|")
	size := 0
	switch {
	case descr == "f8" || descr == "i8":
		size = 8
	case descr == "f4" || descr == "i4":
		size = 4
	case descr == "u1" || descr == "b1":
		size = 1
	case descr[0] == 'U':
		w, err := strconv.Atoi(descr[1:])
		if err != nil || w <= 0 || w > 1<<24 || n != 1 {
			return a, fmt.Errorf("unsupported string Array %q", m[1])
		}
		n, size = w, 4
	default:
		return a, fmt.Errorf("unsupported .npy dtype %q", m[1])
	}
	want := int64(n) * int64(size)
	if want > limit {
		return a, fmt.Errorf(".npy Array of %d bytes, more than the %d expected here", want, limit)
	}
	body, err := io.ReadAll(io.LimitReader(r, want))
	if err != nil {
		return a, err
	}
	if int64(len(body)) < want {
		if descr[0] == 'U' {
			return a, errors.New("truncated string Array")
		}
		return a, fmt.Errorf(".npy body has %d bytes, want %d", len(body), want)
	}
	a.decode(descr, body, n)
	return a, nil
}

// decode fills in the n values of body, of type descr, in place
// (binary.Read would copy the body once more).
func (a *Array) decode(descr string, body []byte, n int) {
	switch {
	case descr == "f8":
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
	case descr == "f4":
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
		}
	case descr == "i8":
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(binary.LittleEndian.Uint64(body[8*i:]))
		}
	case descr == "i4":
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(int32(binary.LittleEndian.Uint32(body[4*i:])))
		}
	case descr[0] == 'U':
		var sb strings.Builder
		for i := 0; i < n; i++ {
			r := rune(binary.LittleEndian.Uint32(body[4*i:]))
			if r == 0 {
				break
			}
			sb.WriteRune(r)
		}
		a.Str = sb.String()
	default: // one byte a value
		a.U8 = body
	}
}

// Named is an array with its name in an .npz archive (without .npy).
type Named struct {
	Name string
	Arr  Array
}

func EncodeNpz(arrays []Named) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, na := range arrays {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: na.Name + ".npy", Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(na.Arr.Encode()); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeNpz reads the arrays of an .npz archive that limits names, each
// at most that many bytes; other entries are skipped without inflating
// them, so a compressed bomb among them costs nothing.
func DecodeNpz(b []byte, limits map[string]int64) (map[string]Array, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not an .npz archive: %w", err)
	}
	out := map[string]Array{}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		limit, ok := limits[name]
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s: appears twice", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		a, err := Read(rc, limit)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out[name] = a
	}
	return out, nil
}
