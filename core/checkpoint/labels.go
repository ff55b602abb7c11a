package checkpoint

import (
	"path/filepath"
	"strings"
)

// labelKeys are the metadata that tell two trained models apart, in the
// order a label names them.
var labelKeys = []struct{ key, name string }{
	{"preset", ""}, {"batch", "batch"}, {"lr", "lr"}, {"optimizer", ""}, {"momentum", "momentum"},
	{"weight_decay", "weight decay"}, {"epochs", "epochs"}, {"seed", "seed"},
}

// Labels names a and b by what differs between them, "batch 32" and
// "batch 2048", so two models read apart in panels, lists and captions
// where their files may both be model.safetensors; failing that, by the
// shortest ends of their paths that differ.
func Labels(a, b *Checkpoint) (string, string) {
	var la, lb []string
	for _, k := range labelKeys {
		va, vb := a.Meta[k.key], b.Meta[k.key]
		if va == vb || va == "" || vb == "" {
			continue
		}
		if k.name != "" {
			va, vb = k.name+" "+va, k.name+" "+vb
		}
		la, lb = append(la, va), append(lb, vb)
		if len(la) == 2 {
			break
		}
	}
	if len(la) > 0 {
		return strings.Join(la, ", "), strings.Join(lb, ", ")
	}
	return DistinctNames(a.Path, b.Path)
}

// DistinctNames shortens two paths to their last elements, as many as it
// takes for the two to differ ("lr-0.1/model.safetensors").
func DistinctNames(a, b string) (string, string) {
	ea := strings.Split(filepath.ToSlash(a), "/")
	eb := strings.Split(filepath.ToSlash(b), "/")
	for n := 1; n <= max(len(ea), len(eb)); n++ {
		sa := strings.Join(ea[max(len(ea)-n, 0):], "/")
		sb := strings.Join(eb[max(len(eb)-n, 0):], "/")
		if sa != sb {
			return sa, sb
		}
	}
	return a, b
}
