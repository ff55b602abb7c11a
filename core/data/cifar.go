package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// cifar is one of the CIFAR binary layouts: its files and the bytes of a
// record's label (CIFAR-100 gives the coarse label, then the fine one,
// which basin uses).
type cifar struct {
	name        string
	train, test []string
	labelBytes  int
}

var cifarLayouts = []cifar{
	{name: "CIFAR-10", train: []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
		test: []string{"test_batch.bin"}, labelBytes: 1},
	{name: "CIFAR-100", train: []string{"train.bin"}, test: []string{"test.bin"}, labelBytes: 2},
}

// cifarShape is a CIFAR image: 3 channels of 32×32, red, green, blue,
// each row-major, as the binary format stores them.
var cifarShape = Shape{C: 3, H: 32, W: 32}

// cifarLayout finds which CIFAR layout dir holds, by its first training
// file.
func cifarLayout(fsys fs.FS) (cifar, bool) {
	for _, l := range cifarLayouts {
		if _, err := fs.Stat(fsys, l.train[0]); err == nil {
			return l, true
		}
	}
	return cifar{}, false
}

func loadCIFAR(fsys fs.FS, dir string, l cifar) (*Source, error) {
	split := func(files []string) (*Dataset, error) {
		var px, labels []byte
		for _, name := range files {
			p, lab, err := readCIFAR(fsys, name, l.labelBytes)
			if err != nil {
				return nil, fmt.Errorf("%s (%s): %w", filepath.Join(dir, name), l.name, err)
			}
			px, labels = append(px, p...), append(labels, lab...)
		}
		return newDataset(cifarShape, px, nil, labels), nil
	}
	train, err := split(l.train)
	if err != nil {
		return nil, err
	}
	test, err := split(l.test)
	if err != nil {
		return nil, err
	}
	return newSource(dir+" ("+l.name+")", train, test)
}

// readCIFAR reads one binary batch: records of labelBytes label bytes
// and 3,072 pixel bytes.
func readCIFAR(fsys fs.FS, name string, labelBytes int) (px, labels []byte, err error) {
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, errors.New("missing: a CIFAR directory holds every batch file of its layout")
		}
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, nil, err
	}
	rec := labelBytes + cifarShape.Size()
	switch {
	case len(b) > MaxBytes:
		return nil, nil, fmt.Errorf("%w: more than the %d bytes basin reads", ErrFormat, MaxBytes)
	case len(b) == 0 || len(b)%rec != 0:
		return nil, nil, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte CIFAR records", ErrFormat, len(b), rec)
	}
	n := len(b) / rec
	px, labels = make([]byte, 0, n*cifarShape.Size()), make([]byte, n)
	for i := 0; i < n; i++ {
		r := b[i*rec : (i+1)*rec]
		labels[i] = r[labelBytes-1]
		px = append(px, r[labelBytes:]...)
	}
	return px, labels, nil
}
