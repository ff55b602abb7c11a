package app

// history keeps a training curve at fixed memory however long training
// runs: up to cap points, each the mean of stride consecutive steps. When
// it fills, neighbouring points merge pairwise and the stride doubles, so
// a week-long run costs what a minute-long one does and the chart (a few
// hundred columns wide) loses nothing it could show.
type history struct {
	cap    int
	stride int       // steps per point
	x, y   []float64 // step (the last of the point's steps) and mean loss
	// the point being filled
	sum   float64
	n     int
	lastX float64
}

func newHistory(capacity int) history {
	capacity = max(capacity, 2) &^ 1 // even, so pairs merge cleanly
	return history{cap: capacity, stride: 1, x: make([]float64, 0, capacity), y: make([]float64, 0, capacity)}
}

// add records the loss of one step.
func (h *history) add(step int, loss float64) {
	h.sum += loss
	h.n++
	h.lastX = float64(step)
	if h.n < h.stride {
		return
	}
	if len(h.x) == h.cap {
		h.halve()
		if h.n < h.stride {
			return
		}
	}
	h.x = append(h.x, h.lastX)
	h.y = append(h.y, h.sum/float64(h.n))
	h.sum, h.n = 0, 0
}

// halve merges neighbouring points and doubles the stride.
func (h *history) halve() {
	for i := 0; i < len(h.x)/2; i++ {
		h.x[i] = h.x[2*i+1]
		h.y[i] = (h.y[2*i] + h.y[2*i+1]) / 2
	}
	h.x, h.y = h.x[:len(h.x)/2], h.y[:len(h.y)/2]
	h.stride *= 2
}

// points returns the recorded points and the one being filled.
func (h *history) points() (x, y []float64) {
	if h.n == 0 {
		return h.x, h.y
	}
	return append(h.x[:len(h.x):len(h.x)], h.lastX), append(h.y[:len(h.y):len(h.y)], h.sum/float64(h.n))
}

func (h *history) len() int { return len(h.x) + min(h.n, 1) }
