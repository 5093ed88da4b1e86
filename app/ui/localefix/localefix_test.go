package localefix

import (
	"os"
	"testing"
)

func TestFix(t *testing.T) {
	tests := []struct {
		lcAll, lcMsg, lang string
		wantVar, want      string
	}{
		{"", "", "", "LANG", "en_US.UTF-8"},
		{"", "", "C", "LANG", "en_US.UTF-8"},
		{"", "", "C.UTF-8", "LANG", "en_US.UTF-8"},
		{"", "", "POSIX", "LANG", "en_US.UTF-8"},
		{"", "", "de_DE.UTF-8", "LANG", "de_DE.UTF-8"},
		{"C.UTF-8", "", "de_DE.UTF-8", "LC_ALL", "en_US.UTF-8"},
		{"fr_FR.UTF-8", "", "C", "LC_ALL", "fr_FR.UTF-8"},
		{"", "C", "fr_FR", "LC_MESSAGES", "en_US.UTF-8"},
	}
	for _, tt := range tests {
		t.Setenv("LC_ALL", tt.lcAll)
		t.Setenv("LC_MESSAGES", tt.lcMsg)
		t.Setenv("LANG", tt.lang)
		Fix()
		if got := os.Getenv(tt.wantVar); got != tt.want {
			t.Errorf("LC_ALL=%q LC_MESSAGES=%q LANG=%q: %s = %q, want %q", tt.lcAll, tt.lcMsg, tt.lang, tt.wantVar, got, tt.want)
		}
	}
}
