package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
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
	// The view followed the markers as they came: the newest is in view.
	if !l.rows["m119"].Visible() || l.rows["m000"].Visible() {
		t.Fatal("after the adds: the newest row must show, the first not")
	}
	sc.ScrollToTop()
	l.cullRows()
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

// TestMarkerListFollowsNewMarkers: while the list shows its end, a new
// marker (this host's or another host's) scrolls into view, so the host
// can title the one just dropped; a host who scrolled up to title an
// earlier marker keeps their place while markers keep coming.
func TestMarkerListFollowsNewMarkers(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	w.win.Resize(defaultSize)
	l := w.ml
	l.reset(nil, 48000)
	sc := l.lay.scroll
	add := func(i int) {
		l.add(markers.Marker{ID: fmt.Sprintf("m%03d", i), Kind: markers.Topic, Sample: int64(i) * 48000})
	}
	inView := func(id string) bool {
		r := l.rows[id]
		y := r.Position().Y - sc.Offset.Y
		return r.Visible() && y >= -1 && y+r.Size().Height <= sc.Size().Height+1
	}
	for i := range 60 {
		add(i)
		if id := fmt.Sprintf("m%03d", i); !inView(id) {
			t.Fatalf("marker %d of 60 added at the end: not in view (offset %.0f, row at %.0f, view %.0f high)",
				i, sc.Offset.Y, l.rows[id].Position().Y, sc.Size().Height)
		}
	}
	if sc.Offset.Y <= 0 {
		t.Fatal("60 markers: the list never scrolled")
	}
	// The host scrolls up to an earlier marker: new ones do not move the view.
	sc.ScrollToOffset(fyne.NewPos(0, l.rows["m010"].Position().Y))
	l.cullRows()
	at := sc.Offset.Y
	for i := 60; i < 70; i++ {
		add(i)
	}
	if sc.Offset.Y != at || !inView("m010") {
		t.Fatalf("scrolled up to marker 10: the view moved from %.0f to %.0f", at, sc.Offset.Y)
	}
	if inView("m069") {
		t.Fatal("scrolled up: the newest marker must not be in view")
	}
	// Back at the end, following resumes.
	sc.ScrollToBottom()
	add(70)
	if !inView("m070") {
		t.Fatal("back at the end: the new marker is not in view")
	}
}

// TestMarkerRowEditsInPlace: a row shows its title and URL as text and
// has no entry among the objects drawn until a field is tapped or reached
// with Tab; Enter saves and shows the text again, Escape drops the edit,
// Tab goes on from the title to the URL.
func TestMarkerRowEditsInPlace(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	w.win.Resize(defaultSize)
	l := w.ml
	l.reset(nil, 48000)
	var renamed, linked []string
	l.add(markers.Marker{ID: "m1", Kind: markers.Sponsor, Sample: 48000})
	r := l.rows["m1"]
	r.title.onCommit = func(s string) { renamed = append(renamed, s) }
	r.url.onCommit = func(s string) { linked = append(linked, s) }
	c := w.win.Canvas()

	// entries counts the entries Fyne would walk and draw in the row.
	entries := func() (n int) {
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			if !o.Visible() {
				return
			}
			if _, ok := o.(*commitEntry); ok {
				n++
				return
			}
			switch o := o.(type) {
			case *fyne.Container:
				for _, k := range o.Objects {
					walk(k)
				}
			case fyne.Widget:
				for _, k := range test.WidgetRenderer(o).Objects() {
					walk(k)
				}
			}
		}
		walk(r)
		return n
	}
	if n := entries(); n != 0 {
		t.Fatalf("a row not being edited draws %d entries, want none", n)
	}
	// Flat: the row's objects are drawn straight, not through containers.
	if n := len(test.WidgetRenderer(r).Objects()); n != 8 {
		t.Fatalf("a row has %d objects, want 8 (bar, icon, time, two fields with their entries, delete)", n)
	}
	// Fields side by side, in the row, not overlapping.
	tv, uv := r.titleView, r.urlView
	if tv.Position().X+tv.Size().Width > uv.Position().X || uv.Position().X+uv.Size().Width > r.del.Position().X || r.del.Position().X+r.del.Size().Width > r.Size().Width+0.5 {
		t.Fatalf("row laid out badly: title %v+%v, URL %v+%v, delete %v+%v, row %v", tv.Position(), tv.Size(), uv.Position(), uv.Size(), r.del.Position(), r.del.Size(), r.Size())
	}
	if got := r.titleView.text.Text; got != titlePlaceholder || r.titleView.text.Color != theme.Color(theme.ColorNamePlaceHolder) {
		t.Fatalf("untitled: shows %q (colour %v), want the dimmed placeholder", got, r.titleView.text.Color)
	}

	test.Tap(r.titleView)
	if c.Focused() != r.title || r.titleView.Visible() || entries() != 1 {
		t.Fatalf("tapped: focus on %v, view shown %v, %d entries drawn; want the title's entry alone, focused", c.Focused(), r.titleView.Visible(), entries())
	}
	test.Type(r.title, "Acme VPN")
	r.title.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.Focused() != nil || !r.titleView.Visible() || r.title.Visible() || r.titleView.text.Text != "Acme VPN" || r.titleView.text.Color != theme.Color(theme.ColorNameForeground) {
		t.Fatalf("after Enter: focus %v, view shown %v, entry shown %v, text %q", c.Focused(), r.titleView.Visible(), r.title.Visible(), r.titleView.text.Text)
	}
	if !slices.Equal(renamed, []string{"Acme VPN"}) {
		t.Fatalf("renames saved: %q", renamed)
	}

	// A title longer than the field is cut with an ellipsis.
	long := markers.Marker{ID: "m1", Kind: markers.Sponsor, Sample: 48000, Title: "Acme VPN, the sponsor read with the discount code for listeners of this show, read in full"}
	r.set(long)
	if got := tv.text.Text; !strings.HasSuffix(got, "…") || fyne.MeasureText(got, tv.text.TextSize, tv.text.TextStyle).Width > tv.Size().Width {
		t.Fatalf("a long title in a %.0f px field shows %q", tv.Size().Width, got)
	}
	r.set(markers.Marker{ID: "m1", Kind: markers.Sponsor, Sample: 48000, Title: "Acme VPN"})

	// Escape drops the edit.
	test.Tap(r.titleView)
	test.Type(r.title, " (long read)")
	r.title.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if r.titleView.text.Text != "Acme VPN" || len(renamed) != 1 || !r.titleView.Visible() {
		t.Fatalf("after Escape: shows %q, renames %q", r.titleView.text.Text, renamed)
	}

	// Tab from the title goes to the URL, which opens as the title did.
	test.Tap(r.titleView)
	c.FocusNext()
	if c.Focused() != r.url || !r.titleView.Visible() || r.urlView.Visible() {
		t.Fatalf("Tab from the title: focus on %v, want the URL's entry (title shown again %v)", c.Focused(), r.titleView.Visible())
	}
	test.Type(r.url, "https://acme.example/pod")
	c.Unfocus() // leaving the field saves too
	if !slices.Equal(linked, []string{"https://acme.example/pod"}) || r.urlView.full != "https://acme.example/pod" || !strings.HasPrefix(r.urlView.full, strings.TrimSuffix(r.urlView.text.Text, "…")) || entries() != 0 {
		t.Fatalf("URL saved %q, shown %q, %d entries drawn", linked, r.urlView.text.Text, entries())
	}
}

// TestRemoteRowFlat: another host's row draws its six objects straight,
// cuts a long title (and URL) with an ellipsis before the author, and
// shows a new title when the author renames it.
func TestRemoteRowFlat(t *testing.T) {
	w, _ := newTestWindow(t, Options{Dir: t.TempDir(), Channels: 1, Device: "ramp"})
	l := w.ml
	l.reset(nil, 48000)
	m := markers.Marker{ID: "b1", Author: "bob", Kind: markers.Sponsor, Sample: 96000,
		Title: "Acme VPN, the sponsor read with the discount code for listeners of this show", URL: "https://acme.example/pod"}
	r := newRemoteRow(l, m, true)
	if n := len(test.WidgetRenderer(r).Objects()); n != 6 {
		t.Fatalf("a remote row has %d objects, want 6 (bar, icon, time, badge, title, author)", n)
	}
	r.Resize(fyne.NewSize(420, r.MinSize().Height))
	if got := r.title.Text; !strings.HasSuffix(got, "…") || !strings.HasPrefix(r.full, strings.TrimSuffix(got, "…")) ||
		r.title.Position().X+fyne.MeasureText(got, r.title.TextSize, r.title.TextStyle).Width > r.by.Position().X {
		t.Fatalf("a long title in a 420 px row: %q at %v, author at %v", got, r.title.Position(), r.by.Position())
	}
	if r.time.Text != "00:00:02.000" || r.by.Text != "by bob" || r.badge.Position().X <= r.time.Position().X {
		t.Fatalf("time %q, author %q, badge at %v after time at %v", r.time.Text, r.by.Text, r.badge.Position(), r.time.Position())
	}
	m.Title, m.URL = "Acme", ""
	r.set(l, m, true)
	if r.title.Text != "Acme" {
		t.Fatalf("renamed: shows %q", r.title.Text)
	}
}
