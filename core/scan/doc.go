// Package scan evaluates the loss around trained weights θ* along one
// direction, f(α) = L(θ* + αδ), or on a plane, f(α,β) = L(θ* + αδ + βη).
//
// Data flows: Settings (axes, direction spec, images) and a checkpoint →
// NewSession (Prepare) draws the directions and the evaluation images into
// a Job and an empty surface.Surface whose metadata records all of it →
// Session.Run evaluates the centre, then Run hands the missing grid points,
// coarse to fine (Order), to Workers goroutines, each with an evaluator
// borrowed from a model.Pool (its gorgonia graph and weight buffer, into
// which θ* + αδ + βη is written in place) → a single collector records each
// result in the surface and sends a progress.Point, so the surface is only
// ever written from one goroutine and a viewer sees the whole picture early
// and sharpening → the session saves the surface every SaveEvery and when
// it ends, finished, failed or cancelled. A point's value depends only on
// its coordinates, never on the worker count or order.
//
// Run returns only after its feeder and workers have stopped and handed
// their evaluators back, so cancelling scans, however often, leaves no
// goroutine and no graph behind. The headless commands and the app both
// scan through Session: they prepare, save, resume and fail alike.
package scan
