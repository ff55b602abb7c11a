package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/basin-dev/basin/core/model"
)

// ErrFormat is wrapped by every error about a malformed safetensors file.
var ErrFormat = errors.New("not a valid safetensors file")

const maxHeader = 100 << 20

type entry struct {
	Dtype   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// Encode serializes tensors (as F32, in the given order) and metadata.
func Encode(p model.Params, meta map[string]string) ([]byte, error) {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, t := range p {
		if _, dup := header[t.Name]; dup || t.Name == "__metadata__" {
			return nil, fmt.Errorf("encode safetensors: duplicate tensor name %q", t.Name)
		}
		n := len(t.Data) * 4
		header[t.Name] = entry{Dtype: "F32", Shape: t.Shape, Offsets: [2]int{off, off + n}}
		off += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encode safetensors header: %w", err)
	}
	for len(h)%8 != 0 { // the format pads the header to 8 bytes with spaces
		h = append(h, ' ')
	}
	out := make([]byte, 8, 8+len(h)+off)
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	for _, t := range p {
		for _, v := range t.Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

// Decode parses a safetensors file into float32 tensors, ordered by their
// position in the file, and its metadata.
func Decode(b []byte) (model.Params, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%w: %d bytes is shorter than the 8-byte header length", ErrFormat, len(b))
	}
	hl := binary.LittleEndian.Uint64(b)
	if hl > maxHeader || hl > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("%w: header length %d does not fit in %d bytes", ErrFormat, hl, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hl], &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	body := b[8+hl:]
	var meta map[string]string
	var p model.Params
	var offs []int
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("%w: metadata: %v", ErrFormat, err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %s: %v", ErrFormat, name, err)
		}
		t, err := decodeTensor(name, e, body)
		if err != nil {
			return nil, nil, err
		}
		p = append(p, t)
		offs = append(offs, e.Offsets[0])
	}
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		if offs[order[a]] != offs[order[b]] {
			return offs[order[a]] < offs[order[b]]
		}
		return p[order[a]].Name < p[order[b]].Name
	})
	sorted := make(model.Params, len(p))
	for i, o := range order {
		sorted[i] = p[o]
	}
	return sorted, meta, nil
}

func decodeTensor(name string, e entry, body []byte) (model.Tensor, error) {
	size := map[string]int{"F32": 4, "F64": 8, "F16": 2, "BF16": 2}[e.Dtype]
	if size == 0 {
		return model.Tensor{}, fmt.Errorf("%w: tensor %s has dtype %q; basin reads F32, F64, F16 and BF16", ErrFormat, name, e.Dtype)
	}
	n := 1
	for _, d := range e.Shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return model.Tensor{}, fmt.Errorf("%w: tensor %s has shape %v", ErrFormat, name, e.Shape)
		}
		n *= d
	}
	lo, hi := e.Offsets[0], e.Offsets[1]
	if lo < 0 || hi < lo || hi > len(body) || hi-lo != n*size {
		return model.Tensor{}, fmt.Errorf("%w: tensor %s: offsets [%d, %d] do not hold %d %s values in a %d-byte body", ErrFormat, name, lo, hi, n, e.Dtype, len(body))
	}
	raw := body[lo:hi]
	data := make([]float32, n)
	for i := range data {
		switch e.Dtype {
		case "F32":
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		case "F64":
			data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		case "BF16":
			data[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		case "F16":
			data[i] = halfToFloat(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	}
	return model.Tensor{Name: name, Shape: append([]int{}, e.Shape...), Data: data}, nil
}

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0: // zero or subnormal: frac · 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
