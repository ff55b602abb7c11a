package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
)

// Shards cover the grid once, are balanced, and keep the coarse-to-fine
// order inside each.
func TestShardsSplitTheGrid(t *testing.T) {
	for _, c := range []struct{ nx, ny, n int }{{21, 21, 4}, {5, 5, 3}, {51, 1, 7}, {3, 3, 9}, {4, 6, 1}} {
		order := Order(c.nx, c.ny)
		pos := map[int]int{}
		for j, k := range order {
			pos[k] = j
		}
		seen := map[int]bool{}
		lo, hi := len(order), 0
		owner := ShardOf(c.nx, c.ny, c.n)
		for i := 0; i < c.n; i++ {
			pts := ShardPoints(c.nx, c.ny, surface.Shard{I: i, N: c.n})
			lo, hi = min(lo, len(pts)), max(hi, len(pts))
			for j, k := range pts {
				if seen[k] || owner[k] != i {
					t.Fatalf("%v: point %d twice, or owner %d not %d", c, k, owner[k], i)
				}
				seen[k] = true
				if j > 0 && pos[k] < pos[pts[j-1]] {
					t.Fatalf("%v shard %d: not in coarse-to-fine order", c, i)
				}
			}
		}
		if len(seen) != c.nx*c.ny || hi-lo > 1 {
			t.Fatalf("%v: %d of %d points, shard sizes %d to %d", c, len(seen), c.nx*c.ny, lo, hi)
		}
	}
}

func runToFile(t *testing.T, ck *checkpoint.Checkpoint, st Settings, path string) {
	t.Helper()
	ss, err := NewSession(ck, source, st)
	if err != nil {
		t.Fatal(err)
	}
	ss.Out = func() (string, error) { return path, nil }
	if err := ss.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// A plane scanned in three shards and merged is the file one process
// writes, byte for byte; a missing shard is named; parts that do not
// belong together are refused, each with its reason.
func TestShardsMergeToTheWholeScan(t *testing.T) {
	fixture(t, true, 3) // loads the data
	arch, _ := model.Preset("small")
	ck := &checkpoint.Checkpoint{Path: "test", Arch: arch, Params: arch.Init(4), SHA256: "x"}
	st := Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 7}, Beta: surface.Axis{Min: -0.5, Max: 0.5, N: 5},
		Direction: direction.Spec{Seed: 1, Norm: direction.Filter}, SampleSeed: 1, Split: data.Train, Samples: 30, Workers: 2}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.npz")
	runToFile(t, ck, st, whole)
	var parts []*surface.Surface
	for i := 0; i < 3; i++ {
		part := st
		part.Shard = &surface.Shard{I: i, N: 3}
		path := filepath.Join(dir, "part-"+string(rune('0'+i))+".npz")
		runToFile(t, ck, part, path)
		s, err := surface.LoadWithDirections(path)
		if err != nil || s.Meta.Shard == nil || s.Meta.Shard.I != i || s.Computed() != len(ShardPoints(7, 5, *part.Shard)) {
			t.Fatalf("part %d: %v %+v", i, err, s.Meta.Shard)
		}
		parts = append(parts, s)
	}
	merged, missing, err := Merge(parts)
	if err != nil || len(missing) != 0 {
		t.Fatalf("merge: %v, missing %v", err, missing)
	}
	out := filepath.Join(dir, "merged.npz")
	if err := surface.Save(out, surface.NPZ, merged); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Fatalf("merged file (%d bytes) differs from the whole scan (%d bytes)", len(b), len(a))
	}

	_, missing, err = Merge(parts[:2])
	if err != nil || len(missing) != len(ShardPoints(7, 5, surface.Shard{I: 2, N: 3})) {
		t.Fatalf("two of three: %v, %d missing", err, len(missing))
	}
	if d := DescribeMissing(parts[0], missing, 3, 5); !strings.HasPrefix(d, "shard 2/3: ") {
		t.Errorf("missing described as %q", d)
	}

	other := st
	other.Shard = &surface.Shard{I: 2, N: 3}
	other.Alpha.N = 9
	regrid := filepath.Join(dir, "regrid.npz")
	runToFile(t, ck, other, regrid)
	rg, _ := surface.LoadWithDirections(regrid)
	ck2 := *ck
	ck2.SHA256 = "y"
	other = st
	other.Shard = &surface.Shard{I: 2, N: 3}
	alien := filepath.Join(dir, "alien.npz")
	runToFile(t, &ck2, other, alien)
	al, _ := surface.LoadWithDirections(alien)
	for _, c := range []struct {
		parts []*surface.Surface
		want  string
	}{
		{[]*surface.Surface{parts[0], parts[1], rg}, "alpha range"},
		{[]*surface.Surface{parts[0], parts[1], al}, "checkpoint"},
		{[]*surface.Surface{parts[0], parts[1], parts[1]}, "both computed"},
	} {
		_, _, err := Merge(c.parts)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want a one-line %q refusal, got %v", c.want, err)
		}
	}

	// A shard killed part way and rerun with resume computes only the rest.
	part := st
	part.Shard = &surface.Shard{I: 1, N: 3}
	ss, _ := NewSession(ck, source, part)
	half := ShardPoints(7, 5, *part.Shard)[:5]
	for _, k := range half {
		ss.Surface.Record(k, model.Result{Loss: parts[1].Loss[k], Accuracy: parts[1].Acc[k], LossSE: parts[1].LossSE[k]})
	}
	again, _ := NewSession(ck, source, part)
	if err := again.Resume(ss.Surface); err != nil {
		t.Fatal(err)
	}
	var computed []int
	if err := Run(context.Background(), again.Job, again.Surface, func(e progressEvent) {
		if p, ok := pointOf(e); ok {
			computed = append(computed, p)
		}
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range half {
		if slices.Contains(computed, k) {
			t.Fatalf("resumed shard recomputed point %d", k)
		}
	}
	if len(computed) != len(ShardPoints(7, 5, *part.Shard))-5 {
		t.Fatalf("resumed shard computed %d points", len(computed))
	}
}

type progressEvent = progress.Event

func pointOf(e progress.Event) (int, bool) {
	p, ok := e.(progress.Point)
	return p.Index, ok
}
