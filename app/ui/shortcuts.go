package ui

import (
	"errors"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// Every keyboard binding of the window is registered here.
//
// In-window (the podmark window has the focus):
//   Ctrl+R record · Ctrl+P pause/resume · Ctrl+Shift+S stop (no question)
//   Ctrl+Z undo the last marker delete
//   T topic · S sponsor · E edit · M note · N next planned segment
//   (letters only while no text field is being edited)
// Global (any application has the focus, Linux/X11): configurable in
// Settings, default Ctrl+Alt+1..5 for topic, sponsor, edit, note, next.

var (
	scRecord = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierControl}
	scPause  = &desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierControl}
	scStop   = &desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}
	scUndo   = &desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierControl}
)

// markerKeys maps the in-window letter keys to actions.
var markerKeys = map[rune]Action{
	't': ActionTopic,
	's': ActionSponsor,
	'e': ActionEdit,
	'm': ActionNote,
	'n': ActionNext,
}

func registerShortcuts(w *Window) {
	c := w.win.Canvas()
	c.AddShortcut(scRecord, func(fyne.Shortcut) { w.onRecord() })
	c.AddShortcut(scPause, func(fyne.Shortcut) { w.onPause() })
	c.AddShortcut(scStop, func(fyne.Shortcut) { w.onStop() })
	c.AddShortcut(scUndo, func(fyne.Shortcut) { w.ml.onUndo() })
	// Fyne delivers typed runes to the canvas only when no widget has the
	// focus, which is exactly "no text field is being edited".
	c.SetOnTypedRune(func(r rune) {
		if c.Focused() != nil {
			return // belt and braces: a text field is being edited
		}
		if a, ok := markerKeys[unicode.ToLower(r)]; ok {
			w.actUI(a)
		}
	})
}

// forwardShortcut passes the window's transport shortcuts on to the canvas
// when a text field has the focus, so Ctrl+R/P/Shift+S work while typing.
func forwardShortcut(obj fyne.CanvasObject, s fyne.Shortcut) {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return
	}
	for _, own := range []*desktop.CustomShortcut{scRecord, scPause, scStop} {
		if cs.KeyName == own.KeyName && cs.Modifier == own.Modifier {
			if c := fyne.CurrentApp().Driver().CanvasForObject(obj); c != nil {
				if h, ok := c.(fyne.Shortcutable); ok {
					h.TypedShortcut(s)
				}
			}
			return
		}
	}
}

// hotkeyChords reads the configured global hotkeys; bad ones are reported.
func (w *Window) hotkeyChords() (map[Action]Chord, error) {
	chords := map[Action]Chord{}
	var errs []error
	for a := Action(0); a < numActions; a++ {
		hp := hotkeyPrefs[a]
		s := w.prefs.String(hp.key, hp.def)
		if s == "" {
			continue // disabled
		}
		c, err := ParseChord(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		chords[a] = c
	}
	return chords, errors.Join(errs...)
}

// grabHotkeys (re)grabs the global hotkeys from the preferences.
func (w *Window) grabHotkeys() {
	if w.hotkeys != nil {
		if err := w.hotkeys.Close(); err != nil {
			fyne.LogError("ui: release hotkeys", err)
		}
		w.hotkeys = nil
	}
	chords, perr := w.hotkeyChords()
	h, err := w.grab(chords, w.actGlobal)
	w.hotkeys = h
	w.hotkeyErr = errors.Join(perr, err)
	if h == nil {
		chords = nil
	}
	w.rs.showHotkeys(chords, w.hotkeyErr)
	if w.hotkeyErr != nil {
		fyne.LogError("ui: global hotkeys", w.hotkeyErr)
	}
}
