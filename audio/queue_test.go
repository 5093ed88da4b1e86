package audio

import (
	"math"
	"slices"
	"testing"
)

// delivered is one buffer as the writer reads it from the queue.
type delivered struct {
	in       []float32
	adc      float64
	overflow bool // frames were lost before it (either flag)
	dropped  bool // by the queue itself (Buffer.Dropped)
}

// collector reads a queue into a slice of copies, as the writer reads it.
type collector struct {
	q   *CaptureQueue
	got []delivered
}

func collect(q *CaptureQueue) *collector { return &collector{q: q} }

// poll reads every buffer queued now.
func (c *collector) poll() {
	for {
		b, ok := c.q.Read()
		if !ok {
			return
		}
		c.got = append(c.got, delivered{slices.Clone(b.Samples), b.ADC, b.Overflow || b.Dropped, b.Dropped && !b.Overflow})
	}
}

// frames returns n frames of 2-channel test signal starting at frame k.
func frames2(k, n int) []float32 {
	s := make([]float32, 2*n)
	for i := range n {
		s[2*i] = float32(k+i) / 1e6
		s[2*i+1] = -float32(k+i) / 1e6
	}
	return s
}

// TestQueueRoundTrip: buffers pass through the C queue unchanged, in order,
// with their ADC times, and a buffer with no ADC time gets one estimated
// from the callback's current time.
func TestQueueRoundTrip(t *testing.T) {
	const rate = 48000.0
	q := newTestQueue(2, rate, 1024, 16, false)
	defer q.free()
	got := collect(q)
	got.poll()
	if len(got.got) != 0 {
		t.Fatalf("an empty queue delivered %d buffers", len(got.got))
	}
	for k := range 3 {
		q.feed(frames2(256*k, 256), 256, 10+float64(256*k)/rate, 0, false)
	}
	// No ADC time (some host APIs): the callback's current time minus the buffer.
	q.feed(frames2(768, 256), 256, 0, 10+1024/rate, false)
	got.poll()
	if len(got.got) != 4 {
		t.Fatalf("delivered %d buffers, want 4", len(got.got))
	}
	for k, d := range got.got {
		if !slices.Equal(d.in, frames2(256*k, 256)) {
			t.Fatalf("buffer %d changed on the way", k)
		}
		if want := 10 + float64(256*k)/rate; math.Abs(d.adc-want) > 1e-9 || d.overflow {
			t.Fatalf("buffer %d: adc %v overflow %v, want %v false", k, d.adc, d.overflow, want)
		}
	}
	// The queue wraps: 1024 more frames in buffers of 384 and 640 frames.
	got.got = nil
	q.feed(frames2(1024, 384), 384, 10+1024/rate, 0, false)
	q.feed(frames2(1408, 640), 640, 10+1408/rate, 0, false)
	got.poll()
	if len(got.got) != 2 || !slices.Equal(got.got[0].in, frames2(1024, 384)) || !slices.Equal(got.got[1].in, frames2(1408, 640)) {
		t.Fatalf("wrapped buffers came back as %d buffers", len(got.got))
	}
}

// TestQueueSplitsLongBuffers: a buffer longer than one queue entry is queued
// in pieces with the ADC time of each piece's first frame.
func TestQueueSplitsLongBuffers(t *testing.T) {
	const rate = 44100.0
	n := 2*piece + 100
	q := newTestQueue(2, rate, 1<<15, 16, false)
	defer q.free()
	got := collect(q)
	q.feed(frames2(0, n), n, 5, 0, false)
	got.poll()
	if len(got.got) != 3 {
		t.Fatalf("%d frames came back in %d pieces, want 3", n, len(got.got))
	}
	at := 0
	for i, d := range got.got {
		k := len(d.in) / 2
		if want := min(piece, n-at); k != want {
			t.Fatalf("piece %d: %d frames, want %d", i, k, want)
		}
		if !slices.Equal(d.in, frames2(at, k)) {
			t.Fatalf("piece %d changed on the way", i)
		}
		if want := 5 + float64(at)/rate; math.Abs(d.adc-want) > 1e-9 {
			t.Fatalf("piece %d: adc %v, want %v", i, d.adc, want)
		}
		at += k
	}
}

// TestQueueOverflow: when nobody reads and the queue fills, the callback
// drops whole buffers and flags the next one it queues as dropped after
// (PODMARK_DROPPED, not the source's input overflow flag), with
// its true ADC time, so the Recorder inserts exactly the lost frames as
// silence. A buffer without input data is queued as silence.
func TestQueueOverflow(t *testing.T) {
	const rate = 48000.0
	for _, jack := range []bool{false, true} {
		q := newTestQueue(2, rate, 1024, 16, jack)
		got := collect(q)
		adc := func(k int) float64 { return 1 + float64(256*k)/rate }
		for k := range 6 { // buffers 4 and 5 do not fit
			q.feed(frames2(256*k, 256), 256, adc(k), 0, false)
		}
		got.poll()
		q.feed(nil, 256, adc(6), 0, false)
		got.poll()
		q.free()
		if len(got.got) != 5 {
			t.Fatalf("jack=%v: %d buffers delivered, want 5", jack, len(got.got))
		}
		last := got.got[4]
		if !last.overflow || !last.dropped || slices.ContainsFunc(got.got[:4], func(d delivered) bool { return d.overflow }) {
			t.Fatalf("jack=%v: overflow flags %v", jack, []bool{got.got[0].overflow, got.got[3].overflow, last.overflow})
		}
		if !slices.Equal(last.in, make([]float32, 512)) {
			t.Fatalf("jack=%v: a buffer without input was not silence", jack)
		}
		// The Recorder counts lost frames from the ADC time jump.
		prev := got.got[3].adc
		if lost := math.Round((last.adc-prev)*rate) - 256; lost != 512 {
			t.Fatalf("jack=%v: the jump after the overflow says %v frames were lost, want 512", jack, lost)
		}
	}
}

// TestQueuePollIdle: Read before start (and after free) returns nothing.
func TestQueuePollIdle(t *testing.T) {
	q, err := newCaptureQueue(queueConfig{channels: 1, rate: 48000, frames: 1024, buffers: 16})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(q)
	q.feed(make([]float32, 64), 64, 1, 0, false)
	got.poll()
	if len(got.got) != 0 {
		t.Fatal("Read returned a buffer while the source was not started")
	}
	q.start()
	q.feed(make([]float32, 64), 64, 1, 0, false)
	q.free()
	got.poll()
	if len(got.got) != 0 {
		t.Fatal("Read returned a buffer after the queue was freed")
	}
}

// TestQueueMeters: the stream callback meters each channel (peak, RMS, clip
// latch) over every buffer since the last reading, even buffers the full
// queue had to drop, and a buffer with no input counts as silence.
func TestQueueMeters(t *testing.T) {
	if c := cClipLevel(); c != float32(clipLevel) {
		t.Fatalf("the C callback clips at %v, the Go side at %v", c, float32(clipLevel))
	}
	q := newTestQueue(2, 48000, 1024, 16, false)
	defer q.free()
	collect(q)
	loud, quiet := make([]float32, 2*256), make([]float32, 2*256)
	for i := range 256 {
		loud[2*i], loud[2*i+1] = 0.8, -0.5
		quiet[2*i], quiet[2*i+1] = -0.1, 0.25
	}
	if lv := q.Levels(nil); len(lv) != 2 || lv[0] != (Level{}) || lv[1] != (Level{}) {
		t.Fatalf("levels before any audio: %+v", lv)
	}
	q.feed(loud, 256, 0, 0, false)
	q.feed(quiet, 256, 256.0/48000, 0, false)
	lv := q.Levels(nil)
	near := func(a float32, b float64) bool { return math.Abs(float64(a)-b) < 1e-6 }
	if lv[0].Peak != 0.8 || !near(lv[0].RMS, math.Sqrt((0.64+0.01)/2)) || lv[1].Peak != 0.5 ||
		!near(lv[1].RMS, math.Sqrt((0.25+0.0625)/2)) || lv[0].Clipped || lv[1].Clipped {
		t.Fatalf("after a loud and a quiet buffer: %+v", lv)
	}
	// A new reading starts with the next buffer; a buffer without input is silence.
	q.feed(nil, 256, 512.0/48000, 0, false)
	q.feed(quiet, 256, 768.0/48000, 0, false)
	if lv = q.Levels(lv); lv[0].Peak != 0.1 || !near(lv[0].RMS, math.Sqrt(0.01/2)) || lv[1].Peak != 0.25 {
		t.Fatalf("the next reading: %+v", lv)
	}
	// The queue (1024 frames) is full now: a dropped buffer is still metered.
	clip := make([]float32, 2*256)
	clip[7] = -1
	q.feed(clip, 256, 1024.0/48000, 0, false)
	if lv = q.Levels(lv); lv[0].Peak != 0 || lv[1].Peak != 1 || !lv[1].Clipped || lv[0].Clipped {
		t.Fatalf("a full-scale sample in a dropped buffer: %+v", lv)
	}
	// The clip latch holds until cleared.
	q.feed(quiet, 256, 1280.0/48000, 0, false)
	if lv = q.Levels(lv); !lv[1].Clipped || lv[1].Peak != 0.25 {
		t.Fatalf("the clip latch did not hold: %+v", lv)
	}
	q.ClearClip(1)
	q.ClearClip(5) // out of range: ignored
	if lv = q.Levels(lv); lv[1].Clipped {
		t.Fatalf("ClearClip did not clear: %+v", lv)
	}
}
