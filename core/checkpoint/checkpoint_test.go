package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/model"
)

func TestRoundTrip(t *testing.T) {
	arch, _ := model.Preset("small")
	p := arch.Init(1)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, arch, p, map[string]string{"seed": "1"}); err != nil {
		t.Fatal(err)
	}
	ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Arch.Preset != "small" || ck.Meta["seed"] != "1" || len(ck.SHA256) != 64 {
		t.Fatalf("metadata lost: %+v %v", ck.Meta, ck.Arch.Preset)
	}
	for i := range p {
		for j, v := range p[i].Data {
			if ck.Params[i].Data[j] != v {
				t.Fatalf("%s[%d] = %v, saved %v", p[i].Name, j, ck.Params[i].Data[j], v)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left beside the checkpoint: %v", entries)
	}
}

// pytorchFile builds a safetensors file the way safetensors.torch.save_file
// does for a state_dict: only {"format": "pt"} metadata, tensors laid out
// in an order other than the model's, some of them F16.
func pytorchFile(t *testing.T, p model.Params, f16 string) []byte {
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var body []byte
	// reverse order: the reader must go by name, not position
	for i := len(p) - 1; i >= 0; i-- {
		tn := p[i]
		start := len(body)
		dtype := "F32"
		for _, v := range tn.Data {
			if tn.Name == f16 {
				dtype = "F16"
				body = binary.LittleEndian.AppendUint16(body, toHalf(v))
			} else {
				body = binary.LittleEndian.AppendUint32(body, math.Float32bits(v))
			}
		}
		header[tn.Name] = map[string]any{"dtype": dtype, "shape": tn.Shape, "data_offsets": []int{start, len(body)}}
	}
	h, _ := json.Marshal(header)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), body...)
}

// toHalf converts values exactly representable in float16 (test data).
func toHalf(v float32) uint16 {
	b := math.Float32bits(v)
	if v == 0 {
		return uint16(b >> 16)
	}
	return uint16(b>>16)&0x8000 | uint16(((b>>23)&0xff)-112)<<10 | uint16(b>>13)&0x3ff
}

func TestLoadsPyTorchStateDict(t *testing.T) {
	arch, _ := model.Preset("standard")
	p := arch.NewParams()
	for i := range p {
		for j := range p[i].Data {
			p[i].Data[j] = float32(j%7) * 0.25
		}
	}
	path := filepath.Join(t.TempDir(), "torch.safetensors")
	if err := os.WriteFile(path, pytorchFile(t, p, "fc2.bias"), 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Arch.Preset != "standard" {
		t.Fatalf("recognized as %s", ck.Arch.Preset)
	}
	for i := range p {
		if ck.Params[i].Name != p[i].Name || ck.Params[i].Data[5] != p[i].Data[5] {
			t.Fatalf("tensor %d: %s %v, want %s %v", i, ck.Params[i].Name, ck.Params[i].Data[5], p[i].Name, p[i].Data[5])
		}
	}
}

func TestOtherArchitectureNamesTheMisfit(t *testing.T) {
	arch, _ := model.Preset("small")
	p := arch.NewParams()
	p[4].Shape, p[4].Data = []int{64, 784}, make([]float32, 64*784) // fc1.weight too wide
	path := filepath.Join(t.TempDir(), "odd.safetensors")
	os.WriteFile(path, pytorchFile(t, p, ""), 0o644)
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "fc1.weight") || !strings.Contains(err.Error(), "[64 784]") {
		t.Fatalf("got %v, want an error naming fc1.weight and its shape", err)
	}
	// Metadata recording an architecture is checked against it.
	if err := Save(path, arch, p, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "architecture small: tensor fc1.weight") {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":         nil,
		"huge header":   binary.LittleEndian.AppendUint64(nil, 1<<40),
		"bad json":      append(binary.LittleEndian.AppendUint64(nil, 3), "{x}"...),
		"short body":    mk(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8),
		"wrong dtype":   mk(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8),
		"shape/offsets": mk(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8),
	} {
		if _, _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func mk(header string, body int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, body)...)
}

func FuzzDecode(f *testing.F) {
	arch, _ := model.Preset("mlp")
	good, _ := Encode(arch.Init(1), map[string]string{"preset": "mlp"})
	f.Add(good)
	f.Add(mk(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add(mk(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := Decode(b)
		if err == nil {
			resolve("", p, nil)
		}
	})
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A thousand tensors on one 1 MB region decoded to a thousand copies
// (2 GB for a 1 MB file): overlapping offsets are refused first.
func TestOverlappingTensorsAreRefused(t *testing.T) {
	const n, size = 1000, 1 << 20
	var h strings.Builder
	h.WriteString("{")
	for i := range n {
		if i > 0 {
			h.WriteString(",")
		}
		fmt.Fprintf(&h, `"t%d":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}`, i, size/4, size)
	}
	h.WriteString("}")
	b := mk(h.String(), size)
	var err error
	got := allocated(func() { _, err = Parse("overlap.safetensors", b) })
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("err = %v, want a format error about overlapping tensors", err)
	}
	if got > 64<<20 {
		t.Fatalf("refusing the file allocated %d MB", got>>20)
	}
}

// A file whose tensors fit no architecture is refused on its header: no
// value is decoded (a 64 MB tensor of the wrong name costs nothing).
func TestArchitectureIsCheckedBeforeDecoding(t *testing.T) {
	const size = 64 << 20
	b := mk(fmt.Sprintf(`{"huge":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`, size/4, size), size)
	var err error
	got := allocated(func() { _, err = Parse("huge.safetensors", b) })
	if err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("err = %v, want a misfit", err)
	}
	if got > size/4 {
		t.Fatalf("refusing the file allocated %d MB: tensors were decoded before the architecture was checked", got>>20)
	}
}

// Two models are labelled by the settings that differ, else by the ends
// of their paths that differ.
func TestLabels(t *testing.T) {
	ck := func(path string, meta map[string]string) *Checkpoint {
		return &Checkpoint{Path: path, Meta: meta}
	}
	for _, c := range []struct {
		a, b   *Checkpoint
		la, lb string
	}{
		{ck("bs/a/model.safetensors", map[string]string{"batch": "32", "lr": "0.05", "seed": "1"}),
			ck("bs/b/model.safetensors", map[string]string{"batch": "2048", "lr": "0.05", "seed": "1"}), "batch 32", "batch 2048"},
		{ck("x/model.safetensors", map[string]string{"lr": "0.1", "seed": "1", "optimizer": "sgd"}),
			ck("y/model.safetensors", map[string]string{"lr": "0.001", "seed": "2", "optimizer": "adam"}), "lr 0.1, sgd", "lr 0.001, adam"},
		{ck("runs/1/model.safetensors", nil), ck("runs/2/model.safetensors", nil), "1/model.safetensors", "2/model.safetensors"},
		{ck("pretrained:small", nil), ck("m.safetensors", nil), "pretrained:small", "m.safetensors"},
	} {
		if la, lb := Labels(c.a, c.b); la != c.la || lb != c.lb {
			t.Errorf("%s, %s: got %q %q, want %q %q", c.a.Path, c.b.Path, la, lb, c.la, c.lb)
		}
	}
}
