package audio

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const killChildEnv = "PODMARK_AUDIO_KILL_CHILD_DIR"

// TestMain runs the kill -9 child when asked to (see TestKillNineRecovers).
func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		if err := killChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// killChild records a real-time ramp into dir and prints the delivered frame
// count every 20 ms until it is killed.
func killChild(dir string) error {
	ramp := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 480, Realtime: true})
	rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 2, Rate: 48000, Format: Int24, Tracks: trackPaths(dir, 2)})
	if err != nil {
		return err
	}
	if _, err := rec.Start(); err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for {
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintln(w, ramp.Delivered())
		if err := w.Flush(); err != nil {
			return err
		}
	}
}

// TestKillNineRecovers kills a recording process (SIGKILL) at random moments;
// RepairWAV must then recover every track with at most 250 ms of the
// delivered audio missing and every sample right.
func TestKillNineRecovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	for run := range 4 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int64, 1000)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64); err == nil {
					lines <- n
				}
			}
			close(lines)
		}()
		// The random moment is counted from the child's first report: a
		// -race child on a loaded machine can take 300 ms to start.
		var delivered int64
		select {
		case n, ok := <-lines:
			if !ok {
				t.Fatalf("run %d: child exited early: %v", run, cmd.Wait())
			}
			delivered = n
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d: the child reported nothing in 20 s", run)
		}
		wait := time.Duration(300+rng.IntN(1200)) * time.Millisecond
		deadline := time.After(wait)
	collect:
		for {
			select {
			case n, ok := <-lines:
				if !ok {
					t.Fatalf("run %d: child exited early: %v", run, cmd.Wait())
				}
				delivered = n
			case <-deadline:
				break collect
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait() // "signal: killed", as intended
		if delivered == 0 {
			t.Fatalf("run %d: the child reported no audio in %v", run, wait)
		}
		// The child delivered at most one report period more than it said.
		atKill := delivered + 48000*20/1000
		for c, p := range trackPaths(dir, 2) {
			rep, err := RepairWAV(p)
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			info, got, err := ReadWAVFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lost := atKill - info.Frames
			t.Logf("run %d after %v: %s kept %d frames, delivered ≥ %d, lost ≤ %.0f ms (repair %+v)",
				run, wait, filepath.Base(p), info.Frames, delivered, 1000*float64(max(lost, 0))/48000, rep)
			if lost > 48000/4 {
				t.Fatalf("run %d: %s lost %d frames (> 250 ms) of delivered audio", run, p, lost)
			}
			for i, v := range got {
				if v != RampValue(int64(i), c) {
					t.Fatalf("run %d: %s frame %d = %v, want %v", run, p, i, v, RampValue(int64(i), c))
				}
			}
		}
	}
}
