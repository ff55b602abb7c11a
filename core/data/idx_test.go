package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/atomicfile"
)

func idxImages(magic uint32, n, rows, cols uint32, body int) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, rows)
	b = binary.BigEndian.AppendUint32(b, cols)
	return append(b, make([]byte, body)...)
}

func idxLabels(magic uint32, n uint32, labels []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestParseImagesErrors(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{0, 0, 8}, "shorter than"},
		{"magic", idxImages(0x801, 1, 28, 28, Pixels), "magic number"},
		{"size", idxImages(magicImages, 1, 0, 32, 0), "images are 0x32"},
		{"huge", idxImages(magicImages, 1, 2000, 28, 0), "images are 2000x28"},
		{"too many bytes", idxImages(magicImages, 900_000, 1024, 1024, 0), "bytes basin reads"},
		{"truncated", idxImages(magicImages, 3, 28, 28, 2*Pixels), "truncated"},
		{"bad gzip", []byte{0x1f, 0x8b, 1, 2, 3}, "gzip"},
	}
	for _, c := range cases {
		_, _, _, err := ParseImages(c.b)
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an ErrFormat saying %q", c.name, err, c.want)
		}
	}
	px, n, shape, err := ParseImages(gz(idxImages(magicImages, 2, 28, 28, 2*Pixels)))
	if err != nil || n != 2 || len(px) != 2*Pixels || shape != MNISTShape {
		t.Fatalf("gzip images: n=%d len=%d err=%v", n, len(px), err)
	}
}

func TestParseLabelsErrors(t *testing.T) {
	if _, err := ParseLabels(idxLabels(magicImages, 1, []byte{1})); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("wrong magic: %v", err)
	}
	if _, err := ParseLabels(idxLabels(magicLabels, 5, []byte{1, 2})); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	if l, err := ParseLabels(idxLabels(magicLabels, 1, []byte{61})); err != nil || l[0] != 61 { // EMNIST has 62 classes
		t.Errorf("label 61: %v %v", l, err)
	}
	l, err := ParseLabels(idxLabels(magicLabels, 3, []byte{1, 2, 9}))
	if err != nil || len(l) != 3 {
		t.Fatalf("labels: %v %v", l, err)
	}
}

// A directory in MNIST's layout loads, raw or gzip, and a count mismatch
// names the file.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := idxImages(magicImages, 2, 28, 28, 2*Pixels)
	img[16] = 255
	write("train-images-idx3-ubyte.gz", gz(img))
	write("train-labels-idx1-ubyte", idxLabels(magicLabels, 2, []byte{3, 4}))
	write("t10k-images-idx3-ubyte", idxImages(magicImages, 1, 28, 28, Pixels))
	write("t10k-labels-idx1-ubyte", idxLabels(magicLabels, 1, []byte{7}))
	src, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if src.Train.Len() != 2 || src.Test.Len() != 1 || src.Test.Labels[0] != 7 {
		t.Fatalf("loaded %d/%d images", src.Train.Len(), src.Test.Len())
	}
	// Pixel 255 normalizes to (1-mean)/std, pixel 0 to -mean/std.
	px := make([]float32, Pixels)
	MNISTNorm().Inputs().Image(src.Train, 0, px)
	if got, want := px[0], float32((1-Mean)/Std); got != want {
		t.Errorf("pixel 255 → %v, want %v", got, want)
	}
	if got, want := px[1], float32(-Mean/Std); got != want {
		t.Errorf("pixel 0 → %v, want %v", got, want)
	}
	write("t10k-labels-idx1-ubyte", idxLabels(magicLabels, 2, []byte{7, 1}))
	_, err = LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte") || !strings.Contains(err.Error(), "2 labels for 1 images") {
		t.Fatalf("count mismatch: %v", err)
	}
}

func TestEmbeddedMNIST(t *testing.T) {
	src, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	if src.Train.Len() != 60000 || src.Test.Len() != 10000 {
		t.Fatalf("MNIST has %d/%d images, want 60000/10000", src.Train.Len(), src.Test.Len())
	}
}

func TestSampleIndices(t *testing.T) {
	a, _ := SampleIndices(100, 10, 5)
	b, _ := SampleIndices(100, 10, 5)
	c, _ := SampleIndices(100, 10, 6)
	if len(a) != 10 || !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatalf("same seed must give same images, another seed others: %v %v %v", a, b, c)
	}
	for i := 1; i < len(a); i++ {
		if a[i] <= a[i-1] {
			t.Fatalf("indices not sorted and distinct: %v", a)
		}
	}
	if _, err := SampleIndices(100, 101, 1); err == nil {
		t.Fatal("more samples than images must fail")
	}
}

func FuzzParseImages(f *testing.F) {
	f.Add(idxImages(magicImages, 1, 28, 28, Pixels))
	f.Add(gz(idxImages(magicImages, 1, 28, 28, Pixels)))
	f.Add(idxImages(magicImages, 0xffffffff, 28, 28, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		px, n, shape, err := ParseImages(b)
		if err == nil && len(px) != n*shape.Size() {
			t.Fatalf("%d pixels for %d images", len(px), n)
		}
	})
}

func FuzzParseLabels(f *testing.F) {
	f.Add(idxLabels(magicLabels, 2, []byte{1, 2}))
	f.Add(gz(idxLabels(magicLabels, 1, []byte{1})))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseLabels(b)
	})
}

// A gzip bomb behind a modest header costs only what the header declares:
// 2 images are read from a stream that would inflate to 256 MB.
func TestReadersStopAtTheDeclaredSize(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(idxImages(magicImages, 2, 28, 28, 0))
	zero := make([]byte, 1<<20)
	for i := 0; i < 256; i++ {
		zw.Write(zero)
	}
	zw.Close()
	r := &countingReader{r: bytes.NewReader(buf.Bytes())}
	px, n, _, err := ReadImages(r)
	if err != nil || n != 2 || len(px) != 2*Pixels {
		t.Fatalf("n=%d len=%d err=%v", n, len(px), err)
	}
	if r.n > 64<<10 {
		t.Fatalf("read %d compressed bytes for 2 images", r.n)
	}
	_, _, _, err = ParseImages(idxImages(magicImages, MaxItems+1, 28, 28, 0))
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("header over MaxItems: %v", err)
	}
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n += k
	return k, err
}

// A data directory whose files are endless (here /dev/zero) is refused
// at once instead of read forever: not a regular file.
func TestLoadDirRefusesEndlessFiles(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	for _, n := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		if err := os.Symlink("/dev/zero", filepath.Join(dir, n)); err != nil {
			t.Skip(err)
		}
	}
	_, err := LoadDir(dir)
	if !errors.Is(err, atomicfile.ErrNotRegular) {
		t.Fatalf("got %v, want a not-a-regular-file error", err)
	}
	if _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("--data /dev/zero: %v", err)
	}
}
