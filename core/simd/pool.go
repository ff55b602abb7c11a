package simd

// The training pass's max pooling with bias and ReLU, recording which
// value of each 2×2 window was the maximum for the backward pass: the
// index (0-3, 2·dy + dx) of the first maximum, a later one winning only
// when strictly greater. AVX-512 (compares into masks, a byte per index);
// plain Go elsewhere.

var hasPoolArg = hasAVX512

var poolKs = [3]int32{1, 2, 3}

// poolIdx picks the even and the odd lanes of two vectors.
var poolIdx = func() (p [2][16]int32) {
	for t := 0; t < 16; t++ {
		p[0][t], p[1][t] = int32(2*t), int32(2*t+1)
	}
	return
}()

// Pool4Arg sets dst[t] = max(0, max(a[t], b[t], c[t], d[t]) + bias) and
// arg[t] to which of the four was the maximum, for t < len(dst).
func Pool4Arg(dst []float32, arg []uint8, a, b, c, d []float32, bias float32) {
	n := len(dst)
	arg, a, b, c, d = arg[:n], a[:n], b[:n], c[:n], d[:n]
	if !hasPoolArg || n < 16 {
		pool4Go(dst, arg, a, b, c, d, bias)
		return
	}
	run := func(o, k int) {
		pool4ArgAVX512(&dst[o], &arg[o], &a[o], &b[o], &c[o], &d[o], bias, &poolKs[0], k)
	}
	run(0, n&^15)
	if n%16 != 0 { // the last 16 again, overlapping: same values
		run(n-16, 16)
	}
}

func pool4Go(dst []float32, arg []uint8, a, b, c, d []float32, bias float32) {
	for t := range dst {
		dst[t], arg[t] = maxArg4(a[t], b[t], c[t], d[t], bias)
	}
}

// maxArg4 is one window: max(0, max(v0..v3) + bias) and the index of the
// first maximum.
func maxArg4(v0, v1, v2, v3, bias float32) (float32, uint8) {
	best, k := v0, uint8(0)
	if v1 > best {
		best, k = v1, 1
	}
	if v2 > best {
		best, k = v2, 2
	}
	if v3 > best {
		best, k = v3, 3
	}
	return max(best+bias, 0), k
}

// Pool2x2Arg pools rows·pw windows of a plane src whose rows are w floats
// apart (w ≥ 2·pw): window (r, j) covers rows 2r, 2r+1 and columns 2j,
// 2j+1; dst[r·pw + j] = max(0, max + bias) and arg[r·pw + j] its index.
// The vector kernel reads 32 values from each row at each 16 windows'
// start: src must hold (2·rows − 1)·w + 2·pw rounded up to 32 values, or
// the Go loop runs.
func Pool2x2Arg(dst []float32, arg []uint8, src []float32, w, pw, rows int, bias float32) {
	if rows == 0 || pw == 0 {
		return
	}
	_ = dst[rows*pw-1]
	_ = arg[rows*pw-1]
	_ = src[(2*rows-1)*w+2*pw-1]
	if !hasPoolArg || len(src) < (2*rows-1)*w+(2*pw+31)&^31 {
		for r := 0; r < rows; r++ {
			r0, r1 := src[2*r*w:], src[(2*r+1)*w:]
			out, ar := dst[r*pw:(r+1)*pw], arg[r*pw:(r+1)*pw]
			for j := range out {
				out[j], ar[j] = maxArg4(r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1], bias)
			}
		}
		return
	}
	for j := 0; j < pw; j += 16 {
		lanes := min(16, pw-j)
		pool2x2ArgAVX512(&dst[j], &arg[j], &src[2*j], w, pw, rows, bias, 1<<lanes-1, &poolIdx[0][0], &poolKs[0])
	}
}

// unpoolIdx interleaves two vectors: the low eight lanes of each, then the
// high eight.
var unpoolIdx = func() (p [2][16]int32) {
	for t := 0; t < 8; t++ {
		p[0][2*t], p[0][2*t+1] = int32(t), int32(16+t)
		p[1][2*t], p[1][2*t+1] = int32(8+t), int32(24+t)
	}
	return
}()

// Unpool2x2 is Pool2x2Arg's backward pass through the ReLU: window (r, j)
// sends gy[r·pw + j] to the position arg names if pooled[r·pw + j] > 0,
// and zero to its other three; rows 2r, 2r+1 of gz (w floats apart),
// columns 0..2·pw−1, are all written. The vector kernel reads 16 values
// of gy, pooled and arg from each row of windows at each 16 windows'
// start: they must hold (rows−1)·pw + pw rounded up to 16, or the Go loop
// runs.
func Unpool2x2(gz []float32, w int, gy, pooled []float32, arg []uint8, pw, rows int) {
	if rows == 0 || pw == 0 {
		return
	}
	_ = gz[(2*rows-1)*w+2*pw-1]
	need := (rows-1)*pw + (pw+15)&^15
	if !hasPoolArg || len(gy) < need || len(pooled) < need || len(arg) < need {
		for r := 0; r < rows; r++ {
			r0, r1 := gz[2*r*w:][:2*pw], gz[(2*r+1)*w:][:2*pw]
			clear(r0)
			clear(r1)
			for j := 0; j < pw; j++ {
				k := r*pw + j
				if pooled[k] <= 0 {
					continue
				}
				row := r0
				if arg[k]>>1 == 1 {
					row = r1
				}
				row[2*j+int(arg[k]&1)] = gy[k]
			}
		}
		return
	}
	for j := 0; j < pw; j += 16 {
		lanes := min(16, pw-j)
		unpoolAVX512(&gz[2*j], w, &gy[j], &pooled[j], &arg[j], pw, rows, 1<<(2*lanes)-1, &unpoolIdx[0][0], &poolKs[0])
	}
}
