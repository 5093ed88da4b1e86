package markers

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fixture = "testdata/episode-048.transcript.txt"

// episodeDoc is a realistic chapter set for Python Bytes episode 48, chosen
// by reading the transcript fixture: each chapter starts at the cue where
// the hosts change subject.
func episodeDoc() Doc {
	c := func(id string, k Kind, pos, title, url string) Marker {
		return Marker{ID: id, Kind: k, Title: title, URL: url, Sample: at(pos), Author: "michael"}
	}
	return Doc{
		Version: DocVersion,
		Title:   "Python Bytes #48: Garbage collection, graphs & WSGI",
		Rate:    rate,
		Frames:  at("17:52"),
		Markers: []Marker{
			c("c01", Topic, "0:00", "Intro", ""),
			c("c02", Sponsor, "0:20", "Thanks, DigitalOcean", "https://do.co/python"),
			c("c03", Topic, "0:32", "The Python Graph Gallery", "https://python-graph-gallery.com"),
			c("c04", Topic, "2:38", "Kinesis streams for Python", ""),
			c("e01", Edit, "2:40", "keyboard tangent, trim?", ""),
			c("c05", Topic, "4:18", "Memory management & garbage collection in <CPython>", ""),
			c("c06", Sponsor, "9:32", "DigitalOcean Spaces", "https://do.co/python"),
			c("c07", Topic, "10:23", "WSGI is not enough", ""),
			c("n01", Note, "12:00", "add the article link", ""),
			c("c08", Topic, "13:09", "LIFO queues in Python", ""),
			c("c09", Topic, "15:25", "Using Reflection, a podcast", ""),
			c("c10", Topic, "16:24", "Extras: free MongoDB course", "https://freemongodbcourse.com"),
			c("c11", Topic, "17:18", "Outro", ""),
		},
	}
}

func readFixture(t *testing.T) []Cue {
	t.Helper()
	f, err := os.Open(fixture)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	defer f.Close()
	cues, err := ReadTranscript(f, fixture)
	if err != nil {
		t.Fatal(err)
	}
	return cues
}

func TestReadTranscriptFixture(t *testing.T) {
	cues := readFixture(t)
	if len(cues) != 312 {
		t.Fatalf("%d cues, want 312", len(cues))
	}
	first, last := cues[0], cues[len(cues)-1]
	if first.Start != 0 || !strings.HasPrefix(first.Text, "Hello and welcome to Python Bytes") {
		t.Errorf("first cue %+v", first)
	}
	if last.Start != 17*time.Minute+46*time.Second || !strings.HasPrefix(last.Text, "Thank you for listening") {
		t.Errorf("last cue %+v", last)
	}
}

func TestTranscriptSectionsOnFixture(t *testing.T) {
	cues := readFixture(t)
	d := episodeDoc()
	for _, format := range []string{"md", "html", "vtt", "shownotes"} {
		var buf bytes.Buffer
		if err := WriteTranscript(&buf, format, d, cues); err != nil {
			t.Fatal(err)
		}
		golden(t, "episode-048"+map[string]string{"md": ".md", "html": ".html", "vtt": ".vtt", "shownotes": ".shownotes.md"}[format], buf.Bytes())
	}
	var buf bytes.Buffer
	if err := WriteSeed(&buf, d); err != nil {
		t.Fatal(err)
	}
	golden(t, "episode-048.seed.md", buf.Bytes())

	// Each heading comes right before the first cue at or after its start.
	buf.Reset()
	if err := WriteTranscript(&buf, "md", d, cues); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"## 00:02:38 Kinesis streams for Python\n\n**00:02:38** Brian, do you know what Kinesis streams are?",
		"## 00:04:18 Memory management & garbage collection in \\<CPython\\>\n\n**00:04:18** It's awesome.",
		"## 00:09:32 DigitalOcean Spaces\n\n**00:09:32** You know what else is interesting?",
		"## 00:13:09 LIFO queues in Python\n\n**00:13:09** Yeah.",
		"## 00:17:18 Outro\n\n**00:17:18** All right, well, I guess until next week, Brian.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "keyboard tangent") || strings.Contains(md, "article link") {
		t.Error("editor-only markers in the transcript")
	}
	if strings.Count(md, "\n## ") != 11 {
		t.Errorf("%d chapter headings, want 11", strings.Count(md, "\n## "))
	}
}

// The HTML transcript parses as XML (python3's xml.etree), with the chapter
// headings as text and nothing from titles or cues turned into markup.
func TestTranscriptHTMLOutsideReader(t *testing.T) {
	python := requireTool(t, "python3")
	d := episodeDoc()
	d.Markers[0].Title = `Intro <script>alert("x")</script> & more`
	cues := append(readFixture(t), Cue{Start: 17*time.Minute + 50*time.Second, Speaker: "<b>Brian</b>", Text: "a < b && c > d"})
	var buf bytes.Buffer
	if err := WriteTranscript(&buf, "html", d, cues); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, python, "-c", `
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.find(".//script") is None, "script element leaked"
for h in root.iter("h2"):
    print("".join(h.itertext()))
print(len(root.findall(".//p")))
`, path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 12 || lines[0] != `00:00:00 Intro <script>alert("x")</script> & more` || lines[10] != "00:17:18 Outro" || lines[11] != "313" {
		t.Fatalf("python3 read:\n%s", out)
	}
}

// ffprobe reads the WebVTT transcript and counts its cues; every cue ends
// where the next starts.
func TestTranscriptVTTOutsideReader(t *testing.T) {
	ffprobe := requireTool(t, "ffprobe")
	cues := readFixture(t)
	var buf bytes.Buffer
	if err := WriteTranscript(&buf, "vtt", episodeDoc(), cues); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.vtt")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := csvLines(runTool(t, ffprobe, "-v", "error", "-of", "csv=p=0", "-show_entries", "packet=pts_time,duration_time", path))
	pk := strings.Split(strings.TrimSpace(out), "\n")
	if len(pk) != len(cues) {
		t.Fatalf("ffprobe saw %d cues, want %d", len(pk), len(cues))
	}
	// Read our own output back: starts ascending, each end = next start.
	got, err := ReadTranscript(bytes.NewReader(buf.Bytes()), "t.vtt")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(got); i++ {
		if got[i].End != got[i+1].Start || got[i].End <= got[i].Start {
			t.Fatalf("cue %d: %v→%v, next starts %v", i, got[i].Start, got[i].End, got[i+1].Start)
		}
	}
	if last := got[len(got)-1]; last.End != 17*time.Minute+52*time.Second {
		t.Errorf("last cue ends %v, want the audio's end", last.End)
	}
}

func TestReadTranscriptFormats(t *testing.T) {
	want := []Cue{
		{Start: 0, End: 2500 * time.Millisecond, Text: "Hello & welcome."},
		{Start: 2500 * time.Millisecond, End: 5 * time.Second, Text: "Two lines joined."},
	}
	srt := "\ufeff1\r\n00:00:00,000 --> 00:00:02,500\r\n<i>Hello</i> & welcome.\r\n\r\n2\r\n00:00:02,500 --> 00:00:05,000\r\nTwo lines\r\njoined.\r\n"
	vtt := "WEBVTT - a title\n\nNOTE a comment\n\n1\n00:00.000 --> 00:02.500 align:start\nHello &amp; welcome.\n\n00:00:02.500 --> 00:00:05.000\nTwo lines\njoined.\n"
	js := `{"version":"1.0.0","segments":[
	 {"startTime":0,"endTime":1.0,"body":"Hello"},{"startTime":1.0,"endTime":2.5,"body":"& welcome."},
	 {"startTime":2.5,"endTime":3.5,"body":"Two lines"},{"startTime":3.5,"endTime":5,"body":"joined."}]}`
	for name, in := range map[string]string{"a.srt": srt, "a.vtt": vtt, "a.json": js, "noext-srt": srt, "noext-vtt": vtt, "noext-json": js} {
		got, err := ReadTranscript(strings.NewReader(in), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	// Speakers.
	got, err := ReadTranscript(strings.NewReader("WEBVTT\n\n00:01.000 --> 00:02.000\n<v.loud Brian Okken>Hi there</v>\n"), "s.vtt")
	if err != nil || len(got) != 1 || got[0].Speaker != "Brian Okken" || got[0].Text != "Hi there" {
		t.Fatalf("%+v %v", got, err)
	}
	got, err = ReadTranscript(strings.NewReader(`{"segments":[{"speaker":"Michael","startTime":"1.5","body":"Hi."},{"speaker":"Brian","startTime":2,"body":"Hey"},{"speaker":"Brian","startTime":2.4,"body":"there."}]}`), "s.json")
	if err != nil || len(got) != 2 || got[1].Speaker != "Brian" || got[1].Text != "Hey there." || got[0].Start != 1500*time.Millisecond {
		t.Fatalf("%+v %v", got, err)
	}
	// Plain: header lines skipped, [brackets], continuation lines, m:ss.
	got, err = ReadTranscript(strings.NewReader("Episode 48 transcript\n\n[00:00:01] Hi\nthere\n\n1:02.5 Next\n\nmore of it\n"), "t.txt")
	if err != nil || len(got) != 2 || got[0].Text != "Hi there" || got[1].Start != 62500*time.Millisecond || got[1].Text != "Next\n\nmore of it" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestReadTranscriptErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"x.txt", "no times here\n", "x.txt:1: transcript: no timed lines"},
		{"x.srt", "2\nbroken timing\ntext\n", "x.srt:1: srt: 3 line(s) that are not a cue"},
		{"x.srt", "1\n00:00:01,000 --> soon\nok\n", "x.srt:2: srt: bad cue timing"},
		{"x.vtt", "WEBVT\n", "x.vtt:1: webvtt: no \"WEBVTT\" header"},
		{"x.json", "{\n \"segments\": [\n  {\"body\": \"x\"}\n ]\n}", "x.json:3: json-transcript: segment without startTime"},
		{"x.json", "{\n \"segments\": [\n  {\"startTime\": 1,}\n ]\n}", "x.json:3: json-transcript"},
		{"x.json", `{"version":"1.0.0"}`, `x.json:1: json-transcript: no "segments" array`},
		{"x.txt", "\xff\xfe\x00", "x.txt: "},
	}
	for _, tt := range tests {
		_, err := ReadTranscript(strings.NewReader(tt.in), tt.name)
		if err == nil || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestWriteTranscriptErrors(t *testing.T) {
	if err := WriteTranscript(&bytes.Buffer{}, "pdf", episodeDoc(), nil); !errors.Is(err, ErrUnknownTranscriptFormat) {
		t.Errorf("err = %v", err)
	}
	if err := WriteTranscript(&bytes.Buffer{}, "md", Doc{}, nil); err == nil {
		t.Error("rate 0 accepted")
	}
	if err := WriteSeed(failWriter{}, episodeDoc()); err == nil {
		t.Error("writer error dropped")
	}
}

// Chapters after the last cue and cues before the first chapter still appear.
func TestTranscriptEdges(t *testing.T) {
	d := Doc{Rate: rate, Markers: []Marker{
		{ID: "a", Kind: Topic, Title: "Late start", Sample: at("10")},
		{ID: "b", Kind: Topic, Title: "After the end", Sample: at("1:00")},
	}}
	cues := []Cue{{Start: 0, Text: "before"}, {Start: 10 * time.Second, Text: "at"}, {Start: 10 * time.Second, Text: "same second"}}
	var buf bytes.Buffer
	if err := WriteTranscript(&buf, "md", d, cues); err != nil {
		t.Fatal(err)
	}
	want := "# Transcript\n\n**00:00:00** before\n\n## 00:00:10 Late start\n\n**00:00:10** at\n\n**00:00:10** same second\n\n## 00:01:00 After the end\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := WriteTranscript(&buf, "vtt", d, cues); err != nil {
		t.Fatal(err)
	}
	// The last two cues share a start and no end is known: each gets its
	// estimate (0.4 s a word, at least 1 s), split evenly.
	want = "WEBVTT\n\n00:00:00.000 --> 00:00:10.000\nbefore\n\nNOTE chapter 00:00:10.000 Late start\n\n00:00:10.000 --> 00:00:11.000\nat\n\n00:00:11.000 --> 00:00:12.000\nsame second\n\nNOTE chapter 00:01:00.000 After the end\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// Only http(s) and mailto URLs become links in HTML and Markdown.
func TestTranscriptLinksSafe(t *testing.T) {
	d := Doc{Rate: rate, Markers: []Marker{
		{ID: "a", Kind: Topic, Title: "Bad", URL: "javascript:alert(1)", Sample: 0},
		{ID: "b", Kind: Topic, Title: "Data", URL: " DATA:text/html,<b>", Sample: at("1:00")},
		{ID: "c", Kind: Topic, Title: "Good", URL: "https://e.x/a (b)<c>", Sample: at("2:00")},
	}}
	for _, format := range []string{"html", "shownotes"} {
		var buf bytes.Buffer
		if err := WriteTranscript(&buf, format, d, []Cue{{Start: 0, Text: "x"}}); err != nil {
			t.Fatal(err)
		}
		out := strings.ToLower(buf.String())
		if strings.Contains(out, "javascript:") || strings.Contains(out, "data:") {
			t.Errorf("%s links an unsafe URL:\n%s", format, buf.String())
		}
		if !strings.Contains(buf.String(), "https://e.x/a") {
			t.Errorf("%s lacks the https link:\n%s", format, buf.String())
		}
	}
	var buf bytes.Buffer
	if err := WriteTranscript(&buf, "shownotes", d, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "- 2:00 [Good](https://e.x/a%20%28b%29%3Cc%3E)\n") || !strings.Contains(buf.String(), "- 0:00 Bad\n") {
		t.Errorf("show notes:\n%s", buf.String())
	}
}
