package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// TestOpenFolderFailureIsShown: without xdg-open, Open folder tells the
// host why, in the window, next to the bundle's path and its copy button.
func TestOpenFolderFailureIsShown(t *testing.T) {
	old := opener
	opener = "podmark-test-no-such-opener"
	t.Cleanup(func() { opener = old })
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Device: "ramp", Channels: 1})
	dir := t.TempDir()
	w.ho.show(dir)
	w.ho.out = dir
	w.ho.outPath.SetText(dir)
	w.ho.outBox.Show()
	w.ho.onOpen(false)
	if !w.ho.openErr.Visible() || !strings.Contains(w.ho.openErr.Text, "xdg-utils") {
		t.Fatalf("no visible reason: visible %v, %q", w.ho.openErr.Visible(), w.ho.openErr.Text)
	}
	if w.win.Canvas().Overlays().Top() != nil {
		t.Fatal("a dialog popped up although the host did not ask to open the folder")
	}
	w.ho.onOpen(true) // the button: a dialog too
	if w.win.Canvas().Overlays().Top() == nil {
		t.Fatal("Open folder failed without a dialog")
	}
	copyBtn := findButton(w.ho.outBox, "Copy path")
	if copyBtn == nil {
		t.Fatal("no Copy path button")
	}
	copyBtn.OnTapped()
	if got := w.app.Clipboard().Content(); got != dir {
		t.Fatalf("clipboard %q, want %q", got, dir)
	}
}

// TestHandoffButtonStaysInView: however many problems the marker check
// lists, the Export button keeps its place inside the window (the list
// scrolls), and a short list takes only its own height.
func TestHandoffButtonStaysInView(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Device: "ramp", Channels: 1})
	w.ho.show(t.TempDir())
	d := fyne.CurrentApp().Driver()
	at := func(lines int) (fyne.Position, float32) {
		t.Helper()
		text := "1 marker, no problems found."
		if lines > 1 {
			text = strings.TrimSpace(strings.Repeat("⚠ 00:00:01.632 \"Intro\": chapter is only 916 ms long [short-chapter]\n", lines))
		}
		w.ho.report.SetText(text)
		w.ho.card.Refresh()
		w.win.Content().Refresh()
		w.win.Resize(w.win.Canvas().Size()) // lay the window out again
		return d.AbsolutePositionForObject(w.ho.export), w.ho.report.MinSize().Height
	}
	short, _ := at(1)
	long, _ := at(30)
	longer, _ := at(80)
	if long != longer {
		t.Errorf("Export moved from %v (30 lines) to %v (80 lines)", long, longer)
	}
	if long.Y-short.Y > reportMax+1 {
		t.Errorf("Export at y %v with one line, %v with 30: the list grew past %v", short.Y, long.Y, float32(reportMax))
	}
	if bottom := longer.Y + w.ho.export.Size().Height; bottom > w.win.Canvas().Size().Height {
		t.Errorf("Export ends at y %v, below the window (%v)", bottom, w.win.Canvas().Size().Height)
	}
	// A loudness table wider than the pane scrolls; it does not widen the
	// window (past the screen, as it did).
	before := w.win.Content().MinSize().Width
	w.ho.loudness.SetText(strings.Repeat("audio/review-mix.mp3  -15.9  1.2  -1.9  normalized to -16 LUFS (gain +17.7 dB) ", 3))
	if after := w.win.Content().MinSize().Width; after > before {
		t.Errorf("a wide loudness table widened the window's minimum from %v to %v", before, after)
	}
	if short.Y >= long.Y {
		t.Errorf("a one-line check takes as much room as a long one (Export at %v and %v)", short.Y, long.Y)
	}
}
