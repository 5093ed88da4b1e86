package ui

import (
	"testing"

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

// TestBackgroundRate: behind the call app the window is updated every
// third reading (10 Hz), focused at every reading (30 Hz), and a peak read
// between two updates reaches the meter.
func TestBackgroundRate(t *testing.T) {
	w, drain := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	posts := 0
	inner := w.post
	w.post = func(f func()) { posts++; inner(f) }
	w.setBackground(true)
	for n := 0; n < 9; n++ {
		w.poll(false, w.showNow(n))
		drain()
	}
	if posts != 3 {
		t.Fatalf("behind the call app: %d updates for 9 readings, want 3", posts)
	}
	w.setBackground(false)
	posts = 0
	for n := 0; n < 9; n++ {
		w.poll(false, w.showNow(n))
		drain()
	}
	if posts != 9 {
		t.Fatalf("focused: %d updates for 9 readings, want 9", posts)
	}
}
