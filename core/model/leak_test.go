package model

import (
	"runtime"
	"testing"
)

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// Dropped evaluators are collected: gorgonia's tape machine keeps a
// finalizer inside a reference cycle, which Go never frees unless the
// finalizer is cleared (each of these held about 7 MB before).
func TestDroppedEvaluatorsAreCollected(t *testing.T) {
	arch, _ := Preset("small")
	d := testData(t, 500)
	var base float64
	for i := 0; i < 20; i++ {
		ev := NewEvaluator(arch, nil)
		if _, err := ev.Evaluate(d); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			ev.Close() // closed or simply dropped: both must be freed
		}
		if i == 1 {
			base = heapMB()
		}
	}
	if after := heapMB(); after > base+8 {
		t.Fatalf("heap grew from %.1f MB to %.1f MB over 18 dropped evaluators", base, after)
	}
}

func TestPoolReusesAndBounds(t *testing.T) {
	arch, _ := Preset("mlp")
	p := NewPool(arch, 2)
	a, b, c := p.Get(), p.Get(), p.Get()
	if a == b || b == c {
		t.Fatal("Get handed out the same evaluator twice")
	}
	p.Put(a)
	p.Put(b)
	p.Put(c) // over the limit: closed
	if p.Idle() != 2 {
		t.Fatalf("%d idle, want 2", p.Idle())
	}
	if c.nets == nil || len(c.nets) != 0 {
		t.Fatal("the evaluator over the limit was not closed")
	}
	if got := p.Get(); got != b {
		t.Fatal("Get did not reuse the last evaluator returned")
	}
	p.Close()
	if p.Idle() != 0 {
		t.Fatal("Close left idle evaluators")
	}
}

func TestClosedNetRefusesToRun(t *testing.T) {
	arch, _ := Preset("mlp")
	n, err := NewNet(arch, arch.NewParams(), 2, false)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	d := testData(t, 2)
	if _, _, err := n.Run(d, []int{0, 1}); err == nil {
		t.Fatal("a closed net ran")
	}
}
