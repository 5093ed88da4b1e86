// Package ui is podmark's Fyne window: soundcheck, recording, live markers,
// rundown, marker list, hand-off and recovery. It is the only package that
// imports Fyne; it drives app/session directly (*session.Session is the
// recording, session.State its state) and never records audio itself.
package ui

import (
	"context"
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

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
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
	// TestInputs offers the engine's fake "ramp" input in the picker
	// (podmark --test-inputs or PODMARK_TEST_INPUTS=1): a test signal a
	// host must not pick by accident. A --device preset is honoured either
	// way.
	TestInputs bool
	// Room, Creds and RoomCA preset the room preferences (podmark --room,
	// --creds, --room-ca); UploadKbps, when UploadKbpsSet, the upload cap.
	Room, Creds, RoomCA string
	UploadKbps          int
	UploadKbpsSet       bool
	// Ready, when set, is called once the window is shown and ready to record.
	Ready func()
	// AtExit, when set, is called just before the window ends the process
	// (after the recording is finalised): podmark flushes its CPU profile.
	AtExit func()
}

// errNotRecording is returned by marker actions outside a recording.
var errNotRecording = errors.New("ui: not recording")

// Display rates: meters and clocks are read from the engine and redrawn
// meterHz times a second while the window has the focus, and backgroundHz
// times a second while another app (the call) has it. The engine's meter
// readings are the peaks since the last reading, so a peak still shows at
// the lower rate.
const (
	meterHz      = 30
	backgroundHz = 5
)

// Window is podmark's main window and the controller behind its screens.
type Window struct {
	app   fyne.App
	win   fyne.Window
	prefs prefs
	opts  Options

	mu      sync.Mutex // guards rec, monitor, rundown, polled, member and resumed (the hotkey and meter goroutines use them)
	rec     *session.Session
	member  *room.Membership // the last recording's room, kept after Stop for its upload
	resumed *room.Client     // the room a recovered recording's upload goes to (resumeUpload)
	monitor *session.Monitor
	rundown Rundown
	polled  polledConfig

	// post runs f on the Fyne goroutine: fyne.Do, or a queue in tests.
	post func(f func())
	// grab is GrabHotkeys; tests replace it so they never hold real chords.
	grab func(map[Action]Chord, func(Action)) (Hotkeys, error)

	hotkeys   Hotkeys
	hotkeyErr error

	// inputs, when set, delivers the device list read in the background
	// since launch (prefetchInputs); loadDevices takes it instead of
	// listing again. inputsHold keeps the audio host APIs initialized from
	// then until the monitor has opened its device.
	inputs     <-chan prefetchedInputs
	inputsHold func() error

	background atomic.Bool // another app has the focus: redraw at backgroundHz

	// shutdown runs once, from whichever of the window's close, the app's
	// stop or a SIGTERM comes first (the last may run off the Fyne
	// goroutine: see Run); closed is set when it has begun.
	shutdownOnce sync.Once
	closed       atomic.Bool

	marks markQueue // marker actions waiting for the journal (see act)

	// Fyne goroutine only.
	state session.State // "" before the first recording (soundcheck)
	last  *session.Session

	disp displayClock

	sc *soundcheckScreen
	rs *recordScreen
	ml *markerList
	rd *rundownScreen
	ho *handoffScreen
	rm *roomScreen

	watch        *room.Client       // the soundcheck's onlooker in the room
	roomGen      int                // bumped on every room change: late hooks of an older one are dropped
	uploadCancel context.CancelFunc // stops the last recording's upload
	roomActive   atomic.Bool        // the Room section is shown (its 1 Hz refresh runs)

	tabs         *container.AppTabs
	left         *fyne.Container // the left pane (see buildLeft)
	heading      *widget.Label
	lastSettings *settingsScreen // the settings dialog last opened (tests)
}

// polledConfig is what the poller measures free disk space for.
type polledConfig struct {
	root string
	cfg  session.Config
}

// Run opens the window with the real engine and blocks until it is closed.
// It returns 1, having said why on stderr, when no window can be opened
// (no display or no OpenGL: ErrNoOpenGL).
func Run(opts Options) int {
	a := app.NewWithID(AppID)
	app.SetMetadata(withFyneDo(a.Metadata()))
	if err := startGL(); err != nil {
		fmt.Fprintf(os.Stderr, "podmark: cannot open the window: %v\n"+
			"podmark: the window needs OpenGL 2.1 or later on a display; the commands (podmark help) work without one\n", err)
		return 1
	}
	keepFrameBuffers()
	// The audio host APIs are scanned (a few hundred ms: ALSA opens every
	// device, JACK connects) while the window is made and filled.
	inputs := prefetchInputs(opts.TestInputs)
	// The window is made and shown first, then filled: making it (the
	// OpenGL context, on this goroutine) and loading the fonts the screens
	// are measured with (warmFonts, on another) take about as long, and
	// they run side by side.
	fonts := warmFonts()
	w := newWindowFrame(a, opts)
	w.inputs = inputs
	// How the process ends, once the recording is finalised (shutdown).
	exit := sync.OnceFunc(func() {
		if opts.AtExit != nil {
			opts.AtExit()
		}
		os.Exit(0)
	})
	w.win.SetCloseIntercept(w.onClose)
	w.win.SetOnClosed(func() {
		w.shutdown()
		// Fyne ends the app after its last window and runs OnStopped
		// (below), which exits. Fyne 2.7.1 can lose that call when it
		// races its own queue's drain at the end, and then waits for it
		// for ever: the process would linger without a window.
		go func() {
			time.Sleep(exitGrace)
			exit()
		}()
	})
	// Behind the call app, meters and clocks are redrawn less often.
	a.Lifecycle().SetOnEnteredForeground(func() { w.setBackground(false) })
	a.Lifecycle().SetOnExitedForeground(func() { w.setBackground(true) })
	// SIGINT/SIGTERM (logout, kill) finalise a running recording first.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		ran := make(chan struct{})
		fyne.Do(func() {
			w.shutdown()
			close(ran)
			a.Quit()
		})
		select {
		case <-ran:
		case <-time.After(exitGrace):
			// Fyne catches SIGTERM as well and stops its event loop; when
			// it did so first, the call queued above never runs (nor,
			// when Fyne loses it, OnStopped): finalise from here.
			w.shutdown()
		}
		exit()
	}()
	// Every preference change is written when it is made; Fyne's extra
	// save at exit truncates the file while its own file watcher may still
	// read it, which logged "Preferences load error: EOF". Once the window
	// is gone and the recording finalised, the process ends here instead.
	a.Lifecycle().SetOnStopped(func() {
		// Fyne quits on SIGINT/SIGTERM by itself too; when it comes first,
		// the handler above never runs, so the recording is finalised here.
		w.shutdown()
		exit()
	})
	w.win.Show()
	<-fonts
	w.fill()
	w.start()
	if opts.Ready != nil {
		// Queued from another goroutine once the event loop runs, so it
		// comes after the window has been created and filled.
		a.Lifecycle().SetOnStarted(func() { go fyne.Do(opts.Ready) })
	}
	a.Run()
	// Fyne's event loop has ended. On SIGTERM Fyne quits by itself, and
	// when its quit wins the race, neither the call queued by the handler
	// above nor (when Fyne loses it) OnStopped runs, while the handler
	// still waits out exitGrace: returning now would end the process with
	// the recording unfinalised. shutdown waits for a caller already in it.
	w.shutdown()
	exit()
	return 0
}

// warmFonts loads, in the background, the fonts of the text styles the
// window uses (Fyne parses each style's fonts when its first text is
// measured); the channel is closed when they are loaded.
func warmFonts() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, st := range []fyne.TextStyle{{}, {Bold: true}, {Monospace: true}} {
			fyne.MeasureText("podmark 0:00:00", theme.TextSize(), st)
		}
	}()
	return done
}

// NewWindow builds the window on a; call start to begin metering and
// global hotkeys.
func NewWindow(a fyne.App, opts Options) *Window {
	w := newWindowFrame(a, opts)
	w.fill()
	return w
}

// newWindowFrame makes the window, empty, at its default size.
func newWindowFrame(a fyne.App, opts Options) *Window {
	w := &Window{app: a, opts: opts, prefs: prefs{a.Preferences()}, post: fyne.Do, grab: GrabHotkeys}
	w.win = a.NewWindow("podmark")
	w.win.Resize(defaultSize)
	return w
}

// fill builds the screens into the window made by newWindowFrame.
func (w *Window) fill() {
	w.sc = newSoundcheckScreen(w)
	w.rs = newRecordScreen(w)
	w.ml = newMarkerList(w)
	w.rd = newRundownScreen(w)
	w.ho = newHandoffScreen(w)
	w.rm = newRoomScreen(w)
	w.win.SetContent(w.buildUI())
	w.win.Resize(defaultSize)
	registerShortcuts(w)
}

// defaultSize is the window's size when it opens.
var defaultSize = fyne.NewSize(1200, 760)

func (w *Window) buildUI() fyne.CanvasObject {
	w.ho.tab = container.NewTabItemWithIcon("Hand-off", theme.UploadIcon(), container.NewVScroll(w.ho.buildUI()))
	tabs := container.NewAppTabs(
		container.NewTabItemWithIcon("Markers", theme.ListIcon(), w.ml.buildUI()),
		container.NewTabItemWithIcon("Rundown", theme.DocumentIcon(), w.rd.buildUI()),
	)
	w.tabs = tabs
	split := container.NewHSplit(container.NewVScroll(container.NewPadded(w.buildLeft())), tabs)
	split.Offset = 0.47
	return split
}

// buildLeft is the left pane, top to bottom: the soundcheck heading and
// form (folded into one summary line while recording), the disk and level
// warnings, then the recording screen. Every state change that shows or
// hides a part calls relayout, so the pane is laid out again at once.
func (w *Window) buildLeft() fyne.CanvasObject {
	settings := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), func() { w.showSettings() })
	settings.Importance = widget.LowImportance
	w.heading = widget.NewLabelWithStyle("Soundcheck", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.left = container.NewVBox(
		container.NewBorder(nil, nil, w.heading, settings),
		w.sc.buildUI(),
		widget.NewSeparator(),
		w.rs.buildUI(),
		w.rm.buildUI(),
	)
	return w.left
}

// relayout lays the left pane out again after parts were shown or hidden.
func (w *Window) relayout() {
	if w.left != nil {
		w.left.Refresh()
	}
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

// start begins soundcheck metering, global hotkeys, the display clock and the
// recovery check.
func (w *Window) start() {
	w.openInputs()
	w.grabHotkeys()
	w.startClock()
	w.checkRecovery()
	w.watchRoom()
}

// openInputs fills the input picker (from w.inputs when the list was
// read in the background) and starts the soundcheck meters.
func (w *Window) openInputs() {
	w.sc.loadDevices()
	w.restartMonitor()
	if w.inputsHold != nil {
		// The monitor holds its own device now (or failed to open it):
		// later lists see devices plugged in since.
		if err := w.inputsHold(); err != nil {
			fyne.LogError("ui: release the audio devices", err)
		}
		w.inputsHold = nil
	}
}

// onClose asks before closing the window over a running recording.
func (w *Window) onClose() {
	if w.uploadUnfinished() {
		dialog.ShowConfirm("Quit while uploading?", "The last recording is still uploading to the editor; quitting stops the upload.",
			func(ok bool) {
				if ok {
					w.win.Close()
				}
			}, w.win)
		return
	}
	if !running(w.state) {
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
	// Closing the window, the app's stop and a SIGTERM all call it; a
	// second caller waits for the first to finish.
	w.shutdownOnce.Do(w.stopAll)
}

// exitGrace is how long the process waits, after the recording is
// finalised, for Fyne to end it before it ends itself.
const exitGrace = 3 * time.Second

func (w *Window) stopAll() {
	w.closed.Store(true)
	w.stopClock()
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
		w.flushMarks()
		if err := rec.Stop(); err != nil {
			fyne.LogError("ui: stop recording on close", err)
		}
	}
	w.leaveRoom(true) // after the stop: the room hears the final state
	w.unwatchRoom()
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
	m, err := session.NewMonitor(cfg)
	if err != nil {
		w.sc.setMonitorError(err)
		return
	}
	w.sc.setMonitorError(nil)
	w.mu.Lock()
	w.monitor = m
	w.mu.Unlock()
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

// notePolled records the configuration the poller measures disk space for.
func (w *Window) notePolled() {
	p := polledConfig{root: w.recordingsRoot(), cfg: w.sc.config()}
	w.mu.Lock()
	w.polled = p
	w.mu.Unlock()
}

// onRecord starts a new session folder in the recordings folder (Ctrl+R).
func (w *Window) onRecord() {
	if running(w.state) {
		return
	}
	if w.uploadUnfinished() {
		dialog.ShowConfirm("The last recording is still uploading",
			"A new recording leaves the room with the last one, which stops its upload to the editor. Record anyway?",
			func(ok bool) {
				if ok {
					w.record()
				}
			}, w.win)
		return
	}
	w.record()
}

// record starts the new recording (onRecord, once confirmed).
func (w *Window) record() {
	root, cfg := w.recordingsRoot(), w.sc.config()
	if err := os.MkdirAll(root, 0o755); err != nil {
		w.showError(fmt.Errorf("ui: recordings folder %q: %w", root, err))
		return
	}
	w.sc.savePrefs()
	w.closeMonitor()
	cfg.Dir = session.DefaultDirName(root, cfg.Title, time.Now())
	rec, err := session.New(cfg)
	if err == nil {
		rec.SetHooks(session.Hooks{
			// The one way a marker reaches the list: journaled markers from
			// keys, buttons, hotkeys and the engine's glitches alike.
			OnMarker: func(m markers.Marker) { w.post(func() { w.onMarker(rec, m) }) },
			OnState: func(s session.State) {
				if s == session.StateFailed {
					w.post(func() { w.rs.setState(s) })
				}
			},
			OnError: func(err error) { w.post(func() { w.showError(err) }) },
		})
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
	w.last = rec
	w.state = session.StateRecording
	w.ml.reset(rec, cfg.Rate)
	w.rd.refresh()
	w.ho.hide()
	w.sc.setEnabled(false)
	w.rs.setChannels(cfg.Channels)
	w.rs.setState(w.state)
	w.joinRoom(rec)
	w.rm.setStopped(false)
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
	case session.StateRecording:
		if err = rec.Pause(); err == nil {
			w.state = session.StatePaused
		}
	case session.StatePaused:
		if err = rec.Resume(); err == nil {
			w.state = session.StateRecording
		}
	}
	if err != nil {
		w.showError(err)
	}
	w.rs.setState(w.state)
}

// onStopClicked asks before stopping; the Ctrl+Shift+S chord does not.
func (w *Window) onStopClicked() {
	if !running(w.state) {
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
	w.flushMarks()
	err := rec.Stop()
	w.afterStop(rec, err)
}

// onEngineDone runs when the engine stopped by itself (device lost, disk
// full) or after onStop.
func (w *Window) onEngineDone(rec *session.Session) {
	w.mu.Lock()
	mine := w.rec == rec
	if mine {
		w.rec = nil
	}
	w.mu.Unlock()
	if !mine {
		return
	}
	var err error
	if err = rec.Err(); err != nil {
		err = fmt.Errorf("recording stopped: %w (everything up to this moment is saved in %s)", err, rec.Dir())
	}
	w.afterStop(rec, err)
}

// afterStop shows a finished recording: stopped or failed, the form back,
// the hand-off tab, soundcheck meters again.
func (w *Window) afterStop(rec *session.Session, err error) {
	st := session.StateStopped
	if rec.Err() != nil {
		st = session.StateFailed
	}
	w.showFinished(rec.Dir(), st, err)
	w.restartMonitor()
}

// showFinished shows the recording in dir as finished in state st (stopped
// or failed), with err if any.
func (w *Window) showFinished(dir string, st session.State, err error) {
	w.state = st
	w.rs.setState(st)
	w.sc.setEnabled(true)
	if err != nil {
		w.showError(err)
	}
	w.ho.show(dir)
	w.rm.setStopped(true)
}

func (w *Window) showError(err error) {
	fyne.LogError("podmark", err)
	dialog.ShowError(err, w.win)
}
