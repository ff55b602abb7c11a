package surface

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

// array is one .npy array: float64, float32, int64, uint8 or a unicode
// string (dtype <U).
type array struct {
	shape []int
	f64   []float64
	f32   []float32
	i64   []int64
	u8    []uint8
	str   string
}

func (a array) descr() string {
	switch {
	case a.f64 != nil:
		return "<f8"
	case a.f32 != nil:
		return "<f4"
	case a.i64 != nil:
		return "<i8"
	case a.u8 != nil:
		return "|u1"
	}
	return fmt.Sprintf("<U%d", max(1, utf8.RuneCountInString(a.str)))
}

func (a array) encode() []byte {
	shape := make([]string, len(a.shape))
	for i, d := range a.shape {
		shape[i] = strconv.Itoa(d)
	}
	sh := strings.Join(shape, ", ")
	if len(a.shape) == 1 {
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
	case a.f64 != nil:
		binary.Write(&b, binary.LittleEndian, a.f64)
	case a.f32 != nil:
		binary.Write(&b, binary.LittleEndian, a.f32)
	case a.i64 != nil:
		binary.Write(&b, binary.LittleEndian, a.i64)
	case a.u8 != nil:
		b.Write(a.u8)
	default:
		runes := []rune(a.str)
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

// decodeNpy parses the .npy arrays basin writes (C order, little endian).
func decodeNpy(b []byte) (array, error) {
	var a array
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return a, errors.New("not a .npy array")
	}
	var hl, off int
	switch b[6] {
	case 1:
		hl, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return a, errors.New("truncated .npy header")
		}
		hl, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return a, fmt.Errorf(".npy version %d", b[6])
	}
	if hl < 0 || off+hl > len(b) {
		return a, errors.New("truncated .npy header")
	}
	m := headerRE.FindStringSubmatch(string(b[off : off+hl]))
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
		a.shape = append(a.shape, d)
		n *= d
	}
	body := b[off+hl:]
	need := func(size int) error {
		if len(body) < n*size {
			return fmt.Errorf(".npy body has %d bytes, want %d", len(body), n*size)
		}
		return nil
	}
	descr := strings.TrimLeft(m[1], "<|")
	switch {
	case descr == "f8":
		if err := need(8); err != nil {
			return a, err
		}
		a.f64 = make([]float64, n)
		binary.Read(bytes.NewReader(body), binary.LittleEndian, a.f64)
	case descr == "f4":
		if err := need(4); err != nil {
			return a, err
		}
		a.f32 = make([]float32, n)
		binary.Read(bytes.NewReader(body), binary.LittleEndian, a.f32)
	case descr == "i8":
		if err := need(8); err != nil {
			return a, err
		}
		a.i64 = make([]int64, n)
		binary.Read(bytes.NewReader(body), binary.LittleEndian, a.i64)
	case descr == "u1" || descr == "b1":
		if err := need(1); err != nil {
			return a, err
		}
		a.u8 = append([]uint8{}, body[:n]...)
	case descr[0] == 'U':
		w, err := strconv.Atoi(descr[1:])
		if err != nil || w <= 0 || w > 1<<24 || n != 1 {
			return a, fmt.Errorf("unsupported string array %q", m[1])
		}
		if len(body) < 4*w {
			return a, errors.New("truncated string array")
		}
		var sb strings.Builder
		for i := 0; i < w; i++ {
			r := rune(binary.LittleEndian.Uint32(body[4*i:]))
			if r == 0 {
				break
			}
			sb.WriteRune(r)
		}
		a.str = sb.String()
	default:
		return a, fmt.Errorf("unsupported .npy dtype %q", m[1])
	}
	return a, nil
}

type namedArray struct {
	name string
	arr  array
}

func encodeNpz(arrays []namedArray) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, na := range arrays {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: na.name + ".npy", Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(na.arr.encode()); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeNpz(b []byte) (map[string]array, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not an .npz archive: %w", err)
	}
	out := map[string]array{}
	for _, f := range zr.File {
		if f.UncompressedSize64 > 1<<32 {
			return nil, fmt.Errorf("%s: too large", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 1<<32))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		a, err := decodeNpy(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = a
	}
	return out, nil
}
