package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

func markersCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMarkers(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func transcriptCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runTranscript(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// makeSession writes a session folder as a recording leaves it: session.json
// (the documented fields markers need) and the markers.jsonl journal, with a
// torn last line.
func makeSession(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	meta := `{"format_version": 1, "app": "podmark", "title": "Episode 48", "host": "michael", "rate": 48000,
 "bits": "24", "channels": 1, "tracks": [{"file": "tracks/michael-1.wav", "channel": 1}], "state": "stopped", "frames": 51360000}`
	if err := os.WriteFile(filepath.Join(dir, "session.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := markers.OpenJournal(filepath.Join(dir, "markers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	utc := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, m := range []markers.Marker{
		{ID: "a", Kind: markers.Topic, Title: "Intro", Sample: 0},
		{ID: "b", Kind: markers.Sponsor, Title: "DigitalOcean", URL: "https://do.co/python", Sample: 20 * 48000},
		{ID: "c", Kind: markers.Topic, Title: "Graphs", Sample: 32 * 48000},
		{ID: "d", Kind: markers.Edit, Title: "retake", Sample: 95 * 48000, End: 110 * 48000},
		{ID: "e", Kind: markers.Topic, Title: "Kinesis", Sample: 158 * 48000},
		{ID: "f", Kind: markers.Glitch, Title: "dropped 480 frames", Sample: 200 * 48000},
	} {
		m.UTC, m.Author = utc, "michael"
		if err := j.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "markers.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"op":"add","mar`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMarkersConvertSessionFolder(t *testing.T) {
	dir := makeSession(t)
	code, out, errs := markersCmd(t, "", "convert", "--to", "mp4chaps", dir, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "00:00:00.000 Intro\n00:00:20.000 DigitalOcean <https://do.co/python>\n00:00:32.000 Graphs\n00:02:38.000 Kinesis\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(errs, "markers.jsonl:7: torn last line ignored") {
		t.Errorf("journal warning missing from stderr: %q", errs)
	}

	// Retimed: a 12 s intro jingle, the retake cut; --public topic hides
	// the sponsor; flags may follow the arguments.
	code, out, errs = markersCmd(t, "", "convert", "--to", "mp4chaps", dir, "-", "--offset", "12s", "--cut", "95-110", "--public", "topic")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "00:00:12.000 Intro\n00:00:44.000 Graphs\n00:02:35.000 Kinesis\n"; out != want {
		t.Errorf("stdout:\n%s\nwant\n%s", out, want)
	}
	// The first chapter is at 0:12 now: YouTube needs 0:00, so it fails
	// without --fix.
	if code, _, errs = markersCmd(t, "", "convert", "--to", "youtube", "--offset", "12s", dir, "-"); code != 1 || !strings.Contains(errs, "youtube-first") || !strings.Contains(errs, "--fix") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	code, out, errs = markersCmd(t, "", "convert", "--to", "youtube", "--offset", "5s", "--cut", "1:35-1:50", "--public", "topic", "--fix", dir, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "0:00 Intro\n0:37 Graphs\n2:28 Kinesis\n"; out != want {
		t.Errorf("stdout:\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(errs, `fixed: 00:00:05.000 "Intro": moved to 0:00`) {
		t.Errorf("stderr: %s", errs)
	}
}

func TestMarkersConvertFiles(t *testing.T) {
	dir := makeSession(t)
	tmp := t.TempDir()
	// Every format from the session, then back from every readable format.
	for _, f := range markers.Formats {
		out := filepath.Join(tmp, "episode"+f.Ext())
		if code, _, errs := markersCmd(t, "", "convert", "--to", string(f), dir, out); code != 0 {
			t.Fatalf("to %s: exit %d: %s", f, code, errs)
		}
		code, stdout, errs := markersCmd(t, "", "convert", "--to", "mp4chaps", out, "-")
		if code != 0 {
			t.Fatalf("from %s (guessed): exit %d: %s", f, code, errs)
		}
		if !strings.Contains(stdout, "00:00:32.000 Graphs") {
			t.Errorf("from %s: %q", f, stdout)
		}
	}
	// Audacity labels keep the editor's markers, kind in the label.
	b, err := os.ReadFile(filepath.Join(tmp, "episode.labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "95.000000\t110.000000\t[edit] retake\n") || !strings.Contains(string(b), "[glitch] dropped 480 frames") {
		t.Errorf("labels:\n%s", b)
	}
	// Standard input, with --from.
	code, out, errs := markersCmd(t, "0:00 Intro\n1:00 News\n", "convert", "--from", "youtube", "--to", "psc", "-", "-")
	if code != 0 || !strings.Contains(out, `<psc:chapter start="00:01:00.000" title="News"/>`) {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
}

func TestMarkersConvertErrors(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.chapters.txt")
	if err := os.WriteFile(bad, []byte("00:00:00.000 Intro\nwhat is this\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	amb := filepath.Join(tmp, "x.txt")
	if err := os.WriteFile(amb, []byte("0:00 Intro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prose := filepath.Join(tmp, "notes.txt")
	if err := os.WriteFile(prose, []byte("Thanks for listening!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: podmark markers convert"},
		{[]string{"rename"}, 2, `unknown subcommand "rename"`},
		{[]string{"convert", bad, "-"}, 2, "need --to FORMAT"},
		{[]string{"convert", "--to", "srt", bad, "-"}, 2, `invalid value "srt" for flag -to`},
		{[]string{"convert", "--to", "psc", "--offset", "soon", bad, "-"}, 2, "invalid value \"soon\" for flag -offset"},
		{[]string{"convert", "--to", "psc", "--cut", "5", bad, "-"}, 2, "invalid value \"5\" for flag -cut"},
		{[]string{"convert", "--to", "psc", "--public", "topic,chapter", bad, "-"}, 2, "invalid value \"topic,chapter\" for flag -public"},
		{[]string{"convert", "--to", "psc", bad, "-"}, 1, bad + ":2: mp4chaps: bad time \"what\""},
		{[]string{"convert", "--to", "psc", prose, "-"}, 1, "name the format with --from"},
		{[]string{"convert", "--to", "psc", "--cue-lengths", "3:xx", bad, "-"}, 2, "invalid value \"3:xx\" for flag -cue-lengths"},
		{[]string{"convert", "--to", "psc", filepath.Join(tmp, "missing.json"), "-"}, 1, "no such file"},
		{[]string{"convert", "--to", "psc", tmp, "-"}, 1, "not a session folder"},
		{[]string{"convert", "--to", "psc", "--from", "youtube", amb, filepath.Join(tmp, "no", "dir.xml")}, 1, "no such file"},
		{[]string{"validate"}, 2, "need exactly one IN"},
		{[]string{"convert", "-h"}, 0, "-offset DUR"},
		{[]string{"validate", "--help"}, 0, "-for format"},
	}
	for _, tt := range tests {
		code, _, errs := markersCmd(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
	// A failed conversion leaves an existing OUT as it was.
	out := filepath.Join(tmp, "keep.xml")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := markersCmd(t, "", "convert", "--to", "youtube", "--from", "youtube", amb, out); code != 1 {
		t.Fatalf("one chapter to youtube: exit %d", code)
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("OUT changed to %q", b)
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestMarkersValidate(t *testing.T) {
	dir := makeSession(t)
	code, out, errs := markersCmd(t, "", "validate", dir)
	if code != 0 || !strings.HasSuffix(out, dir+": 6 markers, 4 chapters: 0 errors, 0 warnings\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = markersCmd(t, "", "validate", "--for", "youtube", "--public", "topic", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "c.json")
	doc := `{"version":"1.2.0","chapters":[{"startTime":5,"title":"A"},{"startTime":30,"title":""},{"startTime":30,"title":"B"}]}`
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = markersCmd(t, "", "validate", bad)
	want := `error: 00:00:30.000 "": empty title [empty-title]`
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "[duplicate-time]") || !strings.Contains(out, "[first-not-zero] (fix: insert an \"Intro\" chapter at 0:00)") ||
		!strings.HasSuffix(out, "3 markers, 3 chapters: 2 errors, 2 warnings\n") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestTranscriptCommand(t *testing.T) {
	dir := makeSession(t)
	tr := filepath.Join("..", "..", "markers", "testdata", "episode-048.transcript.txt")
	code, out, errs := transcriptCmd(t, "--markers", dir, "--transcript", tr, "--format", "md")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "# Episode 48\n\n## 00:00:00 Intro\n\n**00:00:00** Hello and welcome") ||
		!strings.Contains(out, "## 00:02:38 Kinesis\n\n**00:02:38** Brian, do you know what Kinesis streams are?") ||
		strings.Contains(out, "retake") {
		t.Errorf("markdown:\n%.600s", out)
	}
	// HTML and WebVTT into files.
	tmp := t.TempDir()
	for _, f := range []string{"html", "vtt", "shownotes"} {
		path := filepath.Join(tmp, "t."+f)
		if code, _, errs := transcriptCmd(t, "--markers", dir, "--transcript", tr, "--format", f, "--out", path); code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errs)
		}
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), "Kinesis") {
			t.Fatalf("%s: %v\n%.300s", f, err, b)
		}
	}
	// The seed, from a chapters file, retimed.
	chapters := filepath.Join(tmp, "c.chapters.txt")
	if err := os.WriteFile(chapters, []byte("00:00:00.000 Intro\n00:01:00.000 News <https://n.ews>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = transcriptCmd(t, "--markers", chapters, "--offset", "30s")
	if code != 0 || out != "# Transcript\n\n<!-- Transcript seed written by podmark: type each chapter's transcript under its heading. -->\n\n## 00:00:30 Intro\n\n## 00:01:30 News\n" {
		t.Fatalf("exit %d: %q %s", code, out, errs)
	}
	code, out, _ = transcriptCmd(t, "--markers", chapters, "--format", "shownotes")
	if code != 0 || !strings.Contains(out, "- 1:00 [News](https://n.ews)\n") {
		t.Fatalf("exit %d: %q", code, out)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "need --markers IN"},
		{[]string{"--markers", chapters, "--format", "pdf"}, 2, `--format "pdf"`},
		{[]string{"--markers", chapters, "--format", "vtt"}, 2, "--format vtt needs --transcript"},
		{[]string{"--markers", chapters, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--markers", chapters, "--transcript", filepath.Join(tmp, "none.txt")}, 1, "no such file"},
		{[]string{"--markers", chapters, "--transcript", chapters + "x"}, 1, "no such file"},
		{[]string{"--markers", filepath.Join(tmp, "none")}, 1, "no such file"},
	} {
		code, _, errs := transcriptCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
	// A transcript that cannot be read names its file and line.
	badTr := filepath.Join(tmp, "bad.srt")
	if err := os.WriteFile(badTr, []byte("1\n00:00:01,000 --> never\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := transcriptCmd(t, "--markers", chapters, "--transcript", badTr); code != 1 || !strings.Contains(errs, badTr+":2: srt: bad cue timing") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
