package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// TestSilenceWarning: the soundcheck warns after 3 s below -50 dBFS; a
// show waits 30 s for that (a host listens to the other), but warns after
// 3 s when the input is below -80 dBFS (muted or unplugged).
func TestSilenceWarning(t *testing.T) {
	const (
		speech = 0.1     // -20 dBFS
		room   = 0.00056 // -65 dBFS: a quiet room through a live microphone
		muted  = 0       // a muted USB microphone: digital silence
	)
	type step struct {
		at   time.Duration
		peak float32
		want time.Duration // 0: no warning
	}
	for _, tc := range []struct {
		name  string
		show  bool
		steps []step
	}{
		// The meter's readings come 30 times a second; a step's reading
		// stands for all those up to the next step.
		{"soundcheck, room noise", false, []step{{0, speech, 0}, {time.Second, speech, 0}, {3 * time.Second, room, 0}, {4 * time.Second, room, 0}, {4500 * time.Millisecond, room, 3500 * time.Millisecond}, {5 * time.Second, speech, 0}}},
		{"show, listening", true, []step{{0, speech, 0}, {time.Second, speech, 0}, {5 * time.Second, room, 0}, {30 * time.Second, room, 0}, {32 * time.Second, room, 31 * time.Second}, {33 * time.Second, speech, 0}, {37 * time.Second, room, 0}}},
		{"show, muted", true, []step{{0, speech, 0}, {time.Second, speech, 0}, {3 * time.Second, muted, 0}, {4 * time.Second, muted, 0}, {4100 * time.Millisecond, muted, 3100 * time.Millisecond}, {5 * time.Second, room, 0}, {9 * time.Second, room, 0}}},
		{"show, muted from the start", true, []step{{0, muted, 0}, {3500 * time.Millisecond, muted, 3500 * time.Millisecond}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s silence
			t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
			for _, st := range tc.steps {
				if got := s.update(st.peak, t0.Add(st.at), tc.show); got != st.want {
					t.Errorf("at %v, peak %g: warning after %v, want %v", st.at, st.peak, got, st.want)
				}
			}
		})
	}
}

func TestNoSignalText(t *testing.T) {
	for _, tc := range []struct {
		silent []int
		d      time.Duration
		show   bool
		want   string
	}{
		{nil, 0, true, ""},
		{[]int{1}, 4 * time.Second, false, "⚠ No signal on channel [1]: check the mic and its gain"},
		{[]int{2}, 31500 * time.Millisecond, true, "⚠ No signal on channel [2] for 31 s: is the mic muted or unplugged?"},
		{[]int{1, 2}, 125 * time.Second, true, "⚠ No signal on channel [1 2] for 2 min 05 s: is the mic muted or unplugged?"},
	} {
		if got := noSignalText(tc.silent, tc.d, tc.show); got != tc.want {
			t.Errorf("noSignalText(%v, %v, %v) = %q, want %q", tc.silent, tc.d, tc.show, got, tc.want)
		}
	}
}

// TestSilenceWarningShown: the warning reaches the window's warnings, and
// which rule applies follows whether a recording runs.
func TestSilenceWarningShown(t *testing.T) {
	w, _ := newTestWindow(t, Options{Device: "ramp", TestInputs: true})
	quiet := []audio.Level{{Peak: 0.00056}}
	w.rs.showLevels(quiet, false)
	w.rs.silence[0].quiet = time.Now().Add(-10 * time.Second)
	w.rs.showLevels(quiet, true)
	if w.sc.levelMsg != "" {
		t.Errorf("recording, 10 s of room noise: warning %q, want none", w.sc.levelMsg)
	}
	w.rs.showLevels(quiet, false)
	if !strings.Contains(w.sc.levelMsg, "No signal on channel [1]: check the mic") {
		t.Errorf("soundcheck, 10 s of room noise: warning %q", w.sc.levelMsg)
	}
	w.rs.silence[0].quiet = time.Now().Add(-40 * time.Second)
	w.rs.showLevels(quiet, true)
	if !strings.Contains(w.sc.levelMsg, "No signal on channel [1] for 40 s") {
		t.Errorf("recording, 40 s of room noise: warning %q", w.sc.levelMsg)
	}
	w.rs.showLevels([]audio.Level{{Peak: 0.1}}, true)
	if w.sc.levelMsg != "" {
		t.Errorf("speech: warning %q, want none", w.sc.levelMsg)
	}
}
