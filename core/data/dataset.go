package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/basin-dev/basin/assets"
	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/rng"
)

// Normalization constants of MNIST's training set, as in PyTorch's example.
const (
	Mean = 0.1307
	Std  = 0.3081
)

// Classes is the number of labels.
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

// Dataset is a labelled set of 28x28 images. Pixels stay bytes (a quarter
// of the memory of floats: MNIST's training split is 47 MB, not 188 MB)
// and are normalized as they are copied into a batch.
type Dataset struct {
	Pixels []uint8 // N*Pixels bytes, image-major
	Labels []uint8
}

// normalized maps a pixel byte to its network input: (p/255 − mean) / std.
var normalized = func() (lut [256]float32) {
	for i := range lut {
		lut[i] = float32((float64(i)/255 - Mean) / Std)
	}
	return lut
}()

// Normalized returns the network input of a pixel byte.
func Normalized(p uint8) float32 { return normalized[p] }

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// Image writes the normalized pixels of image i into dst (Pixels values).
func (d *Dataset) Image(i int, dst []float32) {
	src := d.Pixels[i*Pixels : (i+1)*Pixels]
	dst = dst[:Pixels]
	for j, p := range src {
		dst[j] = normalized[p]
	}
}

// Source is a data set with its train and test splits.
type Source struct {
	Name        string // "mnist (embedded)" or the directory
	Train, Test *Dataset
}

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
	return load(sub, "mnist (embedded)")
}

// LoadDir reads a data set in MNIST's IDX layout from dir: the four MNIST
// file names, each gzip-compressed (".gz") or not.
func LoadDir(dir string) (*Source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("data path %s is not a directory", dir)
	}
	return load(atomicfile.DirFS(dir), dir)
}

// Load returns the data set in dir, or the embedded MNIST when dir is
// "": what every --data flag means.
func Load(dir string) (*Source, error) {
	if dir == "" {
		src, err := LoadEmbedded()
		if err != nil {
			return nil, fmt.Errorf("load embedded MNIST: %w", err)
		}
		return src, nil
	}
	return LoadDir(dir)
}

func load(fsys fs.FS, name string) (*Source, error) {
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
		px, n, err := ReadImages(f)
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
		return newDataset(px, labels), nil
	}
	train, err := split("train")
	if err != nil {
		return nil, err
	}
	test, err := split("test")
	if err != nil {
		return nil, err
	}
	return &Source{Name: name, Train: train, Test: test}, nil
}

func newDataset(pixels []byte, labels []uint8) *Dataset {
	return &Dataset{Pixels: pixels, Labels: append([]uint8(nil), labels...)}
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

// Subset copies the given images into a new Dataset.
func (d *Dataset) Subset(idx []int) *Dataset {
	out := &Dataset{Pixels: make([]uint8, 0, len(idx)*Pixels), Labels: make([]uint8, 0, len(idx))}
	for _, i := range idx {
		out.Pixels = append(out.Pixels, d.Pixels[i*Pixels:(i+1)*Pixels]...)
		out.Labels = append(out.Labels, d.Labels[i])
	}
	return out
}
