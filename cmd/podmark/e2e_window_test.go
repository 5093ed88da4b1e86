package main

// End-to-end test of the window: the real podmark binary under Xvfb,
// recording from the JACK dummy device with speech played in, driven by
// xdotool key presses: in-window shortcuts, and global hotkeys while another
// X window has the focus. The session on disk is then checked. Run
// `. scripts/services.sh` first; set PODMARK_SCREENSHOT_DIR to keep the
// screenshots.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/app/export"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// xdo runs xdotool with args and returns its trimmed output.
func xdo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// xFocus gives window id the X input focus and checks it has it.
func xFocus(t *testing.T, id string) {
	t.Helper()
	xdo(t, "windowfocus", "--sync", id)
	if got := xdo(t, "getwindowfocus"); got != id {
		t.Fatalf("focus is on window %s, want %s", got, id)
	}
}

func screenshot(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := exec.Command("import", "-window", "root", path).CombinedOutput(); err != nil {
		t.Fatalf("import (screenshot): %v\n%s", err, out)
	}
	if keep := os.Getenv("PODMARK_SCREENSHOT_DIR"); keep != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			err = os.WriteFile(filepath.Join(keep, name), b, 0o644)
		}
		if err != nil {
			t.Errorf("keep screenshot: %v", err)
		}
	}
	return path
}

func TestE2EWindow(t *testing.T) {
	requireJACK(t)
	requireDisplay(t)
	requireTool(t, "espeak-ng", "sox", "import", "go")
	bin := podmarkBin(t)
	tmp := t.TempDir()
	root := filepath.Join(tmp, "recordings")

	// The "other application": a plain X window built from testdata.
	xother := filepath.Join(tmp, "xother")
	if out, err := exec.Command("go", "build", "-o", xother, "./testdata/xother").CombinedOutput(); err != nil {
		t.Fatalf("build xother: %v\n%s", err, out)
	}
	otherName := fmt.Sprintf("podmark-e2e-other-%d", os.Getpid())
	other := exec.Command(xother, otherName)
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	otherID := xdo(t, "search", "--sync", "--name", "^"+otherName+"$")

	dev, _ := jackDevice(t, bin)
	speechFile, played := makeSpeech(t, tmp, "Welcome to the show. Today we talk about crash safe recording, "+
		"live chapter markers and how to hand a clean bundle to your editor.")

	// A fresh home: default preferences plus a rundown, so N and the
	// next-segment hotkey drop titled markers.
	home := filepath.Join(tmp, "home")
	prefDir := filepath.Join(home, ".config", "fyne", "io.github.podmark.podmark")
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pj, _ := json.Marshal(map[string]string{"rundown.text": "- Intro\n- sponsor: Acme VPN\n- Listener mail"})
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), pj, 0o644); err != nil {
		t.Fatal(err)
	}

	foreign := jackPorts(t) // ports of other JACK clients, never ours
	ready := filepath.Join(tmp, "ready")
	var stderr lockedBuffer
	win := exec.Command(bin, "--device", dev, "--channels", "1", "--rate", "48000", "--dir", root, "--host", "e2e", "--ready-file", ready)
	win.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C", "LC_ALL=")
	win.Stdout, win.Stderr = io.Discard, &stderr
	launched := time.Now()
	if err := win.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = win.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			win.Process.Kill()
			<-exited
		}
	}()
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("podmark exited before it was ready: %v\n%s", exitErr, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(launched) > 30*time.Second {
			t.Fatalf("window not ready after 30 s\n%s", stderr.String())
		}
	}
	t.Logf("window ready %v after launch", time.Since(launched).Round(time.Millisecond))
	winID := xdo(t, "search", "--sync", "--name", "^podmark$")
	if strings.Contains(winID, "\n") {
		t.Fatalf("several podmark windows on the display (another podmark running?): %q", winID)
	}
	xFocus(t, winID)
	time.Sleep(300 * time.Millisecond) // meters running
	screenshot(t, tmp, "window-soundcheck.png")

	// The episode title, typed into its field; a click on the clock takes
	// the focus off the field again so the marker keys work.
	const title = "Episode 48: Crash-safe recording"
	xdo(t, "mousemove", "--window", winID, "300", "66", "click", "1")
	xdo(t, "type", "--delay", "5", title)
	xdo(t, "mousemove", "--window", winID, "120", "320", "click", "1")

	// Ctrl+R: a new session folder in the recordings folder.
	xdo(t, "key", "ctrl+r")
	var dir string
	for deadline := time.Now().Add(10 * time.Second); dir == ""; {
		if ds, _ := session.FindUnfinished(root); len(ds) == 1 {
			dir = ds[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("Ctrl+R started no session in %s\n%s", root, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var inPort string
	for deadline := time.Now().Add(10 * time.Second); inPort == ""; {
		for p := range jackPorts(t) {
			if strings.HasSuffix(p, ":in_0") && !foreign[p] && !strings.HasPrefix(p, "jackplay") && !strings.HasPrefix(p, "system") {
				inPort = p
			}
		}
		if inPort == "" && time.Now().After(deadline) {
			t.Fatalf("no PortAudio input port: %v", jackPorts(t))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Speech in: sndfile-jackplay waits for Enter once connected.
	play := startJackPlayer(t, speechFile, inPort)
	time.Sleep(300 * time.Millisecond)
	goAt := time.Now()
	if err := play.Play(); err != nil {
		t.Fatal(err)
	}

	// Marker keys at known moments after the speech started.
	type press struct {
		at     time.Duration
		keys   string
		focus  string // window that has the focus
		kind   markers.Kind
		title  string
		sentAt time.Duration
		spent  time.Duration // how long xdotool ran
	}
	presses := []press{
		{at: 800 * time.Millisecond, keys: "n", focus: winID, kind: markers.Topic, title: "Intro"},
		{at: 1700 * time.Millisecond, keys: "t", focus: winID, kind: markers.Topic},
		{at: 2600 * time.Millisecond, keys: "ctrl+alt+3", focus: otherID, kind: markers.Edit},
		{at: 3400 * time.Millisecond, keys: "ctrl+alt+5", focus: otherID, kind: markers.Sponsor, title: "Acme VPN"},
		{at: 4300 * time.Millisecond, keys: "m", focus: winID, kind: markers.Note},
	}
	for i := range presses {
		p := &presses[i]
		if got := xdo(t, "getwindowfocus"); got != p.focus {
			xFocus(t, p.focus)
		}
		time.Sleep(time.Until(goAt.Add(p.at)))
		before := time.Since(goAt)
		xdo(t, "key", p.keys)
		// xdotool injects the key (XTEST) at the end of its run, after
		// connecting and reading the keymap: the press happened between
		// before and now, close to now.
		p.sentAt = time.Since(goAt)
		p.spent = p.sentAt - before
		if i == 3 {
			time.Sleep(150 * time.Millisecond) // mid-sentence: meters lit
			screenshot(t, tmp, "window-recording.png")
		}
	}

	playDone := make(chan error, 1)
	go func() { playDone <- play.Wait() }()
	select {
	case <-playDone:
	case <-time.After(30 * time.Second):
		t.Fatal("sndfile-jackplay did not finish")
	}
	time.Sleep(300 * time.Millisecond)

	// Ctrl+P pauses (after the speech, so the markers' timing stands).
	xFocus(t, winID)
	xdo(t, "key", "ctrl+p")
	time.Sleep(400 * time.Millisecond)
	screenshot(t, tmp, "window-paused.png")
	xdo(t, "key", "ctrl+p")
	time.Sleep(200 * time.Millisecond)

	// Ctrl+Shift+S stops without asking.
	xdo(t, "key", "ctrl+shift+s")
	var meta session.Meta
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		if meta, err = session.Load(dir); err == nil && meta.State == session.StateStopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ctrl+Shift+S did not stop the session (state %s, %v)\n%s", meta.State, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	screenshot(t, tmp, "window-stopped.png")

	// Hand-off: Stop selected the Hand-off tab; click Export and wait for
	// the bundle, which must pass the export engine's own verification.
	bundle := dir + "-handoff"
	xdo(t, "mousemove", "--window", winID, "700", "400", "click", "1")
	for deadline := time.Now().Add(60 * time.Second); ; {
		if _, err := os.Stat(filepath.Join(bundle, export.ManifestFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			screenshot(t, tmp, "window-export-timeout.png")
			t.Fatalf("no hand-off bundle %s after clicking Export\n%s", bundle, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rep, err := export.Verify(bundle); err != nil || !rep.OK() {
		t.Errorf("hand-off bundle does not verify: %v %v", err, rep.Problems)
	}
	time.Sleep(300 * time.Millisecond)
	screenshot(t, tmp, "window-handoff.png")

	// SIGTERM closes the window cleanly.
	win.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("podmark exit after SIGTERM: %v", exitErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("podmark did not exit on SIGTERM")
	}
	if s := withoutOpenerNoise(stderr.String()); strings.Contains(s, "locale") || strings.Contains(s, "panic") {
		t.Errorf("window log has locale errors or a panic under LANG=C:\n%s", s)
	}

	// The session: audio present, nothing dropped.
	if meta.HostAPI != jackHostAPI || len(meta.Tracks) != 1 || meta.Host != "e2e" || meta.Title != title {
		t.Errorf("session.json: host API %q, tracks %v, host %q, title %q", meta.HostAPI, meta.Tracks, meta.Host, meta.Title)
	}
	if meta.Dropped != 0 {
		// An xrun on a loaded machine: the engine replaced it by silence and
		// a glitch marker, so later times stay true; the window shows it.
		t.Logf("note: %d frames dropped (glitch markers), timeline kept", meta.Dropped)
	}
	info, got, err := audio.ReadWAVFile(filepath.Join(dir, meta.Tracks[0].File))
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != meta.Frames {
		t.Errorf("track has %d frames, session.json %d", info.Frames, meta.Frames)
	}
	lag, corr := findOffset(got, played)
	if lag < 0 || corr < 0.99 {
		t.Fatalf("played speech not found in the recording (lag %d, correlation %.4f)", lag, corr)
	}
	var e float64
	for _, v := range got[lag : lag+len(played)] {
		e += float64(v) * float64(v)
	}
	t.Logf("speech at frame %d, correlation %.5f, RMS %.4f", lag, corr, math.Sqrt(e/float64(len(played))))

	// The markers: kinds and titles from keys, rundown and hotkeys, each
	// within 50 ms of its key press. Reference clock: played sample 0 is at
	// frame lag and entered the graph within one JACK period (1024 frames)
	// after goAt; the middle of that period is taken. The key press itself
	// happened while xdotool ran, so the marker must lie within 50 ms of
	// that span.
	all, warns, err := markers.ReplayJournalFile(filepath.Join(dir, "markers.jsonl"))
	if err != nil || len(warns) > 0 {
		t.Fatalf("journal: %v %v", err, warns)
	}
	var ms []markers.Marker
	for _, m := range all {
		if m.Kind != markers.Glitch {
			ms = append(ms, m)
		}
	}
	if len(ms) != len(presses) {
		t.Fatalf("journal has %d markers, want %d: %+v", len(ms), len(presses), ms)
	}
	const period = 1024
	for i, p := range presses {
		m := ms[i]
		if m.Kind != p.kind || m.Title != p.title {
			t.Errorf("marker %d (%s) = %s %q, want %s %q", i+1, p.keys, m.Kind, m.Title, p.kind, p.title)
		}
		// The press happened while xdotool ran, in [sentAt-spent, sentAt].
		at := func(d time.Duration) float64 { return float64(lag) + d.Seconds()*48000 - period/2 }
		lo, hi := at(p.sentAt-p.spent), at(p.sentAt)
		var errMS float64 // distance outside [lo, hi]
		switch s := float64(m.Sample); {
		case s < lo:
			errMS = (s - lo) / 48
		case s > hi:
			errMS = (s - hi) / 48
		}
		t.Logf("marker %d (%s, focus %s): xdotool ran %v..%v after play start; sample %d = %v; outside that span by %+.1f ms",
			i+1, p.keys, p.focus, (p.sentAt - p.spent).Round(time.Millisecond), p.sentAt.Round(time.Millisecond), m.Sample,
			time.Duration((float64(m.Sample)-float64(lag)+period/2)/48000*float64(time.Second)).Round(time.Millisecond), errMS)
		if math.Abs(errMS) > 50 {
			t.Errorf("marker %d (%s) is %.1f ms from its key press (limit 50 ms)", i+1, p.keys, errMS)
		}
	}
}

// TestWindowFlags checks the window's flag errors; none opens a window.
func TestWindowFlags(t *testing.T) {
	tests := []struct {
		args []string
		env  string // DISPLAY value
		code int
		msg  string
	}{
		{[]string{"--rate", "22050"}, ":99", 2, "--rate 22050"},
		{[]string{"--channels", "-1"}, ":99", 2, "--channels -1"},
		{[]string{"--bogus"}, ":99", 2, "-bogus"},
		{[]string{"--dir", "x", "extra"}, ":99", 2, `unexpected argument "extra"`},
		{[]string{"--dir", "x"}, "", 1, "DISPLAY is not set"},
	}
	for _, tt := range tests {
		t.Setenv("DISPLAY", tt.env)
		t.Setenv("WAYLAND_DISPLAY", "")
		var stderr bytes.Buffer
		if code := run(tt.args, strings.NewReader(""), io.Discard, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("podmark %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.msg)
		}
	}
}

// TestE2EWindowFirstLaunchAndFailure opens the window as a new host would,
// with a fresh home (no preferences yet): the first launch logs no error
// (Fyne's "Preferences load error: EOF" was one). It then records the test
// signal onto a disk (a 640 KiB tmpfs) that fills after about two seconds:
// the window must report it and show the failed state cleanly (screenshot).
// Mounting needs root, as in CI.
func TestE2EWindowFirstLaunchAndFailure(t *testing.T) {
	requireDisplay(t)
	requireTool(t, "import", "mount", "umount")
	bin := podmarkBin(t)
	tmp := t.TempDir()
	disk := filepath.Join(tmp, "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (the test needs root): %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", disk).Run() })
	home := filepath.Join(tmp, "home") // does not exist yet: a first launch
	ready := filepath.Join(tmp, "ready")
	stderr := &lockedBuffer{}
	win := exec.Command(bin, "--device", "ramp", "--test-inputs", "--channels", "2", "--dir", disk, "--host", "first", "--ready-file", ready)
	win.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C.UTF-8")
	win.Stdout, win.Stderr = io.Discard, stderr
	if err := win.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { win.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			win.Process.Kill()
			<-exited
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("podmark exited before it was ready:\n%s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("window not ready after 30 s\n%s", stderr.String())
		}
	}
	winID := xdo(t, "search", "--sync", "--name", "^podmark$")
	if strings.Contains(winID, "\n") {
		t.Fatalf("several podmark windows on the display (another podmark running?): %q", winID)
	}
	xFocus(t, winID)
	time.Sleep(time.Second) // long enough for a late preferences load
	xdo(t, "key", "ctrl+r")
	// The engine stops by itself; the window says so (and logs it). Even
	// session.json may not fit on the full disk any more: the window's own
	// report is what the host sees.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), "recording stopped: "); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			screenshot(t, tmp, "window-failed-timeout.png")
			t.Fatalf("the recording did not fail on the full disk\n%s", stderr.String())
		}
	}
	time.Sleep(500 * time.Millisecond)
	screenshot(t, tmp, "window-failed.png")
	win.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("podmark did not exit on SIGTERM")
	}
	log := stderr.String()
	if strings.Contains(log, "Preferences load error") || strings.Contains(log, "panic") {
		t.Errorf("the first launch logged an error:\n%s", log)
	}
	if !strings.Contains(log, "no space left on device") {
		t.Errorf("the window did not report the full disk:\n%s", log)
	}
}

// withoutOpenerNoise drops the warnings perl prints when xdg-open (started
// by the hand-off's Open folder) runs under a locale the machine lacks: they
// are the desktop opener's, not podmark's, whose own locale handling the
// window test checks.
func withoutOpenerNoise(log string) string {
	var b strings.Builder
	inPerl := false
	for _, l := range strings.SplitAfter(log, "\n") {
		if strings.HasPrefix(l, "perl: warning:") {
			inPerl = true
			continue
		}
		if inPerl && (strings.HasPrefix(l, "\t") || strings.HasPrefix(l, " ")) {
			continue
		}
		inPerl = false
		b.WriteString(l)
	}
	return b.String()
}
