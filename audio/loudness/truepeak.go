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
// interleaved audio. It works block by block: each channel's samples are
// copied behind the last interpTaps-1 of the previous block into one
// float32 run, scanned for the few places within 6 dB of the highest peak
// so far, and only there interpolated (with the same filter, in the same
// order, as peakWindow, so the figures are the same to the bit).
type truePeak struct {
	n      int
	tails  [][interpTaps - 1]float32 // each channel's last samples, oldest first
	run    []float32
	tp, sp float64
}

func newTruePeak(channels int) *truePeak {
	return &truePeak{n: channels, tails: make([][interpTaps - 1]float32, channels)}
}

func (t *truePeak) write(interleaved []float32) {
	frames := len(interleaved) / t.n
	if frames == 0 {
		return
	}
	const keep = interpTaps - 1
	if cap(t.run) < keep+frames {
		t.run = make([]float32, keep+frames)
	}
	run := t.run[:keep+frames]
	tp, sp := t.tp, float32(t.sp)
	for c := range t.tails {
		copy(run, t.tails[c][:])
		x := run[keep:]
		if t.n == 1 {
			copy(x, interleaved)
		} else {
			for i := range x {
				x[i] = interleaved[i*t.n+c]
			}
		}
		for _, v := range x {
			sp = max(sp, abs32(v))
		}
		tp = scanPeaks(run, tp)
		copy(t.tails[c][:], run[len(run)-keep:])
	}
	t.tp, t.sp = tp, float64(sp)
}

// scanPeaks returns the highest of floor and the interval peaks of every
// window run[j:j+interpTaps] (what peakWindow.push returns for the newest
// sample run[j+interpTaps-1]), with floor rising as it goes.
func scanPeaks(run []float32, floor float64) float64 {
	const half = interpTaps / 2
	for j := 0; j+interpTaps <= len(run); j++ {
		win := (*[interpTaps]float32)(run[j : j+interpTaps])
		center := abs32(win[half-1])
		near := float64(max(abs32(win[half-2]), center, abs32(win[half]), abs32(win[half+1])))
		if near*2 <= floor {
			continue
		}
		peak := float64(center)
		for p := range interp {
			h := &interp[p]
			var v float64
			for m := range win {
				v += float64(win[m]) * h[m]
			}
			peak = max(peak, math.Abs(v))
		}
		floor = max(floor, peak)
	}
	return floor
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// result flushes the interpolators' look-ahead (without disturbing later
// writes) and returns the peaks as linear amplitudes.
func (t *truePeak) result() (tp, sp float64) {
	tp = t.tp
	for c := range t.tails {
		var run [interpTaps - 1 + interpTaps/2]float32
		copy(run[:], t.tails[c][:])
		tp = scanPeaks(run[:], tp)
	}
	return tp, t.sp
}
