package ui

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// recordScreen holds the transport (Record/Pause/Stop), the elapsed clock,
// per-track meters, dropped-frame count, current segment and marker buttons.
type recordScreen struct {
	w         *Window
	clock     *canvas.Text
	stateText *widget.Label
	record    *widget.Button
	pause     *widget.Button
	stop      *widget.Button
	meters    []*LevelMeter
	meterBox  *fyne.Container
	scale     *meterScale
	dropped   *widget.Label
	segment   *widget.Label
	segClock  *canvas.Text
	hint      *widget.Label
	hotkeys   *widget.Label // which global hotkeys work (or that none do)
	markBtns  [numActions]*widget.Button

	silence    []silence // per channel: the no-signal warning
	engineClip []bool    // the engine's latched clip flags last seen
	hintUntil  time.Time
}

func newRecordScreen(w *Window) *recordScreen { return &recordScreen{w: w} }

func (r *recordScreen) buildUI() fyne.CanvasObject {
	r.clock = canvas.NewText("00:00:00", theme.Color(theme.ColorNameForeground))
	r.clock.TextSize = 56
	r.clock.TextStyle = fyne.TextStyle{Monospace: true}
	r.stateText = widget.NewLabel("Soundcheck: not recording")
	r.record = widget.NewButtonWithIcon("Record", theme.MediaRecordIcon(), r.w.onRecord)
	r.record.Importance = widget.DangerImportance
	r.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), r.w.onPause)
	r.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), r.w.onStopClicked)
	big := layout.NewGridWrapLayout(fyne.NewSize(150, 56))
	// Square corners: the two large buttons are repainted with every meter
	// update, and a rounded one costs twice the shading (see squareCorners).
	transport := withSquareCorners(container.New(big, r.record, r.pause, r.stop))
	r.meterBox = container.NewVBox()
	r.scale = newMeterScale()
	r.dropped = widget.NewLabel("Dropped frames: 0 · glitches: 0")
	r.segment = widget.NewLabel("No segment yet")
	r.segment.SizeName = theme.SizeNameSubHeadingText
	r.segment.TextStyle.Bold = true
	r.segment.Truncation = fyne.TextTruncateEllipsis // a long title must not widen the window
	r.segClock = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.segClock.TextSize = 20
	r.segClock.TextStyle.Monospace = true
	r.hint = widget.NewLabel("")
	r.hint.Importance = widget.WarningImportance
	r.hotkeys = widget.NewLabel("")
	r.hotkeys.Wrapping = fyne.TextWrapWord
	r.hotkeys.Importance = widget.LowImportance
	keys := []string{ActionTopic: "T", ActionSponsor: "S", ActionEdit: "E", ActionNote: "M", ActionNext: "N"}
	icons := []fyne.Resource{ActionTopic: kindIcon(markers.Topic), ActionSponsor: kindIcon(markers.Sponsor),
		ActionEdit: kindIcon(markers.Edit), ActionNote: kindIcon(markers.Note), ActionNext: theme.MediaSkipNextIcon()}
	var btns []fyne.CanvasObject
	for a := Action(0); a < numActions; a++ {
		a := a
		b := widget.NewButtonWithIcon(fmt.Sprintf("%s (%s)", a, keys[a]), icons[a], func() { r.w.actUI(a) })
		// Flat, toolbar-style: their rounded backgrounds were the largest
		// shaded area of each frame while recording (about a fifth of the
		// window's CPU on a software renderer); the hover still shows them.
		b.Importance = widget.LowImportance
		r.markBtns[a] = b
		btns = append(btns, b)
	}
	r.setState("")
	status := container.NewVBox(r.stateText, r.dropped)
	return container.NewVBox(
		container.NewBorder(nil, nil, r.clock, nil, container.NewCenter(status)),
		transport,
		r.meterBox,
		r.scale,
		container.NewBorder(nil, nil, nil, r.segClock, r.segment),
		container.NewGridWithColumns(3, btns...),
		r.hotkeys,
		r.hint,
	)
}

// setChannels rebuilds the meters for n channels.
func (r *recordScreen) setChannels(n int) {
	if len(r.meters) == n {
		return
	}
	r.meters = r.meters[:0]
	r.meterBox.RemoveAll()
	r.silence = make([]silence, n)
	r.engineClip = make([]bool, n)
	for i := 0; i < n; i++ {
		m := NewLevelMeter(fmt.Sprint(i+1), nil)
		r.meters = append(r.meters, m)
		r.meterBox.Add(m)
	}
	r.meterBox.Refresh()
	r.w.relayout() // the pane grew or shrank
}

// Level warnings. In the soundcheck the host speaks to set the gain, so
// 3 s with nothing above -50 dBFS is "no signal". In a show a host listens
// to the other for a minute at a time, and a warning every time would be
// one they learn to ignore: there it waits for 30 s of that, unless the
// input is below -80 dBFS (under a live microphone's room noise at a
// working gain: muted, unplugged, or the gain at zero), which warns after
// 3 s as in the soundcheck.
const (
	noSignalLevel  = 0.00316 // -50 dBFS
	deadLevel      = 0.0001  // -80 dBFS
	noSignalAfter  = 3 * time.Second
	listeningAfter = 30 * time.Second
)

// silence follows one channel's meter for the no-signal warning.
type silence struct{ quiet, dead time.Time } // since when below each level

// update takes a meter reading. It returns how long the channel has been
// below -50 dBFS when that calls for the warning (see noSignalAfter), else
// 0; show is whether a recording runs (recording or paused).
func (s *silence) update(peak float32, now time.Time, show bool) time.Duration {
	if peak >= noSignalLevel || s.quiet.IsZero() {
		s.quiet = now
	}
	if peak >= deadLevel || s.dead.IsZero() {
		s.dead = now
	}
	quiet := now.Sub(s.quiet)
	switch {
	case quiet > noSignalAfter && !show,
		now.Sub(s.dead) > noSignalAfter,
		quiet > listeningAfter:
		return quiet
	}
	return 0
}

// showLevels updates the meters and the level warnings; show is whether a
// recording runs (else the soundcheck's monitor is metered).
func (r *recordScreen) showLevels(lv []audio.Level, show bool) {
	if len(lv) != len(r.meters) {
		r.setChannels(len(lv))
	}
	now := time.Now()
	var silent, clipped []int
	var silentFor time.Duration
	for i, l := range lv {
		// Latch on a full-scale peak or when the engine's own latch rises;
		// a click clears the window's latch even if the engine keeps its own.
		clip := l.Peak >= 0.999 || l.Clipped && !r.engineClip[i]
		r.engineClip[i] = l.Clipped
		r.meters[i].SetLevel(l.Peak, l.RMS, clip)
		if r.meters[i].Clipped() {
			clipped = append(clipped, i+1)
		}
		if d := r.silence[i].update(l.Peak, now, show); d > 0 {
			silent = append(silent, i+1)
			silentFor = max(silentFor, d)
		}
	}
	msg := noSignalText(silent, silentFor, show)
	if len(clipped) > 0 {
		if msg != "" {
			msg += "\n"
		}
		msg += fmt.Sprintf("⚠ Clipping on channel %v: turn the gain down (click the meter to clear)", clipped)
	}
	r.w.sc.setLevelWarning(msg)
	if !r.hintUntil.IsZero() && now.After(r.hintUntil) {
		r.hint.SetText("")
		r.hintUntil = time.Time{}
	}
}

// noSignalText is the no-signal warning for the silent channels (none:
// ""). In a show it says for how long: a host who has been listening
// knows why, one who has been talking knows something is wrong.
func noSignalText(silent []int, d time.Duration, show bool) string {
	switch {
	case len(silent) == 0:
		return ""
	case !show:
		return fmt.Sprintf("⚠ No signal on channel %v: check the mic and its gain", silent)
	}
	s := int(d / time.Second)
	long := fmt.Sprintf("%d s", s)
	if s >= 60 {
		long = fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	return fmt.Sprintf("⚠ No signal on channel %v for %s: is the mic muted or unplugged?", silent, long)
}

// showStatus updates clock, meters, counters and the current segment.
func (r *recordScreen) showStatus(st session.Status) {
	rate := r.w.ml.rate
	r.showLevels(st.Levels, true)
	r.setClock(st.Elapsed)
	setLabel(r.dropped, fmt.Sprintf("Dropped frames: %d · glitches: %d", st.Dropped, st.Glitches))
	r.showSegmentTitle()
	if cur, ok := r.w.ml.currentSegment(); ok && rate > 0 {
		r.setText(r.segClock, fmtClock(time.Duration(float64(st.Position-cur.Sample)/float64(rate)*float64(time.Second))))
	}
}

// showSegmentTitle shows the current segment (the latest topic or sponsor).
func (r *recordScreen) showSegmentTitle() {
	cur, ok := r.w.ml.currentSegment()
	switch {
	case !ok:
		setLabel(r.segment, "No segment yet")
		r.setText(r.segClock, "")
	case cur.Title == "":
		setLabel(r.segment, "Untitled "+string(cur.Kind))
	default:
		setLabel(r.segment, cur.Title)
	}
}

func (r *recordScreen) setText(t *canvas.Text, s string) {
	if t.Text != s {
		t.Text = s
		t.Refresh()
	}
}

func (r *recordScreen) setClock(d time.Duration) { r.setText(r.clock, fmtClock(d)) }

// fmtClock formats d as H:MM:SS (HH:MM:SS).
func fmtClock(d time.Duration) string {
	return markers.Clock(max(d, 0), markers.ClockHMS)
}

// setState shows the engine state and enables the right buttons.
func (r *recordScreen) setState(s session.State) {
	running := running(s)
	switch s {
	case session.StateRecording:
		r.stateText.SetText("● Recording")
		r.clock.Color = color.NRGBA{R: 0xe0, G: 0x30, B: 0x30, A: 0xff}
		r.pause.SetText("Pause")
		r.pause.SetIcon(theme.MediaPauseIcon())
	case session.StatePaused:
		r.stateText.SetText("❚❚ Paused (Ctrl+P resumes)")
		r.clock.Color = color.NRGBA{R: 0xf0, G: 0xb4, B: 0x29, A: 0xff}
		r.pause.SetText("Resume")
		r.pause.SetIcon(theme.MediaPlayIcon())
	case session.StateStopped:
		r.stateText.SetText("■ Stopped: see the Hand-off tab")
		r.clock.Color = theme.Color(theme.ColorNameForeground)
	case session.StateFailed:
		r.stateText.SetText("✖ Recording failed")
		r.clock.Color = theme.Color(theme.ColorNameError)
	default:
		r.stateText.SetText("Soundcheck: not recording")
		r.clock.Color = theme.Color(theme.ColorNameForeground)
	}
	r.clock.Refresh()
	enable(r.record, !running)
	enable(r.pause, running)
	enable(r.stop, running)
	// The transport shows only what applies: Record, or Pause and Stop. A
	// disabled button still costs its shaded background on every frame,
	// and Fyne repaints the whole window 30 times a second while the
	// meters move.
	show(r.record, !running)
	show(r.pause, running)
	show(r.stop, running)
	for _, b := range r.markBtns {
		enable(b, running)
	}
}

func show(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// showHotkeys says which global hotkeys work while another app has the
// focus, or plainly that only the in-window keys do.
func (r *recordScreen) showHotkeys(chords map[Action]Chord, err error) {
	if errors.Is(err, ErrHotkeysUnsupported) || len(chords) == 0 {
		r.hotkeys.SetText("No global hotkeys here: only the buttons and the in-window keys T, S, E, M, N work (with the podmark window focused).")
		return
	}
	r.hotkeys.SetText(hotkeysText(chords, err))
}

// hotkeysText is the line that lists the global hotkeys: the modifiers
// every chord shares said once ("From any app: Ctrl+Alt + 1 topic · 2
// sponsor …"), so it fits one line at the default size (less to read and
// to draw while recording).
func hotkeysText(chords map[Action]Chord, err error) string {
	same := true
	var mods Mods
	first := true
	for _, c := range chords {
		if first {
			mods, first = c.Mods, false
		} else if c.Mods != mods {
			same = false
		}
	}
	var parts []string
	for a := Action(0); a < numActions; a++ {
		if c, ok := chords[a]; ok {
			k := c.String()
			if same {
				k = Chord{Key: c.Key}.String()
			}
			parts = append(parts, k+" "+strings.ToLower(a.String()))
		}
	}
	text := "From any app: " + strings.Join(parts, " · ")
	if same && mods != 0 {
		held := strings.TrimSuffix(Chord{Mods: mods, Key: "x"}.String(), "+X")
		text = "From any app: " + held + " + " + strings.Join(parts, " · ")
	}
	if err != nil {
		text += " (some could not be set up: see Settings)"
	}
	return text
}

// flash shows a short hint under the buttons for a few seconds.
func (r *recordScreen) flash(msg string) {
	r.hint.SetText(msg)
	r.hintUntil = time.Now().Add(4 * time.Second)
}

// setLabel changes l only if the text differs: every refresh costs a
// repaint of the whole window.
func setLabel(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}

func enable(d fyne.Disableable, on bool) {
	if on {
		d.Enable()
	} else {
		d.Disable()
	}
}
