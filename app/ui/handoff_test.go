package ui

import (
	"strings"
	"testing"
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
