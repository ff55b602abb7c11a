package simd

// The Winograd F(2×2, 3×3) transforms, fused: each reads its inputs once
// and writes its outputs once. Strides are in floats.

// WinoOut computes, for n tiles, q = Aᵀ M A from the 16 product rows at
// m[xi·stride + t] (xi = 0..15): q[i·qstride + t], i = 0..3, are the
// tile's four outputs, row-major.
func WinoOut(q []float32, qstride int, m []float32, stride, n int) {
	if n == 0 {
		return
	}
	_ = m[15*stride+n-1]
	_ = q[3*qstride+n-1]
	k := 0
	if useAsm && n >= 8 {
		k = n &^ 7
		winoOutAVX2(&q[0], &m[0], 4*stride, 4*qstride, k)
	}
	for t := k; t < n; t++ {
		a, b, c, d := winoOutTile(m, stride, t)
		q[t], q[qstride+t], q[2*qstride+t], q[3*qstride+t] = a, b, c, d
	}
}

func winoOutTile(m []float32, stride, t int) (q0, q1, q2, q3 float32) {
	var s [8]float32
	for j := 0; j < 4; j++ {
		a, b, c, d := m[j*stride+t], m[(4+j)*stride+t], m[(8+j)*stride+t], m[(12+j)*stride+t]
		s[j], s[4+j] = a+b+c, b-c-d
	}
	return s[0] + s[1] + s[2], s[1] - s[2] - s[3], s[4] + s[5] + s[6], s[5] - s[6] - s[7]
}

// WinoOutPool is WinoOut followed by 2×2 max pooling, bias and ReLU:
// dst[t] = max(0, max(q0, q1, q2, q3) + bias).
func WinoOutPool(dst, m []float32, stride int, bias float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	_ = m[15*stride+n-1]
	k := 0
	if useAsm && n >= 8 {
		k = n &^ 7
		winoOutPoolAVX2(&dst[0], &m[0], 4*stride, bias, k)
	}
	for t := k; t < n; t++ {
		a, b, c, d := winoOutTile(m, stride, t)
		dst[t] = max(max(max(a, b), max(c, d))+bias, 0)
	}
}

// WinoInHoriz computes the horizontal input transform of n tiles from a
// padded row (at least 2n+2 values): with e[t] = row[2t] and o[t] =
// row[2t+1], h[i·hstride + t] gets e[t]−e[t+1], o[t]+e[t+1], e[t+1]−o[t],
// o[t]−o[t+1] for i = 0..3. When h and row have the room — each part
// n rounded up to 8 values, row 2·that + 2 — the vector loop runs to the
// rounded-up count, writing up to 7 values past n in each part (the
// transform of whatever row holds there) instead of finishing in scalar
// code.
func WinoInHoriz(h []float32, hstride int, row []float32, n int) {
	if n == 0 {
		return
	}
	_ = h[3*hstride+n-1]
	_ = row[2*n+1]
	k := 0
	if n8 := (n + 7) &^ 7; useAsm && len(row) >= 2*n8+2 && len(h) >= 3*hstride+n8 && hstride >= n8 {
		winoInHorizAVX2(&h[0], &row[0], 4*hstride, n8)
		return
	}
	if useAsm && n >= 8 && len(row) >= 2*(n&^7)+2 {
		k = n &^ 7
		winoInHorizAVX2(&h[0], &row[0], 4*hstride, k)
	}
	for t := k; t < n; t++ {
		e0, o0, e1, o1 := row[2*t], row[2*t+1], row[2*t+2], row[2*t+3]
		h[t], h[hstride+t], h[2*hstride+t], h[3*hstride+t] = e0-e1, o0+e1, e1-o0, o0-o1
	}
}

// WinoInVert computes the vertical input transform of n values from rows
// r0..r3: it writes r0−r2, r1+r2, r2−r1, r1−r3 to dst[i·dstride + t].
func WinoInVert(dst []float32, dstride int, r0, r1, r2, r3 []float32, n int) {
	if n == 0 {
		return
	}
	_ = dst[3*dstride+n-1]
	r0, r1, r2, r3 = r0[:n], r1[:n], r2[:n], r3[:n]
	k := 0
	if useAsm && n >= 8 {
		k = n &^ 7
		winoInVertAVX2(&dst[0], &r0[0], &r1[0], &r2[0], &r3[0], 4*dstride, k)
	}
	for t := k; t < n; t++ {
		a, b, c, d := r0[t], r1[t], r2[t], r3[t]
		dst[t], dst[dstride+t], dst[2*dstride+t], dst[3*dstride+t] = a-c, b+c, c-b, b-d
	}
}
