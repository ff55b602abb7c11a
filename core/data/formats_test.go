package data

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/npy"
)

// cifarRecords makes n CIFAR records: label i%classes, every red pixel
// i, green 100, blue 200.
func cifarRecords(n, labelBytes, classes int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		if labelBytes == 2 {
			b = append(b, byte(i%20)) // coarse
		}
		b = append(b, byte(i%classes))
		for _, v := range []byte{byte(i), 100, 200} {
			for p := 0; p < 1024; p++ {
				b = append(b, v)
			}
		}
	}
	return b
}

func TestLoadCIFAR10And100(t *testing.T) {
	dir10 := t.TempDir()
	for i := 1; i <= 5; i++ {
		os.WriteFile(filepath.Join(dir10, "data_batch_"+string(rune('0'+i))+".bin"), cifarRecords(4, 1, 10), 0o644)
	}
	os.WriteFile(filepath.Join(dir10, "test_batch.bin"), cifarRecords(3, 1, 10), 0o644)
	src, err := Load(dir10)
	if err != nil {
		t.Fatal(err)
	}
	if src.Train.Len() != 20 || src.Test.Len() != 3 || src.Shape() != (Shape{3, 32, 32}) || src.Classes() != 4 {
		t.Fatalf("CIFAR-10: %d/%d images of %v, %d classes", src.Train.Len(), src.Test.Len(), src.Shape(), src.Classes())
	}
	// channel-major: red plane first, then green, then blue
	img := src.Train.Pixels[2*3072 : 3*3072]
	if img[0] != 2 || img[1023] != 2 || img[1024] != 100 || img[2048] != 200 {
		t.Fatalf("record 2 read as %d %d %d %d", img[0], img[1023], img[1024], img[2048])
	}
	if math.Abs(src.Norm.Mean[1]-100.0/255) > 1e-12 || src.Norm.Std[1] != 1 { // constant green: std taken as 1
		t.Fatalf("norm %v", src.Norm)
	}

	dir100 := t.TempDir()
	os.WriteFile(filepath.Join(dir100, "train.bin"), cifarRecords(120, 2, 100), 0o644)
	os.WriteFile(filepath.Join(dir100, "test.bin"), cifarRecords(5, 2, 100), 0o644)
	src, err = Load(dir100)
	if err != nil {
		t.Fatal(err)
	}
	if src.Classes() != 100 || src.Train.Labels[99] != 99 {
		t.Fatalf("CIFAR-100: %d classes, label 99 read as %d (the fine label is the second byte)", src.Classes(), src.Train.Labels[99])
	}

	os.WriteFile(filepath.Join(dir100, "test.bin"), cifarRecords(5, 2, 100)[:1000], 0o644)
	if _, err := Load(dir100); err == nil || !strings.Contains(err.Error(), "test.bin") || !strings.Contains(err.Error(), "CIFAR records") {
		t.Fatalf("a cut batch: %v", err)
	}
}

func TestLoadNpzLayouts(t *testing.T) {
	// two 2×2 RGB images stored N×H×W×C, and the same as N×C×H×W floats
	hwc := []uint8{
		0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23,
		4, 14, 24, 5, 15, 25, 6, 16, 26, 7, 17, 27,
	}
	chw := []uint8{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 4, 5, 6, 7, 14, 15, 16, 17, 24, 25, 26, 27}
	write := func(name string, x npy.Array, y npy.Array) string {
		b, err := npy.EncodeNpz([]npy.Named{{Name: "x_train", Arr: x}, {Name: "y_train", Arr: y}, {Name: "x_test", Arr: x}, {Name: "y_test", Arr: y}})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	src, err := Load(write("hwc.npz", npy.Array{Shape: []int{2, 2, 2, 3}, U8: hwc}, npy.Array{Shape: []int{2}, I64: []int64{0, 6}}))
	if err != nil {
		t.Fatal(err)
	}
	if src.Shape() != (Shape{3, 2, 2}) || src.Classes() != 7 || string(src.Train.Pixels) != string(chw) {
		t.Fatalf("N×H×W×C: %v, %d classes, pixels %v", src.Shape(), src.Classes(), src.Train.Pixels)
	}
	f := make([]float32, len(chw))
	for i, v := range chw {
		f[i] = float32(v) / 255
	}
	src, err = Load(write("chw.npz", npy.Array{Shape: []int{2, 3, 2, 2}, F32: f}, npy.Array{Shape: []int{2}, U8: []uint8{1, 2}}))
	if err != nil {
		t.Fatal(err)
	}
	// float images normalize as their bytes would
	byteSrc := &Dataset{Shape: Shape{3, 2, 2}, Pixels: chw, Labels: []uint8{1, 2}}
	n := Norm{Mean: []float64{0.1, 0.2, 0.3}, Std: []float64{0.5, 0.25, 2}}
	a, b := make([]float32, 12), make([]float32, 12)
	n.Inputs().Image(src.Train, 1, a)
	n.Inputs().Image(byteSrc, 1, b)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			t.Fatalf("value %d: float image %g, byte image %g", i, a[i], b[i])
		}
	}

	bad := []struct {
		x, y npy.Array
		want string
	}{
		{npy.Array{Shape: []int{2, 5}, U8: make([]uint8, 10)}, npy.Array{Shape: []int{2}, U8: []uint8{0, 1}}, "want N×H×W"},
		{npy.Array{Shape: []int{2, 2, 2}, U8: make([]uint8, 8)}, npy.Array{Shape: []int{3}, U8: []uint8{0, 1, 2}}, "one label per image"},
		{npy.Array{Shape: []int{2, 2, 2}, U8: make([]uint8, 8)}, npy.Array{Shape: []int{2}, I64: []int64{0, 300}}, "labels must be 0 to 255"},
		{npy.Array{Shape: []int{2, 2, 2}, F64: make([]float64, 8)}, npy.Array{Shape: []int{2}, U8: []uint8{0, 1}}, "uint8 or float32"},
	}
	for _, c := range bad {
		_, err := Load(write("bad.npz", c.x, c.y))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.npz") {
			t.Errorf("want an error naming the file and saying %q, got %v", c.want, err)
		}
	}
}

func TestStatsAndNorm(t *testing.T) {
	d := &Dataset{Shape: Shape{1, 1, 2}, Pixels: []uint8{0, 255, 255, 255}, Labels: []uint8{0, 1}}
	n := d.Stats()
	if math.Abs(n.Mean[0]-0.75) > 1e-12 || math.Abs(n.Std[0]-math.Sqrt(0.1875)) > 1e-12 {
		t.Fatalf("stats %v", n)
	}
	// the embedded MNIST's own statistics are the usual constants to four digits
	src, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	got := src.Train.Stats()
	if math.Abs(got.Mean[0]-Mean) > 1e-4 || math.Abs(got.Std[0]-Std) > 1e-4 {
		t.Fatalf("MNIST's training split: %v, want about %g/%g", got, Mean, Std)
	}
	if src.Norm.String() != "0.1307/0.3081" {
		t.Fatalf("embedded MNIST normalizes with %v", src.Norm)
	}
	px := make([]float32, Pixels) // the zero Norm is MNIST's
	Norm{}.Inputs().Image(src.Train, 0, px)
	want := make([]float32, Pixels)
	MNISTNorm().Inputs().Image(src.Train, 0, want)
	for i := range px {
		if px[i] != want[i] || px[i] != float32((float64(src.Train.Pixels[i])/255-Mean)/Std) {
			t.Fatal("the zero Norm and MNISTNorm differ, or either from (p/255 − mean)/std")
		}
	}
	for _, c := range []struct{ mean, std, want string }{
		{"0.5", "0", "std positive"}, {"0.1,0.2", "0.3", "give one of each"}, {"x", "1", "not a number"},
	} {
		if _, err := ParseNorm(c.mean, c.std); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--mean %s --std %s: %v, want %q", c.mean, c.std, err, c.want)
		}
	}
	if n, err := ParseNorm("0.49,0.48,0.45", "0.25,0.24,0.26"); err != nil || n.Channels() != 3 || n.Validate(1) == nil {
		t.Fatalf("three channels: %v %v", n, err)
	}
}
