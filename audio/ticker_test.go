package audio

import (
	"testing"
	"time"
)

// TestWriterTicker: wait returns once a period (not sooner), at once when a
// tick passed while the caller worked, and at once after stop is closed and
// wake called; wake after close is harmless.
func TestWriterTicker(t *testing.T) {
	const period = 30 * time.Millisecond
	w := newWriterTicker(period)
	stop := make(chan struct{})
	t0 := time.Now()
	for range 5 {
		w.wait(stop)
	}
	if d := time.Since(t0); d < 5*period-5*time.Millisecond || d > 5*period+2*time.Second {
		t.Fatalf("5 waits took %v, want about %v", d, 5*period)
	}
	w.close()

	// Ticks pass while the writer works: the next wait does not sleep, and
	// the one after it waits for the next tick (half a period away).
	const slow = 100 * time.Millisecond
	w = newWriterTicker(slow)
	w.wait(stop)
	time.Sleep(slow*5/2 - slow) // the writer works 1.5 periods
	t1 := time.Now()
	w.wait(stop)
	missed := time.Since(t1)
	w.wait(stop)
	if next := time.Since(t1); missed > slow/2 || next < slow/10 {
		t.Fatalf("after a missed tick wait took %v, the next %v", missed, next)
	}
	w.close()
	w.wake() // closed: nothing to wake, no panic

	// Stop: wake makes a long wait return at once.
	w = newWriterTicker(time.Hour)
	defer w.close()
	done := make(chan struct{})
	go func() { w.wait(stop); close(done) }()
	time.Sleep(20 * time.Millisecond)
	close(stop)
	w.wake()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("wake did not end the wait")
	}
	w.wait(stop) // stop closed: returns at once
}

// TestWriterTickerFallback: the Go timer used where there is no timerfd
// behaves the same.
func TestWriterTickerFallback(t *testing.T) {
	w := &writerTicker{period: 30 * time.Millisecond, t: time.NewTimer(30 * time.Millisecond)}
	stop := make(chan struct{})
	t0 := time.Now()
	w.wait(stop)
	w.wait(stop)
	if d := time.Since(t0); d < 55*time.Millisecond {
		t.Fatalf("2 waits took %v", d)
	}
	close(stop)
	w.wake()
	w.wait(stop)
	w.close()
}
