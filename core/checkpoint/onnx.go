package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/onnx"
)

// IsONNX reports whether path names an ONNX model (by its extension).
func IsONNX(path string) bool { return strings.EqualFold(filepath.Ext(path), ".onnx") }

// parseONNX reads an ONNX model as a checkpoint: its graph mapped onto
// basin's layers, its initializers the parameters under their own names.
// The file records no input normalization: Fits gives it the data set's
// own unless SetNorm gave one first.
func parseONNX(path string, b []byte) (*Checkpoint, error) {
	m, err := onnx.ParseModel(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	im, err := onnx.Import(m, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a := im.Arch
	if a.Classes < 2 {
		s := a.Shapes()
		return nil, fmt.Errorf("%s gives %v values per image: basin reads a classifier, whose graph ends in logits (N×classes)", path, s[len(s)-1])
	}
	a.Preset = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if IsPretrained(path) {
		a.Preset = strings.TrimPrefix(a.Preset, PretrainedPrefix)
	}
	sum := sha256.Sum256(b)
	meta := map[string]string{"format": "onnx", "preset": a.Preset, "onnx_output": im.Output.String(),
		"onnx_opset": strconv.Itoa(m.Opset)}
	if m.Producer != "" {
		meta["onnx_producer"] = m.Producer
	}
	return &Checkpoint{Path: path, Arch: a, Params: im.Params, Meta: meta, SHA256: hex.EncodeToString(sum[:])}, nil
}

// SetNorm sets how pixels become the model's inputs (scaled to [0, 1],
// then per channel (x − mean)/std), replacing what the file records.
func (c *Checkpoint) SetNorm(n data.Norm) error {
	if err := n.Validate(c.Arch.Input.C); err != nil {
		return fmt.Errorf("%s: %w", c.Path, err)
	}
	c.Arch.Norm = n
	c.Meta["norm"] = n.String()
	c.NormFrom = "given"
	return nil
}

// NormNote says how the inputs are normalised when the file did not say
// (for commands to print), "" when it did.
func (c *Checkpoint) NormNote() string {
	mean, std := c.Arch.Norm.Rounded(4)
	switch c.NormFrom {
	case "":
		return ""
	case "given":
		return fmt.Sprintf("%s: inputs scaled to [0,1], then normalised with the given mean %s and std %s", c.Path, mean, std)
	}
	return fmt.Sprintf("%s: inputs scaled to [0,1], then normalised with the mean %s and std %s of the training images of %s (give --mean and --std for the model's own)",
		c.Path, mean, std, c.NormFrom)
}

// needsNorm reports whether the model records no normalization of its
// own (an ONNX file) and none was set.
func (c *Checkpoint) needsNorm() bool { return c.Meta["format"] == "onnx" && c.Meta["norm"] == "" }

// normFrom gives the model d's own normalization, saying so in NormFrom.
func (c *Checkpoint) normFrom(name string, d *data.Dataset) {
	n := d.Stats()
	for i := range n.Std {
		if n.Std[i] == 0 {
			n.Std[i] = 1 // a constant channel: nothing to scale
		}
	}
	c.Arch.Norm = n
	c.Meta["norm"] = n.String()
	c.NormFrom = name
}
