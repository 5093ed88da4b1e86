package markers

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const rate = 48000

func at(d string) int64 {
	t, err := ParseTime(d)
	if err != nil {
		panic(err)
	}
	return DurationToSamples(t, rate)
}

// sampleDoc is a realistic session: chapters, a sponsor, and editor-only
// markers, with Unicode and markup characters in titles.
func sampleDoc() Doc {
	utc := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	m := func(id string, k Kind, title, pos string) Marker {
		s := at(pos)
		return Marker{ID: id, Kind: k, Title: title, Sample: s, Author: "michael", UTC: utc.Add(SamplesToDuration(s, rate))}
	}
	sponsor := m("m02", Sponsor, "DigitalOcean Spaces", "20.4")
	sponsor.URL = "https://do.co/python"
	gallery := m("m03", Topic, "Python Graph Gallery", "32")
	gallery.URL = "https://python-graph-gallery.com/?ref=pb&ep=48"
	edit := m("m04", Edit, "retake the intro", "45.5")
	edit.End = at("52.25")
	return Doc{
		Version: DocVersion,
		Title:   `Python Bytes #48 — Graphs & <Spaces>`,
		Rate:    rate,
		Frames:  at("17:50"),
		Audio:   "episode-048.wav",
		Markers: []Marker{
			m("m01", Topic, "Intro", "0"),
			sponsor,
			gallery,
			edit,
			m("m05", Note, `check the "plotly" link`, "1:01"),
			m("m06", Glitch, "dropped 480 frames", "1:15.010"),
			m("m07", Topic, "Ünïcödé & <tags> 日本語 \"quoted\"", "12:34.567"),
			m("m08", Topic, "Wrap-up", "17:02.9995"),
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestWriteGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, f, sampleDoc()); err != nil {
				t.Fatal(err)
			}
			golden(t, "episode"+f.Ext(), buf.Bytes())
		})
	}
	// --public topic hides the sponsor from public formats.
	var buf bytes.Buffer
	if err := Write(&buf, FormatMP4Chaps, sampleDoc().Public(Topic)); err != nil {
		t.Fatal(err)
	}
	golden(t, "episode-topics-only.chapters.txt", buf.Bytes())
}

// Public formats never carry edit, note or glitch markers.
func TestPublicFormatsHideEditorKinds(t *testing.T) {
	for _, f := range Formats {
		if !f.Public() {
			continue
		}
		var buf bytes.Buffer
		if err := Write(&buf, f, sampleDoc()); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"retake", "plotly", "dropped"} {
			if strings.Contains(buf.String(), secret) {
				t.Errorf("%s output contains editor-only marker %q", f, secret)
			}
		}
		if !strings.Contains(buf.String(), "DigitalOcean") {
			t.Errorf("%s output lacks the sponsor chapter", f)
		}
	}
}

type view struct {
	Kind  Kind
	Title string
	URL   string
	MS    int64 // start in the format's precision, as ms
	EndMS int64
}

// project reduces d to what format f can carry.
func project(d Doc, f Format) []view {
	var ms []Marker
	if f.Public() {
		ms = d.Chapters()
	} else {
		ms = d.Sorted().Markers
	}
	var out []view
	for _, m := range ms {
		v := view{Kind: m.Kind, Title: oneLine(m.Title), URL: m.URL, MS: millis(m.Sample, d.Rate)}
		if m.IsRegion() {
			v.EndMS = millis(m.End, d.Rate)
		}
		switch f {
		case FormatPodcastJSON:
			v.Kind = Topic
		case FormatPSC, FormatMP4Chaps:
			v.Kind, v.EndMS = Topic, 0
		case FormatWebVTT:
			v.Kind, v.EndMS, v.URL = Topic, 0, "" // WebVTT chapter cues hold the title only
		case FormatYouTube:
			v.Kind, v.EndMS, v.URL = Topic, 0, ""
			v.MS = m.Sample / int64(d.Rate) * 1000
		case FormatCUE:
			v.MS = cueFrames(m.Sample, d.Rate) * 1000 / 75
			if v.EndMS != 0 {
				v.EndMS = cueFrames(m.End, d.Rate) * 1000 / 75
			}
			if !isPublic(d, m.Kind) {
				v.URL = ""
			}
		}
		if f == FormatCUE {
			v.Title = strings.ReplaceAll(v.Title, `"`, "'")
			if isPublic(d, m.Kind) {
				v.EndMS = 0
			}
		}
		out = append(out, v)
	}
	return out
}

func isPublic(d Doc, k Kind) bool {
	for _, p := range d.PublicKinds() {
		if p == k {
			return true
		}
	}
	return false
}

func TestRoundTrip(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			src := sampleDoc()
			var buf bytes.Buffer
			if err := Write(&buf, f, src); err != nil {
				t.Fatal(err)
			}
			got, err := Read(bytes.NewReader(buf.Bytes()), f)
			if err != nil {
				t.Fatalf("read back: %v\n%s", err, buf.String())
			}
			if f == FormatPodmark {
				if !reflect.DeepEqual(got, src) {
					t.Fatalf("round trip:\n got %+v\nwant %+v", got, src)
				}
				return
			}
			want := project(src, f)
			if !reflect.DeepEqual(project(got, f), want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", project(got, f), want)
			}
			// Writing what was read gives the same bytes (except the podmark
			// fields other formats cannot hold).
			if f != FormatPodcastJSON && f != FormatCUE {
				var again bytes.Buffer
				if err := Write(&again, f, got); err != nil {
					t.Fatal(err)
				}
				if f != FormatWebVTT && again.String() != buf.String() {
					t.Errorf("rewrite differs:\n%s\n---\n%s", again.String(), buf.String())
				}
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if g, err := ParseFormat(strings.ToUpper(string(f))); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, g, err)
		}
	}
	if _, err := ParseFormat("srt"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("ParseFormat(srt) = %v", err)
	}
}

func TestWriteRefusesInvalid(t *testing.T) {
	d := sampleDoc()
	d.Markers[0].Title = " "
	var buf bytes.Buffer
	err := Write(&buf, FormatPSC, d)
	var ve *ValidationError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Report.Errors[0].Code != CodeEmptyTitle {
		t.Fatalf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Fatal("something was written")
	}
	// Editor formats do not need titles.
	if err := Write(&buf, FormatAudacity, d); err != nil {
		t.Fatal(err)
	}
	if err := Write(&buf, Format("srt"), d); !errors.Is(err, ErrUnknownFormat) {
		t.Fatal(err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReturnsWriterError(t *testing.T) {
	for _, f := range Formats {
		if err := Write(failWriter{}, f, sampleDoc()); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: err = %v", f, err)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "markers.json")
	if err := WriteFile(path, FormatPodmark, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	d, f, err := ReadFile(path, "")
	if err != nil || f != FormatPodmark || len(d.Markers) != 8 {
		t.Fatalf("%v %v %d", err, f, len(d.Markers))
	}
	bad := sampleDoc()
	bad.Rate = 0
	if err := WriteFile(path, FormatPodmark, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp file left behind: %v", entries)
	}
}

// WithPublic changes the public set without dropping editor markers.
func TestWithPublic(t *testing.T) {
	d := sampleDoc().WithPublic(Topic, Note)
	var chapters, labels bytes.Buffer
	if err := Write(&chapters, FormatMP4Chaps, d); err != nil {
		t.Fatal(err)
	}
	if err := Write(&labels, FormatAudacity, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(chapters.String(), `00:01:01.000 check the "plotly" link`) || strings.Contains(chapters.String(), "DigitalOcean") {
		t.Errorf("chapters:\n%s", chapters.String())
	}
	if strings.Count(labels.String(), "\n") != 8 {
		t.Errorf("labels lost markers:\n%s", labels.String())
	}
	if k := sampleDoc().WithPublic().PublicKinds(); !reflect.DeepEqual(k, DefaultPublic) {
		t.Errorf("default public kinds %v", k)
	}
	// CUE: tracks for the public set, REM for the rest; MP3 audio named as such.
	d.Audio = "ep.mp3"
	var cue bytes.Buffer
	if err := Write(&cue, FormatCUE, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cue.String(), "FILE \"ep.mp3\" MP3\n") || !strings.Contains(cue.String(), "REM SPONSOR 00:20:30 \"DigitalOcean Spaces\"") ||
		!strings.Contains(cue.String(), "    REM KIND note\n") {
		t.Errorf("cue:\n%s", cue.String())
	}
}
