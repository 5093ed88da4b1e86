package ui

import (
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// TestPeakHold: between two display updates (three engine readings at
// 30 Hz behind the call app) the highest peak and any clip are kept; the
// RMS shown is the latest; a new hold starts after each update.
func TestPeakHold(t *testing.T) {
	tests := []struct {
		name  string
		reads [][]audio.Level
		want  []audio.Level
	}{
		{"one reading", [][]audio.Level{{{Peak: 0.5, RMS: 0.2}}}, []audio.Level{{Peak: 0.5, RMS: 0.2}}},
		{"a short peak in the middle", [][]audio.Level{{{Peak: 0.1, RMS: 0.05}}, {{Peak: 0.9, RMS: 0.3}}, {{Peak: 0.2, RMS: 0.1}}},
			[]audio.Level{{Peak: 0.9, RMS: 0.1}}},
		{"a clip in between", [][]audio.Level{{{Peak: 0.1}, {Peak: 0.1}}, {{Peak: 1, Clipped: true}, {Peak: 0.2}}, {{Peak: 0.1}, {Peak: 0.3}}},
			[]audio.Level{{Peak: 1, Clipped: true}, {Peak: 0.3}}},
		{"the channel count changed", [][]audio.Level{{{Peak: 0.9}}, {{Peak: 0.1}, {Peak: 0.2}}},
			[]audio.Level{{Peak: 0.1}, {Peak: 0.2}}},
	}
	for _, tt := range tests {
		var h peakHold
		for _, r := range tt.reads {
			h.add(r)
		}
		got := h.take()
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: channel %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
		h.add([]audio.Level{{Peak: 0.05}})
		if after := h.take(); after[0].Peak != 0.05 || after[0].Clipped {
			t.Errorf("%s: the hold did not start again: %+v", tt.name, after)
		}
	}
}

// TestBackgroundRate: behind the call app the engine is read and the
// window updated backgroundHz times a second, focused meterHz times; the
// ticker hears of each change once, at once (so coming back to the front
// brings the full rate back without waiting for a slow tick).
func TestBackgroundRate(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	pending := func() bool {
		select {
		case <-w.rateChanged:
			return true
		default:
			return false
		}
	}
	steps := []struct {
		background bool
		wantHz     int
		wantNudge  bool
	}{
		{false, meterHz, false}, // the start: focused, nothing changed
		{true, backgroundHz, true},
		{true, backgroundHz, false}, // told twice: one change
		{false, meterHz, true},
	}
	for i, s := range steps {
		w.setBackground(s.background)
		if got := w.displayHz(); got != s.wantHz {
			t.Errorf("step %d: background %v: %d Hz, want %d", i, s.background, got, s.wantHz)
		}
		if got := pending(); got != s.wantNudge {
			t.Errorf("step %d: background %v: ticker nudged %v, want %v", i, s.background, got, s.wantNudge)
		}
	}
}

// TestPeakHeldWhileQueued: while an update is still queued for the Fyne
// goroutine (a slow renderer), the readings in between are held, and the
// highest peak and any clip among them reach the next update.
func TestPeakHeldWhileQueued(t *testing.T) {
	w, drain := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	posts := 0
	inner := w.post
	w.post = func(f func()) { posts++; inner(f) }
	audioFlows := func() { time.Sleep(50 * time.Millisecond) } // a few ramp periods
	audioFlows()
	w.poll(false) // queued, not yet run
	audioFlows()
	w.poll(false) // held
	audioFlows()
	w.poll(false) // held
	if posts != 1 {
		t.Fatalf("%d updates queued while one was pending, want 1", posts)
	}
	if len(w.hold.lv) != 1 || w.hold.lv[0].Peak == 0 {
		t.Fatalf("the readings in between were not held: %+v", w.hold.lv)
	}
	held := w.hold.lv[0].Peak
	drain()
	audioFlows()
	w.poll(false)
	drain()
	if posts != 2 {
		t.Fatalf("%d updates, want 2", posts)
	}
	if got := w.rs.meters[0].Peak(); dbPos(got) < dbPos(held) {
		t.Errorf("meter shows peak %v, below the %v held in between", got, held)
	}
}
