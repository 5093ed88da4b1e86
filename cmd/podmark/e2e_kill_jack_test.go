package main

// kill -9 on the real stack: `podmark record` records two channels of white
// noise from JACK (sndfile-jackplay, connected to both inputs), acknowledges
// markers, and is killed with SIGKILL 2–6 s after recording started; then
// `podmark recover` repairs the folder. The played file (10 s) outlasts every
// run, so the whole recording after playback began is known audio.
//
// Checks per run: recover exits 0 (twice, the second run leaving the tracks
// byte-identical); the tracks hold what the device delivered up to the kill,
// (kill time − start_utc)·rate, minus at most 250 ms and plus at most 100 ms
// (start_utc is taken just before the stream starts, so it errs towards
// more delivered audio); every acknowledged marker is in the recovered
// journal at its sample; and both tracks equal the played noise sample for
// sample (±2 LSB of 24 bits, as in TestE2ERecordJACK) from where playback
// began to their last frame, the final 500 ms included: that tail is what
// a crash-safe queue must bring back. PODMARK_KILL_SEED=N repeats a run's
// random kill times.

import (
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

func TestE2EKill9JACK(t *testing.T) {
	requireJACK(t)
	requireTool(t, "sox")
	bin := podmarkBin(t)
	dev, maxCh := jackDevice(t, bin)
	if maxCh < 2 {
		t.Fatalf("JACK device %s has %d input channels, want 2", dev, maxCh)
	}
	noise := filepath.Join(t.TempDir(), "noise.wav")
	if out, err := exec.Command("sox", "-n", "-r", "48000", "-b", "24", "-c", "1", noise, "synth", "10", "whitenoise", "vol", "0.5").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	info, played, err := audio.ReadWAVFile(noise)
	if err != nil || info.Rate != 48000 || info.Channels != 1 || info.Format != audio.Int24 {
		t.Fatalf("noise file: %+v, %v", info, err)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PODMARK_KILL_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PODMARK_KILL_SEED: %v", err)
		}
	}
	t.Logf("seed %d (PODMARK_KILL_SEED=%d repeats it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for run := 1; run <= 4; run++ {
		delay := time.Duration(2000+rng.IntN(4000)) * time.Millisecond
		t.Run(fmt.Sprint("run", run), func(t *testing.T) { kill9JACKRun(t, bin, dev, noise, played, delay) })
	}
}

func kill9JACKRun(t *testing.T, bin, dev, noise string, played []float32, delay time.Duration) {
	const rate = 48000
	dir := filepath.Join(t.TempDir(), "session")
	before := jackPorts(t)
	child := startRecordChild(t, bin, "--out", dir, "--device", dev, "--channels", "2", "--rate", strconv.Itoa(rate), "--host", "kj")
	in0 := waitNewPort(t, before, "", ":in_0", 10*time.Second)
	startJackPlayer(t, noise, in0, strings.TrimSuffix(in0, ":in_0")+":in_1").Play()

	var meta session.Meta
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if meta, err = session.Load(dir); err == nil && meta.State == session.StateRecording {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording did not start: %v\n%s", err, child.stderr.String())
		}
	}

	// Two markers, each acknowledged before the next, then the kill.
	var acked []Ack
	for i, at := range []time.Duration{800 * time.Millisecond, 1600 * time.Millisecond} {
		time.Sleep(time.Until(meta.StartUTC.Add(at)))
		fmt.Fprintf(child.stdin, "topic Kill test %d\n", i+1)
		select {
		case a := <-child.acks:
			acked = append(acked, a)
		case <-time.After(time.Until(meta.StartUTC.Add(delay))):
			t.Errorf("marker %d not acknowledged before the kill", i+1)
		}
	}
	time.Sleep(time.Until(meta.StartUTC.Add(delay)))
	killTime := time.Now()
	child.kill(t)
	for a := range child.acks {
		acked = append(acked, a)
	}

	// Recover twice: exit 0 both times, the second changes no track byte.
	tracks := []string{filepath.Join(dir, "tracks", "kj-1.wav"), filepath.Join(dir, "tracks", "kj-2.wav")}
	var sums [2][]string
	for i := range 2 {
		if out, err := exec.Command(bin, "recover", dir).CombinedOutput(); err != nil {
			t.Fatalf("recover #%d: %v\n%s", i+1, err, out)
		}
		for _, p := range tracks {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sums[i] = append(sums[i], fmt.Sprintf("%x", sha256.Sum256(b)))
		}
	}
	if fmt.Sprint(sums[0]) != fmt.Sprint(sums[1]) {
		t.Errorf("second recover changed the tracks: sha256 %v → %v", sums[0], sums[1])
	}
	if meta, err = session.Load(dir); err != nil {
		t.Fatal(err)
	}
	if meta.State != session.StateRecovered || meta.Bits != "24" {
		t.Errorf("after recover: state %s, bits %s", meta.State, meta.Bits)
	}
	// The tail came out of the capture queue, which is gone now.
	if q := meta.CaptureQueue; q == nil || !slices.ContainsFunc(meta.Recovery, func(n string) bool { return strings.HasPrefix(n, "capture queue "+q.File) }) {
		t.Errorf("recover did not write out the capture queue %+v: notes %q", q, meta.Recovery)
	} else if _, err := os.Stat(q.File); !os.IsNotExist(err) {
		t.Errorf("the capture queue %s is still there after recover: %v", q.File, err)
	}

	// Loss: what the device delivered up to the kill vs. what was recovered.
	delivered := int64(killTime.Sub(meta.StartUTC).Seconds() * rate)
	for ch, p := range tracks {
		info, got, err := audio.ReadWAVFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := int64(len(got))
		lost := delivered - n
		t.Logf("track %d: killed %v after start_utc, delivered %d frames, recovered %d, lost %.1f ms", ch+1, killTime.Sub(meta.StartUTC).Round(time.Millisecond), delivered, n, float64(lost)*1000/rate)
		if n != meta.Frames || info.Format != audio.Int24 {
			t.Errorf("track %d: %d frames (%v), session.json %d", ch+1, n, info.Format, meta.Frames)
		}
		if lost > rate/4 || lost < -rate/10 {
			t.Errorf("track %d: lost %.0f ms of delivered audio, want between -100 and 250 ms", ch+1, float64(lost)*1000/rate)
		}
		checkPlayedTail(t, ch+1, got, played)
	}

	// Markers: every acknowledged one survived at its sample.
	if len(acked) == 0 {
		t.Errorf("no marker acknowledged; stderr:\n%s", child.stderr.String())
	}
	checkAcked(t, dir, acked)
	if t.Failed() {
		t.Logf("podmark stderr:\n%s", child.stderr.String())
	}
}

// checkPlayedTail finds where playback of played began in the track got (the
// player was started within the recording's first 1.5 s) and checks that
// every frame from there to the track's end is the played sample, ±2 LSB.
// Before playback the input is exact silence, so the cross-correlation only
// searches the 4096 lags around the first non-zero frame (under -race a
// search over the whole first second takes seconds).
func checkPlayedTail(t *testing.T, ch int, got, played []float32) {
	t.Helper()
	const rate, tol = 48000, 2.0 / (1 << 23)
	nz := 0
	for nz < len(got) && got[nz] == 0 {
		nz++
	}
	from := max(0, nz-2048)
	lag, corr := findOffset(got[from:min(len(got), nz+rate/4+2048)], played[:rate/4])
	lag += from
	if lag < from || lag > 3*rate/2 || corr < 0.999 {
		t.Fatalf("track %d: played noise not found in the first 1.5 s (first non-zero frame %d, lag %d, correlation %.4f)", ch, nz, lag, corr)
	}
	if len(got)-lag > len(played) {
		t.Fatalf("track %d: %d frames after playback began, longer than the %d played", ch, len(got)-lag, len(played))
	}
	bad, badTail := 0, 0
	for f := lag; f < len(got); f++ {
		if math.Abs(float64(got[f])-float64(played[f-lag])) > tol {
			if bad < 5 {
				t.Errorf("track %d frame %d (of %d) = %.8f, played sample %d = %.8f", ch, f, len(got), got[f], f-lag, played[f-lag])
			}
			bad++
			if f >= len(got)-rate/2 {
				badTail++
			}
		}
	}
	if bad > 0 {
		t.Errorf("track %d: %d of %d frames differ from the played noise, %d of them in the last 500 ms", ch, bad, len(got)-lag, badTail)
	}
	t.Logf("track %d: playback began at frame %d (correlation %.6f); %d frames compared to the end, %d differ", ch, lag, corr, len(got)-lag, bad)
}
