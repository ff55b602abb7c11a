package scan

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
)

// Job is what a scan evaluates: θ* of an architecture moved along D (and E
// for a plane), on a fixed set of images.
type Job struct {
	Arch    model.Arch
	Theta   model.Params // never modified
	D, E    model.Params // E nil for a 1D scan
	Eval    *data.Dataset
	Workers int // 0 means one per core
}

// Centre evaluates θ* itself on the job's images.
func Centre(job Job) (model.Result, error) {
	ev := model.NewEvaluator(job.Arch, job.Theta.Clone())
	r, err := ev.Evaluate(job.Eval)
	if err != nil {
		return r, fmt.Errorf("evaluate centre: %w", err)
	}
	return r, nil
}

type result struct {
	k         int
	loss, acc float64
	err       error
}

// Run computes the missing points of s, coarse to fine, and records them
// in s as they arrive. It returns when every point is done, on the first
// error, or when ctx is cancelled (returning ctx.Err() with the points
// done so far recorded). Sink is called from Run's own goroutine, in
// the order results arrive, so it may read s (and save it) safely.
func Run(ctx context.Context, job Job, s *surface.Surface, sink progress.Sink) error {
	workers := job.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	todo := Filter(Order(s.Alpha.N, s.NY()), func(k int) bool { return !s.Done[k] })
	if len(todo) == 0 {
		return nil
	}
	workers = min(workers, len(todo))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	results := make(chan result, workers)
	for w := 0; w < workers; w++ {
		go func() {
			ev := model.NewEvaluator(job.Arch, nil)
			for k := range jobs {
				a, b := s.Coord(k)
				ev.Params.Combine(job.Theta, a, job.D, b, job.E)
				r, err := ev.Evaluate(job.Eval)
				if err != nil {
					err = fmt.Errorf("evaluate point (α=%g, β=%g): %w", a, b, err)
				}
				results <- result{k: k, loss: r.Loss, acc: r.Accuracy, err: err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, k := range todo {
			select {
			case jobs <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	start := time.Now()
	done, total := s.Computed(), s.Len()
	pending := len(todo)
	var firstErr error
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			if r.err != nil {
				if firstErr == nil {
					firstErr = r.err
					cancel()
				}
				continue
			}
			s.Set(r.k, r.loss, r.acc)
			done++
			a, b := s.Coord(r.k)
			sink.Send(progress.Point{
				Index: r.k, I: r.k / s.NY(), J: r.k % s.NY(), Alpha: a, Beta: b,
				Loss: r.loss, Acc: r.acc, Done: done, Total: total, Elapsed: time.Since(start),
			})
		case <-ctx.Done():
			// Stop waiting for points never sent; drain those in flight.
			if firstErr != nil {
				return firstErr
			}
			return ctx.Err()
		}
	}
	return firstErr
}
