package ui

import "testing"

// TestWindowsVK: every chord the settings accept by default maps to the
// virtual key Windows documents for it.
func TestWindowsVK(t *testing.T) {
	tests := []struct {
		chord string
		vk    uint32
		mods  uint32
		ok    bool
	}{
		{"Ctrl+Alt+1", 0x31, winModControl | winModAlt | winModNoRepeat, true},
		{"Ctrl+Alt+5", 0x35, winModControl | winModAlt | winModNoRepeat, true},
		{"Ctrl+Alt+T", 'T', winModControl | winModAlt | winModNoRepeat, true},
		{"Super+F9", 0x78, winModWin | winModNoRepeat, true},
		{"Ctrl+Shift+F24", 0x87, winModControl | winModShift | winModNoRepeat, true},
		{"Ctrl+Alt+space", 0x20, winModControl | winModAlt | winModNoRepeat, true},
		{"Ctrl+Alt+Next", 0x22, winModControl | winModAlt | winModNoRepeat, true},
		{"Ctrl+Alt+minus", 0xBD, winModControl | winModAlt | winModNoRepeat, true},
		{"Ctrl+Alt+F25", 0, 0, false},
		{"Ctrl+Alt+Hyper_L", 0, 0, false},
	}
	for _, tt := range tests {
		c, err := ParseChord(tt.chord)
		if err != nil {
			t.Fatal(err)
		}
		vk, ok := windowsVK(c.Key)
		if ok != tt.ok || vk != tt.vk {
			t.Errorf("windowsVK(%q) = %#x, %v; want %#x, %v", c.Key, vk, ok, tt.vk, tt.ok)
		}
		if ok {
			if m := windowsMods(c.Mods); m != tt.mods {
				t.Errorf("windowsMods(%s) = %#x, want %#x", c, m, tt.mods)
			}
		}
	}
}
