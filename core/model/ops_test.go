package model

import (
	"math"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/ops"
	"github.com/basin-dev/basin/core/simd"
)

// A whole network on basin's ops and on gorgonia's stock ops: the same
// loss, accuracy and gradients, for every preset.
func TestFastNetMatchesStock(t *testing.T) {
	d := testData(t, 24)
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	for _, preset := range Presets() {
		arch, _ := Preset(preset)
		theta := arch.Init(5)
		// Batch norm in training divides by each batch's σ, which
		// amplifies the rounding by which Winograd and im2col differ
		// through 20 layers (most in the plain resnet-noshort); its
		// gradients are checked against finite differences instead.
		tol := 1e-4
		if strings.HasPrefix(preset, "resnet") {
			tol = 1e-2
		}
		var losses []float64
		var corrects []int
		var grads []Params
		for _, impl := range []Ops{FastOps, StockOps} {
			net, err := NewNetWith(arch, theta.Clone(), len(idx), true, impl)
			if err != nil {
				t.Fatal(err)
			}
			l, c, err := net.Run(d, idx)
			if err != nil {
				t.Fatal(err)
			}
			losses, corrects, grads = append(losses, l), append(corrects, c), append(grads, net.Grads.Clone())
		}
		if relDiff(losses[0], losses[1]) > 1e-5 || corrects[0] != corrects[1] {
			t.Fatalf("%s: loss %v correct %v (fast, stock)", preset, losses, corrects)
		}
		for i := range grads[0] {
			a, b := Params{grads[0][i]}, Params{grads[1][i]}
			diff := a.Clone()
			diff.Combine(a, -1, b, 0, nil) // a − b
			if n := diff.Norm(); n > tol*math.Max(b.Norm(), 1e-6) {
				t.Errorf("%s %s: gradient differs by %g (norm %g)", preset, a[0].Name, n, b.Norm())
			}
		}
	}
}

// A training graph of resnet runs each block's last batch norm, add and
// ReLU as one op, and its identity shortcuts carry their gradient into
// the block's first conv (ops.LinkShortcut): gorgonia sums gradients only
// at the inputs of the two downsampling blocks, read by two convs each.
func TestResidualBlocksFuseInTraining(t *testing.T) {
	arch, _ := Preset("resnet")
	net, err := NewNet(arch, arch.Init(1), 4, true)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	sums, adds, fed := 0, 0, 0
	for _, node := range net.g.AllNodes() {
		if node.Op() == nil { // an input
			continue
		}
		if strings.HasPrefix(node.Op().String(), "+") {
			sums++
		}
		if l, ok := node.Op().(*ops.Layer); ok {
			if _, ok := l.K.(*ops.Sum); ok {
				adds++
			}
			if bn, ok := l.K.(*ops.BatchNorm); ok && bn.StatsFromConv() {
				fed++
			}
		}
	}
	if sums != 2 || adds != 0 {
		t.Errorf("%d gradient sums and %d add layers in resnet's training graph, want 2 and 0", sums, adds)
	}
	// Every batch norm but the stem's (after a conv on one channel) has
	// its statistics gathered by its conv, where the tap kernels run.
	want := 20
	if !ops.UseWinograd || !simd.HasConvTaps {
		want = 0
	}
	if fed != want {
		t.Errorf("%d of resnet's batch norms gather their statistics in the conv before, want %d", fed, want)
	}
}
