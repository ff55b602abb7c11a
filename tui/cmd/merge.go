package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// runMerge is basin merge: the parts of a sharded scan into one surface.
func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", "basin merge part-0.npz part-1.npz … [--wait 1h --shards N] --out plane.npz", stdout)
	out := outFlag(fs, "the merged .npz, like --out plane.npz", "the merged surface (.npz) to write (required)")
	wait := fs.Duration("wait", 0, "wait up to this long (like 24h) for every shard's part to be complete, checking every 10 s: for a merge job started beside the shards")
	shards := fs.Int("shards", 0, "with --wait: how many parts to wait for (default: the n of the parts' i/n)")
	var paths, flagArgs []string
	for i := 0; i < len(args); i++ { // the parts may come before, between or after the flags
		a := args[i]
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
			paths = append(paths, a)
		case !strings.Contains(a, "=") && slices.Contains([]string{"-out", "--out", "-wait", "--wait", "-shards", "--shards"}, a) && i+1 < len(args):
			flagArgs = append(flagArgs, a, args[i+1])
			i++
		default:
			flagArgs = append(flagArgs, a)
		}
	}
	if err := parse(fs, flagArgs); err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("name the parts to merge, like: basin merge parts/part-*.npz --out plane.npz")
	}
	if err := out.required(); err != nil {
		return err
	}
	if f, err := surface.FormatFor(out.Path, ""); err != nil || f != surface.NPZ {
		return usagef("--out %q: the merged surface is an .npz (convert it with scan flags later)", out.Path)
	}
	if err := out.writable(); err != nil {
		return err
	}
	if *shards < 0 || *shards > scan.MaxShards {
		return usagef("--shards %d: use 1 to %d (or leave it out: the parts say)", *shards, scan.MaxShards)
	}
	if err := notAPart(out.Path, paths); err != nil {
		return err
	}
	if *wait > 0 {
		if err := waitForParts(ctx, paths, *shards, *wait, stderr); err != nil {
			return err
		}
	}
	paths = expand(paths)
	if len(paths) == 0 {
		return usagef("no parts match: %s", strings.Join(fs.Args(), " "))
	}
	if err := notAPart(out.Path, paths); err != nil { // a pattern may have matched it
		return err
	}
	m, n, err := mergeParts(paths)
	if err != nil {
		return err
	}
	merged, missing := m.Result()
	if err := surface.Save(out.Path, surface.NPZ, merged); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "merged %d parts of %d shards: %d of %d points, into %s\n", len(paths), n, merged.Computed(), merged.Len(), out.Path)
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "%d points are missing (rerun those shards with --resume, or run basin scan2d --resume --out %s):\n%s\n",
			len(missing), out.Path, scan.DescribeMissing(merged, missing, n, 20))
		return fmt.Errorf("the merge is incomplete: %d of %d points missing", len(missing), merged.Len())
	}
	printSummary(stdout, merged, surface.DefaultThreshold)
	return nil
}

// mergeParts reads the parts one at a time (memory stays at two parts)
// into a merger, checking each is a part of the same split; n is the
// split's number of shards.
func mergeParts(paths []string) (m *scan.Merger, n int, err error) {
	for _, p := range paths {
		s, err := surface.LoadWithDirections(p)
		if err != nil {
			return nil, 0, usage(err)
		}
		if s.Meta.Shard == nil {
			return nil, 0, usagef("%s is not a shard's part (no shard in its metadata): merge the parts of one basin scan2d --shard run", p)
		}
		if n != 0 && s.Meta.Shard.N != n {
			return nil, 0, usagef("%s is shard %s, the others are of %d: parts of two different splits", p, s.Meta.Shard, n)
		}
		n = s.Meta.Shard.N
		if m == nil {
			m = scan.NewMerger(s)
		} else if err := m.Add(s); err != nil {
			return nil, 0, usagef("%s: %v", p, err)
		}
	}
	return m, n, nil
}

// notAPart refuses an --out that is one of the parts (or a pattern that
// matches it): a failed merge would overwrite its own input.
func notAPart(out string, parts []string) error {
	st, err := os.Stat(out)
	for _, p := range expand(parts) {
		if p == out || filepath.Clean(p) == filepath.Clean(out) {
			return usagef("--out %s is one of the parts: write the merge to a new file", out)
		}
		if err == nil {
			if pst, perr := os.Stat(p); perr == nil && os.SameFile(st, pst) {
				return usagef("--out %s is the part %s: write the merge to a new file", out, p)
			}
		}
	}
	return nil
}

// expand globs the arguments that hold patterns (a merge job's shell may
// not, and parts appear while it waits).
func expand(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.ContainsAny(p, "*?[") {
			m, _ := filepath.Glob(p)
			out = append(out, m...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// waitForParts polls until the parts named are all there and complete
// (each has every point of its shard), or the wait is over.
func waitForParts(ctx context.Context, paths []string, want int, wait time.Duration, stderr io.Writer) error {
	deadline := time.Now().Add(wait)
	for {
		done, n, status, err := partsDone(expand(paths), want)
		if err != nil {
			return usage(err)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for the parts: %s", wait, status)
		}
		fmt.Fprintf(stderr, "waiting: %s (%d shards)\n", status, n)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(10*time.Second, time.Until(deadline)+time.Millisecond)):
		}
	}
}

// partsDone reports whether want (or the parts' own n) complete parts are
// there, with a line saying how far they are. A part whose metadata is
// unusable is an error at once: waiting will not mend it.
func partsDone(paths []string, want int) (bool, int, string, error) {
	complete, n := 0, want
	for _, p := range paths {
		s, err := surface.Load(p)
		if errors.Is(err, surface.ErrMetadata) {
			return false, 0, "", err
		}
		if err != nil || s.Meta.Shard == nil {
			continue // being written, or not a part
		}
		if n == 0 {
			n = s.Meta.Shard.N
		}
		if s.Computed() == len(scan.ShardPoints(s.Alpha.N, s.NY(), *s.Meta.Shard)) {
			complete++
		}
	}
	status := fmt.Sprintf("%d of %d parts complete", complete, n)
	return n > 0 && complete >= n, n, status, nil
}
