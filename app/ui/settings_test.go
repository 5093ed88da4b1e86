package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestSettingsSave edits preferences through the settings dialog: typed
// keys are stored, hotkeys are normalised, a bad chord is refused and
// leaves the old one.
func TestSettingsSave(t *testing.T) {
	w, _ := newTestWindow(t, Options{Device: "ramp", Channels: 1})
	w.showSettings()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no settings dialog")
	}
	// The dialog's form widgets are found through the screen built for it.
	s := w.lastSettings
	s.dir.SetText(t.TempDir())
	s.host.SetText("carol")
	s.bits.SetSelected("16")
	s.hotkeys[ActionTopic].SetText("ctrl+alt+f9")
	s.hotkeys[ActionNote].SetText("Shift+x") // no Ctrl/Alt/Super: refused
	s.hotkeys[ActionEdit].SetText("")        // switched off
	save := findButton(top, "Save")
	if save == nil {
		t.Fatal("no Save button")
	}
	test.Tap(save)
	p := w.prefs
	if got := p.String(prefHost, ""); got != "carol" {
		t.Errorf("host = %q", got)
	}
	if got := p.String(prefBits, ""); got != "16" {
		t.Errorf("bits = %q", got)
	}
	if got := p.String(prefRecordingsDir, ""); got != s.dir.Text || w.recordingsRoot() != s.dir.Text {
		t.Errorf("recordings folder = %q / %q, want %q", got, w.recordingsRoot(), s.dir.Text)
	}
	if got := p.String(prefHotkeyTopic, ""); got != "Ctrl+Alt+F9" {
		t.Errorf("topic hotkey = %q", got)
	}
	if got := p.String(prefHotkeyNote, "unset"); got != "unset" {
		t.Errorf("a bad chord was stored: %q", got)
	}
	if got := p.String(prefHotkeyEdit, "unset"); got != "" {
		t.Errorf("edit hotkey = %q, want switched off", got)
	}
	chords, err := w.hotkeyChords()
	if err != nil {
		t.Fatal(err)
	}
	if _, on := chords[ActionEdit]; on || chords[ActionTopic].String() != "Ctrl+Alt+F9" || chords[ActionNote].String() != "Ctrl+Alt+4" {
		t.Errorf("chords after save: %v", chords)
	}
	if w.sc.host.Text != "carol" {
		t.Errorf("soundcheck host = %q", w.sc.host.Text)
	}
}
