// Package testenv is what a test does when something outside Go that it
// needs is missing: a program (espeak-ng, ffmpeg, sox...), the JACK
// server or an X display (Xvfb).
//
// In CI (the environment variable CI is "true" or "1") the test fails, so
// that nothing is skipped silently there. Anywhere else the test is
// skipped, and the first skip for each missing thing prints one loud line
// naming it and how to get it, on the terminal (/dev/tty, where `go test
// ./...` cannot hide it) or else on standard error:
//
//	podmark tests: SKIPPING what needs the JACK server (jack_lsp: exit status 1: Error: cannot connect to JACK, server is not running.): start it with `. scripts/services.sh` (jackd -d dummy -r 48000 -p 1024) (CI=true fails instead)
//
// so a contributor without them runs the unit tests in seconds. Only test
// files import it.
package testenv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// InCI reports whether the tests run in CI, where a missing tool fails.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

var (
	mu    sync.Mutex
	shown = map[string]bool{}
)

// Missing ends the test because what it needs is missing: why says what
// was found, how how to get it. In CI the test fails; elsewhere it is
// skipped, with the loud line printed once per what.
func Missing(t testing.TB, what, why, how string) {
	t.Helper()
	msg := fmt.Sprintf("%s (%s): %s", what, why, how)
	if InCI() {
		t.Fatalf("missing %s", msg)
	}
	mu.Lock()
	first := !shown[what]
	shown[what] = true
	mu.Unlock()
	if first {
		loud(fmt.Sprintf("podmark tests: SKIPPING what needs %s (CI=true fails instead)\n", msg))
	}
	t.Skipf("missing %s", msg)
}

// loudTo, when set (by this package's test), gets the loud lines.
var loudTo io.Writer

// loud writes line where a person running the tests sees it.
func loud(line string) {
	if loudTo != nil {
		fmt.Fprint(loudTo, line)
		return
	}
	var w io.Writer = os.Stderr
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		w = tty
	}
	fmt.Fprint(w, line)
}

// Tool returns the path of program name (the first of names, all of which
// must be there), or ends the test through Missing.
func Tool(t testing.TB, names ...string) string {
	t.Helper()
	first := ""
	for i, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			Missing(t, n, "not on PATH", "install it with scripts/setup.sh")
		}
		if i == 0 {
			first = p
		}
	}
	return first
}

// JACK ends the test through Missing unless a JACK server answers
// (jack_lsp).
func JACK(t testing.TB) {
	t.Helper()
	Tool(t, "jack_lsp")
	if out, err := exec.Command("jack_lsp").CombinedOutput(); err != nil {
		Missing(t, "the JACK server", fmt.Sprintf("jack_lsp: %v: %s", err, lastLine(out)),
			"start it with `. scripts/services.sh` (jackd -d dummy -r 48000 -p 1024)")
	}
}

// Display ends the test through Missing unless an X display answers
// (xdotool getdisplaygeometry on $DISPLAY).
func Display(t testing.TB) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		Missing(t, "an X display", "DISPLAY is not set", "start Xvfb with `. scripts/services.sh`")
	}
	Tool(t, "xdotool")
	if out, err := exec.Command("xdotool", "getdisplaygeometry").CombinedOutput(); err != nil {
		Missing(t, "an X display", fmt.Sprintf("%s does not answer: %v: %s", os.Getenv("DISPLAY"), err, lastLine(out)),
			"start Xvfb with `. scripts/services.sh`")
	}
}

// lastLine is the last non-empty line of a tool's output: its error,
// without the noise before it, so the loud line stays one line.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
