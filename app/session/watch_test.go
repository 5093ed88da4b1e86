package session

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// onDisk is how many whole frames the track file of tr holds now, from its
// size (the header is patched only every SyncEvery).
func onDisk(t *testing.T, dir string, tr Track) int64 {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(tr.File))
	r, err := audio.OpenWAV(p)
	if err != nil {
		t.Fatal(err)
	}
	off := r.Info().DataOffset
	r.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return (fi.Size() - off) / int64(audio.Int24.BytesPerSample())
}

// TestWatch records 3.3 s on the real-time ramp and checks that a Watch of
// one second of frames is signalled once the tracks on disk hold each
// further second (and not a whole second later), on the start and on the
// stop (with session.json final by then), and that Running finds the
// session exactly while it records.
func TestWatch(t *testing.T) {
	cfg := rampCfg(t, 2)
	cfg.QueueDir = "-" // the writer hands samples to the OS every 150 ms
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if Running(cfg.Dir) != s || Running(filepath.Join(cfg.Dir, "..", filepath.Base(cfg.Dir))) != s {
		t.Fatal("Running does not find the new session by its folder")
	}
	if Running(t.TempDir()) != nil {
		t.Fatal("Running finds a session in another folder")
	}
	const every = testRate
	ch, stop := s.Watch(every)
	defer stop()
	select {
	case <-ch:
		t.Fatal("a signal before Start")
	case <-time.After(200 * time.Millisecond):
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch: // the state: recording
	case <-time.After(5 * time.Second):
		t.Fatal("no signal on Start")
	}
	tracks := s.Meta().Tracks
	seen := map[int64]bool{} // seconds on disk at a signal
	deadline := time.Now().Add(30 * time.Second)
	for s.Frames() < every*33/10 {
		select {
		case <-ch:
			n := onDisk(t, cfg.Dir, tracks[1])
			seen[n/every] = true
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("3.3 s of the real-time ramp took 30 s")
		}
	}
	for k := int64(1); k <= 3; k++ {
		if !seen[k] {
			t.Errorf("no signal while the tracks held between %d and %d s (signals at %v)", k, k+1, seen)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		meta, err := Load(cfg.Dir)
		if err != nil || meta.State != StateStopped {
			t.Errorf("after the stop's signal session.json says %q (%v), want stopped", meta.State, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no signal on Stop")
	}
	if Running(cfg.Dir) != nil {
		t.Error("Running still finds the stopped session")
	}
}
