// Package localefix gives Fyne a locale it can parse. Fyne 2.7 reads the
// locale while its lang package initialises, and with LANG unset, C, POSIX
// or C.UTF-8 it logs "Error parsing user locale C" (three lines) every
// time. Import this package for its side effect from the main package: it
// imports nothing but the standard library, so Go's initialisation order
// (packages sorted by import path, each once its imports are done) runs it
// before fyne.io/fyne/v2/lang, which waits for golang.org/x/text.
//
// Only the messages' language is affected: podmark's window is in English.
package localefix

import (
	"os"
	"strings"
)

func init() { Fix() }

// Fix sets the first of LC_ALL, LC_MESSAGES and LANG that is set (LANG
// when none is) to en_US.UTF-8 if it names the C or POSIX locale.
func Fix() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		base, _, _ := strings.Cut(v, ".")
		if base == "C" || base == "POSIX" {
			os.Setenv(k, "en_US.UTF-8")
		}
		return
	}
	os.Setenv("LANG", "en_US.UTF-8")
}
