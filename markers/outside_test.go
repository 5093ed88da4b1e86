package markers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemp writes d in format f to a temporary file and returns its path.
func writeTemp(t *testing.T, f Format, d Doc) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "episode"+f.Ext())
	if err := WriteFile(path, f, d); err != nil {
		t.Fatal(err)
	}
	return path
}

// ffmpeg reads the WebVTT chapters as a subtitle stream: one packet per
// chapter at the right times.
func TestOutsideFFprobeWebVTT(t *testing.T) {
	ffprobe := requireTool(t, "ffprobe")
	path := writeTemp(t, FormatWebVTT, sampleDoc())
	out := csvLines(runTool(t, ffprobe, "-v", "error", "-of", "csv=p=0", "-show_entries", "packet=pts_time,duration_time", path))
	want := "0.000000,20.400000\n20.400000,11.600000\n32.000000,722.567000\n754.567000,268.433000\n1023.000000,47.000000\n"
	if out != want {
		t.Errorf("ffprobe packets:\n%s\nwant\n%s", out, want)
	}
	ffmpeg := requireTool(t, "ffmpeg")
	// ffmpeg converts it to SRT: the titles survive, unescaped.
	srt := filepath.Join(t.TempDir(), "c.srt")
	runTool(t, ffmpeg, "-v", "error", "-i", path, srt)
	b, err := os.ReadFile(srt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `Ünïcödé & <tags> 日本語 "quoted"`) || !strings.Contains(string(b), "00:12:34,567 --> 00:17:03,000") {
		t.Errorf("ffmpeg's SRT:\n%s", b)
	}
}

// python3's json and xml.etree read the podcast JSON chapters, the
// canonical markers.json and the Podlove chapters; csv reads REAPER's file.
func TestOutsidePython(t *testing.T) {
	python := requireTool(t, "python3")
	d := sampleDoc()
	tests := []struct {
		f      Format
		script string
		want   string
	}{
		{FormatPodcastJSON, `
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["version"] == "1.2.0"
for c in doc["chapters"]:
    print(c["startTime"], c["title"], c.get("url", "-"), sep="|")
`, "0|Intro|-\n20.4|DigitalOcean Spaces|https://do.co/python\n32|Python Graph Gallery|https://python-graph-gallery.com/?ref=pb&ep=48\n754.567|Ünïcödé & <tags> 日本語 \"quoted\"|-\n1023|Wrap-up|-\n"},
		{FormatPodmark, `
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
print(doc["version"], doc["rate"], doc["frames"], len(doc["markers"]))
print(*sorted({m["kind"] for m in doc["markers"]}))
`, "1 48000 51360000 8\nedit glitch note sponsor topic\n"},
		{FormatPSC, `
import sys, xml.etree.ElementTree as ET
ns = {"psc": "http://podlove.org/simple-chapters"}
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://podlove.org/simple-chapters}chapters" and root.get("version") == "1.2"
for c in root.findall("psc:chapter", ns):
    print(c.get("start"), c.get("title"), c.get("href", "-"), sep="|")
`, "00:00:00.000|Intro|-\n00:00:20.400|DigitalOcean Spaces|https://do.co/python\n00:00:32.000|Python Graph Gallery|https://python-graph-gallery.com/?ref=pb&ep=48\n00:12:34.567|Ünïcödé & <tags> 日本語 \"quoted\"|-\n00:17:03.000|Wrap-up|-\n"},
		{FormatReaperCSV, `
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert rows[0] == ["#", "Name", "Start", "End", "Length"], rows[0]
for r in rows[1:]:
    assert len(r) == 5
    print(r[0], r[1], float(r[2]), sep="|")
`, "M1|[topic] Intro|0.0\nM2|[sponsor] DigitalOcean Spaces <https://do.co/python>|20.4\nM3|[topic] Python Graph Gallery <https://python-graph-gallery.com/?ref=pb&ep=48>|32.0\nR1|[edit] retake the intro|45.5\nM4|[note] check the \"plotly\" link|61.0\nM5|[glitch] dropped 480 frames|75.01\nM6|[topic] Ünïcödé & <tags> 日本語 \"quoted\"|754.567\nM7|[topic] Wrap-up|1023.0\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.f), func(t *testing.T) {
			path := writeTemp(t, tt.f, d)
			if got := runTool(t, python, "-c", tt.script, path); got != tt.want {
				t.Errorf("python3 read:\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// The Audacity labels file has three tab-separated fields a line, as
// Audacity's importer expects.
func TestAudacityShape(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FormatAudacity, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if n := strings.Count(line, "\t"); n != 2 {
			t.Errorf("line %d has %d tabs: %q", i+1, n, line)
		}
	}
}

// csvLines normalizes ffprobe's CSV output: no blank lines, no trailing
// commas.
func csvLines(out string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(out, "\n") {
		if line = strings.TrimRight(strings.TrimSpace(line), ","); line != "" {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
