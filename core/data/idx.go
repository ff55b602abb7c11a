package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	magicImages = 0x00000803 // unsigned bytes, 3 dimensions
	magicLabels = 0x00000801 // unsigned bytes, 1 dimension

	// Side is the height and width of MNIST's images.
	Side = 28
	// Pixels is the number of pixels in one MNIST image.
	Pixels = Side * Side
	// MaxSide bounds an image's height and width.
	MaxSide = 1024
	// MaxBytes bounds the pixel bytes of one split: more than EMNIST's
	// largest (547 MB).
	MaxBytes = 1 << 30
)

// ErrFormat is wrapped by every error about a malformed IDX file.
var ErrFormat = errors.New("not a valid IDX file")

// MaxItems is the most images or labels an IDX file may declare: more than
// EMNIST's largest split (697,932). Every reader allocates only what the
// header declares and the file really holds, so a hostile file costs at
// most MaxBytes, never more.
const MaxItems = 1_000_000

// open returns a reader of the raw IDX bytes, un-gzipping when the data
// starts with the gzip magic number.
func open(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil // short files fail on their header below
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
	}
	return zr, nil
}

// readBody reads exactly n declared bytes, growing the buffer as data
// arrives, so a header that lies about its size costs only what is there.
func readBody(r io.Reader, n int, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if len(b) < n {
		return nil, fmt.Errorf("%w: truncated: header says %s (%d bytes) but the body has %d bytes", ErrFormat, what, n, len(b))
	}
	return b, nil
}

func readHeader(r io.Reader, n int, what string) ([]byte, error) {
	h := make([]byte, n)
	if k, err := io.ReadFull(r, h); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d bytes is shorter than the %d-byte %s header", ErrFormat, k, n, what)
		}
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return h, nil
}

// ReadImages decodes an IDX3 image file (gzip or raw) of grey images of
// any size (MNIST, Fashion-MNIST, KMNIST, EMNIST) and returns the pixels,
// one byte each, image after image, with the images' shape (one channel).
// It reads no more than the header declares.
func ReadImages(r io.Reader) (pixels []byte, n int, shape Shape, err error) {
	if r, err = open(r); err != nil {
		return nil, 0, shape, err
	}
	b, err := readHeader(r, 16, "image")
	if err != nil {
		return nil, 0, shape, err
	}
	if m := binary.BigEndian.Uint32(b); m != magicImages {
		return nil, 0, shape, fmt.Errorf("%w: magic number 0x%08x, want 0x%08x for images", ErrFormat, m, magicImages)
	}
	count := binary.BigEndian.Uint32(b[4:])
	rows, cols := binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
	if rows < 1 || cols < 1 || rows > MaxSide || cols > MaxSide {
		return nil, 0, shape, fmt.Errorf("%w: images are %dx%d: each side must be 1 to %d", ErrFormat, rows, cols, MaxSide)
	}
	if count > MaxItems {
		return nil, 0, shape, fmt.Errorf("%w: header claims %d images, more than the %d basin reads", ErrFormat, count, MaxItems)
	}
	shape = Shape{C: 1, H: int(rows), W: int(cols)}
	if int64(count)*int64(shape.Size()) > MaxBytes {
		return nil, 0, shape, fmt.Errorf("%w: header claims %d images of %v, more than the %d bytes basin reads", ErrFormat, count, shape, MaxBytes)
	}
	px, err := readBody(r, int(count)*shape.Size(), fmt.Sprintf("%d images", count))
	if err != nil {
		return nil, 0, shape, err
	}
	return px, int(count), shape, nil
}

// ParseImages is ReadImages on bytes in memory.
func ParseImages(b []byte) ([]byte, int, Shape, error) { return ReadImages(bytes.NewReader(b)) }

// ReadLabels decodes an IDX1 label file (gzip or raw), reading no more
// than the header declares.
func ReadLabels(r io.Reader) ([]uint8, error) {
	r, err := open(r)
	if err != nil {
		return nil, err
	}
	b, err := readHeader(r, 8, "label")
	if err != nil {
		return nil, err
	}
	if m := binary.BigEndian.Uint32(b); m != magicLabels {
		return nil, fmt.Errorf("%w: magic number 0x%08x, want 0x%08x for labels", ErrFormat, m, magicLabels)
	}
	count := binary.BigEndian.Uint32(b[4:])
	if count > MaxItems {
		return nil, fmt.Errorf("%w: header claims %d labels, more than the %d basin reads", ErrFormat, count, MaxItems)
	}
	return readBody(r, int(count), fmt.Sprintf("%d labels", count))
}

// ParseLabels is ReadLabels on bytes in memory.
func ParseLabels(b []byte) ([]uint8, error) { return ReadLabels(bytes.NewReader(b)) }
