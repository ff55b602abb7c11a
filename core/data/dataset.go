package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/assets"
	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/rng"
)

// Normalization constants of MNIST's training set, as in PyTorch's example.
const (
	Mean = 0.1307
	Std  = 0.3081
)

// Classes is the number of MNIST's labels.
const Classes = 10

// Split names one half of a data set.
type Split string

// The two splits.
const (
	Train Split = "train"
	Test  Split = "test"
)

// ParseSplit validates a split name.
func ParseSplit(s string) (Split, error) {
	switch Split(s) {
	case Train, Test:
		return Split(s), nil
	}
	return "", fmt.Errorf("unknown split %q: use train or test", s)
}

// Shape is an image's channels, height and width.
type Shape struct{ C, H, W int }

// MNISTShape is the shape of MNIST's images (and its family's).
var MNISTShape = Shape{C: 1, H: Side, W: Side}

// Size is the number of values of one image.
func (s Shape) Size() int { return s.C * s.H * s.W }

func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// ParseShape reads a shape written as Shape.String writes it, "3x32x32".
func ParseShape(s string) (Shape, error) {
	var sh Shape
	parts := strings.Split(s, "x")
	if len(parts) != 3 {
		return sh, fmt.Errorf("%q is not C×H×W like 3x32x32", s)
	}
	dims := []*int{&sh.C, &sh.H, &sh.W}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > MaxSide {
			return sh, fmt.Errorf("%q is not C×H×W like 3x32x32 (each 1 to %d)", s, MaxSide)
		}
		*dims[i] = v
	}
	return sh, nil
}

// Dataset is a labelled set of images, C×H×W each, channel-major. Pixels
// stay bytes when the data set has bytes (a quarter of the memory of
// floats: MNIST's training split is 47 MB, not 188 MB) and are normalized
// as they are copied into a batch; float images (.npz) are kept as
// floats, taken to be in [0,1] as bytes/255 are.
type Dataset struct {
	Shape   Shape
	Classes int       // every label is below it
	Pixels  []uint8   // N×Shape.Size() bytes, image-major; nil with Values
	Values  []float32 // float images, when Pixels is nil
	Labels  []uint8
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// Source is a data set with its train and test splits.
type Source struct {
	Name        string // "mnist (embedded)", the directory or the file
	Path        string // what Load was given: "" for the embedded MNIST
	Train, Test *Dataset
	// Norm is the data set's own normalization: per channel, the mean and
	// standard deviation of its training split's pixels in [0,1] (MNIST's
	// usual constants for the embedded MNIST).
	Norm Norm
}

// Shape is the shape of the source's images.
func (s *Source) Shape() Shape { return s.Train.Shape }

// Classes is the number of classes of the source: one more than its
// largest label in either split.
func (s *Source) Classes() int { return max(s.Train.Classes, s.Test.Classes) }

// Split returns the named split.
func (s *Source) Split(sp Split) *Dataset {
	if sp == Test {
		return s.Test
	}
	return s.Train
}

var fileNames = map[string]string{
	"train images": "train-images-idx3-ubyte",
	"train labels": "train-labels-idx1-ubyte",
	"test images":  "t10k-images-idx3-ubyte",
	"test labels":  "t10k-labels-idx1-ubyte",
}

// LoadEmbedded returns the MNIST data set shipped inside the binary.
func LoadEmbedded() (*Source, error) {
	sub, err := fs.Sub(assets.MNIST, "mnist")
	if err != nil {
		return nil, err
	}
	src, err := loadIDX(sub, "mnist (embedded)")
	if err != nil {
		return nil, err
	}
	src.Norm = MNISTNorm()
	return src, nil
}

// LoadDir reads the data set in dir: CIFAR-10 or CIFAR-100 in their
// binary format (data_batch_1.bin … test_batch.bin, or train.bin and
// test.bin), else MNIST's IDX layout (the four MNIST file names, each
// gzip-compressed or not).
func LoadDir(dir string) (*Source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("data path %s is not a directory: give a directory of IDX files or CIFAR batches, or an .npz file", dir)
	}
	fsys := atomicfile.DirFS(dir)
	if layout, ok := cifarLayout(fsys); ok {
		return loadCIFAR(fsys, dir, layout)
	}
	return loadIDX(fsys, dir)
}

// Load returns the data set at path, what every --data flag means: the
// embedded MNIST when path is "", an .npz file, or a directory LoadDir
// reads.
func Load(path string) (*Source, error) {
	if path == "" {
		src, err := LoadEmbedded()
		if err != nil {
			return nil, fmt.Errorf("load embedded MNIST: %w", err)
		}
		return src, nil
	}
	load := LoadDir
	if strings.HasSuffix(strings.ToLower(path), ".npz") {
		load = LoadNpz
	}
	src, err := load(path)
	if err != nil {
		return nil, err
	}
	src.Path = path
	return src, nil
}

func loadIDX(fsys fs.FS, name string) (*Source, error) {
	// open finds a file under its plain or .gz name.
	open := func(key string) (fs.File, string, error) {
		base := fileNames[key]
		for _, n := range []string{base + ".gz", base} {
			f, err := fsys.Open(n)
			if err == nil {
				return f, n, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, n, fmt.Errorf("read data set: %w", err) // err names the file
			}
		}
		return nil, base, fmt.Errorf("%s: no %s file (%s or %s.gz)", name, key, base, base)
	}
	split := func(prefix string) (*Dataset, error) {
		f, in, err := open(prefix + " images")
		if err != nil {
			return nil, err
		}
		px, n, shape, err := ReadImages(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(name, in), err)
		}
		f, ln, err := open(prefix + " labels")
		if err != nil {
			return nil, err
		}
		labels, err := ReadLabels(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(name, ln), err)
		}
		if len(labels) != n {
			return nil, fmt.Errorf("%s: %d labels for %d images in %s", filepath.Join(name, ln), len(labels), n, in)
		}
		return newDataset(shape, px, nil, labels), nil
	}
	train, err := split("train")
	if err != nil {
		return nil, err
	}
	test, err := split("test")
	if err != nil {
		return nil, err
	}
	return newSource(name, train, test)
}

// newSource checks that the splits agree and computes the data set's
// normalization from its training split.
func newSource(name string, train, test *Dataset) (*Source, error) {
	if train.Shape != test.Shape {
		return nil, fmt.Errorf("%s: training images are %v but test images %v", name, train.Shape, test.Shape)
	}
	if train.Len() == 0 {
		return nil, fmt.Errorf("%s: the training split has no images", name)
	}
	src := &Source{Name: name, Train: train, Test: test}
	src.Norm = train.Stats()
	return src, nil
}

func newDataset(shape Shape, pixels []byte, values []float32, labels []uint8) *Dataset {
	d := &Dataset{Shape: shape, Pixels: pixels, Values: values, Labels: append([]uint8(nil), labels...)}
	for _, l := range labels {
		d.Classes = max(d.Classes, int(l)+1)
	}
	return d
}

// SampleIndices picks n distinct image indices of a split of size total with
// the seed, sorted ascending. The same (total, n, seed) always gives the
// same images: this is how `basin eval` and a scan agree.
func SampleIndices(total, n int, seed uint64) ([]int, error) {
	if n <= 0 {
		return nil, fmt.Errorf("samples must be at least 1, got %d", n)
	}
	if n > total {
		return nil, fmt.Errorf("%d samples asked but the split has only %d images", n, total)
	}
	idx := rng.New(seed, rng.StreamSample).Perm(total)[:n]
	sort.Ints(idx)
	return idx, nil
}

// Subset copies the given images into a new Dataset of the same shape
// and classes.
func (d *Dataset) Subset(idx []int) *Dataset {
	n := d.Shape.Size()
	out := &Dataset{Shape: d.Shape, Classes: d.Classes, Labels: make([]uint8, 0, len(idx))}
	for _, i := range idx {
		if d.Pixels != nil {
			out.Pixels = append(out.Pixels, d.Pixels[i*n:(i+1)*n]...)
		} else {
			out.Values = append(out.Values, d.Values[i*n:(i+1)*n]...)
		}
		out.Labels = append(out.Labels, d.Labels[i])
	}
	return out
}
