package ui

import (
	"time"

	"fyne.io/fyne/v2"
)

// The display clock. Meters and clocks are read from the engine and shown
// on the Fyne goroutine, from Fyne's own event loop (an endless
// fyne.Animation, ticked at the start of each of the loop's 60 Hz rounds,
// just before the frame is drawn), not from a ticker goroutine that hands
// each reading over with fyne.Do. The loop wakes 60 times a second for its
// own events anyway; a ticker goroutine and the fyne.Do behind it woke the
// process twice more per update, and each such wake-up from idle sets the
// Go runtime's monitor thread (sysmon) polling every 20 µs for a
// millisecond: behind the call that monitor was the largest single cost of
// the window process. The engine's meter readings are the peaks since the
// last reading, so a slower display rate still shows every peak.

// frameSlack is how early a display update may come: the event loop ticks
// every 1/60 s with some jitter, so an update is due once its period less
// half a loop round has passed (every second round at 30 Hz, every
// twelfth at 5 Hz).
const frameSlack = time.Second / 120

// displayClock is the state of the display updates (Fyne goroutine only).
type displayClock struct {
	anim     *fyne.Animation
	lastRead time.Time // the engine was last read and shown
	lastDisk time.Time // free disk space last measured
	lastRoom time.Time // the Room section last refreshed
}

// startClock starts the display updates on Fyne's event loop; shutdown
// stops them.
func (w *Window) startClock() {
	a := fyne.NewAnimation(time.Hour, func(float32) { w.onFrame(time.Now()) })
	a.RepeatCount = fyne.AnimationRepeatForever
	w.disp.anim = a
	w.app.Driver().StartAnimation(a)
}

func (w *Window) stopClock() {
	if w.disp.anim != nil {
		w.app.Driver().StopAnimation(w.disp.anim)
		w.disp.anim = nil
	}
}

// onFrame runs on the Fyne goroutine at every round of the event loop: it
// reads the engine and shows it when a display update is due (displayHz),
// measures free disk space every 5 s (off the Fyne goroutine) and
// refreshes the Room section once a second while it is shown.
func (w *Window) onFrame(now time.Time) {
	if w.closed.Load() {
		return
	}
	w.ml.cullRows()
	period := time.Second / time.Duration(w.displayHz())
	if now.Sub(w.disp.lastRead) >= period-frameSlack {
		w.disp.lastRead = now
		w.update()
	}
	if now.Sub(w.disp.lastDisk) > 5*time.Second {
		w.disp.lastDisk = now
		w.measureDisk()
	}
	if now.Sub(w.disp.lastRoom) >= time.Second && w.roomActive.Load() {
		w.disp.lastRoom = now
		w.rm.refresh(now) // "last seen", lost hosts, uploads
	}
}

// displayHz is the rate meters and clocks are updated at: meterHz while the
// window has the focus, backgroundHz while another app has it or a dialog
// covers the window (the meters are dimmed under it, and every update
// repaints the dialog and its full-window shade too: with the recovery
// dialog up at 30 Hz the window took half a core).
func (w *Window) displayHz() int {
	if w.background.Load() || w.win.Canvas().Overlays().Top() != nil {
		return backgroundHz
	}
	return meterHz
}

// setBackground switches the display rate: on when another app has the
// focus (Fyne's lifecycle: the app left the foreground). The next round of
// the event loop uses the new rate, so coming back to the front brings the
// full rate back at once.
func (w *Window) setBackground(on bool) { w.background.Store(on) }

// update reads levels and status from the recording, or levels from the
// soundcheck monitor, and shows them. Fyne goroutine only.
func (w *Window) update() {
	w.mu.Lock()
	rec, mon := w.rec, w.monitor
	w.mu.Unlock()
	switch {
	case rec != nil:
		w.rs.showStatus(rec.Status())
	case mon != nil:
		w.rs.showLevels(mon.Levels(nil), false)
	}
}

// measureDisk measures the free space of the recordings folder on another
// goroutine (a slow or network disk must not stall the window) and shows
// it through w.post.
func (w *Window) measureDisk() {
	w.mu.Lock()
	pc := w.polled
	w.mu.Unlock()
	if pc.cfg.Rate <= 0 {
		return
	}
	go func() {
		free, err := freeTime(pc.root, pc.cfg)
		w.post(func() { w.sc.setFree(free, err) })
	}()
}
