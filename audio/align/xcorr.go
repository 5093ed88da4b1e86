// Package align measures how two recordings of the same audio line up: the
// offset between them, how that offset drifts over time (two sound cards'
// clocks never agree), and whether it jumps (a dropout). It also resamples a
// drifting track onto another clock with libsoxr.
//
// Offsets come from FFT cross-correlation with a phase transform (GCC-PHAT)
// computed with gonum's dsp/fourier, refined to a fraction of a sample by a
// parabola through the peak. Every function here is safe for concurrent use
// on distinct arguments.
package align

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"
)

// ErrNoSignal reports a window too quiet to correlate (silence, no speech).
var ErrNoSignal = errors.New("align: too little signal to correlate")

// Match is the best alignment of a short signal x inside a longer one.
type Match struct {
	// Lag is where x starts inside ref, in samples, to a fraction of a
	// sample: x[n] ≈ ref[n+Lag].
	Lag float64 `json:"lag"`
	// PSR is the peak-to-sidelobe ratio of the correlation: how many
	// standard deviations the peak stands above the rest of the searched
	// lags. Noise alone gives about 4 to 5; clear speech gives 20 and more.
	PSR float64 `json:"psr"`
	// Confidence is 1 - second peak / peak over the searched lags (the
	// second peak at least 5 ms away): 0 is ambiguous, 1 unique.
	Confidence float64 `json:"confidence"`
	// NCC is the normalized correlation coefficient of x and ref at the
	// integer lag, -1..1: how much of x's waveform ref holds.
	NCC float64 `json:"ncc"`
}

// Correlate finds where x best matches inside ref, searching lags from
// minLag to maxLag samples (x[n] against ref[n+lag]); rate is the sample
// rate of both, used for the band limits and the 5 ms sidelobe exclusion.
// The correlation is GCC-PHAT restricted to 80 Hz .. 0.95 of Nyquist.
func Correlate(ref, x []float32, rate float64, minLag, maxLag int) (Match, error) {
	if len(ref) == 0 || len(x) == 0 {
		return Match{}, fmt.Errorf("align: correlate: empty input: %w", ErrNoSignal)
	}
	if minLag > maxLag {
		return Match{}, fmt.Errorf("align: correlate: lag range [%d, %d] is empty", minLag, maxLag)
	}
	if rms(x) < 1e-5 || rms(ref) < 1e-5 {
		return Match{}, ErrNoSignal
	}
	c, err := phatCorrelation(ref, x, rate)
	if err != nil {
		return Match{}, err
	}
	// Lags beyond what the zero padding holds would wrap around.
	minLag = max(minLag, -(len(x) - 1))
	maxLag = min(maxLag, len(ref)-1)
	if minLag > maxLag {
		return Match{}, fmt.Errorf("align: correlate: no overlap in lag range: %w", ErrNoSignal)
	}
	m := c.peak(minLag, maxLag, int(0.005*rate))
	m.NCC = ncc(ref, x, int(m.Lag))
	m.Lag += c.interpolate(int(m.Lag), minLag, maxLag)
	return m, nil
}

// correlation is a circular cross-correlation sequence of length n.
type correlation []float64

// at is the correlation at lag (negative lags wrap around).
func (c correlation) at(lag int) float64 {
	if lag < 0 {
		lag += len(c)
	}
	if lag < 0 || lag >= len(c) {
		return 0
	}
	return c[lag]
}

// phatCorrelation is the generalized cross-correlation of ref and x with
// phase transform weighting (each frequency's cross spectrum divided by its
// magnitude, plus a little regularization), band-limited to 80 Hz..95% of
// Nyquist, so a peak stands out sharply whatever the voices' spectra.
func phatCorrelation(ref, x []float32, rate float64) (correlation, error) {
	n := 1
	for n < len(ref)+len(x) {
		n <<= 1
	}
	fft := fourier.NewFFT(n)
	buf := make([]float64, n)
	for i, v := range ref {
		buf[i] = float64(v)
	}
	R := fft.Coefficients(nil, buf)
	clear(buf)
	for i, v := range x {
		buf[i] = float64(v)
	}
	X := fft.Coefficients(nil, buf)
	lo := int(math.Ceil(80 / (rate / 2) * float64(len(R)-1)))
	hi := int(0.95 * float64(len(R)-1))
	var total float64
	for k := range R {
		g := R[k] * cmplx.Conj(X[k])
		R[k] = g
		total += cmplx.Abs(g)
	}
	eps := 1e-3 * total / float64(len(R))
	if eps == 0 {
		return nil, ErrNoSignal
	}
	for k := range R {
		if k < lo || k > hi {
			R[k] = 0
			continue
		}
		R[k] /= complex(cmplx.Abs(R[k])+eps, 0)
	}
	return fft.Sequence(buf, R), nil
}

// peak finds the highest correlation in [minLag, maxLag] (Lag, an integer
// here) and how far it stands out: its peak-to-sidelobe ratio against the
// lags more than excl away, and its confidence against the second highest.
func (c correlation) peak(minLag, maxLag, excl int) Match {
	best, bestV := minLag, math.Inf(-1)
	for l := minLag; l <= maxLag; l++ {
		if v := c.at(l); v > bestV {
			best, bestV = l, v
		}
	}
	second := math.Inf(-1)
	var cnt, rs, rs2 float64
	for l := minLag; l <= maxLag; l++ {
		if l >= best-excl && l <= best+excl {
			continue
		}
		v := c.at(l)
		rs += v
		rs2 += v * v
		cnt++
		second = max(second, v)
	}
	m := Match{Lag: float64(best)}
	if cnt >= 2 {
		mean := rs / cnt
		sd := math.Sqrt(math.Max(rs2/cnt-mean*mean, 0))
		if sd > 0 {
			m.PSR = (bestV - mean) / sd
		}
	}
	if bestV > 0 {
		if second < 0 || math.IsInf(second, -1) {
			second = 0
		}
		m.Confidence = 1 - second/bestV
	}
	return m
}

// interpolate is the fraction of a lag by which the true peak lies off
// the integer peak best: a parabola through it and its neighbours.
func (c correlation) interpolate(best, minLag, maxLag int) float64 {
	if best <= minLag || best >= maxLag {
		return 0
	}
	y0, y1, y2 := c.at(best-1), c.at(best), c.at(best+1)
	if d := y0 - 2*y1 + y2; d < 0 {
		if p := 0.5 * (y0 - y2) / d; p > -1 && p < 1 {
			return p
		}
	}
	return 0
}

// ncc is the normalized correlation of x and ref[lag:] over their overlap.
func ncc(ref, x []float32, lag int) float64 {
	var sxy, sxx, syy float64
	for i, v := range x {
		j := i + lag
		if j < 0 || j >= len(ref) {
			continue
		}
		a, b := float64(v), float64(ref[j])
		sxy += a * b
		sxx += a * a
		syy += b * b
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}
