package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/podmark/podmark/internal/testenv"
)

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	testenv.Tool(t, name)
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// soxFloats decodes path with sox to raw float32 as the reference.
func soxFloats(t *testing.T, path string) []float32 {
	t.Helper()
	raw := path + ".f32"
	mustRun(t, "sox", "-D", path, "-t", "raw", "-e", "floating-point", "-b", "32", "-L", raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func compareFloats(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d samples, reference has %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("sample %d = %v, reference %v", i, got[i], want[i])
		}
	}
}

func TestReadOutsideFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name   string
		make   []string // command and args; OUT is replaced by the path
		format SampleFormat
		ch     int
		rate   int
	}{
		{"sox-u8", []string{"sox", "-n", "-b", "8", "-e", "unsigned-integer", "-c", "1", "-r", "8000", "OUT", "synth", "0.3", "sine", "440"}, Uint8, 1, 8000},
		{"sox-s16-stereo", []string{"sox", "-n", "-b", "16", "-c", "2", "-r", "44100", "OUT", "synth", "0.3", "sine", "440", "sine", "660"}, Int16, 2, 44100},
		{"sox-s24", []string{"sox", "-n", "-b", "24", "-c", "1", "-r", "48000", "OUT", "synth", "0.3", "sine", "440"}, Int24, 1, 48000},
		{"sox-s32", []string{"sox", "-n", "-b", "32", "-e", "signed-integer", "-c", "2", "-r", "48000", "OUT", "synth", "0.3", "sine", "440"}, Int32, 2, 48000},
		{"sox-f32", []string{"sox", "-n", "-b", "32", "-e", "floating-point", "-c", "1", "-r", "48000", "OUT", "synth", "0.3", "sine", "440"}, Float32, 1, 48000},
		{"sox-f64", []string{"sox", "-n", "-b", "64", "-e", "floating-point", "-c", "2", "-r", "22050", "OUT", "synth", "0.3", "sine", "440"}, Float64, 2, 22050},
		{"sox-s16-4ch-extensible", []string{"sox", "-n", "-b", "16", "-c", "4", "-r", "48000", "OUT", "synth", "0.3", "sine", "440"}, Int16, 4, 48000},
		{"ffmpeg-s16-list", []string{"ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=0.3:r=48000", "-c:a", "pcm_s16le", "-y", "OUT"}, Int16, 1, 48000},
		{"ffmpeg-s24-stereo-ext", []string{"ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=0.3:r=44100", "-ac", "2", "-c:a", "pcm_s24le", "-y", "OUT"}, Int24, 2, 44100},
		{"ffmpeg-f32-bwf", []string{"ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=0.3:r=48000", "-c:a", "pcm_f32le", "-write_bext", "1", "-metadata", "description=from ffmpeg", "-y", "OUT"}, Float32, 1, 48000},
		{"ffmpeg-rf64", []string{"ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=0.3:r=48000", "-c:a", "pcm_s16le", "-rf64", "always", "-y", "OUT"}, Int16, 1, 48000},
		{"espeak-ng", []string{"espeak-ng", "-w", "OUT", "podmark reads this"}, Int16, 1, 22050},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".wav")
			args := make([]string, len(c.make)-1)
			for i, a := range c.make[1:] {
				if a == "OUT" {
					a = p
				}
				args[i] = a
			}
			mustRun(t, c.make[0], args...)
			info, got, err := ReadWAVFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != c.format || info.Channels != c.ch || int(info.Rate) != c.rate {
				t.Fatalf("info %+v", info)
			}
			if info.Frames == 0 {
				t.Fatal("no frames")
			}
			compareFloats(t, got, soxFloats(t, p), 1e-6)
			if c.name == "ffmpeg-f32-bwf" && (info.BEXT == nil || info.BEXT.Description != "from ffmpeg") {
				t.Fatalf("bext %+v", info.BEXT)
			}
			if c.name == "ffmpeg-rf64" && !info.RF64 {
				t.Fatal("RF64 not reported")
			}
		})
	}
}

// chunk builds a RIFF chunk with its pad byte.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riff(chunks ...[]byte) []byte {
	body := []byte("WAVE")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return chunk("RIFF", body)
}

func TestReadOddChunksAndTrailers(t *testing.T) {
	le := binary.LittleEndian
	fmtPCM := func(ch, bits int) []byte {
		b := le.AppendUint16(nil, 1)
		b = le.AppendUint16(b, uint16(ch))
		b = le.AppendUint32(b, 8000)
		b = le.AppendUint32(b, uint32(8000*ch*bits/8))
		b = le.AppendUint16(b, uint16(ch*bits/8))
		return le.AppendUint16(b, uint16(bits))
	}
	samples := []byte{1, 0, 2, 0, 3, 0, 0xFF, 0xFF, 0, 0x80} // 1 2 3 -1 -32768
	want := []int32{1, 2, 3, -1, -32768}
	odd := []byte{'a', 'b', 'c'}
	// 24-bit mono with 3 frames: odd data size, pad byte, then a trailing chunk.
	s24 := []byte{1, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0x80}
	cases := []struct {
		name string
		file []byte
		want []int32
	}{
		{"odd LIST before data", riff(chunk("LIST", odd), chunk("fmt ", fmtPCM(1, 16)), chunk("data", samples)), want},
		{"odd chunk without pad byte", append(append([]byte("RIFF\x00\x00\x00\x00WAVE"), chunk("fmt ", fmtPCM(1, 16))...),
			append([]byte("junk\x03\x00\x00\x00abc"), chunk("data", samples)...)...), want},
		{"trailing LIST after data", riff(chunk("fmt ", fmtPCM(1, 16)), chunk("data", samples), chunk("LIST", odd), chunk("id3 ", []byte{1, 2, 3, 4})), want},
		{"odd data then trailer", riff(chunk("fmt ", fmtPCM(1, 24)), chunk("data", s24), chunk("LIST", odd)), []int32{1, -1, -8388608}},
		{"data size 0xFFFFFFFF streaming", append(append([]byte("RIFF\xff\xff\xff\xffWAVE"), chunk("fmt ", fmtPCM(1, 16))...), append([]byte("data\xff\xff\xff\xff"), samples...)...), want},
		{"data size 0 with torn frame", append(append([]byte("RIFF\x00\x00\x00\x00WAVE"), chunk("fmt ", fmtPCM(1, 16))...), append([]byte("data\x00\x00\x00\x00"), append(samples, 7)...)...), want},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]int32, 16)
			n, err := r.ReadInt32(buf)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(c.want) {
				t.Fatalf("read %d samples %v, want %v", n, buf[:n], c.want)
			}
			for i := range c.want {
				if buf[i] != c.want[i] {
					t.Fatalf("sample %d = %d, want %d", i, buf[i], c.want[i])
				}
			}
			if _, err := r.ReadInt32(buf); err == nil {
				t.Fatal("no io.EOF at the end")
			}
		})
	}
}

func TestReadRejects(t *testing.T) {
	cases := map[string][]byte{
		"empty":        nil,
		"not riff":     []byte("OggS\x00\x00\x00\x00WAVEfmt "),
		"no fmt":       riff(chunk("data", []byte{1, 2})),
		"fmt too big":  append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\x00\x00"), make([]byte, 20)...),
		"bad bits":     riff(chunk("fmt ", []byte{1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 2, 0, 12, 0}), chunk("data", nil)),
		"zero rate":    riff(chunk("fmt ", []byte{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 16, 0}), chunk("data", nil)),
		"bad align":    riff(chunk("fmt ", []byte{1, 0, 2, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 2, 0, 16, 0}), chunk("data", nil)),
		"header only":  []byte("RIFF\x00\x00\x00\x00WAVE"),
		"zero channel": riff(chunk("fmt ", []byte{1, 0, 0, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0}), chunk("data", nil)),
	}
	for name, b := range cases {
		if _, err := NewReader(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
