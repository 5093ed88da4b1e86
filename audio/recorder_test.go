package audio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// glitchLog collects OnGlitch calls.
type glitchLog struct {
	mu  sync.Mutex
	got [][2]int64
}

func (g *glitchLog) add(at, lost int64) {
	g.mu.Lock()
	g.got = append(g.got, [2]int64{at, lost})
	g.mu.Unlock()
}

func (g *glitchLog) list() [][2]int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([][2]int64(nil), g.got...)
}

func trackPaths(dir string, n int) []string {
	p := make([]string, n)
	for i := range p {
		p[i] = filepath.Join(dir, fmt.Sprintf("host-%d.wav", i+1))
	}
	return p
}

func waitDone(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// checkTracks reads every track back and compares each sample with the ramp
// at its stream position, or with silence inside a glitch.
func checkTracks(t *testing.T, paths []string, frames int64, f SampleFormat, glitches [][2]int64) {
	t.Helper()
	for c, p := range paths {
		info, got, err := ReadWAVFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Frames != frames || info.Channels != 1 || info.Format != f {
			t.Fatalf("%s: %+v, want %d frames", p, info, frames)
		}
		if info.BEXT == nil || info.BEXT.Origination.IsZero() {
			t.Fatalf("%s: bext %+v", p, info.BEXT)
		}
		gi := 0
		for i := int64(0); i < frames; i++ {
			for gi < len(glitches) && i >= glitches[gi][0]+glitches[gi][1] {
				gi++
			}
			want := RampValue(i, c)
			if gi < len(glitches) && i >= glitches[gi][0] {
				want = 0
			}
			if got[i] != want {
				t.Fatalf("%s frame %d = %v, want %v (glitches %v)", p, i, got[i], want, glitches)
			}
		}
	}
}

func TestRecorderExactFrames(t *testing.T) {
	for _, f := range formats {
		for _, ch := range []int{1, 3} {
			t.Run(fmt.Sprintf("%v/%dch", f, ch), func(t *testing.T) {
				ramp := NewRamp(RampOptions{Channels: ch, Rate: 48000, FramesPerBuffer: 333, StopAfter: 4 * 48000})
				paths := trackPaths(t.TempDir(), ch)
				var g glitchLog
				rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: ch, Rate: 48000, Format: f, Tracks: paths,
					BEXT: BEXT{Description: "test", Originator: "podmark"}, OnGlitch: g.add, StallTimeout: 20 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				start, err := rec.Start()
				if err != nil {
					t.Fatal(err)
				}
				if time.Since(start) > time.Minute || start.Location() != time.UTC {
					t.Fatalf("start %v", start)
				}
				waitDone(t, ramp.Done(), "ramp")
				if err := rec.Stop(); err != nil {
					t.Fatal(err)
				}
				want := (4*48000 + 332) / 333 * 333
				st := rec.Stats()
				if st.Frames != int64(want) || st.StreamFrames != int64(want) || st.Dropped != 0 || st.Glitches != 0 || st.Overflows != 0 {
					t.Fatalf("stats %+v, want %d frames", st, want)
				}
				if len(g.list()) != 0 {
					t.Fatalf("glitches %v", g.list())
				}
				checkTracks(t, paths, int64(want), f, nil)
				info, _, _ := ReadWAVFile(paths[0])
				// Origination has whole seconds; TimeReference counts samples since local midnight.
				tr0 := TimeReference(info.BEXT.Origination, 48000)
				if info.BEXT.Description != "test" || info.BEXT.TimeReference < tr0 || info.BEXT.TimeReference >= tr0+48000 {
					t.Fatalf("bext %+v", info.BEXT)
				}
				if err := rec.Stop(); err != nil {
					t.Fatalf("second Stop: %v", err)
				}
				select {
				case <-rec.Done():
				default:
					t.Fatal("Done not closed after Stop")
				}
			})
		}
	}
}

func TestRecorderOverflowInsertsSilence(t *testing.T) {
	ramp := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 480, StopAfter: 3 * 48000,
		Overflows: []RampOverflow{{At: 48000, Frames: 1234}, {At: 96000, Frames: 7}}})
	paths := trackPaths(t.TempDir(), 2)
	var g glitchLog
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 2, Rate: 48000, Format: Int24, Tracks: paths, OnGlitch: g.add, StallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ramp.Done(), "ramp")
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	// The ramp skips 1234 frames at 48000 (a buffer boundary), then 7 at
	// the first buffer start ≥ 96000: 48000+1234+k·480 ≥ 96000.
	second := int64(48000 + 1234)
	for second < 96000 {
		second += 480
	}
	wantG := [][2]int64{{48000, 1234}, {second, 7}}
	got := g.list()
	if len(got) != 2 || got[0] != wantG[0] || got[1] != wantG[1] {
		t.Fatalf("OnGlitch calls %v, want %v", got, wantG)
	}
	st := rec.Stats()
	if st.Overflows != 2 || st.Dropped != 1241 || st.Glitches != 2 || st.Frames != st.StreamFrames || st.Frames != ramp.Delivered() {
		t.Fatalf("stats %+v (ramp delivered %d)", st, ramp.Delivered())
	}
	checkTracks(t, paths, st.Frames, Int24, wantG)
}

// stallFile is a track file on a disk that stalls once, for stall, when
// the file grows past at bytes.
type stallFile struct {
	*os.File
	at, n   int64
	stall   time.Duration
	stalled bool
}

func (f *stallFile) Write(p []byte) (int, error) {
	f.n += int64(len(p))
	if !f.stalled && f.n > f.at {
		f.stalled = true
		time.Sleep(f.stall)
	}
	return f.File.Write(p)
}

// TestRecorderDiskStallQueueOverflow: a disk that stalls for longer than
// the capture queue holds makes the real-time source lose frames (the
// queue is full), which become silence, counted as dropped and as glitches
// but not as input overflows; everything before the queue filled up is
// kept and every later frame keeps its stream position.
func TestRecorderDiskStallQueueOverflow(t *testing.T) {
	const speed = 5 // 10.9 s of queue fill in about 2.2 s
	total := int64(30 * 48000)
	ramp := NewRamp(RampOptions{Channels: 1, Rate: 48000, FramesPerBuffer: 512, StopAfter: total, Realtime: true, Speed: speed})
	paths := trackPaths(t.TempDir(), 1)
	var g glitchLog
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 1, Rate: 48000, Format: Int16, Tracks: paths, OnGlitch: g.add, StallTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	capacity := int64(len(rec.q.view.samples) / rec.q.channels)
	if capacity < 10*48000 {
		t.Fatalf("the capture queue holds %d frames, want ≥ 10 s", capacity)
	}
	rec.create = func(path string, opt WriterOptions) (*Writer, error) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		// The disk stalls after 4096 frames for 4 s: 20 s of stream.
		w, err := NewWriter(&stallFile{File: f, at: 4096 * 2, stall: 4 * time.Second}, opt)
		if err != nil {
			return nil, errors.Join(err, f.Close())
		}
		w.closer = f
		return w, nil
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ramp.Done(), "ramp")
	time.Sleep(50 * time.Millisecond)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	gl := g.list()
	var lost int64
	for _, x := range gl {
		lost += x[1]
	}
	if len(gl) == 0 || st.Dropped == 0 || lost != st.Dropped || st.Glitches != int64(len(gl)) {
		t.Fatalf("stats %+v glitches %v (sum %d)", st, gl, lost)
	}
	if st.Frames != ramp.Delivered() || st.StreamFrames != st.Frames || st.Overflows != 0 {
		t.Fatalf("stats %+v, ramp delivered %d", st, ramp.Delivered())
	}
	// Everything before the queue filled up was kept.
	if gl[0][0] < capacity {
		t.Fatalf("first glitch at %d, before the queue (%d frames) could fill", gl[0][0], capacity)
	}
	checkTracks(t, paths, st.Frames, Int16, gl)
}

func TestRecorderRF64(t *testing.T) {
	ramp := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 256, StopAfter: 3 * 48000})
	paths := trackPaths(t.TempDir(), 2)
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 2, Rate: 48000, Format: Int24, Tracks: paths,
		RF64Threshold: 100000, SyncEvery: 50 * time.Millisecond, StallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ramp.Done(), "ramp")
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	frames := rec.Stats().Frames
	checkTracks(t, paths, frames, Int24, nil)
	for _, p := range paths {
		r, err := OpenWAV(p)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Info().RF64 {
			t.Fatalf("%s is not RF64", p)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		checkOutside(t, p, 48000, 1, Int24, frames, true)
	}
}

func TestRecorderDeviceLost(t *testing.T) {
	ramp := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 480, Realtime: true, StopAfter: 48000 / 2})
	paths := trackPaths(t.TempDir(), 2)
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 2, Rate: 48000, Format: Float32, Tracks: paths, StallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, rec.Done(), "device lost")
	if !errors.Is(rec.Err(), ErrDeviceLost) {
		t.Fatalf("Err = %v", rec.Err())
	}
	if err := rec.Stop(); !errors.Is(err, ErrDeviceLost) {
		t.Fatalf("Stop = %v", err)
	}
	checkTracks(t, paths, 48000/2, Float32, nil)
}

func TestRecorderWriteError(t *testing.T) {
	ramp := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 256, StopAfter: 10 * 48000})
	var mu sync.Mutex
	files := map[string]*memFile{}
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 2, Rate: 48000, Format: Int24, Tracks: []string{"a.wav", "b.wav"}, StallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rec.create = func(path string, opt WriterOptions) (*Writer, error) {
		m := &memFile{}
		w, err := NewWriter(m, opt)
		if err != nil {
			return nil, err
		}
		if path == "b.wav" {
			m.failAt = w.dataOff + 3*48000*3 + 2 // disk full mid-frame after 3 s
		}
		mu.Lock()
		files[path] = m
		mu.Unlock()
		return w, nil
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, rec.Done(), "write error")
	if !errors.Is(rec.Err(), syscall.ENOSPC) {
		t.Fatalf("Err = %v", rec.Err())
	}
	if err := rec.Stop(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Stop = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for c, name := range []string{"a.wav", "b.wav"} {
		r, err := NewReader(bytes.NewReader(files[name].b))
		if err != nil {
			t.Fatal(err)
		}
		n := r.Info().Frames
		if name == "b.wav" && n != 3*48000 {
			t.Fatalf("b.wav has %d frames, want %d whole frames", n, 3*48000)
		}
		if n < 3*48000 {
			t.Fatalf("%s has %d frames", name, n)
		}
		got, err := readAllFloat(r)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != RampValue(int64(i), c) {
				t.Fatalf("%s frame %d = %v", name, i, got[i])
			}
		}
	}
}

// manualSource is driven by the test: it pushes into its capture queue as
// the PortAudio callback does, and reports a settable clock.
type manualSource struct {
	q   *CaptureQueue
	mu  sync.Mutex
	now float64
}

func newManualSource(ch int) *manualSource {
	return &manualSource{q: newTestQueue(ch, 48000, queueFrames, queueBuffers, false)}
}

func (m *manualSource) Start() error           { m.q.start(); return nil }
func (m *manualSource) Queue() *CaptureQueue   { return m.q }
func (m *manualSource) setNow(t float64)       { m.mu.Lock(); m.now = t; m.mu.Unlock() }
func (m *manualSource) Now() float64           { m.mu.Lock(); defer m.mu.Unlock(); return m.now }
func (m *manualSource) Stop() error            { return nil }
func (m *manualSource) Close() error           { m.q.free(); return nil }
func (m *manualSource) Info() (string, string) { return "manual", "test" }

// feed pushes ramp frames [from, from+n) with their ADC time and, when rec
// is not nil, waits until its writer has read them.
func (m *manualSource) feed(rec *Recorder, from, n int64, ch int) {
	buf := make([]float32, int(n)*ch)
	for i := range n {
		for c := range ch {
			buf[int(i)*ch+c] = RampValue(from+i, c)
		}
	}
	m.q.push(buf, int(n), float64(from)/48000, false)
	if rec == nil {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for rec.Stats().StreamFrames < from+n {
		if time.Now().After(deadline) {
			panic("the writer did not read the frames")
		}
		rec.WakeWriter()
		time.Sleep(time.Millisecond)
	}
}

func TestPositionPauseResume(t *testing.T) {
	src := newManualSource(1)
	paths := trackPaths(t.TempDir(), 1)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 1, Rate: 48000, Format: Int16, Tracks: paths, StallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Position() != 0 {
		t.Fatal("position before start")
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	src.feed(rec, 0, 1024, 1) // frames 0..1023, adc 0
	src.setNow(1024.0/48000 + 0.001)
	if p := rec.Position(); p != 1024+48 {
		t.Fatalf("Position = %d, want %d (interpolated, not buffer-rounded)", p, 1024+48)
	}
	src.setNow(1500.0 / 48000)
	at := rec.Pause()
	if at != 1500 {
		t.Fatalf("Pause at %d, want 1500", at)
	}
	if again := rec.Pause(); again != 1500 {
		t.Fatalf("second Pause = %d", again)
	}
	src.feed(rec, 1024, 1024, 1)
	src.setNow(2500.0 / 48000)
	if p := rec.Position(); p != 1500 {
		t.Fatalf("Position while paused = %d, want 1500", p)
	}
	src.feed(rec, 2048, 512, 1) // the clock is never behind the frames delivered
	src.setNow(2600.0 / 48000)
	if sk := rec.Resume(); sk != 1100 {
		t.Fatalf("Resume skipped %d, want 1100", sk)
	}
	if sk := rec.Resume(); sk != 0 {
		t.Fatalf("second Resume = %d", sk)
	}
	src.setNow(3000.0 / 48000)
	if p := rec.Position(); p != 3000-1100 {
		t.Fatalf("Position after resume = %d, want %d", p, 3000-1100)
	}
	src.feed(rec, 2560, 1512, 1)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	if st.StreamFrames != 4072 || st.Frames != 4072-1100 {
		t.Fatalf("stats %+v", st)
	}
	_, got, err := ReadWAVFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4072-1100 {
		t.Fatalf("%d frames", len(got))
	}
	for i := range got {
		s := int64(i)
		if s >= 1500 {
			s += 1100
		}
		if got[i] != RampValue(s, 0) {
			t.Fatalf("frame %d = %v, want ramp(%d)", i, got[i], s)
		}
	}
}

func TestLevelsAndClip(t *testing.T) {
	src := newManualSource(2)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int24})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float32, 2*480)
	for i := range 480 {
		in[2*i] = 0.5
		in[2*i+1] = float32(math.Sin(2 * math.Pi * float64(i) / 48))
	}
	in[1] = 1 // full scale on channel 1
	src.q.push(in, 480, 0, false)
	lv := rec.Levels(nil)
	if len(lv) != 2 || lv[0].Peak != 0.5 || math.Abs(float64(lv[0].RMS)-0.5) > 1e-6 || lv[0].Clipped {
		t.Fatalf("channel 0 %+v", lv[0])
	}
	if lv[1].Peak != 1 || math.Abs(float64(lv[1].RMS)-math.Sqrt(0.5)) > 0.01 || !lv[1].Clipped {
		t.Fatalf("channel 1 %+v", lv[1])
	}
	for i := range in {
		in[i] = 0.01
	}
	src.q.push(in, 480, 0.01, false)
	lv = rec.Levels(lv)
	if lv[1].Peak != 0.01 || !lv[1].Clipped {
		t.Fatalf("clip should latch: %+v", lv[1])
	}
	rec.ClearClip(1)
	rec.ClearClip(7) // out of range: ignored
	if rec.Levels(lv)[1].Clipped {
		t.Fatal("ClearClip did not clear")
	}
}

// TestRecorderReadsTheQueue: the writer reads the source's capture queue
// and writes the buffers straight to the files: every frame in order,
// silence for input overflows with OnGlitch at the right frames, the
// buffers still queued at Stop written too (the queue is empty after), and
// Levels and ClearClip answered by the queue's meters.
func TestRecorderReadsTheQueue(t *testing.T) {
	src := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 480, StopAfter: 3 * 48000,
		Overflows: []RampOverflow{{At: 48000, Frames: 1234}, {At: 96000, Frames: 7}}})
	defer src.Close()
	paths := trackPaths(t.TempDir(), 2)
	var g glitchLog
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int24, Tracks: paths, OnGlitch: g.add, StallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rec.q != src.Queue() {
		t.Fatal("the Recorder does not read the source's queue")
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, src.Done(), "ramp")
	if lv := rec.Levels(nil); len(lv) != 2 || lv[0].Peak == 0 || lv[1].Peak == 0 || !lv[0].Clipped {
		t.Fatalf("Levels = %+v, want the ramp's (full scale: clipped)", lv)
	}
	rec.ClearClip(1)
	if lv := src.Queue().Levels(nil); !lv[0].Clipped || lv[1].Clipped {
		t.Fatalf("ClearClip(1) left %+v", lv)
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	if b, ok := src.Queue().Read(); ok {
		t.Fatalf("a buffer of %d samples left in the queue", len(b.Samples))
	}
	second := int64(48000 + 1234)
	for second < 96000 {
		second += 480
	}
	wantG := [][2]int64{{48000, 1234}, {second, 7}}
	if got := g.list(); !slices.Equal(got, wantG) {
		t.Fatalf("OnGlitch calls %v, want %v", got, wantG)
	}
	st := rec.Stats()
	if st.Overflows != 2 || st.Dropped != 1241 || st.Glitches != 2 || st.Frames != st.StreamFrames || st.Frames != src.Delivered() {
		t.Fatalf("stats %+v (ramp delivered %d)", st, src.Delivered())
	}
	checkTracks(t, paths, st.Frames, Int24, wantG)
}

// allocsPerBuffer returns testing.AllocsPerRun of cb with 2-channel
// 1024-frame buffers, every 7th of which claims an input overflow with a
// lost buffer before it.
func allocsPerBuffer(cb func(in []float32, adc float64, overflow bool)) float64 {
	in := make([]float32, 2*1024)
	for i := range in {
		in[i] = float32(i%200)/100 - 1
	}
	adc := 0.0
	overflow := false
	return testing.AllocsPerRun(2000, func() {
		cb(in, adc, overflow)
		adc += 1024.0 / 48000
		overflow = int(adc*48000/1024)%7 == 0
		if overflow {
			adc += 1024.0 / 48000
		}
	})
}

// TestWriterAllocatesNothing: the writer's work per buffer (reading it from
// the queue, overflow accounting, de-interleaving, pauses, conversion and
// writing to the track files) allocates nothing, and neither does the
// push of a fake source.
func TestWriterAllocatesNothing(t *testing.T) {
	src := newManualSource(2)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int24})
	if err != nil {
		t.Fatal(err)
	}
	src.q.start()
	// The track files as Start would open them, without its writer goroutine:
	// the test plays the writer.
	for _, p := range trackPaths(t.TempDir(), 2) {
		w, err := createNewWAV(p, WriterOptions{Rate: 48000, Channels: 1, Format: Int24})
		if err != nil {
			t.Fatal(err)
		}
		rec.writers = append(rec.writers, w)
	}
	defer func() {
		if err := rec.closeWriters(); err != nil {
			t.Fatal(err)
		}
	}()
	var werr error
	if n := allocsPerBuffer(func(in []float32, adc float64, overflow bool) {
		src.q.push(in, len(in)/2, adc, overflow)
		if _, err := rec.drain(); err != nil && werr == nil {
			werr = err
		}
	}); n != 0 {
		t.Fatalf("a buffer through the queue and the writer allocates %v times", n)
	}
	if werr != nil {
		t.Fatal(werr)
	}
	if st := rec.Stats(); st.Overflows == 0 || st.Dropped == 0 || st.Glitches == 0 || st.Frames < 2000*1024 {
		t.Fatalf("the overflow path did not run, or nothing was written: %+v", st)
	}
}

func TestNewRecorderRejects(t *testing.T) {
	src := newManualSource(1)
	for _, c := range []RecorderConfig{
		{Channels: 1, Rate: 48000, Format: Int16},
		{Source: src, Channels: 0, Rate: 48000, Format: Int16},
		{Source: src, Channels: 1, Rate: 0, Format: Int16},
		{Source: src, Channels: 1, Rate: 48000, Format: SampleFormat(12)},
		{Source: src, Channels: 2, Rate: 48000, Format: Int16, Tracks: []string{"one.wav"}},
		{Source: src, Channels: 2, Rate: 48000, Format: Int16}, // the queue has 1 channel
		{Source: src, Channels: 1, Rate: 44100, Format: Int16}, // the queue runs at 48 kHz
	} {
		if _, err := NewRecorder(c); err == nil {
			t.Errorf("NewRecorder(%+v) accepted", c)
		}
	}
	rec, _ := NewRecorder(RecorderConfig{Source: src, Channels: 1, Rate: 48000, Format: Int16, Tracks: []string{filepath.Join(t.TempDir(), "no", "such", "dir.wav")}})
	if _, err := rec.Start(); err == nil {
		t.Fatal("Start with an unwritable track succeeded")
	}
	if err := rec.Stop(); !errors.Is(err, ErrStopped) {
		t.Fatalf("Stop before Start: %v", err)
	}
}

// TestRecorderCopyWhileRecording copies the track file while recording (what
// a crash or kill -9 leaves): every copy parses, holds the right samples, and
// lags the delivered audio by at most 250 ms.
func TestRecorderCopyWhileRecording(t *testing.T) {
	ramp := NewRamp(RampOptions{Channels: 1, Rate: 48000, FramesPerBuffer: 480, Realtime: true})
	paths := trackPaths(t.TempDir(), 1)
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 1, Rate: 48000, Format: Int24, Tracks: paths, SyncEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	worst := int64(0)
	for range 15 {
		time.Sleep(97 * time.Millisecond)
		delivered := ramp.Delivered()
		b, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("copy of %d bytes: %v", len(b), err)
		}
		got, err := readAllFloat(r)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != RampValue(int64(i), 0) {
				t.Fatalf("copy frame %d = %v", i, got[i])
			}
		}
		worst = max(worst, delivered-int64(len(got)))
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("largest lag of a copy behind delivered audio: %d frames (%.1f ms)", worst, 1000*float64(worst)/48000)
	if worst > 48000/4 {
		t.Fatalf("a copy lagged %d frames behind the delivered audio (> 250 ms)", worst)
	}
}

func TestRecorderNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	paths := trackPaths(dir, 2)
	if err := os.WriteFile(paths[1], []byte("an earlier take"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(RecorderConfig{Source: newManualSource(2), Channels: 2, Rate: 48000, Format: Int24, Tracks: paths})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); !errors.Is(err, os.ErrExist) {
		t.Fatalf("Start over an existing track: %v", err)
	}
	if b, _ := os.ReadFile(paths[1]); string(b) != "an earlier take" {
		t.Fatalf("existing file changed to %q", b)
	}
}

// TestPauseBehindWriter: when the interpolated clock lags frames the writer
// has already written, Pause starts after them, so the pause point it
// returns is exactly where the file stops.
func TestPauseBehindWriter(t *testing.T) {
	src := newManualSource(1)
	paths := trackPaths(t.TempDir(), 1)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 1, Rate: 48000, Format: Int16, Tracks: paths, StallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	src.feed(rec, 0, 2048, 1)
	deadline := time.Now().Add(10 * time.Second)
	for rec.Stats().Frames < 2048 {
		if time.Now().After(deadline) {
			t.Fatal("writer did not write the frames")
		}
		time.Sleep(time.Millisecond)
	}
	src.setNow(1000.0 / 48000) // behind what was delivered and written
	at := rec.Pause()
	if at != 2048 {
		t.Fatalf("Pause at %d, want 2048 (the writer already wrote up to there)", at)
	}
	src.feed(rec, 2048, 1024, 1)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	info, _, err := ReadWAVFile(paths[0])
	if err != nil || info.Frames != at {
		t.Fatalf("file has %d frames (%v), pause said %d", info.Frames, err, at)
	}
}

// TestPositionRightAfterStart: with a persistent queue the writer wakes
// about once a second, but Position is current from the first buffer on:
// the writer looks for that one every few milliseconds.
func TestPositionRightAfterStart(t *testing.T) {
	dir := t.TempDir()
	ramp := NewRamp(RampOptions{Channels: 1, Rate: 48000, FramesPerBuffer: 480, Realtime: true,
		QueueFile: filepath.Join(dir, "q.queue"), QueueTag: "t"})
	defer ramp.Close()
	if !ramp.Queue().Persistent() {
		t.Fatal("the ramp's queue is not in its file")
	}
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 1, Rate: 48000, Format: Int16, Tracks: trackPaths(dir, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if rec.idle < 900*time.Millisecond {
		t.Fatalf("writer wakes every %v with a persistent queue", rec.idle)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	p, d := rec.Position(), ramp.Delivered()
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	// The stream clock runs on between buffers, up to one buffer ahead.
	if p < 48000/10 || p > d+480 {
		t.Fatalf("Position %d 300 ms after Start (%d frames delivered, buffers of 480)", p, d)
	}
}
