// Package ui is podmark's Fyne window: soundcheck, recording, live markers,
// rundown, marker list, hand-off and recovery. It is the only package that
// imports Fyne; it drives app/session (through Backend) and never records
// audio itself.
package ui

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/markers"
)

// AppID is the reverse-DNS application ID (also in FyneApp.toml); Fyne keys
// the preferences file by it.
const AppID = "io.github.podmark.podmark"

// Options are the command line presets; zero values fall back to the
// preferences, then to defaults.
type Options struct {
	Device   string
	Channels int
	Rate     int
	Dir      string // recordings folder
	Host     string
	// Ready, when set, is called once the window is shown and ready to record.
	Ready func()
}

// errNotRecording is returned by marker actions outside a recording.
var errNotRecording = errors.New("ui: not recording")

// meterHz is how often meters and the clock are refreshed.
const meterHz = 30

// Window is podmark's main window and the controller behind its screens.
type Window struct {
	app   fyne.App
	win   fyne.Window
	prefs prefs
	be    Backend
	opts  Options

	mu      sync.Mutex // guards rec, monitor, rundown and polled (the hotkey and meter goroutines use them)
	rec     Recording
	monitor Monitor
	rundown Rundown
	polled  Config

	// post runs f on the Fyne goroutine: fyne.Do, or a queue in tests.
	post func(f func())
	// grab is GrabHotkeys; tests replace it so they never hold real chords.
	grab func(map[Action]Chord, func(Action)) (Hotkeys, error)

	hotkeys   Hotkeys
	hotkeyErr error

	stopTick     chan struct{}
	tickOnce     sync.Once
	meterPending atomic.Bool // a meter update is queued for the Fyne goroutine

	// Fyne goroutine only.
	state string // "", "recording", "paused", "stopped"
	last  Recording
	cfg   Config

	sc *soundcheckScreen
	rs *recordScreen
	ml *markerList
	rd *rundownScreen
	ho *handoffScreen

	tabs         *container.AppTabs
	lastSettings *settingsScreen // the settings dialog last opened (tests)
}

// Run opens the window with the real engine and blocks until it is closed.
func Run(be Backend, opts Options) int {
	a := app.NewWithID(AppID)
	app.SetMetadata(withFyneDo(a.Metadata()))
	noDepthBuffer()
	keepFrameBuffers()
	w := NewWindow(a, be, opts)
	w.win.SetCloseIntercept(w.onClose)
	w.win.SetOnClosed(w.shutdown)
	// SIGINT/SIGTERM (logout, kill) finalise a running recording first.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fyne.Do(func() {
			w.shutdown()
			a.Quit()
		})
	}()
	w.win.Show()
	w.start()
	if opts.Ready != nil {
		// Queued from another goroutine once the event loop runs, so it
		// comes after the window has been created and filled.
		a.Lifecycle().SetOnStarted(func() { go fyne.Do(opts.Ready) })
	}
	a.Run()
	return 0
}

// NewWindow builds the window on a; call start to begin metering and
// global hotkeys.
func NewWindow(a fyne.App, be Backend, opts Options) *Window {
	w := &Window{app: a, be: be, opts: opts, prefs: prefs{a.Preferences()}, stopTick: make(chan struct{}), post: fyne.Do, grab: GrabHotkeys}
	w.win = a.NewWindow("podmark")
	w.sc = newSoundcheckScreen(w)
	w.rs = newRecordScreen(w)
	w.ml = newMarkerList(w)
	w.rd = newRundownScreen(w)
	w.ho = newHandoffScreen(w)
	w.win.SetContent(w.buildUI())
	w.win.Resize(fyne.NewSize(1200, 760))
	registerShortcuts(w)
	return w
}

func (w *Window) buildUI() fyne.CanvasObject {
	settings := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), func() { w.showSettings() })
	settings.Importance = widget.LowImportance
	heading := widget.NewLabelWithStyle("Soundcheck", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(container.NewBorder(nil, nil, heading, settings), w.sc.buildUI())
	left := container.NewVBox(top, widget.NewSeparator(), w.rs.buildUI())
	w.ho.tab = container.NewTabItemWithIcon("Hand-off", theme.UploadIcon(), container.NewVScroll(w.ho.buildUI()))
	tabs := container.NewAppTabs(
		container.NewTabItemWithIcon("Markers", theme.ListIcon(), w.ml.buildUI()),
		container.NewTabItemWithIcon("Rundown", theme.DocumentIcon(), w.rd.buildUI()),
	)
	w.tabs = tabs
	split := container.NewHSplit(container.NewVScroll(container.NewPadded(left)), tabs)
	split.Offset = 0.47
	return split
}

// withFyneDo returns m with Fyne's "fyneDo" migration on: it tells Fyne that
// every goroutine reaches widgets through fyne.Do, as FyneApp.toml's
// [Migrations] says; only a binary built by the fyne tool embeds that file,
// so `go build` and `go run` get it here.
// Without it Fyne checks the calling goroutine on each canvas refresh by
// formatting a stack trace (a few percent of the window's Go time while the
// meters run) and logs instead of trusting fyne.Do.
func withFyneDo(m fyne.AppMetadata) fyne.AppMetadata {
	m.Migrations = maps.Clone(m.Migrations)
	if m.Migrations == nil {
		m.Migrations = map[string]bool{}
	}
	m.Migrations["fyneDo"] = true
	return m
}

// start begins soundcheck metering, global hotkeys, the meter ticker and the
// recovery check.
func (w *Window) start() {
	w.sc.loadDevices()
	w.restartMonitor()
	w.grabHotkeys()
	go w.tick()
	w.checkRecovery()
}

// onClose asks before closing the window over a running recording.
func (w *Window) onClose() {
	if w.state != "recording" && w.state != "paused" {
		w.win.Close()
		return
	}
	dialog.ShowConfirm("Stop recording and quit?", "The recording is stopped and saved before podmark closes.",
		func(ok bool) {
			if ok {
				w.shutdown()
				w.win.Close()
			}
		}, w.win)
}

// shutdown stops everything the window started; a running recording is
// stopped cleanly so its files are finalised.
func (w *Window) shutdown() {
	w.tickOnce.Do(func() { close(w.stopTick) })
	w.state = "closed"
	if w.hotkeys != nil {
		if err := w.hotkeys.Close(); err != nil {
			fyne.LogError("ui: release hotkeys", err)
		}
	}
	w.mu.Lock()
	rec, mon := w.rec, w.monitor
	w.rec, w.monitor = nil, nil
	w.mu.Unlock()
	if rec != nil {
		if err := rec.Stop(); err != nil {
			fyne.LogError("ui: stop recording on close", err)
		}
	}
	if mon != nil {
		if err := mon.Close(); err != nil {
			fyne.LogError("ui: close monitor", err)
		}
	}
}

// recordingsRoot is the recordings folder: flag, preference, then
// ~/Podmark.
func (w *Window) recordingsRoot() string {
	if w.opts.Dir != "" {
		return w.opts.Dir
	}
	if d := w.prefs.String(prefRecordingsDir, ""); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "podmark-recordings"
	}
	return filepath.Join(home, "Podmark")
}

// restartMonitor (re)opens soundcheck metering for the current pickers.
func (w *Window) restartMonitor() {
	w.closeMonitor()
	w.notePolled()
	cfg := w.sc.config()
	w.rs.setChannels(cfg.Channels)
	if w.be.NewMonitor == nil {
		return
	}
	m, err := w.be.NewMonitor(cfg)
	if err != nil {
		w.sc.setMonitorError(err)
		return
	}
	w.sc.setMonitorError(nil)
	w.mu.Lock()
	w.monitor = m
	w.mu.Unlock()
	w.rs.setChannels(cfg.Channels)
}

func (w *Window) closeMonitor() {
	w.mu.Lock()
	m := w.monitor
	w.monitor = nil
	w.mu.Unlock()
	if m != nil {
		if err := m.Close(); err != nil {
			fyne.LogError("ui: close monitor", err)
		}
	}
}

// tick polls the engine about 30 times a second off the Fyne goroutine.
func (w *Window) tick() {
	t := time.NewTicker(time.Second / meterHz)
	defer t.Stop()
	var lastFree time.Time
	for {
		select {
		case <-w.stopTick:
			return
		case <-t.C:
		}
		w.poll(time.Since(lastFree) > 5*time.Second)
		if time.Since(lastFree) > 5*time.Second {
			lastFree = time.Now()
		}
	}
}

// poll reads levels and status (and, with disk, the free space) and hands
// them to the Fyne goroutine through w.post. It never touches widgets.
func (w *Window) poll(disk bool) {
	w.mu.Lock()
	rec, mon, cfg := w.rec, w.monitor, w.polled
	w.mu.Unlock()
	// One meter update in flight at a time: if the Fyne goroutine is slower
	// than the poll (a busy software renderer), readings are skipped rather
	// than queued, so memory stays flat.
	if (rec != nil || mon != nil) && w.meterPending.CompareAndSwap(false, true) {
		switch {
		case rec != nil:
			st := rec.Status()
			w.post(func() { defer w.meterPending.Store(false); w.rs.showStatus(st, rec.Rate()) })
		default:
			lv := mon.Levels()
			w.post(func() { defer w.meterPending.Store(false); w.rs.showLevels(lv) })
		}
	}
	if disk && w.be.FreeTime != nil && cfg.Rate > 0 {
		free, err := w.be.FreeTime(cfg)
		w.post(func() { w.sc.setFree(free, err) })
	}
}

// notePolled records the configuration the poller measures disk space for.
func (w *Window) notePolled() {
	cfg := w.sc.config()
	w.mu.Lock()
	w.polled = cfg
	w.mu.Unlock()
}

// onRecord starts a new session folder in the recordings folder (Ctrl+R).
func (w *Window) onRecord() {
	if w.state == "recording" || w.state == "paused" {
		return
	}
	cfg := w.sc.config()
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		w.showError(fmt.Errorf("ui: recordings folder %q: %w", cfg.Root, err))
		return
	}
	w.sc.savePrefs()
	w.closeMonitor()
	hooks := Hooks{
		OnMarker: func(m markers.Marker) { w.post(func() { w.ml.add(m) }) },
		OnState: func(s string) {
			if s == "failed" {
				w.post(func() { w.rs.setState(s) })
			}
		},
		OnError: func(err error) { w.post(func() { w.showError(err) }) },
	}
	rec, err := w.be.NewRecording(cfg, hooks)
	if err == nil {
		if err = rec.Start(); err != nil {
			if serr := rec.Stop(); serr != nil {
				fyne.LogError("ui: stop after a failed start", serr)
			}
		}
	}
	if err != nil {
		w.showError(err)
		w.restartMonitor()
		return
	}
	w.mu.Lock()
	w.rec = rec
	w.rundown.next = 0
	w.mu.Unlock()
	w.cfg, w.last = cfg, rec
	w.state = "recording"
	w.ml.reset(rec)
	w.rd.refresh()
	w.ho.hide()
	w.sc.setEnabled(false)
	w.rs.setChannels(cfg.Channels)
	w.rs.setState("recording")
	go func() {
		<-rec.Done()
		w.post(func() { w.onEngineDone(rec) })
	}()
}

// onPause toggles pause and resume (Ctrl+P).
func (w *Window) onPause() {
	w.mu.Lock()
	rec := w.rec
	w.mu.Unlock()
	if rec == nil {
		return
	}
	var err error
	switch w.state {
	case "recording":
		if err = rec.Pause(); err == nil {
			w.state = "paused"
		}
	case "paused":
		if err = rec.Resume(); err == nil {
			w.state = "recording"
		}
	}
	if err != nil {
		w.showError(err)
	}
	w.rs.setState(w.state)
}

// onStopClicked asks before stopping; the Ctrl+Shift+S chord does not.
func (w *Window) onStopClicked() {
	if w.state != "recording" && w.state != "paused" {
		return
	}
	dialog.ShowConfirm("Stop recording?", "The session is finalised; you can still edit marker titles afterwards.",
		func(ok bool) {
			if ok {
				w.onStop()
			}
		}, w.win)
}

// onStop stops the recording and shows the hand-off panel.
func (w *Window) onStop() {
	w.mu.Lock()
	rec := w.rec
	w.rec = nil
	w.mu.Unlock()
	if rec == nil {
		return
	}
	err := rec.Stop()
	w.state = "stopped"
	w.rs.setState("stopped")
	w.sc.setEnabled(true)
	if err != nil {
		w.showError(err)
	}
	w.ho.show(rec.Dir())
	w.restartMonitor()
}

// onEngineDone runs when the engine stopped by itself (device lost, disk
// full) or after onStop.
func (w *Window) onEngineDone(rec Recording) {
	w.mu.Lock()
	mine := w.rec == rec
	if mine {
		w.rec = nil
	}
	w.mu.Unlock()
	if !mine {
		return
	}
	w.state = "stopped"
	w.rs.setState("stopped")
	w.sc.setEnabled(true)
	if err := rec.Err(); err != nil {
		w.showError(fmt.Errorf("recording stopped: %w (everything up to this moment is saved in %s)", err, rec.Dir()))
	}
	w.ho.show(rec.Dir())
	w.restartMonitor()
}

// act performs a marker action at once, on whichever goroutine pressed it
// (the global hotkey goroutine or the Fyne goroutine): the marker's position
// is taken by session.Mark at this instant; the UI is updated afterwards.
func (w *Window) act(a Action) (markers.Marker, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rec == nil {
		return markers.Marker{}, errNotRecording
	}
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
		kind = markers.Topic
		if seg, ok := w.rundown.Advance(); ok {
			kind, title = seg.Kind, seg.Title
		}
	default:
		return markers.Marker{}, fmt.Errorf("ui: unknown action %d", a)
	}
	return w.rec.Mark(kind, title)
}

// actUI runs an action from the window (button or key) on the Fyne goroutine.
func (w *Window) actUI(a Action) {
	m, err := w.act(a)
	w.afterAct(m, err)
}

// actGlobal runs an action from a global hotkey, off the Fyne goroutine.
func (w *Window) actGlobal(a Action) {
	m, err := w.act(a)
	w.post(func() { w.afterAct(m, err) })
}

func (w *Window) afterAct(m markers.Marker, err error) {
	if errors.Is(err, errNotRecording) {
		w.rs.flash("Press Record (Ctrl+R) first: markers need a running recording")
		return
	}
	if err != nil {
		w.showError(err)
		return
	}
	w.ml.add(m)
	w.rd.refresh()
}

func (w *Window) showError(err error) {
	fyne.LogError("podmark", err)
	dialog.ShowError(err, w.win)
}
