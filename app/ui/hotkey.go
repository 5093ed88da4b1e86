package ui

import (
	"errors"
	"fmt"
	"strings"
)

// ErrHotkeysUnsupported is returned where global hotkeys cannot be grabbed
// (not Linux/X11, or no X display); only in-window shortcuts work there.
var ErrHotkeysUnsupported = errors.New("ui: global hotkeys are not available on this system (only in-window shortcuts work)")

// Mods is a set of hotkey modifiers.
type Mods uint8

const (
	ModCtrl Mods = 1 << iota
	ModAlt
	ModShift
	ModSuper
)

// Chord is a parsed global hotkey such as "Ctrl+Alt+1".
type Chord struct {
	Mods Mods
	Key  string // X keysym name: "1", "a", "F9", "space"…
}

// ParseChord parses "Ctrl+Alt+1"-style text; at least one of Ctrl, Alt or
// Super is required so a plain letter typed into the call app is never stolen.
func ParseChord(s string) (Chord, error) {
	var c Chord
	parts := strings.Split(strings.TrimSpace(s), "+")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if i == len(parts)-1 {
			if p == "" {
				return Chord{}, fmt.Errorf("ui: hotkey %q: no key after the modifiers", s)
			}
			if len(p) == 1 {
				p = strings.ToLower(p)
			} else if n := strings.TrimLeft(p[1:], "0123456789"); n == "" && (p[0] == 'f' || p[0] == 'F') {
				p = "F" + p[1:] // function keys: X names them F1…F35
			}
			c.Key = p
			break
		}
		switch strings.ToLower(p) {
		case "ctrl", "control":
			c.Mods |= ModCtrl
		case "alt":
			c.Mods |= ModAlt
		case "shift":
			c.Mods |= ModShift
		case "super", "win", "meta":
			c.Mods |= ModSuper
		default:
			return Chord{}, fmt.Errorf("ui: hotkey %q: unknown modifier %q (use Ctrl, Alt, Shift, Super)", s, p)
		}
	}
	if c.Mods&(ModCtrl|ModAlt|ModSuper) == 0 {
		return Chord{}, fmt.Errorf("ui: hotkey %q: needs Ctrl, Alt or Super", s)
	}
	return c, nil
}

func (c Chord) String() string {
	var b strings.Builder
	for _, m := range []struct {
		m Mods
		n string
	}{{ModCtrl, "Ctrl"}, {ModAlt, "Alt"}, {ModShift, "Shift"}, {ModSuper, "Super"}} {
		if c.Mods&m.m != 0 {
			b.WriteString(m.n + "+")
		}
	}
	k := c.Key
	if len(k) == 1 {
		k = strings.ToUpper(k)
	}
	return b.String() + k
}

// Hotkeys is a running set of global hotkey grabs.
type Hotkeys interface {
	Close() error
}

// GrabHotkeys grabs chords system-wide; fire runs on the grabber's own
// goroutine at the instant of the key press (it must be quick and
// concurrent-safe). Chords that cannot be grabbed (taken by another
// program, unknown key) are returned as an error together with the grabs
// that worked; ErrHotkeysUnsupported where there is no X11.
func GrabHotkeys(chords map[Action]Chord, fire func(Action)) (Hotkeys, error) {
	return grabHotkeys(chords, fire)
}
