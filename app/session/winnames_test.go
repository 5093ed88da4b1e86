package session

import (
	"strings"
	"testing"
	"time"
)

// TestWindowsSafeName: the rules run on every OS, since a session folder
// made on Linux may be opened on Windows.
func TestWindowsSafeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"show", "show"},
		{`a<b>c:d"e/f\g|h?i*j`, "a-b-c-d-e-f-g-h-i-j"},
		{"tab\there", "tab-here"},
		{"ends with dots...", "ends with dots"},
		{"ends with space ", "ends with space"},
		{"mixed. . .", "mixed"},
		{"...", "fb"},
		{"", "fb"},
		{"CON", "CON_"},
		{"con", "con_"},
		{"Nul.txt", "Nul_.txt"},
		{"aux.tar.gz", "aux_.tar.gz"},
		{"prn ", "prn_"},
		{"com1", "com1_"},
		{"LPT9", "LPT9_"},
		{"com¹", "com¹_"},
		{"conin$", "conin$_"},
		{"CONOUT$", "CONOUT$_"},
		{"com0", "com0"}, // not reserved
		{"console", "console"},
		{"con-1.wav", "con-1.wav"},
		{"lpt10", "lpt10"},
		{"épisode 12", "épisode 12"},
	}
	for _, tt := range tests {
		if got := WindowsSafeName(tt.in, "fb"); got != tt.want {
			t.Errorf("WindowsSafeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSessionNamesWindowsSafe: titles and host names that would make a name
// Windows refuses give session folders and track files it accepts.
func TestSessionNamesWindowsSafe(t *testing.T) {
	at := time.Date(2026, 12, 2, 17, 4, 0, 0, time.Local)
	tests := []struct{ title, wantBase string }{
		{"CON", "2026-12-02_1704-con_"},
		{"nul", "2026-12-02_1704-nul_"},
		{`What? "Why": <us>|them*`, "2026-12-02_1704-what-why-us-them"},
		{"Episode 12...", "2026-12-02_1704-episode-12"},
		{"  ", "2026-12-02_1704"},
	}
	root := t.TempDir()
	for _, tt := range tests {
		got := DefaultDirName(root, tt.title, at)
		if base := got[len(root)+1:]; base != tt.wantBase {
			t.Errorf("DefaultDirName(%q) = %q, want %q", tt.title, base, tt.wantBase)
		}
	}
	for _, host := range []string{"aux", "COM3", "lpt1"} {
		f := TrackFile(host, 1)
		name := f[strings.LastIndexByte(f, '/')+1:]
		if stem, _, _ := strings.Cut(name, "."); windowsReserved[strings.ToLower(stem)] {
			t.Errorf("TrackFile(%q) = %q: a reserved name", host, f)
		}
	}
	if got := SanitizeName("COM3", "host"); got != "com3_" {
		t.Errorf("SanitizeName(COM3) = %q, want com3_", got)
	}
}
