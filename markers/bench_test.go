package markers

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// benchDocs returns a 10,000-chapter document (15 s apart, so it is valid
// for every public format, YouTube included) and a 10,000-marker editor
// document (98 topics, the rest edits, notes and glitches, some regions) for
// the CUE sheet, which holds at most 99 tracks.
func benchDocs() (chapters, editor Doc) {
	chapters = Doc{Version: DocVersion, Title: "Bench", Rate: rate}
	editor = Doc{Version: DocVersion, Title: "Bench", Rate: rate}
	utc := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	others := []Kind{Edit, Note, Glitch}
	for i := range 10000 {
		pos := int64(i) * 15 * rate
		m := Marker{ID: fmt.Sprintf("m%05d", i), Kind: Topic, Title: fmt.Sprintf("Chapter %d: ünïcode & <markup>", i), Sample: pos, Author: "ana", UTC: utc}
		if i%7 == 3 {
			m.Kind, m.URL = Sponsor, "https://example.com/sponsor?id="+fmt.Sprint(i)
		}
		chapters.Markers = append(chapters.Markers, m)
		e := m
		e.URL = ""
		if i%102 != 0 {
			e.Kind = others[i%3]
			if i%2 == 0 {
				e.End = pos + 5*rate
			}
		}
		editor.Markers = append(editor.Markers, e)
	}
	return chapters, editor
}

// BenchmarkConvert10000 converts a 10,000-marker file: "from-F" reads F and
// writes the canonical markers.json; "to-F" reads markers.json and writes F.
func BenchmarkConvert10000(b *testing.B) {
	chapters, editor := benchDocs()
	for _, f := range Formats {
		src := chapters
		if f == FormatCUE {
			src = editor
		}
		var canon, in bytes.Buffer
		if err := Write(&canon, FormatPodmark, src); err != nil {
			b.Fatal(err)
		}
		if err := Write(&in, f, src); err != nil {
			b.Fatal(err)
		}
		b.Run("to-"+string(f), func(b *testing.B) {
			b.SetBytes(int64(canon.Len()))
			for b.Loop() {
				d, err := Read(bytes.NewReader(canon.Bytes()), FormatPodmark)
				if err != nil {
					b.Fatal(err)
				}
				if err := Write(io.Discard, f, d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("from-"+string(f), func(b *testing.B) {
			b.SetBytes(int64(in.Len()))
			for b.Loop() {
				d, err := Read(bytes.NewReader(in.Bytes()), f)
				if err != nil {
					b.Fatal(err)
				}
				if err := Write(io.Discard, FormatPodmark, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// threeHourTranscript builds a 3-hour plain transcript (a cue every 3 s,
// lines taken from the episode 48 fixture) and 36 chapters, 5 minutes apart.
func threeHourTranscript(b *testing.B) ([]byte, Doc) {
	raw, err := os.ReadFile(fixture)
	if err != nil {
		b.Fatal(err)
	}
	var texts []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if _, rest, ok := plainCueStart(strings.TrimSpace(line)); ok {
			texts = append(texts, rest)
		}
	}
	var buf bytes.Buffer
	for i, t := 0, time.Duration(0); t < 3*time.Hour; i, t = i+1, t+3*time.Second {
		fmt.Fprintf(&buf, "%s %s\n\n", hms(t), texts[i%len(texts)])
	}
	d := Doc{Version: DocVersion, Title: "Three hours", Rate: rate}
	for i := range 36 {
		d.Markers = append(d.Markers, Marker{ID: fmt.Sprint(i), Kind: Topic, Title: fmt.Sprintf("Part %d", i+1), Sample: int64(i) * 300 * rate})
	}
	return buf.Bytes(), d
}

// BenchmarkSeed3h reads a 3-hour transcript and writes it sectioned by the
// chapters, in each output format.
func BenchmarkSeed3h(b *testing.B) {
	raw, d := threeHourTranscript(b)
	for _, format := range []string{"md", "html", "vtt", "shownotes"} {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				cues, err := ReadTranscript(bytes.NewReader(raw), "t.txt")
				if err != nil {
					b.Fatal(err)
				}
				if err := WriteTranscript(io.Discard, format, d, cues); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("seed", func(b *testing.B) {
		for b.Loop() {
			if err := WriteSeed(io.Discard, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkJournalAdd measures one fsynced journal line.
func BenchmarkJournalAdd(b *testing.B) {
	j, err := OpenJournal(b.TempDir() + "/markers.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if err := j.Add(Marker{ID: fmt.Sprint(i), Kind: Topic, Title: "t", Sample: int64(i)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
}
