package ui

import (
	"hash/fnv"
	"image/color"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/markers"
)

// The other hosts' markers in the marker list: each row carries its
// author's initials on a badge of the author's colour, and is read-only
// here (only its author can change it; the change comes through the room).

// hostPalette are the author badge colours: dark enough for white initials,
// apart from each other and from the marker kinds' colours.
var hostPalette = []color.NRGBA{
	{R: 0x00, G: 0x79, B: 0x6b, A: 0xff}, // teal
	{R: 0x39, G: 0x49, B: 0xab, A: 0xff}, // indigo
	{R: 0xc2, G: 0x18, B: 0x5b, A: 0xff}, // pink
	{R: 0x6d, G: 0x4c, B: 0x41, A: 0xff}, // brown
	{R: 0x00, G: 0x83, B: 0x8f, A: 0xff}, // cyan
	{R: 0xbf, G: 0x36, B: 0x0c, A: 0xff}, // deep orange
	{R: 0x55, G: 0x8b, B: 0x2f, A: 0xff}, // olive
	{R: 0x9e, G: 0x6a, B: 0x00, A: 0xff}, // dark gold
}

// hostColor is host's badge colour: the same on every machine and in
// every show, from a hash of the name.
func hostColor(host string) color.NRGBA {
	h := fnv.New32a()
	h.Write([]byte(host))
	return hostPalette[h.Sum32()%uint32(len(hostPalette))]
}

// initials are up to two letters for host: the first letters of its first
// two words ("bob-smith" → "BS", "AnnaLee" → "AL"), else its first two
// letters ("alice" → "AL").
func initials(host string) string {
	var words []string
	cur := []rune{}
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	prev := rune(0)
	for _, r := range host {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	var out []rune
	switch {
	case len(words) >= 2:
		out = []rune{[]rune(words[0])[0], []rune(words[1])[0]}
	case len(words) == 1:
		out = []rune(words[0])[:min(2, len([]rune(words[0])))]
	default:
		return "?"
	}
	return strings.ToUpper(string(out))
}

// authorBadge is a host's initials on its colour.
type authorBadge struct {
	widget.BaseWidget
	host string
	bg   *canvas.Rectangle
	text *canvas.Text
}

func newAuthorBadge(host string) *authorBadge {
	b := &authorBadge{host: host}
	b.bg = canvas.NewRectangle(hostColor(host))
	b.bg.CornerRadius = 6
	b.bg.SetMinSize(fyne.NewSize(30, 22))
	b.text = canvas.NewText(initials(host), color.White)
	b.text.TextStyle.Bold = true
	b.text.TextSize = theme.CaptionTextSize()
	b.text.Alignment = fyne.TextAlignCenter
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer implements fyne.Widget.
func (b *authorBadge) CreateRenderer() fyne.WidgetRenderer { return &badgeRenderer{b} }

// badgeRenderer draws the badge's two objects straight (no containers: the
// badge is on every other host's row of the marker list).
type badgeRenderer struct{ b *authorBadge }

func (r *badgeRenderer) MinSize() fyne.Size { return r.b.bg.MinSize().Max(r.b.text.MinSize()) }

func (r *badgeRenderer) Layout(size fyne.Size) {
	r.b.bg.Resize(size)
	tm := r.b.text.MinSize()
	r.b.text.Move(fyne.NewPos(0, (size.Height-tm.Height)/2))
	r.b.text.Resize(fyne.NewSize(size.Width, tm.Height))
}

func (r *badgeRenderer) Refresh() {
	r.b.bg.Refresh()
	r.b.text.Refresh()
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.b.bg, r.b.text} }

func (r *badgeRenderer) Destroy() {}

// remoteKey names another host's marker in the list: ids are per author.
func remoteKey(author, id string) string { return author + "\x00" + id }

// remoteRow is another host's marker in the list: time on this host's
// timeline ("≈" until the shared clock has an estimate), kind, the author's
// badge, title and URL as text. It has no entry and no delete button. Flat
// as markerRow is: its canvas objects laid out by its own renderer.
type remoteRow struct {
	widget.BaseWidget
	m      markers.Marker
	exact  bool
	bar    *canvas.Rectangle
	icon   *canvas.Image
	time   *canvas.Text
	badge  *authorBadge
	title  *canvas.Text // full, cut to its width
	by     *canvas.Text
	full   string  // the title and URL, uncut
	titleW float32 // the title's width as last laid out (0 before)
}

// Refresh implements fyne.Widget: as markerRow's, not while out of view.
func (r *remoteRow) Refresh() {
	if r.Visible() {
		r.BaseWidget.Refresh()
	}
}

func newRemoteRow(l *markerList, m markers.Marker, exact bool) *remoteRow {
	r := &remoteRow{badge: newAuthorBadge(m.Author)}
	r.bar = canvas.NewRectangle(kindColor(m.Kind))
	r.icon = canvas.NewImageFromResource(kindIcon(m.Kind))
	r.icon.FillMode = canvas.ImageFillContain
	r.time = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.time.TextStyle.Monospace = true
	r.title = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.by = canvas.NewText("", theme.Color(theme.ColorNameDisabled))
	r.ExtendBaseWidget(r)
	r.set(l, m, exact)
	return r
}

func (r *remoteRow) set(l *markerList, m markers.Marker, exact bool) {
	r.m, r.exact = m, exact
	r.bar.FillColor = kindColor(m.Kind)
	r.bar.Refresh()
	r.icon.Resource = kindIcon(m.Kind)
	r.icon.Refresh()
	t := l.fmtTime(m.Sample)
	if !exact {
		t = "≈" + t
	}
	setText(r.time, t)
	title := m.Title
	if title == "" {
		title = "Untitled " + string(m.Kind)
	}
	if m.URL != "" {
		title += "  " + m.URL
	}
	if title != r.full {
		r.full = title
		fitText(r.title, title, r.titleW)
		r.title.Refresh()
	}
	setText(r.by, "by "+m.Author)
}

// setText changes t only if the text differs.
func setText(t *canvas.Text, s string) {
	if t.Text != s {
		t.Text = s
		t.Refresh()
	}
}

// CreateRenderer implements fyne.Widget.
func (r *remoteRow) CreateRenderer() fyne.WidgetRenderer {
	return &remoteRowRenderer{r: r, objs: []fyne.CanvasObject{r.bar, r.icon, r.time, r.badge, r.title, r.by}}
}

type remoteRowRenderer struct {
	r    *remoteRow
	objs []fyne.CanvasObject
}

func (rr *remoteRowRenderer) MinSize() fyne.Size {
	r, p := rr.r, theme.Padding()
	tm := r.time.MinSize()
	h := max(tm.Height+2*theme.InnerPadding(), r.badge.MinSize().Height)
	w := barWidth + p + theme.IconInlineSize() + p + tm.Width + p + r.badge.MinSize().Width + p +
		fyne.MeasureText("…", r.title.TextSize, r.title.TextStyle).Width + p + r.by.MinSize().Width
	return fyne.NewSize(w, h)
}

func (rr *remoteRowRenderer) Layout(size fyne.Size) {
	r, p := rr.r, theme.Padding()
	x := layoutKind(r.bar, r.icon, size.Height)
	for _, o := range []fyne.CanvasObject{r.time, r.badge} {
		m := o.MinSize()
		o.Move(fyne.NewPos(x, (size.Height-m.Height)/2))
		o.Resize(m)
		x += m.Width + p
	}
	by := r.by.MinSize()
	bx := size.Width - by.Width - theme.InnerPadding()
	r.by.Move(fyne.NewPos(bx, (size.Height-by.Height)/2))
	r.by.Resize(by)
	w := max(bx-p-x, 0)
	if w != r.titleW {
		r.titleW = w
		fitText(r.title, r.full, w)
		r.title.Refresh()
	}
	th := r.title.MinSize().Height
	r.title.Move(fyne.NewPos(x, (size.Height-th)/2))
	r.title.Resize(fyne.NewSize(w, th))
}

func (rr *remoteRowRenderer) Refresh() {
	r := rr.r
	r.time.Color = theme.Color(theme.ColorNameForeground)
	r.title.Color = theme.Color(theme.ColorNameForeground)
	r.by.Color = theme.Color(theme.ColorNameDisabled)
	for _, o := range []*canvas.Text{r.time, r.title, r.by} {
		o.TextSize = theme.TextSize()
	}
	for _, o := range rr.objs {
		o.Refresh()
	}
}

func (rr *remoteRowRenderer) Objects() []fyne.CanvasObject { return rr.objs }

func (rr *remoteRowRenderer) Destroy() {}

// applyRemote shows another host's marker event, m placed on this host's
// timeline (exact: through the shared clock).
func (l *markerList) applyRemote(op room.Op, m markers.Marker, exact bool) {
	if l.rec == nil {
		return
	}
	k := remoteKey(m.Author, m.ID)
	follow := l.atEnd()
	i := -1
	for j := range l.remote {
		if remoteKey(l.remote[j].Author, l.remote[j].ID) == k {
			i = j
			break
		}
	}
	switch {
	case op == room.OpDelete:
		if i < 0 {
			return
		}
		l.remote = append(l.remote[:i], l.remote[i+1:]...)
		delete(l.rrows, k)
	case i >= 0:
		l.remote[i] = m
		l.rrows[k].set(l, m, exact)
	default:
		l.remote = append(l.remote, m)
		l.rrows[k] = newRemoteRow(l, m, exact)
	}
	l.rebuild()
	l.follow(follow)
	l.w.rs.showSegmentTitle()
}
