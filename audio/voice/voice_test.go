package voice

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

const rate = 48000

// span is a stretch of synthetic speech, seconds.
type span struct {
	start, end float64
	gain       float64 // dB, 0 = normal speech level
}

// voiceSignal is speech-like: noise shaped by a syllable envelope (4 Hz,
// dipping to -20 dB between syllables) with a 150 ms pause every 1.5 s, at
// about -20 dBFS, over a room floor of -66 dBFS.
func voiceSignal(seconds float64, spans []span, seed uint64) []float32 {
	n := int(seconds * rate)
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, n)
	lp := 0.0
	for i := range out {
		t := float64(i) / rate
		v := 0.0007 * (rng.Float64()*2 - 1) // room
		for _, s := range spans {
			if t < s.start || t >= s.end {
				continue
			}
			in := t - s.start
			if math.Mod(in, 1.5) > 1.35 {
				continue // a short pause inside the turn
			}
			env := 0.1 + 0.9*math.Pow(math.Sin(math.Pi*4*in), 2)
			lp += 0.3 * (rng.Float64()*2 - 1 - lp)
			v += 0.25 * math.Pow(10, s.gain/20) * env * lp * 3
		}
		out[i] = float32(v)
	}
	return out
}

func writeTrack(t *testing.T, path string, samples []float32, format audio.SampleFormat) {
	t.Helper()
	w, err := audio.CreateWAV(path, audio.WriterOptions{Rate: rate, Channels: 1, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32(samples); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// mixIn adds src, delayed by delay seconds and scaled by gain dB, to dst.
func mixIn(dst, src []float32, delay, gain float64) {
	d := int(delay * rate)
	g := float32(math.Pow(10, gain/20))
	for i := range dst {
		if j := i - d; j >= 0 && j < len(src) {
			dst[i] += g * src[j]
		}
	}
}

func TestAnalyzeTurns(t *testing.T) {
	aSpans := []span{{0.5, 4.0, 0}, {9.0, 9.4, -3} /* interjection */, {12.0, 16.0, 0}, {17.5, 18.5, 0} /* overlap */}
	bSpans := []span{{4.4, 11.0, 0}, {16.2, 18.2, -2}}
	for _, tc := range []struct {
		name          string
		bleedA, delay float64 // bob bleeds into alice's track at bleedA dB, delayed
		padA          float64 // seconds of digital silence at the start of alice's track
		format        audio.SampleFormat
	}{
		{"clean", 0, 0, 0, audio.Int24},
		{"bleed -20 dB", -20, 0, 0, audio.Int16},
		{"bleed -20 dB late 200 ms", -20, 0.2, 0, audio.Float32},
		{"bleed -14 dB late 100 ms", -14, 0.1, 0, audio.Int24},
		{"merge padding", -20, 0.05, 0.3, audio.Int24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := voiceSignal(20, aSpans, 1)
			b := voiceSignal(20, bSpans, 2)
			// Bob's mic is 6 dB hotter: levels are per track.
			for i := range b {
				b[i] *= 2
			}
			if tc.bleedA != 0 {
				mixIn(a, b, tc.delay, tc.bleedA-6)
			}
			for i := 0; i < int(tc.padA*rate); i++ {
				a[i] = 0
			}
			pa, pb := filepath.Join(dir, "alice-1.wav"), filepath.Join(dir, "bob-1.wav")
			writeTrack(t, pa, a, tc.format)
			writeTrack(t, pb, b, tc.format)
			res, err := Analyze(context.Background(), []Speaker{{"alice", []string{pa}}, {"bob", []string{pb}}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := []Turn{
				{0, sec(0.5), sec(4.0)}, {1, sec(4.4), sec(11.0)}, {0, sec(9.0), sec(9.4)},
				{0, sec(12.0), sec(16.0)}, {1, sec(16.2), sec(18.2)}, {0, sec(17.5), sec(18.5)},
			}
			checkTurns(t, res.Turns, want, 60*time.Millisecond)
			if res.Frames != 20*rate || res.Rate != rate {
				t.Errorf("frames %d rate %d", res.Frames, res.Rate)
			}
			if tc.bleedA != 0 && res.Stats[0].Bleed < 5*rate {
				t.Errorf("bleed frames on alice: %d, want most of bob's 8.6 s", res.Stats[0].Bleed)
			}
			if f := res.Stats[0].Floor; f < -75 || f > -60 {
				t.Errorf("alice's noise floor %.1f dBFS, want about -66", f)
			}
		})
	}
}

func sec(s float64) int64 { return int64(s * rate) }

// checkTurns matches each wanted turn to a found one of the same speaker
// (same order within a speaker) and checks both ends within tol.
func checkTurns(t *testing.T, got, want []Turn, tol time.Duration) {
	t.Helper()
	tolF := int64(tol.Seconds() * rate)
	if len(got) != len(want) {
		t.Fatalf("%d turns, want %d:\n%s", len(got), len(want), fmtTurns(got))
	}
	bySp := map[int][]Turn{}
	for _, g := range got {
		bySp[g.Speaker] = append(bySp[g.Speaker], g)
	}
	seen := map[int]int{}
	for _, w := range want {
		g := bySp[w.Speaker][seen[w.Speaker]]
		seen[w.Speaker]++
		if abs(g.Start-w.Start) > tolF || abs(g.End-w.End) > tolF {
			t.Errorf("speaker %d: turn %.3f-%.3f, want %.3f-%.3f", w.Speaker,
				float64(g.Start)/rate, float64(g.End)/rate, float64(w.Start)/rate, float64(w.End)/rate)
		}
	}
}

func fmtTurns(ts []Turn) string {
	s := ""
	for _, t := range ts {
		s += time.Duration(float64(t.Start)/rate*1e9).String() + "-" + time.Duration(float64(t.End)/rate*1e9).String() + " " + string(rune('A'+t.Speaker)) + "\n"
	}
	return s
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestHangover(t *testing.T) {
	// Two stretches 400 ms apart: one turn with the default hangover, two
	// with a 200 ms one.
	dir := t.TempDir()
	a := voiceSignal(6, []span{{0.5, 2.0, 0}, {2.4, 4.0, 0}}, 3)
	b := voiceSignal(6, []span{{4.5, 5.5, 0}}, 4)
	pa, pb := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	writeTrack(t, pa, a, audio.Int24)
	writeTrack(t, pb, b, audio.Int24)
	sp := []Speaker{{"a", []string{pa}}, {"b", []string{pb}}}
	for _, tc := range []struct {
		hang  time.Duration
		turns int
	}{{0, 2}, {200 * time.Millisecond, 3}, {time.Second, 2}} {
		res, err := Analyze(context.Background(), sp, Options{Hangover: tc.hang})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Turns) != tc.turns {
			t.Errorf("hangover %v: %d turns, want %d:\n%s", tc.hang, len(res.Turns), tc.turns, fmtTurns(res.Turns))
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	writeTrack(t, pa, voiceSignal(1, nil, 1), audio.Int16)
	w, err := audio.CreateWAV(pb, audio.WriterOptions{Rate: 44100, Channels: 1, Format: audio.Int16})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32(make([]float32, 44100)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.wav")
	if err := os.WriteFile(bad, []byte("RIFF....WAVEjunk"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := Analyze(ctx, []Speaker{{"a", []string{pa}}}, Options{}); !errors.Is(err, ErrNoSpeakers) {
		t.Errorf("one speaker: %v", err)
	}
	if _, err := Analyze(ctx, []Speaker{{"a", []string{pa}}, {"b", []string{pb}}}, Options{}); !errors.Is(err, ErrMismatch) {
		t.Errorf("44.1 and 48 kHz: %v", err)
	}
	if _, err := Analyze(ctx, []Speaker{{"a", []string{pa}}, {"b", []string{bad}}}, Options{}); !errors.Is(err, audio.ErrNotWAV) {
		t.Errorf("not a WAV: %v", err)
	}
	if _, err := Analyze(ctx, []Speaker{{"a", []string{pa}}, {"b", []string{filepath.Join(dir, "none.wav")}}}, Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := Analyze(ctx, []Speaker{{"a", []string{pa}}, {"b", nil}}, Options{}); err == nil {
		t.Error("speaker without a track: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Analyze(cctx, []Speaker{{"a", []string{pa}}, {"b", []string{pa}}}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// Silence only: no turns, no error.
	res, err := Analyze(ctx, []Speaker{{"a", []string{pa}}, {"b", []string{pa}}}, Options{})
	if err != nil || len(res.Turns) != 0 {
		t.Errorf("silence: %v %v", res.Turns, err)
	}
}

// TestBleedLag: the lag of one track's bleed in another is measured to the
// hop, with and without a room's reverberation, and not at all where there
// is no bleed (the other way round, or a host with headphones).
func TestBleedLag(t *testing.T) {
	aSpans := []span{{0.5, 4.0, 0}, {9.0, 9.4, -3}, {12.0, 16.0, 0}, {17.5, 18.5, 0}}
	bSpans := []span{{4.4, 11.0, 0}, {16.2, 18.2, -2}}
	opt := Options{}.withDefaults()
	for _, tc := range []struct {
		name   string
		bleedA float64 // bob bleeds into alice's track at this dB (0: none)
		delay  float64 // seconds
		echo   bool    // through a room: a second, later and weaker copy
	}{
		{"on time", -20, 0, false},
		{"100 ms late", -20, 0.1, false},
		{"270 ms late, -26 dB", -26, 0.27, false},
		{"150 ms late, with the room", -20, 0.15, true},
		{"headphones", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := voiceSignal(20, aSpans, 1)
			b := voiceSignal(20, bSpans, 2)
			if tc.bleedA != 0 {
				mixIn(a, b, tc.delay, tc.bleedA)
				if tc.echo {
					mixIn(a, b, tc.delay+0.04, tc.bleedA-8)
				}
			}
			dir := t.TempDir()
			var power [][]float32
			for i, x := range [][]float32{a, b} {
				p := filepath.Join(dir, string(rune('a'+i))+".wav")
				writeTrack(t, p, x, audio.Int24)
				e, err := readEnvelope(context.Background(), p, opt.Hop)
				if err != nil {
					t.Fatal(err)
				}
				power = append(power, e.power)
			}
			d := newDecision(power, rate/100, opt)
			want := -1
			if tc.bleedA != 0 {
				want = int(math.Round(tc.delay * 100))
			}
			if got := d.lag[0][1]; got < want-1 || got > want+1 || (want < 0) != (got < 0) {
				t.Errorf("bob's bleed in alice measured %d hops late, want %d", got, want)
			}
			if got := d.lag[1][0]; got != -1 {
				t.Errorf("alice's bleed in bob (there is none) measured %d hops late, want none (-1)", got)
			}
		})
	}
}

// TestHistogramQuantile: the histogram's quantiles agree with the sorted
// ones to its resolution, and values beyond its span land at its ends.
func TestHistogramQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h histogram
	var v []float64
	for range 20000 {
		x := float32(rng.NormFloat64()*9 - 15)
		h.add(x)
		v = append(v, float64(x))
	}
	for _, q := range []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1} {
		want := percentile(v, q)
		if got := h.quantile(q); math.Abs(got-want) > 1.0/histRes {
			t.Errorf("q %.2f: %.3f, sorted %.3f", q, got, want)
		}
	}
	h.reset()
	h.add(-1000)
	h.add(1000)
	if lo, hi := h.quantile(0), h.quantile(1); lo > -histSpan+1 || hi < histSpan-1 || h.n != 2 {
		t.Errorf("out of span: %.1f, %.1f (n %d)", lo, hi, h.n)
	}
}
