// Package rng is basin's one source of randomness: a seeded PCG stream with
// the few draws the engine needs (uniform, Gaussian, permutations).
//
// Every random thing in basin takes a seed and a purpose-specific stream
// number, so a direction drawn with seed 1 does not depend on how many
// numbers training consumed, and the algorithms are written out here rather
// than borrowed from math/rand, whose non-uniform draws may change between
// Go releases.
package rng

import (
	"math"
	"math/rand/v2"
)

// Streams separate the uses of one seed.
const (
	StreamInit      = 1    // weight initialisation
	StreamShuffle   = 2    // training batch order
	StreamSample    = 3    // evaluation image subset
	StreamDirection = 4    // random directions (plus index)
	StreamSharpness = 64   // starting points of sharpness searches
	StreamHessian   = 128  // start vectors of eigenvalue searches and trace probes (plus index)
	StreamDropout   = 4096 // dropout masks (plus the layer's index)
)

// Source is a deterministic random stream.
type Source struct {
	pcg   *rand.PCG
	spare float64
	has   bool
}

// New returns the stream for (seed, stream).
func New(seed uint64, stream uint64) *Source {
	return &Source{pcg: rand.NewPCG(seed, 0x9e3779b97f4a7c15^stream)}
}

// Uint64 returns 64 random bits.
func (s *Source) Uint64() uint64 { return s.pcg.Uint64() }

// Float64 returns a uniform value in [0, 1).
func (s *Source) Float64() float64 { return float64(s.pcg.Uint64()>>11) / (1 << 53) }

// IntN returns a uniform integer in [0, n) without modulo bias.
func (s *Source) IntN(n int) int {
	if n <= 0 {
		panic("rng: IntN with n <= 0")
	}
	bound := uint64(n)
	threshold := -bound % bound
	for {
		v := s.pcg.Uint64()
		if v >= threshold {
			return int(v % bound)
		}
	}
}

// Norm returns a standard normal value (Box–Muller, pairs cached).
func (s *Source) Norm() float64 {
	if s.has {
		s.has = false
		return s.spare
	}
	u1 := s.Float64()
	for u1 == 0 {
		u1 = s.Float64()
	}
	u2 := s.Float64()
	r := math.Sqrt(-2 * math.Log(u1))
	s.spare, s.has = r*math.Sin(2*math.Pi*u2), true
	return r * math.Cos(2*math.Pi*u2)
}

// Perm returns a random permutation of 0..n-1 (Fisher–Yates).
func (s *Source) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	s.Shuffle(p)
	return p
}

// Shuffle permutes p in place.
func (s *Source) Shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := s.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}
