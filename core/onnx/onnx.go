package onnx

import (
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/model"
)

// MaxFileSize bounds the models Read takes.
const MaxFileSize = 1 << 30

// Read reads an ONNX file and maps it onto basin's layers; errors name the
// file.
func Read(path string) (*Imported, error) {
	b, err := atomicfile.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read ONNX model: %w", err)
	}
	m, err := ParseModel(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	im, err := Import(m, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}

// Forward runs the imported graph on inputs as the file's own input takes
// them (batch×C×H×W values) and returns its output, the model's ending
// (softmax, log-softmax) applied.
func (im *Imported) Forward(x []float32, batch int) ([]float32, error) {
	y, err := model.Forward(im.Arch, im.Params, x, batch)
	if err != nil || im.Output == Logits {
		return y, err
	}
	k := len(y) / batch
	for b := range batch {
		row := y[b*k : (b+1)*k]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(sum)
		for i, v := range row {
			if im.Output == LogSoftmax {
				row[i] = float32(float64(v) - lse)
			} else {
				row[i] = float32(math.Exp(float64(v) - lse))
			}
		}
	}
	return y, nil
}
