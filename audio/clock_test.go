package audio

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestADCClock(t *testing.T) {
	const rate, n = 48000.0, 1024.0
	rng := rand.New(rand.NewPCG(1, 2))
	jitter := func() float64 { return (rng.Float64()*2 - 1) * 30 / rate } // ±30 frames
	cases := []struct {
		name         string
		wholeBuffers bool
		drift        float64 // device clock error
		lossAt       int     // buffer index of a real loss, -1 none
		loss         float64 // frames lost
		flagOnly     []int   // overflows flagged without loss (xruns elsewhere)
		late         float64 // frames the ADC time is measured late at the loss
	}{
		{"jitter only", true, 0, -1, 0, nil, 0},
		{"xrun flags without loss", true, 0, -1, 0, []int{50, 51, 300}, 0},
		{"JACK loses 3 periods", true, 0, 200, 3 * n, []int{90}, 0},
		{"JACK loses 1 period, measured 700 frames late", true, 0, 200, n, nil, 700},
		{"JACK xrun measured 600 frames late, nothing lost", true, 0, 200, 0, nil, 600},
		{"ALSA loses 777 frames", false, 0, 200, 777, nil, 0},
		{"100 ppm drift for 2 hours", true, 1e-4, -1, 0, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := adcClock{rate: rate}
			if c.wholeBuffers {
				clk.mode = clockWhole
			}
			buffers := 2000
			if c.drift != 0 {
				buffers = int(2 * 3600 * rate / n)
			}
			var frames, lostTotal float64 // true stream position
			var prev float64
			worst := 0.0
			for i := range buffers {
				overflow := false
				for _, f := range c.flagOnly {
					overflow = overflow || f == i
				}
				if i == c.lossAt {
					frames += c.loss
					overflow = true
				}
				trueADC := frames / rate * (1 + c.drift)
				measured := trueADC + jitter()
				if i == c.lossAt {
					measured += c.late / rate
				}
				got := clk.next(measured, n, overflow)
				if i > 0 {
					// What the Recorder computes: lost frames at an overflow.
					if overflow {
						lost := math.Round((got - prev - n/rate) * rate)
						if lost < 0 {
							lost = 0
						}
						lostTotal += lost
						tol := 0.0
						if !c.wholeBuffers {
							tol = 40 // the measurement jitter plus the loop error
						}
						if i == c.lossAt && math.Abs(lost-c.loss) > tol {
							t.Fatalf("buffer %d: lost %v frames, want %v", i, lost, c.loss)
						}
						if i != c.lossAt && lost != 0 {
							t.Fatalf("buffer %d: xrun without loss read as %v lost frames", i, lost)
						}
					}
					if i > 200 || c.lossAt < 0 && i > 100 {
						worst = max(worst, math.Abs(got-trueADC)*rate)
					}
				}
				prev = got
				frames += n
			}
			if math.Abs(lostTotal-c.loss) > 40 || c.wholeBuffers && lostTotal != c.loss {
				t.Fatalf("total lost %v, want %v", lostTotal, c.loss)
			}
			if worst > 32 { // under 1 ms
				t.Fatalf("smoothed clock strays %.1f frames from the true ADC time", worst)
			}
			t.Logf("largest error after settling: %.2f frames", worst)
		})
	}
	// A jump without an overflow flag restarts the clock there.
	clk := adcClock{rate: rate}
	clk.next(0, n, false)
	if got := clk.next(10, n, false); got != 10 {
		t.Fatalf("discontinuity: got %v", got)
	}
}
