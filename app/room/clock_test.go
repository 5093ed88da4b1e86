package room

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestFitClock: offset and drift come back from measurements whose error is
// within half their round trip; a short span gives no drift; congested
// rounds are left out; an absurd drift is refused.
func TestFitClock(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	type meas struct{ at, rtt float64 }
	every := func(n int, step, rtt float64) []meas {
		var ms []meas
		for i := range n {
			ms = append(ms, meas{2 + float64(i)*step, rtt})
		}
		return ms
	}
	for _, c := range []struct {
		name       string
		offset, d  float64 // truth: seconds, ppm
		ms         []meas
		wantDrift  bool
		wantOffset float64 // tolerance of the offset at sample 0, seconds
		wantPPM    float64 // tolerance of the drift
	}{
		{"LAN, 10 min, +120 ppm", 12.5, 120, every(21, 30, 0.0004), true, 0.0003, 2},
		{"LAN, 10 min, -35 ppm, one congested round", -3.25, -35, append(every(21, 30, 0.0003), meas{95, 0.2}), true, 0.0003, 2},
		{"LAN, 60 s: too short for drift", 0.75, 80, every(3, 30, 0.002), false, 0.001 + 80e-6*62, 0},
		{"single measurement", 4, 0, every(1, 0, 0.001), false, 0.0005, 0},
		{"5000 ppm is refused", 1, 5000, every(21, 30, 0.0002), false, 0.001 + 5000e-6*602, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var es []ClockEstimate
			for i, m := range c.ms {
				noise := (rng.Float64() - 0.5) * m.rtt // within RTT/2
				es = append(es, ClockEstimate{Host: "bob", Rate: 44100, At: m.at, RTT: m.rtt, Rounds: 8,
					Offset: c.offset + c.d*1e-6*m.at + noise, Measured: t0.Add(time.Duration(i) * 30 * time.Second)})
			}
			rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
			fit, ok := FitClock(es)
			if !ok || fit.Host != "bob" || fit.Rate != 44100 {
				t.Fatalf("fit = %+v, %v", fit, ok)
			}
			if math.Abs(fit.Offset-c.offset) > c.wantOffset {
				t.Errorf("offset %.6f s, truth %.6f s (tolerance %.6f)", fit.Offset, c.offset, c.wantOffset)
			}
			if !c.wantDrift {
				if fit.DriftPPM != 0 || fit.Measurements != 1 {
					t.Errorf("drift %.1f ppm from %d measurements; want none", fit.DriftPPM, fit.Measurements)
				}
				return
			}
			if math.Abs(fit.DriftPPM-c.d) > c.wantPPM {
				t.Errorf("drift %.2f ppm, truth %.2f ppm", fit.DriftPPM, c.d)
			}
			if fit.Measurements != 21 || fit.Span != 600 {
				t.Errorf("used %d measurements over %.0f s; want 21 over 600 s (the congested round left out)", fit.Measurements, fit.Span)
			}
			if !fit.Measured.Equal(t0.Add(20 * 30 * time.Second)) {
				t.Errorf("measured %v; want the latest used", fit.Measured)
			}
		})
	}
	if _, ok := FitClock(nil); ok {
		t.Error("FitClock(nil) reported a fit")
	}
}
