package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// find returns the first object of type T in obj's tree that match
// accepts, or T's zero value.
func find[T fyne.CanvasObject](obj fyne.CanvasObject, match func(T) bool) T {
	f, _ := findIn(obj, match)
	return f
}

func findIn[T fyne.CanvasObject](obj fyne.CanvasObject, match func(T) bool) (T, bool) {
	if o, ok := obj.(T); ok && match(o) {
		return o, true
	}
	var kids []fyne.CanvasObject
	switch o := obj.(type) {
	case *fyne.Container:
		kids = o.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(o).Objects()
	}
	for _, c := range kids {
		if f, ok := findIn(c, match); ok {
			return f, true
		}
	}
	var zero T
	return zero, false
}

// findButton returns the first button labelled text in obj's tree.
func findButton(obj fyne.CanvasObject, text string) *widget.Button {
	return find(obj, func(b *widget.Button) bool { return b.Text == text })
}

// findLabel returns the first label whose text contains sub in obj's tree.
func findLabel(obj fyne.CanvasObject, sub string) *widget.Label {
	return find(obj, func(l *widget.Label) bool { return strings.Contains(l.Text, sub) })
}

// crashSession records the ramp into a session ("Crashy", host bob),
// runs during while it records, and leaves in dir a copy of the folder as
// a crash would leave it (the recording itself is then stopped).
func crashSession(t *testing.T, dir string, during func(*session.Session)) {
	t.Helper()
	live := filepath.Join(t.TempDir(), "live")
	s, err := session.New(session.Config{Dir: live, Title: "Crashy", Host: "bob", Device: "ramp", Channels: 1, Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	during(s)
	if err := os.CopyFS(dir, os.DirFS(live)); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestWindowOffersRecovery leaves a session as a crash would (snapshot of a
// recording folder), opens the window on its recordings folder and accepts
// the offered recovery: the session must come back recovered with its
// marker, by the same code as `podmark recover`.
func TestWindowOffersRecovery(t *testing.T) {
	root := t.TempDir()
	crashed := filepath.Join(root, "crashed")
	var m markers.Marker
	crashSession(t, crashed, func(s *session.Session) {
		time.Sleep(700 * time.Millisecond)
		var err error
		if m, err = s.Mark(markers.Topic, "Before the crash"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
	})

	w, drain := newTestWindow(t, Options{Dir: root, Device: "ramp", Channels: 1})
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
	report := w.win.Canvas().Overlays().Top()
	if findButton(report, "Close") == nil {
		t.Fatal("no recovery report shown")
	}
	// The host's words first: the episode, what was saved, what was lost;
	// wide enough to read (a wrapped label in a dialog of its own minimum
	// size came out one word wide).
	story := findLabel(report, "Saved: ")
	if story == nil {
		t.Fatal("the recovery report does not say what was saved")
	}
	for _, want := range []string{"of audio on 1 track(s), 1 marker(s)", "Nothing was lost"} {
		if !strings.Contains(story.Text, want) {
			t.Errorf("recovery story %q lacks %q", story.Text, want)
		}
	}
	if strings.Contains(story.Text, "torn bytes") || strings.Contains(story.Text, "header rewritten") {
		t.Errorf("the story speaks like a log: %q", story.Text)
	}
	if findLabel(report, `"Crashy"`) == nil {
		t.Error("the report does not name the episode")
	}
	if w := story.Size().Width; w < 400 {
		t.Fatalf("the recovery report's text is %v wide", w)
	}
	// The technical lines are behind a Details expander, closed.
	acc, ok := findIn(report, func(*widget.Accordion) bool { return true })
	if !ok || len(acc.Items) != 1 || acc.Items[0].Title != "Details" || acc.Items[0].Open {
		t.Fatalf("no closed Details expander: %+v", acc)
	}
	if l, ok := acc.Items[0].Detail.(*widget.Label); !ok || !strings.Contains(l.Text, "header rewritten") {
		t.Fatalf("Details do not hold the technical report: %+v", acc.Items[0].Detail)
	}
	// Hand off… closes the report and shows the recovered session's hand-off.
	hand := findButton(report, "Hand off…")
	if hand == nil || hand.Disabled() {
		t.Fatal("no Hand off button for the recovered session")
	}
	test.Tap(hand)
	if !w.ho.card.Visible() || w.ho.dir != crashed || w.tabs.Selected() != w.ho.tab {
		t.Fatalf("Hand off did not show the hand-off of %s (shows %q)", crashed, w.ho.dir)
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

// TestWindowResumesRoomUpload: a recording made in a show room is left as a
// crash leaves it; the window's recovery sends the rest of it to that room
// (from its room/link.json, with no room preference set), as `podmark
// upload` would, and the editor's pull gets every sample.
func TestWindowResumesRoomUpload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	relay, err := room.StartRelay(ctx, room.RelayConfig{Listen: "127.0.0.1:0", Store: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	link, err := room.ParseLink("nats://" + relay.Addr().String() + "/show/ep1")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	crashed := filepath.Join(root, "crashed")
	crashSession(t, crashed, func(s *session.Session) {
		if err := room.WriteSessionLink(s.Dir(), link, "bob", "", ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1200 * time.Millisecond)
	})

	w, drain := newTestWindow(t, Options{Dir: root, Device: "ramp", Channels: 1})
	w.checkRecovery()
	top := w.win.Canvas().Overlays().Top()
	if top == nil || findButton(top, "Recover") == nil {
		t.Fatal("no recovery offer for an unfinished session")
	}
	test.Tap(findButton(top, "Recover"))
	waitUI(t, drain, "the recovery report", func() bool {
		r := w.win.Canvas().Overlays().Top()
		return r != nil && findButton(r, "Close") != nil
	})
	report := w.win.Canvas().Overlays().Top()
	if findLabel(report, "Sending the rest to the room show/ep1 for the editor") == nil {
		t.Error("the recovery report does not say the recording goes on to the room")
	}
	if !w.rm.box.Visible() || !strings.HasPrefix(w.rm.link.Text, "Room show/ep1") {
		t.Errorf("the Room section shows %q (visible %v), want the recording's room", w.rm.link.Text, w.rm.box.Visible())
	}
	waitUI(t, drain, "the upload to be verified", func() bool {
		return w.rm.upload != nil && w.rm.upload.Status().State == room.UploadVerified
	})
	w.rm.refresh(time.Now())
	if !w.rm.own.Visible() || !strings.HasPrefix(w.rm.own.Text, "Your upload: all sent and verified") {
		t.Errorf("the Room section says %q", w.rm.own.Text)
	}
	if w.uploadUnfinished() {
		t.Error("a verified upload counts as unfinished")
	}

	// The editor pulls: the recovered recording, every sample.
	out := t.TempDir()
	res, err := room.Pull(ctx, room.PullConfig{Link: link, As: "editor", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 1 || res.Hosts[0].Host != "bob" || res.Hosts[0].State != room.PullVerified {
		t.Fatalf("pulled %+v, want bob's recording", res.Hosts)
	}
	meta, err := session.Load(crashed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range meta.Tracks {
		a, err := os.ReadFile(filepath.Join(crashed, filepath.FromSlash(tr.File)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, "bob", filepath.FromSlash(tr.File)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("track %s: the editor's copy (%d bytes) differs from the recovered one (%d bytes)", tr.File, len(b), len(a))
		}
	}
}
