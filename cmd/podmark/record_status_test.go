package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// stampWriter keeps every status line written to it with the time it came.
type stampWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines []stamped
}

type stamped struct {
	at   time.Time
	line string
}

func (w *stampWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		if strings.HasPrefix(l, "status state=") {
			w.lines = append(w.lines, stamped{time.Now(), l})
		}
	}
	return len(p), nil
}

// TestRecordStatusLines: the status line comes about once a second from
// the writer's seconds of audio while recording, and from the fallback
// while paused, when no audio is written: the lines (and the room's
// presence, sent on them) never stop for longer than a second or so.
func TestRecordStatusLines(t *testing.T) {
	in := feed([]step{
		{1500 * time.Millisecond, "pause"},
		{2500 * time.Millisecond, "resume"},
		{1500 * time.Millisecond, "stop"},
	})
	var stdout bytes.Buffer
	var stderr stampWriter
	start := time.Now()
	if code := runRecord([]string{"--out", t.TempDir() + "/s", "--device", "ramp"}, in, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.buf.String())
	}
	total := time.Since(start)
	counts := map[string]int{}
	last := start
	for i, s := range stderr.lines {
		counts[strings.Fields(s.line)[1]]++
		// The last line is Stop's own, printed at once.
		if gap := s.at.Sub(last); gap > 2500*time.Millisecond && i < len(stderr.lines)-1 {
			t.Errorf("status line %d came %v after the one before: %s", i, gap, s.line)
		}
		last = s.at
	}
	for _, tc := range []struct {
		state string
		min   int
	}{
		{"state=recording", 2}, // 1.5 s + 1.5 s recorded
		{"state=paused", 2},    // 2.5 s paused: the fallback's lines
	} {
		if counts[tc.state] < tc.min {
			t.Errorf("%d status lines with %s, want at least %d (%v in all):\n%s", counts[tc.state], tc.state, tc.min, total, stderr.buf.String())
		}
	}
	if n := len(stderr.lines); float64(n) > total.Seconds()+3 {
		t.Errorf("%d status lines in %v: more than one a second", n, total)
	}
}
