package align

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// burst is one syllable-like burst of band-limited tones.
type burst struct {
	start, dur float64
	glide      float64 // relative pitch change per second
	freq, amp  []float64
	phase      []float64
}

// babble is a speech-like signal that can be evaluated exactly at any time,
// so a track with a known offset and drift has an exact truth.
type babble []burst

func newBabble(seed uint64, seconds float64) babble {
	r := rand.New(rand.NewPCG(seed, 7))
	var b babble
	for t := 0.2; t < seconds; {
		d := 0.12 + 0.5*r.Float64()
		bu := burst{start: t, dur: d, glide: 0.6 * (r.Float64() - 0.5)}
		if r.IntN(4) == 0 { // a fricative: scattered tones 1.5 to 6 kHz
			for i := 0; i < 40; i++ {
				bu.freq = append(bu.freq, 1500+4500*r.Float64())
				bu.amp = append(bu.amp, 0.02+0.02*r.Float64())
				bu.phase = append(bu.phase, 2*math.Pi*r.Float64())
			}
		} else { // a voiced harmonic series with a pitch glide
			f0 := 90 + 160*r.Float64()
			for h := 1; f0*float64(h) < 2500; h++ {
				bu.freq = append(bu.freq, f0*float64(h))
				bu.amp = append(bu.amp, 0.3/float64(h)*(0.5+r.Float64()))
				bu.phase = append(bu.phase, 2*math.Pi*r.Float64())
			}
		}
		b = append(b, bu)
		t += d + 0.03 + 0.4*r.Float64()*r.Float64()
	}
	return b
}

func (b babble) at(t float64) float64 {
	// bursts are sorted and do not overlap: binary search
	lo, hi := 0, len(b)
	for lo < hi {
		m := (lo + hi) / 2
		if b[m].start+b[m].dur <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo >= len(b) || t < b[lo].start {
		return 0
	}
	bu := b[lo]
	x := (t - bu.start) / bu.dur
	env := math.Sin(math.Pi * x) // smooth on and off
	tau := t - bu.start
	cyc := tau + 0.5*bu.glide*tau*tau // integral of 1 + glide*tau
	var s float64
	for i, f := range bu.freq {
		s += bu.amp[i] * math.Sin(2*math.Pi*f*cyc+bu.phase[i])
	}
	return env * s
}

// render samples f at rate over n frames, frame k at clock time
// offset + (1+drift)*k/rate.
func render(rate int, n int, offset, drift float64, f func(float64) float64) []float32 {
	out := make([]float32, n)
	for k := range out {
		out[k] = float32(f(offset + (1+drift)*float64(k)/float64(rate)))
	}
	return out
}

func TestResampleSine(t *testing.T) {
	const in = 48000.0
	for _, ppm := range []float64{0, 300, -300, 120} {
		k := 1 + ppm*1e-6
		out := 48000 / k
		x := render(48000, 48000*3, 0, 0, func(t float64) float64 { return 0.5 * math.Sin(2*math.Pi*1000*t) })
		y, err := Resample(x, in, out, HQ)
		if err != nil {
			t.Fatal(err)
		}
		want := int(float64(len(x))/k + 0.5)
		if len(y) != want {
			t.Errorf("%g ppm: %d samples out, want %d", ppm, len(y), want)
		}
		var maxErr float64
		for m := 2000; m < len(y)-2000; m++ {
			e := math.Abs(float64(y[m]) - 0.5*math.Sin(2*math.Pi*1000*float64(m)/out))
			maxErr = math.Max(maxErr, e)
		}
		if maxErr > 1e-4 {
			t.Errorf("%g ppm: max error %.2e against the exact sine (delay not compensated?)", ppm, maxErr)
		}
	}
}

func TestResamplerErrors(t *testing.T) {
	if _, err := NewResampler(0, 48000, HQ); err == nil {
		t.Error("zero input rate accepted")
	}
	r, err := NewResampler(48000, 44100, VHQ)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Process(make([]float32, 10), make([]float32, 10), false); !errors.Is(err, ErrResamplerClosed) {
		t.Errorf("Process after Close: %v, want ErrResamplerClosed", err)
	}
}

func TestCorrelateSubSample(t *testing.T) {
	b := newBabble(1, 12)
	ref := render(16000, 16000*12, 0, 0, b.at)
	for _, lag := range []float64{1000.0, 20345.25, 40000.5, 777.8} {
		x := render(16000, 16000*4, lag/16000, 0, b.at)
		m, err := Correlate(ref, x, 16000, 0, len(ref)-len(x))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m.Lag-lag) > 0.1 {
			t.Errorf("lag %g: got %.3f", lag, m.Lag)
		}
		if m.PSR < 20 || m.Confidence < 0.3 || m.NCC < 0.95 {
			t.Errorf("lag %g: weak figures %+v", lag, m)
		}
	}
	if _, err := Correlate(ref, make([]float32, 1000), 16000, 0, 100); !errors.Is(err, ErrNoSignal) {
		t.Errorf("silent window: %v, want ErrNoSignal", err)
	}
}

func TestMeasureOffsetDrift(t *testing.T) {
	a, v := newBabble(11, 75), newBabble(12, 75)
	// The anchor holds both voices (a call recording) at 44.1 kHz.
	const dur = 40.0
	anchorFn := func(t float64) float64 { return 0.7*a.at(t) + 0.7*v.at(t) }
	anchor := Slice{16000, render(16000, int(16000*(dur+32)), 0, 0, anchorFn)}
	tests := []struct {
		offset, ppm float64
		rate        int
	}{
		{30, 0, 8000},
		{12.3456, 300, 44100},
		{0.5, -300, 8000},
		{29.9, -120, 16000},
	}
	for _, tc := range tests {
		// The host track: mostly voice a, a little of v, on a clock that
		// runs 1+ppm against the anchor, starting at anchor time offset.
		k := 1 + tc.ppm*1e-6
		track := Slice{tc.rate, render(tc.rate, int(float64(tc.rate)*dur), tc.offset, k-1, func(t float64) float64 { return a.at(t) + 0.05*v.at(t) })}
		res, err := Measure(anchor, track, Options{Guess: 0, Search: 40})
		if err != nil {
			t.Fatalf("offset %g, %g ppm: %v", tc.offset, tc.ppm, err)
		}
		for _, tt := range []float64{0, dur} {
			want := tc.offset + k*tt
			if e := math.Abs(res.Fit.Map(tt) - want); e > 0.1e-3 {
				t.Errorf("offset %g, %g ppm: at %g s maps to %.6f, want %.6f (error %.3f ms)", tc.offset, tc.ppm, tt, res.Fit.Map(tt), want, e*1e3)
			}
		}
		t.Logf("offset %g, %g ppm: fit %+v", tc.offset, tc.ppm, res.Fit)
		if math.Abs(res.Fit.PPM-tc.ppm) > 2 {
			t.Errorf("offset %g: drift %.2f ppm, want %g", tc.offset, res.Fit.PPM, tc.ppm)
		}
		if len(res.Fit.Steps) != 0 {
			t.Errorf("offset %g, %g ppm: false step %+v", tc.offset, tc.ppm, res.Fit.Steps)
		}
		if res.Fit.Used < 5 {
			t.Errorf("offset %g: only %d windows used: %+v", tc.offset, res.Fit.Used, res.Windows)
		}
	}
}

func TestMeasureNegativeOffset(t *testing.T) {
	// The track starts 25 s before the anchor.
	a := newBabble(21, 100)
	anchor := Slice{16000, render(16000, 16000*60, 0, 0, a.at)}
	track := Slice{16000, render(16000, 16000*60, -25, 200e-6, a.at)}
	res, err := Measure(anchor, track, Options{Search: 30})
	if err != nil {
		t.Fatal(err)
	}
	if e := math.Abs(res.Fit.Map(40) - (-25 + 40*(1+200e-6))); e > 0.1e-3 {
		t.Errorf("error %.3f ms", e*1e3)
	}
}

func TestMeasureNoCommonAudio(t *testing.T) {
	a, v := newBabble(31, 60), newBabble(32, 60)
	anchor := Slice{16000, render(16000, 16000*60, 0, 0, a.at)}
	track := Slice{16000, render(16000, 16000*40, 5, 0, v.at)}
	_, err := Measure(anchor, track, Options{Search: 20})
	if !errors.Is(err, ErrNoMatch) {
		t.Fatalf("unrelated audio: %v, want ErrNoMatch", err)
	}
	silent := Slice{16000, make([]float32, 16000*40)}
	if _, err := Measure(anchor, silent, Options{Search: 20}); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("silence: %v, want ErrNoMatch", err)
	}
}

func TestMeasureDropout(t *testing.T) {
	// 20 ms of the track's audio are lost at track time 40 s: from there on
	// the track is 20 ms ahead of its line.
	a := newBabble(41, 120)
	anchor := Slice{16000, render(16000, 16000*100, 0, 0, a.at)}
	f := func(t float64) float64 { return a.at(t) }
	track := render(16000, 16000*80, 10, 0, f)
	after := render(16000, 16000*40, 10+40.02, 0, f)
	copy(track[16000*40:], after)
	res, err := Measure(anchor, Slice{16000, track}, Options{Search: 15, Windows: 12})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fit.Steps) != 1 {
		t.Fatalf("steps %+v, want one near 40 s; windows %+v", res.Fit.Steps, res.Windows)
	}
	s := res.Fit.Steps[0]
	if math.Abs(s.Jump-0.02) > 0.2e-3 || math.Abs(s.At-40) > 8 {
		t.Errorf("step %+v, want +20 ms near 40 s", s)
	}
	if e := math.Abs(res.Fit.Map(70) - (10 + 70.02)); e > 0.1e-3 {
		t.Errorf("after the dropout: error %.3f ms", e*1e3)
	}
}

func TestFitWindowsOutlier(t *testing.T) {
	var ws []Window
	for i := 0; i < 10; i++ {
		at := float64(i) * 10
		ws = append(ws, Window{At: at, Offset: 2 + 100e-6*at})
	}
	ws[4].Offset += 0.3 // a false peak
	ws[7].Note = "weak peak"
	f, err := FitWindows(ws)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.PPM-100) > 1e-6 || math.Abs(f.Offset-2) > 1e-9 || f.Used != 8 {
		t.Errorf("fit %+v", f)
	}
	if ws[4].Used || ws[4].Note == "" || math.Abs(ws[4].Residual-0.3) > 1e-9 {
		t.Errorf("outlier window %+v", ws[4])
	}
	if _, err := FitWindows(ws[:2]); !errors.Is(err, ErrNoMatch) {
		t.Errorf("two windows: %v, want ErrNoMatch", err)
	}
}
