package surface

import (
	"fmt"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/jsonfloat"
	"github.com/basin-dev/basin/core/npy"
)

// Part is one surface of a set file, stored under Name + "/".
type Part struct {
	Name string
	S    *Surface
}

// SaveSet writes several surfaces into one .npz atomically: each one's
// arrays (Li et al.'s names) under its part's name and a slash, like
// "a/line/train_loss", and a top-level "metadata" JSON string of meta
// saying what the set is. numpy reads it as any .npz.
func SaveSet(path string, parts []Part, meta any) error {
	var all []npy.Named
	for _, p := range parts {
		p.S.Tally()
		a, err := p.S.arrays(p.Name + "/")
		if err != nil {
			return fmt.Errorf("encode %s: %w", p.Name, err)
		}
		all = append(all, a...)
	}
	m, err := jsonfloat.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode set metadata: %w", err)
	}
	all = append(all, npy.Named{Name: "metadata", Arr: npy.Array{Str: string(m)}})
	b, err := npy.EncodeNpz(all)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("save surfaces: %w", err)
	}
	return nil
}

// LoadPart reads the surface stored under name in a file SaveSet wrote.
func LoadPart(path, name string) (*Surface, error) {
	b, err := atomicfile.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read surface: %w", err)
	}
	s, err := decodePart(b, name+"/")
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", name, path, err)
	}
	return s, nil
}
