package data

import (
	"fmt"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/npy"
)

// MaxNpzSize bounds the .npz data sets Load reads.
const MaxNpzSize = 4 << 30

// LoadNpz reads a data set from an .npz file with Keras's names: x_train,
// y_train, x_test, y_test. Images are uint8 (0–255) or float32 (taken to
// be in [0,1]), N×H×W (one channel), N×C×H×W or N×H×W×C (C of 1, 3 or
// 4); labels are integers from 0 to 255.
func LoadNpz(path string) (*Source, error) {
	b, err := atomicfile.ReadFile(path, MaxNpzSize)
	if err != nil {
		return nil, fmt.Errorf("read data set: %w", err)
	}
	limit := int64(4 * MaxBytes)
	arrays, err := npy.DecodeNpz(b, map[string]int64{"x_train": limit, "y_train": limit, "x_test": limit, "y_test": limit})
	if err != nil {
		return nil, fmt.Errorf("read data set %s: %w", path, err)
	}
	split := func(x, y string) (*Dataset, error) {
		xs, ok := arrays[x]
		ys, ok2 := arrays[y]
		if !ok || !ok2 {
			return nil, fmt.Errorf("data set %s: no %s and %s arrays: an .npz data set has x_train, y_train, x_test and y_test", path, x, y)
		}
		d, err := npzSplit(xs, ys)
		if err != nil {
			return nil, fmt.Errorf("data set %s: %s/%s: %w", path, x, y, err)
		}
		return d, nil
	}
	train, err := split("x_train", "y_train")
	if err != nil {
		return nil, err
	}
	test, err := split("x_test", "y_test")
	if err != nil {
		return nil, err
	}
	return newSource(path, train, test)
}

func npzSplit(x, y npy.Array) (*Dataset, error) {
	shape, channelsLast, err := imageShape(x.Shape)
	if err != nil {
		return nil, err
	}
	n := x.Shape[0]
	if len(x.U8) == 0 && len(x.F32) == 0 && n > 0 {
		return nil, fmt.Errorf("images must be uint8 or float32")
	}
	var labels []uint8
	switch {
	case len(y.Shape) != 1 || y.Shape[0] != n:
		return nil, fmt.Errorf("%d images but labels of shape %v: want one label per image", n, y.Shape)
	case y.U8 != nil:
		labels = y.U8
	case y.I64 != nil:
		labels = make([]uint8, n)
		for i, v := range y.I64 {
			if v < 0 || v > 255 {
				return nil, fmt.Errorf("label %d at index %d: labels must be 0 to 255", v, i)
			}
			labels[i] = uint8(v)
		}
	case n > 0:
		return nil, fmt.Errorf("labels must be integers")
	}
	px, vals := x.U8, x.F32
	if channelsLast {
		px, vals = toCHW(px, shape), toCHW(vals, shape)
	}
	return newDataset(shape, px, vals, labels), nil
}

// imageShape reads an image array's shape: N×H×W, N×C×H×W or N×H×W×C.
func imageShape(dims []int) (s Shape, channelsLast bool, err error) {
	isC := func(d int) bool { return d == 1 || d == 3 || d == 4 }
	switch {
	case len(dims) == 3:
		s = Shape{C: 1, H: dims[1], W: dims[2]}
	case len(dims) == 4 && isC(dims[1]):
		s = Shape{C: dims[1], H: dims[2], W: dims[3]}
	case len(dims) == 4 && isC(dims[3]):
		s, channelsLast = Shape{C: dims[3], H: dims[1], W: dims[2]}, true
	default:
		return s, false, fmt.Errorf("images of shape %v: want N×H×W, N×C×H×W or N×H×W×C with C 1, 3 or 4", dims)
	}
	if s.H < 1 || s.W < 1 || s.H > MaxSide || s.W > MaxSide {
		return s, false, fmt.Errorf("images of %dx%d: each side must be 1 to %d", s.H, s.W, MaxSide)
	}
	return s, channelsLast, nil
}

// toCHW reorders images stored H×W×C into C×H×W.
func toCHW[T any](v []T, s Shape) []T {
	if v == nil {
		return nil
	}
	out := make([]T, len(v))
	size, plane := s.Size(), s.H*s.W
	for i := 0; i < len(v)/size; i++ {
		img, dst := v[i*size:(i+1)*size], out[i*size:(i+1)*size]
		for p := 0; p < plane; p++ {
			for c := 0; c < s.C; c++ {
				dst[c*plane+p] = img[p*s.C+c]
			}
		}
	}
	return out
}
