package main

// Shared helpers for the end-to-end tests of this package. They run the real
// podmark binary against the real stack (JACK dummy driver, Xvfb), which
// scripts/services.sh starts. All real-stack tests live in this package and do
// not call t.Parallel, so they never fight over JACK ports or the display.

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// podmarkBin builds the podmark binary once per test run and returns its path.
func podmarkBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "podmark-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "podmark")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build podmark: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// requireTool, requireJACK and requireDisplay end the test when what it
// needs outside Go is missing: they fail it in CI and skip it elsewhere
// (internal/testenv).
func requireTool(t testing.TB, names ...string) { t.Helper(); testenv.Tool(t, names...) }

// requireJACK needs a JACK server that answers, and the JACK tools.
func requireJACK(t testing.TB) {
	t.Helper()
	testenv.Tool(t, "jack_lsp", "jack_connect", "sndfile-jackplay")
	testenv.JACK(t)
}

// requireDisplay needs an X display that answers.
func requireDisplay(t testing.TB) { t.Helper(); testenv.Display(t) }

const jackHostAPI = "JACK Audio Connection Kit"

// jackPorts lists the JACK ports.
func jackPorts(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("jack_lsp").Output()
	if err != nil {
		t.Fatalf("jack_lsp: %v", err)
	}
	ports := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ports[l] = true
		}
	}
	return ports
}

// waitNewPort waits until a port not in before whose name ends with suffix
// and starts with prefix appears, and returns it.
func waitNewPort(t *testing.T, before map[string]bool, prefix, suffix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for p := range jackPorts(t) {
			if !before[p] && strings.HasPrefix(p, prefix) && strings.HasSuffix(p, suffix) {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no new JACK port %s*%s after %v; ports: %v", prefix, suffix, timeout, jackPorts(t))
	return ""
}

// jackDevice finds the PortAudio JACK input device in `podmark devices`.
func jackDevice(t *testing.T, bin string) (index string, maxCh int) {
	t.Helper()
	out, err := exec.Command(bin, "devices").Output()
	if err != nil {
		t.Fatalf("podmark devices: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			t.Fatalf("podmark devices line %q: want 5 tab-separated fields", l)
		}
		if f[2] == jackHostAPI {
			n, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("podmark devices line %q: channels: %v", l, err)
			}
			return f[0], n
		}
	}
	t.Fatalf("no %q device in podmark devices:\n%s", jackHostAPI, out)
	return "", 0
}

// makeSpeech synthesizes speech with espeak-ng and converts it to 48 kHz
// 24-bit mono with sox; it returns the file and its samples.
func makeSpeech(t *testing.T, dir, text string) (string, []float32) {
	t.Helper()
	raw := filepath.Join(dir, "speech-22k.wav")
	if out, err := exec.Command("espeak-ng", "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	wav := filepath.Join(dir, "speech-48k.wav")
	if out, err := exec.Command("sox", raw, "-r", "48000", "-b", "24", "-c", "1", wav).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	info, samples, err := audio.ReadWAVFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rate != 48000 || info.Channels != 1 {
		t.Fatalf("speech file: %+v, want 48000 Hz mono", info)
	}
	return wav, samples
}

// findOffset returns the lag L maximizing the normalized cross-correlation
// of a loud window of played against rec[L+...], searching every lag in
// [0, len(rec)-len(played)] (plain time domain; the range is a few seconds).
func findOffset(rec, played []float32) (int, float64) {
	const win = 2048
	// The loudest window of the played signal makes the peak unambiguous.
	best, bestE := 0, 0.0
	for s := 0; s+win <= len(played); s += win / 2 {
		e := 0.0
		for _, v := range played[s : s+win] {
			e += float64(v) * float64(v)
		}
		if e > bestE {
			best, bestE = s, e
		}
	}
	ref := played[best : best+win]
	lag, peak := -1, -2.0
	for l := 0; l+len(played) <= len(rec); l++ {
		seg := rec[l+best : l+best+win]
		var xy, yy float64
		for i, v := range seg {
			xy += float64(v) * float64(ref[i])
			yy += float64(v) * float64(v)
		}
		if yy == 0 {
			continue
		}
		if c := xy / math.Sqrt(yy*bestE); c > peak {
			lag, peak = l, c
		}
	}
	return lag, peak
}

// lockedBuffer collects a child's output; safe for the exec package's
// copying goroutine and the test reading it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// jackPlayer is sndfile-jackplay holding a file (-w), its output connected
// to the given JACK input ports, waiting for Play so no sample is missed.
type jackPlayer struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	Port string // its output port
}

// startJackPlayer starts sndfile-jackplay on file and connects its output to
// every port in inPorts. The process is killed when the test ends.
func startJackPlayer(t *testing.T, file string, inPorts ...string) *jackPlayer {
	t.Helper()
	before := jackPorts(t)
	cmd := exec.Command("sndfile-jackplay", "-w", file)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	p := &jackPlayer{cmd: cmd, in: in, Port: waitNewPort(t, before, "jackplay", ":out_1", 10*time.Second)}
	for _, port := range inPorts {
		if out, err := exec.Command("jack_connect", p.Port, port).CombinedOutput(); err != nil {
			t.Fatalf("jack_connect %s %s: %v\n%s", p.Port, port, err, out)
		}
	}
	return p
}

// Play starts playback (sndfile-jackplay -w waits for Enter).
func (p *jackPlayer) Play() error {
	_, err := io.WriteString(p.in, "\n")
	return err
}

// Wait waits for the player to finish the file.
func (p *jackPlayer) Wait() error { return p.cmd.Wait() }

// recordChild is a `podmark record` child process: its stdin for marker
// commands, its acknowledgements decoded from stdout, and its stderr.
type recordChild struct {
	*child
	stdin io.WriteCloser
	acks  chan Ack // closed when stdout ends
}

// startRecordChild starts `podmark record args...`. A stdout line that is not
// an acknowledgement fails the test.
func startRecordChild(t *testing.T, bin string, args ...string) *recordChild {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"record"}, args...)...)
	c := &recordChild{acks: make(chan Ack, 256)}
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	c.child = startChild(t, cmd, func(b []byte) {
		var a Ack
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("ack line %q: %v", b, err)
			return
		}
		c.acks <- a
	}, func() { close(c.acks) })
	return c
}
