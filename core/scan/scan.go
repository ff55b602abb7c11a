package scan

import (
	"context"
	"fmt"
	"sync"
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
	Workers int         // 0 means one per core
	Pool    *model.Pool // evaluators to borrow; nil: the scan builds and frees its own
	// Tied moves along E with α too (β = α, a 1D scan): θ = Theta + α·D +
	// α·E, each value summed in float64 then rounded, so that with D = −θA
	// and E = θB the points t = 0 and t = 1 are θA and θB exactly.
	Tied bool
	// Shard, when set, limits the scan to that part of the grid
	// (ShardPoints); nil computes every point.
	Shard *surface.Shard
	// Nice, above 0, runs each worker on an OS thread of its own at that
	// niceness (Linux; elsewhere nothing changes): the threads that draw
	// an interactive screen, and the terminal's, get the cores first, and
	// the scan loses nothing while they are idle.
	Nice int
}

// pool returns the job's pool, or a private one and a func that frees it.
func (job Job) pool() (*model.Pool, func()) {
	if job.Pool != nil {
		return job.Pool, func() {}
	}
	p := model.NewPool(job.Arch, DefaultWorkers())
	return p, p.Close
}

// Centre evaluates θ* itself on the job's images.
func Centre(job Job) (model.Result, error) {
	pool, free := job.pool()
	defer free()
	ev := pool.Get()
	defer pool.Put(ev)
	ev.Params.CopyFrom(job.Theta)
	r, err := ev.Evaluate(job.Eval)
	if err != nil {
		return r, fmt.Errorf("evaluate centre: %w", err)
	}
	return r, nil
}

type result struct {
	k   int
	r   model.Result
	err error
}

// evaluatePoints is a worker: it evaluates each point it is handed with
// ev and sends the result, until the points run out or ctx ends.
func evaluatePoints(ctx context.Context, job Job, s *surface.Surface, ev *model.Evaluator, jobs <-chan int, results chan<- result) {
	for k := range jobs {
		a, b := s.Coord(k)
		if job.Tied {
			b = a
		}
		ev.Params.Combine(job.Theta, a, job.D, b, job.E)
		r, err := ev.Evaluate(job.Eval)
		if err != nil {
			err = fmt.Errorf("evaluate point (α=%g, β=%g): %w", a, b, err)
		}
		select {
		case results <- result{k: k, r: r, err: err}:
		case <-ctx.Done():
			return
		}
	}
}

// feed hands the points out in order, then closes jobs; it stops handing
// out once ctx ends.
func feed(ctx context.Context, todo []int, jobs chan<- int) {
	defer close(jobs)
	for _, k := range todo {
		// Checked first: select picks at random among ready cases, so a
		// cancelled feeder could otherwise still hand out points.
		if ctx.Err() != nil {
			return
		}
		select {
		case jobs <- k:
		case <-ctx.Done():
			return
		}
	}
}

// Run computes the missing points of s, coarse to fine, and records them
// in s as they arrive. It returns when every point is done, on the first
// error, or when ctx is cancelled (returning ctx.Err() with the points
// done so far recorded). Sink is called from Run's own goroutine, in
// the order results arrive, so it may read s (and save it) safely.
// Run returns only after every worker has stopped and handed back its
// evaluator, so nothing it started outlives it.
func Run(ctx context.Context, job Job, s *surface.Surface, sink progress.Sink) error {
	workers := job.Workers
	if workers <= 0 {
		workers = DefaultWorkers()
	}
	order := Order(s.Alpha.N, s.NY())
	if job.Shard != nil {
		order = ShardPoints(s.Alpha.N, s.NY(), *job.Shard)
	}
	todo := Filter(order, func(k int) bool { return !s.Done[k] })
	if len(todo) == 0 {
		return nil
	}
	workers = min(workers, len(todo))
	pool, free := job.pool()
	defer free()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	// Room for one result per worker: a worker never blocks on its last
	// send, so after a cancel every worker finishes its point and exits.
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if job.Nice > 0 {
				lowerPriority(job.Nice) // this goroutine's thread ends with it
			}
			ev := pool.Get()
			defer pool.Put(ev)
			// The cores are shared out between the workers: with one per
			// core, each evaluation runs on one goroutine.
			ev.SetWorkers(max(1, DefaultWorkers()/workers))
			evaluatePoints(ctx, job, s, ev, jobs, results)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		feed(ctx, todo, jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	start := time.Now()
	done, total := s.Computed(), s.Computed()+len(todo) // a shard's total is its own points
	var firstErr error
	// Read until the workers are gone and the channel is closed: results
	// that arrive after a cancel are still recorded, none is left behind.
	for r := range results {
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
				cancel()
			}
			continue
		}
		s.Record(r.k, r.r)
		done++
		if ctx.Err() != nil {
			continue // kept, but a stopped scan reports nothing more
		}
		a, b := s.Coord(r.k)
		sink.Send(progress.Point{
			Index: r.k, I: r.k / s.NY(), J: r.k % s.NY(), Alpha: a, Beta: b,
			Loss: r.r.Loss, Acc: r.r.Accuracy, LossSE: r.r.LossSE, Done: done, Total: total, Elapsed: time.Since(start),
		})
	}
	if firstErr != nil {
		return firstErr
	}
	if done < total {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
