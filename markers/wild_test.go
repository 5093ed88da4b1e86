package markers

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hiddenDoc has two table-of-contents chapters around an untitled image
// change that is not one.
func hiddenDoc() Doc {
	return Doc{Version: DocVersion, Rate: 48000, Markers: []Marker{
		{ID: "a", Kind: Topic, Title: "Intro", Sample: 0},
		{ID: "b", Kind: Topic, Sample: 30 * 48000, Hidden: true, Image: "https://e.x/ad.jpg"},
		{ID: "c", Kind: Topic, Title: "Main", URL: "https://e.x/", Sample: 60 * 48000},
	}}
}

// Hidden chapters survive a podcast-json round trip and are left out of
// every table-of-contents format with a note, not an error.
func TestHiddenChapters(t *testing.T) {
	d := hiddenDoc()
	var b bytes.Buffer
	if err := Write(&b, FormatPodcastJSON, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"img": "https://e.x/ad.jpg",`+"\n"+`      "toc": false`) {
		t.Errorf("podcast-json:\n%s", b.String())
	}
	back, err := Read(&b, FormatPodcastJSON)
	if err != nil || len(back.Markers) != 3 || !back.Markers[1].Hidden || back.Markers[1].Image != "https://e.x/ad.jpg" || back.Markers[0].Hidden {
		t.Fatalf("round trip: %+v %v", back.Markers, err)
	}
	for _, f := range []Format{FormatPSC, FormatMP4Chaps, FormatWebVTT, FormatCUE} {
		rep := ValidateFor(d, f)
		if !rep.OK() || len(rep.Warnings) != 1 || rep.Warnings[0].Code != CodeHidden || !strings.Contains(rep.Warnings[0].Msg, "1 hidden chapter(s) (toc: false) left out of "+string(f)) {
			t.Errorf("%s: %s", f, rep)
		}
		var out bytes.Buffer
		if err := Write(&out, f, d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := Read(&out, f)
		if err != nil || len(got.Markers) != 2 || got.Markers[1].Title != "Main" {
			t.Errorf("%s: %+v %v\n%s", f, got.Markers, err, out.String())
		}
	}
	if rep := Validate(d); !rep.OK() {
		t.Errorf("Validate: %s", rep)
	}
	if got := d.TOC(); len(got) != 2 || len(d.Chapters()) != 3 {
		t.Errorf("TOC %d, Chapters %d", len(got), len(d.Chapters()))
	}
}

// ID3Chapters is the chapter list an MP3 carries: table-of-contents
// chapters before the end, each ending at the next, later of a shared
// millisecond kept, URLs in ASCII.
func TestID3Chapters(t *testing.T) {
	d := hiddenDoc()
	d.Markers = append(d.Markers,
		Marker{ID: "d", Kind: Topic, Title: "Same ms, earlier", Sample: 90 * 48000},
		Marker{ID: "e", Kind: Sponsor, Title: "Café", URL: "https://e.x/café", Sample: 90*48000 + 10},
		Marker{ID: "f", Kind: Edit, Title: "cut", Sample: 100 * 48000},
		Marker{ID: "g", Kind: Topic, Title: "Past the end", Sample: 200 * 48000},
	)
	got := d.ID3Chapters(120 * 48000)
	want := []ID3Chapter{
		{ID: "chp0", Title: "Intro", Start: 0, End: 60 * time.Second},
		{ID: "chp1", Title: "Main", URL: "https://e.x/", Start: 60 * time.Second, End: 90*time.Second + 208333},
		{ID: "chp2", Title: "Café", URL: "https://e.x/caf%C3%A9", Start: 90*time.Second + 208333, End: 120 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	many := Doc{Rate: 1000}
	for i := range 300 {
		many.Markers = append(many.Markers, Marker{ID: NewID(), Kind: Topic, Title: "x", Sample: int64(i) * 1000})
	}
	if n := len(many.ID3Chapters(1_000_000)); n != ID3MaxChapters {
		t.Errorf("%d chapters, want %d", n, ID3MaxChapters)
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		d    time.Duration
		l    ClockLayout
		want string
	}{
		{0, ClockNPT, "00:00:00.000"},
		{3723456 * time.Millisecond, ClockNPT, "01:02:03.456"},
		{100*time.Hour + 999999999, ClockNPT, "100:00:00.999"},
		{3723999 * time.Millisecond, ClockHMS, "01:02:03"},
		{59*time.Minute + 59*time.Second, ClockShort, "59:59"},
		{time.Hour, ClockShort, "1:00:00"},
		{65 * time.Second, ClockShort, "1:05"},
		{-1500 * time.Millisecond, ClockLog, "-0:00:01.500"},
		{5*time.Second + 340*time.Millisecond, ClockLayout{HourDigits: 2, Frac: 1}, "00:00:05.3"},
		{time.Second + 1, ClockLayout{HourDigits: 1, Frac: 9}, "0:00:01.000000001"},
	}
	for _, tt := range tests {
		if got := Clock(tt.d, tt.l); got != tt.want {
			t.Errorf("Clock(%v, %+v) = %q, want %q", tt.d, tt.l, got, tt.want)
		}
	}
}

// A WebVTT transcript holds no empty cues: ffmpeg drops them on reading.
func TestTranscriptVTTNoEmptyCues(t *testing.T) {
	cues := []Cue{
		{Start: time.Second, Text: "Hello"},
		{Start: 2 * time.Second, Speaker: "Host", Text: "  "},
		{Start: 3 * time.Second, Text: "Bye"},
	}
	var b bytes.Buffer
	if err := WriteTranscript(&b, "vtt", hiddenDoc(), cues); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "-->") != 2 || strings.Contains(b.String(), "<v Host>") {
		t.Errorf("vtt:\n%s", b.String())
	}
	back, err := ReadTranscript(&b, "t.vtt")
	if err != nil || len(back) != 2 || back[1].Text != "Bye" || back[0].End != 2*time.Second {
		t.Errorf("%+v %v", back, err)
	}
}

// Readers refuse or warn in words that name the format found and the line
// really at fault.
func TestReadWarnings(t *testing.T) {
	tests := []struct {
		f        Format
		in, want string
	}{
		{FormatWebVTT, "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\njunk\nmore junk\n\n00:03.000 --> 00:04.000\nok too\n", "webvtt: line 6: skipped: 2 line(s) that are not a cue"},
		{FormatWebVTT, "WEBVTT\n\n00:01.000 --> 00:00.500\nbackwards\n\n00:03.000 --> 00:04.000\nok\n", "webvtt: line 3: skipped: cue ends before it starts"},
		{FormatCUE, "TITLE \"Caf\xe9\"\nFILE \"a.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n", "cue: not UTF-8 (first at line 1): read as Windows-1252"},
	}
	for _, tt := range tests {
		_, warns, err := ReadWith(strings.NewReader(tt.in), tt.f, ReadOptions{})
		if err != nil || len(warns) != 1 || warns[0] != tt.want && !strings.HasPrefix(warns[0], tt.want) {
			t.Errorf("%s %q: %q %v; want %q", tt.f, tt.in, warns, err, tt.want)
		}
	}
	d, _, err := ReadWith(strings.NewReader("TITLE \"Caf\xe9 \x80\"\nFILE \"a.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n"), FormatCUE, ReadOptions{})
	if err != nil || d.Title != "Café €" {
		t.Errorf("Windows-1252 title %q, %v", d.Title, err)
	}
	// Multi-FILE sheets: lengths short by one name the FILE that needs one.
	sheet := "FILE \"1.wav\" WAVE\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\nFILE \"2.wav\" WAVE\n TRACK 02 AUDIO\n  INDEX 01 00:01:00\nFILE \"3.wav\" WAVE\n TRACK 03 AUDIO\n  INDEX 01 00:00:00\n"
	_, _, err = ReadWith(strings.NewReader(sheet), FormatCUE, ReadOptions{FileLengths: []time.Duration{time.Minute}})
	if err == nil || !strings.Contains(err.Error(), "line 7: cue: 3 FILE lines but 1 lengths given") {
		t.Errorf("short lengths: %v", err)
	}
	d, _, err = ReadWith(strings.NewReader(sheet), FormatCUE, ReadOptions{FileLengths: []time.Duration{time.Minute, 2 * time.Minute}})
	if err != nil || len(d.Markers) != 3 || d.Markers[1].Sample != 61*48000 || d.Markers[2].Sample != 180*48000 {
		t.Errorf("placed: %+v %v", d.Markers, err)
	}
}

// ffmpeg reads every cue of a WebVTT transcript written from cues with an
// empty one among them (left out: the time it held stays a gap), and
// podmark reads a Windows-1252 SRT as ffmpeg does once told its encoding.
func TestOutsideFFprobeTranscriptVTT(t *testing.T) {
	ffprobe := requireTool(t, "ffprobe")
	cues := []Cue{
		{Start: time.Second, Text: "Hello"},
		{Start: 2 * time.Second, Text: ""},
		{Start: 3 * time.Second, Speaker: "Guest", Text: "Café & <more>"},
		{Start: 4 * time.Second, End: 5 * time.Second, Text: "Bye"},
	}
	path := filepath.Join(t.TempDir(), "t.vtt")
	if err := WriteAtomic(path, func(w io.Writer) error { return WriteTranscript(w, "vtt", hiddenDoc(), cues) }); err != nil {
		t.Fatal(err)
	}
	out := csvLines(runTool(t, ffprobe, "-v", "error", "-of", "csv=p=0", "-show_entries", "packet=pts_time,duration_time", path))
	if want := "1.000000,1.000000\n3.000000,1.000000\n4.000000,1.000000\n"; out != want {
		t.Errorf("ffprobe packets:\n%s\nwant\n%s", out, want)
	}
	ffmpeg := requireTool(t, "ffmpeg")
	srt := filepath.Join(t.TempDir(), "legacy.srt")
	if err := os.WriteFile(srt, []byte("1\r\n00:00:01,000 --> 00:00:02,000\r\nCaf\xe9 cr\xe8me \x80\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conv := filepath.Join(t.TempDir(), "utf8.srt")
	runTool(t, ffmpeg, "-v", "error", "-sub_charenc", "CP1252", "-i", srt, conv)
	theirs, err := os.ReadFile(conv)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(srt)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ours, warns, err := ReadTranscriptWith(f, srt)
	if err != nil || len(ours) != 1 || len(warns) != 1 || !strings.Contains(string(theirs), ours[0].Text) || ours[0].Text != "Café crème €" {
		t.Errorf("ours %+v %q %v; ffmpeg's:\n%s", ours, warns, err, theirs)
	}
}
