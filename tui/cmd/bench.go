package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/basin-dev/basin/core/bench"
	"github.com/basin-dev/basin/core/gemm"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "basin bench [--quick] [--only TEXT] [--peer]", stdout)
	quick := fs.Bool("quick", false, "a short run: fewer repetitions, smaller scans (3x smaller grids)")
	only := fs.String("only", "", "run only the workloads whose name contains TEXT (the peak always runs)")
	peer := fs.Bool("peer", false, "after each workload that has one, run PyTorch on the same work (needs python3-torch)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *peer {
		if err := bench.HasPeer(); err != nil {
			return usagef("--peer: %w", err)
		}
	}
	env, err := bench.NewEnv(*quick)
	if err != nil {
		return err
	}
	if exe, err := os.Executable(); err == nil {
		env.Exe = exe // scans run as `basin scan2d` child processes
	}
	fmt.Fprintf(stderr, "basin bench: SGEMM kernel %s, %d cores\n", gemm.Active().Name, gemm.Workers)
	var results []bench.Result
	var names []string
	for i, w := range bench.Workloads() {
		if i > 0 && *only != "" && !strings.Contains(w.Name, *only) {
			continue
		}
		fmt.Fprintf(stderr, "  %s…\n", w.Name)
		r, err := w.Run(ctx, env)
		if err != nil {
			return fmt.Errorf("%s: %w", w.Name, err)
		}
		results = append(results, r)
		names = append(names, w.Name)
		if *peer && w.Peer != nil {
			who := w.PeerName
			if who == "" {
				who = "PyTorch"
			}
			fmt.Fprintf(stderr, "  %s: %s…\n", w.Name, who)
			p, err := w.Peer(ctx, env)
			if err != nil {
				return fmt.Errorf("%s: %w", w.Name, err)
			}
			results = append(results, p)
			names = append(names, who)
			fmt.Fprintf(stderr, "  %s: basin %.2fx %s's speed\n", w.Name, p.Elapsed.Seconds()/r.Elapsed.Seconds(), who)
		}
	}
	fmt.Fprint(stdout, bench.Report(results, names))
	return nil
}
