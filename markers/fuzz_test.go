package markers

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedGolden adds the golden files for f (and a few hand-made edge cases)
// to the fuzz corpus.
func seedGolden(f *testing.F, ext string, extra ...string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"+ext))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	seedCompat(f, ext)
}

// seedCompat adds the compatibility corpus files whose expected format has
// the file name ending ext (see Format.Ext) to the fuzz corpus.
func seedCompat(f *testing.F, ext string) {
	_ = filepath.WalkDir(filepath.Join("testdata", "compat", "markers"), func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(p, ".want.json") {
			return err
		}
		w, err := os.ReadFile(p + ".want.json")
		if err != nil {
			f.Fatal(err)
		}
		var want compatWant
		if err := json.Unmarshal(w, &want); err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(ext, want.Format.Ext()) || ext == "episode.json" && want.Format == FormatPodmark {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
		return nil
	})
}

// fuzzRead checks a reader on any input: no panic; on success every marker
// is valid and in order, and a document that writes without validation
// errors reads back and writes again to the same bytes.
func fuzzRead(t *testing.T, format Format, in []byte) {
	d, err := Read(bytes.NewReader(in), format)
	if err != nil {
		if !errors.Is(err, ErrSyntax) {
			t.Fatalf("error %v is not a syntax error", err)
		}
		return
	}
	for i, m := range d.Markers {
		if err := m.check(); err != nil {
			t.Fatalf("read an invalid marker: %v", err)
		}
		if i > 0 && d.Markers[i-1].Sample > m.Sample {
			t.Fatal("markers out of order")
		}
	}
	var first bytes.Buffer
	if err := Write(&first, format, d); err != nil {
		if errors.Is(err, ErrInvalid) {
			return
		}
		t.Fatalf("write: %v", err)
	}
	d2, err := Read(bytes.NewReader(first.Bytes()), format)
	if err != nil {
		t.Fatalf("reading our own output: %v\n%s", err, first.Bytes())
	}
	var second bytes.Buffer
	if err := Write(&second, format, d2); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatalf("write/read/write not stable:\n%q\n%q", first.Bytes(), second.Bytes())
	}
}

func FuzzReadPodmark(f *testing.F) {
	seedGolden(f, "episode.json", `{"version":1,"rate":44100,"markers":[{"id":"x","kind":"edit","sample":5,"end":9}]}`)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatPodmark, in) })
}

func FuzzReadPodcastJSON(f *testing.F) {
	seedGolden(f, ".chapters.json", `{"chapters":[{"startTime":"1:02","endTime":1e2,"title":"x"}]}`)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatPodcastJSON, in) })
}

func FuzzReadPSC(f *testing.F) {
	seedGolden(f, ".psc.xml", `<rss><psc:chapters><psc:chapter start="1:00" title="a&amp;b"/></psc:chapters></rss>`)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatPSC, in) })
}

func FuzzReadMP4Chaps(f *testing.F) {
	seedGolden(f, ".chapters.txt", "\ufeff00:00 A <u>\r\n1:00:00.5\tB\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatMP4Chaps, in) })
}

func FuzzReadWebVTT(f *testing.F) {
	seedGolden(f, ".chapters.vtt", "WEBVTT\n\nNOTE x\n\nid\n00:00.000 --> 00:01.000 align:start\n<b>x</b> &amp;\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatWebVTT, in) })
}

func FuzzReadYouTube(f *testing.F) {
	seedGolden(f, ".youtube.txt", "Hi!\n(0:00) - Intro\n[1:02:03] x\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatYouTube, in) })
}

func FuzzReadAudacity(f *testing.F) {
	seedGolden(f, ".labels.txt", "1,5\t2,5\t[edit] x\n\\\t1\t2\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatAudacity, in) })
}

func FuzzReadReaperCSV(f *testing.F) {
	seedGolden(f, ".reaper.csv", "#,Name,Start,End,Length,Color\nR1,\"a,b\",1:00.5,1:02,0:01.5,FF\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatReaperCSV, in) })
}

func FuzzReadAuditionCSV(f *testing.F) {
	seedGolden(f, ".audition.csv", "Name\tStart\tDuration\tTime Format\tType\tDescription\nA\t96000\t0\t48000 Hz\tCue\t\nB\t00:00:01;12\t00:00:00:00\t29.97 fps\tCue\tx\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatAuditionCSV, in) })
}

// FuzzGuessFormat: any input is guessed without panic, and a guessed
// format reads it without panic (a syntax error at worst).
func FuzzGuessFormat(f *testing.F) {
	for _, s := range []string{"0:00 Intro\n1:00 - x\n", "00:00:00.000 a\n", "1\t2\tx\n", "#,Name,Start\n", "TITLE x\n", "<rss/>", "WEBVTT", "{\"chapters\":[]}"} {
		f.Add("x.txt", []byte(s))
	}
	f.Fuzz(func(t *testing.T, name string, in []byte) {
		format, err := GuessFormat(name, in)
		if err != nil {
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("error %v is not ErrUnknownFormat", err)
			}
			return
		}
		if _, err := Read(bytes.NewReader(in), format); err != nil && !errors.Is(err, ErrSyntax) {
			t.Fatalf("read as %s: %v is not a syntax error", format, err)
		}
	})
}

func FuzzReadCUE(f *testing.F) {
	seedGolden(f, ".cue", "FILE \"a\" WAVE\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\n  REM EDIT 00:01:00 00:02:00 \"x\"\n", "TITLE Unquoted title\nFILE a b.wav WAVE\n TRACK 01 AUDIO\n  TITLE x y\n  INDEX 01 00:00:00\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, FormatCUE, in) })
}

// FuzzReadTranscript: every transcript reader (chosen by the name's
// extension) on any input, then every writer on what it read.
func FuzzReadTranscript(f *testing.F) {
	exts := []string{".txt", ".srt", ".vtt", ".json", ""}
	if b, err := os.ReadFile(fixture); err == nil {
		f.Add(uint8(0), b[:min(len(b), 2000)])
	}
	f.Add(uint8(1), []byte("1\n00:00:01,000 --> 00:00:02,000\n<i>x</i>\n"))
	f.Add(uint8(2), []byte("WEBVTT\n\n00:01.000 --> 00:02.000\n<v A>x\n"))
	f.Add(uint8(3), []byte(`{"segments":[{"startTime":1,"endTime":2,"body":"x","speaker":"A"}]}`))
	f.Add(uint8(4), []byte("[00:00:01] x\ny\n"))
	for i, ext := range exts {
		paths, _ := filepath.Glob(filepath.Join("testdata", "compat", "transcripts", "*"+ext))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && ext != "" && !strings.HasSuffix(p, ".json") {
				f.Add(uint8(i), b)
			}
		}
	}
	d := episodeDoc()
	f.Fuzz(func(t *testing.T, ext uint8, in []byte) {
		cues, err := ReadTranscript(bytes.NewReader(in), "t"+exts[int(ext)%len(exts)])
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not a syntax error", err)
			}
			return
		}
		for _, format := range []string{"md", "html", "vtt", "shownotes"} {
			var buf bytes.Buffer
			if err := WriteTranscript(&buf, format, d, cues); err != nil {
				t.Fatal(err)
			}
			if format == "vtt" {
				back, err := ReadTranscript(bytes.NewReader(buf.Bytes()), "back.vtt")
				if err != nil && strings.Contains(buf.String(), "-->") {
					t.Fatalf("our WebVTT does not read back: %v\n%s", err, buf.Bytes())
				}
				written := 0 // cues without text are left out
				for _, c := range cues {
					if oneLine(c.Text) != "" {
						written++
					}
				}
				if err == nil && len(back) != written {
					t.Fatalf("%d cues written, %d read back", written, len(back))
				}
			}
			if format == "html" && strings.Count(buf.String(), "<p>") != len(cues) {
				t.Fatal("cue text became markup")
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"0", "59.9995", "1:02:03.456", "25:00:00", "00:00:01,5", "1:60", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTime(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseTime(%q) = %v < 0", s, d)
		}
		// Formatting and parsing again keeps the millisecond.
		n := DurationToSamples(d, 48000)
		back, err := ParseTime(FormatTime(n, 48000))
		if err != nil || (back-d).Abs() > 1e6 {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, FormatTime(n, 48000), back, err)
		}
	})
}
