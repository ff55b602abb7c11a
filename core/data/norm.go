package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Norm is a network's input normalization, per channel: a pixel p in
// [0,1] (a byte over 255, or a float image's value) becomes
// (p − Mean[c]) / Std[c]. A checkpoint records the one it was trained
// with, so every later evaluation sees the inputs training saw.
type Norm struct {
	Mean, Std []float64
}

// MNISTNorm is MNIST's usual normalization (PyTorch's example: its
// training split's mean and standard deviation, to four digits).
func MNISTNorm() Norm { return Norm{Mean: []float64{Mean}, Std: []float64{Std}} }

// Identity leaves c channels as they are (mean 0, std 1): for building an
// architecture whose layout matters and not its inputs (a surface's
// directions, a layer table).
func Identity(c int) Norm {
	n := Norm{Mean: make([]float64, c), Std: make([]float64, c)}
	for i := range n.Std {
		n.Std[i] = 1
	}
	return n
}

// Channels is the number of channels the normalization is for (0 for
// the zero Norm, which Inputs takes as MNIST's).
func (n Norm) Channels() int { return len(n.Mean) }

// String is the form --mean and --std take, "0.1307/0.3081" for one
// channel, "0.49,0.48,0.45/0.25,0.24,0.26" for three, each number in
// full (a checkpoint records it: reading it back gives the same inputs).
func (n Norm) String() string { return list(n.Mean, -1) + "/" + list(n.Std, -1) }

// Rounded is the mean and the std per channel, comma-separated, to digits
// significant digits: for people to read.
func (n Norm) Rounded(digits int) (mean, std string) {
	return list(n.Mean, digits), list(n.Std, digits)
}

func list(v []float64, digits int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', digits, 64)
	}
	return strings.Join(s, ",")
}

// Validate reports a normalization that cannot be applied to images of
// c channels.
func (n Norm) Validate(c int) error {
	if len(n.Mean) != c || len(n.Std) != c {
		return fmt.Errorf("a normalization of %d means and %d standard deviations for images of %d channels: give one of each per channel", len(n.Mean), len(n.Std), c)
	}
	for i := range n.Mean {
		if math.IsNaN(n.Mean[i]) || math.IsInf(n.Mean[i], 0) || !(n.Std[i] > 0) || math.IsInf(n.Std[i], 0) {
			return fmt.Errorf("channel %d: mean %g, std %g: the mean must be finite and the std positive", i, n.Mean[i], n.Std[i])
		}
	}
	return nil
}

// ParseNorm reads --mean and --std: comma-separated values, one per
// channel.
func ParseNorm(mean, std string) (Norm, error) {
	var n Norm
	var err error
	if n.Mean, err = parseList(mean); err != nil {
		return n, fmt.Errorf("--mean %q: %w", mean, err)
	}
	if n.Std, err = parseList(std); err != nil {
		return n, fmt.Errorf("--std %q: %w", std, err)
	}
	if len(n.Mean) != len(n.Std) {
		return n, fmt.Errorf("--mean has %d values and --std %d: give one of each per channel", len(n.Mean), len(n.Std))
	}
	return n, n.Validate(len(n.Mean))
}

func parseList(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number: use comma-separated numbers, one per channel", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// Inputs turns images into network inputs with one normalization: made
// once per network (it holds a table per channel, cheaper than a division
// per pixel), then used for every image it is given.
type Inputs struct {
	norm Norm
	lut  [][256]float32 // per channel, for byte images
}

// Inputs is the normalization ready to apply; the zero Norm is MNIST's
// (what a checkpoint that records none was trained with).
func (n Norm) Inputs() *Inputs {
	if n.Channels() == 0 {
		n = MNISTNorm()
	}
	in := &Inputs{norm: n, lut: make([][256]float32, n.Channels())}
	for c := range in.lut {
		for p := range in.lut[c] {
			in.lut[c][p] = float32((float64(p)/255 - n.Mean[c]) / n.Std[c])
		}
	}
	return in
}

// Image writes image i of d, normalized, into dst (d.Shape.Size()
// values). The normalization must have d's channels.
func (in *Inputs) Image(d *Dataset, i int, dst []float32) {
	size, plane := d.Shape.Size(), d.Shape.H*d.Shape.W
	dst = dst[:size]
	if d.Pixels != nil {
		src := d.Pixels[i*size : (i+1)*size]
		for c := range in.lut {
			lut := &in.lut[c]
			for j, p := range src[c*plane : (c+1)*plane] {
				dst[c*plane+j] = lut[p]
			}
		}
		return
	}
	src := d.Values[i*size : (i+1)*size]
	for c := range in.norm.Mean {
		m, s := float32(in.norm.Mean[c]), float32(in.norm.Std[c])
		for j, v := range src[c*plane : (c+1)*plane] {
			dst[c*plane+j] = (v - m) / s
		}
	}
}

// Stats is the data set's own normalization: per channel, the mean and
// standard deviation of its pixels in [0,1], in float64.
func (d *Dataset) Stats() Norm {
	c, plane, size := d.Shape.C, d.Shape.H*d.Shape.W, d.Shape.Size()
	sum, sq := make([]float64, c), make([]float64, c)
	hist := make([][256]int64, c) // byte images: a histogram per channel
	for i := 0; i < d.Len(); i++ {
		for ch := 0; ch < c; ch++ {
			off := i*size + ch*plane
			if d.Pixels != nil {
				h := &hist[ch]
				for _, p := range d.Pixels[off : off+plane] {
					h[p]++
				}
				continue
			}
			for _, v := range d.Values[off : off+plane] {
				sum[ch] += float64(v)
				sq[ch] += float64(v) * float64(v)
			}
		}
	}
	n := Norm{Mean: make([]float64, c), Std: make([]float64, c)}
	count := float64(d.Len() * plane)
	for ch := range n.Mean {
		for p, k := range hist[ch] {
			v := float64(p) / 255
			sum[ch] += float64(k) * v
			sq[ch] += float64(k) * v * v
		}
		m := sum[ch] / count
		n.Mean[ch] = m
		n.Std[ch] = math.Sqrt(math.Max(sq[ch]/count-m*m, 0))
		if !(n.Std[ch] > 0) {
			n.Std[ch] = 1 // a constant channel: centred, not scaled
		}
	}
	return n
}
