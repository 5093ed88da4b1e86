package audio

import "sync/atomic"

// ring is a preallocated lock-free single-producer/single-consumer queue of
// interleaved float32 frames. The producer (the audio callback) calls write;
// the consumer (the writer goroutine) calls peek and release. Positions count
// frames since the start and never wrap; the buffer index is pos & mask.
type ring struct {
	buf      []float32
	channels int
	mask     uint64 // capacity in frames − 1 (a power of two)
	w        atomic.Uint64
	_        [56]byte // keep the two positions on separate cache lines
	r        atomic.Uint64
}

func newRing(frames, channels int) *ring {
	n := 1
	for n < frames {
		n <<= 1
	}
	return &ring{buf: make([]float32, n*channels), channels: channels, mask: uint64(n - 1)}
}

func (q *ring) capacity() int { return int(q.mask + 1) }

// write copies as many whole frames of in as fit and returns how many frames
// it wrote. It never blocks or allocates.
func (q *ring) write(in []float32) int {
	w := q.w.Load()
	free := uint64(q.capacity()) - (w - q.r.Load())
	n := uint64(len(in) / q.channels)
	if n > free {
		n = free
	}
	if n == 0 {
		return 0
	}
	ch := uint64(q.channels)
	start := (w & q.mask) * ch
	total := n * ch
	first := min(total, uint64(len(q.buf))-start)
	copy(q.buf[start:start+first], in[:first])
	copy(q.buf[:total-first], in[first:total])
	q.w.Store(w + n)
	return int(n)
}

// peek returns up to max readable frames without consuming them, as one or
// two slices (the second after wrap-around), and the frame position of the
// first.
func (q *ring) peek(max int) (a, b []float32, pos uint64) {
	r := q.r.Load()
	avail := q.w.Load() - r
	n := min(avail, uint64(max))
	if n == 0 {
		return nil, nil, r
	}
	ch := uint64(q.channels)
	start := (r & q.mask) * ch
	total := n * ch
	first := min(total, uint64(len(q.buf))-start)
	return q.buf[start : start+first], q.buf[:total-first], r
}

// release consumes n frames.
func (q *ring) release(n int) { q.r.Add(uint64(n)) }

// readable returns the number of frames ready to read.
func (q *ring) readable() int { return int(q.w.Load() - q.r.Load()) }

// gap is a run of lost frames to be replaced by silence before the frame at
// ring position at.
type gap struct {
	at   uint64
	lost int64
}

// gapQueue is a fixed SPSC queue of gaps, filled by the callback.
type gapQueue struct {
	slots [256]gap
	w, r  atomic.Uint64
}

func (g *gapQueue) push(x gap) bool {
	w := g.w.Load()
	if w-g.r.Load() == uint64(len(g.slots)) {
		return false
	}
	g.slots[w%uint64(len(g.slots))] = x
	g.w.Store(w + 1)
	return true
}

func (g *gapQueue) peek() (gap, bool) {
	r := g.r.Load()
	if r == g.w.Load() {
		return gap{}, false
	}
	return g.slots[r%uint64(len(g.slots))], true
}

func (g *gapQueue) pop() { g.r.Add(1) }
