package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/podmark/podmark/markers"
)

// TestMarkerListCullsRowsOutOfView: with a long show's markers, only the
// rows near the list's view are shown (the rest would be walked and drawn
// on every frame); the list is as tall as all its rows, and scrolling (or
// the view moving by itself) shows the rows that come into view.
func TestMarkerListCullsRowsOutOfView(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	w.win.Resize(defaultSize)
	l := w.ml
	l.reset(nil, 48000)
	const n = 120
	for i := range n {
		l.add(markers.Marker{ID: fmt.Sprintf("m%03d", i), Kind: markers.Note, Sample: int64(i) * 48000, Title: fmt.Sprintf("note %d", i)})
	}
	sc := l.lay.scroll
	sc.Refresh() // as the next frame would: the list's content takes its new height
	if sc.Size().Height <= 0 {
		t.Fatal("the list's scroll was not laid out")
	}
	shown := func() (n int) {
		for _, o := range l.box.Objects {
			if o.Visible() {
				n++
			}
		}
		return n
	}
	rowH := l.rows["m000"].MinSize().Height
	if got, most := shown(), int(sc.Size().Height/rowH)+2; got == 0 || got > most {
		t.Fatalf("%d of %d rows shown in a %.0f px view (rows %.0f px): want 1..%d", got, n, sc.Size().Height, rowH, most)
	}
	if !l.rows["m000"].Visible() || l.rows["m119"].Visible() {
		t.Fatal("at the top: the first row must show, the last not")
	}
	// Hidden rows keep their place: the list is as tall as all of them.
	if want := n*rowH + (n-1)*theme.Padding(); l.box.MinSize().Height < want-1 {
		t.Fatalf("list height %.0f, want %.0f (all %d rows)", l.box.MinSize().Height, want, n)
	}
	if y, want := l.rows["m090"].Position().Y, 90*(rowH+theme.Padding()); y < want-1 || y > want+1 {
		t.Fatalf("row 90 (hidden) at y=%.0f, want %.0f", y, want)
	}
	// Scrolled by the host (OnScrolled) or moved without it (the event
	// loop's check at every frame): the rows in view show.
	sc.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: -l.box.MinSize().Height}}) // the mouse wheel, to the end
	if !l.rows["m119"].Visible() || l.rows["m000"].Visible() {
		t.Fatal("at the bottom: the last row must show, the first not")
	}
	sc.ScrollToOffset(fyne.NewPos(0, l.rows["m060"].Position().Y)) // no OnScrolled: the frame's check
	l.cullRows()
	for _, id := range []string{"m060", "m061"} {
		if !l.rows[id].Visible() {
			t.Fatalf("row %s in view is hidden", id)
		}
	}
	// A rebuild (a marker moved) keeps every row in the list, laid out again.
	l.rebuild()
	if len(l.box.Objects) != n || !l.rows["m060"].Visible() {
		t.Fatalf("after a rebuild: %d rows, row 60 shown %v", len(l.box.Objects), l.rows["m060"].Visible())
	}
}
