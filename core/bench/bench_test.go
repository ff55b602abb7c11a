package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/model"
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
