package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/model"
)

// Snapshot is the weights of a run after Step optimizer steps (0: the
// initialisation).
type Snapshot struct {
	Step   int
	Params model.Params
}

// MaxTrajectorySize bounds the trajectory files LoadTrajectory reads: 50
// snapshots an epoch of the standard net are 240 MB.
const MaxTrajectorySize = 4 << 30

// SaveTrajectory writes the snapshots of a run to one safetensors file,
// tensors named "step_N.<name>", atomically.
func SaveTrajectory(path string, arch model.Arch, snaps []Snapshot, meta map[string]string) error {
	var all model.Params
	steps := make([]string, len(snaps))
	for i, s := range snaps {
		steps[i] = strconv.Itoa(s.Step)
		for _, t := range s.Params {
			all = append(all, model.Tensor{Name: fmt.Sprintf("step_%d.%s", s.Step, t.Name), Shape: t.Shape, Data: t.Data})
		}
	}
	m := map[string]string{"snapshots": fmt.Sprint(len(snaps)), "snapshot_steps": strings.Join(steps, ",")}
	for k, v := range meta {
		m[k] = v
	}
	if err := Save(path, arch, all, m); err != nil {
		return fmt.Errorf("save trajectory: %w", err)
	}
	return nil
}

// LoadTrajectory reads a trajectory file, its snapshots in step order.
// Files written before per-step snapshots name them "epoch_N"; their step
// is N times the steps of an epoch (from the metadata).
func LoadTrajectory(path string) (model.Arch, []Snapshot, map[string]string, error) {
	b, err := atomicfile.ReadFile(path, MaxTrajectorySize)
	if err != nil {
		return model.Arch{}, nil, nil, fmt.Errorf("read trajectory: %w", err)
	}
	return ParseTrajectory(path, b)
}

// ParseTrajectory is LoadTrajectory of a file's bytes; path names it.
func ParseTrajectory(path string, b []byte) (model.Arch, []Snapshot, map[string]string, error) {
	h, err := readHeader(b)
	if err != nil {
		return model.Arch{}, nil, nil, fmt.Errorf("read trajectory %s: %w", path, err)
	}
	p, meta := h.shapes(), h.meta
	perEpoch := 1
	if steps, err1 := strconv.Atoi(meta["steps"]); err1 == nil {
		if epochs, err2 := strconv.Atoi(meta["epochs"]); err2 == nil && epochs > 0 {
			perEpoch = steps / epochs
		}
	}
	groups := map[int]map[string]model.Tensor{}
	prefix := map[int]string{} // step_N or epoch_N: the names in the file
	for _, t := range p {
		head, name, ok := strings.Cut(t.Name, ".")
		var step int
		switch {
		case ok && strings.HasPrefix(head, "step_"):
			step, err = strconv.Atoi(strings.TrimPrefix(head, "step_"))
		case ok && strings.HasPrefix(head, "epoch_"):
			step, err = strconv.Atoi(strings.TrimPrefix(head, "epoch_"))
			step *= perEpoch
		default:
			err = fmt.Errorf("tensor %q is not a snapshot (step_N.name)", t.Name)
		}
		if err != nil || step < 0 {
			return model.Arch{}, nil, nil, fmt.Errorf("trajectory %s: tensor %q: not a snapshot name", path, t.Name)
		}
		if groups[step] == nil {
			groups[step] = map[string]model.Tensor{}
		}
		t.Name = name
		groups[step][name] = t
		prefix[step] = head
	}
	if len(groups) == 0 {
		return model.Arch{}, nil, nil, fmt.Errorf("trajectory %s: no snapshots", path)
	}
	var snaps []Snapshot
	var arch model.Arch
	for step, g := range groups {
		var list model.Params
		for _, t := range g {
			list = append(list, t)
		}
		a, params, err := resolve("", list, meta)
		if err != nil {
			return model.Arch{}, nil, nil, fmt.Errorf("trajectory %s, step %d: %w", path, step, err)
		}
		arch = a
		snaps = append(snaps, Snapshot{Step: step, Params: params})
	}
	for _, s := range snaps { // only once every snapshot fits the architecture
		for i := range s.Params {
			s.Params[i].Name = prefix[s.Step] + "." + s.Params[i].Name
		}
		h.decode(s.Params)
		for i := range s.Params {
			_, s.Params[i].Name, _ = strings.Cut(s.Params[i].Name, ".")
		}
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Step < snaps[j].Step })
	return arch, snaps, meta, nil
}

// TrajectoryOf reads the trajectory saved beside ck. The trajectory
// records the SHA-256 of the checkpoint it was saved with; a trajectory
// of another checkpoint (one save of the pair failed, say on a full disk,
// or a file was copied over) is refused rather than drawn as this run's
// path. Trajectories written before basin recorded it are taken as they
// are.
func TrajectoryOf(ck *Checkpoint) ([]Snapshot, error) {
	path := TrajectoryPath(ck.Path)
	b, err := atomicfile.ReadFile(path, MaxTrajectorySize)
	if err != nil {
		return nil, fmt.Errorf("read trajectory: %w", err)
	}
	return TrajectoryIn(ck, path, b)
}

// TrajectoryIn is TrajectoryOf of the trajectory file's bytes (read by
// the caller from path).
func TrajectoryIn(ck *Checkpoint, path string, b []byte) ([]Snapshot, error) {
	arch, snaps, meta, err := ParseTrajectory(path, b)
	if err != nil {
		return nil, err
	}
	if sum, ok := meta[TrajectoryCheckpointKey]; ok && sum != ck.SHA256 {
		return nil, fmt.Errorf("%w: %s was saved with another version of %s (checkpoint SHA-256 %.12s…, this one %.12s…): train again to have both", ErrMismatch, path, ck.Path, sum, ck.SHA256)
	}
	if err := arch.Same(ck.Arch); err != nil {
		return nil, fmt.Errorf("%w: %s holds the run of another model than %s (%v)", ErrMismatch, path, ck.Path, err)
	}
	return snaps, nil
}

// TrajectoryCheckpointKey is the trajectory metadata holding the SHA-256
// of its checkpoint.
const TrajectoryCheckpointKey = "checkpoint_sha256"

// ErrMismatch is wrapped by the error for a trajectory that does not
// belong to its checkpoint.
var ErrMismatch = errors.New("trajectory and checkpoint do not match")

// TrajectoryPath is where the trajectory of the checkpoint at path goes.
func TrajectoryPath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".trajectory.safetensors"
}

// ReadMeta reads only a checkpoint's metadata (the header), not its
// tensors: what produced it, its sharpness track.
func ReadMeta(path string) (map[string]string, error) {
	f, err := atomicfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint metadata: %w", err)
	}
	defer f.Close()
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return nil, fmt.Errorf("read checkpoint metadata %s: %w", path, ErrFormat)
	}
	hl := binary.LittleEndian.Uint64(n[:])
	if hl > maxHeader {
		return nil, fmt.Errorf("read checkpoint metadata %s: %w: header of %d bytes", path, ErrFormat, hl)
	}
	head := make([]byte, hl)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("read checkpoint metadata %s: %w", path, ErrFormat)
	}
	var raw struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(head, &raw); err != nil {
		return nil, fmt.Errorf("read checkpoint metadata %s: %w: %v", path, ErrFormat, err)
	}
	if raw.Meta == nil {
		raw.Meta = map[string]string{}
	}
	return raw.Meta, nil
}
