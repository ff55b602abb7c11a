// Package scan evaluates the loss around trained weights θ* along one
// direction, f(α) = L(θ* + αδ), or on a plane, f(α,β) = L(θ* + αδ + βη).
//
// Data flows: a Job (architecture, θ*, directions, evaluation images) and a
// surface.Surface to fill → Run evaluates the centre, then hands the missing
// grid points, coarse to fine (Order), to Workers goroutines, each with its
// own gorgonia graph and weight buffer into which θ* + αδ + βη is written in
// place → a single collector records each result in the surface and sends a
// progress.Point, so the surface is only ever written from one goroutine
// and a viewer sees the whole picture early and sharpening. A point's value
// depends only on its coordinates, never on the worker count or order.
package scan
