//go:build !amd64 || purego

package simd

const hasAsm = false

func add3AVX2(dst, a, b, c *float32, n int)                       { panic("no assembly") }
func sub3AVX2(dst, a, b, c *float32, n int)                       { panic("no assembly") }
func add2AVX2(dst, a, b *float32, n int)                          { panic("no assembly") }
func sub2AVX2(dst, a, b *float32, n int)                          { panic("no assembly") }
func max4reluAVX2(dst, a, b, c, d *float32, bias float32, n int)  { panic("no assembly") }
func interleave2reluAVX2(dst, a, b *float32, bias float32, n int) { panic("no assembly") }
