package main

// End-to-end test of the window in a show room: a `podmark relay` on
// loopback and two podmark windows (alice and bob) under Xvfb, recording
// from the JACK dummy device, each with its own preferences folder. Marker
// keys pressed in alice's window reach bob's window and his session's room
// record. Set PODMARK_SCREENSHOT_DIR to keep the screenshot.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// roomWindow is one podmark window of the test.
type roomWindow struct {
	host   string
	root   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
	id     string // X window id
	dir    string // session folder once recording
}

func startRoomWindow(t *testing.T, bin, tmp, dev, host, link string) *roomWindow {
	t.Helper()
	w := &roomWindow{host: host, root: filepath.Join(tmp, host, "recordings"), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	home := filepath.Join(tmp, host, "home")
	if err := os.MkdirAll(filepath.Join(home, ".config"), 0o755); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(tmp, host, "ready")
	w.cmd = exec.Command(bin, "--device", dev, "--channels", "1", "--rate", "48000", "--dir", w.root, "--host", host,
		"--room", link, "--ready-file", ready)
	// Each window its own preferences: Fyne keeps them under XDG_CONFIG_HOME.
	w.cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C.UTF-8")
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.cmd.Wait(); close(w.exited) }()
	t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			w.cmd.Process.Kill()
			<-w.exited
		}
	})
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case <-w.exited:
			t.Fatalf("%s's window exited before it was ready:\n%s", host, w.stderr.String())
		default:
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%s's window not ready after 30 s:\n%s", host, w.stderr.String())
		}
	}
	// Both windows are called "podmark": find this one by its process.
	for _, id := range strings.Fields(xdo(t, "search", "--sync", "--name", "^podmark$")) {
		if xdo(t, "getwindowpid", id) == strconv.Itoa(w.cmd.Process.Pid) {
			w.id = id
		}
	}
	if w.id == "" {
		t.Fatalf("no X window of %s's podmark (pid %d)", host, w.cmd.Process.Pid)
	}
	return w
}

// record focuses the window, clicks a neutral spot (the clock) and presses
// Ctrl+R; it waits for the session folder.
func (w *roomWindow) record(t *testing.T) {
	t.Helper()
	xdo(t, "windowraise", w.id)
	xFocus(t, w.id)
	xdo(t, "mousemove", "--window", w.id, "120", "320", "click", "1")
	xdo(t, "key", "ctrl+r")
	for deadline := time.Now().Add(10 * time.Second); w.dir == ""; time.Sleep(50 * time.Millisecond) {
		if ds, _ := session.FindUnfinished(w.root); len(ds) == 1 {
			w.dir = ds[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("Ctrl+R started no session for %s:\n%s", w.host, w.stderr.String())
		}
	}
}

func (w *roomWindow) stop(t *testing.T) {
	t.Helper()
	xdo(t, "windowraise", w.id)
	xFocus(t, w.id)
	xdo(t, "key", "ctrl+shift+s")
	waitFor(t, 10*time.Second, func() bool {
		m, err := session.Load(w.dir)
		return err == nil && m.State == session.StateStopped
	})
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s's podmark did not exit on SIGTERM:\n%s", w.host, w.stderr.String())
	}
}

func TestE2EWindowRoom(t *testing.T) {
	requireJACK(t)
	requireDisplay(t)
	requireTool(t, "import", "xdotool")
	bin := podmarkBin(t)
	tmp := t.TempDir()
	_, url := startRelayProc(t, bin, filepath.Join(tmp, "relay"))
	link := url + "/show/ep1"
	dev, _ := jackDevice(t, bin)

	alice := startRoomWindow(t, bin, tmp, dev, "alice", link)
	bob := startRoomWindow(t, bin, tmp, dev, "bob", link)
	bob.record(t)
	alice.record(t)
	// Both in the room: each sees the other recording (presence).
	time.Sleep(2500 * time.Millisecond)

	// T and S in alice's window.
	xdo(t, "key", "t")
	time.Sleep(300 * time.Millisecond)
	xdo(t, "key", "s")
	// A JACK xrun on this loaded machine drops a glitch marker, which the
	// room carries too: only the key presses are counted.
	var got []room.Received
	waitFor(t, 10*time.Second, func() bool {
		rs, err := room.ReadRecord(filepath.Join(bob.dir, filepath.FromSlash(room.RecordFile)))
		got = got[:0]
		for _, r := range rs {
			if r.Kind != markers.Glitch {
				got = append(got, r)
			}
		}
		return err == nil && len(got) >= 2
	})
	if len(got) != 2 || got[0].Author != "alice" || got[0].Kind != markers.Topic || got[1].Kind != markers.Sponsor {
		t.Fatalf("bob's %s: %+v", room.RecordFile, got)
	}
	// bob's window on top: the remote markers with alice's initials, and
	// alice's presence in the Room section.
	xdo(t, "windowraise", bob.id)
	xFocus(t, bob.id)
	time.Sleep(1500 * time.Millisecond) // a presence refresh
	shot := screenshot(t, tmp, "window-room-bob.png")
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}

	alice.stop(t)
	bob.stop(t)
	// alice's own journal has the two markers the room delivered to bob.
	ms, warns, err := markers.ReplayJournalFile(filepath.Join(alice.dir, session.JournalFile))
	if err != nil || len(warns) > 0 {
		t.Fatalf("alice's journal: %v %v", err, warns)
	}
	ids := map[string]bool{}
	for _, m := range ms {
		ids[m.ID] = true
	}
	for _, r := range got {
		if !ids[r.ID] {
			t.Errorf("bob received marker %s that is not in alice's journal", r.ID)
		}
	}
	for _, w := range []*roomWindow{alice, bob} {
		if s := w.stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "DATA RACE") {
			t.Errorf("%s's podmark:\n%s", w.host, s)
		}
	}
}
