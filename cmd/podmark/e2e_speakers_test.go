package main

// End-to-end test of speaker turns on the real stack: the espeak-ng
// two-voice episode (alice's voice bled into bob's microphone at -20 dB)
// is played into two `podmark record` processes on JACK, one microphone
// each, `podmark merge` puts them on one timeline, and `podmark
// transcript --speakers` must find every turn within 100 ms and label at
// least 98 % of the transcript's cues right; its outputs are read back by
// ffmpeg (WebVTT voice spans) and python3 (JSON fields, escaped HTML), and
// `podmark export` writes them into notes/.

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/app/speakers/speakerstest"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// startStereoPlayer plays a stereo file into JACK: channel 1 to left,
// channel 2 to right, in sync.
func startStereoPlayer(t *testing.T, file, left, right string) *jackPlayer {
	t.Helper()
	p := startJackPlayer(t, file, left)
	out2 := strings.TrimSuffix(p.Port, "out_1") + "out_2"
	if out, err := exec.Command("jack_connect", out2, right).CombinedOutput(); err != nil {
		t.Fatalf("jack_connect %s %s: %v\n%s", out2, right, err, out)
	}
	return p
}

// readLabels reads an Audacity label file of speaker turns.
func readLabels(t *testing.T, path string) []markers.Turn {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []markers.Turn
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), "\t", 3)
		if len(p) != 3 {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		s, err1 := strconv.ParseFloat(p[0], 64)
		e, err2 := strconv.ParseFloat(p[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad times in %q", path, sc.Text())
		}
		ts = append(ts, markers.Turn{Speaker: p[2], Start: time.Duration(s * float64(time.Second)), End: time.Duration(e * float64(time.Second))})
	}
	return ts
}

// matchTurns pairs each true turn with the found turn of the same speaker
// overlapping it most (one to one) and reports ends off by more than tol,
// true turns not found and found turns that are none.
func matchTurns(t *testing.T, got, truth []markers.Turn, tol time.Duration) {
	t.Helper()
	used := make([]bool, len(got))
	var worst time.Duration
	for _, w := range truth {
		best, bo := -1, time.Duration(0)
		for i, g := range got {
			if o := min(g.End, w.End) - max(g.Start, w.Start); !used[i] && g.Speaker == w.Speaker && o > bo {
				best, bo = i, o
			}
		}
		if best < 0 {
			t.Errorf("true turn %s %v-%v not found", w.Speaker, w.Start, w.End)
			continue
		}
		used[best] = true
		g := got[best]
		ds, de := (g.Start - w.Start).Abs(), (g.End - w.End).Abs()
		worst = max(worst, ds, de)
		if ds > tol || de > tol {
			t.Errorf("%s: found %v-%v, true %v-%v", w.Speaker, g.Start, g.End, w.Start, w.End)
		}
	}
	for i, g := range got {
		if !used[i] {
			t.Errorf("found turn %s %v-%v is no true turn", g.Speaker, g.Start, g.End)
		}
	}
	t.Logf("%d turns found, worst end %v from the truth", len(got), worst)
}

func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", filepath.Base(bin), strings.Join(args, " "), err, so.String(), se.String())
	}
	return so.String() + se.String()
}

func TestE2ESpeakersJACK(t *testing.T) {
	requireJACK(t)
	requireTool(t, "espeak-ng", "ffmpeg", "python3")
	bin := podmarkBin(t)
	dev, _ := jackDevice(t, bin)
	work := t.TempDir()
	ep, err := speakerstest.Build(work, speakerstest.Options{BleedDB: -20})
	if err != nil {
		t.Fatal(err)
	}
	stereo, mix := filepath.Join(work, "mics.wav"), filepath.Join(work, "call.wav")
	if err := ep.WriteStereo(stereo); err != nil {
		t.Fatal(err)
	}
	if err := ep.WriteMix(mix); err != nil {
		t.Fatal(err)
	}

	// Two hosts record their own microphones; bob starts 1.5 s later.
	var aliceDir, bobDir string
	for attempt := 1; ; attempt++ {
		take := filepath.Join(work, fmt.Sprintf("take%d", attempt))
		if err := os.Mkdir(take, 0o755); err != nil {
			t.Fatal(err)
		}
		alice := startRecorder(t, bin, dev, filepath.Join(take, "alice"), "alice")
		time.Sleep(1500 * time.Millisecond)
		bob := startRecorder(t, bin, dev, filepath.Join(take, "bob"), "bob")
		play := startStereoPlayer(t, stereo, alice.port, bob.port)
		time.Sleep(300 * time.Millisecond)
		if err := play.Play(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		alice.send(t, "topic Tabs and spaces")
		if err := play.Wait(); err != nil {
			t.Fatalf("sndfile-jackplay: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
		alice.stop(t)
		bob.stop(t)
		clean := true
		for _, dir := range []string{alice.dir, bob.dir} {
			m, err := session.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			clean = clean && m.Dropped == 0
		}
		aliceDir, bobDir = alice.dir, bob.dir
		if clean {
			break
		}
		if attempt == 3 {
			t.Fatal("JACK dropped frames in three takes: the machine is too loaded for this test")
		}
		t.Logf("take %d: JACK dropped frames; recording again", attempt)
	}
	merged := filepath.Join(work, "merged")
	runBin(t, bin, "merge", aliceDir, bobDir, "--reference", mix, "--out", merged)

	// Where the episode sits on the merged timeline: alice's merged track
	// holds her microphone unchanged.
	meta, err := session.Load(merged)
	if err != nil {
		t.Fatal(err)
	}
	_, mA, err := audio.ReadWAVFile(filepath.Join(merged, filepath.FromSlash(meta.Tracks[0].File)))
	if err != nil {
		t.Fatal(err)
	}
	pos, ok := playedAt(t, mA, ep.Tracks[0], 2*48000, 1)
	if !ok {
		t.Fatal("the episode is not in alice's merged track")
	}
	shift := time.Duration(math.Round(pos)) * time.Second / 48000
	t.Logf("episode starts at %v on the merged timeline", shift)
	who := [2]string{"Michael", "Brian"}
	truth := ep.Truth(who)
	for i := range truth {
		truth[i].Start += shift
		truth[i].End += shift
	}

	// The timeline.
	turnsFile := filepath.Join(work, "turns.txt")
	out := runBin(t, bin, "transcript", "--speakers", merged, "--names", "alice=Michael,bob=Brian", "--format", "turns", "--out", turnsFile)
	t.Logf("transcript --speakers:\n%s", out)
	matchTurns(t, readLabels(t, turnsFile), truth, 100*time.Millisecond)

	// The seed: one cue per turn, voice spans intact through ffmpeg.
	seed := filepath.Join(work, "seed.vtt")
	runBin(t, bin, "transcript", "--speakers", merged, "--names", "alice=Michael,bob=Brian", "--format", "vtt", "--out", seed)
	ff, err := exec.Command("ffmpeg", "-v", "error", "-i", seed, "-c:s", "copy", "-f", "webvtt", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg read the seed: %v", err)
	}
	if n := strings.Count(string(ff), "<v Michael>") + strings.Count(string(ff), "<v Brian>"); n != len(truth) {
		t.Errorf("ffmpeg read %d voice spans from the seed, want %d:\n%s", n, len(truth), ff)
	}

	// A transcript without speakers (SRT, as a transcription service
	// delivers it), on the merged timeline; one cue carries markup-like text.
	cues := ep.Cues(who)
	var srt strings.Builder
	for i, c := range cues {
		text := c.Text
		if i == 0 {
			text += " (R&D <3)"
		}
		fmt.Fprintf(&srt, "%d\n%s --> %s\n%s\n\n", i+1, srtStamp(c.Start+shift), srtStamp(c.End+shift), text)
	}
	srtFile := filepath.Join(work, "episode.srt")
	if err := os.WriteFile(srtFile, []byte(srt.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	for _, f := range []string{"md", "html", "vtt", "srt", "json"} {
		outs[f] = filepath.Join(work, "labelled."+f)
		runBin(t, bin, "transcript", "--speakers", merged, "--names", "alice=Michael,bob=Brian", "--transcript", srtFile, "--format", f, "--out", outs[f])
	}
	// JSON, by python3 against the podcast namespace transcript fields.
	py, err := exec.Command("python3", "-c", `
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "1.0.0", d["version"]
for s in d["segments"]:
    assert set(s) <= {"speaker", "startTime", "endTime", "body"}, s
    assert isinstance(s["startTime"], (int, float)) and isinstance(s["endTime"], (int, float)) and s["endTime"] > s["startTime"], s
    assert isinstance(s["body"], str) and s["body"], s
    print(s["speaker"])
`, outs["json"]).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 read the JSON: %v\n%s", err, py)
	}
	got := strings.Split(strings.TrimSpace(string(py)), "\n")
	if len(got) != len(cues) {
		t.Fatalf("python3 read %d segments, want %d", len(got), len(cues))
	}
	right := 0
	for i, c := range cues {
		if got[i] == c.Speaker {
			right++
		} else {
			t.Logf("cue %d %q: %s, want %s", i, c.Text, got[i], c.Speaker)
		}
	}
	if share := float64(right) / float64(len(cues)); share < 0.98 {
		t.Errorf("%d of %d cues labelled right (%.1f %%), want ≥ 98 %%", right, len(cues), 100*share)
	}
	// WebVTT, by ffmpeg: every cue keeps its voice span.
	ff, err = exec.Command("ffmpeg", "-v", "error", "-i", outs["vtt"], "-c:s", "copy", "-f", "webvtt", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg read the transcript: %v", err)
	}
	if n := strings.Count(string(ff), "\n<v "); n != len(cues) || !strings.Contains(string(ff), "<v Michael>Welcome to the show.") {
		t.Errorf("ffmpeg read %d voice spans, want %d:\n%s", n, len(cues), ff)
	}
	// HTML, by python3's XML parser: names and words are text, never markup.
	py, err = exec.Command("python3", "-c", `
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ps = root.findall(".//p")
print(len(ps))
print("".join(ps[0].itertext()))
`, outs["html"]).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 read the HTML: %v\n%s", err, py)
	}
	if lines := strings.Split(strings.TrimSpace(string(py)), "\n"); len(lines) != 2 || lines[0] != strconv.Itoa(len(cues)) || !strings.HasSuffix(lines[1], "Michael: "+cues[0].Text+" (R&D <3)") {
		t.Errorf("python3 read the HTML as:\n%s", py)
	}
	for f, want := range map[string]string{"srt": "Michael: Welcome to the show.", "md": "Michael: Welcome to the show."} {
		b, err := os.ReadFile(outs[f])
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q: %v", f, want, err)
		}
	}

	// podmark export of the merged session: turns, seed and the labelled
	// transcript in notes/, and the bundle verifies.
	bundle := filepath.Join(work, "bundle")
	runBin(t, bin, "export", merged, "--out", bundle, "--audio", "wav", "--transcript", srtFile, "--names", "alice=Michael,bob=Brian")
	for _, rel := range []string{"speakers.txt", "speakers.json", "transcript-seed-speakers.md", "transcript-seed-speakers.vtt",
		"transcript.md", "transcript.html", "transcript.vtt", "transcript.srt", "transcript.json"} {
		if _, err := os.Stat(filepath.Join(bundle, "notes", rel)); err != nil {
			t.Errorf("bundle: %v", err)
		}
	}
	matchTurns(t, readLabels(t, filepath.Join(bundle, "notes", "speakers.txt")), truth, 100*time.Millisecond)
	runBin(t, bin, "verify", bundle)
}

func srtStamp(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// TestTranscriptSpeakersUsage: bad combinations of the speaker flags are
// usage errors (exit 2) naming the flag.
func TestTranscriptSpeakersUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--markers", dir, "--names", "a=b"}, "--names and --split need --speakers"},
		{[]string{"--markers", dir, "--split"}, "--names and --split need --speakers"},
		{[]string{"--markers", dir, "--format", "turns"}, "--format turns needs --speakers"},
		{[]string{"--speakers", dir, "--format", "srt"}, "--format srt needs --transcript"},
		{[]string{"--speakers", dir, "--format", "json"}, "--format json needs --transcript"},
		{[]string{"--markers", dir, "--format", "vtt"}, "--format vtt needs --transcript FILE or --speakers"},
		{[]string{"--speakers", dir, "--names", "alice"}, "--names:"},
		{[]string{"--speakers", dir, "--format", "docx"}, `--format "docx"`},
		{[]string{"--format", "md"}, "need --markers IN (or --speakers SESSION)"},
	} {
		var out, errb strings.Builder
		code := runTranscript(tc.args, strings.NewReader(""), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
	// Not a session: exit 1, the folder named.
	var out, errb strings.Builder
	if code := runTranscript([]string{"--speakers", dir}, strings.NewReader(""), &out, &errb); code != 1 || !strings.Contains(errb.String(), dir) {
		t.Errorf("empty folder: exit %d, %q", code, errb.String())
	}
}
