package session

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// TestReached records on the ramp until Reached says the length is in the
// tracks: no earlier, not much later, and a pause does not count.
func TestReached(t *testing.T) {
	tests := []struct {
		name  string
		d     time.Duration
		pause time.Duration
	}{
		{"plain", 400 * time.Millisecond, 0},
		{"with a pause", 400 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{Dir: filepath.Join(t.TempDir(), "s"), Device: "ramp", Channels: 1, Rate: testRate})
			if err != nil {
				t.Fatal(err)
			}
			// The audio starts inside Start: measure from before it.
			started := time.Now()
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			reached := s.Reached(tt.d)
			if tt.pause > 0 {
				time.Sleep(100 * time.Millisecond)
				if err := s.Pause(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(tt.pause)
				if err := s.Resume(); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-reached:
			case <-time.After(10 * time.Second):
				t.Fatal("the length was never reached")
			}
			took := time.Since(started)
			if n, limit := s.Frames(), int64(testRate)*int64(tt.d)/int64(time.Second); n < limit {
				t.Fatalf("reached with %d frames written, want %d", n, limit)
			}
			if took < tt.d+tt.pause {
				t.Fatalf("reached after %v, before %v of audio plus a %v pause", took, tt.d, tt.pause)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReachedStopsWithTheSession: a session stopped first never reports
// the length reached, and the waiting goroutine ends.
func TestReachedStopsWithTheSession(t *testing.T) {
	s, err := New(Config{Dir: filepath.Join(t.TempDir(), "s"), Device: "ramp", Channels: 1, Rate: testRate})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	reached := s.Reached(time.Hour)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
		t.Fatal("an hour reached after a stop")
	case <-time.After(100 * time.Millisecond):
	}
	select {
	case <-s.Reached(0):
	default:
		t.Fatal("Reached(0) is not closed at once")
	}
}

// TestReachedExactLength: a recording stopped when Reached fires holds
// exactly rate×d frames in every track, whatever the source's buffer size
// (the ramp delivers whole buffers; the one that crosses the length is
// cut), and the ramp's samples in the file are the stream's first frames,
// none skipped.
func TestReachedExactLength(t *testing.T) {
	tests := []struct {
		d      time.Duration
		rate   int
		buffer int
	}{
		{100 * time.Millisecond, testRate, 0}, // 4800: not a multiple of 256
		{333 * time.Millisecond, testRate, 0},
		{time.Second + 7*time.Millisecond, testRate, 1024},
		{250 * time.Millisecond, 44100, 0},
		{500*time.Millisecond + 13*time.Microsecond, 44100, 480},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v@%d/%d", tt.d, tt.rate, tt.buffer), func(t *testing.T) {
			s, err := New(Config{Dir: filepath.Join(t.TempDir(), "s"), Device: "ramp", Channels: 2, Rate: audio.SampleRate(tt.rate), FramesPerBuffer: tt.buffer})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-s.Reached(tt.d):
			case <-time.After(10 * time.Second):
				t.Fatal("the length was never reached")
			}
			// Stop a little later, as a caller does: nothing more is written.
			time.Sleep(50 * time.Millisecond)
			if p := s.Position(); p != audio.SampleRate(tt.rate).N(tt.d) {
				t.Errorf("position at the length %d, want %d", p, audio.SampleRate(tt.rate).N(tt.d))
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			want := audio.SampleRate(tt.rate).N(tt.d)
			meta := s.Meta()
			if meta.Frames != want {
				t.Errorf("session.json frames %d, want %d", meta.Frames, want)
			}
			for _, tr := range meta.Tracks {
				r, err := audio.OpenWAV(filepath.Join(s.Dir(), filepath.FromSlash(tr.File)))
				if err != nil {
					t.Fatal(err)
				}
				if n := r.Info().Frames; n != want {
					t.Errorf("%s: %d frames, want exactly %d", tr.File, n, want)
				}
				r.Close()
			}
		})
	}
}
