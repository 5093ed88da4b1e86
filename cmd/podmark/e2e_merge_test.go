package main

// End-to-end test of `podmark merge` on the real stack: two `podmark record`
// processes (hosts alice and bob) capture the same JACK conversation of two
// espeak-ng voices, bob's track gets a clock drift with `sox speed 1.00012`,
// and `podmark merge` must put both back on one timeline within 1 ms at the
// start and at the end, with and without an MP3 reference made by lame;
// then `podmark export` must take the merged folder.

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/merge"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
	"github.com/podmark/podmark/markers"
)

// recorder is one running `podmark record`.
type recorder struct {
	*recordChild
	port string
	dir  string
}

func startRecorder(t *testing.T, bin, dev, dir, host string) *recorder {
	t.Helper()
	before := jackPorts(t)
	r := &recorder{recordChild: startRecordChild(t, bin, "--out", dir, "--device", dev, "--channels", "1", "--rate", "48000", "--bits", "24", "--host", host, "--title", "merge e2e"), dir: dir}
	deadline := time.Now().Add(15 * time.Second)
	for r.port == "" {
		for p := range jackPorts(t) {
			if !before[p] && strings.HasSuffix(p, ":in_0") {
				r.port = p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("podmark record %s made no JACK input port; stderr:\n%s", dir, r.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r
}

func (r *recorder) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(r.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(line, "stop") {
		return
	}
	select {
	case <-r.acks:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no ack for %q; stderr:\n%s", r.dir, line, r.stderr.String())
	}
}

func (r *recorder) stop(t *testing.T) {
	t.Helper()
	r.send(t, "stop")
	err, ok := r.wait(20 * time.Second)
	if !ok {
		t.Fatalf("podmark record %s did not stop", r.dir)
	}
	if err != nil {
		t.Fatalf("podmark record %s: %v\n%s", r.dir, err, r.stderr.String())
	}
}

// conversation writes a 48 kHz 24-bit mono file of two espeak-ng voices
// taking turns and returns it with its samples.
func conversation(t *testing.T, dir string) (string, []float32) {
	t.Helper()
	turns := []struct{ voice, text string }{
		{"en-us", "Welcome back to the show. Today we talk about clocks that drift apart while two people record."},
		{"en-gb+f3", "Right, my sound card says forty eight thousand a second, but it is never exactly that."},
		{"en-us", "Over an hour that adds up to half a second, and the laughter comes before the joke."},
		{"en-gb+f3", "So we slide one recording past the other until the waveforms agree, in many places."},
		{"en-us", "And a straight line through those offsets is the drift. Thanks for listening."},
	}
	var parts []string
	for i, tr := range turns {
		p := filepath.Join(dir, fmt.Sprintf("turn%d.wav", i))
		if out, err := exec.Command("espeak-ng", "-v", tr.voice, "-w", p, tr.text).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v\n%s", err, out)
		}
		parts = append(parts, p)
	}
	conv := filepath.Join(dir, "conversation.wav")
	args := append(parts, "-r", "48000", "-b", "24", "-c", "1", conv, "pad", "0.5", "0.5")
	if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	_, x, err := audio.ReadWAVFile(conv)
	if err != nil {
		t.Fatal(err)
	}
	return conv, x
}

// driftCopy copies a session folder with its track played k times too fast
// (sox speed k) and the markers moved to match: a host whose sound card
// clock runs slow by (k-1).
func driftCopy(t *testing.T, src, dst string, k float64) {
	t.Helper()
	meta, err := session.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dst, session.TracksDir), 0o755); err != nil {
		t.Fatal(err)
	}
	tr := meta.Tracks[0].File
	out := filepath.Join(dst, filepath.FromSlash(tr))
	if b, err := exec.Command("sox", filepath.Join(src, filepath.FromSlash(tr)), "-b", "24", out, "speed", fmt.Sprint(k), "rate", "-v", "48000").CombinedOutput(); err != nil {
		t.Fatalf("sox speed: %v\n%s", err, b)
	}
	r, err := audio.OpenWAV(out)
	if err != nil {
		t.Fatal(err)
	}
	meta.Frames = r.Info().Frames
	meta.StreamFrames = meta.Frames
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, session.MetaFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	ms, _, err := markers.ReplayJournalFile(filepath.Join(src, session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	j, err := markers.OpenJournal(filepath.Join(dst, session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		m.Sample = int64(math.Round(float64(m.Sample) / k))
		if err := j.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// playedAt finds where a loud 3 s stretch of played starting near from
// (samples) sits in rec, to a fraction of a sample.
func playedAt(t *testing.T, rec, played []float32, from int, search int) (pos float64, ok bool) {
	t.Helper()
	const w = 3 * 48000
	for try := 0; try < 8; try++ {
		s := from + try*24000*sign(search)
		if s < 0 || s+w > len(played) {
			continue
		}
		mt, err := align.Correlate(rec, played[s:s+w], 48000, 0, len(rec)-w)
		if err != nil || mt.PSR < 15 {
			continue
		}
		return mt.Lag - float64(s), true
	}
	return 0, false
}

func sign(x int) int {
	if x < 0 {
		return -1
	}
	return 1
}

// recordPair records the conversation with two `podmark record`
// processes (alice, then bob 1.5 s later) on the JACK device. It reports
// whether both captured it cleanly: no dropped frames and the conversation
// at one constant position from start to end (a loaded machine can make
// JACK skip; such a take says nothing about merge and is retried).
func recordPair(t *testing.T, bin, dev, work, convFile string, played []float32) (aliceDir, bobDir string, startA, endA float64, clean bool) {
	t.Helper()
	alice := startRecorder(t, bin, dev, filepath.Join(work, "alice"), "alice")
	time.Sleep(1500 * time.Millisecond)
	bob := startRecorder(t, bin, dev, filepath.Join(work, "bob"), "bob")
	play := startJackPlayer(t, convFile, alice.port, bob.port)
	time.Sleep(300 * time.Millisecond)
	if err := play.Play(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	alice.send(t, "topic Drift")
	time.Sleep(700 * time.Millisecond)
	bob.send(t, "topic Clocks")
	time.Sleep(3 * time.Second)
	bob.send(t, "note bob's note")
	if err := play.Wait(); err != nil {
		t.Fatalf("sndfile-jackplay: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	alice.stop(t)
	bob.stop(t)
	clean = true
	for _, dir := range []string{alice.dir, bob.dir} {
		m, err := session.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, x, err := audio.ReadWAVFile(filepath.Join(dir, filepath.FromSlash(m.Tracks[0].File)))
		if err != nil {
			t.Fatal(err)
		}
		s, ok1 := playedAt(t, x, played, 48000, 1)
		e, ok2 := playedAt(t, x, played, len(played)-4*48000, -1)
		t.Logf("%s: dropped %d, glitches %d; conversation at frame %.2f (start) and %.2f (end)", m.Host, m.Dropped, m.Glitches, s, e)
		if !ok1 || !ok2 {
			t.Fatalf("%s: the conversation is not in the recording", dir)
		}
		if m.Dropped != 0 || math.Abs(s-e) > 0.5 {
			clean = false
		}
		if dir == alice.dir {
			startA, endA = s, e
		}
	}
	return alice.dir, bob.dir, startA, endA, clean
}

func TestE2EMergeJACK(t *testing.T) {
	requireJACK(t)
	requireTool(t, "espeak-ng", "sox", "lame")
	bin := podmarkBin(t)
	dev, _ := jackDevice(t, bin)
	work := t.TempDir()
	convFile, played := conversation(t, work)

	var aliceDir, bobDir string
	var truthStart, truthEnd float64
	for attempt := 1; ; attempt++ {
		dir := filepath.Join(work, fmt.Sprintf("take%d", attempt))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var clean bool
		aliceDir, bobDir, truthStart, truthEnd, clean = recordPair(t, bin, dev, dir, convFile, played)
		if clean {
			break
		}
		if attempt == 3 {
			t.Fatal("JACK dropped frames in three takes: the machine is too loaded for this test")
		}
		t.Logf("take %d: JACK skipped; recording again", attempt)
	}

	// Bob's sound card clock runs slow by 120 ppm.
	const k = 1.00012
	bobDrift := filepath.Join(work, "bob-drift")
	driftCopy(t, bobDir, bobDrift, k)

	// The call recording: the conversation as a LAME MP3.
	ref := filepath.Join(work, "call.mp3")
	if b, err := exec.Command("lame", "--quiet", "-b", "128", convFile, ref).CombinedOutput(); err != nil {
		t.Fatalf("lame: %v\n%s", err, b)
	}

	for _, withRef := range []bool{true, false} {
		name := "hosts only"
		args := []string{"merge", aliceDir, bobDrift, "--out", filepath.Join(work, "merged-hosts")}
		if withRef {
			name = "mp3 reference"
			args = []string{"merge", aliceDir, bobDrift, "--reference", ref, "--out", filepath.Join(work, "merged-ref")}
		}
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			var so, se strings.Builder
			cmd.Stdout, cmd.Stderr = &so, &se
			if err := cmd.Run(); err != nil {
				t.Fatalf("podmark %s: %v\n%s\n%s", strings.Join(args, " "), err, so.String(), se.String())
			}
			t.Logf("report:\n%s", so.String())
			outDir := args[len(args)-1]
			var rep merge.Report
			b, err := os.ReadFile(filepath.Join(outDir, session.MergeReportFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			if d := rep.Sessions[1].DriftPPM; math.Abs(d-120) > 2 {
				t.Errorf("bob's drift %.2f ppm, want 120", d)
			}
			if !strings.Contains(so.String(), "drift") || !strings.Contains(so.String(), "residual") {
				t.Errorf("printed report lacks drift/residuals:\n%s", so.String())
			}
			meta, err := session.Load(outDir)
			if err != nil {
				t.Fatal(err)
			}
			_, mA, err := audio.ReadWAVFile(filepath.Join(outDir, meta.Tracks[0].File))
			if err != nil {
				t.Fatal(err)
			}
			_, mB, err := audio.ReadWAVFile(filepath.Join(outDir, meta.Tracks[1].File))
			if err != nil {
				t.Fatal(err)
			}
			// Where the played conversation sits in each merged track,
			// checked near its start and near its end.
			padA := math.Round(rep.Sessions[0].Start * 48000)
			for _, at := range []struct {
				name  string
				from  int
				dir   int
				truth float64
			}{{"start", 48000, 1, truthStart}, {"end", len(played) - 4*48000, -1, truthEnd}} {
				pa, okA := playedAt(t, mA, played, at.from, at.dir)
				pb, okB := playedAt(t, mB, played, at.from, at.dir)
				if !okA || !okB {
					t.Fatalf("%s: conversation not found in the merged tracks (%v, %v)", at.name, okA, okB)
				}
				if math.Abs(pa-(at.truth+padA)) > 0.01 {
					t.Errorf("%s: alice moved: %.2f vs %.2f", at.name, pa, at.truth+padA)
				}
				e := (pb - pa) / 48
				t.Logf("%s: bob vs alice on the merged timeline: %+.4f ms", at.name, e)
				if math.Abs(e) > 1 {
					t.Errorf("%s: bob is %.3f ms off alice (limit 1 ms)", at.name, e)
				}
			}
			// Markers: the two Topic presses fold into one, bob's note stays.
			doc, err := session.LoadDoc(outDir)
			if err != nil {
				t.Fatal(err)
			}
			var topics, notes int
			for _, m := range doc.Markers {
				switch m.Kind {
				case markers.Topic:
					topics++
					if m.Author != "alice, bob" {
						t.Errorf("folded topic %+v", m)
					}
				case markers.Note:
					notes++
					if m.Author != "bob" {
						t.Errorf("note %+v", m)
					}
				}
			}
			if topics != 1 || notes != 1 {
				t.Errorf("markers %+v: want one folded topic and bob's note", doc.Markers)
			}
		})
	}

	// podmark export takes the merged folder.
	bundle := filepath.Join(work, "bundle")
	if b, err := exec.Command(bin, "export", filepath.Join(work, "merged-ref"), "--out", bundle, "--audio", "wav").CombinedOutput(); err != nil {
		t.Fatalf("podmark export of the merged folder: %v\n%s", err, b)
	}
	// Bad input: a clear error and exit status 2, nothing written.
	cmd := exec.Command(bin, "merge", aliceDir, "--out", filepath.Join(work, "x"))
	b, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(b), "two SESSION") {
		t.Errorf("merge with one session: exit %d (%v)\n%s", code, err, b)
	}
}
