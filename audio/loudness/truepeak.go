package loudness

import "math"

// interpTaps is the true-peak interpolator's taps per phase: 4× oversampling
// through a 64-tap Hann-windowed sinc, the filter length BS.1770-4 Annex 2
// suggests (its example has 48 taps).
const interpTaps = 16

// interp holds the three fractional phases (k+1/4, k+1/2, k+3/4) of the
// oversampling filter; phase 0 is the sample itself.
var interp = func() (ph [3][interpTaps]float64) {
	const half = interpTaps / 2
	for p := 1; p <= 3; p++ {
		var sum float64
		for m := 0; m < interpTaps; m++ {
			d := float64(p)/4 + float64(half-1-m)
			v := 0.5 + 0.5*math.Cos(math.Pi*d/float64(half)) // Hann
			if d != 0 {
				v *= math.Sin(math.Pi*d) / (math.Pi * d)
			}
			ph[p-1][m] = v
			sum += v
		}
		for m := range ph[p-1] {
			ph[p-1][m] /= sum // unity gain at DC
		}
	}
	return ph
}()

// peakWindow follows one channel and returns, per input sample, the true
// peak of the interval from the sample interpTaps/2 frames back to the
// next one: the larger of that sample and the three points between. It
// interpolates only when one of the four samples around the interval is
// above floor: far below a level, the band-limited signal between the
// samples cannot rise 6 dB above them, so the sample value stands.
type peakWindow struct {
	hist [2 * interpTaps]float64 // doubled ring: hist[hi:hi+interpTaps] oldest..newest
	hi   int
}

// push adds x and returns the interval's peak magnitude and the sample at
// its start (delayed by interpTaps/2 frames).
func (w *peakWindow) push(x, floor float64) (peak, center float64) {
	const half = interpTaps / 2
	w.hist[w.hi], w.hist[w.hi+interpTaps] = x, x
	w.hi++
	if w.hi == interpTaps {
		w.hi = 0
	}
	win := (*[interpTaps]float64)(w.hist[w.hi : w.hi+interpTaps])
	center = win[half-1]
	peak = math.Abs(center)
	near := max(math.Abs(win[half-2]), peak, math.Abs(win[half]), math.Abs(win[half+1]))
	if near*2 <= floor {
		return peak, center
	}
	for p := range interp {
		h := &interp[p]
		var v float64
		for m := range win {
			v += win[m] * h[m]
		}
		peak = max(peak, math.Abs(v))
	}
	return peak, center
}

// truePeak measures the true peak (4× oversampled) and the sample peak of
// interleaved audio.
type truePeak struct {
	ch     []peakWindow
	tp, sp float64
}

func newTruePeak(channels int) *truePeak { return &truePeak{ch: make([]peakWindow, channels)} }

func (t *truePeak) write(interleaved []float32) {
	n := len(t.ch)
	for c := range t.ch {
		w := &t.ch[c]
		tp, sp := t.tp, t.sp
		for i := c; i < len(interleaved); i += n {
			x := float64(interleaved[i])
			sp = max(sp, math.Abs(x))
			p, _ := w.push(x, tp)
			tp = max(tp, p)
		}
		t.tp, t.sp = tp, sp
	}
}

// result flushes the interpolators' look-ahead (without disturbing later
// writes) and returns the peaks as linear amplitudes.
func (t *truePeak) result() (tp, sp float64) {
	tp = t.tp
	for c := range t.ch {
		w := t.ch[c] // a copy: the stream may continue
		for range interpTaps / 2 {
			p, _ := w.push(0, tp)
			tp = max(tp, p)
		}
	}
	return tp, t.sp
}
