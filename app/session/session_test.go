package session

import (
	"errors"
	"fmt"

	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

const testRate = 48000

// rampCfg is a session on a real-time ramp source (newPacedRamp).
func rampCfg(t *testing.T, channels int) Config {
	return Config{
		Dir: filepath.Join(t.TempDir(), "s"), Title: "Test", Host: "Ana María",
		Device: "ramp", Channels: channels, Rate: testRate, Format: audio.Int24,
		FramesPerBuffer: 256, Source: newPacedRamp(channels, 256),
	}
}

// newPacedRamp is a real-time audio.Ramp: paced by the wall clock with
// catch-up (a late goroutine delivers the buffers that are due, it never
// skips one, unlike a ticker), and whose stream clock never runs ahead of
// what it delivered, like a sound card's. So a position taken from it lies
// between the stream frames delivered before and after.
func newPacedRamp(ch, fpb int) *audio.Ramp {
	return audio.NewRamp(audio.RampOptions{Channels: ch, Rate: testRate, FramesPerBuffer: fpb, Realtime: true})
}

// readTrack returns the samples of one mono track.
func readTrack(t *testing.T, dir string, tr Track) []float32 {
	t.Helper()
	info, s, err := audio.ReadWAVFile(filepath.Join(dir, filepath.FromSlash(tr.File)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Channels != 1 || int(info.Rate) != testRate {
		t.Fatalf("%s: %+v", tr.File, info)
	}
	return s
}

// checkRampSpan checks that file frames [from, to) hold the ramp of channel
// ch for stream frames starting at stream.
func checkRampSpan(t *testing.T, s []float32, ch int, from, to, stream int64) {
	t.Helper()
	for f := from; f < to; f++ {
		if want := rampValue(stream+(f-from), ch); s[f] != want {
			t.Fatalf("channel %d file frame %d = %v, want ramp of stream frame %d = %v", ch, f, s[f], stream+(f-from), want)
		}
	}
}

func TestNewRejectsBadConfigAndCreatesNothing(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(root, "full")
	if err := os.MkdirAll(filepath.Join(full, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	ok := Config{Dir: filepath.Join(root, "new"), Device: "ramp", Channels: 1, Rate: 48000, Format: audio.Int24}
	tests := []struct {
		name string
		edit func(*Config)
		want error
	}{
		{"no folder", func(c *Config) { c.Dir = "" }, ErrConfig},
		{"folder not empty", func(c *Config) { c.Dir = full }, ErrConfig},
		{"folder is a file", func(c *Config) { c.Dir = file }, ErrConfig},
		{"parent missing", func(c *Config) { c.Dir = filepath.Join(root, "nope", "s") }, ErrConfig},
		{"negative channels", func(c *Config) { c.Channels = -1 }, ErrConfig},
		{"rate 22050", func(c *Config) { c.Rate = 22050 }, audio.ErrBadRate},
		{"rate 96000", func(c *Config) { c.Rate = 96000 }, audio.ErrBadRate},
		{"8-bit", func(c *Config) { c.Format = audio.SampleFormat(8) }, audio.ErrBadFormat},
		{"too many channels", func(c *Config) { c.Device = "ramp:2"; c.Channels = 3 }, ErrConfig},
		{"bad fake device", func(c *Config) { c.Device = "ramp:x" }, audio.ErrNoDevice},
		{"empty folder, bad rate", func(c *Config) { c.Dir = empty; c.Rate = 1 }, audio.ErrBadRate},
	}
	for _, tt := range tests {
		cfg := ok
		tt.edit(&cfg)
		s, err := New(cfg)
		if err == nil {
			s.Stop()
			t.Errorf("%s: New succeeded", tt.name)
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
	// Nothing was created or changed.
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[empty file full]" {
		t.Errorf("root holds %v after failed New calls", names)
	}
	if e, _ := os.ReadDir(empty); len(e) != 0 {
		t.Errorf("empty folder got %d entries", len(e))
	}
	if e, _ := os.ReadDir(full); len(e) != 1 {
		t.Errorf("non-empty folder now has %d entries", len(e))
	}
}

func TestNewUsesEmptyFolderAndLayout(t *testing.T) {
	cfg := rampCfg(t, 2)
	if err := os.Mkdir(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != StateCreated || m.Host != "Ana María" || m.Channels != 2 || m.Bits != "24" || m.Rate != testRate || m.Device == "" {
		t.Errorf("session.json after New: %+v", m)
	}
	want := []Track{{File: "tracks/ana-maría-1.wav", Channel: 1}, {File: "tracks/ana-maría-2.wav", Channel: 2}}
	if fmt.Sprint(m.Tracks) != fmt.Sprint(want) {
		t.Errorf("tracks %v, want %v", m.Tracks, want)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, JournalFile)); err != nil {
		t.Error(err)
	}
	if _, err := s.Mark(markers.Topic, "too early"); !errors.Is(err, ErrState) {
		t.Errorf("Mark before Start: %v, want ErrState", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if m, _ := Load(cfg.Dir); m.State != StateStopped {
		t.Errorf("state after Stop without Start = %s", m.State)
	}
}

// record runs a session on the ramp for about d, calling during(s) halfway.
func TestRecordFramesMarkersPause(t *testing.T) {
	cfg := rampCfg(t, 2)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var hooked []markers.Marker
	var states []State
	hookDone := make(chan struct{}, 64)
	s.SetHooks(Hooks{
		// Hooks may call back into the session without deadlocking.
		OnMarker: func(m markers.Marker) {
			_ = s.Status()
			_ = s.Markers()
			hooked = append(hooked, m)
			hookDone <- struct{}{}
		},
		OnState: func(st State) { _ = s.Status(); _ = s.Meta(); states = append(states, st) },
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); !errors.Is(err, ErrState) {
		t.Errorf("second Start: %v", err)
	}
	time.Sleep(300 * time.Millisecond)

	// A marker lies between the stream frames delivered before and after the
	// call, give or take the buffer being captured (the clock runs on
	// between buffers, as a sound card's does).
	ramp := cfg.Source.(*audio.Ramp)
	before := ramp.Delivered()
	m1, err := s.Mark(markers.Topic, "Intro")
	after := ramp.Delivered()
	if err != nil {
		t.Fatal(err)
	}
	if m1.Sample < before-int64(cfg.FramesPerBuffer) || m1.Sample > after+int64(cfg.FramesPerBuffer) {
		t.Errorf("marker at %d, stream had delivered %d before and %d after the call", m1.Sample, before, after)
	}
	if m1.Kind != markers.Topic || m1.Title != "Intro" || m1.Author != "Ana María" || m1.ID == "" {
		t.Errorf("marker %+v", m1)
	}

	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(); !errors.Is(err, ErrState) {
		t.Errorf("second Pause: %v", err)
	}
	time.Sleep(250 * time.Millisecond)
	m2, err := s.Mark(markers.Note, "while paused")
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.State != StatePaused || st.Skipped <= 0 {
		t.Errorf("status while paused: %+v", st)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	m3, err := s.Mark(markers.Sponsor, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	if _, err := s.Mark(markers.Topic, "late"); !errors.Is(err, ErrState) {
		t.Errorf("Mark after Stop: %v", err)
	}

	meta, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != StateStopped || len(meta.Pauses) != 1 || meta.StartUTC.IsZero() || len(meta.Anchors) == 0 {
		t.Fatalf("session.json: %+v", meta)
	}
	p := meta.Pauses[0]
	if m2.Sample != p.At {
		t.Errorf("marker while paused at %d, pause at %d", m2.Sample, p.At)
	}
	if p.Skipped < int64(0.2*testRate) || p.EndUTC.Before(p.StartUTC) {
		t.Errorf("pause %+v: want about 250 ms skipped", p)
	}
	// The pause cuts at a buffer boundary, so a marker dropped just before
	// it may lie up to one buffer past it.
	if !(m1.Sample < p.At+int64(cfg.FramesPerBuffer) && p.At < m3.Sample && m3.Sample <= meta.Frames) {
		t.Errorf("markers %d, %d (pause), %d; %d frames", m1.Sample, p.At, m3.Sample, meta.Frames)
	}
	if meta.StreamFrames != meta.Frames+p.Skipped {
		t.Errorf("stream frames %d != frames %d + skipped %d", meta.StreamFrames, meta.Frames, p.Skipped)
	}

	// The tracks: exactly meta.Frames frames; the ramp up to the pause, then
	// the ramp resumed p.Skipped stream frames later, so nothing shifted.
	for ch, tr := range meta.Tracks {
		s := readTrack(t, cfg.Dir, tr)
		if int64(len(s)) != meta.Frames {
			t.Fatalf("%s has %d frames, session.json %d", tr.File, len(s), meta.Frames)
		}
		checkRampSpan(t, s, ch+1, 0, p.At, 0)
		checkRampSpan(t, s, ch+1, p.At, meta.Frames, p.At+p.Skipped)
	}

	// Markers: in the journal, in Markers(), through the hook, in order.
	doc, err := LoadDoc(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]markers.Marker{m1.ID: m1, m2.ID: m2, m3.ID: m3}
	if len(doc.Markers) != 3 || len(s.Markers()) != 3 {
		t.Fatalf("journal has %d markers, session %d", len(doc.Markers), len(s.Markers()))
	}
	for i, m := range doc.Markers {
		w := want[m.ID]
		if m.Sample != w.Sample || m.Kind != w.Kind || m.Title != w.Title || !m.UTC.Equal(w.UTC) {
			t.Errorf("journal marker %d = %+v, want %+v", i, m, w)
		}
		if i > 0 && doc.Markers[i-1].Sample > m.Sample {
			t.Errorf("journal markers out of order: %d after %d", m.Sample, doc.Markers[i-1].Sample)
		}
	}
	for range 3 {
		<-hookDone
	}
	if len(hooked) != 3 {
		t.Errorf("OnMarker called %d times", len(hooked))
	}
	if fmt.Sprint(states) != "[recording paused recording stopped]" {
		t.Errorf("OnState: %v", states)
	}
}

func TestEditMarkersAndUndo(t *testing.T) {
	cfg := rampCfg(t, 1)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	a, err := s.Mark(markers.Topic, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Mark(markers.Edit, "B")
	if err != nil {
		t.Fatal(err)
	}
	title := "A, renamed"
	if err := s.Update(markers.Update{ID: a.ID, Title: &title}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(markers.Update{ID: "nope", Title: &title}); err == nil {
		t.Error("Update of an unknown id succeeded")
	}
	del, err := s.Delete(b.ID)
	if err != nil || del.ID != b.ID || del.Sample != b.Sample {
		t.Fatalf("Delete: %+v, %v", del, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	// Undo after the stop reopens the journal.
	if err := s.Restore(del); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(del); err == nil {
		t.Error("Restore of a present marker succeeded")
	}
	doc, err := LoadDoc(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Markers()
	if len(doc.Markers) != 2 || len(got) != 2 || doc.Markers[0].Title != title || doc.Markers[1].ID != b.ID {
		t.Fatalf("journal %+v, session %+v", doc.Markers, got)
	}
	for i := range got {
		if got[i].ID != doc.Markers[i].ID || got[i].Title != doc.Markers[i].Title || got[i].Sample != doc.Markers[i].Sample {
			t.Errorf("session marker %+v != journal %+v", got[i], doc.Markers[i])
		}
	}
}

func TestFreeTime(t *testing.T) {
	d, err := FreeTime(t.TempDir(), 48000, 2, audio.Int24)
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 {
		t.Errorf("FreeTime = %v", d)
	}
	if _, err := FreeTime(filepath.Join(t.TempDir(), "missing"), 48000, 2, audio.Int24); err == nil {
		t.Error("FreeTime of a missing folder succeeded")
	}
}

func TestSanitizeAndNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ana", "ana"},
		{"Ana María", "ana-maría"},
		{"../../etc/passwd", "etc-passwd"},
		{"  a\tb\nc  ", "a-b-c"},
		{"", "host"},
		{"///", "host"},
		{"CON:PRN*?", "con-prn"},
		// At most 40 bytes, cut on a word boundary, never mid-word.
		{"2026-12-02_1649-crash-safe-recording-graphs-handoff", "2026-12-02_1649-crash-safe-recording"},
		{"Episode 12: a title long enough to be cut", "episode-12-a-title-long-enough-to-be-cut"},
		{"Episode 12: a title long enough to be cut off", "episode-12-a-title-long-enough-to-be-cut"},
		{"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyzabcdefghijklmn"},
	}
	for _, tt := range tests {
		if got := SanitizeName(tt.in, "host"); got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := TrackFile("Bo B", 2); got != "tracks/bo-b-2.wav" {
		t.Errorf("TrackFile = %q", got)
	}
	root := t.TempDir()
	at := time.Date(2026, 11, 25, 8, 10, 0, 0, time.Local)
	first := DefaultDirName(root, "Episode 48!", at)
	if filepath.Base(first) != "2026-11-25_0810-episode-48" {
		t.Errorf("DefaultDirName = %q", first)
	}
	if err := os.Mkdir(first, 0o755); err != nil {
		t.Fatal(err)
	}
	if second := DefaultDirName(root, "Episode 48!", at); filepath.Base(second) != "2026-11-25_0810-episode-48-2" {
		t.Errorf("DefaultDirName when taken = %q", second)
	}
}

// rampValue is the fake source's sample for channel ch (from 1) of stream frame f.
func rampValue(f int64, ch int) float32 { return audio.RampValue(f, ch-1) }
