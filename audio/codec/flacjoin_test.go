package codec

import (
	"bytes"
	"crypto/md5"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/podmark/podmark/internal/testenv"
)

// pcmBytes is the samples as little-endian signed integers of bits/8
// bytes: the WAV data chunk, and what FLAC's MD5 is computed over.
func pcmBytes(s []int32, bits int) []byte {
	w := bits / 8
	b := make([]byte, 0, len(s)*w)
	for _, v := range s {
		for i := range w {
			b = append(b, byte(v>>(8*i)))
		}
	}
	return b
}

// encodeSegments cuts s into segments of segFrames frames and encodes each
// as a standalone stream with CreateFLAC, as the progressive hand-off does.
func encodeSegments(t *testing.T, dir string, s []int32, ch, bits, segFrames int) []string {
	t.Helper()
	var paths []string
	for n := 0; len(s) > 0; n++ {
		k := min(len(s), segFrames*ch)
		p := filepath.Join(dir, strconv.Itoa(n)+".seg")
		w, err := CreateFLAC(p, FLACOptions{Rate: 48000, Channels: ch, Bits: bits, TotalFrames: int64(k / ch)})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteInt32(s[:k]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		s = s[k:]
	}
	return paths
}

func TestJoinFLAC(t *testing.T) {
	testenv.Tool(t, "flac", "ffprobe")
	dir := t.TempDir()
	_, speech := soxSamples(t, dir, 7)
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]int32, 2*(3*4*4096+1234))
	for i := range noise {
		noise[i] = int32(rng.IntN(1<<16)) - 1<<15
	}
	for _, tc := range []struct {
		name      string
		pcm       []int32
		ch, bits  int
		segFrames int
	}{
		{"speech 24-bit mono, 5 blocks a segment", speech, 1, 24, 5 * 4096},
		{"noise 16-bit stereo, 4 blocks a segment", noise, 2, 16, 4 * 4096},
		{"speech, one segment", speech[:3*4096+7], 1, 24, 64 * 4096},
		{"speech, whole segments only", speech[:6*4096], 1, 24, 2 * 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			segs := encodeSegments(t, d, tc.pcm, tc.ch, tc.bits, tc.segFrames)
			joined := filepath.Join(d, "joined.flac")
			sum := md5.Sum(pcmBytes(tc.pcm, tc.bits))
			n, err := JoinFLACFiles(joined, segs, sum)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(len(tc.pcm) / tc.ch); n != want {
				t.Fatalf("joined %d samples, want %d", n, want)
			}
			// libFLAC's frames depend only on their own samples, so the
			// join is the file a single encode of the whole makes.
			whole := filepath.Join(d, "whole.flac")
			encodeWhole(t, whole, tc.pcm, tc.ch, tc.bits)
			a, _ := os.ReadFile(joined)
			b, _ := os.ReadFile(whole)
			if !bytes.Equal(a, b) {
				t.Errorf("joined file (%d bytes) differs from a whole encode (%d bytes)", len(a), len(b))
			}
			run(t, "flac", "-t", "-s", joined)
			info, got := decodeFLAC(t, joined)
			if info.Frames != int64(len(tc.pcm)/tc.ch) || info.Channels != tc.ch || info.Bits != tc.bits {
				t.Fatalf("STREAMINFO %+v", info)
			}
			if !slices.Equal(got, tc.pcm) {
				t.Fatal("decoded samples differ from the PCM")
			}
			raw := filepath.Join(d, "dec.raw")
			run(t, "flac", "-d", "-s", "-f", "--force-raw-format", "--endian=little", "--sign=signed", "-o", raw, joined)
			if rb, _ := os.ReadFile(raw); !bytes.Equal(rb, pcmBytes(tc.pcm, tc.bits)) {
				t.Fatal("flac -d decodes to other samples")
			}
			out := run(t, "ffprobe", "-v", "error", "-show_entries", "stream=duration_ts", "-of", "csv=p=0", joined)
			if got := strings.TrimSpace(string(out)); got != strconv.Itoa(len(tc.pcm)/tc.ch) {
				t.Errorf("ffprobe duration_ts %s, want %d", got, len(tc.pcm)/tc.ch)
			}
		})
	}
}

func encodeWhole(t *testing.T, path string, s []int32, ch, bits int) {
	t.Helper()
	w, err := CreateFLAC(path, FLACOptions{Rate: 48000, Channels: ch, Bits: bits, TotalFrames: int64(len(s) / ch)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInt32(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestJoinFLACRejects(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	pcm := make([]int32, 3*4096+100)
	for i := range pcm {
		pcm[i] = int32(rng.IntN(1<<12)) - 1<<11
	}
	mono := encodeSegments(t, filepath.Join(mk(t, dir, "m")), pcm, 1, 16, 4096)
	short := encodeSegments(t, filepath.Join(mk(t, dir, "s")), pcm[:1000], 1, 16, 4096)
	stereo := encodeSegments(t, filepath.Join(mk(t, dir, "st")), pcm[:2*4096], 2, 16, 4096)
	damaged := filepath.Join(dir, "damaged.seg")
	b, _ := os.ReadFile(mono[1])
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(damaged, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.seg")
	if err := os.WriteFile(cut, b[:len(b)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	notFLAC := filepath.Join(dir, "x.seg")
	if err := os.WriteFile(notFLAC, []byte("RIFF....WAVE"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		parts []string
	}{
		{"a short segment before the end", []string{short[0], mono[0]}},
		{"another channel count", []string{mono[0], stereo[0]}},
		{"a damaged frame", []string{mono[0], damaged}},
		{"a cut segment", []string{mono[0], cut}},
		{"not FLAC", []string{notFLAC}},
		{"nothing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := JoinFLACFiles(filepath.Join(dir, "out.flac"), tc.parts, [16]byte{})
			if !errors.Is(err, ErrJoin) {
				t.Fatalf("err = %v, want ErrJoin", err)
			}
		})
	}
}

func mk(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUTF8Number(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 2047, 2048, 65535, 65536, 1<<21 - 1, 1 << 21, 1<<26 - 1, 1 << 26, 1<<31 - 1, 1 << 31, 1<<36 - 1} {
		b := appendUTF8Number(nil, v)
		got, n, ok := readUTF8Number(b)
		if !ok || got != v || n != len(b) {
			t.Errorf("%d: coded % x, read back %d (%d bytes, ok %v)", v, b, got, n, ok)
		}
	}
}

// FuzzParseFLAC feeds the frame parser arbitrary streams: it must not
// panic, and what it accepts must be frames that tile the data.
func FuzzParseFLAC(f *testing.F) {
	dir := f.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	pcm := make([]int32, 2*4096+300)
	for i := range pcm {
		pcm[i] = int32(rng.IntN(1<<10)) - 1<<9
	}
	p := filepath.Join(dir, "seed.flac")
	w, err := CreateFLAC(p, FLACOptions{Rate: 48000, Channels: 1, Bits: 16})
	if err != nil {
		f.Fatal(err)
	}
	if err := w.WriteInt32(pcm); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseFLAC(b)
		if err != nil {
			if !errors.Is(err, ErrJoin) {
				t.Fatalf("error %v is not ErrJoin", err)
			}
			return
		}
		end := s.frames[len(s.frames)-1].end
		if end != len(b) {
			t.Fatalf("frames end at %d of %d bytes", end, len(b))
		}
		for i := 1; i < len(s.frames); i++ {
			if s.frames[i].start != s.frames[i-1].end {
				t.Fatalf("frame %d starts at %d, the one before ends at %d", i, s.frames[i].start, s.frames[i-1].end)
			}
		}
		if s.variable {
			return
		}
		j := NewFLACJoiner(&memWS{})
		if err := j.Append(b); err != nil && !errors.Is(err, ErrJoin) {
			t.Fatal(err)
		}
	})
}

// memWS is an in-memory io.WriteSeeker.
type memWS struct {
	b   []byte
	pos int
}

func (m *memWS) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memWS) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case 0:
		m.pos = int(off)
	case 1:
		m.pos += int(off)
	default:
		m.pos = len(m.b) + int(off)
	}
	return int64(m.pos), nil
}

func TestCRC16Shift(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 3, 100, 4097, 70000} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(rng.IntN(256))
		}
		for _, s := range []uint16{0, 1, 0x8005, 0xffff, 0x1234} {
			want := flacCRC16(s, body)
			if got := flacCRC16(0, body) ^ crc16Shift(s, n); got != want {
				t.Errorf("state %#x through %d bytes: %#x, want %#x", s, n, got, want)
			}
		}
	}
}

// TestCRC16Slicing checks the eight-bytes-a-step CRC-16 against the
// byte-at-a-time definition, for lengths around the step and initial
// states that use both register bytes.
func TestCRC16Slicing(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	bytewise := func(c uint16, b []byte) uint16 {
		for _, x := range b {
			c = flacCRC16Table[byte(c>>8)^x] ^ c<<8
		}
		return c
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 64, 1000, 4099} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		for _, s := range []uint16{0, 1, 0x00ff, 0xff00, 0x8005, 0xffff, 0x1234} {
			if got, want := flacCRC16(s, b), bytewise(s, b); got != want {
				t.Errorf("state %#x over %d bytes: %#x, want %#x", s, n, got, want)
			}
		}
	}
	// A FLAC frame's stored CRC-16 (libFLAC's) over its own bytes: zero remainder check.
	if got := flacCRC16(0, []byte("123456789")); got != 0xfee8 {
		t.Errorf("CRC-16/BUYPASS of \"123456789\" = %#x, want 0xfee8", got)
	}
}
