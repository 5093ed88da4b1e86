package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// exportSession writes a small two-track session folder for the export tests.
func exportSession(t *testing.T, dir string) string {
	t.Helper()
	const rate, seconds = 48000, 30
	start := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	if err := os.MkdirAll(filepath.Join(dir, "tracks"), 0o755); err != nil {
		t.Fatal(err)
	}
	meta := session.Meta{FormatVersion: session.FormatVersion, App: "podmark", Title: "E2E export", Host: "ann",
		Rate: rate, Bits: "24", Channels: 2, StartUTC: start, Created: start, State: session.StateStopped, Frames: rate * seconds}
	for i, h := range []string{"ann", "ben"} {
		rel := "tracks/" + h + "-1.wav"
		meta.Tracks = append(meta.Tracks, session.Track{File: rel, Channel: i + 1})
		s := make([]float32, rate*seconds)
		for k := range s {
			s[k] = float32(0.3 * math.Sin(2*math.Pi*float64(220*(i+1))*float64(k)/rate))
		}
		if err := audio.WriteWAVFile(filepath.Join(dir, rel), audio.WriterOptions{Rate: rate, Channels: 1, Format: audio.Int24}, s); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dir, session.MetaFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := markers.OpenJournal(filepath.Join(dir, session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []markers.Marker{
		{Kind: markers.Topic, Title: "Hello", Sample: 0},
		{Kind: markers.Sponsor, Title: "Sponsor", URL: "https://example.com", Sample: 10 * rate},
		{Kind: markers.Edit, Title: "cut this", Sample: 12 * rate, End: 14 * rate},
		{Kind: markers.Topic, Title: "Goodbye", Sample: 20 * rate},
	} {
		m.ID = "e" + string(rune('0'+i))
		m.UTC = start
		if err := j.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestE2EExportVerify(t *testing.T) {
	requireTool(t, "ffprobe", "flac")
	bin := podmarkBin(t)
	tmp := t.TempDir()
	sess := exportSession(t, filepath.Join(tmp, "session"))
	out := filepath.Join(tmp, "bundle")

	cmd := exec.Command(bin, "export", sess, "--out", out, "--zip", "--offset", "5s")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("export: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "export: done (100%") {
		t.Errorf("no plain progress lines without a terminal:\n%s", b)
	}
	// The summary ends with the loudness table; the mix is at -16 LUFS.
	if !strings.Contains(string(b), "loudness (BS.1770-4):") || !strings.Contains(string(b), "normalized to -16 LUFS") || !strings.Contains(string(b), "tracks/ann-1.wav") {
		t.Errorf("no loudness table in the summary:\n%s", b)
	}
	// podmark loudness measures the files as export did.
	b, err = exec.Command(bin, "loudness", filepath.Join(out, "audio", "ann-1.wav"), filepath.Join(out, "audio", "review-mix.mp3")).CombinedOutput()
	if err != nil || !strings.Contains(string(b), "dual mono") {
		t.Errorf("podmark loudness: %v\n%s", err, b)
	}
	for _, l := range strings.Split(string(b), "\n") {
		// The MP3, decoded to its channels' average: -16 LUFS as dual mono.
		if f := strings.Fields(l); len(f) >= 3 && strings.HasSuffix(f[0], "review-mix.mp3") {
			if dual, err := strconv.ParseFloat(f[2], 64); err != nil || math.Abs(dual+16) > 0.5 {
				t.Errorf("podmark loudness of the mix: %q", l)
			}
		}
	}
	if _, err := os.Stat(out + ".zip"); err != nil {
		t.Error(err)
	}
	// ffprobe sees the MP3's chapters on the recording timeline.
	pr, err := exec.Command("ffprobe", "-v", "error", "-show_chapters", "-of", "json", filepath.Join(out, "audio", "review-mix.mp3")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Chapters []struct {
			Start string            `json:"start_time"`
			Tags  map[string]string `json:"tags"`
		} `json:"chapters"`
	}
	if err := json.Unmarshal(pr, &p); err != nil || len(p.Chapters) != 3 || p.Chapters[1].Start != "10.000000" || p.Chapters[2].Tags["title"] != "Goodbye" {
		t.Errorf("chapters %s (%v)", pr, err)
	}

	b, err = exec.Command(bin, "verify", out).CombinedOutput()
	if err != nil || !strings.Contains(string(b), "OK") {
		t.Fatalf("verify: %v\n%s", err, b)
	}

	// One flipped byte: named by file, exit 1.
	flac := filepath.Join(out, "audio", "ben-1.flac")
	data, err := os.ReadFile(flac)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x80
	if err := os.WriteFile(flac, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "verify", out)
	b, _ = cmd.CombinedOutput() // exit status 1, checked below
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(b), "audio/ben-1.flac") || strings.Contains(string(b), "ann-1") {
		t.Errorf("verify of a damaged bundle: exit %d\n%s", cmd.ProcessState.ExitCode(), b)
	}

	// Bad input: clear errors, exit codes, nothing left behind.
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"export", filepath.Join(tmp, "nothing"), "--out", filepath.Join(tmp, "x")}, 1, "not a session"},
		{[]string{"export", sess, "--out", out}, 1, "already exists"},
		{[]string{"export", sess}, 2, "--out"},
		{[]string{"export", sess, "--out", filepath.Join(tmp, "y"), "--cut", "9-3"}, 2, "cut"},
		{[]string{"export", sess, "--out", filepath.Join(tmp, "z"), "--audio", "ogg"}, 1, "ogg"},
		{[]string{"export", sess, "--out", filepath.Join(tmp, "w"), "--loudness", "3"}, 2, "--loudness"},
		{[]string{"loudness", filepath.Join(tmp, "nothing.wav")}, 1, "nothing.wav"},
		{[]string{"loudness"}, 2, "usage"},
		{[]string{"verify", sess}, 1, "manifest.json"},
		{[]string{"verify"}, 2, "usage"},
	} {
		cmd := exec.Command(bin, tc.args...)
		b, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != tc.code || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, cmd.ProcessState.ExitCode(), tc.code, tc.msg, b)
		}
	}
	ents, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "bundle bundle.zip session" {
		t.Errorf("left behind: %v", names)
	}
}
