package flags

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// ShardPlaceholder in --out is replaced by the shard's index, so every
// task of a job array writes its own part.
const ShardPlaceholder = "{shard}"

// Shard picks the part of a split scan this process computes: from
// --shard i/n, else from the scheduler's environment — a Slurm job array
// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN) or a
// Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with the count from
// --shards or BASIN_SHARDS). It returns nil for a whole scan, and says
// where the shard came from.
func Shard(flag string, shards int, getenv func(string) string) (*surface.Shard, string, error) {
	if flag != "" {
		i, n, ok := strings.Cut(flag, "/")
		sh, err := shardOf(i, n)
		if !ok || err != nil {
			return nil, "", fmt.Errorf("--shard %q: want i/n, like 0/8 (shards 0 to n-1)", flag)
		}
		return sh, "--shard " + flag, nil
	}
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		count, lo := getenv("SLURM_ARRAY_TASK_COUNT"), getenv("SLURM_ARRAY_TASK_MIN")
		if count == "" {
			return nil, "", fmt.Errorf("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: run under sbatch --array, or give --shard i/n")
		}
		i, err1 := strconv.Atoi(id)
		m := 0
		var err2 error
		if lo != "" {
			m, err2 = strconv.Atoi(lo)
		}
		if err1 != nil || err2 != nil {
			return nil, "", fmt.Errorf("SLURM_ARRAY_TASK_ID %q / SLURM_ARRAY_TASK_MIN %q: not numbers", id, lo)
		}
		sh, err := shardOf(strconv.Itoa(i-m), count)
		if err != nil {
			return nil, "", fmt.Errorf("Slurm array task %d of %s (min %d): %v; the array must be contiguous, like --array=0-7", i, count, m, err)
		}
		return sh, fmt.Sprintf("Slurm job array (SLURM_ARRAY_TASK_ID=%s, SLURM_ARRAY_TASK_COUNT=%s, SLURM_ARRAY_TASK_MIN=%d)", id, count, m), nil
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		count := strconv.Itoa(shards)
		from := "--shards"
		if shards == 0 {
			count, from = getenv("BASIN_SHARDS"), "BASIN_SHARDS"
		}
		if count == "" || count == "0" {
			return nil, "", fmt.Errorf("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but not the number of shards: give --shards N or BASIN_SHARDS (the Job's completions)")
		}
		sh, err := shardOf(idx, count)
		if err != nil {
			return nil, "", fmt.Errorf("Kubernetes index %s of %s: %v", idx, count, err)
		}
		return sh, fmt.Sprintf("Kubernetes Indexed Job (JOB_COMPLETION_INDEX=%s, %s=%s)", idx, from, count), nil
	}
	if shards != 0 {
		return nil, "", fmt.Errorf("--shards %d without a shard index: give --shard i/n, or run as a Kubernetes Indexed Job", shards)
	}
	return nil, "", nil
}

func shardOf(i, n string) (*surface.Shard, error) {
	a, err1 := strconv.Atoi(strings.TrimSpace(i))
	b, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("not numbers")
	}
	sh := &surface.Shard{I: a, N: b}
	return sh, scan.CheckShard(*sh)
}

// ShardOut puts the shard's index into --out's placeholder.
func ShardOut(out string, sh *surface.Shard) string {
	if sh == nil {
		return out
	}
	return strings.ReplaceAll(out, ShardPlaceholder, strconv.Itoa(sh.I))
}
