package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/assets"
	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
)

// Checkpoint is a model's weights with what produced them.
type Checkpoint struct {
	Path   string
	Arch   model.Arch
	Params model.Params
	Meta   map[string]string // preset, seed, optimizer, lr, epochs, test_accuracy, …
	SHA256 string            // of the file's bytes
	// NormFrom says where the normalization came from when the file did
	// not record one (an ONNX model): "given" (SetNorm) or the name of the
	// data set whose own it is (Fits); "" when the file recorded it.
	NormFrom string
}

// Save writes params and metadata to path atomically. The preset is
// recorded in the metadata.
func Save(path string, arch model.Arch, p model.Params, meta map[string]string) error {
	_, err := SaveSum(path, arch, p, meta)
	return err
}

// SaveSum is Save, returning the SHA-256 of the bytes written (what
// Load reports as the checkpoint's SHA256).
func SaveSum(path string, arch model.Arch, p model.Params, meta map[string]string) (string, error) {
	m := map[string]string{"format": "pt"}
	for k, v := range meta {
		m[k] = v
	}
	for k, v := range archMeta(arch) { // the architecture trained, not what meta says
		m[k] = v
	}
	b, err := Encode(p, m)
	if err != nil {
		return "", fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// MaxFileSize bounds the checkpoints Load reads: the largest preset in
// float64 is under 10 MB.
const MaxFileSize = 256 << 20

// Load reads a checkpoint. The architecture comes from the "preset",
// "input", "classes" and "norm" metadata when present (a file without the
// last three is an MNIST model), else from the tensor shapes (a PyTorch
// state_dict of an MNIST net); a file that fits no preset is an error
// naming the first tensor whose name or shape does not fit.
func Load(path string) (*Checkpoint, error) {
	b, err := atomicfile.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	return Parse(path, b)
}

// Parse reads a checkpoint from its bytes; name stands for the path.
func Parse(path string, b []byte) (*Checkpoint, error) {
	if IsONNX(path) {
		return parseONNX(path, b)
	}
	h, err := readHeader(b)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	meta := h.meta
	sum := sha256.Sum256(b)
	arch, params, err := resolve(path, h.shapes(), meta) // before decoding a value
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	h.decode(params)
	if meta == nil {
		meta = map[string]string{}
	}
	return &Checkpoint{Path: path, Arch: arch, Params: params, Meta: meta, SHA256: hex.EncodeToString(sum[:])}, nil
}

// archMeta is what a file records of its architecture.
func archMeta(a model.Arch) map[string]string {
	return map[string]string{"preset": a.Preset, "input": a.Input.String(),
		"classes": strconv.Itoa(a.Classes), "norm": a.Norm.String(), ArchKey: a.Text()}
}

// ArchKey is the metadata key of the architecture, in the architecture
// file format (model.ParseArch) with every size filled in.
const ArchKey = "arch"

// archInput reads the images, classes and normalization a file records;
// a file that records none was made for MNIST.
func archInput(meta map[string]string) (data.Shape, int, data.Norm, error) {
	in, classes, norm := data.MNISTShape, data.Classes, data.MNISTNorm()
	var err error
	if v, ok := meta["input"]; ok {
		if in, err = data.ParseShape(v); err != nil {
			return in, 0, norm, fmt.Errorf("metadata input: %w", err)
		}
	}
	if v, ok := meta["classes"]; ok {
		if classes, err = strconv.Atoi(v); err != nil || classes < 2 || classes > 256 {
			return in, 0, norm, fmt.Errorf("metadata classes %q: want 2 to 256", v)
		}
	}
	if v, ok := meta["norm"]; ok {
		mean, std, _ := strings.Cut(v, "/")
		if norm, err = data.ParseNorm(mean, std); err != nil {
			return in, 0, norm, fmt.Errorf("metadata norm: %w", err)
		}
	}
	return in, classes, norm, nil
}

// resolve orders the file's tensors into a preset's layout. With no preset
// named it picks the preset that fits; failing that, it reports the misfit
// against the preset that fits longest.
func resolve(path string, p model.Params, meta map[string]string) (model.Arch, model.Params, error) {
	byName := map[string]model.Tensor{}
	for _, t := range p {
		byName[t.Name] = t
	}
	in, classes, norm, err := archInput(meta)
	if err != nil {
		return model.Arch{}, nil, err
	}
	f, err := archFile(path, meta)
	if err != nil {
		return model.Arch{}, nil, err
	}
	if f != nil {
		if _, ok := meta["input"]; !ok && f.Input.C > 0 {
			in = f.Input
		}
		if _, ok := meta["classes"]; !ok && f.Classes > 0 {
			classes = f.Classes
		}
		if _, ok := meta["norm"]; !ok {
			norm = f.Norm(norm)
		}
		arch, err := f.For(in, classes, norm)
		if err != nil {
			return model.Arch{}, nil, err
		}
		if name := meta["preset"]; name != "" && meta[ArchKey] != "" {
			arch.Preset = name
		}
		params, _, err := arrange(arch, byName)
		if err != nil {
			return model.Arch{}, nil, fmt.Errorf("does not fit its architecture %s: %w", arch.Preset, err)
		}
		return arch, params, nil
	}
	candidates := model.Presets()
	if preset := meta["preset"]; preset != "" {
		candidates = []string{preset}
	}
	var bestErr error
	best := -1
	for _, name := range candidates {
		arch, err := model.PresetFor(name, in, classes, norm)
		if err != nil {
			return model.Arch{}, nil, fmt.Errorf("metadata names %w", err)
		}
		params, fit, err := arrange(arch, byName)
		if err == nil {
			return arch, params, nil
		}
		if fit > best {
			best, bestErr = fit, fmt.Errorf("does not fit preset %s: %w", name, err)
		}
	}
	return model.Arch{}, nil, bestErr
}

// archFile is the architecture a checkpoint records, or else the one in
// the file beside it (model.arch for model.safetensors: how a PyTorch
// state_dict says what it is), or nil.
func archFile(path string, meta map[string]string) (*model.File, error) {
	if text, ok := meta[ArchKey]; ok {
		return model.ParseArch("in the metadata", []byte(text))
	}
	if IsPretrained(path) || path == "" {
		return nil, nil
	}
	beside := strings.TrimSuffix(path, filepath.Ext(path)) + ".arch"
	if _, err := os.Stat(beside); err != nil {
		return nil, nil
	}
	return model.ReadArchFile(beside)
}

// arrange returns the tensors in arch's order, or how many fit before the
// first that does not.
func arrange(arch model.Arch, byName map[string]model.Tensor) (model.Params, int, error) {
	want := arch.NewParams()
	for i, w := range want {
		t, ok := byName[w.Name]
		if !ok {
			return nil, i, fmt.Errorf("tensor %s %v is missing", w.Name, w.Shape)
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(w.Shape) {
			return nil, i, fmt.Errorf("tensor %s has shape %v, want %v", w.Name, t.Shape, w.Shape)
		}
		want[i] = t
	}
	if len(byName) > len(want) {
		var extra []string
		for name := range byName {
			if !strings.HasPrefix(name, "__") && indexOf(want, name) < 0 {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			return nil, len(want), fmt.Errorf("tensor %s is not part of it", extra[0])
		}
	}
	return want, len(want), nil
}

func indexOf(p model.Params, name string) int {
	for i, t := range p {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// DataPathKey is the metadata key of the data set a model was trained on
// (an absolute path), when that was not the embedded MNIST.
const DataPathKey = "data_path"

// TrainedOn is the data set the model was trained on, "" for the
// embedded MNIST or when the file does not say: where a command given no
// --data evaluates it.
func (c *Checkpoint) TrainedOn() string { return c.Meta[DataPathKey] }

// Fits reports, in one line naming the file, whether the images of src
// fit the model: the images it was trained on and its classes. A model
// that records no normalization (an ONNX file) and was given none by
// SetNorm takes src's own here: the training split's per-channel mean
// and standard deviation (NormFrom and NormNote say so).
func (c *Checkpoint) Fits(src *data.Source) error {
	for _, d := range []*data.Dataset{src.Train, src.Test} {
		if err := c.Arch.Fits(d); err != nil {
			return fmt.Errorf("%s on %s: %w: give --data the data set it was trained on", c.Path, src.Name, err)
		}
	}
	if c.needsNorm() {
		c.normFrom(src.Name, src.Train)
	}
	return nil
}

// PretrainedPrefix names a shipped checkpoint where a path is expected:
// "pretrained:small" is the small net basin ships.
const PretrainedPrefix = "pretrained:"

// Open reads the checkpoint at path, or the shipped one that
// "pretrained:NAME" names: what every --checkpoint means.
func Open(path string) (*Checkpoint, error) {
	if preset, ok := strings.CutPrefix(path, PretrainedPrefix); ok {
		return Pretrained(preset)
	}
	return Load(path)
}

// Pretrained returns the checkpoint of a preset shipped inside basin.
func Pretrained(preset string) (*Checkpoint, error) {
	name := "pretrained/" + preset + ".safetensors"
	b, err := assets.Pretrained.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("no pretrained checkpoint for preset %q", preset)
	}
	return Parse(PretrainedPrefix+preset, b)
}

// IsPretrained reports whether path names a shipped checkpoint
// ("pretrained:NAME").
func IsPretrained(path string) bool { return strings.HasPrefix(path, PretrainedPrefix) }
