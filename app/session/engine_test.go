package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// waitDone waits for the session to stop by itself.
func waitDone(t *testing.T, s *Session, d time.Duration) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(d):
		t.Fatalf("session did not stop by itself within %v", d)
	}
}

// A simulated input overflow becomes exactly as many silent frames, and a
// glitch marker covering them, so every later frame keeps its stream time.
func TestOverflowInsertsSilenceAndGlitchMarker(t *testing.T) {
	const fpb, at, lost, stopAfter = 256, 24000, 1000, 48000
	cfg := rampCfg(t, 2)
	cfg.Source = audio.NewRamp(audio.RampOptions{
		Channels: 2, Rate: testRate, FramesPerBuffer: fpb, Realtime: true,
		Overflows: []audio.RampOverflow{{At: at, Frames: lost}}, StopAfter: stopAfter,
	})
	cfg.StallTimeout = 300 * time.Millisecond
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	glitches := make(chan markers.Marker, 4)
	s.SetHooks(Hooks{OnMarker: func(m markers.Marker) {
		if m.Kind == markers.Glitch {
			glitches <- m
		}
	}})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	// The ramp stops delivering after stopAfter stream frames: the session
	// fails with ErrDeviceLost and keeps everything up to there.
	waitDone(t, s, 10*time.Second)
	if err := s.Err(); !errors.Is(err, audio.ErrDeviceLost) {
		t.Fatalf("Err = %v, want ErrDeviceLost", err)
	}
	if err := s.Stop(); !errors.Is(err, audio.ErrDeviceLost) {
		t.Errorf("Stop after device lost = %v", err)
	}
	meta, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != StateFailed || !strings.Contains(meta.Error, "lost") {
		t.Errorf("state %s, error %q", meta.State, meta.Error)
	}
	// The overflow happens at the first buffer starting at or after `at`.
	gapAt := int64((at + fpb - 1) / fpb * fpb)
	// The ramp stops at the first buffer boundary at or past stopAfter; the
	// lost frames count on the timeline, so they are in the file as silence.
	want := gapAt + lost
	for want < stopAfter {
		want += fpb
	}
	if meta.Frames != want || meta.StreamFrames != want || meta.Dropped != lost || meta.Glitches != 1 {
		t.Errorf("frames %d stream %d dropped %d glitches %d, want %d, %d, %d, 1", meta.Frames, meta.StreamFrames, meta.Dropped, meta.Glitches, want, want, lost)
	}
	var g markers.Marker
	select {
	case g = <-glitches:
	default:
		t.Fatal("no glitch marker through OnMarker")
	}
	if g.Sample != gapAt || g.End != gapAt+lost || g.Author != "podmark" {
		t.Errorf("glitch marker %+v, want [%d, %d)", g, gapAt, gapAt+lost)
	}
	doc, err := LoadDoc(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Markers) != 1 || doc.Markers[0].ID != g.ID || doc.Markers[0].Kind != markers.Glitch {
		t.Errorf("journal markers %+v", doc.Markers)
	}
	for ch, tr := range meta.Tracks {
		samples := readTrack(t, cfg.Dir, tr)
		if int64(len(samples)) != want {
			t.Fatalf("%s: %d frames, want exactly %d", tr.File, len(samples), want)
		}
		checkRampSpan(t, samples, ch+1, 0, gapAt, 0)
		for f := gapAt; f < gapAt+lost; f++ {
			if samples[f] != 0 {
				t.Fatalf("%s frame %d = %v inside the inserted silence", tr.File, f, samples[f])
			}
		}
		checkRampSpan(t, samples, ch+1, gapAt+lost, want, gapAt+lost)
	}
}

// The monitor meters the input without writing anything.
func TestMonitor(t *testing.T) {
	m, err := NewMonitor(Config{Channels: 2, Rate: testRate, Device: "ramp", FramesPerBuffer: 256})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var lv []audio.Level
	for time.Now().Before(deadline) {
		lv = m.Levels(lv)
		if len(lv) == 2 && lv[0].Peak > 0 && lv[1].Peak > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(lv) != 2 || lv[0].Peak <= 0 || lv[0].RMS <= 0 {
		t.Errorf("levels %+v", lv)
	}
	m.ClearClip(0)
	if err := m.Err(); err != nil {
		t.Error(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMonitor(Config{Channels: 9, Rate: testRate, Device: "ramp"}); !errors.Is(err, ErrConfig) {
		t.Errorf("monitor with 9 channels on ramp: %v", err)
	}
}

func TestRampSpec(t *testing.T) {
	tests := []struct {
		dev    string
		maxCh  int
		speed  float64
		isRamp bool
		bad    bool
	}{
		{"ramp", 8, 0, true, false},
		{"ramp:2", 2, 0, true, false},
		{"ramp:fast", 8, DefaultFastFactor, true, false},
		{"ramp:4:x20", 4, 20, true, false},
		{"ramp:x0.5", 0, 0, true, true},
		{"ramp:0", 0, 0, true, true},
		{"ramp:slow", 0, 0, true, true},
		{"rampage", 0, 0, false, false},
		{"3", 0, 0, false, false},
		{"", 0, 0, false, false},
	}
	for _, tt := range tests {
		maxCh, speed, ok, err := rampSpec(tt.dev)
		if (err != nil) != tt.bad || ok != tt.isRamp || maxCh != tt.maxCh || speed != tt.speed {
			t.Errorf("rampSpec(%q) = %d, %v, %v, %v", tt.dev, maxCh, speed, ok, err)
		}
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("rampSpec(%q) error %v is not ErrConfig", tt.dev, err)
		}
	}
}

// The fast fake device delivers every frame, in order, faster than real time.
func TestFastRampRecordsEveryFrame(t *testing.T) {
	cfg := rampCfg(t, 1)
	cfg.Source, cfg.Device, cfg.FramesPerBuffer = nil, "ramp:x20", 0
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Frames() < 3*testRate && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	meta, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Frames < 3*testRate || meta.Dropped != 0 || meta.Frames%1024 != 0 {
		t.Fatalf("frames %d, dropped %d", meta.Frames, meta.Dropped)
	}
	samples := readTrack(t, cfg.Dir, meta.Tracks[0])
	if int64(len(samples)) != meta.Frames {
		t.Fatalf("%d samples, session.json %d frames", len(samples), meta.Frames)
	}
	checkRampSpan(t, samples, 1, 0, meta.Frames, 0)
}
