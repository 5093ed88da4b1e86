package main

// End-to-end test of the marker path with the built binary: `podmark record`
// on the fake ramp device takes markers on stdin, then `podmark markers` and
// `podmark transcript` turn the session folder into chapters and editor
// files, checked with ffprobe and python3.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestE2EMarkersFromRecording(t *testing.T) {
	bin := podmarkBin(t)
	requireTool(t, "ffprobe", "python3")
	dir := filepath.Join(t.TempDir(), "ep")
	rec := exec.Command(bin, "record", "--out", dir, "--device", "ramp", "--rate", "48000", "--title", "E2E episode", "--host", "ana", "--duration", "6s")
	stdin, err := rec.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := rec.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	rec.Stderr = &stderr
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct {
		ID     string  `json:"id"`
		Kind   string  `json:"kind"`
		Title  string  `json:"title"`
		Sample int64   `json:"sample"`
		At     float64 `json:"at"`
	}
	acks := make(chan ack, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var a ack
			if json.Unmarshal(sc.Bytes(), &a) == nil && a.ID != "" {
				acks <- a
			}
		}
		close(acks)
	}()
	cmds := []string{"topic Intro", "sponsor Our sponsor", "edit cough, cut it", "topic Graphs & <plots>", "note check the link"}
	var got []ack
	for _, c := range cmds {
		time.Sleep(700 * time.Millisecond)
		if _, err := io.WriteString(stdin, c+"\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-acks:
			got = append(got, a)
		case <-time.After(5 * time.Second):
			t.Fatalf("no acknowledgement for %q; stderr:\n%s", c, stderr.String())
		}
	}
	// A second of talk after the last chapter: one that starts less than a
	// second before the end is a slip that --fix drops (short-chapter).
	time.Sleep(1200 * time.Millisecond)
	if _, err := io.WriteString(stdin, "stop\n"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Wait(); err != nil {
		t.Fatalf("record: %v\n%s", err, stderr.String())
	}

	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), err
	}

	// Validation: the first chapter is not at 0 (a warning), nothing else.
	out, errs, err := run("markers", "validate", dir)
	if err != nil || !strings.Contains(out, "[first-not-zero]") || !strings.Contains(out, "5 markers, 3 chapters: 0 errors") {
		t.Fatalf("validate: %v\n%s%s", err, out, errs)
	}

	// WebVTT chapters at the acknowledged positions, read by ffprobe.
	vtt := filepath.Join(t.TempDir(), "chapters.vtt")
	if _, errs, err := run("markers", "convert", "--to", "webvtt", dir, vtt); err != nil {
		t.Fatalf("convert: %v\n%s", err, errs)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-of", "csv=p=0", "-show_entries", "packet=pts_time", vtt).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var starts []string
	for _, l := range strings.Split(string(probe), "\n") {
		if l = strings.TrimRight(strings.TrimSpace(l), ","); l != "" {
			starts = append(starts, l)
		}
	}
	var want []string
	for _, a := range got {
		if a.Kind == "topic" || a.Kind == "sponsor" {
			want = append(want, fmt.Sprintf("%.6f", float64((a.Sample*1000+24000)/48000)/1000))
		}
	}
	if strings.Join(starts, " ") != strings.Join(want, " ") {
		t.Errorf("ffprobe chapter starts %v, want %v", starts, want)
	}

	// Audacity labels carry every marker; the journal positions are exact.
	labels, errs, err := run("markers", "convert", "--to", "audacity", dir, "-")
	if err != nil {
		t.Fatalf("audacity: %v\n%s", err, errs)
	}
	for _, a := range got {
		line := fmt.Sprintf("\t[%s] %s", a.Kind, a.Title)
		if !strings.Contains(labels, line) {
			t.Errorf("labels lack %q:\n%s", line, labels)
		}
	}

	// Podcast JSON, retimed by a 10 s intro jingle, read by python3.
	js := filepath.Join(t.TempDir(), "chapters.json")
	if _, errs, err := run("markers", "convert", "--to", "podcast-json", "--offset", "10s", "--fix", dir, js); err != nil {
		t.Fatalf("podcast-json: %v\n%s", err, errs)
	}
	py, err := exec.Command("python3", "-c", `
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
print(d["title"], *[c["title"] for c in d["chapters"]], sep="|")
print(*["%.3f" % (c["startTime"] - 10) for c in d["chapters"][1:]])
`, js).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(py)), "\n")
	// --fix starts the late "Intro" at 0:00 instead of adding a second one.
	if len(lines) != 2 || lines[0] != "E2E episode|Intro|Our sponsor|Graphs & <plots>" {
		t.Fatalf("python3 read %q", lines)
	}
	var wantAt []string
	for _, a := range got {
		if a.Kind == "sponsor" || (a.Kind == "topic" && a.Title != "Intro") {
			wantAt = append(wantAt, fmt.Sprintf("%.3f", float64((a.Sample*1000+24000)/48000)/1000))
		}
	}
	if lines[1] != strings.Join(wantAt, " ") {
		t.Errorf("chapter starts minus the offset %q, want %q", lines[1], strings.Join(wantAt, " "))
	}

	// The transcript seed names the chapters.
	seed, errs, err := run("transcript", "--markers", dir)
	if err != nil || !strings.Contains(seed, "# E2E episode") || !strings.Contains(seed, " Graphs & \\<plots\\>\n") {
		t.Errorf("seed: %v\n%s%s", err, seed, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "markers.jsonl")); err != nil {
		t.Fatal(err)
	}
}
