package ui

import "strings"

// windowsVK returns the Windows virtual-key code for a Chord's key (an X
// keysym name, as ParseChord keeps it), for RegisterHotKey in
// hotkey_windows.go. It is not build-tagged so that its table is tested on
// every OS.
func windowsVK(key string) (uint32, bool) {
	if len(key) == 1 {
		switch c := key[0]; {
		case c >= '0' && c <= '9':
			return uint32(c), true // VK_0…VK_9 are the ASCII digits
		case c >= 'a' && c <= 'z':
			return uint32(c - 'a' + 'A'), true // VK_A…VK_Z are the capitals
		}
	}
	if len(key) >= 2 && key[0] == 'F' {
		n := 0
		for _, c := range key[1:] {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n >= 1 && n <= 24 {
			return 0x70 + uint32(n-1), true // VK_F1…VK_F24
		}
	}
	vk, ok := windowsVKNames[strings.ToLower(key)]
	return vk, ok
}

// windowsVKNames maps X keysym names (lower case) to virtual-key codes;
// the punctuation keys are those of a US layout (VK_OEM_*).
var windowsVKNames = map[string]uint32{
	"space": 0x20, "return": 0x0D, "tab": 0x09, "escape": 0x1B, "backspace": 0x08,
	"pause": 0x13, "insert": 0x2D, "delete": 0x2E, "home": 0x24, "end": 0x23,
	"prior": 0x21, "page_up": 0x21, "next": 0x22, "page_down": 0x22,
	"left": 0x25, "up": 0x26, "right": 0x27, "down": 0x28, "print": 0x2C,
	"kp_0": 0x60, "kp_1": 0x61, "kp_2": 0x62, "kp_3": 0x63, "kp_4": 0x64,
	"kp_5": 0x65, "kp_6": 0x66, "kp_7": 0x67, "kp_8": 0x68, "kp_9": 0x69,
	"kp_multiply": 0x6A, "kp_add": 0x6B, "kp_subtract": 0x6D, "kp_decimal": 0x6E, "kp_divide": 0x6F,
	"semicolon": 0xBA, "equal": 0xBB, "comma": 0xBC, "minus": 0xBD, "period": 0xBE,
	"slash": 0xBF, "grave": 0xC0, "bracketleft": 0xDB, "backslash": 0xDC,
	"bracketright": 0xDD, "apostrophe": 0xDE,
}

// Windows' hotkey modifiers (RegisterHotKey's fsModifiers).
const (
	winModAlt      = 0x0001
	winModControl  = 0x0002
	winModShift    = 0x0004
	winModWin      = 0x0008
	winModNoRepeat = 0x4000 // holding the chord fires once
)

// windowsMods returns RegisterHotKey's modifiers for m.
func windowsMods(m Mods) uint32 {
	x := uint32(winModNoRepeat)
	if m&ModCtrl != 0 {
		x |= winModControl
	}
	if m&ModAlt != 0 {
		x |= winModAlt
	}
	if m&ModShift != 0 {
		x |= winModShift
	}
	if m&ModSuper != 0 {
		x |= winModWin
	}
	return x
}
