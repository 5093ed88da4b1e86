package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// soundcheckScreen holds the pre-recording form: episode title, host,
// device/channels/rate pickers and the at-a-glance warnings.
type soundcheckScreen struct {
	w        *Window
	title    *widget.Entry
	host     *widget.Entry
	device   *widget.Select
	channels *widget.Select
	rate     *widget.Select
	warnings *widget.Label
	disk     *widget.Label
	form     *widget.Form
	summary  *widget.Label // replaces the form while recording

	devices  []inputChoice
	monErr   error
	free     time.Duration
	freeErr  error
	levelMsg string // no-signal / clipping text from the meters
}

var rateChoices = []string{"48000", "44100"}

func newSoundcheckScreen(w *Window) *soundcheckScreen {
	return &soundcheckScreen{w: w}
}

func (s *soundcheckScreen) buildUI() fyne.CanvasObject {
	s.title = widget.NewEntry()
	s.title.SetPlaceHolder("Episode title")
	s.host = widget.NewEntry()
	s.host.SetPlaceHolder("Your name (names the track files)")
	host := s.w.opts.Host
	if host == "" {
		host = s.w.prefs.String(prefHost, "")
	}
	if host == "" {
		host = session.DefaultHost()
	}
	s.host.SetText(host)
	s.device = widget.NewSelect(nil, func(string) { s.onDeviceChanged() })
	s.channels = widget.NewSelect([]string{"1", "2"}, func(string) { s.onFormatChanged() })
	s.rate = widget.NewSelect(rateChoices, func(string) { s.onFormatChanged() })
	ch := s.w.opts.Channels
	if ch == 0 {
		ch = s.w.prefs.Int(prefChannels, 1)
	}
	s.channels.Selected = strconv.Itoa(ch)
	rate := s.w.opts.Rate
	if rate == 0 {
		rate = s.w.prefs.Int(prefRate, 48000)
	}
	s.rate.Selected = strconv.Itoa(rate)
	s.warnings = widget.NewLabel("")
	s.warnings.Importance = widget.WarningImportance
	s.warnings.Wrapping = fyne.TextWrapWord
	s.warnings.Hide() // until there is something to say
	s.disk = widget.NewLabel("")
	form := widget.NewForm(
		widget.NewFormItem("Episode", s.title),
		widget.NewFormItem("Host", s.host),
		widget.NewFormItem("Input", s.device),
		widget.NewFormItem("Channels", container.NewGridWithColumns(2, s.channels,
			container.NewBorder(nil, nil, widget.NewLabel("Rate (Hz)"), nil, s.rate))),
	)
	s.form = form
	s.summary = widget.NewLabel("")
	s.summary.Truncation = fyne.TextTruncateEllipsis // a long title must not widen the window
	s.summary.Hide()
	s.disk.Truncation = fyne.TextTruncateEllipsis // a long error must not widen the window
	return container.NewVBox(form, s.summary, s.disk, s.warnings)
}

// loadDevices fills the device picker from the engine's device list.
func (s *soundcheckScreen) loadDevices() {
	var devs []inputChoice
	var err error
	if ch := s.w.inputs; ch != nil {
		s.w.inputs = nil
		p := <-ch
		devs, err, s.w.inputsHold = p.devs, p.err, p.release
	} else {
		devs, err = listInputs(s.w.opts.TestInputs)
	}
	if err != nil {
		// Keep going: the preset device (or the default) may still open,
		// and the monitor will say so if it does not.
		s.monErr = fmt.Errorf("cannot list input devices: %w", err)
		s.updateWarnings()
	}
	s.devices = devs
	want := s.w.opts.Device
	if want == "" {
		want = s.w.prefs.String(prefDevice, "")
	}
	opts := []string{"Default input"}
	sel := opts[0]
	for _, d := range devs {
		opts = append(opts, d.Label)
		if want != "" && (want == d.Spec || want == d.Label) {
			sel = d.Label
		}
	}
	if want != "" && sel == opts[0] {
		// Not listed (e.g. a test device): keep it selectable as typed.
		sel = want
		opts = append(opts, want)
	}
	s.device.Options = opts
	s.device.Selected = sel
	s.device.Refresh()
	s.updateChannelChoices()
}

// deviceSpec is the Config.Device for the picked entry.
func (s *soundcheckScreen) deviceSpec() string {
	return s.specForLabel(s.device.Selected)
}

func (s *soundcheckScreen) selectedDevice() (inputChoice, bool) {
	for _, d := range s.devices {
		if d.Label == s.device.Selected {
			return d, true
		}
	}
	return inputChoice{}, false
}

func (s *soundcheckScreen) updateChannelChoices() {
	max := 2
	if d, ok := s.selectedDevice(); ok && d.Channels > 0 {
		max = min(d.Channels, 8)
	}
	var opts []string
	for i := 1; i <= max; i++ {
		opts = append(opts, strconv.Itoa(i))
	}
	if n, _ := strconv.Atoi(s.channels.Selected); n > max {
		s.channels.Selected = strconv.Itoa(max)
	}
	s.channels.Options = opts
	s.channels.Refresh()
}

func (s *soundcheckScreen) onDeviceChanged() {
	if running(s.w.state) {
		return
	}
	s.updateChannelChoices()
	s.w.restartMonitor()
}

func (s *soundcheckScreen) onFormatChanged() {
	s.updateWarnings()
	if running(s.w.state) || s.device.Options == nil {
		return
	}
	s.w.restartMonitor()
}

// config is the recording configuration the form describes (Dir is left
// for onRecord to choose in the recordings folder).
func (s *soundcheckScreen) config() session.Config {
	ch, _ := strconv.Atoi(s.channels.Selected)
	rate, _ := strconv.Atoi(s.rate.Selected)
	f, err := session.ParseBits(s.w.prefs.String(prefBits, "24"))
	if err != nil {
		f = audio.Int24 // Settings offers only valid choices
	}
	return session.Config{
		Title:    strings.TrimSpace(s.title.Text),
		Host:     strings.TrimSpace(s.host.Text),
		Device:   s.deviceSpec(),
		Channels: max(ch, 1),
		Rate:     audio.SampleRate(rate),
		Format:   f,
	}
}

// savePrefs remembers the host and device choices for next time; values
// preset by command-line flags are for this run only and are not saved.
func (s *soundcheckScreen) savePrefs() {
	c, o := s.config(), s.w.opts
	if c.Host != "" && o.Host == "" {
		s.w.prefs.SetString(prefHost, c.Host)
	}
	if o.Device == "" {
		s.w.prefs.SetString(prefDevice, c.Device)
	}
	if o.Channels == 0 {
		s.w.prefs.SetInt(prefChannels, c.Channels)
	}
	if o.Rate == 0 {
		s.w.prefs.SetInt(prefRate, int(c.Rate))
	}
}

// setEnabled unlocks the form (on) or locks it for a recording. While
// recording, the form is folded into one summary line: the pickers cannot
// change then, and Fyne repaints the whole window on every meter refresh,
// so on a software renderer the form's entries and pickers cost about a
// quarter of the window's CPU while recording (26 % vs 19 % of a core).
// The disk space and level warnings stay visible.
func (s *soundcheckScreen) setEnabled(on bool) {
	if on {
		s.summary.Hide()
		s.form.Show()
		s.w.heading.SetText("Soundcheck")
	} else {
		s.summary.SetText(s.summaryText())
		s.form.Hide()
		s.summary.Show()
		s.w.heading.SetText("This recording")
	}
	defer s.w.relayout()
	for _, d := range []fyne.Disableable{s.device, s.channels, s.rate} {
		if on {
			d.Enable()
		} else {
			d.Disable()
		}
	}
}

func (s *soundcheckScreen) setMonitorError(err error) {
	s.monErr = err
	s.updateWarnings()
}

func (s *soundcheckScreen) setFree(d time.Duration, err error) {
	s.free, s.freeErr = d, err
	switch {
	case err != nil:
		setLabel(s.disk, "Disk: "+err.Error())
	default:
		setLabel(s.disk, fmt.Sprintf("Disk: %.1f hours of recording left", d.Hours()))
	}
	s.updateWarnings()
}

func (s *soundcheckScreen) setLevelWarning(msg string) {
	if msg == s.levelMsg {
		return
	}
	s.levelMsg = msg
	s.updateWarnings()
}

// summaryText is the one-line form of the soundcheck settings shown while
// recording.
func (s *soundcheckScreen) summaryText() string {
	c := s.config()
	title := c.Title
	if title == "" {
		title = "Untitled episode"
	}
	dev := s.device.Selected
	if dev == "" {
		dev = "Default input"
	}
	parts := []string{title}
	if c.Host != "" {
		parts = append(parts, c.Host)
	}
	parts = append(parts, fmt.Sprintf("%s · %d ch · %d Hz", dev, c.Channels, c.Rate))
	return strings.Join(parts, " · ")
}

// updateWarnings shows what a host must fix before talking, in plain words.
func (s *soundcheckScreen) updateWarnings() {
	var ws []string
	if s.monErr != nil {
		ws = append(ws, "⚠ Input: "+s.monErr.Error())
	}
	if s.levelMsg != "" {
		ws = append(ws, s.levelMsg)
	}
	if r, _ := strconv.Atoi(s.rate.Selected); r != 0 && r != 48000 {
		ws = append(ws, fmt.Sprintf("⚠ Rate is %.1f kHz; 48 kHz is what editors expect", float64(r)/1000))
	}
	if s.freeErr == nil && s.free > 0 && s.free < 30*time.Minute {
		ws = append(ws, fmt.Sprintf("⚠ Only %d minutes of disk space left", int(s.free.Minutes())))
	}
	if text := strings.Join(ws, "\n"); text != s.warnings.Text {
		s.warnings.SetText(text)
		s.warnings.Hidden = text == "" // an empty label still takes a row
		s.w.relayout()
	}
}

// specForLabel is the device spec for a picker label.
func (s *soundcheckScreen) specForLabel(label string) string {
	for _, d := range s.devices {
		if d.Label == label {
			return d.Spec
		}
	}
	if label == "Default input" {
		return ""
	}
	return label
}
