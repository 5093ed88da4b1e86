//go:build linux

// These tests drive PortAudio on a JACK server, which podmark uses only on
// Linux; they also redirect fd 2 with dup(2).

package audio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/internal/testenv"
)

// jackPorts lists the JACK ports.
func jackPorts(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("jack_lsp").Output()
	if err != nil {
		t.Fatalf("jack_lsp: %v", err)
	}
	m := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m[strings.TrimSpace(l)] = true
	}
	return m
}

// jackDevice returns the PortAudio input device of the JACK host API.
func jackDevice(t *testing.T) (Device, []Device) {
	t.Helper()
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		t.Logf("%d\t%s\t%s\t%d\t%g default=%v", d.Index, d.Name, d.HostAPI, d.MaxInputChannels, d.DefaultRate, d.Default)
	}
	// The server's own capture ports are the client "system"; other JACK
	// clients with outputs (a player) are listed as devices too.
	for _, d := range devs {
		if d.Name == "system" && strings.Contains(d.HostAPI, "JACK") {
			return d, devs
		}
	}
	t.Fatalf("no JACK \"system\" input device among %d PortAudio input devices", len(devs))
	return Device{}, nil
}

// openJACK opens a 48 kHz input of the given channels on the JACK device
// and closes it when the test ends.
func openJACK(t *testing.T, jd Device, channels int) Source {
	t.Helper()
	src, err := OpenPortAudio(StreamConfig{Device: strconv.Itoa(jd.Index), Channels: channels, Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	})
	return src
}

func TestPortAudioDevices(t *testing.T) {
	testenv.JACK(t)
	jd, devs := jackDevice(t)
	if jd.MaxInputChannels < 2 || jd.DefaultRate != 48000 {
		t.Fatalf("JACK device %+v: want ≥2 inputs at 48000 Hz (jackd -d dummy -r 48000)", jd)
	}
	for _, spec := range []string{strconv.Itoa(jd.Index), jd.Name} {
		d, err := FindDevice(devs, spec)
		if err != nil || d.Index != jd.Index && spec != jd.Name {
			t.Fatalf("FindDevice(%q) = %+v, %v", spec, d, err)
		}
	}
	for _, spec := range []string{"9999", "no such microphone"} {
		_, err := FindDevice(devs, spec)
		if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), strings.TrimPrefix(spec, "")) {
			t.Fatalf("FindDevice(%q): %v", spec, err)
		}
	}
	if _, err := OpenPortAudio(StreamConfig{Device: "no such microphone", Channels: 1, Rate: 48000}); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "no such microphone") {
		t.Fatalf("unknown device: %v", err)
	}
	spec := strconv.Itoa(jd.Index)
	if _, err := OpenPortAudio(StreamConfig{Device: spec, Channels: 1, Rate: 22050}); !errors.Is(err, ErrBadRate) || !strings.Contains(err.Error(), "22050") {
		t.Fatalf("rate 22050: %v", err)
	}
	if _, err := OpenPortAudio(StreamConfig{Device: spec, Channels: 1, Rate: 44100}); !errors.Is(err, ErrBadRate) || !strings.Contains(err.Error(), "44100") {
		t.Fatalf("rate 44100 on a 48000 Hz JACK server: %v", err)
	}
	if _, err := OpenPortAudio(StreamConfig{Device: spec, Channels: jd.MaxInputChannels + 1, Rate: 48000}); !errors.Is(err, ErrBadChannels) {
		t.Fatalf("too many channels: %v", err)
	}
}

// TestPortAudioDevicesConcurrent: PortAudio's Initialize/Terminate are
// reference counted behind a mutex, so concurrent callers all succeed.
func TestPortAudioDevicesConcurrent(t *testing.T) {
	testenv.JACK(t)
	// Other JACK clients (a player another test runs) show up as devices
	// too, so the list may change; the server's own "system" must be there.
	hasSystem := func(devs []Device) bool {
		for _, d := range devs {
			if d.Name == "system" && strings.Contains(d.HostAPI, "JACK") {
				return true
			}
		}
		return false
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 3 {
				got, err := Devices()
				if err == nil && !hasSystem(got) {
					err = fmt.Errorf("no JACK system device among %+v", got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPortAudioHold: while a Hold is kept, listing devices and opening a
// stream reuse the one initialization (no Terminate in between, so no new
// scan of the host APIs); releasing it, twice even, terminates PortAudio
// once nothing else uses it.
func TestPortAudioHold(t *testing.T) {
	testenv.JACK(t)
	refs := func() int {
		paMu.Lock()
		defer paMu.Unlock()
		return paRefs
	}
	if n := refs(); n != 0 {
		t.Fatalf("PortAudio users before the test: %d", n)
	}
	release, err := Hold()
	if err != nil {
		t.Fatal(err)
	}
	if n := refs(); n != 1 {
		t.Fatalf("users while held: %d, want 1", n)
	}
	jd, _ := jackDevice(t)
	if n := refs(); n != 1 {
		t.Fatalf("users after Devices while held: %d, want 1 (PortAudio stayed initialized)", n)
	}
	src, err := OpenPortAudio(StreamConfig{Device: strconv.Itoa(jd.Index), Channels: 1, Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	if n := refs(); n != 2 {
		t.Fatalf("users with a stream open while held: %d, want 2", n)
	}
	for range 2 {
		if err := release(); err != nil {
			t.Fatal(err)
		}
	}
	if n := refs(); n != 1 {
		t.Fatalf("users after releasing the hold (twice) with the stream open: %d, want 1", n)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if n := refs(); n != 0 {
		t.Fatalf("users after the stream closed: %d, want 0", n)
	}
}

func TestPortAudioCaptureJACK(t *testing.T) {
	testenv.JACK(t)
	jd, _ := jackDevice(t)
	src := openJACK(t, jd, 2)
	if dev, host := src.Info(); dev != jd.Name || host != jd.HostAPI {
		t.Fatalf("Info = %q %q", dev, host)
	}
	paths := trackPaths(t.TempDir(), 2)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int24, Tracks: paths})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	// Position follows the stream clock between the writer's polls: never
	// behind the frames it took by more than a buffer, never ahead of them by
	// more than its wake-up period and a buffer, and advancing with the
	// (real-time) clock, not in steps of a buffer or a poll.
	// Each reading is bracketed by clock readings, so a test goroutine
	// descheduled between them widens the bounds instead of failing.
	frames := func(d time.Duration) int64 { return int64(d.Seconds() * 48000) }
	before := time.Now()
	p0 := rec.Position()
	after := time.Now()
	last := p0
	ahead := frames(writerIdle) + 2*4096
	for range 40 {
		t1 := time.Now()
		p, st := rec.Position(), rec.Stats()
		t2 := time.Now()
		if p < st.StreamFrames-4096 || p > st.StreamFrames+ahead {
			t.Fatalf("Position %d vs %d stream frames", p, st.StreamFrames)
		}
		lo, hi := p0+frames(t1.Sub(after))-1024, p0+frames(t2.Sub(before))+1024
		if p < last || p < lo || p > hi {
			t.Fatalf("Position %d, want it in [%d, %d] and not below %d", p, lo, hi, last)
		}
		last = p
		time.Sleep(7 * time.Millisecond)
	}
	time.Sleep(1350 * time.Millisecond)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	t.Logf("stats %+v", st)
	if st.Frames < 48000*3/2 || st.Frames > 48000*3 || st.Dropped != 0 || st.Frames != st.StreamFrames {
		t.Fatalf("2 s from JACK gave %+v", st)
	}
	for _, p := range paths {
		info, _, err := ReadWAVFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Frames != st.Frames || info.Rate != 48000 {
			t.Fatalf("%s: %+v", p, info)
		}
	}
}

// TestPortAudioRecordsPlayedAudio plays a known signal into PortAudio's JACK
// input with sndfile-jackplay and checks the recorded track holds it sample
// for sample at its true time: if the JACK server lost a period for us (an
// xrun on this shared 2-core machine), the silence the recorder inserted must
// be exactly as long as the loss, so the signal after it is not shifted.
func TestPortAudioRecordsPlayedAudio(t *testing.T) {
	testenv.JACK(t)
	testenv.Tool(t, "sndfile-jackplay")
	jd, _ := jackDevice(t)
	dir := t.TempDir()
	// 2 s of a pseudo-random signal on the 24-bit grid, played from a float
	// file so libsndfile hands JACK the values unchanged.
	sig := make([]float32, 2*48000)
	x := uint32(12345)
	for i := range sig {
		x = x*1664525 + 1013904223
		sig[i] = float32(int32(x>>9)-(1<<22)) / (1 << 23) // ±0.5 on the 24-bit grid
	}
	play := dir + "/play.wav"
	if err := WriteWAVFile(play, WriterOptions{Rate: 48000, Channels: 1, Format: Float32}, sig); err != nil {
		t.Fatal(err)
	}
	// Other processes may have PortAudio JACK clients too (named PortAudio,
	// PortAudio-01, …): ours is the one whose input port appears now.
	before := jackPorts(t)
	src := openJACK(t, jd, 1)
	paths := trackPaths(dir, 1)
	var glitches glitchLog
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 1, Rate: 48000, Format: Int24, Tracks: paths, OnGlitch: glitches.add})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	port := ""
	for p := range jackPorts(t) {
		if strings.HasPrefix(p, "PortAudio") && strings.HasSuffix(p, ":in_0") && !before[p] {
			port = p
		}
	}
	if port == "" {
		t.Fatal("cannot find this process's PortAudio input port in jack_lsp")
	}
	out, err := exec.Command("sndfile-jackplay", "--autoconnect="+port, play).CombinedOutput()
	if err != nil {
		t.Fatalf("sndfile-jackplay: %v\n%s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	gl := glitches.list()
	t.Logf("stats %+v, glitches %v", st, gl)
	_, got, err := ReadWAVFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	inGlitch := func(f int) bool {
		for _, g := range gl {
			if int64(f) >= g[0] && int64(f) < g[0]+g[1] {
				return true
			}
		}
		return false
	}
	// Find where the signal lies in the recording from its first 64
	// recorded samples (the connection may miss the very first ones).
	first := -1
	for i, v := range got {
		if v != 0 {
			first = i
			break
		}
	}
	if first < 0 || first+64 > len(got) {
		t.Fatalf("no played audio in %d recorded frames", len(got))
	}
	off := -1
	for s := 0; s+64 <= len(sig) && off < 0; s++ {
		match := true
		for k := range 64 {
			if got[first+k] != sig[s+k] {
				match = false
				break
			}
		}
		if match {
			off = s
		}
	}
	if off < 0 {
		t.Fatalf("recorded audio at frame %d is not the played signal: %v…", first, got[first:first+4])
	}
	if off > 48000/2 {
		t.Fatalf("the first %d frames of the signal were not captured", off)
	}
	n := len(sig) - off
	if first+n > len(got) {
		t.Fatalf("recording ends %d frames before the played signal does", first+n-len(got))
	}
	// An xrun disturbs every JACK client, the player included: the period
	// or two around a gap may hold what the player had in its buffer. Those
	// frames are only counted; everywhere else the signal must be at its
	// true time.
	nearGlitch := func(f int) bool {
		for _, g := range gl {
			if int64(f) >= g[0]-2048 && int64(f) < g[0]+g[1]+2048 {
				return true
			}
		}
		return false
	}
	lost, disturbed := 0, 0
	for k := range n {
		f := first + k
		if got[f] != sig[off+k] && !inGlitch(f) && nearGlitch(f) {
			disturbed++
			continue
		}
		if inGlitch(f) {
			if got[f] != 0 {
				t.Fatalf("frame %d inside a reported glitch is not silent", f)
			}
			lost++
			continue
		}
		if got[f] != sig[off+k] {
			for _, at := range []int{f, f + 1024, f + 2048, f + 3072, f + 4096} {
				for s := 0; s+32 <= len(sig) && at+32 <= len(got); s++ {
					m := true
					for j := range 32 {
						if got[at+j] != sig[s+j] {
							m = false
							break
						}
					}
					if m {
						t.Logf("recorded frame %d is signal frame %d (shift %d)", at, s, at-first-(s-off))
						break
					}
				}
			}
			t.Fatalf("recorded frame %d = %v, played %v (signal frame %d); glitches %v", f, got[f], sig[off+k], off+k, gl)
		}
	}
	if lost > 48000/4 {
		t.Fatalf("%d signal frames lost to xruns", lost)
	}
	if st.Dropped != 0 && len(gl) == 0 {
		t.Fatalf("dropped %d frames without a glitch", st.Dropped)
	}
	last := -1
	for i, v := range got[first+n:] {
		if v != 0 {
			last = i
		}
	}
	// sndfile-jackplay fills the rest of its last JACK period with stale
	// samples; anything later is not from the signal.
	if last >= 1024 {
		t.Fatalf("non-silent audio %d frames after the played signal ended", last)
	}
	t.Logf("signal frames %d..%d recorded at their true time from frame %d (%d lost to xruns, %d disturbed next to them)", off, len(sig), first, lost, disturbed)
}

// TestPortAudioCallbackAllocs checks the whole Go side of the real capture
// path — the writer's reads of the capture queue, the ADC clock, the
// meters and atomics — allocates nothing: the process makes (almost) no
// allocations while a meter-only Recorder runs on the JACK device.
func TestPortAudioCallbackAllocs(t *testing.T) {
	testenv.JACK(t)
	jd, _ := jackDevice(t)
	src := openJACK(t, jd, 2)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int24})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f0 := rec.Stats().StreamFrames
	time.Sleep(2 * time.Second)
	runtime.ReadMemStats(&b)
	callbacks := (rec.Stats().StreamFrames - f0) / 1024
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	mallocs := b.Mallocs - a.Mallocs
	t.Logf("%d callbacks, %d allocations in the whole process", callbacks, mallocs)
	if callbacks < 40 {
		t.Fatalf("only %d callbacks in 2 s", callbacks)
	}
	if mallocs > uint64(callbacks)/4 {
		t.Fatalf("%d allocations during %d callbacks", mallocs, callbacks)
	}
}

// TestPortAudioJACKServerGone records from a private JACK server (started by
// the test, so the shared one is left alone) and stops it (SIGTERM): the recorder must
// report ErrDeviceLost after the stall timeout, with everything recorded up
// to then in a finalized file, and neither Stop nor Close may hang.
//
// PortAudio's JACK host then keeps waiting (ten minutes) inside
// Pa_StopStream, and until it returns this process cannot open PortAudio
// again, so this must stay the last PortAudio test of the package.
// captureStderr runs f with file descriptor 2 redirected into a pipe and
// returns what was written to it (by C libraries as well as Go).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r)
		got <- b.String()
	}()
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if err := syscall.Dup3(saved, 2, 0); err != nil {
				panic(err) // stderr is gone: nothing sensible left to do
			}
		}()
		f()
	}()
	if err := errors.Join(syscall.Close(saved), w.Close()); err != nil {
		t.Fatal(err)
	}
	out := <-got
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPortAudioQuiet: PortAudio's device scan (Pa_Initialize probes every
// ALSA PCM and tries to reach a JACK server) prints nothing on stderr, with
// and without a JACK server to reach, while real failures are still returned.
// It must run before TestPortAudioJACKServerGone, which leaves PortAudio
// unusable in this process.
func TestPortAudioQuiet(t *testing.T) {
	testenv.JACK(t)
	var devs []Device
	var err error
	out := captureStderr(t, func() { devs, err = Devices() })
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("Devices() = %d devices, wrote to stderr:\n%s", len(devs), out)
	}
	// No server under this name: libjack's "Cannot connect to server socket"
	// and friends must not reach stderr either.
	t.Setenv("JACK_DEFAULT_SERVER", "podmark-no-such-server")
	t.Setenv("JACK_NO_START_SERVER", "1")
	out = captureStderr(t, func() { devs, err = Devices() })
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if strings.Contains(d.HostAPI, "JACK") {
			t.Fatalf("JACK device %+v listed without a server", d)
		}
	}
	if strings.Contains(out, "ALSA lib") || strings.Contains(out, "JACK") || strings.Contains(out, "jack") || strings.TrimSpace(out) != "" {
		t.Fatalf("Devices() without a JACK server wrote to stderr:\n%s", out)
	}
	// Silencing the libraries hides no failure PortAudio reports.
	_, err = OpenPortAudio(StreamConfig{Device: "no such microphone", Channels: 1, Rate: 48000})
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("OpenPortAudio(no such microphone) = %v, want ErrNoDevice", err)
	}
}

func TestPortAudioJACKServerGone(t *testing.T) {
	testenv.Tool(t, "jackd")
	// A fixed name: jackd reclaims a dead server's registry slot only for the
	// same name (JACK allows 8 servers), and the cleanup below frees it.
	const name = "podmark-audio-test"
	jackd := exec.Command("jackd", "-n", name, "-d", "dummy", "-r", "48000", "-p", "1024")
	var jackdOut bytes.Buffer
	jackd.Stdout, jackd.Stderr = &jackdOut, &jackdOut
	if err := jackd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = jackd.Process.Kill() // already gone when the test got that far
		_ = jackd.Wait()
		// Our PortAudio client never got to close: remove its semaphore.
		sems, _ := filepath.Glob("/dev/shm/jack_sem.*_" + name + "_*")
		for _, p := range sems {
			if err := os.Remove(p); err != nil {
				t.Log(err)
			}
		}
	}()
	t.Setenv("JACK_DEFAULT_SERVER", name)
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("jack_lsp").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("private jackd %q did not start:\n%s", name, jackdOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	jd, _ := jackDevice(t)
	src, err := OpenPortAudio(StreamConfig{Device: strconv.Itoa(jd.Index), Channels: 2, Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	paths := trackPaths(t.TempDir(), 2)
	rec, err := NewRecorder(RecorderConfig{Source: src, Channels: 2, Rate: 48000, Format: Int16, Tracks: paths, StallTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := jackd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	lostAt := rec.Stats().StreamFrames
	select {
	case <-rec.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("recorder did not notice the JACK server going away")
	}
	if !errors.Is(rec.Err(), ErrDeviceLost) {
		t.Fatalf("Err = %v", rec.Err())
	}
	lostT := time.Now()
	finished := make(chan error, 1)
	go func() { finished <- errors.Join(rec.Stop(), src.Close()) }()
	select {
	case err := <-finished:
		t.Logf("Stop+Close after the server died: %v (%v)", err, time.Since(lostT))
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("Stop/Close hang after the JACK server died:\n%s", buf[:runtime.Stack(buf, true)])
	}
	st := rec.Stats()
	if st.Frames < lostAt || st.Frames < 48000/2 {
		t.Fatalf("stats %+v (had %d frames when the server was killed)", st, lostAt)
	}
	for _, p := range paths {
		info, _, err := ReadWAVFile(p)
		if err != nil || info.Frames != st.Frames {
			t.Fatalf("%s: %+v %v, want %d frames", p, info, err, st.Frames)
		}
		if rep, err := RepairWAV(p); err != nil || rep.Changed {
			t.Fatalf("%s was not finalized: %+v %v", p, rep, err)
		}
	}
}
