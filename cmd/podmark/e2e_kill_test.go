package main

// kill -9 test: a child `podmark record --device ramp` (the real-time fake
// source, no sound card needed) is killed with SIGKILL at a random moment
// while markers are being sent, then `podmark recover` repairs the folder.
//
// How lost audio is measured. The child runs with --ramp-report FILE: every
// 5 ms it rewrites FILE with the number of stream frames the ramp source has
// delivered and the wall time of that count (from a goroutine, never the
// audio callback; the OS keeps the last write across SIGKILL). Frames
// delivered up to the kill are that count plus (kill time - its time)·rate,
// an overestimate of at most 5 ms unless the ramp was running late and
// caught up in a burst after its report; the parent takes the kill time
// right before sending SIGKILL. (The wall clock alone is not enough: the ramp is
// paced by a ticker, which skips ticks on a loaded machine.) The recovered
// tracks must hold a contiguous ramp from frame 0 (every sample is checked
// against the value the ramp gives that frame, so a lost, repeated or
// garbled frame fails the test), and at most 250 ms of the delivered frames
// may be missing at the end. As a second, clock-free check, the recovered
// length must be at least the frame count of the child's last status line
// (the child printed it, so those frames had been written before the kill).
// Every marker the child acknowledged on stdout must be in the recovered
// journal at the acknowledged sample.

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

var statusFrames = regexp.MustCompile(`status state=\w+ elapsed=\S+ frames=(\d+)`)

func TestE2EKill9(t *testing.T) {
	bin := podmarkBin(t)
	const runs, rate = 5, 48000
	for run := 1; run <= runs; run++ {
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			delay := time.Duration(1000+rand.IntN(3000)) * time.Millisecond
			kill9Run(t, bin, rate, delay)
		})
	}
}

func kill9Run(t *testing.T, bin string, rate int, delay time.Duration) {
	dir := filepath.Join(t.TempDir(), "session")
	report := filepath.Join(filepath.Dir(dir), "delivered")
	child := startRecordChild(t, bin, "--out", dir, "--device", "ramp", "--channels", "2", "--rate", strconv.Itoa(rate), "--host", "kill", "--ramp-report", report)
	cmd, stdin, acks, stderr := child.cmd, child.stdin, child.acks, child.stderr

	// Wait for recording to start, then send markers until the kill.
	var meta session.Meta
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for {
		meta, err = session.Load(dir)
		if err == nil && meta.State == session.StateRecording {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("recording did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	killAt := time.Now().Add(delay)
	kinds := []string{"topic", "sponsor", "edit", "note"}
	for i := 0; time.Now().Before(killAt); i++ {
		fmt.Fprintf(stdin, "%s marker %d\n", kinds[i%len(kinds)], i)
		time.Sleep(time.Duration(20+rand.IntN(120)) * time.Millisecond)
	}
	killTime := time.Now()
	child.kill(t)
	var acked []Ack
	for a := range acks {
		acked = append(acked, a)
	}
	lastStatus := int64(0)
	for _, m := range statusFrames.FindAllStringSubmatch(stderr.String(), -1) {
		lastStatus, _ = strconv.ParseInt(m[1], 10, 64)
	}

	// Recover, twice: the second run must change nothing.
	for i, want := range []string{"repaired", "unchanged"} {
		out, err := exec.Command(bin, "recover", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("recover #%d: %v\n%s", i+1, err, out)
		}
		if !regexp.MustCompile(`: ` + want).Match(out) {
			t.Errorf("recover #%d: want %q in\n%s", i+1, want, out)
		}
	}
	meta, err = session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != session.StateRecovered {
		t.Errorf("state after recover = %s", meta.State)
	}

	// Audio: contiguous ramp from frame 0 in both tracks, little lost at the end.
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var n, at int64
	if _, err := fmt.Sscanf(string(b), "%d %d", &n, &at); err != nil {
		t.Fatalf("ramp report %q: %v", b, err)
	}
	delivered := n + int64(max(0, killTime.Sub(time.Unix(0, at)).Seconds())*float64(rate))
	var frames int64 = -1
	for ch := 1; ch <= 2; ch++ {
		path := filepath.Join(dir, "tracks", fmt.Sprintf("kill-%d.wav", ch))
		n := checkRamp(t, path, ch)
		if frames >= 0 && n != frames {
			t.Errorf("track %d has %d frames, track 1 %d", ch, n, frames)
		}
		frames = n
	}
	if frames != meta.Frames {
		t.Errorf("session.json frames %d, tracks %d", meta.Frames, frames)
	}
	lost := delivered - frames
	t.Logf("killed after %v: delivered %d frames (report %d, %v before the kill), recovered %d, lost %.1f ms; last status %d frames; %d markers acknowledged",
		killTime.Sub(meta.StartUTC).Round(time.Millisecond), delivered, n, killTime.Sub(time.Unix(0, at)).Round(time.Microsecond), frames, float64(lost)*1000/float64(rate), lastStatus, len(acked))
	if lost > int64(rate)/4 {
		t.Errorf("lost %d frames (%.0f ms) of delivered audio, limit 250 ms", lost, float64(lost)*1000/float64(rate))
	}
	// The ramp delivers whole 256-frame buffers, so the extrapolated count
	// can be short by up to one buffer. A ramp that a loaded machine had
	// held back catches up at once (every buffer that is due), so it may
	// have delivered more after its last report than the extrapolation
	// says, but never more than was due by the kill: its schedule starts
	// after start_utc.
	due := int64(killTime.Sub(meta.StartUTC).Seconds() * float64(rate))
	if frames > max(delivered, due)+256 {
		t.Errorf("recovered %d frames but the source delivered only %d (%d due by the kill)", frames, delivered, due)
	}
	if frames < lastStatus {
		t.Errorf("recovered %d frames, fewer than the %d the last status line reported written", frames, lastStatus)
	}

	// Markers: every acknowledged one survived, at its acknowledged sample.
	if len(acked) == 0 {
		t.Fatalf("no marker was acknowledged; stderr:\n%s", stderr.String())
	}
	checkAcked(t, dir, acked)
}

// checkAcked fails for every acknowledged marker that is not in the
// (recovered) session dir at its acknowledged sample.
func checkAcked(t *testing.T, dir string, acked []Ack) {
	t.Helper()
	doc, warns, err := session.LoadDocWarnings(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		t.Logf("journal: %s", w)
	}
	have := map[string]int64{}
	for _, m := range doc.Markers {
		have[m.ID] = m.Sample
	}
	for _, a := range acked {
		if s, ok := have[a.ID]; !ok || s != a.Sample {
			t.Errorf("acknowledged marker %s %q at %d: after recovery present=%v at %d", a.ID, a.Title, a.Sample, ok, s)
		}
	}
}

// checkRamp verifies that the track holds the ramp of channel ch from frame
// 0 without a gap, and returns its length in frames.
func checkRamp(t *testing.T, path string, ch int) int64 {
	t.Helper()
	r, err := audio.OpenWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]float32, 1<<16)
	var frame int64
	bad := 0
	for {
		n, err := r.ReadFloat32(buf)
		for _, v := range buf[:n] {
			if want := rampValue(frame, ch); v != want && bad < 5 {
				t.Errorf("%s frame %d = %v, want ramp value %v", filepath.Base(path), frame, v, want)
				bad++
			}
			frame++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return frame
}

// rampValue is the fake source's sample for channel ch (from 1) of stream frame f.
func rampValue(f int64, ch int) float32 { return audio.RampValue(f, ch-1) }

// SIGINT and SIGTERM finalize cleanly: exit 0, state stopped, every
// acknowledged marker kept, tracks consistent without recovery.
func TestE2ESignalsStopCleanly(t *testing.T) {
	bin := podmarkBin(t)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		dir := filepath.Join(t.TempDir(), "s")
		cmd := exec.Command(bin, "record", "--out", dir, "--device", "ramp", "--host", "sig")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr lockedBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if m, err := session.Load(dir); err == nil && m.State == session.StateRecording {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("recording did not start:\n%s", stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Fprintln(stdin, "topic before the signal")
		for !strings.Contains(stdout.String(), "before the signal") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: %v\n%s", sig, err, stderr.String())
		}
		meta, err := session.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if meta.State != session.StateStopped || !strings.Contains(stderr.String(), "stopped (signal") {
			t.Errorf("%v: state %s; stderr:\n%s", sig, meta.State, stderr.String())
		}
		n := checkRamp(t, filepath.Join(dir, "tracks", "sig-1.wav"), 1)
		if n != meta.Frames || n == 0 {
			t.Errorf("%v: track has %d frames, session.json %d", sig, n, meta.Frames)
		}
		doc, err := session.LoadDoc(dir)
		if err != nil || len(doc.Markers) != 1 {
			t.Errorf("%v: markers %+v, %v", sig, doc.Markers, err)
		}
	}
}
