//go:build unix

// RLIMIT_FSIZE and SIGXFSZ, which make a write fail at a set size, are
// POSIX's; Windows has no such limit.

package session

import (
	"errors"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// A write error finalizes the session as failed with the error, without a
// panic or a hang, keeping what was written. The error is provoked with a
// file size limit (RLIMIT_FSIZE, so writes past it fail with EFBIG like a
// full disk fails with ENOSPC), which needs no privileges.
func TestWriteErrorFails(t *testing.T) {
	const limit = 96 << 10         // a bit over 1 s of 16-bit mono
	signal.Ignore(syscall.SIGXFSZ) // report EFBIG instead of killing the process
	defer signal.Reset(syscall.SIGXFSZ)
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	cfg := rampCfg(t, 1)
	cfg.Format = audio.Int16
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer restore()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, s, 20*time.Second)
	restore()
	if err := s.Err(); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("Err = %v, want EFBIG", err)
	}
	if err := s.Stop(); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("Stop = %v", err)
	}
	meta, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != StateFailed || !strings.Contains(meta.Error, "file too large") {
		t.Errorf("state %s error %q", meta.State, meta.Error)
	}
	// What reached the disk is a valid file of whole frames: the ramp from 0.
	samples := readTrack(t, cfg.Dir, meta.Tracks[0])
	if len(samples) < testRate/2 || int64(len(samples)) != meta.Frames {
		t.Errorf("kept %d frames, session.json %d", len(samples), meta.Frames)
	}
	checkRampSpan(t, samples, 1, 0, int64(len(samples)), 0)
}
