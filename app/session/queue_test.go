package session

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/internal/testenv"
	"github.com/podmark/podmark/markers"
)

// jackDevice returns the index of PortAudio's JACK input (the JACK server of
// scripts/services.sh must be running).
func jackDevice(t *testing.T) string {
	t.Helper()
	testenv.JACK(t)
	devs, err := audio.Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if strings.Contains(d.HostAPI, "JACK") && d.MaxInputChannels >= 2 {
			return strconv.Itoa(d.Index)
		}
	}
	t.Fatalf("no JACK input device in %+v: start the JACK server (. scripts/services.sh)", devs)
	return ""
}

// jackPortSet lists the JACK ports.
func jackPortSet(t *testing.T) map[string]bool {
	t.Helper()
	testenv.JACK(t)
	out, err := exec.Command("jack_lsp").Output()
	if err != nil {
		t.Fatalf("jack_lsp: %v", err)
	}
	ports := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		ports[l] = true
	}
	return ports
}

// playNoise loops stereo pink noise from sndfile-jackplay into the two
// input ports that appeared since before (a PortAudio stream's), until the
// test ends.
func playNoise(t *testing.T, before map[string]bool) {
	t.Helper()
	noise := filepath.Join(t.TempDir(), "noise.wav")
	if out, err := exec.Command("sox", "-n", "-r", "48000", "-c", "2", "-b", "24", noise, "synth", "5", "pinknoise", "vol", "0.3").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	var in []string
	for p := range jackPortSet(t) {
		if !before[p] && (strings.HasSuffix(p, ":in_0") || strings.HasSuffix(p, ":in_1")) {
			in = append(in, p)
		}
	}
	slices.Sort(in)
	player := exec.Command("sndfile-jackplay", "-l", "0", noise)
	if err := player.Start(); err != nil {
		t.Fatalf("sndfile-jackplay: %v", err)
	}
	t.Cleanup(func() { player.Process.Kill(); player.Wait() })
	var out []string
	for range 100 {
		out = out[:0]
		for p := range jackPortSet(t) {
			if !before[p] && strings.HasPrefix(p, "jackplay") && strings.Contains(p, ":out_") {
				out = append(out, p)
			}
		}
		if len(out) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	slices.Sort(out)
	if len(in) != 2 || len(out) != 2 {
		t.Fatalf("JACK ports: stream inputs %v, player outputs %v", in, out)
	}
	for i := range 2 {
		if o, err := exec.Command("jack_connect", out[i], in[i]).CombinedOutput(); err != nil {
			t.Fatalf("jack_connect %s %s: %v\n%s", out[i], in[i], err, o)
		}
	}
}

// TestCaptureQueueSnapshotRecovers records played noise from the real JACK
// device with the capture queue in a file, pauses and resumes, pauses
// again, then takes a copy of the queue and the session folder, as a kill
// would leave them. Recover on the copy writes out the queue, and the
// copy's tracks then equal the live recording's first frames exactly, up
// to where the open pause began: the replay wrote what the writer wrote,
// pauses included. A clean stop deletes the live queue.
func TestCaptureQueueSnapshotRecovers(t *testing.T) {
	qdir := t.TempDir()
	before := jackPortSet(t)
	cfg := Config{Dir: filepath.Join(t.TempDir(), "live"), Host: "jack", Device: jackDevice(t), Channels: 2,
		Rate: testRate, Format: audio.Int24, QueueDir: qdir}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := s.Meta().CaptureQueue
	if q == nil || filepath.Dir(q.File) != qdir || len(q.Tag) != 32 {
		t.Fatalf("capture queue %+v, want a file in %s", q, qdir)
	}
	if _, err := os.Stat(q.File); err != nil {
		t.Fatal(err)
	}
	playNoise(t, before)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	m, err := s.Mark(markers.Topic, "before the copy")
	if err != nil {
		t.Fatal(err)
	}
	// Paused when the copy is taken: the replay must leave out what the
	// queue captured since the pause began, as the writer did.
	time.Sleep(200 * time.Millisecond)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	// Recover on the live session refuses and touches nothing.
	if _, err := Recover(cfg.Dir); !errors.Is(err, audio.ErrQueueBusy) {
		t.Fatalf("recover while recording: %v", err)
	}
	if lm, err := Load(cfg.Dir); err != nil || lm.State != StatePaused || len(lm.Recovery) != 0 {
		t.Fatalf("recover while recording changed session.json: %+v %v", lm, err)
	}
	// The queue first: the tracks copied after it hold at least what its
	// last commit says they do.
	qb, err := os.ReadFile(q.File)
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	if err := os.CopyFS(snap, os.DirFS(cfg.Dir)); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	// The writer lags the stream; Position does not.
	if pos, written := s.Position(), s.Frames(); pos < written || pos > written+testRate*3/2 {
		t.Fatalf("position %d while %d frames are written", pos, written)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if pos, st := s.Position(), s.Status(); pos != st.Frames || st.Position != pos {
		t.Fatalf("stopped: position %d, status %+v", pos, st)
	}
	if _, err := os.Stat(q.File); !os.IsNotExist(err) {
		t.Fatalf("the queue of a stopped session is still there: %v", err)
	}

	snapQueue := filepath.Join(t.TempDir(), filepath.Base(q.File))
	if err := os.WriteFile(snapQueue, qb, 0o600); err != nil {
		t.Fatal(err)
	}
	sm, err := Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	if sm.State != StatePaused || len(sm.Pauses) != 2 || sm.Pauses[0].Skipped == 0 || !sm.Pauses[1].EndUTC.IsZero() {
		t.Fatalf("the copy: state %s, pauses %+v", sm.State, sm.Pauses)
	}
	sm.CaptureQueue.File = snapQueue
	if err := WriteMeta(snap, sm); err != nil {
		t.Fatal(err)
	}
	// With the tracks out of reach the queue cannot be written out: the
	// session stays unfinished and the queue stays, for another run.
	hidden := filepath.Join(t.TempDir(), "tracks")
	if err := os.Rename(filepath.Join(snap, TracksDir), hidden); err != nil {
		t.Fatal(err)
	}
	if _, err := Recover(snap); err == nil {
		t.Fatal("recover without the tracks succeeded")
	}
	if m, err := Load(snap); err != nil || m.State != StatePaused {
		t.Fatalf("after a recover that could not write out the queue: state %s, %v", m.State, err)
	}
	if _, err := os.Stat(snapQueue); err != nil {
		t.Fatalf("a recover that failed removed the queue: %v", err)
	}
	if err := os.Rename(hidden, filepath.Join(snap, TracksDir)); err != nil {
		t.Fatal(err)
	}
	rep, err := Recover(snap)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queue == nil || rep.Queue.Buffers == 0 || rep.Frames != sm.Pauses[1].At || rep.State != StateRecovered {
		t.Fatalf("recover: %+v, queue %+v", rep, rep.Queue)
	}
	if _, err := os.Stat(snapQueue); !os.IsNotExist(err) {
		t.Fatalf("the written-out queue is still there: %v", err)
	}
	if sum := RecoverSummary(rep); !strings.Contains(sum, "capture queue "+snapQueue+": ") {
		t.Fatalf("the summary does not say what came from the queue:\n%s", sum)
	}
	// All but the period JACK had in flight (1024 frames with
	// scripts/services.sh) when the copy was taken.
	if rep.Frames < m.Sample-2400 {
		t.Fatalf("the copy recovered %d frames, but a marker acknowledged before it was at %d", rep.Frames, m.Sample)
	}
	live, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range live.Tracks {
		a, b := readTrack(t, cfg.Dir, tr), readTrack(t, snap, sm.Tracks[i])
		if int64(len(b)) != rep.Frames || len(b) > len(a) || !slices.Equal(a[:len(b)], b) {
			t.Fatalf("%s: the recovered copy (%d frames) is not the start of the recording (%d frames)", tr.File, len(b), len(a))
		}
		// The noise is there up to the end of the copy. Either sign: pink
		// noise stays below +0.05 for 10 ms in about one window in a
		// hundred (its low frequencies), never within ±0.05.
		if !slices.ContainsFunc(b[len(b)-480:], func(v float32) bool { return math.Abs(float64(v)) > 0.05 }) {
			t.Fatalf("%s: no played noise in the last 10 ms of the recovered copy", tr.File)
		}
	}
	// Again: nothing left to do.
	if rep, err = Recover(snap); err != nil || rep.Changed || rep.Queue != nil {
		t.Fatalf("second recover: %+v, %v", rep, err)
	}
}

// TestCaptureQueueNone: QueueDir "-" keeps the queue in ordinary memory.
func TestCaptureQueueNone(t *testing.T) {
	s, err := New(Config{Dir: filepath.Join(t.TempDir(), "s"), Host: "jack", Device: jackDevice(t), Channels: 1, QueueDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if q := s.Meta().CaptureQueue; q != nil {
		t.Fatalf("capture queue %+v with QueueDir -", q)
	}
}

// TestCaptureQueueCleanUp: a device that refuses the rate, and a session
// stopped before it started, leave no capture queue behind.
func TestCaptureQueueCleanUp(t *testing.T) {
	qdir := t.TempDir()
	dev := jackDevice(t)
	if _, err := New(Config{Dir: filepath.Join(t.TempDir(), "s"), Device: dev, Channels: 2, Rate: 44100, QueueDir: qdir}); err == nil {
		t.Fatal("JACK at 48 kHz opened at 44.1 kHz")
	}
	s, err := New(Config{Dir: filepath.Join(t.TempDir(), "s"), Device: dev, Channels: 2, QueueDir: qdir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if ents, err := os.ReadDir(qdir); err != nil || len(ents) != 0 {
		t.Fatalf("left in the queue folder: %v %v", ents, err)
	}
}

// TestPauseSpans: session.json's pauses (file frame, skipped) become the
// recorder's stream frame spans.
func TestPauseSpans(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		pauses []Pause
		want   [][2]int64
	}{
		{nil, nil},
		{[]Pause{{At: 100, Skipped: 50, EndUTC: end}}, [][2]int64{{100, 150}}},
		{[]Pause{{At: 100, Skipped: 50, EndUTC: end}, {At: 300, Skipped: 20, EndUTC: end}}, [][2]int64{{100, 150}, {350, 370}}},
		{[]Pause{{At: 100, Skipped: 50, EndUTC: end}, {At: 300}}, [][2]int64{{100, 150}, {350, -1}}},
	} {
		if got := pauseSpans(c.pauses); !slices.Equal(got, c.want) {
			t.Errorf("pauseSpans(%+v) = %v, want %v", c.pauses, got, c.want)
		}
	}
}

// TestAddMissingGlitches: a replayed glitch the recorder had journaled
// already is not journaled twice.
func TestAddMissingGlitches(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalFile)
	j, err := markers.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	old := glitchMarker(testRate, 1000, 256)
	if err := j.Add(old); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := addMissingGlitches(path, []markers.Marker{glitchMarker(testRate, 1000, 256), glitchMarker(testRate, 5000, 512)}); err != nil {
		t.Fatal(err)
	}
	ms, _, err := markers.ReplayJournalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ID != old.ID || ms[1].Sample != 5000 || ms[1].End != 5512 || ms[1].Kind != markers.Glitch {
		t.Fatalf("journal after replay: %+v", ms)
	}
}
