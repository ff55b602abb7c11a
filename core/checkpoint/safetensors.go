package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

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
	h, err := readHeader(b)
	if err != nil {
		return nil, nil, err
	}
	return h.decode(h.shapes()), h.meta, nil
}

// header is a safetensors file read as far as its header: the tensors'
// names, types, shapes and places, checked against the body, before any
// value is decoded.
type header struct {
	tensors []namedEntry // in file order
	meta    map[string]string
	body    []byte
}

type namedEntry struct {
	name string
	entry
}

// readHeader parses and checks the header: every tensor's bytes lie in
// the body, hold exactly its shape, and overlap no other tensor's (a file
// of a thousand tensors on one region would decode to a thousand copies).
func readHeader(b []byte) (*header, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the 8-byte header length", ErrFormat, len(b))
	}
	hl := binary.LittleEndian.Uint64(b)
	if hl > maxHeader || hl > uint64(len(b)-8) {
		return nil, fmt.Errorf("%w: the header length does not fit in the file's %d bytes", ErrFormat, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hl], &raw); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	h := &header{body: b[8+hl:]}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &h.meta); err != nil {
				return nil, fmt.Errorf("%w: metadata: %v", ErrFormat, err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("%w: tensor %s: %v", ErrFormat, name, err)
		}
		if e.Dtype == "I64" && strings.HasSuffix(name, ".num_batches_tracked") {
			continue // PyTorch's batch-norm step counter: basin keeps none
		}
		if err := e.check(name, len(h.body)); err != nil {
			return nil, err
		}
		h.tensors = append(h.tensors, namedEntry{name, e})
	}
	sort.Slice(h.tensors, func(i, j int) bool {
		a, b := h.tensors[i], h.tensors[j]
		if a.Offsets[0] != b.Offsets[0] {
			return a.Offsets[0] < b.Offsets[0]
		}
		return a.name < b.name
	})
	for i := 1; i < len(h.tensors); i++ {
		prev, t := h.tensors[i-1], h.tensors[i]
		if t.Offsets[0] < prev.Offsets[1] {
			return nil, fmt.Errorf("%w: tensors %s and %s overlap (bytes %d–%d and %d–%d)", ErrFormat, prev.name, t.name, prev.Offsets[0], prev.Offsets[1], t.Offsets[0], t.Offsets[1])
		}
	}
	return h, nil
}

var dtypeSize = map[string]int{"F32": 4, "F64": 8, "F16": 2, "BF16": 2}

// check tells whether the entry's bytes lie in a body of n bytes and
// hold exactly its shape.
func (e entry) check(name string, n int) error {
	size := dtypeSize[e.Dtype]
	if size == 0 {
		return fmt.Errorf("%w: tensor %s has dtype %q; basin reads F32, F64, F16 and BF16", ErrFormat, name, e.Dtype)
	}
	count := 1
	for _, d := range e.Shape {
		if d < 0 || (d > 0 && count > math.MaxInt32/d) {
			return fmt.Errorf("%w: tensor %s has shape %v", ErrFormat, name, e.Shape)
		}
		count *= d
	}
	lo, hi := e.Offsets[0], e.Offsets[1]
	if lo < 0 || hi < lo || hi > n || hi-lo != count*size {
		return fmt.Errorf("%w: tensor %s: offsets [%d, %d] do not hold %d %s values in a %d-byte body", ErrFormat, name, lo, hi, count, e.Dtype, n)
	}
	return nil
}

// shapes returns the tensors with names and shapes only, in file order:
// enough to tell an architecture before decoding a value.
func (h *header) shapes() model.Params {
	p := make(model.Params, len(h.tensors))
	for i, t := range h.tensors {
		p[i] = model.Tensor{Name: t.name, Shape: append([]int{}, t.Shape...)}
	}
	return p
}

// decode fills in the values of the named tensors of p (each once).
func (h *header) decode(p model.Params) model.Params {
	byName := make(map[string]entry, len(h.tensors))
	for _, t := range h.tensors {
		byName[t.name] = t.entry
	}
	for i := range p {
		p[i].Data = decodeValues(byName[p[i].Name], h.body)
	}
	return p
}

func decodeValues(e entry, body []byte) []float32 {
	raw := body[e.Offsets[0]:e.Offsets[1]]
	data := make([]float32, len(raw)/dtypeSize[e.Dtype])
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
	return data
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
