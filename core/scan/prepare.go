package scan

import (
	"fmt"
	"runtime"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
)

// Settings are what a user chooses for a scan.
type Settings struct {
	Alpha, Beta surface.Axis // Beta.N == 0 for a 1D scan
	Direction   direction.Spec
	SampleSeed  uint64 // draws the evaluation images
	Split       data.Split
	Samples     int
	Workers     int
	Shard       *surface.Shard // part of a split scan, nil for the whole
	// Nice, above 0, runs the workers at that niceness (Job.Nice): for a
	// scan behind an interactive screen. It changes no result.
	Nice int
}

// Is2D reports whether the settings describe a plane.
func (st Settings) Is2D() bool { return st.Beta.N > 0 }

// Validate reports the first unusable setting.
func (st Settings) Validate() error {
	if err := st.Alpha.Validate("alpha"); err != nil {
		return err
	}
	if st.Is2D() {
		if err := st.Beta.Validate("beta"); err != nil {
			return err
		}
	}
	if st.Samples < 1 {
		return fmt.Errorf("samples must be at least 1, got %d", st.Samples)
	}
	if _, err := direction.ParseNorm(string(st.Direction.Norm)); err != nil {
		return err
	}
	if err := CheckWorkers(st.Workers); err != nil {
		return fmt.Errorf("workers %w", err)
	}
	if st.Shard != nil {
		if err := CheckShard(*st.Shard); err != nil {
			return err
		}
	}
	return nil
}

// EvalSet draws the evaluation images of a split with the seed: the same
// images `basin eval` uses with the same flags.
func EvalSet(src *data.Source, split data.Split, samples int, seed uint64) (*data.Dataset, []int, error) {
	d := src.Split(split)
	idx, err := data.SampleIndices(d.Len(), samples, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s split: %w", split, err)
	}
	return d.Subset(idx), idx, nil
}

// Prepare draws the evaluation images and the directions and returns the
// job and an empty surface whose metadata records everything that
// produced it. The centre is not evaluated yet (see Centre).
func Prepare(ck *checkpoint.Checkpoint, src *data.Source, st Settings) (Job, *surface.Surface, error) {
	if err := st.Validate(); err != nil {
		return Job{}, nil, err
	}
	set, idx, err := EvalSet(src, st.Split, st.Samples, st.SampleSeed)
	if err != nil {
		return Job{}, nil, err
	}
	job := Job{Arch: ck.Arch, Theta: ck.Params, Eval: set, Workers: st.Workers, Shard: st.Shard, Nice: st.Nice}
	s := surface.New(st.Alpha, st.Beta)
	s.Meta = surface.Meta{
		Kind: "1d", Checkpoint: ck.Path, CheckpointSHA: ck.SHA256, Preset: ck.Arch.Preset, Input: ck.Arch.Input.String(), Classes: ck.Arch.Classes, ArchText: ck.Arch.Text(),
		Seed: st.Direction.Seed, SampleSeed: st.SampleSeed, Norm: string(st.Direction.Norm), Biases: st.Direction.Biases,
		Split: string(st.Split), Samples: st.Samples, Data: src.Name, Alpha: st.Alpha, Shard: st.Shard,
	}
	if st.Is2D() {
		beta := st.Beta
		s.Meta.Kind, s.Meta.Beta = "2d", &beta
		job.D, job.E, s.Meta.Cosine = direction.Plane(ck.Params, st.Direction)
	} else {
		job.D = direction.New(ck.Params, st.Direction)
	}
	s.D, s.E, s.EvalIndices = job.D, job.E, idx
	return job, s, nil
}

// PrepareOn is Prepare on a plane given, not drawn: d and e as they are
// (a trajectory's principal directions), recorded with the norm name
// given. st.Direction is not used.
func PrepareOn(ck *checkpoint.Checkpoint, src *data.Source, st Settings, d, e model.Params, norm string) (Job, *surface.Surface, error) {
	if err := ck.Params.SameLayout(d); err != nil {
		return Job{}, nil, fmt.Errorf("direction: %w", err)
	}
	if err := ck.Params.SameLayout(e); err != nil {
		return Job{}, nil, fmt.Errorf("direction: %w", err)
	}
	st.Direction = direction.Spec{Norm: direction.None}
	if !st.Is2D() {
		return Job{}, nil, fmt.Errorf("a plane needs a β axis")
	}
	job, s, err := Prepare(ck, src, Settings{Alpha: st.Alpha, Beta: st.Beta, Direction: st.Direction, SampleSeed: st.SampleSeed,
		Split: st.Split, Samples: st.Samples, Workers: st.Workers})
	if err != nil {
		return Job{}, nil, err
	}
	job.D, job.E = d, e
	s.D, s.E = d, e
	s.Meta.Norm, s.Meta.Seed, s.Meta.Cosine = norm, 0, direction.Cosine(d, e)
	return job, s, nil
}

// MaxWorkers is the most parallel evaluations a scan accepts: four per
// core. More cannot be faster, and each costs an evaluator's memory
// (about 70 MB for the standard net).
func MaxWorkers() int { return 4 * runtime.NumCPU() }

// CheckWorkers says why a worker count is unusable, or nil.
func CheckWorkers(n int) error {
	if n < 0 || n > MaxWorkers() {
		return fmt.Errorf("%d: use 0 (one per core) to %d on this machine (%d cores)", n, MaxWorkers(), runtime.NumCPU())
	}
	return nil
}

// DefaultWorkers is how many evaluations run in parallel when a scan
// asks for 0: one per core.
func DefaultWorkers() int { return runtime.NumCPU() }
