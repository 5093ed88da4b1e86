package decode

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
	"github.com/podmark/podmark/internal/testenv"
)

// noiseBursts is band-limited noise in bursts: a signal with one clear
// alignment.
func noiseBursts(rate, n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n)
	var lp1, lp2 float64
	for i := range x {
		lp1 += 0.3 * (r.NormFloat64() - lp1)
		lp2 += 0.3 * (lp1 - lp2)
		env := 0.5 + 0.5*math.Sin(2*math.Pi*float64(i)/float64(rate)*1.7)
		x[i] = float32(0.4 * lp2 * env * env)
	}
	return x
}

func writeWAV(t *testing.T, path string, rate int, x []float32) {
	t.Helper()
	if err := audio.WriteWAVFile(path, audio.WriterOptions{Rate: audio.SampleRate(rate), Channels: 1, Format: audio.Int16}, x); err != nil {
		t.Fatal(err)
	}
}

func TestMP3DelayFromLAMEHeader(t *testing.T) {
	testenv.Tool(t, "lame")
	for _, tc := range []struct {
		rate int
		args []string
	}{
		{48000, []string{"-b", "128"}},
		{44100, []string{"-V", "4"}},
		{24000, []string{"-b", "64"}}, // MPEG-2: 576 samples a frame
	} {
		dir := t.TempDir()
		x := noiseBursts(tc.rate, tc.rate*8+123, 1)
		wav := filepath.Join(dir, "in.wav")
		mp := filepath.Join(dir, "ref.mp3")
		writeWAV(t, wav, tc.rate, x)
		args := append([]string{"--quiet"}, tc.args...)
		if out, err := exec.Command("lame", append(args, wav, mp)...).CombinedOutput(); err != nil {
			t.Fatalf("lame: %v\n%s", err, out)
		}
		s, err := Open(mp)
		if err != nil {
			t.Fatal(err)
		}
		in := s.Info()
		if in.Format != "mp3" || in.Rate != tc.rate || in.DelaySource != "LAME header" {
			t.Errorf("%d Hz: info %+v", tc.rate, in)
		}
		if in.Frames != int64(len(x)) {
			t.Errorf("%d Hz: %d frames, want %d (padding from the LAME header)", tc.rate, in.Frames, len(x))
		}
		if tc.rate == 48000 && in.Delay != 2257 {
			t.Errorf("LAME 128 kbps at 48 kHz: delay %d, want 2257", in.Delay)
		}
		// Sample 0 of the decoded file is sample 0 of the original.
		got := make([]float32, s.Frames())
		if err := s.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		m, err := align.Correlate(x, got[tc.rate:tc.rate*5], float64(tc.rate), tc.rate-200, tc.rate+200)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m.Lag-float64(tc.rate)) > 0.05 {
			t.Errorf("%d Hz: decoded audio lags the original by %.3f samples", tc.rate, m.Lag-float64(tc.rate))
		}
		if m.NCC < 0.9 {
			t.Errorf("%d Hz: decoded audio does not match the original: ncc %.3f", tc.rate, m.NCC)
		}
		// Windows decoded on their own equal the straight decode.
		for _, at := range []int64{0, 1, 5000, int64(tc.rate * 3), s.Frames() - 3000, s.Frames() - 10} {
			w := make([]float32, 2500)
			if err := s.ReadAt(w, at); err != nil {
				t.Fatal(err)
			}
			for i, v := range w {
				j := at + int64(i)
				var want float32
				if j < s.Frames() {
					want = got[j]
				}
				if math.Abs(float64(v-want)) > 1e-6 {
					t.Fatalf("%d Hz: window at %d differs at +%d: %g vs %g", tc.rate, at, i, v, want)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMP3WithoutLAMEHeader(t *testing.T) {
	testenv.Tool(t, "lame")
	dir := t.TempDir()
	x := noiseBursts(48000, 48000*3, 2)
	wav := filepath.Join(dir, "in.wav")
	mp := filepath.Join(dir, "ref.mp3")
	writeWAV(t, wav, 48000, x)
	if out, err := exec.Command("lame", "--quiet", "-t", "-b", "128", wav, mp).CombinedOutput(); err != nil {
		t.Fatalf("lame -t: %v\n%s", err, out)
	}
	s, err := Open(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if in := s.Info(); in.DelaySource == "LAME header" || in.Delay != decoderDelay {
		t.Errorf("no info frame: %+v", in)
	}
}

func TestWAVAndFLAC(t *testing.T) {
	testenv.Tool(t, "flac")
	dir := t.TempDir()
	x := noiseBursts(44100, 44100*2, 3)
	st := make([]float32, 2*len(x))
	for i, v := range x {
		st[2*i], st[2*i+1] = v, v*0.5
	}
	wav := filepath.Join(dir, "ref.wav")
	if err := audio.WriteWAVFile(wav, audio.WriterOptions{Rate: 44100, Channels: 2, Format: audio.Int24}, st); err != nil {
		t.Fatal(err)
	}
	fl := filepath.Join(dir, "ref.flac")
	if out, err := exec.Command("flac", "--silent", "-o", fl, wav).CombinedOutput(); err != nil {
		t.Fatalf("flac: %v\n%s", err, out)
	}
	for _, p := range []string{wav, fl} {
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Frames() != int64(len(x)) || s.Rate() != 44100 {
			t.Errorf("%s: %+v", p, s.Info())
		}
		w := make([]float32, 1000)
		if err := s.ReadAt(w, -500); err != nil {
			t.Fatal(err)
		}
		for i, v := range w {
			want := float32(0)
			if i >= 500 {
				want = x[i-500] * 0.75
			}
			if math.Abs(float64(v-want)) > 1e-5 {
				t.Fatalf("%s: sample %d: %g, want %g", p, i-500, v, want)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnsupported(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(p, []byte("hello, this is not audio at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); !errors.Is(err, ErrUnsupported) {
		t.Errorf("text file: %v, want ErrUnsupported", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.mp3")); err == nil {
		t.Error("missing file opened")
	}
	// An MP3 cut to garbage after a valid-looking sync.
	if err := os.WriteFile(p, append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(p); err == nil {
		w := make([]float32, 100)
		_ = s.ReadAt(w, 0) // must not panic
		s.Close()
	}
}

// TestOtherFormatsNamed: call recordings in formats podmark does not read
// (Zoom's M4A, a browser recorder's WebM, Ogg, AIFF, CAF, WMA), as ffmpeg writes
// them, get an error that says what the file is and how to convert it.
func TestOtherFormatsNamed(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	dir := t.TempDir()
	wav := filepath.Join(dir, "in.wav")
	writeWAV(t, wav, 48000, noiseBursts(48000, 48000, 1))
	for _, tc := range []struct {
		file string
		args []string
		want string
	}{
		{"audio_only.m4a", []string{"-c:a", "aac"}, "an MP4/M4A file"},
		{"call.webm", []string{"-c:a", "libopus"}, "a WebM/Matroska file"},
		{"call.ogg", []string{"-c:a", "libvorbis"}, "an Ogg file"},
		{"call.aiff", nil, "an AIFF file"},
		{"call.caf", []string{"-c:a", "pcm_s16le"}, "a Core Audio (CAF) file"},
		{"call.wma", []string{"-c:a", "wmav2"}, "a Windows Media (WMA) file"},
		{"call.flac", []string{"-c:a", "aac", "-f", "mp4"}, "an MP4/M4A file"}, // misnamed
	} {
		p := filepath.Join(dir, tc.file)
		args := append(append([]string{"-loglevel", "error", "-y", "-i", wav}, tc.args...), p)
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
		}
		_, err := Open(p)
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%s: %v, want ErrUnsupported", tc.file, err)
		}
		msg := err.Error()
		for _, w := range []string{tc.want, p, "ffmpeg -i", "MP3, WAV/RF64 and FLAC"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", tc.file, msg, w)
			}
		}
		if strings.HasSuffix(tc.file, ".flac") && !strings.Contains(msg, "-converted.flac") {
			t.Errorf("%s: %q suggests overwriting the file itself", tc.file, msg)
		}
		if _, err := Length(p); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Length(%s): %v", tc.file, err)
		}
	}
}
