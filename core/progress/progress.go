// Package progress carries the engine's events to whoever shows them. The
// engine (training, scans) calls a Sink with each Event as it happens; the
// headless CLI prints them and the TUI turns them into screen state. The
// engine never waits on a viewer beyond the Sink call itself, so a Sink
// must return quickly (the TUI's appends to a mailbox under a lock and
// wakes the screen at most once per frame).
package progress

import (
	"time"

	"github.com/basin-dev/basin/core/model"
)

// Event is one thing the engine reports.
type Event interface{ event() }

// Sink receives events. A nil Sink discards them.
type Sink func(Event)

// Send delivers e if the sink is not nil.
func (s Sink) Send(e Event) {
	if s != nil {
		s(e)
	}
}

// Step reports one optimizer step.
type Step struct {
	Epoch, Epochs   int // 1-based epoch, and how many in all
	Step, Steps     int // 1-based step within the epoch, and steps per epoch
	Global          int // steps done in all epochs
	Loss            float64
	RunningAccuracy float64 // this epoch so far
	ImagesPerSec    float64
	Elapsed         time.Duration
}

// Epoch reports the end of an epoch, with the test-set evaluation.
type Epoch struct {
	Epoch, Epochs         int
	TrainLoss, TrainAcc   float64 // running means over the epoch
	TestLoss, TestAcc     float64
	Elapsed, EpochElapsed time.Duration
}

// Point reports one computed point of a scan. Index is the point's place in
// the surface's row-major grid (i*NY + j for a 2D scan).
type Point struct {
	Index       int
	I, J        int
	Alpha, Beta float64
	Loss, Acc   float64
	LossSE      float64 // standard error of Loss over the evaluation images
	Done, Total int     // points finished in this scan (this one included), and to compute
	Elapsed     time.Duration
}

// Centre reports the value at θ* of a scan, before its points.
type Centre struct {
	model.Result
}

// Sharpness reports λmax of the training loss measured along a run, with
// the learning rate's stability threshold (0 when none applies).
type Sharpness struct {
	Step                int // optimizer steps taken before it
	LambdaMax, Residual float64
	Threshold           float64
	Products            int
}

func (Sharpness) event() {}
func (Step) event()      {}
func (Epoch) event()     {}
func (Point) event()     {}
func (Centre) event()    {}
