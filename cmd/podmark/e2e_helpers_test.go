package main

// Shared helpers for the end-to-end tests of this package. They run the real
// podmark binary against the real stack (JACK dummy driver, Xvfb), which
// scripts/services.sh starts. All real-stack tests live in this package and do
// not call t.Parallel, so they never fight over JACK ports or the display.

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// podmarkBin builds the podmark binary once per test run and returns its path.
func podmarkBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "podmark-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "podmark")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build podmark: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// requireTool fails the test when an outside tool it needs is missing.
func requireTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s not found: run scripts/setup.sh", n)
		}
	}
}

// requireJACK fails the test unless a JACK server answers.
func requireJACK(t testing.TB) {
	t.Helper()
	requireTool(t, "jack_lsp", "jack_connect", "sndfile-jackplay")
	if out, err := exec.Command("jack_lsp").CombinedOutput(); err != nil {
		t.Fatalf("no JACK server (start it with: . scripts/services.sh): %v\n%s", err, out)
	}
}

// requireDisplay fails the test unless an X display answers.
func requireDisplay(t testing.TB) {
	t.Helper()
	requireTool(t, "xdotool")
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is not set (start Xvfb with: . scripts/services.sh)")
	}
	if out, err := exec.Command("xdotool", "getdisplaygeometry").CombinedOutput(); err != nil {
		t.Fatalf("X display %s does not answer: %v\n%s", os.Getenv("DISPLAY"), err, out)
	}
}
