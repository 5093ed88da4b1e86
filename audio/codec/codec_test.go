package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hajimehoshi/go-mp3"

	"github.com/podmark/podmark/internal/testenv"
)

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

// soxSamples makes a mono 24-bit WAV with sox (pink noise with a tone, as
// speech-like as a test needs) and returns its path and its samples.
func soxSamples(t *testing.T, dir string, seconds int) (string, []int32) {
	t.Helper()
	testenv.Tool(t, "sox")
	wav := filepath.Join(dir, "in.wav")
	run(t, "sox", "-R", "-n", "-r", "48000", "-b", "24", "-c", "1", wav,
		"synth", strconv.Itoa(seconds), "pinknoise", "synth", "sine", "amod", "3", "vol", "0.5")
	raw := filepath.Join(dir, "in.raw")
	run(t, "sox", wav, "-t", "s32", "-e", "signed-integer", "-L", raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]int32, len(b)/4)
	for i := range s {
		s[i] = int32(binary.LittleEndian.Uint32(b[4*i:])) >> 8
	}
	return wav, s
}

func encodeFLAC(t *testing.T, path string, ch int, s []int32) {
	t.Helper()
	w, err := CreateFLAC(path, FLACOptions{Rate: 48000, Channels: ch, Bits: 24, Verify: true, TotalFrames: int64(len(s) / ch)})
	if err != nil {
		t.Fatal(err)
	}
	for len(s) > 0 {
		n := min(len(s), 4096*ch+ch) // odd-sized blocks on purpose
		if err := w.WriteInt32(s[:n]); err != nil {
			t.Fatal(err)
		}
		s = s[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func decodeFLAC(t *testing.T, path string) (FLACInfo, []int32) {
	t.Helper()
	r, err := OpenFLAC(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var all []int32
	buf := make([]int32, 3000)
	for {
		n, err := r.ReadInt32(buf)
		all = append(all, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return r.Info(), all
}

func TestFLACRoundTripAndSize(t *testing.T) {
	testenv.Tool(t, "flac")
	dir := t.TempDir()
	wav, s := soxSamples(t, dir, 20)
	out := filepath.Join(dir, "ours.flac")
	encodeFLAC(t, out, 1, s)

	info, got := decodeFLAC(t, out)
	if info.Rate != 48000 || info.Channels != 1 || info.Bits != 24 || info.Frames != int64(len(s)) {
		t.Fatalf("info %+v, want 48000 Hz mono 24-bit %d frames", info, len(s))
	}
	if len(got) != len(s) {
		t.Fatalf("decoded %d samples, want %d", len(got), len(s))
	}
	for i := range s {
		if got[i] != s[i] {
			t.Fatalf("sample %d: %d, want %d", i, got[i], s[i])
		}
	}
	run(t, "flac", "-t", "-s", out)

	ref := filepath.Join(dir, "ref.flac")
	run(t, "flac", "-5", "-s", "-f", "-o", ref, wav)
	a, _ := os.Stat(out)
	b, _ := os.Stat(ref)
	if a.Size() > b.Size() {
		t.Errorf("ours %d bytes, flac -5 %d bytes", a.Size(), b.Size())
	}
	t.Logf("ours %d bytes, flac -5 %d bytes", a.Size(), b.Size())
}

func TestFLACStereo16(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "st.flac")
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([]int32, 2*30001)
	for i := 0; i < len(s); i += 2 {
		v := math.Sin(float64(i) / 40)
		s[i] = int32(v*20000) + rng.Int32N(200) - 100
		s[i+1] = -s[i] / 2
	}
	w, err := CreateFLAC(path, FLACOptions{Rate: 44100, Channels: 2, Bits: 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInt32(s); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInt32(s[:3]); err == nil {
		t.Error("a half frame was accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	info, got := decodeFLAC(t, path)
	if info.Channels != 2 || info.Bits != 16 || info.Rate != 44100 || len(got) != len(s) {
		t.Fatalf("info %+v, %d samples", info, len(got))
	}
	for i := range s {
		if got[i] != s[i] {
			t.Fatalf("sample %d: %d want %d", i, got[i], s[i])
		}
	}
}

func TestFLACDamaged(t *testing.T) {
	dir := t.TempDir()
	_, s := soxSamples(t, dir, 3)
	path := filepath.Join(dir, "d.flac")
	encodeFLAC(t, path, 1, s)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []FLACReadOptions{{}, {NoMD5: true}} {
		r, err := OpenFLACWith(path, opt)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]int32, 4096)
		for {
			_, err = r.ReadInt32(buf)
			if err != nil {
				break
			}
		}
		r.Close()
		if err == io.EOF || !(errors.Is(err, ErrFLAC) || errors.Is(err, ErrMismatch)) {
			t.Fatalf("damaged FLAC decoded (%+v) with err %v", opt, err)
		}
	}

	if _, err := OpenFLAC(filepath.Join(dir, "missing.flac")); !errors.Is(err, ErrFLAC) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := CreateFLAC(filepath.Join(dir, "no", "such", "dir.flac"), FLACOptions{Rate: 48000, Channels: 1, Bits: 24}); !errors.Is(err, ErrFLAC) {
		t.Errorf("bad dir: %v", err)
	}
	if _, err := CreateFLAC(filepath.Join(dir, "x.flac"), FLACOptions{Rate: 48000, Channels: 0, Bits: 24}); err == nil {
		t.Error("0 channels accepted")
	}
}

var testChapters = []Chapter{
	{ID: "ch0", Title: "Intro", Start: 0, End: 2500 * time.Millisecond},
	{ID: "ch1", Title: "Café & Ünïcødé — 日本語", URL: "https://example.com/a?b=1", Start: 2500 * time.Millisecond, End: 6 * time.Second},
	{ID: "ch2", Title: "Sponsor: Acme", URL: "https://acme.example/", Start: 6 * time.Second, End: 10 * time.Second},
}

func sine(frames, ch int, amp float64) []float32 {
	s := make([]float32, frames*ch)
	for i := 0; i < frames; i++ {
		for c := 0; c < ch; c++ {
			s[i*ch+c] = float32(amp * math.Sin(2*math.Pi*float64(440+110*c)*float64(i)/48000))
		}
	}
	return s
}

func writeMP3(t *testing.T, path string, tag Tag, opt MP3Options, pcm []float32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tag.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	m, err := NewMP3Writer(f, opt)
	if err != nil {
		t.Fatal(err)
	}
	for len(pcm) > 0 {
		n := min(len(pcm), 10000*opt.Channels)
		if err := m.WriteFloat32(pcm[:n]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[n:]
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type probe struct {
	Chapters []struct {
		StartTime string            `json:"start_time"`
		EndTime   string            `json:"end_time"`
		Tags      map[string]string `json:"tags"`
	} `json:"chapters"`
	Format struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		CodecName  string `json:"codec_name"`
		SampleRate string `json:"sample_rate"`
		Channels   int    `json:"channels"`
	} `json:"streams"`
}

func TestMP3ChaptersFFprobe(t *testing.T) {
	testenv.Tool(t, "ffprobe")
	for _, tc := range []struct {
		name    string
		version int
		opt     MP3Options
	}{
		{"v23-mono-cbr", 3, MP3Options{Rate: 48000, Channels: 1, Bitrate: 128}},
		{"v24-stereo-vbr", 4, MP3Options{Rate: 48000, Channels: 2, VBRQuality: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "e.mp3")
			tag := Tag{Version: tc.version, Title: "Episode 48: Ünïcødé", Chapters: testChapters}
			writeMP3(t, path, tag, tc.opt, sine(10*48000, tc.opt.Channels, 0.5))

			var p probe
			out := run(t, "ffprobe", "-v", "error", "-show_chapters", "-show_format", "-show_streams", "-of", "json", path)
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(p.Chapters) != len(testChapters) {
				t.Fatalf("ffprobe lists %d chapters, want %d:\n%s", len(p.Chapters), len(testChapters), out)
			}
			for i, c := range testChapters {
				got := p.Chapters[i]
				if got.Tags["title"] != c.Title || got.StartTime != secs(c.Start) || got.EndTime != secs(c.End) {
					t.Errorf("chapter %d: %s-%s %q, want %s-%s %q", i, got.StartTime, got.EndTime, got.Tags["title"], secs(c.Start), secs(c.End), c.Title)
				}
			}
			if p.Format.Tags["title"] != tag.Title {
				t.Errorf("title %q, want %q", p.Format.Tags["title"], tag.Title)
			}
			if len(p.Streams) != 1 || p.Streams[0].CodecName != "mp3" || p.Streams[0].Channels != tc.opt.Channels {
				t.Errorf("streams %+v", p.Streams)
			}
			d, _ := strconv.ParseFloat(p.Format.Duration, 64)
			if math.Abs(d-10) > 0.05 {
				t.Errorf("ffprobe duration %v, want 10 s (the info frame is wrong?)", d)
			}

			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseTag(b)
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Title != tag.Title || len(parsed.Chapters) != len(testChapters) {
				t.Fatalf("parsed %+v", parsed)
			}
			for i := range testChapters {
				if parsed.Chapters[i] != testChapters[i] {
					t.Errorf("parsed chapter %d: %+v want %+v", i, parsed.Chapters[i], testChapters[i])
				}
			}
			info, err := ScanMP3(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if !info.InfoFrame || !info.LAME || info.Samples != 10*48000 || info.Rate != 48000 || info.Channels != tc.opt.Channels {
				t.Errorf("scan %+v, want LAME info frame and %d samples", info, 10*48000)
			}

			// The project's Go decoder reads it too.
			dec, err := mp3.NewDecoder(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			pcm, err := io.ReadAll(dec)
			if err != nil {
				t.Fatal(err)
			}
			if dec.SampleRate() != 48000 || len(pcm)/4 < 10*48000 {
				t.Errorf("go-mp3: %d Hz, %d frames", dec.SampleRate(), len(pcm)/4)
			}

			// One flipped byte in the audio is caught by the music checksum.
			b[len(b)-500] ^= 0x01
			if _, err := ScanMP3(bytes.NewReader(b)); !errors.Is(err, ErrMP3) {
				t.Errorf("flipped byte: %v", err)
			}
		})
	}
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

func TestTagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		tag  Tag
	}{
		{"dup id", Tag{Chapters: []Chapter{{ID: "a", Title: "x", End: time.Second}, {ID: "a", Title: "y", Start: time.Second, End: 2 * time.Second}}}},
		{"empty id", Tag{Chapters: []Chapter{{Title: "x", End: time.Second}}}},
		{"end before start", Tag{Chapters: []Chapter{{ID: "a", Start: time.Second, End: time.Second}}}},
		{"overlap", Tag{Chapters: []Chapter{{ID: "a", End: 2 * time.Second}, {ID: "b", Start: time.Second, End: 3 * time.Second}}}},
		{"url", Tag{Chapters: []Chapter{{ID: "a", End: time.Second, URL: "https://例え.jp"}}}},
		{"version", Tag{Version: 2}},
	} {
		if _, err := tc.tag.Bytes(); !errors.Is(err, ErrID3) {
			t.Errorf("%s: %v, want ErrID3", tc.name, err)
		}
	}
	many := Tag{}
	for i := 0; i < 256; i++ {
		many.Chapters = append(many.Chapters, Chapter{ID: "c" + strconv.Itoa(i), Start: time.Duration(i) * time.Second, End: time.Duration(i+1) * time.Second})
	}
	if _, err := many.Bytes(); !errors.Is(err, ErrID3) {
		t.Errorf("256 chapters: %v", err)
	}
}

func TestScanMP3Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"junk", []byte("hello world, not an mp3")},
		{"tag only", append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), 0xFF)},
	} {
		if _, err := ScanMP3(bytes.NewReader(tc.b)); !errors.Is(err, ErrMP3) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A truncated stream.
	path := filepath.Join(t.TempDir(), "t.mp3")
	writeMP3(t, path, Tag{Title: "x"}, MP3Options{Rate: 48000, Channels: 1, Bitrate: 128}, sine(48000, 1, 0.3))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ScanMP3(bytes.NewReader(b[:len(b)-100])); !errors.Is(err, ErrMP3) {
		t.Errorf("truncated: %v", err)
	}
}

func FuzzScanMP3(f *testing.F) {
	f.Add([]byte("ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"))
	f.Add([]byte{0xFF, 0xFB, 0x90, 0x64, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ScanMP3(bytes.NewReader(b))
	})
}

func FuzzParseTag(f *testing.F) {
	b, _ := Tag{Title: "t", Chapters: testChapters}.Bytes()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, err := ParseTag(b)
		if err == nil && tag.Version != 3 && tag.Version != 4 {
			t.Fatalf("version %d accepted", tag.Version)
		}
	})
}

func TestCRC16(t *testing.T) {
	// CRC-16/ARC check value.
	if got := crc16(0, []byte("123456789")); got != 0xBB3D {
		t.Errorf("crc16 = %04x, want bb3d", got)
	}
}
