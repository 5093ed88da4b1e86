package ui

import (
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// tick reads the engine and hands what it read to the Fyne goroutine
// meterHz times a second while the window has the focus, backgroundHz times
// while it has not. The engine's levels are the peaks since its last
// reading, so a slower rate still shows every peak; reading at the display
// rate (not always at meterHz) spares the wake-ups nobody would see.
func (w *Window) tick() {
	hz := w.displayHz()
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	var lastFree, lastRoom time.Time
	for {
		select {
		case <-w.stopTick:
			return
		case <-w.rateChanged:
			// Back in front: the next update at once, then the full rate.
			if h := w.displayHz(); h != hz {
				hz = h
				t.Reset(time.Second / time.Duration(hz))
			}
		case <-t.C:
		}
		now := time.Now()
		disk := now.Sub(lastFree) > 5*time.Second
		if disk {
			lastFree = now
		}
		w.poll(disk)
		if now.Sub(lastRoom) >= time.Second && w.roomActive.Load() {
			lastRoom = now
			w.post(func() { w.rm.refresh(time.Now()) }) // "last seen", lost hosts, uploads
		}
	}
}

// displayHz is the rate meters and clocks are updated at: meterHz while the
// window has the focus, backgroundHz while another app has it.
func (w *Window) displayHz() int {
	if w.background.Load() {
		return backgroundHz
	}
	return meterHz
}

// setBackground switches the display rate: on when another app has the
// focus (Fyne's lifecycle: the app left the foreground). The ticker takes
// the new rate at once.
func (w *Window) setBackground(on bool) {
	if w.background.Swap(on) == on {
		return
	}
	select {
	case w.rateChanged <- struct{}{}:
	default: // one pending change is enough: the ticker reads the flag
	}
}

// poll reads levels and status (and, with disk, the free space) and hands
// them to the Fyne goroutine through w.post, unless the last update is
// still queued there: then it only holds the peaks for the next update. It
// never touches widgets.
func (w *Window) poll(disk bool) {
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
	if (rec != nil || mon != nil) && w.meterPending.CompareAndSwap(false, true) {
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
// display updates: the engine's readings are the peaks since the last one,
// but a reading taken while the Fyne goroutine has not yet shown the last
// (a slow renderer) is not shown by itself, and its peak must still show.
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
