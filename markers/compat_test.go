package markers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// compatWant is a corpus file's expected reading (its .want.json): the
// tool whose output it has the shape of, the format guessed from it, and
// one or more cases of options → markers, warnings or an error.
type compatWant struct {
	Tool   string       `json:"tool"`
	Format Format       `json:"format"`
	Cases  []compatCase `json:"cases"`
}

type compatCase struct {
	Options struct {
		From       Format   `json:"from"`
		Episode    string   `json:"episode"`
		CUELengths []string `json:"cueLengths"`
	} `json:"options"`
	Title    *string        `json:"title"`
	Audio    *string        `json:"audio"`
	Warnings []string       `json:"warnings"` // each a substring of one warning
	Error    string         `json:"error"`    // a substring of the error
	Markers  []compatMarker `json:"markers"`
	Cues     []compatCue    `json:"cues"` // transcripts
}

type compatMarker struct {
	Kind   Kind   `json:"kind"`
	MS     int64  `json:"ms"`
	EndMS  int64  `json:"endMs,omitempty"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Hidden bool   `json:"hidden,omitempty"`
	Image  string `json:"image,omitempty"`
}

type compatCue struct {
	MS      int64  `json:"ms"`
	EndMS   int64  `json:"endMs"`
	Speaker string `json:"speaker,omitempty"`
	Text    string `json:"text"`
}

// corpus lists the corpus files under dir with their expectations.
func corpus(t *testing.T, dir string) map[string]compatWant {
	t.Helper()
	out := map[string]compatWant{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(p, ".want.json") {
			return err
		}
		b, err := os.ReadFile(p + ".want.json")
		if err != nil {
			return err // every corpus file has its expectation
		}
		var w compatWant
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s.want.json: %v", p, err)
		}
		if w.Tool == "" || len(w.Cases) == 0 {
			t.Fatalf("%s.want.json: no tool or no cases", p)
		}
		out[p] = w
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no corpus under %s", dir)
	}
	return out
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("no warning containing %q in %q", w, got)
		}
	}
	if len(want) == 0 && len(got) > 0 {
		t.Errorf("unexpected warnings %q", got)
	}
}

// Every marker file of the compatibility corpus (files in the shapes other
// tools write, see docs/markers.md) is recognised from its content and read
// faithfully: count, times to the millisecond, exact titles and URLs.
func TestCompatMarkers(t *testing.T) {
	for path, w := range corpus(t, filepath.Join("testdata", "compat", "markers")) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := GuessFormat(path, data); got != w.Format {
			t.Errorf("%s: GuessFormat = %q, %v; want %q", path, got, err, w.Format)
		}
		for i, c := range w.Cases {
			t.Run(filepath.Base(path)+"/"+string(rune('a'+i)), func(t *testing.T) {
				opt := ReadOptions{Episode: c.Options.Episode}
				for _, s := range c.Options.CUELengths {
					d, err := ParseTime(s)
					if err != nil {
						t.Fatal(err)
					}
					opt.FileLengths = append(opt.FileLengths, d)
				}
				d, f, warns, err := ReadFileWith(path, c.Options.From, opt)
				if c.Error != "" {
					if err == nil || !strings.Contains(err.Error(), c.Error) || !strings.Contains(err.Error(), path) {
						t.Fatalf("err = %v, want one naming the file and %q", err, c.Error)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if c.Options.From == "" && f != w.Format {
					t.Errorf("read as %s, want %s", f, w.Format)
				}
				checkWarnings(t, warns, c.Warnings)
				if c.Title != nil && d.Title != *c.Title {
					t.Errorf("title %q, want %q", d.Title, *c.Title)
				}
				if c.Audio != nil && d.Audio != *c.Audio {
					t.Errorf("audio %q, want %q", d.Audio, *c.Audio)
				}
				var got []compatMarker
				for _, m := range d.Markers {
					cm := compatMarker{Kind: m.Kind, MS: millis(m.Sample, d.Rate), Title: m.Title, URL: m.URL, Hidden: m.Hidden, Image: m.Image}
					if m.End != 0 {
						cm.EndMS = millis(m.End, d.Rate)
					}
					got = append(got, cm)
				}
				if !slices.Equal(got, c.Markers) {
					t.Errorf("read\n%+v\nwant\n%+v", got, c.Markers)
				}
				// What was read writes to every format whose rules it meets
				// (hidden chapters are left out of table-of-contents
				// formats with a warning, never an error).
				for _, to := range Formats {
					rep := ValidateFor(d, to)
					if !rep.OK() {
						continue
					}
					var b strings.Builder
					if err := Write(&b, to, d); err != nil {
						t.Errorf("write %s: %v", to, err)
					}
					if d.hiddenCount() > 0 && to.TOC() && !slices.ContainsFunc(rep.Warnings, func(i Issue) bool { return i.Code == CodeHidden }) {
						t.Errorf("%s: no note about the hidden chapters", to)
					}
				}
			})
		}
	}
}

// Every transcript of the corpus (yt-dlp captions, SRT from subtitle
// editors) reads to the expected cues.
func TestCompatTranscripts(t *testing.T) {
	for path, w := range corpus(t, filepath.Join("testdata", "compat", "transcripts")) {
		for i, c := range w.Cases {
			t.Run(filepath.Base(path)+"/"+string(rune('a'+i)), func(t *testing.T) {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				cues, warns, err := ReadTranscriptWith(f, path)
				if c.Error != "" {
					if err == nil || !strings.Contains(err.Error(), c.Error) {
						t.Fatalf("err = %v, want %q", err, c.Error)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				checkWarnings(t, warns, c.Warnings)
				var got []compatCue
				for _, cu := range cues {
					got = append(got, compatCue{MS: int64(cu.Start / time.Millisecond), EndMS: int64(cu.End / time.Millisecond), Speaker: cu.Speaker, Text: cu.Text})
				}
				if !slices.Equal(got, c.Cues) {
					t.Errorf("read\n%+v\nwant\n%+v", got, c.Cues)
				}
			})
		}
	}
}
