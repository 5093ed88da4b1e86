package markers

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type rv struct { // what a reader produced, compactly
	Kind  Kind
	Title string
	URL   string
	MS    int64
	EndMS int64
}

func views(d Doc) []rv {
	var out []rv
	for _, m := range d.Markers {
		v := rv{m.Kind, m.Title, m.URL, millis(m.Sample, d.Rate), 0}
		if m.End != 0 {
			v.EndMS = millis(m.End, d.Rate)
		}
		out = append(out, v)
	}
	return out
}

// What real tools write: BOMs, CRLF, loose times, missing optional fields.
func TestReadTolerant(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		in   string
		want []rv
	}{
		{"mp4chaps short times, BOM, CRLF", FormatMP4Chaps,
			"\ufeff00:00:00 Intro\r\n\r\n01:59 Podlove <http://podlove.org/>\r\n1:02:03.5 Late  \r\n",
			[]rv{{Topic, "Intro", "", 0, 0}, {Topic, "Podlove", "http://podlove.org/", 119000, 0}, {Topic, "Late", "", 3723500, 0}}},
		{"mp4chaps tab, no title, comment", FormatMP4Chaps,
			"# chapters\n00:00:00.000\tTab title\n00:00:10.000\n",
			[]rv{{Topic, "Tab title", "", 0, 0}, {Topic, "", "", 10000, 0}}},
		{"podcast-json minimal and strings", FormatPodcastJSON,
			`{"version":"1.2.0","chapters":[{"startTime":0},{"startTime":"94.5","title":"Donation","img":"x.jpg","toc":false},{"startTime":1e2,"title":"Exp","endTime":120,"location":{"name":"x"}}],"waypoints":true}`,
			[]rv{{Topic, "", "", 0, 0}, {Topic, "Donation", "", 94500, 0}, {Topic, "Exp", "", 100000, 120000}}},
		{"podcast-json unsorted", FormatPodcastJSON,
			`{"chapters":[{"startTime":20,"title":"B"},{"startTime":0,"title":"A"}]}`,
			[]rv{{Topic, "A", "", 0, 0}, {Topic, "B", "", 20000, 0}}},
		{"psc in an RSS item, short NPT forms", FormatPSC,
			`<?xml version="1.0"?><rss xmlns:psc="http://podlove.org/simple-chapters"><channel><item><title>x</title>
<psc:chapters version="1.1"><psc:chapter start="0" title="Zero"/><psc:chapter start="01:30" title="Ninety &amp; half" href="https://e.x/"/><psc:chapter start="1:00:00.5" title="Hour" image="i.png"/></psc:chapters></item></channel></rss>`,
			[]rv{{Topic, "Zero", "", 0, 0}, {Topic, "Ninety & half", "https://e.x/", 90000, 0}, {Topic, "Hour", "", 3600500, 0}}},
		{"psc no title attribute", FormatPSC,
			"<psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\">\r\n<psc:chapter start=\"00:00:05.000\"/>\r\n</psc:chapters>",
			[]rv{{Topic, "", "", 5000, 0}}},
		{"webvtt short times, ids, settings, notes, markup", FormatWebVTT,
			"WEBVTT\r\nKind: chapters\r\n\r\nNOTE made by hand\r\n\r\n00:00.000 --> 01:00.000 align:start\r\n<b>Intro</b> &amp; hello\r\n\r\nch2\r\n01:00:00.000 --> 01:10:00.000\r\nTwo\r\nlines\r\n",
			[]rv{{Topic, "Intro & hello", "", 0, 0}, {Topic, "Two lines", "", 3600000, 0}}},
		{"youtube description", FormatYouTube,
			"Great episode! Links below.\n\n0:00 Intro\n(1:30) - Graphs: the gallery\n[12:05] Kinesis\n• 1:02:03 – Late one\nSee you 10:00am tomorrow\nhttps://example.com\n",
			[]rv{{Topic, "Intro", "", 0, 0}, {Topic, "Graphs: the gallery", "", 90000, 0}, {Topic, "Kinesis", "", 725000, 0}, {Topic, "Late one", "", 3723000, 0}}},
		{"audacity kinds, regions, spectral lines, no label", FormatAudacity,
			"0.000000\t0.000000\t[topic] Intro\r\n\\\t100.0\t2000.0\r\n45.5\t52.25\t[edit] retake\r\n61,5\t61,5\tno kind <https://x.y/>\r\n70\t70\n",
			[]rv{{Topic, "Intro", "", 0, 0}, {Edit, "retake", "", 45500, 52250}, {Topic, "no kind", "https://x.y/", 61500, 0}, {Topic, "", "", 70000, 0}}},
		{"reaper with Color column and h:mm:ss", FormatReaperCSV,
			"\ufeff#,Name,Start,End,Length,Color\r\nM1,Intro,0:00.000,,,\r\nR1,\"[edit] cut, maybe\",1:00:01.5,1:00:03.0,0:00:01.5,FF0000\r\nM2,[sponsor] DO,90.25,,,\r\n3,plain number id,100,,,\r\n",
			[]rv{{Topic, "Intro", "", 0, 0}, {Sponsor, "DO", "", 90250, 0}, {Topic, "plain number id", "", 100000, 0}, {Edit, "cut, maybe", "", 3601500, 3603000}}},
		{"reaper without header", FormatReaperCSV,
			"M1,Intro,0,,\n",
			[]rv{{Topic, "Intro", "", 0, 0}}},
		{"cue from another tool", FormatCUE,
			"\ufeffREM GENRE Podcast\r\nPERFORMER \"Hosts\"\r\nTITLE \"Ep 1\"\r\nFILE \"ep1.mp3\" MP3\r\n  TRACK 01 AUDIO\r\n    TITLE \"Intro\"\r\n    INDEX 00 00:00:00\r\n    INDEX 01 00:00:00\r\n  TRACK 02 AUDIO\r\n    TITLE \"Part two\"\r\n    REM KIND sponsor\r\n    INDEX 01 01:30:38\r\n    REM NOTE 02:00:00 \"check this\"\r\n",
			[]rv{{Topic, "Intro", "", 0, 0}, {Sponsor, "Part two", "", 90507, 0}, {Note, "check this", "", 120000, 0}}},
		{"utf-16 mp4chaps", FormatMP4Chaps, utf16le("00:00:00.000 Intro ✓\r\n"),
			[]rv{{Topic, "Intro ✓", "", 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(strings.NewReader(tt.in), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := views(d); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if d.Rate != DefaultRate && tt.f != FormatPodmark {
				t.Errorf("rate %d", d.Rate)
			}
			ids := map[string]bool{}
			for _, m := range d.Markers {
				if ids[m.ID] || m.ID == "" {
					t.Errorf("id %q empty or repeated", m.ID)
				}
				ids[m.ID] = true
			}
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		if r > 0xffff {
			panic("BMP only")
		}
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

func TestReadErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		f    Format
		in   string
		want string // substring, including "line N:"
	}{
		{FormatMP4Chaps, "00:00:00.000 Intro\nbogus line\n", "line 2: mp4chaps: bad time"},
		{FormatMP4Chaps, "\n\n", "line 1: mp4chaps: no chapter lines"},
		{FormatPodcastJSON, "{\n \"version\": \"1.2.0\",\n \"chapters\": [\n  {\"title\": \"x\"}\n ]\n}", "line 4: podcast-json: chapter without startTime"},
		{FormatPodcastJSON, "{\n \"chapters\": [\n  {\"startTime\": -3}\n ]\n}", "line 3: podcast-json: bad startTime -3"},
		{FormatPodcastJSON, "{\n \"chapters\": [\n  {\"startTime\": 1},\n  {\"startTime\": 2,}\n ]}", "line 4: podcast-json"},
		{FormatPodcastJSON, "{\"version\": \"1.2.0\"}", `line 1: podcast-json: no "chapters" array`},
		{FormatPodcastJSON, "[1,2]", "line 1: podcast-json: want a JSON object"},
		{FormatPodcastJSON, "{\"chapters\": [\n{\"startTime\": 1}\n", "podcast-json: unexpected end of JSON"},
		{FormatPodcastJSON, "{\"chapters\": 5}", "podcast-json: want an array"},
		{FormatPodcastJSON, "{\"chapters\": []} x", "podcast-json"},
		{FormatPSC, "<psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\">\n<psc:chapter title=\"x\"/>\n</psc:chapters>", "line 2: psc: chapter without start"},
		{FormatPSC, "<psc:chapters xmlns:psc=\"http://podlove.org/simple-chapters\">\n\n<psc:chapter start=\"soon\"/>\n</psc:chapters>", "line 3: psc: bad start"},
		{FormatPSC, "<psc:chapters>\n<psc:chapter start=\"0\">\n</psc:chapters>", "line 3: psc:"},
		{FormatPSC, "<rss></rss>", "psc: no psc:chapters element"},
		{FormatWebVTT, "WEBVTT\n\nid\nno timing\n", "line 3: webvtt: 2 line(s) that are not a cue"},
		{FormatWebVTT, "WEBVTT\n\n00:00.000 --> later\nok\n", "line 3: webvtt: bad cue timing"},
		{FormatWebVTT, "1\n00:00:00,000 --> 00:00:01,000\nSRT\n", "line 1: webvtt: no \"WEBVTT\" header"},
		{FormatYouTube, "just words\nno stamps\n", "youtube: no timestamp lines"},
		{FormatAudacity, "0\t0\tok\nfoo\n", "line 2: audacity: want START<TAB>END<TAB>LABEL"},
		{FormatAudacity, "0\t0\tok\nx\t1\tlabel\n", "line 2: audacity: bad start"},
		{FormatAudacity, "0\t0\tok\n\n1\t1:00:00\tl\n", "line 3: audacity: bad end"},
		{FormatReaperCSV, "#,Name,Start,End,Length\nR1,verse,5.1.00,9.1.00,4.0.00\n", "line 2: reaper-csv: time \"5.1.00\" is in measures.beats"},
		{FormatReaperCSV, "#,Name,Start\nM1,a,0\nM2,b,zz\n", "line 3: reaper-csv: bad time"},
		{FormatReaperCSV, "#,Name,Begin\nM1,a,0\n", "line 1: reaper-csv: header without a Start column"},
		{FormatReaperCSV, "#,Name,Start\nM1,\"open,0\n", "reaper-csv"},
		{FormatCUE, "FILE \"a.wav\" WAVE\n  TRACK 01 AUDIO\n    TITLE \"x\"\n  TRACK 02 AUDIO\n    INDEX 01 00:01:00\n", "line 2: cue: TRACK without INDEX 01"},
		{FormatCUE, "FILE \"a.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:61:00\n", "line 3: cue: bad INDEX time"},
		{FormatCUE, "INDEX 01 00:00:00\n", "line 1: cue: INDEX outside a TRACK"},
		{FormatPodmark, "{\n \"version\": 1,\n \"rate\": 48000,\n \"markers\": [\n  {\"id\": \"a\", \"kind\": \"topic\", \"sample\": 0},\n  {\"id\": \"b\", \"kind\": \"chapter\", \"sample\": 5}\n ]\n}", "line 6: podmark: invalid marker: id \"b\": kind \"chapter\""},
		{FormatPodmark, "{\"version\": 2, \"rate\": 48000, \"markers\": []}", "podmark: version 2 is newer"},
		{FormatPodmark, "{\"version\": 1, \"markers\": []}", `podmark: "rate" missing`},
		{FormatPodmark, "{\"rate\": 48000, \"markers\": []}", `podmark: no "version"`},
		{FormatPodmark, "{\"version\": 1, \"rate\": 48000,\n \"markers\": [{\"id\": \"a\", \"kind\": \"topic\", \"sample\": \"x\"}]}", "line 2: podmark: marker:"},
		{FormatMP4Chaps, "00:00:00.000 ok\n\xff\xfe bad\n", "podmark"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.in), tt.f)
		if err == nil {
			t.Errorf("%s %q: no error", tt.f, tt.in)
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%s %q: %v is not ErrSyntax", tt.f, tt.in, err)
		}
		want := tt.want
		if want == "podmark" { // invalid UTF-8 in the middle: read as Windows-1252
			want = `line 2: mp4chaps: bad time "ÿþ"`
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s %q:\n err = %v\nwant %q", tt.f, tt.in, err, want)
		}
	}
}

func TestReadFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chapters.txt")
	if err := os.WriteFile(path, []byte("00:00:00.000 Intro\nnope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadFile(path, FormatMP4Chaps)
	if err == nil || err.Error() != "markers: "+path+":2: mp4chaps: bad time \"nope\" (want HH:MM:SS.mmm Title)" {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "none.json"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

func TestGuessFormat(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"markers.json", `{"version":1,"rate":48000,"markers":[]}`, FormatPodmark},
		{"ep.chapters.json", `{"version":"1.2.0","chapters":[]}`, FormatPodcastJSON},
		{"x", "\ufeff  {\"chapters\": []}", FormatPodcastJSON},
		{"feed.xml", `<?xml version="1.0"?>`, FormatPSC},
		{"x", `<psc:chapters>`, FormatPSC},
		{"c.vtt", "", FormatWebVTT},
		{"x", "WEBVTT\n", FormatWebVTT},
		{"ep.cue", "", FormatCUE},
		{"x", "REM COMMENT x\nFILE \"a\" WAVE\n", FormatCUE},
		{"x", "FILE \"a.wav\" WAVE\n", FormatCUE},
		{"m.csv", "", FormatReaperCSV},
		{"x", "#,Name,Start,End,Length\n", FormatReaperCSV},
		{"labels.txt", "0.000000\t0.000000\tIntro\n", FormatAudacity},
		{"x.txt", "\n00:00:00.000 Intro\n", FormatMP4Chaps},
		{"chapters.txt", "00:00:00 Intro\n", FormatYouTube},             // no milliseconds: a list, whatever the name
		{"chapters.txt", "00:00 - Intro\n05:00 - Two\n", FormatYouTube}, // separators
		{"x.txt", "0:00 Intro\n", FormatYouTube},
		{"x.txt", "00:00:00.000 - Intro\n00:01:00.000 | Two\n", FormatYouTube},
		{"Markers.csv", "Name\tStart\tDuration\tTime Format\tType\tDescription\n", FormatAuditionCSV},
		{"x.csv", "Name,Start\n", FormatReaperCSV}, // the reader names the wrong header
		{"youtube.txt", "0:00 Intro\n", FormatYouTube},
		{"description-youtube.txt", "Welcome to the show!\n0:00 Intro\n", FormatYouTube},
	}
	for _, tt := range tests {
		got, err := GuessFormat(tt.name, []byte(tt.head))
		if err != nil || got != tt.want {
			t.Errorf("GuessFormat(%q, %q) = %q, %v; want %q", tt.name, tt.head, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ name, head string }{
		{"x.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n"}, // a transcript
		{"x.txt", ""},                     // empty
		{"x.txt", "hello world\n"},        // nothing
		{"x.json", `{"foo": 1}`},          // unknown JSON
		{"x.dat", "12:30 lunch with\n"},   // one timed line of prose
		{"markers.jsonl", `{"op":"add"}`}, // a journal, not a document
	} {
		if _, err := GuessFormat(tt.name, []byte(tt.head)); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("GuessFormat(%q, %q) err = %v, want ErrUnknownFormat", tt.name, tt.head, err)
		}
	}
}
