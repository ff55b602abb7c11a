package model

import (
	"math/rand/v2"
	"testing"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/ops"
)

// chainArch has two chains: the first ends early, at a layer read again
// after the pooled conv that stops the second (c2 reads a); the second
// starts at a dropout and reads its input twice (b1, b3), and has a ReLU
// of its own and a three-input sum.
const chainArch = `
conv  stem out=4 kernel=3 pad=1
relu  s
conv  a1 out=4 kernel=3 pad=1 from=s
bn    a2
add   from=a2,s
relu  a
dropout d rate=0.5
conv  b1 out=4 kernel=3 pad=1 stride=2 bias=false
relu  b2
conv  b3 out=4 kernel=1 stride=2 from=a
add   bsum from=b2,b3,b3
conv  c1 out=6 kernel=3 pad=1
relu
maxpool mp kernel=2
conv  c2 out=6 kernel=3 pad=1 stride=4 from=a
add   from=mp,c2
gap
dense fc out=classes
`

// Evaluation graphs run resnet (on MNIST's and on CIFAR's image shapes,
// and the layers of the other nets that form one) as a chain, image by
// image: the same losses as the same graphs built layer by layer.
func TestChainMatchesLayerByLayer(t *testing.T) {
	d := testData(t, 12)
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	f, err := ParseArch("chain.arch", []byte(chainArch))
	if err != nil {
		t.Fatal(err)
	}
	custom, err := f.For(data.MNISTShape, 10, data.MNISTNorm())
	if err != nil {
		t.Fatal(err)
	}
	resnet, _ := Preset("resnet")
	noshort, _ := Preset("resnet-noshort")
	// and resnet on CIFAR-shaped images: a three-channel stem, 32×32
	cifar, err := PresetFor("resnet", data.Shape{C: 3, H: 32, W: 32}, 10, data.Norm{Mean: []float64{.5, .5, .5}, Std: []float64{.25, .25, .25}})
	if err != nil {
		t.Fatal(err)
	}
	colour := &data.Dataset{Shape: cifar.Input, Classes: 10, Pixels: make([]uint8, 6*cifar.Input.Size()), Labels: make([]uint8, 6)}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range colour.Pixels {
		colour.Pixels[i] = uint8(r.IntN(256))
	}
	for i := range colour.Labels {
		colour.Labels[i] = uint8(i % 10)
	}
	defer func(v bool) { ops.UseChain = v }(ops.UseChain)
	for _, arch := range []Arch{resnet, noshort, everyLayerArch(t), custom, cifar} {
		d, idx := d, idx
		if arch.Input != d.Shape {
			d, idx = colour, []int{0, 1, 2, 3, 4, 5}
		}
		theta := batchNormAway(arch, 7)
		var losses []float64
		for _, chain := range []bool{true, false} {
			ops.UseChain = chain
			net, err := NewNet(arch, theta.Clone(), len(idx), false)
			if err != nil {
				t.Fatal(err)
			}
			chains := 0
			for _, node := range net.g.AllNodes() {
				if _, ok := node.Op().(*ops.Chain); ok {
					chains++
				}
			}
			if want := 1; chain && ops.CanChain() {
				if arch.Preset == "chain" {
					want = 2
				}
				if chains != want {
					t.Fatalf("%s: %d chains in the evaluation graph, want %d", arch.Preset, chains, want)
				}
			} else if chains != 0 {
				t.Fatalf("%s: a chain with chains off", arch.Preset)
			}
			l, _, err := net.Run(d, idx)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
			net.Close()
		}
		if relDiff(losses[0], losses[1]) > 1e-5 {
			t.Errorf("%s: chained %v, layer by layer %v", arch.Preset, losses[0], losses[1])
		}
	}
}
