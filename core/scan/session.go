package scan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/basin-dev/basin/core/build"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
)

// Session is one scan from settings to a saved surface: the directions
// and images drawn (NewSession), the centre evaluated, the points
// computed coarse to fine, the surface saved every SaveEvery and when the
// scan ends, finished or not. The headless commands and the app both run
// their scans through it, so they save, resume and fail alike.
type Session struct {
	Job     Job
	Surface *surface.Surface // filled by Run; read it only from Run's sink or after Run

	// Out names the file to save into. It is asked once, at the first
	// save, so a scan stopped before its first point leaves no file and
	// takes no name; callers check beforehand that the place is writable
	// (atomicfile.CheckWritable). Nil never saves.
	Out       func() (string, error)
	Format    string        // surface.NPZ (default), CSV or JSON
	SaveEvery time.Duration // 0: only when the scan ends
	// Centre is the value at θ* when the caller already knows it for the
	// same checkpoint and images; nil evaluates it.
	Centre *model.Result
	// Replaced, if set, tells a cancelled scan that the user replaced it
	// (a zoom, a pan) rather than stopped it: if it has not saved yet it
	// is dropped, not saved, so a session of quick moves does not leave a
	// file per move. Nil saves every cancelled scan.
	Replaced func() bool

	file string
}

// NewSession draws the directions and evaluation images of a scan of ck
// on src. Nothing is evaluated yet.
func NewSession(ck *checkpoint.Checkpoint, src *data.Source, st Settings) (*Session, error) {
	job, s, err := Prepare(ck, src, st)
	if err != nil {
		return nil, err
	}
	s.Meta.Version = build.Version
	return &Session{Job: job, Surface: s}, nil
}

// NewTrajectorySession is NewSessionOn for a trajectory's PCA plane: the
// surface is of kind "trajectory" and records the components' explained
// variance and the runs' paths on the plane.
func NewTrajectorySession(ck *checkpoint.Checkpoint, src *data.Source, st Settings, d, e model.Params, explained []float64, paths []surface.Path) (*Session, error) {
	ss, err := NewSessionOn(ck, src, st, d, e, "pca")
	if err != nil {
		return nil, err
	}
	m := &ss.Surface.Meta
	m.Kind, m.Explained, ss.Surface.Paths = "trajectory", explained, paths
	for _, p := range paths {
		m.PathNames = append(m.PathNames, p.Name)
	}
	return ss, nil
}

// Resume keeps the points of an earlier surface made with the same
// settings; Run then computes only the rest.
func (ss *Session) Resume(old *surface.Surface) error {
	if err := ss.Surface.SameSettings(old); err != nil {
		return err
	}
	copy(ss.Surface.Loss, old.Loss)
	copy(ss.Surface.Acc, old.Acc)
	copy(ss.Surface.LossSE, old.LossSE)
	copy(ss.Surface.Done, old.Done)
	return nil
}

// File is where the surface was saved, "" until a save succeeded.
func (ss *Session) File() string { return ss.file }

// Run evaluates the centre (sending a progress.Centre), computes the
// missing points (sending a progress.Point each) and saves. It stops at
// once if a save fails, rather than compute what it cannot keep.
// Cancelled, it saves the points it has and returns ctx's error.
func (ss *Session) Run(ctx context.Context, sink progress.Sink) error {
	s := ss.Surface
	var path string
	save := func() error {
		if ss.Out == nil || s.Computed() == 0 {
			return nil
		}
		if path == "" {
			p, err := ss.Out()
			if err != nil {
				return err
			}
			path = p
		}
		if err := surface.Save(path, ss.Format, s); err != nil {
			return err
		}
		ss.file = path
		return nil
	}
	centre := ss.Centre
	if centre == nil {
		c, err := Centre(ss.Job)
		if err != nil {
			return err
		}
		centre = &c
	}
	s.Meta.CentreLoss, s.Meta.CentreAcc, s.Meta.CentreLossSE = centre.Loss, centre.Accuracy, centre.LossSE
	sink.Send(progress.Centre{Result: *centre})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var saveErr error
	last := time.Now()
	runErr := Run(ctx, ss.Job, s, func(e progress.Event) {
		sink.Send(e)
		if ss.SaveEvery > 0 && time.Since(last) >= ss.SaveEvery && saveErr == nil {
			if saveErr = save(); saveErr != nil {
				cancel() // computing on would only make more to lose
			}
			last = time.Now()
		}
	})
	if saveErr != nil {
		return fmt.Errorf("periodic save failed, scan stopped: %w", saveErr)
	}
	if runErr != nil && ss.file == "" && ss.Replaced != nil && ss.Replaced() {
		return runErr
	}
	if err := save(); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// HeapLimit is the soft memory limit for a process running scans with
// this many evaluators in all (0: DefaultWorkers) — a base for the
// images, weights and directions, and a share per evaluator for its
// network's activations — so that the garbage collector, given it
// (debug.SetMemoryLimit, by the program: a library sets no process-wide
// state), keeps the heap near what is live instead of letting it double:
// 96 MB and 72 MB an evaluator; a standard 2D scan on two workers peaks
// at 257 MB, no slower than with no limit.
func HeapLimit(evaluators int) int64 {
	if evaluators <= 0 {
		evaluators = DefaultWorkers()
	}
	return 96<<20 + int64(evaluators)*72<<20
}

// NewSessionOn is NewSession on a plane given, not drawn (PrepareOn): a
// trajectory's principal directions.
func NewSessionOn(ck *checkpoint.Checkpoint, src *data.Source, st Settings, d, e model.Params, norm string) (*Session, error) {
	job, s, err := PrepareOn(ck, src, st, d, e, norm)
	if err != nil {
		return nil, err
	}
	s.Meta.Version = build.Version
	return &Session{Job: job, Surface: s}, nil
}
