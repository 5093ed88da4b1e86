package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/dialog"
)

// TestDisplayRate drives the window's display clock as Fyne's event loop
// does (a round every 1/60 s, with some jitter) and counts the engine
// readings shown: meterHz a second while the window has the focus,
// backgroundHz behind the call app or under a dialog, and the full rate
// back at the first round after the window comes to the front again.
func TestDisplayRate(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	now := time.Now()
	round := 0
	// rounds runs the event loop for d and returns how many readings were shown.
	rounds := func(d time.Duration) int {
		shown := 0
		for end := now.Add(d); now.Before(end); round++ {
			jitter := time.Duration(round%3-1) * time.Millisecond // -1, 0, +1 ms
			now = now.Add(time.Second/60 + jitter)
			before := w.disp.lastRead
			w.onFrame(now)
			if w.disp.lastRead != before {
				shown++
			}
		}
		return shown
	}
	rounds(time.Second) // settle
	tests := []struct {
		name       string
		background bool
		dialog     bool // a dialog covers the window
		want       int
	}{
		{"focused", false, false, meterHz},
		{"behind the call", true, false, backgroundHz},
		{"focused again", false, false, meterHz},
		{"focused, a dialog up", false, true, backgroundHz},
		{"behind the call, a dialog up", true, true, backgroundHz},
		{"focused, the dialog closed", false, false, meterHz},
	}
	var dlg dialog.Dialog
	for _, tt := range tests {
		w.setBackground(tt.background)
		switch {
		case tt.dialog && dlg == nil:
			dlg = dialog.NewInformation("Unfinished recordings", "1 recording did not finish.", w.win)
			dlg.Show()
		case !tt.dialog && dlg != nil:
			dlg.Hide()
			dlg = nil
		}
		if tt.name == "focused again" {
			// The first round after coming back shows a reading at once.
			if got := rounds(time.Second / 60); got != 1 {
				t.Errorf("%s: the first round showed %d readings, want 1", tt.name, got)
			}
		}
		if got := rounds(10 * time.Second); got < 10*tt.want-1 || got > 10*tt.want+1 {
			t.Errorf("%s: %d readings in 10 s, want %d", tt.name, got, 10*tt.want)
		}
	}
}

// TestPeakBetweenUpdates: behind the call app, the rounds of the event loop
// between two display updates do not read the engine, and the next update
// shows the highest peak since the last one. The ramp input is a
// full-scale sawtooth of 1.37 s: a reading that covers 1.5 s of it peaks
// at full scale, while one buffer of it does so once in 64.
func TestPeakBetweenUpdates(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 2, Device: "ramp"})
	w.setBackground(true)
	t0 := time.Now()
	w.onFrame(t0)
	if w.disp.lastRead != t0 {
		t.Fatal("the first round did not read the engine")
	}
	time.Sleep(1500 * time.Millisecond) // the audio flows in real time
	w.onFrame(t0.Add(100 * time.Millisecond))
	if w.disp.lastRead != t0 {
		t.Fatal("a round before the next background update read the engine")
	}
	w.onFrame(t0.Add(time.Second / backgroundHz))
	for i, m := range w.rs.meters {
		if dbPos(m.Peak()) != 1 {
			t.Errorf("meter %d shows peak %v after 1.5 s of a full-scale ramp, want full scale", i+1, m.Peak())
		}
	}
}
