package data

import "testing"

// BenchmarkNormImage is one MNIST image turned into network inputs, as a
// net does for every image of a batch.
func BenchmarkNormImage(b *testing.B) {
	src, err := LoadEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	n := src.Train.Stats().Inputs()
	dst := make([]float32, Pixels)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Image(src.Train, i%1000, dst)
	}
}
