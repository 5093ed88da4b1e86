//go:build !(linux && cgo) && !windows

// Neither X11 (hotkey_x11.go) nor RegisterHotKey (hotkey_windows.go).

package ui

func grabHotkeys(map[Action]Chord, func(Action)) (Hotkeys, error) {
	return nil, ErrHotkeysUnsupported
}
