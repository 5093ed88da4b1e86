package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
)

// TestE2ERoomPresenceFailed: alice records onto a disk (a small tmpfs)
// that fills after a few seconds; her recorder fails for real (no space
// left on device). Bob's `podmark record --room` and the editor's `podmark
// room watch` see her as failed, with the error, at once: within 2 s of
// her own podmark saying FAILED, not after a presence timeout. Mounting
// needs root, as in CI.
func TestE2ERoomPresenceFailed(t *testing.T) {
	requireTool(t, "mount", "umount")
	bin := podmarkBin(t)
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (the test needs root): %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", disk).Run() })
	_, url := startRelayProc(t, bin, filepath.Join(dir, "store"))
	link := url + "/show/ep1"

	// The editor watches.
	watch := exec.Command(bin, "room", "watch", link, "--for", "60s")
	wout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watch.Process.Kill(); watch.Wait() })
	var mu sync.Mutex
	var failedAt time.Time
	var failed room.Presence
	go func() {
		sc := bufio.NewScanner(wout)
		for sc.Scan() {
			var ev struct {
				Event    string         `json:"event"`
				Presence *room.Presence `json:"presence"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "presence" && ev.Presence.Host == "alice" && ev.Presence.State == room.StateFailed {
				mu.Lock()
				if failedAt.IsZero() {
					failedAt, failed = time.Now(), *ev.Presence
				}
				mu.Unlock()
			}
		}
	}()

	b := startRoomChild(t, bin, "--out", filepath.Join(dir, "bob"), "--device", "ramp", "--host", "bob", "--room", link)
	a := startRoomChild(t, bin, "--out", filepath.Join(disk, "alice"), "--device", "ramp", "--host", "alice", "--room", link)
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(b.stderr.String(), "alice is recording") })
	if strings.Contains(a.stderr.String(), "FAILED") {
		t.Fatal("alice failed before bob saw her recording: make the disk larger")
	}
	var aliceFailed, bobSaw time.Time
	deadline := time.Now().Add(30 * time.Second)
	for aliceFailed.IsZero() || bobSaw.IsZero() {
		if time.Now().After(deadline) {
			t.Fatalf("alice failed at %v, bob saw it at %v; alice:\n%s\nbob:\n%s", aliceFailed, bobSaw, a.stderr.String(), b.stderr.String())
		}
		now := time.Now()
		if aliceFailed.IsZero() && strings.Contains(a.stderr.String(), "FAILED") {
			aliceFailed = now
		}
		if bobSaw.IsZero() && strings.Contains(b.stderr.String(), "alice is failed") {
			bobSaw = now
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := bobSaw.Sub(aliceFailed); d > 2*time.Second {
		t.Errorf("bob saw alice failed %v after she did, want within 2 s", d)
	}
	if line := lineWith(b.stderr.String(), "alice is failed"); !strings.Contains(line, "no space left on device") {
		t.Errorf("bob's line does not carry alice's error: %q", line)
	}
	t.Logf("alice FAILED → bob told: %v", bobSaw.Sub(aliceFailed))
	waitFor(t, 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return !failedAt.IsZero() })
	mu.Lock()
	if d := failedAt.Sub(aliceFailed); d > 2*time.Second {
		t.Errorf("room watch saw alice failed %v after she did, want within 2 s", d)
	}
	if !strings.Contains(failed.Error, "no space left on device") {
		t.Errorf("room watch's failed presence has error %q", failed.Error)
	}
	mu.Unlock()
	if err, ok := a.wait(20 * time.Second); !ok || err == nil || a.cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("alice's podmark exited %v, want 1", err)
	}
	b.stop(t)
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
