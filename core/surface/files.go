package surface

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/jsonfloat"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/npy"
)

// Formats a surface can be written in.
const (
	NPZ  = "npz"
	CSV  = "csv"
	JSON = "json"
)

// FormatFor picks the format: the explicit one if given, else the file's
// extension, else npz.
func FormatFor(path, explicit string) (string, error) {
	f := explicit
	if f == "" {
		f = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
		if f != CSV && f != JSON {
			f = NPZ
		}
	}
	switch f {
	case NPZ, CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use npz, csv or json", explicit)
}

// Save writes the surface atomically in the given format.
func Save(path, format string, s *Surface) error {
	s.Tally()
	var b []byte
	var err error
	switch format {
	case CSV:
		b = s.csv()
	case JSON:
		b, err = s.json()
	default:
		b, err = s.npz()
	}
	if err != nil {
		return fmt.Errorf("encode surface %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("save surface: %w", err)
	}
	return nil
}

func (s *Surface) prefix() string {
	if s.Meta.Split == "test" {
		return "test"
	}
	return "train"
}

func (s *Surface) npz() ([]byte, error) {
	arrays, err := s.arrays("")
	if err != nil {
		return nil, err
	}
	return npy.EncodeNpz(arrays)
}

// arrays are the surface's .npz arrays, each name prefixed.
func (s *Surface) arrays(prefix string) ([]npy.Named, error) {
	meta, err := jsonfloat.Marshal(s.Meta)
	if err != nil {
		return nil, err
	}
	shape := []int{s.Alpha.N}
	if s.Is2D() {
		shape = append(shape, s.Beta.N)
	}
	done := make([]uint8, len(s.Done))
	for i, d := range s.Done {
		if d {
			done[i] = 1
		}
	}
	idx := make([]int64, len(s.EvalIndices))
	for i, v := range s.EvalIndices {
		idx[i] = int64(v)
	}
	arrays := []npy.Named{
		{Name: "xcoordinates", Arr: npy.Array{Shape: []int{s.Alpha.N}, F64: s.Alpha.Coords()}},
		{Name: s.prefix() + "_loss", Arr: npy.Array{Shape: shape, F64: s.Loss}},
		{Name: s.prefix() + "_acc", Arr: npy.Array{Shape: shape, F64: s.Acc}},
		{Name: s.prefix() + "_loss_se", Arr: npy.Array{Shape: shape, F64: s.LossSE}},
		{Name: "computed", Arr: npy.Array{Shape: shape, U8: done}},
		{Name: "eval_indices", Arr: npy.Array{Shape: []int{len(idx)}, I64: idx}},
		{Name: "metadata", Arr: npy.Array{Str: string(meta)}},
	}
	if s.Is2D() {
		arrays = append(arrays, npy.Named{Name: "ycoordinates", Arr: npy.Array{Shape: []int{s.Beta.N}, F64: s.Beta.Coords()}})
	}
	if s.TestLoss != nil && s.prefix() == "train" {
		arrays = append(arrays, npy.Named{Name: "test_loss", Arr: npy.Array{Shape: shape, F64: s.TestLoss}},
			npy.Named{Name: "test_acc", Arr: npy.Array{Shape: shape, F64: s.TestAcc}}, npy.Named{Name: "test_loss_se", Arr: npy.Array{Shape: shape, F64: s.TestLossSE}})
	}
	for i, p := range s.Paths {
		steps := make([]int64, len(p.Steps))
		for j, v := range p.Steps {
			steps[j] = int64(v)
		}
		n := []int{len(p.Steps)}
		name := fmt.Sprintf("path_%d_", i)
		arrays = append(arrays, npy.Named{Name: name + "step", Arr: npy.Array{Shape: n, I64: steps}}, npy.Named{Name: name + "x", Arr: npy.Array{Shape: n, F64: p.X}},
			npy.Named{Name: name + "y", Arr: npy.Array{Shape: n, F64: p.Y}}, npy.Named{Name: name + "offplane", Arr: npy.Array{Shape: n, F64: p.Off}})
	}
	for _, dir := range []struct {
		prefix string
		p      model.Params
	}{{"xdirection", s.D}, {"ydirection", s.E}} {
		for _, t := range dir.p {
			arrays = append(arrays, npy.Named{Name: dir.prefix + "/" + t.Name, Arr: npy.Array{Shape: t.Shape, F32: t.Data}})
		}
	}
	for i := range arrays {
		arrays[i].Name = prefix + arrays[i].Name
	}
	return arrays, nil
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (s *Surface) csv() []byte {
	var b bytes.Buffer
	b.WriteString("alpha,beta,loss,accuracy,loss_se")
	if s.TestLoss != nil {
		b.WriteString(",test_loss,test_accuracy,test_loss_se")
	}
	b.WriteString("\n")
	for k := range s.Loss {
		a, bt := s.Coord(k)
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s", fmtFloat(a), fmtFloat(bt), fmtFloat(s.Loss[k]), fmtFloat(s.Acc[k]), fmtFloat(s.LossSE[k]))
		if s.TestLoss != nil {
			fmt.Fprintf(&b, ",%s,%s,%s", fmtFloat(s.TestLoss[k]), fmtFloat(s.TestAcc[k]), fmtFloat(s.TestLossSE[k]))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// jsonFloats encodes NaN and ±Inf as null, which JSON cannot hold.
type jsonFloats []float64

func (f jsonFloats) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, v := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

func (s *Surface) json() ([]byte, error) {
	out := map[string]any{
		"metadata":              s.Meta,
		"xcoordinates":          jsonFloats(s.Alpha.Coords()),
		s.prefix() + "_loss":    jsonFloats(s.Loss),
		s.prefix() + "_acc":     jsonFloats(s.Acc),
		s.prefix() + "_loss_se": jsonFloats(s.LossSE),
		"eval_indices":          s.EvalIndices,
		"summary":               Summarize(s, DefaultThreshold),
	}
	if s.Is2D() {
		out["ycoordinates"] = jsonFloats(s.Beta.Coords())
	}
	if s.TestLoss != nil {
		out["test_loss"], out["test_acc"], out["test_loss_se"] = jsonFloats(s.TestLoss), jsonFloats(s.TestAcc), jsonFloats(s.TestLossSE)
	}
	return jsonfloat.MarshalIndent(out, "", " ")
}

// MaxPaths is how many runs a trajectory surface holds; maxPathPoints
// bounds each run's snapshots.
const (
	MaxPaths      = 16
	maxPathPoints = 1 << 20
)

// MaxFileSize bounds the surfaces Load reads: a 1001x1001 plane of the
// standard net with its directions is about 30 MB.
const MaxFileSize = 1 << 30

// Load reads an .npz surface written by Save.
func Load(path string) (*Surface, error) {
	s, _, err := load(path)
	return s, err
}

// load reads path and decodes its surface, returning the file's bytes
// for what else the caller reads from them.
func load(path string) (*Surface, []byte, error) {
	b, err := atomicfile.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, nil, fmt.Errorf("read surface: %w", err)
	}
	s, err := decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("read surface %s: %w", path, err)
	}
	return s, b, nil
}

func decode(b []byte) (*Surface, error) { return decodePart(b, "") }

// Decode reads a surface from the bytes of an .npz file (Load's reader
// for a caller that has the bytes already).
func Decode(b []byte) (*Surface, error) { return decode(b) }

// decodeMeta reads a part's metadata and checks what later reads rely on
// (the shard, the number of paths).
func decodeMeta(b []byte, prefix string) (Meta, error) {
	var meta Meta
	raw, err := npy.DecodeNpz(b, map[string]int64{prefix + "metadata": 1 << 20})
	if err != nil {
		return meta, err
	}
	m, ok := raw[prefix+"metadata"]
	if !ok {
		return meta, fmt.Errorf("no metadata array: not a basin surface")
	}
	if err := json.Unmarshal([]byte(m.Str), &meta); err != nil {
		return meta, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	if meta.Shard != nil {
		if err := meta.Shard.Validate(); err != nil {
			return meta, fmt.Errorf("%w: %w", ErrMetadata, err)
		}
	}
	if len(meta.PathNames) > MaxPaths {
		return meta, fmt.Errorf("%d paths: basin reads at most %d", len(meta.PathNames), MaxPaths)
	}
	return meta, nil
}

// decodeArrays inflates the arrays meta says the part has, each at most
// the size of its grid (and of its paths), keyed without the prefix.
func decodeArrays(b []byte, prefix string, meta Meta) (map[string]npy.Array, error) {
	points := int64(meta.Alpha.N)
	if meta.Beta != nil {
		points *= int64(max(meta.Beta.N, 1))
	}
	points = min(max(points, 0), MaxPoints*MaxPoints)
	limits := map[string]int64{
		"computed":   points,
		"train_loss": 8 * points, "train_acc": 8 * points, "test_loss": 8 * points, "test_acc": 8 * points,
		"train_loss_se": 8 * points, "test_loss_se": 8 * points,
		"eval_indices": 8 * data.MaxItems,
	}
	for i := range meta.PathNames {
		for _, k := range []string{"step", "x", "y", "offplane"} {
			limits[fmt.Sprintf("path_%d_%s", i, k)] = 8 * maxPathPoints
		}
	}
	named := map[string]int64{}
	for k, v := range limits {
		named[prefix+k] = v
	}
	raw, err := npy.DecodeNpz(b, named)
	if err != nil {
		return nil, err
	}
	arrays := map[string]npy.Array{}
	for k, v := range raw {
		arrays[strings.TrimPrefix(k, prefix)] = v
	}
	return arrays, nil
}

// ErrMetadata is wrapped by the error for a surface whose metadata is
// unusable (not a half-written file: one that will never do).
var ErrMetadata = errors.New("metadata")

// decodePart reads the surface whose arrays are named prefix + the usual
// names. The metadata comes first and says what else is read: arrays of
// exactly its grid's points, the paths it names; nothing else is inflated.
func decodePart(b []byte, prefix string) (*Surface, error) {
	meta, err := decodeMeta(b, prefix)
	if err != nil {
		return nil, err
	}
	arrays, err := decodeArrays(b, prefix, meta)
	if err != nil {
		return nil, err
	}
	beta := Axis{}
	if meta.Beta != nil {
		beta = *meta.Beta
	}
	if err := meta.Alpha.Validate("alpha"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	if meta.Beta != nil {
		if err := beta.Validate("beta"); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
		}
	}
	s := New(meta.Alpha, beta)
	s.Meta = meta
	p := s.prefix()
	loss, acc, done := arrays[p+"_loss"], arrays[p+"_acc"], arrays["computed"]
	if len(loss.F64) != s.Len() || len(acc.F64) != s.Len() || len(done.U8) != s.Len() {
		return nil, fmt.Errorf("%s_loss, %s_acc or computed does not hold %d points", p, p, s.Len())
	}
	copy(s.Loss, loss.F64)
	copy(s.Acc, acc.F64)
	if se, ok := arrays[p+"_loss_se"]; ok { // files before 0.2 have none: NaN
		if len(se.F64) != s.Len() {
			return nil, fmt.Errorf("%s_loss_se does not hold %d points", p, s.Len())
		}
		copy(s.LossSE, se.F64)
	}
	if tl, ok := arrays["test_loss"]; ok && p == "train" { // both splits recorded
		ta, tse := arrays["test_acc"], arrays["test_loss_se"]
		if len(tl.F64) != s.Len() || len(ta.F64) != s.Len() || len(tse.F64) != s.Len() {
			return nil, fmt.Errorf("test_loss, test_acc or test_loss_se does not hold %d points", s.Len())
		}
		s.TestLoss, s.TestAcc, s.TestLossSE = tl.F64, ta.F64, tse.F64
	}
	for i, d := range done.U8 {
		s.Done[i] = d != 0
	}
	for i, name := range meta.PathNames {
		key := fmt.Sprintf("path_%d_", i)
		st, x, y, off := arrays[key+"step"], arrays[key+"x"], arrays[key+"y"], arrays[key+"offplane"]
		if n := len(st.I64); n == 0 || len(x.F64) != n || len(y.F64) != n || len(off.F64) != n {
			return nil, fmt.Errorf("path %d (%s): its step, x, y and offplane arrays are missing or differ in length", i, name)
		}
		p := Path{Name: name, X: x.F64, Y: y.F64, Off: off.F64}
		for _, v := range st.I64 {
			p.Steps = append(p.Steps, int(v))
		}
		s.Paths = append(s.Paths, p)
	}
	for _, v := range arrays["eval_indices"].I64 {
		s.EvalIndices = append(s.EvalIndices, int(v))
	}
	return s, nil
}

// LoadWithDirections is Load plus the directions (xdirection/…,
// ydirection/…), in the layout of the surface's preset: what basin merge
// needs to write back the file one process would have written.
func LoadWithDirections(path string) (*Surface, error) {
	s, b, err := load(path)
	if err != nil {
		return nil, err
	}
	arch, err := s.Meta.Arch()
	if err != nil {
		return nil, fmt.Errorf("read surface %s: %w", path, err)
	}
	dirs := []string{"xdirection"}
	if s.Is2D() {
		dirs = append(dirs, "ydirection")
	}
	limits := map[string]int64{}
	layout := arch.NewParams()
	for _, d := range dirs {
		for _, t := range layout {
			limits[d+"/"+t.Name] = 4*int64(len(t.Data)) + 1024
		}
	}
	raw, err := npy.DecodeNpz(b, limits)
	if err != nil {
		return nil, fmt.Errorf("read surface %s: %w", path, err)
	}
	for i, d := range dirs {
		p := arch.NewParams()
		for j, t := range p {
			a, ok := raw[d+"/"+t.Name]
			if !ok || len(a.F32) != len(t.Data) {
				return nil, fmt.Errorf("read surface %s: no %s/%s of %d values", path, d, t.Name, len(t.Data))
			}
			copy(p[j].Data, a.F32)
		}
		if i == 0 {
			s.D = p
		} else {
			s.E = p
		}
	}
	return s, nil
}
