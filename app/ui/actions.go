package ui

import (
	"errors"
	"fmt"
	"sync"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// pendingMark is a marker action whose position is taken and whose journal
// line is not yet written.
type pendingMark struct {
	rec   *session.Session
	pos   int64
	kind  markers.Kind
	title string
}

// markQueue journals marker actions in key-press order on one goroutine of
// its own, so the journal's fsync never runs on the Fyne goroutine (a slow
// disk must not freeze the window and the meters).
type markQueue struct {
	once    sync.Once
	ch      chan pendingMark
	pending sync.WaitGroup
}

// push queues pm; the worker starts with the first action.
func (q *markQueue) push(pm pendingMark, onErr func(error)) {
	q.once.Do(func() {
		q.ch = make(chan pendingMark, 256)
		go func() {
			for pm := range q.ch {
				if _, err := pm.rec.MarkAt(pm.pos, pm.kind, pm.title); err != nil {
					onErr(err)
				}
				q.pending.Done()
			}
		}()
	})
	q.pending.Add(1)
	q.ch <- pm
}

// wait returns once every queued action is journaled (or failed).
func (q *markQueue) wait() { q.pending.Wait() }

// act performs a marker action on whichever goroutine pressed it (the
// global hotkey goroutine or the Fyne goroutine): the marker's position is
// read from the session at this instant and the rundown advances now; the
// journal line is written by the mark queue, and the list learns of the
// marker once, from the session's OnMarker hook.
func (w *Window) act(a Action) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rec == nil {
		return errNotRecording
	}
	pos := w.rec.Position() // first: the key press is now
	var kind markers.Kind
	title := ""
	switch a {
	case ActionTopic:
		kind = markers.Topic
	case ActionSponsor:
		kind = markers.Sponsor
	case ActionEdit:
		kind = markers.Edit
	case ActionNote:
		kind = markers.Note
	case ActionNext:
		if w.member != nil && w.member.Session() == w.rec {
			if _, ok := w.member.Client().Rundown(); ok {
				// The room's rundown: one press in the room advances it.
				go w.roomNext(w.member)
				return nil
			}
		}
		kind = markers.Topic
		if seg, ok := w.rundown.Advance(); ok {
			kind, title = seg.Kind, seg.Title
		}
	default:
		return fmt.Errorf("ui: unknown action %d", a)
	}
	w.marks.push(pendingMark{rec: w.rec, pos: pos, kind: kind, title: title}, func(err error) {
		w.post(func() { w.showError(err) })
	})
	return nil
}

// actUI runs an action from the window (button or key) on the Fyne goroutine.
func (w *Window) actUI(a Action) { w.afterAct(w.act(a)) }

// actGlobal runs an action from a global hotkey, off the Fyne goroutine.
func (w *Window) actGlobal(a Action) {
	if err := w.act(a); err != nil {
		w.post(func() { w.afterAct(err) })
	}
}

func (w *Window) afterAct(err error) {
	switch {
	case errors.Is(err, errNotRecording):
		w.rs.flash("Press Record (Ctrl+R) first: markers need a running recording")
	case err != nil:
		w.showError(err)
	}
}

// onMarker shows a journaled marker (from the session's OnMarker hook).
func (w *Window) onMarker(rec *session.Session, m markers.Marker) {
	if w.ml.rec != rec {
		return // a late hook of an earlier recording
	}
	w.ml.add(m)
	w.rs.showSegmentTitle()
	w.rd.refresh()
}

// flushMarks waits until every marker action taken is journaled (before
// Stop closes the journal).
func (w *Window) flushMarks() { w.marks.wait() }
