package loudness

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

const rate = 48000

// segment is a stretch of a 1 kHz sine at a peak level in dBFS on every
// channel (EBU Tech 3341/3342 describe their signals this way).
type segment struct {
	db  float64
	sec float64
}

// measure generates segs as a channels-channel 1 kHz sine and measures it
// in blocks, the way the export streams it.
func measure(t *testing.T, channels int, segs []segment) Result {
	t.Helper()
	m, err := NewMeter(rate, channels)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var n int
	buf := make([]float32, 0, 4096*channels)
	for _, s := range segs {
		a := Amp(s.db)
		for i := 0; i < int(s.sec*rate); i++ {
			v := float32(a * math.Sin(2*math.Pi*1000*float64(n)/rate))
			n++
			for range channels {
				buf = append(buf, v)
			}
			if len(buf) == cap(buf) {
				if err := m.Write(buf); err != nil {
					t.Fatal(err)
				}
				buf = buf[:0]
			}
		}
	}
	if err := m.Write(buf); err != nil {
		t.Fatal(err)
	}
	r, err := m.Result()
	if err != nil {
		t.Fatal(err)
	}
	if r.Frames != int64(n) {
		t.Fatalf("measured %d frames, wrote %d", r.Frames, n)
	}
	return r
}

// TestTech3341 runs the EBU Tech 3341 minimum-requirement cases that are
// generated signals (1–5): stereo 1 kHz sines whose integrated loudness is
// known, ±0.1 LU.
func TestTech3341(t *testing.T) {
	for _, tc := range []struct {
		name string
		segs []segment
		want float64
	}{
		{"case1 -23 dBFS", []segment{{-23, 20}}, -23},
		{"case2 -33 dBFS", []segment{{-33, 20}}, -33},
		{"case3 relative gate", []segment{{-36, 10}, {-23, 60}, {-36, 10}}, -23},
		{"case4 absolute gate", []segment{{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}}, -23},
		{"case5 -26/-20/-26", []segment{{-26, 20}, {-20, 20.1}, {-26, 20}}, -23},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := measure(t, 2, tc.segs)
			if math.Abs(r.Integrated-tc.want) > 0.1 {
				t.Errorf("integrated %.3f LUFS, want %.1f ± 0.1", r.Integrated, tc.want)
			}
			if r.DualMono() != r.Integrated {
				t.Errorf("stereo DualMono %.3f differs from Integrated %.3f", r.DualMono(), r.Integrated)
			}
		})
	}
}

// TestTech3342 runs the loudness-range cases of EBU Tech 3342 that are
// generated signals (1–4), ±1 LU.
func TestTech3342(t *testing.T) {
	for _, tc := range []struct {
		name string
		segs []segment
		want float64
	}{
		{"case1 -20/-30", []segment{{-20, 20}, {-30, 20}}, 10},
		{"case2 -20/-15", []segment{{-20, 20}, {-15, 20}}, 5},
		{"case3 -40/-20", []segment{{-40, 20}, {-20, 20}}, 20},
		{"case4 five steps", []segment{{-50, 20}, {-35, 20}, {-20, 20}, {-35, 20}, {-50, 20}}, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := measure(t, 2, tc.segs)
			if math.Abs(r.Range-tc.want) > 1 {
				t.Errorf("LRA %.2f LU, want %.0f ± 1", r.Range, tc.want)
			}
		})
	}
}

// TestMonoAndDualMono: a mono sine at -23 dBFS is a -26 LUFS mono programme
// and a -23 LUFS dual-mono one, the same as the stereo case 1.
func TestMonoAndDualMono(t *testing.T) {
	r := measure(t, 1, []segment{{-23, 20}})
	if math.Abs(r.Integrated-(-26.01)) > 0.1 {
		t.Errorf("mono integrated %.3f LUFS, want -26.0", r.Integrated)
	}
	if math.Abs(r.DualMono()-(-23)) > 0.1 {
		t.Errorf("dual-mono %.3f LUFS, want -23.0", r.DualMono())
	}
	if math.Abs(DualMonoLU-3.0103) > 1e-4 {
		t.Errorf("DualMonoLU %.4f", DualMonoLU)
	}
	if math.Abs(r.SamplePeak-(-23)) > 0.01 {
		t.Errorf("sample peak %.3f dBFS, want -23", r.SamplePeak)
	}
}

// truePeakSine is a sine at fs/4 whose samples fall at a given phase, so
// the peaks lie between samples: Tech 3341's true-peak cases (15–19) are
// built the same way.
func truePeakSine(amp, phaseDeg float64, sec float64) []float32 {
	n := int(sec * rate)
	x := make([]float32, n)
	ph := phaseDeg * math.Pi / 180
	for i := range x {
		x[i] = float32(amp * math.Sin(math.Pi/2*float64(i)+ph))
	}
	return x
}

func TestTruePeak(t *testing.T) {
	for _, tc := range []struct {
		amp, phase float64
	}{
		{0.5, 0}, {0.5, 45}, {0.5, 60}, {0.5, 67.5}, {1.41, 45},
	} {
		x := truePeakSine(tc.amp, tc.phase, 2)
		m, err := NewMeter(rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Write(x); err != nil {
			t.Fatal(err)
		}
		r, _ := m.Result()
		m.Close()
		want := DB(tc.amp)
		// Tech 3341's tolerance for true peak: +0.2/-0.4 dB.
		if r.TruePeak > want+0.2 || r.TruePeak < want-0.4 {
			t.Errorf("amp %.2f phase %.1f°: true peak %.2f dBTP, want %.2f (+0.2/-0.4); sample peak %.2f", tc.amp, tc.phase, r.TruePeak, want, r.SamplePeak)
		}
	}
}

func TestShortTermTech3341Case9(t *testing.T) {
	// Case 9: 20 × (1.34 s at -20 dBFS, 1.66 s at -30 dBFS): the short-term
	// loudness reads -23.0 ± 0.1 once the first 3 s have passed.
	m, err := NewMeter(rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var n int
	var got []float64
	for rep := 0; rep < 20; rep++ {
		for _, s := range []segment{{-20, 1.34}, {-30, 1.66}} {
			a := Amp(s.db)
			k := int(math.Round(s.sec * rate))
			buf := make([]float32, 2*k)
			for i := 0; i < k; i++ {
				v := float32(a * math.Sin(2*math.Pi*1000*float64(n)/rate))
				n++
				buf[2*i], buf[2*i+1] = v, v
			}
			if err := m.Write(buf); err != nil {
				t.Fatal(err)
			}
			st, err := m.ShortTerm()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, st)
		}
	}
	for i, st := range got[2:] {
		if math.Abs(st-(-23)) > 0.1 {
			t.Errorf("short-term after segment %d: %.3f LUFS, want -23.0 ± 0.1", i+2, st)
		}
	}
}

func TestSilenceAndErrors(t *testing.T) {
	m, err := NewMeter(rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Write(make([]float32, rate)); err != nil {
		t.Fatal(err)
	}
	r, err := m.Result()
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(r.Integrated, -1) || !math.IsInf(r.TruePeak, -1) {
		t.Errorf("silence: %+v, want -Inf", r)
	}
	m.Close()
	m.Close()
	if err := m.Write([]float32{1}); err != ErrClosed {
		t.Errorf("write after close: %v", err)
	}
	if _, err := NewMeter(rate, 3); err == nil {
		t.Error("3 channels accepted")
	}
	s, _ := NewMeter(rate, 2)
	defer s.Close()
	if err := s.Write([]float32{1, 2, 3}); err == nil {
		t.Error("odd sample count accepted for stereo")
	}
}

// TestLimiter: loud noise and fs/4 sines at every phase go through the
// limiter; the output measures at or below the ceiling in true peak
// (libebur128's independent 4× measurement), keeps its length, and quiet
// audio passes untouched and time-aligned.
func TestLimiter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float32, 5*rate)
	for i := range noise {
		// Bursts of noise up to +12 dBFS with quiet gaps.
		g := 0.05
		if (i/(rate/3))%2 == 0 {
			g = 4
		}
		noise[i] = float32(g * rng.NormFloat64() / 3)
	}
	for _, tc := range []struct {
		name string
		x    []float32
	}{
		{"noise bursts +12 dB", noise},
		{"fs/4 sine 45° +3 dBTP", truePeakSine(1.41, 45, 1)},
		{"fs/4 sine 0° +6 dBTP", truePeakSine(2, 0, 1)},
		{"1 kHz sine +6 dBFS", sine(1000, 2, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const ceiling = -1.0
			l, err := NewLimiter(rate, ceiling, 0.005, 0.1)
			if err != nil {
				t.Fatal(err)
			}
			var out []float32
			for i := 0; i < len(tc.x); i += 1000 {
				out = l.Process(out, tc.x[i:min(i+1000, len(tc.x))])
			}
			out = l.Flush(out)
			if len(out) != len(tc.x) {
				t.Fatalf("%d frames out, %d in", len(out), len(tc.x))
			}
			m, _ := NewMeter(rate, 1)
			defer m.Close()
			m.Write(out)
			r, _ := m.Result()
			if r.TruePeak > ceiling+0.05 {
				t.Errorf("true peak %.3f dBTP above the %.1f ceiling", r.TruePeak, ceiling)
			}
			if l.Limited() == 0 || l.MaxReduction() <= 0 {
				t.Errorf("limited %d samples, max reduction %.2f dB", l.Limited(), l.MaxReduction())
			}
		})
	}
	// Quiet audio: bit-exact, aligned.
	x := sine(440, 0.3, 1)
	l, _ := NewLimiter(rate, -1, 0.005, 0.1)
	out := l.Flush(l.Process(nil, x))
	for i := range x {
		if out[i] != x[i] {
			t.Fatalf("quiet sine changed at %d: %g -> %g", i, x[i], out[i])
		}
	}
	if l.Limited() != 0 {
		t.Errorf("quiet sine: %d samples limited", l.Limited())
	}
	if _, err := NewLimiter(rate, 1, 0.005, 0.1); err == nil {
		t.Error("ceiling above 0 dBTP accepted")
	}
}

func sine(f, amp, sec float64) []float32 {
	x := make([]float32, int(sec*rate))
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*f*float64(i)/rate))
	}
	return x
}

func BenchmarkMeterStereoHour(b *testing.B) { benchMeter(b, 2) }
func BenchmarkMeterMono(b *testing.B)       { benchMeter(b, 1) }

func benchMeter(b *testing.B, ch int) {
	// Speech-like: noise under a syllable-rate envelope.
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 10*rate*ch)
	for i := range x {
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*float64(i/ch)/rate)
		x[i] = float32(0.1 * env * env * rng.NormFloat64())
	}
	b.SetBytes(int64(len(x) * 4))
	m, _ := NewMeter(rate, ch)
	defer m.Close()
	for b.Loop() {
		m.Write(x)
	}
}

func BenchmarkLimiter(b *testing.B) {
	x := sine(300, 1.5, 1)
	l, _ := NewLimiter(rate, -1, 0.005, 0.1)
	out := make([]float32, 0, len(x))
	b.SetBytes(int64(len(x) * 4))
	for b.Loop() {
		out = l.Process(out[:0], x)
	}
}

// TestTruePeakBlocksMatchWindow checks the block-wise detector against the
// sample-by-sample interpolator (peakWindow, which the limiter uses): the
// same peaks to the bit, whatever the block sizes.
func TestTruePeakBlocksMatchWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, ch := range []int{1, 2} {
		x := make([]float32, 20000*ch)
		for i := range x {
			env := 0.5 + 0.5*math.Sin(2*math.Pi*3*float64(i/ch)/rate)
			x[i] = float32(0.7 * env * env * rng.NormFloat64())
		}
		// The reference: one peakWindow per channel, sample by sample.
		var wantTP, wantSP float64
		for c := 0; c < ch; c++ {
			var w peakWindow
			for i := c; i < len(x); i += ch {
				wantSP = max(wantSP, math.Abs(float64(x[i])))
				p, _ := w.push(float64(x[i]), wantTP)
				wantTP = max(wantTP, p)
			}
			for range interpTaps / 2 {
				p, _ := w.push(0, wantTP)
				wantTP = max(wantTP, p)
			}
		}
		for _, block := range []int{1, 7, 1000, 20000} {
			tp := newTruePeak(ch)
			for i := 0; i < len(x)/ch; i += block {
				tp.write(x[i*ch : min(len(x), (i+block)*ch)])
			}
			gotTP, gotSP := tp.result()
			if gotTP != wantTP || gotSP != wantSP {
				t.Errorf("%d ch, blocks of %d: true peak %v sample peak %v, sample by sample %v %v", ch, block, gotTP, gotSP, wantTP, wantSP)
			}
		}
	}
}

// TestIntegratedMeter: the integrated-only meter gives the full meter's
// integrated loudness (to 1e-6 LU; EBU Tech 3341 case 4, both gates at work),
// NaN for what it does not measure, and no short-term loudness.
func TestIntegratedMeter(t *testing.T) {
	x := make([]float32, 0, 100*rate*2)
	for _, s := range []struct{ db, sec float64 }{{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}} {
		for _, v := range sine(1000, math.Pow(10, s.db/20), s.sec) {
			x = append(x, v, v)
		}
	}
	full, err := NewMeter(rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	im, err := NewIntegratedMeter(rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	for _, m := range []*Meter{full, im} {
		if err := m.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	want, err := full.Result()
	if err != nil {
		t.Fatal(err)
	}
	got, err := im.Result()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Integrated-want.Integrated) > 1e-6 || math.Abs(got.Integrated+23) > 0.1 {
		t.Errorf("integrated %.4f LUFS, the full meter %.4f (want -23 ± 0.1)", got.Integrated, want.Integrated)
	}
	if !math.IsNaN(got.Range) || !math.IsNaN(got.TruePeak) || !math.IsNaN(got.SamplePeak) {
		t.Errorf("range %v, true peak %v, sample peak %v: want NaN (not measured)", got.Range, got.TruePeak, got.SamplePeak)
	}
	if _, err := im.ShortTerm(); err == nil {
		t.Error("ShortTerm of an integrated-only meter did not fail")
	}
}

// TestIntegratedOf measures the EBU Tech 3341 case 4 sequence (−72, −36,
// −23, −36, −72 dBFS) in two and three parts cut on 100 ms boundaries and
// pools them: the same figure as one meter over the whole, within what
// the few blocks straddling the cuts can change.
func TestIntegratedOf(t *testing.T) {
	x := make([]float32, 0, 100*rate*2)
	for _, s := range []struct{ db, sec float64 }{{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}} {
		for _, v := range sine(1000, math.Pow(10, s.db/20), s.sec) {
			x = append(x, v, v)
		}
	}
	whole, err := NewIntegratedMeter(rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if err := whole.Write(x); err != nil {
		t.Fatal(err)
	}
	want, err := whole.Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, cuts := range [][]int{{50}, {15, 55}, {5, 30, 85}} { // seconds
		var parts []*Meter
		from := 0
		for _, c := range append(cuts, 100) {
			m, err := NewIntegratedMeter(rate, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if err := m.Write(x[from*rate*2 : c*rate*2]); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, m)
			from = c
		}
		got, err := IntegratedOf(parts...)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want.Integrated) > 0.01 || math.Abs(got+23) > 0.1 {
			t.Errorf("cut at %v s: pooled %.4f LUFS, one meter %.4f", cuts, got, want.Integrated)
		}
	}
	mono, err := NewIntegratedMeter(rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer mono.Close()
	if _, err := IntegratedOf(whole, mono); !errors.Is(err, ErrChannels) {
		t.Errorf("pooling 2- and 1-channel meters: %v, want ErrChannels", err)
	}
}
