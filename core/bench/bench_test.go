package bench

import (
	"context"
	"testing"
)

var env *Env

func benchEnv(b *testing.B) *Env {
	if env == nil {
		e, err := NewEnv(true)
		if err != nil {
			b.Fatal(err)
		}
		env = e
	}
	return env
}

// run reports a workload's rates as benchmark metrics.
func run(b *testing.B, f func(e *Env) (Result, error)) {
	e := benchEnv(b)
	for i := 0; i < b.N; i++ {
		r, err := f(e)
		if err != nil {
			b.Fatal(err)
		}
		if r.Images > 0 {
			b.ReportMetric(float64(r.Images)/r.Elapsed.Seconds(), "img/s")
		}
		if r.Points > 0 {
			b.ReportMetric(float64(r.Points)/r.Elapsed.Seconds(), "points/s")
		}
		b.ReportMetric(r.GFLOPS(), "GFLOP/s")
	}
}

func BenchmarkPeak(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Peak(context.Background(), e) })
}
func BenchmarkForwardStandard(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Forward(e, "standard", 1000) })
}
func BenchmarkForwardSmall(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Forward(e, "small", 1000) })
}
func BenchmarkTrainStandard(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Train(e, "standard", 64) })
}
func BenchmarkTrainSmall(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Train(e, "small", 64) })
}
func BenchmarkScan1DStandard(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Scan(context.Background(), e, "standard", 51, 0) })
}
func BenchmarkScan2DStandard(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Scan(context.Background(), e, "standard", 21, 21) })
}
