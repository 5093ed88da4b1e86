package audio

import (
	"sync"
	"testing"
	"time"
)

// A real-time Ramp delivers every frame in order, paced by the wall clock
// times Speed with catch-up, and its stream clock keeps pace with what it
// delivered.
func TestRampRealtimePacing(t *testing.T) {
	for _, speed := range []float64{1, 20} {
		const rate, fpb = 48000, 480
		r := NewRamp(RampOptions{Channels: 2, Rate: rate, FramesPerBuffer: fpb, Realtime: true, Speed: speed})
		var mu sync.Mutex
		var next int64
		var bad []string
		// The test reads the Ramp's capture queue, as the writer does.
		read := func() {
			mu.Lock()
			defer mu.Unlock()
			for {
				b, ok := r.Queue().Read()
				if !ok {
					return
				}
				in, adc := b.Samples, b.ADC
				if b.Overflow || b.Dropped {
					bad = append(bad, "overflow flag set")
				}
				if want := float64(next) / rate; adc != want {
					bad = append(bad, "adc time off")
				}
				for i := 0; i < len(in)/2; i++ {
					for c := 0; c < 2; c++ {
						if in[2*i+c] != RampValue(next+int64(i), c) {
							bad = append(bad, "sample value off")
							return
						}
					}
				}
				next += int64(len(in) / 2)
			}
		}
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			time.Sleep(50 * time.Millisecond)
			read()
		}
		clock := r.Now()
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
		read()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got, errs := next, bad
		mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("speed %v: %v", speed, errs[0])
		}
		if got != r.Delivered() {
			t.Errorf("speed %v: the queue held %d frames, Delivered says %d", speed, got, r.Delivered())
		}
		// The clock ran Speed times the wall clock; delivery lags it by at
		// most a buffer plus scheduling delay (generous for -race on 2 cores).
		if clock < 0.5*speed*0.95 {
			t.Errorf("speed %v: stream clock %.3f s after 0.5 s of wall time", speed, clock)
		}
		lag := clock - float64(got)/rate
		if lag < -float64(fpb)/rate || lag > float64(fpb)/rate+0.1*speed {
			t.Errorf("speed %v: delivered %d frames (%.3f s) with the clock at %.3f s", speed, got, float64(got)/rate, clock)
		}
	}
}

// TestRampNowBetweenBuffers: a real-time Ramp's clock runs on between its
// buffers, as a sound card's does, so "now" taken mid-buffer is mid-buffer
// (a marker is not rounded to a buffer boundary), and it is never more than
// one buffer ahead of what was delivered.
func TestRampNowBetweenBuffers(t *testing.T) {
	const rate, fpb = 48000, 4800 // 100 ms buffers: sub-buffer positions are plain to see
	r := NewRamp(RampOptions{Channels: 1, Rate: rate, FramesPerBuffer: fpb, Realtime: true})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	inside := 0
	for range 6 {
		// Just after a buffer arrives, wait a third of a buffer.
		d0 := r.Delivered()
		for r.Delivered() == d0 {
			time.Sleep(time.Millisecond)
		}
		d := r.Delivered()
		time.Sleep(33 * time.Millisecond)
		now := r.Now() * rate
		if got := r.Delivered(); got != d {
			continue // the machine was slow: the next buffer came already
		}
		ahead := now - float64(d)
		if ahead > fpb+0.5 {
			t.Errorf("Now %.0f is %.0f frames past the %d delivered, more than a buffer", now, ahead, d)
		}
		if ahead >= 0.1*fpb && ahead <= 0.9*fpb {
			inside++
		}
		for q := r.Queue(); ; {
			if _, ok := q.Read(); !ok {
				break
			}
		}
	}
	if inside < 3 {
		t.Errorf("Now fell inside the buffer being captured %d times of 6, want most: it sticks to buffer boundaries", inside)
	}
}
