package ui

import (
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/session"
)

// placed is one visible object of the window as laid out: a widget or a
// canvas object, in window coordinates.
type placed struct {
	obj       fyne.CanvasObject
	pos       fyne.Position
	size      fyne.Size
	name      string
	leftPane  bool
	paneWidth float32
}

func (p placed) String() string {
	return fmt.Sprintf("%s at (%.0f,%.0f) %.0f×%.0f", p.name, p.pos.X, p.pos.Y, p.size.Width, p.size.Height)
}

// layoutOf lists the visible objects the window's layout places: it goes
// into containers, scrolls and the split, and stops at widgets (what a
// widget draws inside itself is its own business) and canvas objects.
func layoutOf(w *Window) []placed {
	var out []placed
	var walk func(o fyne.CanvasObject, origin fyne.Position, left bool, paneW float32)
	walk = func(o fyne.CanvasObject, origin fyne.Position, left bool, paneW float32) {
		if o == nil || !o.Visible() {
			return
		}
		pos := origin.Add(o.Position())
		switch x := o.(type) {
		case *layout.Spacer:
			return
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c, pos, left, paneW)
			}
			return
		case *container.Scroll:
			walk(x.Content, pos, left, paneW)
			return
		case *container.ThemeOverride:
			walk(x.Content, pos, left, paneW)
			return
		case *container.Split:
			walk(x.Leading, pos, true, x.Leading.Size().Width)
			walk(x.Trailing, pos, false, 0)
			return
		}
		if o.Size().Width <= 0 || o.Size().Height <= 0 {
			return
		}
		out = append(out, placed{obj: o, pos: pos, size: o.Size(), name: describe(o), leftPane: left, paneWidth: paneW})
	}
	walk(w.win.Content(), fyne.Position{}, false, 0)
	return out
}

func describe(o fyne.CanvasObject) string {
	switch x := o.(type) {
	case *widget.Label:
		return fmt.Sprintf("label %q", x.Text)
	case *widget.Button:
		return fmt.Sprintf("button %q", x.Text)
	case *widget.Entry:
		return fmt.Sprintf("entry %q", x.PlaceHolder)
	case *widget.Select:
		return fmt.Sprintf("select %q", x.Selected)
	}
	return fmt.Sprintf("%T", o)
}

// checkLayout fails when two visible objects overlap, when an object of
// the left pane sticks out of it, or when the left pane has an empty band
// (more than maxGap high) between its rows.
func checkLayout(t *testing.T, w *Window, state string, size fyne.Size) {
	t.Helper()
	const eps, maxGap = 0.5, 40
	objs := layoutOf(w)
	if len(objs) < 10 {
		t.Fatalf("%s at %v: only %d objects laid out", state, size, len(objs))
	}
	for i, a := range objs {
		for _, b := range objs[i+1:] {
			if a.pos.X+a.size.Width-eps > b.pos.X && b.pos.X+b.size.Width-eps > a.pos.X &&
				a.pos.Y+a.size.Height-eps > b.pos.Y && b.pos.Y+b.size.Height-eps > a.pos.Y {
				t.Errorf("%s at %v: %v overlaps %v", state, size, a, b)
			}
		}
		if a.leftPane && a.pos.X+a.size.Width > a.paneWidth+eps {
			t.Errorf("%s at %v: %v sticks out of the left pane (%.0f wide)", state, size, a, a.paneWidth)
		}
	}
	var left []placed
	for _, o := range objs {
		if o.leftPane {
			left = append(left, o)
		}
	}
	sort.Slice(left, func(i, j int) bool { return left[i].pos.Y < left[j].pos.Y })
	bottom := left[0].pos.Y
	for _, o := range left {
		if gap := o.pos.Y - bottom; gap > maxGap {
			t.Errorf("%s at %v: an empty band %.0f high above %v", state, size, gap, o)
		}
		bottom = max(bottom, o.pos.Y+o.size.Height)
	}
}

// TestLeftPaneLayout lays the window out in every state (soundcheck,
// recording, paused, stopped, failed) at the default and at the minimum
// size: no two visible objects overlap, nothing sticks out of the left
// pane and no empty band is left where a part was folded away.
func TestLeftPaneLayout(t *testing.T) {
	w, drain := newTestWindow(t, Options{Dir: t.TempDir(), Host: "alice", Channels: 2, Rate: 48000, Device: "ramp"})
	w.sc.title.SetText("Episode 12: a title long enough to be cut off in the summary line of a narrow window")
	check := func(state string) {
		t.Helper()
		w.update()
		drain()
		// The smallest the window can be: its content's minimum plus the
		// window's own padding.
		pad := 2 * theme.Padding()
		minSize := w.win.Content().MinSize().Add(fyne.NewSize(pad, pad))
		for _, size := range []fyne.Size{defaultSize, minSize} {
			w.win.Resize(size)
			checkLayout(t, w, state, size)
		}
		w.win.Resize(defaultSize)
	}
	check("soundcheck")
	shortcut(w, scRecord)
	drain()
	if w.state != session.StateRecording {
		t.Fatalf("not recording: %q", w.state)
	}
	time.Sleep(100 * time.Millisecond)
	w.actUI(ActionTopic)
	w.flushMarks()
	check("recording")
	shortcut(w, scPause)
	check("paused")
	shortcut(w, scPause)
	shortcut(w, scStop)
	drain()
	if w.state != session.StateStopped {
		t.Fatalf("not stopped: %q", w.state)
	}
	check("stopped")
	// A failure as the engine reports it: the session stopped by itself.
	shortcut(w, scRecord)
	drain()
	dir := w.last.Dir()
	w.mu.Lock()
	rec := w.rec
	w.rec = nil
	w.mu.Unlock()
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	w.showFinished(dir, session.StateFailed, errors.New("recording stopped: audio device lost"))
	if w.rs.stateText.Text != "✖ Recording failed" {
		t.Fatalf("failed state shows %q", w.rs.stateText.Text)
	}
	check("failed")
}
