package ui

import (
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/markers"
)

// rundownScreen is where hosts paste or load their planned segments before
// the show, and see done / current / upcoming during it.
type rundownScreen struct {
	w      *Window
	text   *widget.Entry
	status *fyne.Container
	load   *widget.Button
}

func newRundownScreen(w *Window) *rundownScreen { return &rundownScreen{w: w} }

func (r *rundownScreen) buildUI() fyne.CanvasObject {
	r.text = widget.NewMultiLineEntry()
	r.text.SetPlaceHolder("One planned segment per line, e.g.\n- Intro\n- News of the week\n- sponsor: Acme VPN\n- Listener mail")
	r.text.SetMinRowsVisible(6)
	r.text.SetText(r.w.prefs.String(prefRundown, ""))
	r.text.OnChanged = r.onChanged
	r.load = widget.NewButtonWithIcon("Load file…", theme.FolderOpenIcon(), r.onLoad)
	r.status = container.NewVBox()
	r.onChanged(r.text.Text)
	help := widget.NewLabel("N (or Ctrl+Alt+5 anywhere) drops a marker titled with the next segment.")
	help.Wrapping = fyne.TextWrapWord
	top := container.NewBorder(nil, nil, nil, r.load, help)
	return container.NewBorder(top, nil, nil, nil,
		container.NewVSplit(r.text, container.NewVScroll(r.status)))
}

// onChanged re-parses the rundown; progress through it is kept.
func (r *rundownScreen) onChanged(text string) {
	segs := ParseRundown(text)
	r.w.mu.Lock()
	next := min(r.w.rundown.next, len(segs))
	r.w.rundown.Segments, r.w.rundown.next = segs, next
	r.w.mu.Unlock()
	r.w.prefs.SetString(prefRundown, text)
	r.refresh()
}

func (r *rundownScreen) onLoad() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			r.w.showError(err)
			return
		}
		if rc == nil {
			return
		}
		b, err := io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.w.showError(fmt.Errorf("ui: read rundown %s: %w", rc.URI().Path(), err))
			return
		}
		r.text.SetText(string(b))
	}, r.w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".txt", ".md", ".markdown"}))
	d.Show()
}

// refresh redraws the done / current / upcoming list and the Next button.
func (r *rundownScreen) refresh() {
	if r.status == nil {
		return
	}
	r.w.mu.Lock()
	segs := append([]Segment(nil), r.w.rundown.Segments...)
	states := make([]SegmentState, len(segs))
	for i := range segs {
		states[i] = r.w.rundown.State(i)
	}
	next, hasNext := r.w.rundown.Peek()
	r.w.mu.Unlock()
	objs := make([]fyne.CanvasObject, 0, len(segs))
	for i, s := range segs {
		var icon fyne.Resource
		l := widget.NewLabel(s.Title)
		if s.Kind == markers.Sponsor {
			l.SetText(s.Title + "  (sponsor)")
		}
		switch states[i] {
		case SegmentDone:
			icon = theme.ConfirmIcon()
			l.Importance = widget.LowImportance
		case SegmentCurrent:
			icon = theme.MediaPlayIcon()
			l.TextStyle.Bold = true
			l.Importance = widget.HighImportance
		default:
			icon = theme.RadioButtonIcon()
		}
		objs = append(objs, container.NewHBox(widget.NewIcon(icon), l))
	}
	r.status.Objects = objs
	r.status.Refresh()
	if b := r.w.rs.markBtns[ActionNext]; b != nil {
		if hasNext {
			b.SetText(fmt.Sprintf("Next: %s (N)", ellipsis(next.Title, 22)))
		} else {
			b.SetText("Next segment (N)")
		}
	}
}

func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
