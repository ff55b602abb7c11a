package bench

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
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
		if r.HVPs > 0 {
			b.ReportMetric(float64(r.HVPs)/r.Elapsed.Seconds(), "Hv/s")
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

func BenchmarkHessianVectorSmall(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return HessianVector(context.Background(), e, "small", 1000) })
}

func BenchmarkHessianVectorStandard(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return HessianVector(context.Background(), e, "standard", 1000) })
}

func TestHessianFLOPs(t *testing.T) {
	mlp, _ := model.Preset("mlp")
	if got, want := HessianFLOPs(mlp), int64(3*2*784*32+8*2*32*10); got != want {
		t.Errorf("mlp: %d FLOPs per image, want %d", got, want)
	}
	r := Report([]Result{{FLOP: 1e9, Elapsed: time.Second}, {HVPs: 4, Images: 4000, FLOP: 1e9, Elapsed: 2 * time.Second}}, []string{"peak", "Hv"})
	if !strings.Contains(r, "Hv/s") || !strings.Contains(r, " 2.00 ") {
		t.Errorf("report without the Hv rate:\n%s", r)
	}
}

// readHWM parses a /proc status file's VmHWM line (kilobytes) into bytes,
// and says 0 when there is none.
func TestReadHWM(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/status"
	if err := os.WriteFile(p, []byte("Name:\tbasin\nVmPeak:\t  999 kB\nVmHWM:\t  262144 kB\nVmRSS:\t 1000 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readHWM(p); got != 262144*1024 {
		t.Fatalf("readHWM = %d, want %d", got, 262144*1024)
	}
	if got := readHWM(dir + "/missing"); got != 0 {
		t.Fatalf("readHWM of a missing file = %d, want 0", got)
	}
}

func BenchmarkTrainResnet(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Train(e, "resnet", 64) })
}

func BenchmarkForwardResnet(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Forward(e, "resnet", 224) })
}

func BenchmarkScan2DResnet(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Scan(context.Background(), e, "resnet", 11, 11) })
}

// BenchmarkScan2DResnetONNX is BenchmarkScan2DResnet on the same model
// exported to ONNX and read back: the importer's layers run on the same
// fast paths.
func BenchmarkScan2DResnetONNX(b *testing.B) {
	run(b, func(e *Env) (Result, error) { return Scan(context.Background(), e, "resnet.onnx", 11, 11) })
}

// The ONNX workload's model is the preset's, exported and read back: the
// same layers in the same order and the same losses along a line.
func TestONNXModelScansLikeItsPreset(t *testing.T) {
	e, err := NewEnv(true)
	if err != nil {
		t.Fatal(err)
	}
	st := scan.Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 3}, Direction: direction.Spec{Seed: 1, Norm: direction.Filter},
		SampleSeed: 1, Split: data.Train, Samples: 64}
	var losses [2][]float64
	for i, name := range []string{"resnet", "resnet.onnx"} {
		ck, err := e.model(name)
		if err != nil {
			t.Fatal(err)
		}
		job, s, err := scan.Prepare(ck, e.Source, st)
		if err != nil {
			t.Fatal(err)
		}
		if err := scan.Run(context.Background(), job, s, nil); err != nil {
			t.Fatal(err)
		}
		losses[i] = s.Loss
	}
	for i := range losses[0] {
		if d := math.Abs(losses[0][i] - losses[1][i]); d > 1e-6*losses[0][i] {
			t.Errorf("α %d: preset %.9g, from ONNX %.9g", i, losses[0][i], losses[1][i])
		}
	}
}
