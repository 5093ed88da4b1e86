package ui

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// settingsScreen edits the preferences: recordings folder, host name,
// default device, rate and bit depth, and the global hotkeys. The theme
// follows the system (Fyne's default), so there is no setting for it.
type settingsScreen struct {
	w       *Window
	dir     *widget.Entry
	host    *widget.Entry
	device  *widget.Select
	rate    *widget.Select
	bits    *widget.Select
	hotkeys [numActions]*widget.Entry
	status  *widget.Label
	room    roomForm
}

func (w *Window) showSettings() {
	s := &settingsScreen{w: w}
	w.lastSettings = s
	d := dialog.NewCustomConfirm("Settings", "Save", "Cancel", s.buildUI(), func(ok bool) {
		if ok {
			s.onSave()
		}
	}, w.win)
	d.Resize(fyne.NewSize(560, 600))
	d.Show()
}

func (s *settingsScreen) buildUI() fyne.CanvasObject {
	w := s.w
	s.dir = widget.NewEntry()
	s.dir.SetText(w.recordingsRoot())
	browse := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				s.dir.SetText(u.Path())
			}
		}, w.win)
	})
	s.host = widget.NewEntry()
	s.host.SetText(w.prefs.String(prefHost, ""))
	s.device = widget.NewSelect(w.sc.device.Options, nil)
	s.device.SetSelected(w.sc.device.Selected)
	s.rate = widget.NewSelect(rateChoices, nil)
	s.rate.SetSelected(fmt.Sprint(w.prefs.Int(prefRate, 48000)))
	s.bits = widget.NewSelect([]string{"16", "24", "32f"}, nil)
	s.bits.SetSelected(w.prefs.String(prefBits, "24"))
	form := widget.NewForm(
		widget.NewFormItem("Recordings folder", container.NewBorder(nil, nil, nil, browse, s.dir)),
		widget.NewFormItem("Host name", s.host),
		widget.NewFormItem("Default input", s.device),
		widget.NewFormItem("Rate (Hz)", s.rate),
		widget.NewFormItem("Bit depth", s.bits),
	)
	hk := widget.NewForm()
	for a := Action(0); a < numActions; a++ {
		e := widget.NewEntry()
		e.SetText(w.prefs.String(hotkeyPrefs[a].key, hotkeyPrefs[a].def))
		e.SetPlaceHolder("e.g. " + hotkeyPrefs[a].def + " (empty: off)")
		s.hotkeys[a] = e
		hk.Append(hotkeyPrefs[a].name, e)
	}
	s.status = widget.NewLabel(hotkeyStatus(w.hotkeyErr))
	s.status.Wrapping = fyne.TextWrapWord
	theme := widget.NewLabel("The theme follows the system's light/dark setting.")
	return container.NewVScroll(container.NewVBox(form,
		widget.NewLabelWithStyle("Show room (both hosts and the editor in one live show)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.room.buildUI(w),
		widget.NewLabelWithStyle("Global hotkeys (work while another app has the focus)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		hk, s.status, theme))
}

func hotkeyStatus(err error) string {
	switch {
	case err == nil:
		return "Global hotkeys are active."
	case errors.Is(err, ErrHotkeysUnsupported):
		return "Global hotkeys are not available here: only the in-window keys (T, S, E, M, N) work."
	default:
		return "Some hotkeys could not be set up: " + err.Error()
	}
}

func (s *settingsScreen) onSave() {
	w := s.w
	var errs []error
	for a := Action(0); a < numActions; a++ {
		t := s.hotkeys[a].Text
		if t != "" {
			c, err := ParseChord(t)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t = c.String()
		}
		w.prefs.SetString(hotkeyPrefs[a].key, t)
	}
	w.prefs.SetString(prefRecordingsDir, s.dir.Text)
	if w.opts.Dir != "" && s.dir.Text != w.opts.Dir {
		w.opts.Dir = s.dir.Text // the preference now wins over the launch flag
	}
	w.prefs.SetString(prefHost, s.host.Text)
	if s.host.Text != "" && !running(w.state) {
		w.sc.host.SetText(s.host.Text)
	}
	w.prefs.SetString(prefDevice, w.sc.specForLabel(s.device.Selected))
	var rate int
	fmt.Sscan(s.rate.Selected, &rate)
	w.prefs.SetInt(prefRate, rate)
	w.prefs.SetString(prefBits, s.bits.Selected)
	w.grabHotkeys()
	errs = append(errs, s.room.save(w, s.host.Text))
	if err := errors.Join(errs...); err != nil {
		w.showError(err)
	}
}
