package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
)

// TestE2EWindowSIGTERMWhileRecording: a logout or `kill` (SIGTERM) while the
// window records stops the recording cleanly: the session is "stopped" with
// its audio, so the next launch offers no recovery. Fyne quits on SIGTERM by
// itself as well; when its quit came first, the recording was left
// "recording" (found by using the window: the next launch asked to recover
// a recording that had ended with a clean logout). Fyne's own quit can also
// swallow both the handler's queued call and OnStopped (at its end it drains
// its queue without running what is in it), and then only the finalising
// after the event loop returns saves the recording: under load that race
// was lost in about one try in six.
func TestE2EWindowSIGTERMWhileRecording(t *testing.T) {
	requireDisplay(t)
	requireTool(t, "xdotool")
	bin := podmarkBin(t)
	tmp := t.TempDir()
	home, ready := filepath.Join(tmp, "home"), filepath.Join(tmp, "ready")
	for round := range 5 { // the quits race: more than one try
		os.Remove(ready)
		root := filepath.Join(tmp, fmt.Sprintf("rec%d", round))
		cmd := exec.Command(bin, "--device", "ramp", "--test-inputs", "--channels", "2", "--dir", root, "--host", "term", "--ready-file", ready)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C.UTF-8")
		win := startChild(t, cmd, nil, nil)
		waitFor(t, 30*time.Second, func() bool { _, err := os.Stat(ready); return err == nil })
		id := xdo(t, "search", "--sync", "--name", "^podmark$")
		xFocus(t, id)
		xdo(t, "key", "ctrl+r")
		var dir string
		waitFor(t, 10*time.Second, func() bool {
			all, _ := filepath.Glob(filepath.Join(root, "*", "session.json"))
			if len(all) == 1 {
				dir = filepath.Dir(all[0])
			}
			return dir != ""
		})
		time.Sleep(1500 * time.Millisecond)
		if err := win.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err, ok := win.wait(20 * time.Second)
		if !ok {
			// Where it hangs: the Go runtime prints every goroutine's
			// stack on SIGQUIT.
			win.cmd.Process.Signal(syscall.SIGQUIT)
			win.wait(5 * time.Second)
			t.Fatalf("round %d: podmark did not exit 20 s after SIGTERM:\n%s", round, win.stderrText())
		}
		if err != nil {
			t.Errorf("round %d: exit after SIGTERM: %v\n%s", round, err, win.stderrText())
		}
		m, err := session.Load(dir)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if m.State != session.StateStopped {
			t.Fatalf("round %d: session %s is %q after SIGTERM, want %q:\n%s", round, dir, m.State, session.StateStopped, win.stderrText())
		}
		if m.Frames < 48000 {
			t.Fatalf("round %d: %d frames after 1.5 s of recording", round, m.Frames)
		}
	}
}
