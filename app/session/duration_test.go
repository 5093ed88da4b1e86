package session

import (
	"path/filepath"
	"testing"
	"time"
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
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			started := time.Now()
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
