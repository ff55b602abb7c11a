package flags

import (
	"strings"
	"testing"
)

// The shard comes from --shard, else Slurm's job array, else a Kubernetes
// Indexed Job; the flag wins; what is missing or out of range is named.
func TestShardFromFlagOrScheduler(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		flag   string
		shards int
		env    map[string]string
		i, n   int
		from   string // "" when no shard; an error's text when i < 0
	}{
		{"", 0, nil, 0, 0, ""},
		{"3/8", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"}, 3, 8, "--shard"},
		{"", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "3"}, 2, 4, "Slurm job array"},
		{"", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"}, 0, 2, "SLURM_ARRAY_TASK_MIN=0"},
		{"", 0, map[string]string{"JOB_COMPLETION_INDEX": "6", "BASIN_SHARDS": "8"}, 6, 8, "Kubernetes Indexed Job"},
		{"", 10, map[string]string{"JOB_COMPLETION_INDEX": "6", "BASIN_SHARDS": "8"}, 6, 10, "--shards=10"},
		{"", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, -1, 0, "SLURM_ARRAY_TASK_COUNT is not"},
		{"", 0, map[string]string{"JOB_COMPLETION_INDEX": "1"}, -1, 0, "BASIN_SHARDS"},
		{"", 0, map[string]string{"JOB_COMPLETION_INDEX": "9", "BASIN_SHARDS": "8"}, -1, 0, "0 ≤ i < n"},
		{"8/8", 0, nil, -1, 0, "want i/n"},
		{"x", 0, nil, -1, 0, "want i/n"},
		{"", 4, nil, -1, 0, "without a shard index"},
	} {
		sh, from, err := Shard(c.flag, c.shards, func(k string) string { return c.env[k] })
		switch {
		case c.i < 0:
			if err == nil || !strings.Contains(err.Error(), c.from) {
				t.Errorf("%+v: want an error with %q, got %v", c, c.from, err)
			}
		case c.from == "":
			if sh != nil || err != nil {
				t.Errorf("%+v: got %v %v", c, sh, err)
			}
		default:
			if err != nil || sh == nil || sh.I != c.i || sh.N != c.n || !strings.Contains(from, c.from) {
				t.Errorf("%+v: got %v from %q, %v", c, sh, from, err)
			}
		}
	}
	if ShardOut("p/part-{shard}.npz", nil) != "p/part-{shard}.npz" {
		t.Error("no shard changed --out")
	}
}
