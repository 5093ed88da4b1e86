package export

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podmark/podmark/app/speakers"
)

// TestSpeakerNotes: a merged session's bundle has the speaker timeline and
// the seed with turns in notes/; --transcript adds the labelled transcript
// in every format, under the names --names gives; the manifest lists them
// and verify passes.
func TestSpeakerNotes(t *testing.T) {
	tmp := t.TempDir()
	// makeSession: alice talks in the first half of every 8 s, bob in the
	// second, both in the last 3 s.
	sess := makeSession(t, filepath.Join(tmp, "merged"), 20)
	if err := os.WriteFile(filepath.Join(sess, MergeReportFile), []byte(`{"version": 1, "sessions": [
		{"host": "alice", "tracks": ["tracks/alice-1.wav"]}, {"host": "bob", "tracks": ["tracks/bob-1.wav"]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "bundle")
	res, err := Run(context.Background(), Options{Session: sess, Out: out, Audio: []string{WAV}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var turns struct {
		Speakers []string `json:"speakers"`
		Turns    []struct {
			Speaker    string
			Start, End float64
		} `json:"turns"`
	}
	b, err := os.ReadFile(filepath.Join(out, "notes", "speakers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &turns); err != nil {
		t.Fatal(err)
	}
	// alice 0-4, 8-12, 16-20; bob 4-8, 12-16, 17-20 (both from 17 s on).
	want := []struct {
		sp         string
		start, end float64
	}{{"alice", 0, 4}, {"bob", 4, 8}, {"alice", 8, 12}, {"bob", 12, 16}, {"alice", 16, 20}, {"bob", 17, 20}}
	if len(turns.Turns) != len(want) {
		t.Fatalf("turns %+v", turns.Turns)
	}
	for i, w := range want {
		g := turns.Turns[i]
		if g.Speaker != w.sp || abs(g.Start-w.start) > 0.1 || abs(g.End-w.end) > 0.1 {
			t.Errorf("turn %d: %+v, want %+v", i, g, w)
		}
	}
	for _, rel := range []string{"notes/speakers.txt", "notes/transcript-seed-speakers.md", "notes/transcript-seed-speakers.vtt"} {
		if !hasFile(res.Manifest.Files, rel) {
			t.Errorf("manifest lacks %s", rel)
		}
	}
	if hasFile(res.Manifest.Files, "notes/transcript.srt") {
		t.Error("a labelled transcript without --transcript")
	}
	seed, err := os.ReadFile(filepath.Join(out, "notes", "transcript-seed-speakers.vtt"))
	if err != nil || strings.Count(string(seed), "<v alice>") != 3 || strings.Count(string(seed), "<v bob>") != 3 {
		t.Errorf("seed:\n%s", seed)
	}

	// With a transcript and names.
	srt := filepath.Join(tmp, "episode.srt")
	if err := os.WriteFile(srt, []byte("1\n00:00:00,500 --> 00:00:03,500\nHello from Alice.\n\n2\n00:00:04,500 --> 00:00:07,500\nAnd Bob answers <i>here</i> & now.\n\n3\n00:00:08,200 --> 00:00:11,000\nAlice again.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	names, err := speakers.ParseNames("alice=Michael,bob=Brian")
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(tmp, "bundle2")
	res, err = Run(context.Background(), Options{Session: sess, Out: out2, Audio: []string{WAV}, Cuts: nil,
		Speakers: SpeakerOptions{Transcript: srt, Names: names}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		"srt":  "1\n00:00:00,500 --> 00:00:03,500\nMichael: Hello from Alice.\n\n2\n00:00:04,500 --> 00:00:07,500\nBrian: And Bob answers here & now.\n\n3\n00:00:08,200 --> 00:00:11,000\nMichael: Alice again.\n\n",
		"vtt":  "<v Brian>And Bob answers here &amp; now.",
		"md":   "**00:00:04** Brian: And Bob answers here & now.",
		"html": "<b>Brian:</b> And Bob answers here &amp; now.",
		"json": `"speaker": "Brian",`,
	} {
		b, err := os.ReadFile(filepath.Join(out2, "notes", "transcript."+f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("transcript.%s lacks %q:\n%s", f, want, b)
		}
		if !hasFile(res.Manifest.Files, "notes/transcript."+f) {
			t.Errorf("manifest lacks transcript.%s", f)
		}
	}
	if rep, err := Verify(out2); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}

	// Asked for but impossible: errors, and no bundle.
	for name, so := range map[string]SpeakerOptions{
		"missing transcript": {Transcript: filepath.Join(tmp, "none.srt")},
		"unknown speaker":    {Names: map[string]string{"carol": "C"}},
	} {
		o := filepath.Join(tmp, "bad-"+strings.ReplaceAll(name, " ", "-"))
		if _, err := Run(context.Background(), Options{Session: sess, Out: o, Audio: []string{WAV}, Speakers: so}, nil); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "unknown speaker" && !errors.Is(err, speakers.ErrNames) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := os.Stat(o); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a bundle was left at %s", name, o)
		}
	}
}

func hasFile(fs []File, rel string) bool {
	for _, f := range fs {
		if f.Path == rel {
			return true
		}
	}
	return false
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
