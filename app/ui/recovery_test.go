package ui

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// findButton returns the first enabled button labelled text in obj's tree.
func findButton(obj fyne.CanvasObject, text string) *widget.Button {
	switch o := obj.(type) {
	case *widget.Button:
		if o.Text == text {
			return o
		}
	case *fyne.Container:
		for _, c := range o.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

// TestWindowOffersRecovery leaves a session as a crash would (snapshot of a
// recording folder), opens the window on its recordings folder and accepts
// the offered recovery: the session must come back recovered with its
// marker, by the same code as `podmark recover`.
func TestWindowOffersRecovery(t *testing.T) {
	work, root := t.TempDir(), t.TempDir()
	live := filepath.Join(work, "live")
	s, err := session.New(session.Config{Dir: live, Title: "Crashy", Host: "bob", Device: "ramp", Channels: 1, Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	m, err := s.Mark(markers.Topic, "Before the crash")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	crashed := filepath.Join(root, "crashed")
	if err := os.CopyFS(crashed, os.DirFS(live)); err != nil { // as a crash would leave it
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	w, drain := newTestWindow(t, NewBackend(), Options{Dir: root, Device: "ramp", Channels: 1})
	w.checkRecovery()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no recovery offer for an unfinished session")
	}
	recoverBtn := findButton(top, "Recover")
	if recoverBtn == nil {
		t.Fatal("the recovery dialog has no Recover button")
	}
	test.Tap(recoverBtn)
	deadline := time.Now().Add(20 * time.Second)
	for {
		drain()
		if meta, err := session.Load(crashed); err == nil && meta.State == session.StateRecovered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session was not recovered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	drain()
	if findButton(w.win.Canvas().Overlays().Top(), "OK") == nil {
		t.Fatal("no recovery report shown")
	}
	doc, err := session.LoadDoc(crashed)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Markers) != 1 || doc.Markers[0].ID != m.ID || doc.Markers[0].Sample != m.Sample {
		t.Fatalf("recovered markers %+v, want %+v", doc.Markers, m)
	}
	if dirs, err := session.FindUnfinished(root); err != nil || len(dirs) != 0 {
		t.Fatalf("still unfinished after recovery: %v %v", dirs, err)
	}
}
