package jsonfloat

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

type inner struct {
	A float64 `json:"a"`
	B float64 `json:"b,omitempty"`
	C string  `json:"shadowed"`
}

type outer struct {
	Shadow string `json:"shadowed"`
	inner
	List    []float64          `json:"list"`
	Pair    [2]float64         `json:"pair,omitempty"`
	Ptr     *inner             `json:"ptr,omitempty"`
	Map     map[string]float64 `json:"map"`
	When    time.Time          `json:"when"`
	F32     float32            `json:"f32"`
	skipped float64
	Dash    float64 `json:"-"`
	Bytes   []byte  `json:"bytes"`
	Untaged int
}

func sample(x float64) outer {
	return outer{Shadow: "outer", inner: inner{A: x, B: 2, C: "inner"}, List: []float64{1, x}, Pair: [2]float64{0, 0},
		Ptr: &inner{A: x}, Map: map[string]float64{"k": x, "j": 1}, When: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC),
		F32: 0.1, skipped: x, Dash: x, Bytes: []byte("hi"), Untaged: 3}
}

// Finite values are written byte for byte as encoding/json writes them,
// also when the fallback path is taken (tested through tree directly).
func TestFiniteIsEncodingJSON(t *testing.T) {
	t.Parallel()
	v := sample(0.5)
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(v)
	if err != nil || string(got) != string(want) {
		t.Fatalf("Marshal:\n%s\nwant\n%s (%v)", got, want, err)
	}
	tr, err := tree(reflectOf(v))
	if err != nil {
		t.Fatal(err)
	}
	viaTree, _ := json.Marshal(tr)
	if string(viaTree) != string(want) {
		t.Fatalf("through the tree:\n%s\nwant\n%s", viaTree, want)
	}
}

// Non-finite numbers become null, wherever they are.
func TestNonFiniteIsNull(t *testing.T) {
	t.Parallel()
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		got, err := Marshal(sample(x))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(sample(0.5))
		var a, b map[string]any
		json.Unmarshal(got, &a)
		json.Unmarshal(want, &b)
		if a["a"] != nil || a["list"].([]any)[1] != nil || a["ptr"].(map[string]any)["a"] != nil || a["map"].(map[string]any)["k"] != nil {
			t.Fatalf("%v: %s", x, got)
		}
		if a["shadowed"] != "outer" || a["b"] != b["b"] || a["when"] != b["when"] || a["bytes"] != b["bytes"] {
			t.Fatalf("%v: the other fields changed: %s", x, got)
		}
	}
	if b, err := MarshalIndent(map[string]float64{"x": math.NaN()}, "", " "); err != nil || string(b) != "{\n \"x\": null\n}" {
		t.Fatalf("MarshalIndent: %s %v", b, err)
	}
}

func reflectOf(v any) reflect.Value { return reflect.ValueOf(v) }
