package npy

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

func TestRoundTripEveryType(t *testing.T) {
	arrays := []Named{
		{Name: "f64", Arr: Array{Shape: []int{2}, F64: []float64{1.5, -2}}},
		{Name: "f32", Arr: Array{Shape: []int{1, 2}, F32: []float32{3, 4}}},
		{Name: "i64", Arr: Array{Shape: []int{3}, I64: []int64{-1, 0, 7}}},
		{Name: "u8", Arr: Array{Shape: []int{2, 2}, U8: []uint8{0, 9, 200, 255}}},
		{Name: "s", Arr: Array{Str: "basin"}},
	}
	b, err := EncodeNpz(arrays)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeNpz(b, map[string]int64{"f64": 100, "f32": 100, "i64": 100, "u8": 100, "s": 100})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["f64"].F64, arrays[0].Arr.F64) || !slices.Equal(got["f32"].F32, arrays[1].Arr.F32) ||
		!slices.Equal(got["i64"].I64, arrays[2].Arr.I64) || !slices.Equal(got["u8"].U8, arrays[3].Arr.U8) ||
		got["s"].Str != "basin" || !slices.Equal(got["u8"].Shape, []int{2, 2}) {
		t.Fatalf("round trip: %+v", got)
	}
}

// numpy writes int labels as <i8 on Linux but <i4 on Windows and when
// asked: both are read, as int64.
func TestReadsInt32(t *testing.T) {
	header := "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)+1))
	b.WriteString(header + "\n")
	binary.Write(&b, binary.LittleEndian, []int32{5, -2, 9})
	a, err := Decode(b.Bytes())
	if err != nil || !slices.Equal(a.I64, []int64{5, -2, 9}) {
		t.Fatalf("got %v, %v", a.I64, err)
	}
}

func TestReadIsBounded(t *testing.T) {
	big := Array{Shape: []int{1000}, F64: make([]float64, 1000)}.Encode()
	if _, err := Read(bytes.NewReader(big), 100); err == nil {
		t.Fatal("an array beyond the limit was read")
	}
	if _, err := Decode(big[:len(big)-8]); err == nil {
		t.Fatal("a truncated body was read")
	}
}
