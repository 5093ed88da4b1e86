package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// rowStack lays the marker list's rows out top to bottom, as a VBox does,
// and hides the rows scrolled far out of view. Fyne 2.7 walks, measures
// and draws every visible object of the window on every frame, clipped
// away or not, so without this each marker of a long show (a row is about
// fifteen objects: two entries, a button, labels) made every meter update
// dearer. Rows it hid keep their place in the stack, so the list's height
// and the scroll bar are as if all were shown. Only the rows in the view
// are shown: the list hides and shows rows as it scrolls, before the frame
// is drawn (OnScrolled), and the event loop checks the view every frame.
type rowStack struct {
	scroll *container.Scroll
	culled map[fyne.CanvasObject]bool // rows hidden because they are out of view

	// The view the rows were last shown or hidden for (cull).
	lastOff, lastView float32
	lastN             int

	// MinSize as of the last Layout: Fyne asks for it on every frame, and
	// summing every row's (their entries measure their text) cost more
	// than drawing the window once a show had a hundred markers. Rows
	// change only through the list, which lays the box out again.
	min   fyne.Size
	minN  int
	minOK bool
}

func newRowStack() *rowStack { return &rowStack{culled: map[fyne.CanvasObject]bool{}} }

// inStack: a row hidden for any reason other than culling takes no place.
func (s *rowStack) inStack(o fyne.CanvasObject) bool { return o.Visible() || s.culled[o] }

// MinSize is the size of all the rows stacked, the culled ones included.
func (s *rowStack) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if s.minOK && s.minN == len(objs) {
		return s.min
	}
	var size fyne.Size
	n := 0
	for _, o := range objs {
		if !s.inStack(o) {
			continue
		}
		m := o.MinSize()
		size.Width = max(size.Width, m.Width)
		size.Height += m.Height
		n++
	}
	if n > 1 {
		size.Height += theme.Padding() * float32(n-1)
	}
	s.min, s.minN, s.minOK = size, len(objs), true
	return size
}

// Layout stacks the rows, then shows or hides them for the current view.
func (s *rowStack) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	s.minOK = false // the rows may have changed: measured again when asked
	y := float32(0)
	for _, o := range objs {
		if !s.inStack(o) {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h + theme.Padding()
	}
	s.cull(objs, true)
}

// cull shows the rows in the view and hides the others; unless force, only when the view or the rows changed since the
// last time. Fyne goroutine only.
func (s *rowStack) cull(objs []fyne.CanvasObject, force bool) {
	off, view := float32(0), float32(0)
	if s.scroll != nil {
		off, view = s.scroll.Offset.Y, s.scroll.Size().Height
	}
	if !force && off == s.lastOff && view == s.lastView && len(objs) == s.lastN {
		return
	}
	s.lastOff, s.lastView, s.lastN = off, view, len(objs)
	present := make(map[fyne.CanvasObject]bool, len(objs))
	for _, o := range objs {
		present[o] = true
		if !s.inStack(o) {
			continue
		}
		top := o.Position().Y
		// Not laid out in a view yet (size 0): everything is shown.
		in := view <= 0 || top+o.Size().Height >= off && top <= off+view
		switch {
		case in && s.culled[o]:
			o.Show() // still counted as culled meanwhile: it keeps its place
			delete(s.culled, o)
		case !in && !s.culled[o]:
			s.culled[o] = true
			o.Hide()
		}
	}
	for o := range s.culled {
		if !present[o] { // removed from the list: shown again if it comes back
			o.Show()
			delete(s.culled, o)
		}
	}
}
