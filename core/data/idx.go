package data

import (
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

	// Side is the image height and width basin's models take.
	Side = 28
	// Pixels is the number of pixels in one image.
	Pixels = Side * Side

	maxItems = 10_000_000 // refuse absurd headers before allocating
)

// ErrFormat is wrapped by every error about a malformed IDX file.
var ErrFormat = errors.New("not a valid IDX file")

// decompress returns the raw IDX bytes, un-gzipping when the data starts
// with the gzip magic number.
func decompress(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
	}
	// A limit keeps a gzip bomb from exhausting memory: the largest valid
	// file is a header plus maxItems 28x28 images.
	out, err := io.ReadAll(io.LimitReader(zr, 16+maxItems*Pixels+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
	}
	return out, nil
}

// ParseImages decodes an IDX3 image file (gzip or raw) of 28x28 images and
// returns the pixels, one byte each, image after image.
func ParseImages(b []byte) (pixels []byte, n int, err error) {
	b, err = decompress(b)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 16 {
		return nil, 0, fmt.Errorf("%w: %d bytes is shorter than the 16-byte image header", ErrFormat, len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != magicImages {
		return nil, 0, fmt.Errorf("%w: magic number 0x%08x, want 0x%08x for images", ErrFormat, m, magicImages)
	}
	count := binary.BigEndian.Uint32(b[4:])
	rows, cols := binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
	if rows != Side || cols != Side {
		return nil, 0, fmt.Errorf("%w: images are %dx%d, want %dx%d", ErrFormat, rows, cols, Side, Side)
	}
	if count > maxItems {
		return nil, 0, fmt.Errorf("%w: header claims %d images", ErrFormat, count)
	}
	want := int(count) * Pixels
	if body := len(b) - 16; body < want {
		return nil, 0, fmt.Errorf("%w: truncated: header says %d images (%d bytes) but the body has %d bytes", ErrFormat, count, want, body)
	}
	return b[16 : 16+want], int(count), nil
}

// ParseLabels decodes an IDX1 label file (gzip or raw).
func ParseLabels(b []byte) ([]uint8, error) {
	b, err := decompress(b)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the 8-byte label header", ErrFormat, len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != magicLabels {
		return nil, fmt.Errorf("%w: magic number 0x%08x, want 0x%08x for labels", ErrFormat, m, magicLabels)
	}
	count := binary.BigEndian.Uint32(b[4:])
	if count > maxItems {
		return nil, fmt.Errorf("%w: header claims %d labels", ErrFormat, count)
	}
	if body := len(b) - 8; body < int(count) {
		return nil, fmt.Errorf("%w: truncated: header says %d labels but the body has %d bytes", ErrFormat, count, body)
	}
	labels := b[8 : 8+int(count)]
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("%w: label %d at index %d is not a digit class 0-9", ErrFormat, l, i)
		}
	}
	return labels, nil
}
