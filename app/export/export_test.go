package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
	"github.com/podmark/podmark/internal/testenv"
	"github.com/podmark/podmark/markers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testRate = 48000

var testStart = time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)

// testMarkers is a realistic marker set: chapters, a sponsor with a URL, an
// edit region, a note and a glitch.
func testMarkers() []markers.Marker {
	at := func(s float64) int64 { return int64(s * testRate) }
	ms := []markers.Marker{
		{ID: "m1", Kind: markers.Topic, Title: "Intro", Sample: 0, Author: "alice"},
		{ID: "m2", Kind: markers.Topic, Title: "Café talk: Ünïcødé & \"quotes\"", URL: "https://example.com/café", Sample: at(11.5), Author: "alice"},
		{ID: "m3", Kind: markers.Edit, Title: "retake the question", Sample: at(14), End: at(16.25), Author: "bob"},
		{ID: "m4", Kind: markers.Sponsor, Title: "Acme Widgets", URL: "https://acme.example/podcast", Sample: at(22), Author: "alice"},
		{ID: "m5", Kind: markers.Note, Title: "check the levels here", Sample: at(27), Author: "bob"},
		{ID: "m6", Kind: markers.Glitch, Title: "dropout 480 frames", Sample: at(30.5), Author: "alice"},
		{ID: "m7", Kind: markers.Topic, Title: "Listener mail", Sample: at(33), Author: "bob"},
	}
	for i := range ms {
		ms[i].UTC = testStart.Add(time.Duration(float64(ms[i].Sample) / testRate * float64(time.Second)))
	}
	return ms
}

// makeSession writes a two-host session folder of the given length: session.json,
// markers.jsonl through the journal, and two mono 24-bit BWF tracks with
// speech-like bursts (alice loud first, bob second, both together near the end
// so the mix has to be limited).
func makeSession(t testing.TB, dir string, seconds float64) string {
	t.Helper()
	return makeSessionWith(t, dir, seconds, audio.Int24, 0)
}

func makeSessionWith(t testing.TB, dir string, seconds float64, format audio.SampleFormat, rf64 int64) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "tracks"), 0o755); err != nil {
		t.Fatal(err)
	}
	frames := int64(seconds * testRate)
	hosts := []string{"alice", "bob"}
	meta := session.Meta{
		FormatVersion: session.FormatVersion, App: "podmark", AppVersion: "test", Title: "Episode 48: Export test",
		Host: "alice", Device: "ramp", Rate: testRate, Bits: format.String(), Channels: 2, Created: testStart,
		StartUTC: testStart, State: session.StateStopped, Frames: frames, StreamFrames: frames,
		Dropped: 480, Glitches: 1, Updated: testStart, EndUTC: testStart.Add(time.Duration(seconds * float64(time.Second))),
	}
	for i, h := range hosts {
		rel := "tracks/" + h + "-1.wav"
		meta.Tracks = append(meta.Tracks, session.Track{File: rel, Channel: i + 1})
		w, err := audio.CreateWAV(filepath.Join(dir, filepath.FromSlash(rel)), audio.WriterOptions{
			Rate: testRate, Channels: 1, Format: format, RF64Threshold: rf64,
			BEXT: &audio.BEXT{Description: "podmark test", Originator: "podmark", Origination: testStart},
		})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(i+1), 7))
		buf := make([]float32, 4800)
		for pos := int64(0); pos < frames; {
			n := int(min(int64(len(buf)), frames-pos))
			for k := 0; k < n; k++ {
				f := pos + int64(k)
				s := float64(f) / testRate
				talk := (i == 0 && math.Mod(s, 8) < 4) || (i == 1 && math.Mod(s, 8) >= 4) || s > seconds-3
				amp := 0.01
				if talk {
					amp = 0.6 * (0.5 + 0.5*math.Sin(2*math.Pi*3*s)) // syllable-rate envelope
				}
				v := amp*math.Sin(2*math.Pi*float64(180+60*i)*s) + amp*0.4*math.Sin(2*math.Pi*float64(900+100*i)*s) + 0.003*(rng.Float64()*2-1)
				buf[k] = float32(v)
			}
			if err := w.WriteFloat32(buf[:n]); err != nil {
				t.Fatal(err)
			}
			pos += int64(n)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, session.MetaFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := markers.OpenJournal(filepath.Join(dir, session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range testMarkers() {
		if err := j.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readManifest(t *testing.T, dir string) Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunBundle(t *testing.T) {
	testenv.Tool(t, "flac", "ffprobe")
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 40)
	out := filepath.Join(tmp, "bundle")
	var stages []string
	var last Progress
	res, err := Run(context.Background(), Options{Session: sess, Out: out, Zip: true}, func(p Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
		if p.Fraction < last.Fraction {
			t.Errorf("progress went back: %v after %v", p.Fraction, last.Fraction)
		}
		last = p
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.Stage != "done" || last.Fraction != 1 || last.Done != last.Total {
		t.Errorf("last progress %+v", last)
	}
	if !slices.Equal(stages, []string{"audio", "waveform", "manifest", "zip", "done"}) {
		t.Errorf("stages %v", stages)
	}
	t.Logf("warnings: %q", res.Warnings)

	m := readManifest(t, out)
	var paths []string
	byPath := map[string]File{}
	for _, f := range m.Files {
		paths = append(paths, f.Path)
		byPath[f.Path] = f
	}
	want := []string{
		"README.txt", "audio/alice-1.flac", "audio/alice-1.wav", "audio/bob-1.flac", "audio/bob-1.wav", "audio/review-mix.cue",
		"audio/review-mix.mp3", "bundle.rpp", "chapters/chapters.json", "chapters/chapters.mp4chaps.txt", "chapters/chapters.psc.xml", "chapters/chapters.vtt",
		"chapters/youtube.txt", "editor/alice-1.labels.txt", "editor/bob-1.labels.txt", "editor/markers.json",
		"editor/markers.reaper.csv", "notes/shownotes.md", "notes/transcript-seed.md", "waveform.png",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("bundle files\n got %q\nwant %q", paths, want)
	}
	if m.Session.StartUTC != testStart || m.Session.Rate != testRate || m.Session.Tracks != 2 || m.Session.Frames != 40*testRate || m.Session.Chapters != 4 || m.Session.Markers != 7 {
		t.Errorf("session %+v", m.Session)
	}
	// The WAV is a byte-for-byte copy.
	for _, h := range []string{"alice-1", "bob-1"} {
		a, _ := os.ReadFile(filepath.Join(sess, "tracks", h+".wav"))
		b, _ := os.ReadFile(filepath.Join(out, "audio", h+".wav"))
		if !bytes.Equal(a, b) {
			t.Errorf("%s.wav differs from the recording", h)
		}
		f := byPath["audio/"+h+".flac"]
		if f.Frames != 40*testRate || f.Rate != testRate || f.Channels != 1 || f.Bits != "24" {
			t.Errorf("flac entry %+v", f)
		}
		out, err := exec.Command("flac", "-t", "-s", filepath.Join(out, "audio", h+".flac")).CombinedOutput()
		if err != nil {
			t.Errorf("flac -t: %v\n%s", err, out)
		}
	}
	// Every size and hash in the manifest is right.
	for _, f := range m.Files {
		n, sum, err := hashFile(filepath.Join(out, filepath.FromSlash(f.Path)))
		if err != nil || n != f.Size || sum != f.SHA256 {
			t.Errorf("%s: %d %s %v, manifest %d %s", f.Path, n, sum, err, f.Size, f.SHA256)
		}
	}

	// The MP3's chapters, as ffprobe lists them.
	mp3Path := filepath.Join(out, "audio", "review-mix.mp3")
	raw, err := exec.Command("ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of", "json", mp3Path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Chapters []struct {
			StartTime string            `json:"start_time"`
			EndTime   string            `json:"end_time"`
			Tags      map[string]string `json:"tags"`
		} `json:"chapters"`
		Format struct {
			Duration string            `json:"duration"`
			Tags     map[string]string `json:"tags"`
		} `json:"format"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	wantCh := [][3]string{
		{"0.000000", "11.500000", "Intro"},
		{"11.500000", "22.000000", `Café talk: Ünïcødé & "quotes"`},
		{"22.000000", "33.000000", "Acme Widgets"},
		{"33.000000", "40.000000", "Listener mail"},
	}
	if len(p.Chapters) != len(wantCh) {
		t.Fatalf("ffprobe chapters: %s", raw)
	}
	for i, w := range wantCh {
		c := p.Chapters[i]
		if c.StartTime != w[0] || c.EndTime != w[1] || c.Tags["title"] != w[2] {
			t.Errorf("chapter %d: %s-%s %q, want %s-%s %q", i, c.StartTime, c.EndTime, c.Tags["title"], w[0], w[1], w[2])
		}
	}
	if p.Format.Tags["title"] != "Episode 48: Export test" {
		t.Errorf("MP3 title %q", p.Format.Tags["title"])
	}
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); math.Abs(d-40) > 0.05 {
		t.Errorf("MP3 duration %v", d)
	}
	mb, _ := os.ReadFile(mp3Path)
	tag, err := codec.ParseTag(mb)
	if err != nil {
		t.Fatal(err)
	}
	if tag.Chapters[1].URL != "https://example.com/caf%C3%A9" || tag.Chapters[2].URL != "https://acme.example/podcast" {
		t.Errorf("chapter URLs %q %q", tag.Chapters[1].URL, tag.Chapters[2].URL)
	}

	// The overview decodes and has the documented size.
	pf, err := os.Open(filepath.Join(out, "waveform.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(pf)
	pf.Close()
	if err != nil {
		t.Fatal(err)
	}
	w, h := WaveformSize(2)
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("waveform %v, want %dx%d", b, w, h)
	}

	// No leftovers next to the bundle, and the zip is there.
	ents, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"bundle", "bundle.zip", "sess"}) {
		t.Errorf("folder holds %q", names)
	}
	if res.Zip != out+".zip" {
		t.Errorf("zip %q", res.Zip)
	}

	checkGolden(t, out, m.Files)

	// The zip holds the same bundle: unpacked, it verifies.
	unz := filepath.Join(t.TempDir(), "unzipped")
	zr, err := zip.OpenReader(out + ".zip")
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "bundle/") {
			t.Errorf("zip entry %q outside the bundle folder", zf.Name)
		}
		dst := filepath.Join(unz, filepath.FromSlash(zf.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zr.Close()
	if rep, err := Verify(filepath.Join(unz, "bundle")); err != nil || !rep.OK() || len(rep.Warnings) != 0 {
		t.Errorf("unzipped bundle: %+v %v", rep, err)
	}

	rep, err := Verify(out)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Files != len(want) || rep.Decoded != 5 {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestVerifyCatchesFlippedByte(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 12)
	out := filepath.Join(tmp, "b")
	if _, err := Run(context.Background(), Options{Session: sess, Out: out}, nil); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"audio/bob-1.flac", "audio/alice-1.wav", "audio/review-mix.mp3", "chapters/chapters.json", "audio/review-mix.cue"} {
		t.Run(rel, func(t *testing.T) {
			p := filepath.Join(out, filepath.FromSlash(rel))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			i := len(b) * 2 / 3
			b[i] ^= 0x04
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			defer func() {
				b[i] ^= 0x04
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}()
			rep, err := Verify(out)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("verify passed a flipped byte")
			}
			for _, pr := range rep.Problems {
				if pr.Path != rel {
					t.Errorf("problem reported for the wrong file: %v", pr)
				}
			}
			if !strings.Contains(rep.Problems[0].Msg, "SHA-256") {
				t.Errorf("problems %v", rep.Problems)
			}
			t.Logf("%v", rep.Problems)
		})
	}
	rep, err := Verify(out)
	if err != nil || !rep.OK() {
		t.Fatalf("restored bundle: %+v %v", rep, err)
	}
	// A flipped byte in the manifest itself is reported as the manifest's,
	// whether it breaks the JSON or changes a checksum inside it.
	mpath := filepath.Join(out, ManifestFile)
	orig, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{bytes.IndexByte(orig, '{'), bytes.Index(orig, []byte(`"sha256": "`)) + 12} {
		b := bytes.Clone(orig)
		b[at] ^= 0x01
		if err := os.WriteFile(mpath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(out)
		if err != nil || rep.OK() || rep.Problems[0].Path != ManifestFile {
			t.Errorf("flipped manifest byte %d: %+v %v", at, rep, err)
		}
	}
	if err := os.WriteFile(mpath, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "editor", "markers.reaper.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "stray.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(out)
	if err != nil || rep.OK() || rep.Problems[0].Path != "editor/markers.reaper.csv" || rep.Problems[0].Msg != "missing" || len(rep.Warnings) != 1 {
		t.Fatalf("missing file: %+v %v", rep, err)
	}
	if _, err := Verify(sess); !errors.Is(err, ErrNotBundle) {
		t.Errorf("a session is not a bundle: %v", err)
	}
}

func TestRetimedChapters(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 40)
	out := filepath.Join(tmp, "b")
	opt := Options{Session: sess, Out: out, Audio: []string{MP3}, Offset: 30 * time.Second,
		Cuts: []markers.Cut{{Start: 14 * time.Second, End: 16250 * time.Millisecond}}}
	if _, err := Run(context.Background(), opt, nil); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, out)
	if m.Retime == nil || m.Retime.Offset != 30 || len(m.Retime.Cuts) != 1 || m.Session.Timeline != "episode" {
		t.Errorf("retime %+v timeline %q", m.Retime, m.Session.Timeline)
	}
	b, err := os.ReadFile(filepath.Join(out, "chapters", "chapters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pc struct {
		Chapters []struct {
			StartTime float64 `json:"startTime"`
			Title     string  `json:"title"`
		} `json:"chapters"`
	}
	if err := json.Unmarshal(b, &pc); err != nil {
		t.Fatal(err)
	}
	// 0 → 30; 11.5 → 41.5; 22 → 22-2.25+30 = 49.75; 33 → 60.75 (an "Intro" at 0 may be inserted).
	var starts []float64
	for _, c := range pc.Chapters {
		if c.StartTime >= 30 {
			starts = append(starts, c.StartTime)
		}
	}
	if !slices.Equal(starts, []float64{30, 41.5, 49.75, 60.75}) {
		t.Errorf("episode chapter starts %v\n%s", starts, b)
	}
	// The editor's files stay on the recording timeline.
	ed, err := os.ReadFile(filepath.Join(out, "editor", "markers.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := markers.Read(bytes.NewReader(ed), markers.FormatPodmark)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(d.Markers, testMarkers(), func(a, b markers.Marker) bool { return a.ID == b.ID && a.Sample == b.Sample && a.End == b.End }) {
		t.Errorf("editor markers were moved: %+v", d.Markers)
	}
	// Only the MP3 asked for: no WAV, no FLAC, no REAPER project.
	for _, f := range m.Files {
		if f.Format == "wav" || f.Format == "flac" || f.Format == "rpp" {
			t.Errorf("unexpected %s", f.Path)
		}
	}
}

func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 3)

	noSession := filepath.Join(tmp, "empty")
	os.Mkdir(noSession, 0o755)
	missing := makeSession(t, filepath.Join(tmp, "missing"), 2)
	os.Remove(filepath.Join(missing, "tracks", "bob-1.wav"))
	unfinished := makeSession(t, filepath.Join(tmp, "unfinished"), 1)
	b, err := os.ReadFile(filepath.Join(unfinished, session.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"state": "stopped"`), []byte(`"state": "recording"`), 1)
	if err := os.WriteFile(filepath.Join(unfinished, session.MetaFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := makeSession(t, filepath.Join(tmp, "silent"), 0)
	exists := filepath.Join(tmp, "exists")
	os.Mkdir(exists, 0o755)

	for _, tc := range []struct {
		name string
		opt  Options
		want error
	}{
		{"not a session", Options{Session: noSession, Out: filepath.Join(tmp, "o1")}, session.ErrNotSession},
		{"no folder", Options{Session: filepath.Join(tmp, "nope"), Out: filepath.Join(tmp, "o2")}, session.ErrNotSession},
		{"missing track", Options{Session: missing, Out: filepath.Join(tmp, "o3")}, ErrMissingTrack},
		{"unfinished", Options{Session: unfinished, Out: filepath.Join(tmp, "o6")}, ErrUnfinished},
		{"no audio", Options{Session: empty, Out: filepath.Join(tmp, "o7")}, ErrEmpty},
		{"out exists", Options{Session: sess, Out: exists}, ErrExists},
		{"bad audio", Options{Session: sess, Out: filepath.Join(tmp, "o4"), Audio: []string{"ogg"}}, ErrOptions},
		{"out inside session", Options{Session: sess, Out: filepath.Join(sess, "b")}, ErrOptions},
		{"bad bitrate", Options{Session: sess, Out: filepath.Join(tmp, "o5"), MP3Bitrate: 1000}, ErrOptions},
	} {
		_, err := Run(context.Background(), tc.opt, nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	assertClean(t, tmp, []string{"empty", "exists", "missing", "sess", "silent", "unfinished"})
}

// assertClean checks that a failed export left nothing but the given names.
func assertClean(t *testing.T, dir string, want []string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, want) {
		t.Errorf("%s holds %q, want %q", dir, names, want)
	}
}

func TestDiskFullLeavesNoBundle(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 10)
	diskBudget.Store(300_000) // less than one WAV copy
	defer diskBudget.Store(0)
	_, err := Run(context.Background(), Options{Session: sess, Out: filepath.Join(tmp, "b"), Zip: true}, nil)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err %v, want ENOSPC", err)
	}
	assertClean(t, tmp, []string{"sess"})
}

func TestCancel(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 10)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Options{Session: sess, Out: filepath.Join(tmp, "b")}, func(p Progress) {
		if p.Done > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	assertClean(t, tmp, []string{"sess"})
}

func TestLimiterNeverClips(t *testing.T) {
	// The review mix's limiter, as renderMix sets it up.
	l, err := loudness.NewLimiter(48000, limiterCeiling, limiterLookahead, limiterRelease)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]float32, 48000)
	for i := range s {
		s[i] = float32(1.8 * math.Sin(float64(i)/7))
	}
	out := l.Flush(l.Process(nil, s))
	ceil := float32(loudness.Amp(limiterCeiling))
	for i, v := range out {
		if v > ceil || v < -ceil {
			t.Fatalf("sample %d = %v over the ceiling %v", i, v, ceil)
		}
	}
	if len(out) != len(s) || l.Limited() == 0 {
		t.Errorf("%d samples out of %d, %d limited", len(out), len(s), l.Limited())
	}
	quiet := []float32{0.1, -0.2, 0.3}
	l2, _ := loudness.NewLimiter(48000, limiterCeiling, limiterLookahead, limiterRelease)
	q := l2.Flush(l2.Process(nil, quiet))
	if !slices.Equal(q, quiet) || l2.Limited() != 0 {
		t.Errorf("quiet signal changed: %v", q)
	}
}

// checkGolden compares every text file of the bundle (README, REAPER
// project, chapters, editor files, notes) with testdata/golden; -update
// rewrites them.
func checkGolden(t *testing.T, out string, files []File) {
	t.Helper()
	n := 0
	for _, f := range files {
		switch f.Format {
		case "wav", "flac", "mp3", "png":
			continue
		}
		n++
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", filepath.FromSlash(f.Path))
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", f.Path, golden, got, want)
		}
	}
	if n < 14 {
		t.Errorf("only %d text files compared", n)
	}
}

func TestRF64FloatAndMerged(t *testing.T) {
	tmp := t.TempDir()
	// RF64 tracks (a tiny threshold stands in for 4 GiB) are copied as they
	// are, encoded to FLAC and verified.
	rf := makeSessionWith(t, filepath.Join(tmp, "rf"), 5, audio.Int16, 64<<10)
	report := []byte(`{"version": 1, "master": "alice", "sessions": [{"host": "alice", "offset": 0, "drift_ppm": 0, "confidence": 1},
		{"host": "bob", "offset": 0.0123, "drift_ppm": -3.5, "confidence": 0.93}]}`)
	if err := os.WriteFile(filepath.Join(rf, MergeReportFile), report, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "rf-bundle")
	if _, err := Run(context.Background(), Options{Session: rf, Out: out, Audio: []string{WAV, FLAC}}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := audio.OpenWAV(filepath.Join(out, "audio", "alice-1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); !info.RF64 || info.BEXT == nil || info.Format != audio.Int16 {
		t.Errorf("copied WAV: %+v", info)
	}
	r.Close()
	m := readManifest(t, out)
	var merge struct {
		Sessions []struct {
			Host     string  `json:"host"`
			Offset   float64 `json:"offset"`
			DriftPPM float64 `json:"drift_ppm"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal(m.Merge, &merge); err != nil || len(merge.Sessions) != 2 || merge.Sessions[1].Offset != 0.0123 || merge.Sessions[1].DriftPPM != -3.5 || !m.Session.Merged {
		t.Errorf("merge figures %s (%v), merged %v", m.Merge, err, m.Session.Merged)
	}
	readme, err := os.ReadFile(filepath.Join(out, "README.txt"))
	if err != nil || !strings.Contains(string(readme), "bob: offset +0.0123 s, drift -3.50 ppm, confidence 0.93") {
		t.Errorf("README merge lines missing:\n%s", readme)
	}
	if rep, err := Verify(out); err != nil || !rep.OK() || rep.Decoded != 4 {
		t.Errorf("verify: %+v %v", rep, err)
	}

	// 32-bit float tracks: no FLAC (it cannot hold them), a warning says so.
	fl := makeSessionWith(t, filepath.Join(tmp, "fl"), 3, audio.Float32, 0)
	res, err := Run(context.Background(), Options{Session: fl, Out: filepath.Join(tmp, "fl-bundle")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Manifest.Files {
		if f.Format == "flac" {
			t.Errorf("FLAC made from a float track: %s", f.Path)
		}
	}
	if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), "32-bit float") {
		t.Errorf("warnings %q", res.Warnings)
	}
	if rep, err := Verify(res.Dir); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}

	// A bad merge report is an error, not a silent omission.
	if err := os.WriteFile(filepath.Join(fl, MergeReportFile), []byte("{oops"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Session: fl, Out: filepath.Join(tmp, "bad")}, nil); err == nil || !strings.Contains(err.Error(), MergeReportFile) {
		t.Errorf("bad merge report: %v", err)
	}
}

// TestReadmeListsOnlyWrittenChapters: the README's publishing list names only
// the chapter files the bundle holds (YouTube's is skipped when the chapters
// break its rules).
func TestReadmeListsOnlyWrittenChapters(t *testing.T) {
	files := []File{{Path: "chapters/chapters.json"}, {Path: "chapters/chapters.vtt"}, {Path: "notes/transcript-seed.md"}}
	readme := string(writeReadme(Manifest{}, files, ""))
	pub := readme[strings.Index(readme, "PUBLISHING"):]
	for _, want := range []string{"chapters/chapters.json", "chapters/chapters.vtt", "notes/"} {
		if !strings.Contains(pub, want) {
			t.Errorf("publishing list lacks %s:\n%s", want, pub)
		}
	}
	for _, absent := range []string{"youtube.txt", "chapters.psc.xml"} {
		if strings.Contains(pub, absent) {
			t.Errorf("publishing list names %s, which the bundle does not hold:\n%s", absent, pub)
		}
	}
}

// TestShortChaptersDropped: a host who presses the rundown's next and then
// a topic (5 ms apart), or a topic just before Stop, made chapters a
// listener cannot use; every public output drops them (the later press
// stays) and says so, and the editor's files keep every marker.
func TestShortChaptersDropped(t *testing.T) {
	testenv.Tool(t, "ffprobe")
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 40)
	at := func(s float64) int64 { return int64(s * testRate) }
	j, err := markers.OpenJournal(filepath.Join(sess, session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []markers.Marker{
		{ID: "x1", Kind: markers.Topic, Title: "Cold open", Sample: at(17), Author: "alice"},
		{ID: "x2", Kind: markers.Topic, Title: "Home studios", Sample: at(17.005), Author: "alice"},
		{ID: "x3", Kind: markers.Topic, Title: "Bye", Sample: at(39.6), Author: "alice"},
	} {
		m.UTC = testStart.Add(time.Duration(float64(m.Sample) / testRate * float64(time.Second)))
		if err := j.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "b")
	res, err := Run(context.Background(), Options{Session: sess, Out: out, Audio: []string{MP3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Intro", `Café talk: Ünïcødé & "quotes"`, "Home studios", "Acme Widgets", "Listener mail"}

	// The MP3's chapters as ffprobe reads them.
	raw, err := exec.Command("ffprobe", "-v", "error", "-show_chapters", "-of", "json", filepath.Join(out, "audio", "review-mix.mp3")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Chapters []struct {
			Tags map[string]string `json:"tags"`
		} `json:"chapters"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Chapters {
		got = append(got, c.Tags["title"])
	}
	if !slices.Equal(got, want) {
		t.Errorf("MP3 chapters %q, want %q", got, want)
	}
	// Every public chapter file and the CUE sheet.
	for _, rel := range []string{"chapters/chapters.json", "chapters/chapters.psc.xml", "chapters/chapters.mp4chaps.txt", "chapters/chapters.vtt", "audio/review-mix.cue"} {
		d, _, err := markers.ReadFile(filepath.Join(out, filepath.FromSlash(rel)), "")
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		var titles []string
		for _, m := range d.Chapters() {
			titles = append(titles, m.Title)
		}
		// A CUE title cannot hold a double quote: the sheet has a single one.
		if !slices.EqualFunc(titles, want, func(a, b string) bool { return a == b || a == strings.ReplaceAll(b, `"`, "'") }) {
			t.Errorf("%s: chapters %q, want %q", rel, titles, want)
		}
	}
	// The editor's markers keep all three.
	b, err := os.ReadFile(filepath.Join(out, "editor", "markers.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := markers.Read(bytes.NewReader(b), markers.FormatPodmark)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x1", "x2", "x3"} {
		if !slices.ContainsFunc(d.Markers, func(m markers.Marker) bool { return m.ID == id }) {
			t.Errorf("editor/markers.json lost %s", id)
		}
	}
	if m := readManifest(t, out); m.Session.Markers != 10 || m.Session.Chapters != len(want) {
		t.Errorf("manifest: %d markers, %d public chapters; want 10 and %d", m.Session.Markers, m.Session.Chapters, len(want))
	}
	// Said once each, in the host's terms.
	for _, w := range []string{
		`chapters: 00:00:17.000 "Cold open": dropped, "Home studios" starts 5 ms later (a chapter shorter than 1s)`,
		`chapters: 00:00:39.600 "Bye": dropped, the audio ends 400 ms later (a chapter shorter than 1s)`,
	} {
		if n := slices.Index(res.Warnings, w); n < 0 || slices.Index(res.Warnings[n+1:], w) >= 0 {
			t.Errorf("warning %q not there once in %q", w, res.Warnings)
		}
	}

	// A cut that leaves a chapter under a second on the episode timeline:
	// "Café talk" (11.5 s) would end 0.5 s later at the sponsor (22 s,
	// after cutting 12–21.5 s).
	out2 := filepath.Join(tmp, "b2")
	res, err = Run(context.Background(), Options{Session: sess, Out: out2, Audio: []string{MP3},
		Cuts: []markers.Cut{{Start: 12 * time.Second, End: 21500 * time.Millisecond}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(out2, "chapters", "chapters.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("Café")) {
		t.Errorf("a 0.5 s chapter left on the episode timeline:\n%s", b)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool {
		return strings.HasPrefix(w, "chapters (episode timeline): ") && strings.Contains(w, "Café talk")
	}) {
		t.Errorf("no warning for the cut's short chapter: %q", res.Warnings)
	}
}
