//go:build linux

// These tests record from JACK and read its cycle times on
// CLOCK_MONOTONIC_RAW (clock_gettime), which exist on Linux only.

package main

// End-to-end test of `podmark record` on the real stack: JACK (dummy driver,
// 48 kHz, 1024-frame periods, paced by the system clock) → PortAudio's JACK
// host API → podmark → session folder. Run `. scripts/services.sh` first.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

func TestE2ERecordJACK(t *testing.T) {
	requireJACK(t)
	requireTool(t, "espeak-ng", "sox")
	bin := podmarkBin(t)
	dev, maxCh := jackDevice(t, bin)
	if maxCh < 1 {
		t.Fatalf("JACK device %s has %d input channels", dev, maxCh)
	}
	work := t.TempDir()
	speechFile, played := makeSpeech(t, work,
		"Welcome to episode forty eight of the podmark test show. Today we talk about crash safe recording, "+
			"sample accurate markers, and why every frame matters. Thanks for listening.")
	if len(played) < 5*48000 {
		t.Fatalf("speech is only %d frames", len(played))
	}

	// 1. podmark records the JACK device.
	dir := filepath.Join(work, "session")
	before := jackPorts(t)
	child := startRecordChild(t, bin, "--out", dir, "--device", dev, "--channels", "1", "--rate", "48000", "--bits", "24", "--host", "e2e", "--title", "E2E")
	rec, stdin, acks, stderr := child.cmd, child.stdin, child.acks, child.stderr
	defer rec.Process.Kill()
	inPort := waitNewPort(t, before, "", ":in_0", 10*time.Second)
	paClient := strings.TrimSuffix(inPort, ":in_0")
	t.Logf("podmark's JACK input port: %s", inPort)

	// 2. sndfile-jackplay --wait loads the speech and waits for Enter; we
	// connect it to podmark's input first, so no sample can be missed.
	play := startJackPlayer(t, speechFile, inPort)
	t.Logf("connected %s -> %s (client %s)", play.Port, inPort, paClient)
	time.Sleep(300 * time.Millisecond)

	// 3. Start playback at a known instant, 2 ms after a JACK cycle began,
	// and send markers at known moments after it (see step 6).
	cycle := jackCycleStart(t)
	bufStart, goMono := waitCyclePhase(t, cycle, 2000)
	goAt := time.Now()
	if err := play.Play(); err != nil {
		t.Fatal(err)
	}
	offsets := []time.Duration{1000 * time.Millisecond, 2300 * time.Millisecond, 3700 * time.Millisecond, 5100 * time.Millisecond}
	type sent struct {
		d    time.Duration // send time - goAt
		mono int64         // send time, CLOCK_MONOTONIC_RAW µs
		ack  Ack
	}
	var sends []sent
	for i, off := range offsets {
		time.Sleep(time.Until(goAt.Add(off)))
		at, atMono := time.Now(), monoMicros()
		if _, err := fmt.Fprintf(stdin, "topic Marker %d\n", i+1); err != nil {
			t.Fatal(err)
		}
		select {
		case a, ok := <-acks:
			if !ok {
				t.Fatalf("podmark closed stdout; stderr:\n%s", stderr.String())
			}
			sends = append(sends, sent{d: at.Sub(goAt), mono: atMono, ack: a})
		case <-time.After(5 * time.Second):
			t.Fatalf("no ack for marker %d; stderr:\n%s", i+1, stderr.String())
		}
	}
	playDone := make(chan error, 1)
	go func() { playDone <- play.Wait() }()
	select {
	case <-playDone:
	case <-time.After(30 * time.Second):
		t.Fatal("sndfile-jackplay did not finish")
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := io.WriteString(stdin, "stop\n"); err != nil {
		t.Fatal(err)
	}
	if err, ok := child.wait(20 * time.Second); !ok {
		t.Fatalf("podmark record did not stop; stderr:\n%s", stderr.String())
	} else if err != nil {
		t.Fatalf("podmark record: %v\nstderr:\n%s", err, stderr.String())
	}

	// 4. The session: stopped, nothing dropped.
	meta, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != session.StateStopped || meta.HostAPI != jackHostAPI || meta.Rate != 48000 || meta.Bits != "24" {
		t.Errorf("session.json: state %s, host API %q, rate %d, bits %s", meta.State, meta.HostAPI, meta.Rate, meta.Bits)
	}
	if meta.Dropped != 0 || meta.Glitches != 0 {
		t.Errorf("dropped %d frames in %d glitches, want none; stderr:\n%s", meta.Dropped, meta.Glitches, stderr.String())
	}
	info, got, err := audio.ReadWAVFile(filepath.Join(dir, "tracks", "e2e-1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != meta.Frames || info.Format != audio.Int24 || info.Channels != 1 {
		t.Errorf("track %+v, session.json frames %d", info, meta.Frames)
	}

	// 5. The played audio is in the recording sample for sample. Both files
	// are 24-bit: the speech file's samples pass JACK as float32 (exact for
	// 24-bit values) and are quantized back to 24 bits, so each recorded
	// sample may differ by the rounding of the float→int24 conversion,
	// at most one LSB (2^-23); we allow 2 LSB.
	lag, corr := findOffset(got, played)
	if lag < 0 || corr < 0.999 {
		t.Fatalf("played speech not found in the recording (best lag %d, correlation %.4f)", lag, corr)
	}
	const tol = 2.0 / (1 << 23)
	bad, maxDiff := 0, 0.0
	for i, v := range played {
		d := math.Abs(float64(got[lag+i]) - float64(v))
		maxDiff = max(maxDiff, d)
		if d > tol {
			if bad < 5 {
				t.Errorf("played sample %d = %.8f, recorded frame %d = %.8f", i, v, lag+i, got[lag+i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d played samples differ by more than %.2g", bad, len(played), tol)
	}
	t.Logf("played speech at frame %d (correlation %.6f), %d samples, max difference %.3g", lag, corr, len(played), maxDiff)

	// 6. Markers. The reference is the played audio itself, placed on the
	// wall clock through JACK's own cycle times:
	//  - cross-correlation put played sample 0 at recorded frame `lag`;
	//  - jack_showtime gave the CLOCK_MONOTONIC_RAW start time of a JACK cycle
	//    (the dummy driver runs a cycle every 1024 frames = 21.333 ms), so we
	//    know every cycle's start; Enter went to sndfile-jackplay 2 ms after
	//    the cycle that began at bufStart, so playback starts in the next
	//    cycle (19 ms later leaves ample time for it to read the key);
	//  - the buffer a cycle processes holds the audio of the period before
	//    it (that is what a capture device delivers and what PortAudio's ADC
	//    time means), so played sample 0 is the audio "heard" at bufStart.
	// A marker sent at time T therefore belongs at frame
	// lag + (T - bufStart)·rate, give or take the scheduling jitter of the
	// cycles (well under a millisecond on an idle machine). The limit is
	// 30 ms. The log also shows the error in the other convention (sample 0
	// "heard" when its cycle ran, one period later).
	t.Logf("play start: Enter sent %.2f ms after the cycle at %d µs", float64(goMono-bufStart)/1000, bufStart)
	doc, err := session.LoadDoc(dir)
	if err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]int64{}
	for _, m := range doc.Markers {
		inDoc[m.ID] = m.Sample
	}
	for i, s := range sends {
		want := float64(lag) + float64(s.mono-bufStart)*48000/1e6
		errMS := (float64(s.ack.Sample) - want) / 48
		t.Logf("marker %d sent %v after play start: sample %d, expected %.0f, error %+.1f ms (%+.1f ms if sample 0 counted from its cycle)",
			i+1, s.d.Round(time.Millisecond), s.ack.Sample, want, errMS, errMS+1024.0/48)
		if math.Abs(errMS) > 30 {
			t.Errorf("marker %d is %.1f ms from when it was sent (limit 30 ms)", i+1, errMS)
		}
		if got, ok := inDoc[s.ack.ID]; !ok || got != s.ack.Sample {
			t.Errorf("marker %d (%s) in the session: %v at %d, acknowledged at %d", i+1, s.ack.ID, ok, got, s.ack.Sample)
		}
		if s.ack.At != float64(s.ack.Sample)/48000 {
			t.Errorf("marker %d: at %v, sample %d", i+1, s.ack.At, s.ack.Sample)
		}
	}
	if t.Failed() {
		t.Logf("podmark stderr:\n%s", stderr.String())
	}
}

// A device that does not exist, too many channels for the JACK device, or
// a rate the device does not run at: exit 2, a clear message, no folder.
func TestE2ERecordBadDeviceCreatesNothing(t *testing.T) {
	requireJACK(t)
	bin := podmarkBin(t)
	dev, maxCh := jackDevice(t, bin)
	dir := filepath.Join(t.TempDir(), "s")
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--device", "987"}, "no input device with index 987"},
		{[]string{"--device", "No Such Mic"}, "no input device named"},
		{[]string{"--device", dev, "--channels", strconv.Itoa(maxCh + 1)}, "channels"},
		{[]string{"--device", dev, "--rate", "44100"}, "44100"},
	}
	for _, tt := range tests {
		cmd := exec.Command(bin, append([]string{"record", "--out", dir}, tt.args...)...)
		cmd.Stdin = strings.NewReader("stop\n")
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("record %q: %v, want exit status 2; stderr:\n%s", tt.args, err, stderr.String())
		}
		if !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("record %q: stderr does not mention %q:\n%s", tt.args, tt.msg, stderr.String())
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("record %q left %s behind", tt.args, dir)
		}
	}
}

// jackPeriodUS is the JACK dummy driver's period (1024 frames at 48 kHz) in µs.
const jackPeriodUS = 1024 * 1e6 / 48000

// monoMicros reads CLOCK_MONOTONIC_RAW in microseconds, the clock JACK 2
// stamps its cycles with (jack_get_time; it differs from CLOCK_MONOTONIC by
// the NTP slewing since boot).
func monoMicros() int64 {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 4 /* CLOCK_MONOTONIC_RAW */, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return ts.Nano() / 1000
}

var showtimeUsecs = regexp.MustCompile(`usecs = (\d+)`)

// jackCycleStart returns the CLOCK_MONOTONIC_RAW time (µs) at which a recent
// JACK cycle started, from jack_showtime (it prints the current cycle's
// start time, jack_position_t.usecs, many times a cycle). It checks that the
// times it saw are a whole number of periods apart and match our clock.
func jackCycleStart(t *testing.T) float64 {
	t.Helper()
	requireTool(t, "jack_showtime", "stdbuf")
	cmd := exec.Command("stdbuf", "-o0", "jack_showtime") // unbuffered: we time the lines
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var starts []int64
	var readAt int64
	sc := bufio.NewScanner(out)
	sc.Split(scanTabsOrLines)
	deadline := time.Now().Add(2 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) && len(starts) < 8 {
		m := showtimeUsecs.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		u, _ := strconv.ParseInt(m[1], 10, 64)
		if len(starts) == 0 || u != starts[len(starts)-1] {
			starts = append(starts, u)
			readAt = monoMicros()
		}
	}
	if len(starts) < 4 {
		t.Fatalf("jack_showtime printed %d cycle times", len(starts))
	}
	last := starts[len(starts)-1]
	for _, u := range starts[1:] {
		k := float64(last-u) / jackPeriodUS
		if math.Abs(k-math.Round(k)) > 0.1 {
			t.Fatalf("JACK cycle times %v are not whole periods of %.0f µs apart", starts, jackPeriodUS)
		}
	}
	if d := readAt - last; d < 0 || float64(d) > 2*jackPeriodUS+5000 {
		t.Fatalf("jack_showtime cycle time %d µs is %d µs from CLOCK_MONOTONIC_RAW: not the same clock", last, d)
	}
	return float64(last)
}

// scanTabsOrLines splits jack_showtime's output, whose records end in a
// tab or a newline.
func scanTabsOrLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\t' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// waitCyclePhase sleeps until phaseUS after the start of a JACK cycle (cycle
// is any cycle start) and returns that cycle's start and the time reached
// (both CLOCK_MONOTONIC_RAW µs). It retries when the scheduler woke it too late.
func waitCyclePhase(t *testing.T, cycle float64, phaseUS float64) (start, now int64) {
	t.Helper()
	for try := 0; try < 50; try++ {
		n := math.Ceil((float64(monoMicros()) - cycle) / jackPeriodUS)
		target := cycle + (n+1)*jackPeriodUS + phaseUS
		for {
			d := target - float64(monoMicros())
			if d <= 0 {
				break
			}
			if d > 2000 {
				time.Sleep(time.Duration(d-1500) * time.Microsecond)
			}
		}
		now = monoMicros()
		k := math.Floor((float64(now) - cycle) / jackPeriodUS)
		start = int64(math.Round(cycle + k*jackPeriodUS))
		if late := float64(now-start) - phaseUS; late >= 0 && late < 3000 {
			return start, now
		}
	}
	t.Fatal("could not reach a point just after a JACK cycle start (machine too busy)")
	return 0, 0
}
