package loudness

import (
	"fmt"
	"math"
)

// Limiter is a look-ahead true-peak limiter for one channel. Each sample's
// peak is found on the signal oversampled 4× (a 64-tap windowed-sinc
// polyphase interpolator, truepeak.go, so peaks between samples count), the gain that
// keeps that peak at the ceiling is held over the look-ahead window and
// faded in over it (a moving average of the held gain, so the gain is at
// or below the required value when the peak passes and never steps), and
// released exponentially. The output is delayed by Latency frames, which
// Process and Flush hide: the output has exactly as many frames as the
// input, time-aligned. A Limiter is not safe for concurrent use.
type Limiter struct {
	ceil    float64
	release float64
	look    int

	win peakWindow

	prevPeak float64
	mins     []minEntry // monotonic deque of (index, required gain)
	minHead  int
	idx      int64
	rel      float64 // released gain
	box      []float64
	boxSum   float64
	boxPos   int
	delay    []float64 // audio waiting for its gain (look-1 frames)
	delayPos int
	skip     int // outputs still to drop (the latency)
	fed      int64

	limited int64
	minGain float64
}

type minEntry struct {
	i int64
	g float64
}

// NewLimiter returns a Limiter at rate Hz with its ceiling in dBTP, a
// look-ahead (and attack) of lookahead seconds and an exponential release
// time constant in seconds.
func NewLimiter(rate int, ceilingDB, lookahead, release float64) (*Limiter, error) {
	if rate <= 0 || !(lookahead > 0) || !(release > 0) || ceilingDB > 0 {
		return nil, fmt.Errorf("loudness: limiter: bad parameters (rate %d, ceiling %g dBTP, look-ahead %g s, release %g s)", rate, ceilingDB, lookahead, release)
	}
	look := max(1, int(math.Round(lookahead*float64(rate))))
	l := &Limiter{
		ceil:    Amp(ceilingDB),
		release: 1 - math.Exp(-1/(release*float64(rate))),
		look:    look,
		rel:     1,
		box:     make([]float64, look),
		boxSum:  float64(look),
		delay:   make([]float64, look-1),
		minGain: 1,
	}
	for i := range l.box {
		l.box[i] = 1
	}
	l.skip = l.Latency()
	return l, nil
}

// Latency is the limiter's internal delay in frames.
func (l *Limiter) Latency() int { return interpTaps/2 + l.look - 1 }

// Limited returns the number of output samples whose gain was reduced by
// more than 0.01 dB so far.
func (l *Limiter) Limited() int64 { return l.limited }

// MaxReduction returns the largest gain reduction so far, in dB (≥ 0).
func (l *Limiter) MaxReduction() float64 { return -DB(l.minGain) }

// Process limits src and appends the output to dst, which it returns. The
// first Latency frames of input produce no output until later calls or
// Flush.
func (l *Limiter) Process(dst, src []float32) []float32 {
	for _, x := range src {
		l.fed++
		if y, ok := l.step(float64(x)); ok {
			dst = append(dst, y)
		}
	}
	return dst
}

// Flush appends the output still held in the look-ahead to dst. After
// Flush, the Limiter has output exactly as many frames as it was given.
func (l *Limiter) Flush(dst []float32) []float32 {
	for n := l.Latency(); n > 0; n-- {
		if y, ok := l.step(0); ok {
			dst = append(dst, y)
		}
	}
	return dst
}

func (l *Limiter) step(x float64) (float32, bool) {
	peak, c := l.win.push(x, l.ceil)
	req := max(peak, l.prevPeak)
	l.prevPeak = peak
	g := 1.0
	if req > l.ceil {
		g = l.ceil / req
	}
	// Sliding minimum of the required gain over the look-ahead.
	for len(l.mins) > l.minHead && l.mins[len(l.mins)-1].g >= g {
		l.mins = l.mins[:len(l.mins)-1]
	}
	l.mins = append(l.mins, minEntry{l.idx, g})
	for l.mins[l.minHead].i <= l.idx-int64(l.look) {
		l.minHead++
	}
	if l.minHead > 1024 && l.minHead*2 > len(l.mins) {
		l.mins = append(l.mins[:0], l.mins[l.minHead:]...)
		l.minHead = 0
	}
	held := l.mins[l.minHead].g
	l.idx++
	// Instant attack on the held gain, exponential release.
	l.rel = min(held, l.rel+(1-l.rel)*l.release)
	// Fade: the moving average over the look-ahead.
	l.boxSum += l.rel - l.box[l.boxPos]
	l.box[l.boxPos] = l.rel
	out := c
	if len(l.delay) > 0 {
		out, l.delay[l.delayPos] = l.delay[l.delayPos], c
		if l.delayPos++; l.delayPos == len(l.delay) {
			l.delayPos = 0
		}
	}
	l.boxPos++
	if l.boxPos == l.look {
		l.boxPos = 0
		l.boxSum = 0 // recomputed now and then, against rounding drift
		for _, v := range l.box {
			l.boxSum += v
		}
	}
	gain := min(1, l.boxSum/float64(l.look))
	if l.skip > 0 {
		l.skip--
		return 0, false
	}
	if gain < 0.99885 { // 0.01 dB
		l.limited++
	}
	l.minGain = min(l.minGain, gain)
	y := out * gain
	return float32(max(-l.ceil, min(l.ceil, y))), true
}
