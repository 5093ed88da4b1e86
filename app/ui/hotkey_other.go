//go:build !(linux && cgo)

package ui

func grabHotkeys(map[Action]Chord, func(Action)) (Hotkeys, error) {
	return nil, ErrHotkeysUnsupported
}
