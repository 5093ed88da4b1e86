package ui

import (
	"fmt"
	"image/color"
	"slices"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// kindColor is each marker kind's colour in the list and on the buttons.
func kindColor(k markers.Kind) color.Color {
	switch k {
	case markers.Topic:
		return color.NRGBA{R: 0x33, G: 0x7a, B: 0xe0, A: 0xff}
	case markers.Sponsor:
		return color.NRGBA{R: 0x2e, G: 0xa8, B: 0x4f, A: 0xff}
	case markers.Edit:
		return color.NRGBA{R: 0xe0, G: 0x5a, B: 0x2b, A: 0xff}
	case markers.Note:
		return color.NRGBA{R: 0x9b, G: 0x59, B: 0xd0, A: 0xff}
	default: // glitch
		return color.NRGBA{R: 0xd0, G: 0x20, B: 0x20, A: 0xff}
	}
}

// kindIcon is each marker kind's icon.
func kindIcon(k markers.Kind) fyne.Resource {
	switch k {
	case markers.Topic:
		return theme.NavigateNextIcon()
	case markers.Sponsor:
		return theme.ConfirmIcon()
	case markers.Edit:
		return theme.ContentCutIcon()
	case markers.Note:
		return theme.DocumentCreateIcon()
	default:
		return theme.WarningIcon()
	}
}

// markerList shows the session's markers: time, kind (colour and icon),
// title and URL editable in place, delete with undo. Every change goes to
// the recording (and so to its journal). Fyne goroutine only.
type markerList struct {
	w     *Window
	rec   *session.Session
	rate  audio.SampleRate
	ms    []markers.Marker
	rows  map[string]*markerRow
	box   *fyne.Container
	lay   *rowStack // box's layout: hides the rows scrolled out of view
	undo  *widget.Button
	count *widget.Label
	stack []markers.Marker // deleted markers, newest last

	// The other hosts' markers (remotemarker.go), on this host's timeline,
	// and their read-only rows by remoteKey.
	remote []markers.Marker
	rrows  map[string]*remoteRow
}

func newMarkerList(w *Window) *markerList {
	return &markerList{w: w, rows: map[string]*markerRow{}, rrows: map[string]*remoteRow{}}
}

func (l *markerList) buildUI() fyne.CanvasObject {
	l.lay = newRowStack()
	l.box = container.New(l.lay)
	l.undo = widget.NewButtonWithIcon("Undo delete", theme.ContentUndoIcon(), l.onUndo)
	l.setUndo(false)
	l.count = widget.NewLabel("No markers yet")
	head := container.NewBorder(nil, nil, l.count, l.undo)
	sc := container.NewVScroll(l.box)
	l.lay.scroll = sc
	sc.OnScrolled = func(fyne.Position) { l.cullRows() }
	return container.NewBorder(head, nil, nil, nil, sc)
}

// cullRows shows the rows near the list's view and hides the others, if
// the view moved since the last time (scrolled, resized, or the scroll
// offset clamped after rows went). Fyne goroutine only.
func (l *markerList) cullRows() {
	if l.lay != nil {
		l.lay.cull(l.box.Objects, false)
	}
}

// reset attaches the list to a new recording and clears it.
func (l *markerList) reset(rec *session.Session, rate audio.SampleRate) {
	l.rec, l.rate = rec, rate
	l.ms, l.stack = nil, nil
	l.rows = map[string]*markerRow{}
	l.remote, l.rrows = nil, map[string]*remoteRow{}
	l.setUndo(false)
	l.rebuild()
}

// add shows m (journaled by a button, key, hotkey or the engine); a marker
// already shown is updated in place. One row is added or changed: the
// other rows stay as they are.
func (l *markerList) add(m markers.Marker) {
	follow := l.atEnd()
	defer l.follow(follow)
	for i := range l.ms {
		if l.ms[i].ID == m.ID {
			l.ms[i] = m
			l.rows[m.ID].set(m)
			if i > 0 && l.ms[i-1].Sample > m.Sample || i+1 < len(l.ms) && l.ms[i+1].Sample < m.Sample {
				l.rebuild() // moved: the order changed
			}
			return
		}
	}
	if len(l.remote) > 0 {
		// Rows of other hosts' markers are interleaved: lay them out again.
		l.ms = append(l.ms, m)
		l.rebuild()
		return
	}
	// Markers arrive in the order they were taken, almost always after
	// the last one shown; a glitch found late may belong further up.
	i := len(l.ms)
	for i > 0 && l.ms[i-1].Sample > m.Sample {
		i--
	}
	l.ms = slices.Insert(l.ms, i, m)
	row := newMarkerRow(l, m)
	l.rows[m.ID] = row
	l.box.Objects = slices.Insert(l.box.Objects, i, fyne.CanvasObject(row))
	if !follow || l.lay.scroll == nil {
		// Following, the scroll's refresh (follow) lays the list out: once
		// is enough, each refresh measures every row in view again.
		l.box.Refresh()
	}
	l.showCount()
}

// atEnd tells whether the list shows its last row (or has no scrolling
// to do): the view then follows new markers, as a chat log does, so the
// marker a host just dropped is in view to be titled. A host who scrolled
// up to title an earlier one keeps their place.
func (l *markerList) atEnd() bool {
	sc := l.lay.scroll
	if sc == nil {
		return true
	}
	const slack = 4 // pixels: rounding of the offset
	return sc.Offset.Y >= sc.Content.Size().Height-sc.Size().Height-slack
}

// follow scrolls to the end when the list was there before a change.
func (l *markerList) follow(wasAtEnd bool) {
	sc := l.lay.scroll
	if !wasAtEnd || sc == nil {
		return
	}
	sc.Refresh() // the content takes its new height
	if sc.Content.Size().Height > sc.Size().Height {
		sc.ScrollToBottom()
		l.cullRows()
	}
}

// currentSegment is the latest topic or sponsor marker, this host's or,
// in a room, another host's.
func (l *markerList) currentSegment() (markers.Marker, bool) {
	var cur markers.Marker
	found := false
	for _, ms := range [][]markers.Marker{l.ms, l.remote} {
		for _, m := range ms {
			if (m.Kind == markers.Topic || m.Kind == markers.Sponsor) && (!found || m.Sample >= cur.Sample) {
				cur, found = m, true
			}
		}
	}
	return cur, found
}

func (l *markerList) rebuild() {
	sort.SliceStable(l.ms, func(i, j int) bool { return l.ms[i].Sample < l.ms[j].Sample })
	objs := make([]fyne.CanvasObject, 0, len(l.ms))
	seen := map[string]bool{}
	for _, m := range l.ms {
		row := l.rows[m.ID]
		if row == nil {
			row = newMarkerRow(l, m)
			l.rows[m.ID] = row
		} else {
			row.set(m)
		}
		seen[m.ID] = true
		objs = append(objs, row)
	}
	for id := range l.rows {
		if !seen[id] {
			delete(l.rows, id)
		}
	}
	if len(l.remote) > 0 {
		objs = l.mergeRemote(objs)
	}
	l.box.Objects = objs
	l.box.Refresh()
	l.showCount()
}

// mergeRemote interleaves the other hosts' rows with own (this host's
// rows, in l.ms order) by position; at equal positions this host's first.
func (l *markerList) mergeRemote(own []fyne.CanvasObject) []fyne.CanvasObject {
	sort.SliceStable(l.remote, func(i, j int) bool { return l.remote[i].Sample < l.remote[j].Sample })
	out := make([]fyne.CanvasObject, 0, len(own)+len(l.remote))
	i := 0
	for _, r := range l.remote {
		for i < len(own) && l.ms[i].Sample <= r.Sample {
			out = append(out, own[i])
			i++
		}
		out = append(out, l.rrows[remoteKey(r.Author, r.ID)])
	}
	return append(out, own[i:]...)
}

// showCount shows how many markers there are.
func (l *markerList) showCount() {
	n := len(l.ms) + len(l.remote)
	var s string
	switch n {
	case 0:
		s = "No markers yet"
	case 1:
		s = "1 marker"
	default:
		s = fmt.Sprintf("%d markers", n)
	}
	if len(l.remote) > 0 {
		s += fmt.Sprintf(" (%d from the room)", len(l.remote))
	}
	l.count.SetText(s)
}

func (l *markerList) onRename(id, title string) {
	l.update(markers.Update{ID: id, Title: &title}, func(m *markers.Marker) { m.Title = title })
}

func (l *markerList) onURL(id, url string) {
	l.update(markers.Update{ID: id, URL: &url}, func(m *markers.Marker) { m.URL = url })
}

func (l *markerList) update(u markers.Update, apply func(*markers.Marker)) {
	if l.rec == nil {
		return
	}
	if err := l.rec.Update(u); err != nil {
		l.w.showError(err)
		return
	}
	for i := range l.ms {
		if l.ms[i].ID == u.ID {
			apply(&l.ms[i])
		}
	}
	l.w.rs.showSegmentTitle()
	l.w.ho.revalidate()
}

func (l *markerList) onDelete(id string) {
	if l.rec == nil {
		return
	}
	m, err := l.rec.Delete(id)
	if err != nil {
		l.w.showError(err)
		return
	}
	l.stack = append(l.stack, m)
	for i := range l.ms {
		if l.ms[i].ID == id {
			l.ms = append(l.ms[:i], l.ms[i+1:]...)
			break
		}
	}
	l.undo.SetText(fmt.Sprintf("Undo delete of %s %q", m.Kind, m.Title))
	l.setUndo(true)
	l.rebuild()
	l.w.ho.revalidate()
}

// setUndo shows the Undo button, enabled, while there is a delete to undo,
// and hides it otherwise (a disabled button is noise to read, and its
// background is shaded on every frame while the meters move).
func (l *markerList) setUndo(on bool) {
	enable(l.undo, on)
	show(l.undo, on)
}

// onUndo restores the most recently deleted marker (Ctrl+Z).
func (l *markerList) onUndo() {
	if len(l.stack) == 0 || l.rec == nil {
		return
	}
	m := l.stack[len(l.stack)-1]
	if err := l.rec.Restore(m); err != nil {
		l.w.showError(err)
		return
	}
	l.stack = l.stack[:len(l.stack)-1]
	l.ms = append(l.ms, m)
	if len(l.stack) == 0 {
		l.undo.SetText("Undo delete")
		l.setUndo(false)
	}
	l.rebuild()
	l.w.ho.revalidate()
}

func (l *markerList) fmtTime(sample int64) string {
	if l.rate <= 0 {
		return fmt.Sprint(sample)
	}
	return markers.Clock(l.rate.D(sample), markers.ClockNPT)
}

// markerRow is one marker in the list. Fyne walks, measures and draws
// every object in view at each meter update, and a show's list is full
// of rows all show long, so a row is flat: canvas objects laid out by its
// own renderer, no nested containers. Its title and URL are shown as text
// (fieldView) and become entries only while they are edited: an entry is
// a dozen objects more.
type markerRow struct {
	widget.BaseWidget
	l         *markerList
	m         markers.Marker
	bar       *canvas.Rectangle
	icon      *canvas.Image
	time      *canvas.Text
	title     *commitEntry // shown only while edited
	url       *commitEntry
	titleView *fieldView // shown otherwise
	urlView   *fieldView
	del       *widget.Button
}

const titlePlaceholder = "Title (type any time)"

// urlWidth is the width of a row's URL field.
const urlWidth = 130

func newMarkerRow(l *markerList, m markers.Marker) *markerRow {
	r := &markerRow{l: l, m: markers.Marker{Kind: m.Kind}}
	r.bar = canvas.NewRectangle(kindColor(m.Kind))
	r.icon = canvas.NewImageFromResource(kindIcon(m.Kind))
	r.icon.FillMode = canvas.ImageFillContain
	r.time = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.time.TextStyle.Monospace = true
	r.title = newCommitEntry(func(s string) { l.onRename(r.m.ID, s) })
	r.title.SetPlaceHolder(titlePlaceholder)
	r.url = newCommitEntry(func(s string) { l.onURL(r.m.ID, s) })
	r.url.SetPlaceHolder("URL")
	r.titleView = newFieldView(r.title)
	r.urlView = newFieldView(r.url)
	r.del = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { l.onDelete(r.m.ID) })
	r.ExtendBaseWidget(r)
	r.set(m)
	return r
}

// set shows m; a title or URL being edited is left alone.
func (r *markerRow) set(m markers.Marker) {
	if m.Kind != r.m.Kind {
		r.bar.FillColor = kindColor(m.Kind)
		r.bar.Refresh()
		r.icon.Resource = kindIcon(m.Kind)
		r.icon.Refresh()
	}
	r.m = m
	if t := r.l.fmtTime(m.Sample); t != r.time.Text {
		r.time.Text = t
		r.time.Refresh()
	}
	r.title.setCommitted(m.Title)
	r.url.setCommitted(m.URL)
	r.titleView.show()
	r.urlView.show()
}

// Refresh implements fyne.Widget. A row the list hid because it is out of
// view is not refreshed now: Show refreshes it when it comes back into
// view. Adding a marker refreshes the list, and with every row's labels
// measured again that made each marker of a long show dearer than the last.
func (r *markerRow) Refresh() {
	if r.Visible() {
		r.BaseWidget.Refresh()
	}
}

// CreateRenderer implements fyne.Widget.
func (r *markerRow) CreateRenderer() fyne.WidgetRenderer {
	return &markerRowRenderer{r: r, objs: []fyne.CanvasObject{r.bar, r.icon, r.time, r.titleView, r.title, r.urlView, r.url, r.del}}
}

type markerRowRenderer struct {
	r    *markerRow
	objs []fyne.CanvasObject
}

func (rr *markerRowRenderer) MinSize() fyne.Size {
	r, p := rr.r, theme.Padding()
	del := r.del.MinSize()
	h := max(r.titleView.MinSize().Height, del.Height, r.time.MinSize().Height)
	w := barWidth + p + theme.IconInlineSize() + p + r.time.MinSize().Width + p +
		r.titleView.MinSize().Width + p + urlWidth + p + del.Width
	return fyne.NewSize(w, h)
}

// barWidth is the width of a row's kind colour bar.
const barWidth = 6

// layoutKind places a row's kind colour bar and icon at its left, for a row
// h high, and returns where the rest of the row starts.
func layoutKind(bar *canvas.Rectangle, icon *canvas.Image, h float32) float32 {
	p := theme.Padding()
	bar.Move(fyne.NewPos(0, 0))
	bar.Resize(fyne.NewSize(barWidth, h))
	x := float32(barWidth) + p
	is := theme.IconInlineSize()
	icon.Move(fyne.NewPos(x, (h-is)/2))
	icon.Resize(fyne.NewSize(is, is))
	return x + is + p
}

func (rr *markerRowRenderer) Layout(size fyne.Size) {
	r, p := rr.r, theme.Padding()
	x := layoutKind(r.bar, r.icon, size.Height)
	tm := r.time.MinSize()
	r.time.Move(fyne.NewPos(x, (size.Height-tm.Height)/2))
	r.time.Resize(tm)
	x += tm.Width + p
	del := r.del.MinSize()
	dx := size.Width - del.Width
	r.del.Move(fyne.NewPos(dx, (size.Height-del.Height)/2))
	r.del.Resize(del)
	ux := dx - p - urlWidth
	for _, o := range []fyne.CanvasObject{r.urlView, r.url} {
		o.Move(fyne.NewPos(ux, 0))
		o.Resize(fyne.NewSize(urlWidth, size.Height))
	}
	for _, o := range []fyne.CanvasObject{r.titleView, r.title} {
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(max(ux-p-x, 0), size.Height))
	}
}

func (rr *markerRowRenderer) Refresh() {
	r := rr.r
	r.bar.FillColor = kindColor(r.m.Kind)
	r.time.Color = theme.Color(theme.ColorNameForeground)
	r.time.TextSize = theme.TextSize()
	for _, o := range rr.objs {
		o.Refresh()
	}
}

func (rr *markerRowRenderer) Objects() []fyne.CanvasObject { return rr.objs }

func (rr *markerRowRenderer) Destroy() {}

// fieldView shows an entry's committed text (or its placeholder, dimmed)
// over a thin line, at the entry's height, cut with an ellipsis to its
// width, and hands over to the entry when tapped or reached with Tab; the
// entry hands back when it loses the focus.
type fieldView struct {
	widget.BaseWidget
	e    *commitEntry
	text *canvas.Text
	line *canvas.Rectangle
	h    float32 // the entry's height

	full        string  // the text to show, uncut
	placeholder bool    // full is the entry's placeholder
	fitted      float32 // the width text was cut for
}

func newFieldView(e *commitEntry) *fieldView {
	v := &fieldView{e: e, h: e.MinSize().Height, fitted: -1}
	v.text = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	v.line = canvas.NewRectangle(theme.Color(theme.ColorNameInputBorder))
	v.ExtendBaseWidget(v)
	e.Hide()
	e.onDone = v.show
	return v
}

// show hides the entry and shows its committed text.
func (v *fieldView) show() {
	if v.e.editing {
		return
	}
	full, ph := v.e.committed, false
	if full == "" {
		full, ph = v.e.PlaceHolder, true
	}
	if full != v.full || ph != v.placeholder {
		v.full, v.placeholder, v.fitted = full, ph, -1
		v.fit(v.Size().Width)
		v.text.Color = v.color()
		v.text.Refresh()
	}
	v.e.Hide()
	v.Show()
}

func (v *fieldView) color() color.Color {
	if v.placeholder {
		return theme.Color(theme.ColorNamePlaceHolder)
	}
	return theme.Color(theme.ColorNameForeground)
}

// fit cuts the text to the width, with an ellipsis, if it is too long.
func (v *fieldView) fit(width float32) {
	if width == v.fitted {
		return
	}
	v.fitted = width
	fitText(v.text, v.full, width-2*theme.InnerPadding())
}

// fitText sets t to full, or, if that is wider than width, to its longest
// start that fits with an ellipsis. Width 0 or less (not laid out yet)
// shows full.
func fitText(t *canvas.Text, full string, width float32) {
	measure := func(s string) float32 { return fyne.MeasureText(s, t.TextSize, t.TextStyle).Width }
	if width <= 0 || measure(full) <= width {
		t.Text = full
		return
	}
	rs := []rune(full)
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if measure(string(rs[:mid])+"…") <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	t.Text = string(rs[:lo]) + "…"
}

// edit swaps in the entry and gives it the focus.
func (v *fieldView) edit() {
	c := fyne.CurrentApp().Driver().CanvasForObject(v)
	if c == nil {
		return
	}
	v.Hide()
	v.e.Show()
	c.Focus(v.e)
}

// Tapped implements fyne.Tappable.
func (v *fieldView) Tapped(*fyne.PointEvent) { v.edit() }

// Cursor implements desktop.Cursorable: the text cursor says it is a field.
func (v *fieldView) Cursor() desktop.Cursor { return desktop.TextCursor }

// FocusGained implements fyne.Focusable: Tab reaches the field as it would
// the entry, and the entry takes over.
func (v *fieldView) FocusGained() { v.edit() }

// FocusLost implements fyne.Focusable.
func (v *fieldView) FocusLost() {}

// TypedRune implements fyne.Focusable.
func (v *fieldView) TypedRune(rune) {}

// TypedKey implements fyne.Focusable.
func (v *fieldView) TypedKey(*fyne.KeyEvent) {}

// CreateRenderer implements fyne.Widget.
func (v *fieldView) CreateRenderer() fyne.WidgetRenderer {
	return &fieldViewRenderer{v: v}
}

type fieldViewRenderer struct{ v *fieldView }

func (r *fieldViewRenderer) MinSize() fyne.Size {
	return fyne.NewSize(fyne.MeasureText("…", r.v.text.TextSize, r.v.text.TextStyle).Width+2*theme.InnerPadding(), r.v.h)
}

func (r *fieldViewRenderer) Layout(size fyne.Size) {
	v := r.v
	if v.fitted != size.Width {
		v.fit(size.Width)
		v.text.Refresh()
	}
	th := v.text.MinSize().Height
	v.text.Move(fyne.NewPos(theme.InnerPadding(), (size.Height-th)/2))
	v.text.Resize(fyne.NewSize(max(size.Width-2*theme.InnerPadding(), 0), th))
	v.line.Move(fyne.NewPos(theme.InnerPadding()/2, size.Height-1))
	v.line.Resize(fyne.NewSize(max(size.Width-theme.InnerPadding(), 0), 1))
}

func (r *fieldViewRenderer) Refresh() {
	v := r.v
	v.line.FillColor = theme.Color(theme.ColorNameInputBorder)
	v.line.Refresh()
	v.text.Color = v.color()
	v.text.TextSize = theme.TextSize()
	v.text.Refresh()
}

func (r *fieldViewRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.v.text, r.v.line}
}

func (r *fieldViewRenderer) Destroy() {}

// commitEntry is an Entry that reports its text when Enter is pressed or
// it loses the focus, if the text changed; Enter also gives the focus back
// to the window so marker keys work again.
type commitEntry struct {
	widget.Entry
	committed string
	onCommit  func(string)
	editing   bool   // focused, being typed in
	onDone    func() // after it lost the focus
}

func newCommitEntry(onCommit func(string)) *commitEntry {
	e := &commitEntry{onCommit: onCommit}
	e.ExtendBaseWidget(e)
	e.OnSubmitted = func(string) {
		e.commit()
		if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil {
			c.Unfocus()
		}
	}
	return e
}

func (e *commitEntry) setCommitted(s string) {
	if e.committed == s {
		return
	}
	e.committed = s
	e.SetText(s)
}

func (e *commitEntry) commit() {
	if e.Text != e.committed {
		e.committed = e.Text
		e.onCommit(e.Text)
	}
}

// FocusGained marks the entry as being edited.
func (e *commitEntry) FocusGained() {
	e.editing = true
	e.Entry.FocusGained()
}

// FocusLost commits the edit.
func (e *commitEntry) FocusLost() {
	e.Entry.FocusLost()
	e.commit()
	e.editing = false
	if e.onDone != nil {
		e.onDone()
	}
}

// TypedShortcut keeps Ctrl+R/P/Shift+S working while a title is typed.
func (e *commitEntry) TypedShortcut(s fyne.Shortcut) {
	e.Entry.TypedShortcut(s)
	forwardShortcut(e, s)
}

// TypedKey lets Escape drop the focus without committing.
func (e *commitEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.SetText(e.committed)
		if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil {
			c.Unfocus()
		}
		return
	}
	e.Entry.TypedKey(k)
}
