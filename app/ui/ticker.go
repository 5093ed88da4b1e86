package ui

import (
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// tick reads the engine meterHz times a second off the Fyne goroutine and
// hands what it read to the Fyne goroutine meterHz times a second while the
// window has the focus, backgroundHz times while it has not.
func (w *Window) tick() {
	t := time.NewTicker(time.Second / meterHz)
	defer t.Stop()
	var lastFree time.Time
	for n := 0; ; n++ {
		select {
		case <-w.stopTick:
			return
		case <-t.C:
		}
		disk := time.Since(lastFree) > 5*time.Second
		if disk {
			lastFree = time.Now()
		}
		w.poll(disk, w.showNow(n))
		if n%meterHz == 0 && w.roomActive.Load() {
			w.post(func() { w.rm.refresh(time.Now()) }) // "last seen", lost hosts, uploads
		}
	}
}

// showNow reports whether reading n is shown: every reading while the
// window has the focus, every third (10 Hz) while it has not.
func (w *Window) showNow(n int) bool {
	return !w.background.Load() || n%(meterHz/backgroundHz) == 0
}

// setBackground switches the display rate: on when another app has the
// focus (Fyne's lifecycle: the app left the foreground).
func (w *Window) setBackground(on bool) { w.background.Store(on) }

// poll reads levels and status (and, with disk, the free space); with show
// it hands them to the Fyne goroutine through w.post, else it only holds
// the peaks for the next update. It never touches widgets.
func (w *Window) poll(disk, show bool) {
	w.mu.Lock()
	rec, mon, pc := w.rec, w.monitor, w.polled
	w.mu.Unlock()
	var st session.Status
	switch {
	case rec != nil:
		st = rec.Status()
	case mon != nil:
		st.Levels = mon.Levels(nil)
	}
	if rec != nil || mon != nil {
		st.Levels = w.hold.add(st.Levels)
	}
	// One meter update in flight at a time: if the Fyne goroutine is slower
	// than the poll (a busy software renderer), readings are held rather
	// than queued, so memory stays flat and no peak is lost.
	if show && (rec != nil || mon != nil) && w.meterPending.CompareAndSwap(false, true) {
		st.Levels = w.hold.take()
		w.post(func() {
			defer w.meterPending.Store(false)
			if rec != nil {
				w.rs.showStatus(st)
			} else {
				w.rs.showLevels(st.Levels)
			}
		})
	}
	if disk && pc.cfg.Rate > 0 {
		free, err := freeTime(pc.root, pc.cfg)
		w.post(func() { w.sc.setFree(free, err) })
	}
}

// peakHold keeps, per channel, the highest peak and any clip between two
// display updates: the engine is read meterHz times a second, the display
// may be updated less often, and a short peak in between must still show.
// The RMS shown is the latest.
type peakHold struct{ lv []audio.Level }

// add merges a reading and returns the held levels so far.
func (h *peakHold) add(lv []audio.Level) []audio.Level {
	if len(h.lv) != len(lv) {
		h.lv = append(h.lv[:0], lv...)
		return h.lv
	}
	for i, l := range lv {
		held := &h.lv[i]
		held.Peak = max(held.Peak, l.Peak)
		held.RMS = l.RMS
		held.Clipped = held.Clipped || l.Clipped
	}
	return h.lv
}

// take returns the held levels (a copy) and starts a new hold.
func (h *peakHold) take() []audio.Level {
	out := append([]audio.Level(nil), h.lv...)
	h.lv = h.lv[:0]
	return out
}
