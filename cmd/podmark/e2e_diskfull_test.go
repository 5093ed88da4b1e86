package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// TestE2EDiskFullJACK: `podmark record` from JACK onto a disk (a 640 KiB
// tmpfs) that fills after about two seconds fails with a clear error and
// exit 1, and says that what it captured but could not write is in its
// capture queue. Once the disk has room, `podmark recover` writes it out:
// the tracks then hold the played noise sample for sample up to where the
// capture stopped, longer than they were. Mounting needs root, as in CI.
func TestE2EDiskFullJACK(t *testing.T) {
	requireJACK(t)
	requireTool(t, "sox", "mount", "umount")
	bin := podmarkBin(t)
	dev, _ := jackDevice(t, bin)
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (the test needs root): %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", disk).Run() })
	noise := filepath.Join(t.TempDir(), "noise.wav")
	if out, err := exec.Command("sox", "-n", "-r", "48000", "-b", "24", "-c", "1", noise, "synth", "10", "whitenoise", "vol", "0.5").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	_, played, err := audio.ReadWAVFile(noise)
	if err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(disk, "s")
	before := jackPorts(t)
	child := startRecordChild(t, bin, "--out", dir, "--device", dev, "--channels", "2", "--rate", "48000", "--host", "df")
	in0 := waitNewPort(t, before, "", ":in_0", 10*time.Second)
	startJackPlayer(t, noise, in0, strings.TrimSuffix(in0, ":in_0")+":in_1").Play()
	err, ok := child.wait(20 * time.Second)
	if !ok {
		t.Fatalf("podmark record did not stop on the full disk:\n%s", child.stderr.String())
	}
	stderr := child.stderr.String()
	if code := child.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr, "FAILED") || !strings.Contains(stderr, "no space left on device") {
		t.Fatalf("exit %d (%v), want 1 with the disk-full error:\n%s", code, err, stderr)
	}
	meta, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	q := meta.CaptureQueue
	if q == nil || !strings.Contains(stderr, "is in "+q.File+": ") || !strings.Contains(stderr, "podmark recover "+dir) {
		t.Fatalf("no word on the kept capture queue %+v:\n%s", q, stderr)
	}
	if _, err := os.Stat(q.File); err != nil {
		t.Fatalf("the capture queue of the failed recording: %v", err)
	}
	tracks := []string{filepath.Join(dir, "tracks", "df-1.wav"), filepath.Join(dir, "tracks", "df-2.wav")}
	var full [2]int64
	for i, p := range tracks {
		if full[i], err = recoveredFrames(p); err != nil {
			t.Fatal(err)
		}
	}

	// Recover on the full disk fails and keeps the queue; with room it works.
	if out, err := exec.Command(bin, "recover", dir).CombinedOutput(); err == nil {
		t.Logf("recover on the still-full disk succeeded:\n%s", out)
	} else if _, serr := os.Stat(q.File); serr != nil {
		t.Fatalf("a recover that failed (%v) removed the queue:\n%s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "remount,size=8m", disk).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v\n%s", err, out)
	}
	if _, err := os.Stat(q.File); err == nil {
		out, err := exec.Command(bin, "recover", dir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "capture queue "+q.File) {
			t.Fatalf("recover with room: %v\n%s", err, out)
		}
	}
	if _, err := os.Stat(q.File); !os.IsNotExist(err) {
		t.Fatalf("the capture queue is still there after recover: %v", err)
	}
	for i, p := range tracks {
		info, got, err := audio.ReadWAVFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("track %d: %d frames on the full disk, %d after recover (%s more)", i+1, full[i], info.Frames,
			time.Duration(float64(info.Frames-full[i])/48000*float64(time.Second)).Round(time.Millisecond))
		if info.Frames <= full[i] {
			t.Errorf("track %d: recover wrote nothing out of the queue (%d frames, %d before)", i+1, info.Frames, full[i])
		}
		checkPlayedTail(t, i+1, got, played)
	}
}

// recoveredFrames returns the whole frames in a track as a reader sees
// them, whatever its header says.
func recoveredFrames(path string) (int64, error) {
	r, err := audio.OpenWAV(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return r.Info().Frames, nil
}
