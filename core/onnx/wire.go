package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Protocol buffers' wire format, as much of it as ONNX's messages use:
// every field is a key (field number and wire type) then a varint, a
// fixed 32- or 64-bit value or a length-prefixed run of bytes.

const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

// field is one decoded field: its number, wire type and value (a varint
// or fixed value in num, a length-delimited one in bytes).
type field struct {
	n     int
	wire  int
	num   uint64
	bytes []byte
}

// fields decodes a message into its fields, in the order written.
func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		key, k := uvarint(b)
		if k <= 0 {
			return nil, fmt.Errorf("a field key is cut off")
		}
		b = b[k:]
		f := field{n: int(key >> 3), wire: int(key & 7)}
		if f.n < 1 {
			return nil, fmt.Errorf("field number 0")
		}
		switch f.wire {
		case wireVarint:
			v, k := uvarint(b)
			if k <= 0 {
				return nil, fmt.Errorf("field %d: a varint is cut off", f.n)
			}
			f.num, b = v, b[k:]
		case wire64:
			if len(b) < 8 {
				return nil, fmt.Errorf("field %d: a 64-bit value is cut off", f.n)
			}
			f.num, b = binary.LittleEndian.Uint64(b), b[8:]
		case wire32:
			if len(b) < 4 {
				return nil, fmt.Errorf("field %d: a 32-bit value is cut off", f.n)
			}
			f.num, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireBytes:
			l, k := uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return nil, fmt.Errorf("field %d: %d bytes announced, fewer left", f.n, l)
			}
			f.bytes, b = b[k:k+int(l)], b[k+int(l):]
		default:
			return nil, fmt.Errorf("field %d: wire type %d (groups are not used by ONNX)", f.n, f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// uvarint decodes a varint: its value and length (0 when cut off, <0 when
// longer than 64 bits).
func uvarint(b []byte) (uint64, int) { return binary.Uvarint(b) }

// str is a length-delimited field as text.
func (f field) str() string { return string(f.bytes) }

// int64 is a varint field as a signed value (int64 fields are two's
// complement, not zigzag).
func (f field) int64() int64 { return int64(f.num) }

// float32 is a fixed32 field as a float.
func (f field) float32() float32 { return math.Float32frombits(uint32(f.num)) }

// ints appends a repeated int64 field's values: either one varint a field
// or, packed, many in one length-delimited field.
func (f field) ints(dst []int64) ([]int64, error) {
	if f.wire == wireVarint {
		return append(dst, f.int64()), nil
	}
	if f.wire != wireBytes {
		return dst, fmt.Errorf("field %d: wire type %d for integers", f.n, f.wire)
	}
	for b := f.bytes; len(b) > 0; {
		v, k := uvarint(b)
		if k <= 0 {
			return dst, fmt.Errorf("field %d: a packed varint is cut off", f.n)
		}
		dst, b = append(dst, int64(v)), b[k:]
	}
	return dst, nil
}

// floats appends a repeated float field's values, packed or not.
func (f field) floats(dst []float32) ([]float32, error) {
	if f.wire == wire32 {
		return append(dst, f.float32()), nil
	}
	if f.wire != wireBytes || len(f.bytes)%4 != 0 {
		return dst, fmt.Errorf("field %d: not a run of 32-bit floats", f.n)
	}
	for i := 0; i < len(f.bytes); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(f.bytes[i:])))
	}
	return dst, nil
}

// doubles appends a repeated double field's values, packed or not.
func (f field) doubles(dst []float64) ([]float64, error) {
	if f.wire == wire64 {
		return append(dst, math.Float64frombits(f.num)), nil
	}
	if f.wire != wireBytes || len(f.bytes)%8 != 0 {
		return dst, fmt.Errorf("field %d: not a run of 64-bit floats", f.n)
	}
	for i := 0; i < len(f.bytes); i += 8 {
		dst = append(dst, math.Float64frombits(binary.LittleEndian.Uint64(f.bytes[i:])))
	}
	return dst, nil
}
