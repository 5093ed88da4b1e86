package audio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/internal/testenv"
)

// memFile is an in-memory io.WriteSeeker (+ReaderAt, Truncate). onWrite, if
// set, sees a copy of the contents after every Write: the "copy of the file
// taken at any instant".
type memFile struct {
	b       []byte
	off     int64
	onWrite func([]byte)
	failAt  int64 // writes past this many file bytes fail with ENOSPC; 0 = never
	syncs   int
}

func (m *memFile) Write(p []byte) (int, error) {
	n := len(p)
	var err error
	if m.failAt > 0 && m.off+int64(n) > m.failAt {
		n = int(max(m.failAt-m.off, 0))
		err = &os.PathError{Op: "write", Path: "mem", Err: syscall.ENOSPC}
	}
	if end := m.off + int64(n); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	copy(m.b[m.off:], p[:n])
	m.off += int64(n)
	if m.onWrite != nil {
		m.onWrite(bytes.Clone(m.b))
	}
	return n, err
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += m.off
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("negative seek")
	}
	m.off = off
	return off, nil
}

func (m *memFile) Sync() error { m.syncs++; return nil }

func (m *memFile) Truncate(n int64) error {
	if n < int64(len(m.b)) {
		m.b = m.b[:n]
	}
	return nil
}

// intRamp returns interleaved integer samples at the format's depth that
// walk through the whole range, distinct per channel.
func intRamp(f SampleFormat, frames, ch int) []int32 {
	bits := f.BytesPerSample() * 8
	if f == Float32 {
		bits = 24
	}
	span := int64(1) << bits
	out := make([]int32, frames*ch)
	for i := range frames {
		for c := range ch {
			v := (int64(i)*7919 + int64(c)*104729) % span
			out[i*ch+c] = int32(v - span/2)
		}
	}
	return out
}

func toFloat(f SampleFormat, s []int32) []float32 {
	scale := float32(int64(1) << (f.BytesPerSample()*8 - 1))
	if f == Float32 {
		scale = 1 << 23
	}
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v) / scale
	}
	return out
}

var formats = []SampleFormat{Int16, Int24, Float32}

func TestWAVRoundTrip(t *testing.T) {
	for _, f := range formats {
		for _, ch := range []int{1, 2, 3, 6} {
			for _, withBEXT := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%dch/bext=%v", f, ch, withBEXT), func(t *testing.T) {
					frames := 1001
					want := toFloat(f, intRamp(f, frames, ch))
					opt := WriterOptions{Rate: 48000, Channels: ch, Format: f}
					if withBEXT {
						opt.BEXT = &BEXT{Description: "round trip", Originator: "podmark", OriginatorReference: "ref-1",
							Origination: time.Date(2026, 11, 25, 9, 30, 15, 0, time.Local), TimeReference: 123456789012}
					}
					path := filepath.Join(t.TempDir(), "a.wav")
					if err := WriteWAVFile(path, opt, want); err != nil {
						t.Fatal(err)
					}
					info, got, err := ReadWAVFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if info.Rate != 48000 || info.Channels != ch || info.Format != f || info.Frames != int64(frames) || info.RF64 {
						t.Fatalf("info = %+v", info)
					}
					if !slicesEqual(got, want) {
						t.Fatalf("samples differ")
					}
					if withBEXT {
						if info.BEXT == nil || *info.BEXT != *opt.BEXT {
							t.Fatalf("bext = %+v, want %+v", info.BEXT, opt.BEXT)
						}
					} else if info.BEXT != nil {
						t.Fatalf("unexpected bext %+v", info.BEXT)
					}
					if f != Float32 {
						r, err := OpenWAV(path)
						if err != nil {
							t.Fatal(err)
						}
						defer r.Close()
						if err := r.SeekFrame(500); err != nil {
							t.Fatal(err)
						}
						buf := make([]int32, 7*ch+ch-1) // room for a partial frame that must not be filled
						n, err := r.ReadInt32(buf)
						if err != nil || n != 7*ch {
							t.Fatalf("ReadInt32 = %d, %v", n, err)
						}
						ints := intRamp(f, frames, ch)
						for i := range n {
							if buf[i] != ints[500*ch+i] {
								t.Fatalf("int sample %d = %d, want %d", i, buf[i], ints[500*ch+i])
							}
						}
					}
					checkOutside(t, path, 48000, ch, f, int64(frames), false)
				})
			}
		}
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWriteInt32MatchesFloat(t *testing.T) {
	for _, f := range []SampleFormat{Int16, Int24} {
		ints := intRamp(f, 300, 2)
		var a, b memFile
		wa, _ := NewWriter(&a, WriterOptions{Rate: 44100, Channels: 2, Format: f})
		wb, _ := NewWriter(&b, WriterOptions{Rate: 44100, Channels: 2, Format: f})
		if err := wa.WriteInt32(ints); err != nil {
			t.Fatal(err)
		}
		if err := wb.WriteFloat32(toFloat(f, ints)); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(wa.Close(), wb.Close()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.b, b.b) {
			t.Fatalf("%v: WriteInt32 and WriteFloat32 bytes differ", f)
		}
	}
	var m memFile
	w, _ := NewWriter(&m, WriterOptions{Rate: 48000, Channels: 1, Format: Float32})
	if err := w.WriteInt32([]int32{1}); !errors.Is(err, ErrBadFormat) {
		t.Fatalf("WriteInt32 on float: %v", err)
	}
}

func TestWriterClipsAndRejects(t *testing.T) {
	var m memFile
	w, err := NewWriter(&m, WriterOptions{Rate: 48000, Channels: 1, Format: Int16})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32([]float32{2, -2, float32(math.NaN()), 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, _ := NewReader(bytes.NewReader(m.b))
	buf := make([]int32, 4)
	n, _ := r.ReadInt32(buf)
	if n != 4 || buf[0] != 32767 || buf[1] != -32768 || buf[2] != 0 || buf[3] != 32767 {
		t.Fatalf("clipped = %v", buf[:n])
	}
	w2, _ := NewWriter(&memFile{}, WriterOptions{Rate: 48000, Channels: 2, Format: Int16})
	if err := w2.WriteFloat32([]float32{1, 2, 3}); err == nil {
		t.Fatal("odd sample count accepted")
	}
	for _, opt := range []WriterOptions{
		{Rate: 48000, Channels: 1, Format: SampleFormat(20)},
		{Rate: 0, Channels: 1, Format: Int16},
		{Rate: 48000, Channels: 0, Format: Int16},
	} {
		if _, err := NewWriter(&memFile{}, opt); err == nil {
			t.Fatalf("NewWriter(%+v) accepted", opt)
		}
	}
	if _, err := NewWriter(&memFile{}, WriterOptions{Rate: -1, Channels: 1, Format: Int16}); !errors.Is(err, ErrBadRate) {
		t.Fatalf("bad rate: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// TestCrashCopiesParse takes a copy of the file after every single write the
// Writer makes (samples and each header patch, including the RF64 switch) and
// checks each copy parses to a prefix of the right samples.
func TestCrashCopiesParse(t *testing.T) {
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			ch := 2
			frames := 3000
			ints := intRamp(f, frames, ch)
			want := toFloat(f, ints)
			var copies [][]byte
			m := &memFile{onWrite: func(b []byte) { copies = append(copies, b) }}
			w, err := NewWriter(m, WriterOptions{Rate: 48000, Channels: ch, Format: f, RF64Threshold: 9000,
				BEXT: &BEXT{Description: "crash"}})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < frames; i += 250 {
				if err := w.WriteFloat32(want[i*ch : (i+250)*ch]); err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !w.RF64() {
				t.Fatal("never switched to RF64")
			}
			if len(copies) < 20 {
				t.Fatalf("only %d copies", len(copies))
			}
			for i, c := range copies {
				r, err := NewReader(bytes.NewReader(c))
				if err != nil {
					t.Fatalf("copy %d (%d bytes): %v", i, len(c), err)
				}
				info := r.Info()
				wantFrames := (int64(len(c)) - info.DataOffset) / int64(ch*f.BytesPerSample())
				if info.Frames != wantFrames {
					t.Fatalf("copy %d: %d frames, want %d", i, info.Frames, wantFrames)
				}
				got, err := readAllFloat(r)
				if err != nil || len(got) != int(info.Frames)*ch {
					t.Fatalf("copy %d: read %d: %v", i, len(got), err)
				}
				if !slicesEqual(got, want[:len(got)]) {
					t.Fatalf("copy %d: samples differ", i)
				}
			}
			info, err := NewReader(bytes.NewReader(m.b))
			if err != nil || !info.Info().RF64 || info.Info().Frames != int64(frames) {
				t.Fatalf("final: %+v %v", info.Info(), err)
			}
			if m.syncs == 0 {
				t.Fatal("Flush never called Sync")
			}
		})
	}
}

// readAllFloat reads the rest of r in odd-sized pieces.
func readAllFloat(r *Reader) ([]float32, error) {
	var out []float32
	buf := make([]float32, 777*r.Info().Channels)
	for {
		n, err := r.ReadFloat32(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestRF64Threshold(t *testing.T) {
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "big.wav")
			frames := 20000
			want := toFloat(f, intRamp(f, frames, 1))
			w, err := CreateWAV(path, WriterOptions{Rate: 48000, Channels: 1, Format: f, RF64Threshold: 10000,
				BEXT: &BEXT{Description: "rf64"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFloat32(want[:1000]); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if w.RF64() {
				t.Fatal("RF64 below the threshold")
			}
			if err := w.WriteFloat32(want[1000:]); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(path)
			le := binary.LittleEndian
			if string(raw[0:4]) != "RF64" || le.Uint32(raw[4:]) != maxU32 || string(raw[12:16]) != "ds64" {
				t.Fatalf("header %q", raw[:16])
			}
			dataBytes := int64(frames * f.BytesPerSample())
			if le.Uint64(raw[20:]) != uint64(len(raw)-8) || le.Uint64(raw[28:]) != uint64(dataBytes) || le.Uint64(raw[36:]) != uint64(frames) {
				t.Fatalf("ds64 = %d %d %d", le.Uint64(raw[20:]), le.Uint64(raw[28:]), le.Uint64(raw[36:]))
			}
			info, got, err := ReadWAVFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !info.RF64 || info.Frames != int64(frames) || !slicesEqual(got, want) {
				t.Fatalf("read back %+v", info)
			}
			checkOutside(t, path, 48000, 1, f, int64(frames), true)
		})
	}
}

func TestRepairEveryTruncation(t *testing.T) {
	for _, f := range formats {
		for _, ch := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%v/%dch", f, ch), func(t *testing.T) {
				frames := 40
				want := toFloat(f, intRamp(f, frames, ch))
				dir := t.TempDir()
				full := filepath.Join(dir, "full.wav")
				if err := WriteWAVFile(full, WriterOptions{Rate: 44100, Channels: ch, Format: f, BEXT: &BEXT{Description: "trunc"}}, want); err != nil {
					t.Fatal(err)
				}
				raw, _ := os.ReadFile(full)
				r, _ := NewReader(bytes.NewReader(raw))
				dataOff := r.Info().DataOffset
				ba := int64(ch * f.BytesPerSample())
				// Two kinds of crash: sizes already patched for the full file
				// (then truncated), and a header never patched (data size 0).
				unpatched := bytes.Clone(raw)
				binary.LittleEndian.PutUint32(unpatched[dataOff-4:], 0)
				binary.LittleEndian.PutUint32(unpatched[4:], uint32(dataOff-8))
				for _, src := range [][]byte{raw, unpatched} {
					for n := dataOff; n <= int64(len(raw)); n++ {
						p := filepath.Join(dir, "t.wav")
						if err := os.WriteFile(p, src[:n], 0o644); err != nil {
							t.Fatal(err)
						}
						wantFrames := (n - dataOff) / ba
						// A plain reader copes before repair.
						if info, got, err := ReadWAVFile(p); err != nil || info.Frames != wantFrames || !slicesEqual(got, want[:wantFrames*int64(ch)]) {
							t.Fatalf("len %d before repair: frames %d want %d, err %v", n, info.Frames, wantFrames, err)
						}
						rep, err := RepairWAV(p)
						if err != nil {
							t.Fatalf("len %d: %v", n, err)
						}
						if rep.Frames != wantFrames || rep.DataBytes != wantFrames*ba {
							t.Fatalf("len %d: report %+v, want %d frames", n, rep, wantFrames)
						}
						fixed, _ := os.ReadFile(p)
						if int64(len(fixed)) != dataOff+wantFrames*ba+(wantFrames*ba)%2 {
							t.Fatalf("len %d: repaired file has %d bytes", n, len(fixed))
						}
						le := binary.LittleEndian
						if le.Uint32(fixed[4:]) != uint32(len(fixed)-8) || le.Uint32(fixed[dataOff-4:]) != uint32(wantFrames*ba) {
							t.Fatalf("len %d: sizes riff %d data %d", n, le.Uint32(fixed[4:]), le.Uint32(fixed[dataOff-4:]))
						}
						info, got, err := ReadWAVFile(p)
						if err != nil || info.Frames != wantFrames || !slicesEqual(got, want[:wantFrames*int64(ch)]) {
							t.Fatalf("len %d after repair: %+v %v", n, info, err)
						}
						rep2, err := RepairWAV(p)
						if err != nil || rep2.Changed || rep2.Frames != wantFrames {
							t.Fatalf("len %d: second repair %+v %v", n, rep2, err)
						}
						again, _ := os.ReadFile(p)
						if !bytes.Equal(again, fixed) {
							t.Fatalf("len %d: second repair changed the file", n)
						}
						if n == int64(len(raw))-ba-1 && n > dataOff && f == Int24 {
							checkOutside(t, p, 44100, ch, f, wantFrames, false)
						}
					}
				}
				// The intact file is already consistent.
				rep, err := RepairWAV(full)
				if err != nil || rep.Changed || rep.Frames != int64(frames) {
					t.Fatalf("intact: %+v %v", rep, err)
				}
			})
		}
	}
}

func TestRepairRF64Crash(t *testing.T) {
	// A file that went RF64, then more data was written after the last patch.
	dir := t.TempDir()
	p := filepath.Join(dir, "rf.wav")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	want := toFloat(Int24, intRamp(Int24, 5000, 2))
	w, err := NewWriter(f, WriterOptions{Rate: 48000, Channels: 2, Format: Int24, RF64Threshold: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32(want[:2000*2]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32(want[2000*2:]); err != nil {
		t.Fatal(err)
	}
	if err := w.drain(); err != nil { // samples on disk, header not patched: the crash
		t.Fatal(err)
	}
	if err := f.Truncate(w.dataOff + 4321*6 + 4); err != nil { // torn frame
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := RepairWAV(p)
	if err != nil || !rep.RF64 || rep.Frames != 4321 || rep.TornBytes != 4 || !rep.Changed {
		t.Fatalf("repair %+v %v", rep, err)
	}
	info, got, err := ReadWAVFile(p)
	if err != nil || info.Frames != 4321 || !info.RF64 || !slicesEqual(got, want[:4321*2]) {
		t.Fatalf("read %+v %v", info, err)
	}
	if rep2, err := RepairWAV(p); err != nil || rep2.Changed {
		t.Fatalf("second repair %+v %v", rep2, err)
	}
	checkOutside(t, p, 48000, 2, Int24, 4321, true)
}

func TestRepairErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := RepairWAV(filepath.Join(dir, "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	p := filepath.Join(dir, "x.wav")
	os.WriteFile(p, []byte("RIFF\x00\x00\x00\x00WAVEJUNK"), 0o644)
	if _, err := RepairWAV(p); !errors.Is(err, ErrNotWAV) || !strings.Contains(err.Error(), "x.wav") {
		t.Fatalf("header only: %v", err)
	}
}

func TestWriteErrorFinalizesWholeFrames(t *testing.T) {
	want := toFloat(Int24, intRamp(Int24, 100000, 2))
	m := &memFile{}
	w, err := NewWriter(m, WriterOptions{Rate: 48000, Channels: 2, Format: Int24})
	if err != nil {
		t.Fatal(err)
	}
	m.failAt = w.dataOff + 100001 // mid-frame
	err = w.WriteFloat32(want)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write: %v", err)
	}
	if err := w.WriteFloat32(want[:2]); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("sticky: %v", err)
	}
	cerr := w.Close()
	if !errors.Is(cerr, syscall.ENOSPC) {
		t.Fatalf("close: %v", cerr)
	}
	r, err := NewReader(bytes.NewReader(m.b))
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().Frames != 100001/6 {
		t.Fatalf("frames %d, want %d", r.Info().Frames, 100001/6)
	}
	if int64(len(m.b)) != w.dataOff+100001/6*6 {
		t.Fatalf("torn frame not truncated: %d bytes", len(m.b))
	}
	if binary.LittleEndian.Uint32(m.b[w.dataSizeOff:]) != 100001/6*6 {
		t.Fatal("data size not finalized")
	}
}

// checkOutside verifies a file with sox, ffprobe and mediainfo. A missing
// tool fails the test.
func checkOutside(t *testing.T, path string, rate, ch int, f SampleFormat, frames int64, rf64 bool) {
	t.Helper()
	run := func(name string, args ...string) string {
		t.Helper()
		testenv.Tool(t, name)
		var stderr bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stderr = &stderr // sox warns about extensible float headers; only stdout counts
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, stderr.Bytes())
		}
		return strings.TrimSpace(string(out))
	}
	bits := strconv.Itoa(f.BytesPerSample() * 8)
	if got := run("sox", "--i", "-r", path); got != strconv.Itoa(rate) {
		t.Errorf("sox rate %q", got)
	}
	if got := run("sox", "--i", "-c", path); got != strconv.Itoa(ch) {
		t.Errorf("sox channels %q", got)
	}
	if got := run("sox", "--i", "-b", path); got != bits {
		t.Errorf("sox bits %q", got)
	}
	if got := run("sox", "--i", "-s", path); got != strconv.FormatInt(frames, 10) {
		t.Errorf("sox samples %q, want %d", got, frames)
	}
	codec := map[SampleFormat]string{Int16: "pcm_s16le", Int24: "pcm_s24le", Float32: "pcm_f32le"}[f]
	out := run("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration_ts:format=format_name",
		"-of", "default=nw=1", path)
	wantLines := []string{"codec_name=" + codec, "sample_rate=" + strconv.Itoa(rate), "channels=" + strconv.Itoa(ch),
		"duration_ts=" + strconv.FormatInt(frames, 10)}
	wantLines = append(wantLines, "format_name=wav") // ffmpeg's wav demuxer reads RF64 too
	for _, l := range wantLines {
		if !strings.Contains(out+"\n", l+"\n") {
			t.Errorf("ffprobe: missing %q in\n%s", l, out)
		}
	}
	js := run("mediainfo", "--Output=JSON", path)
	var mi struct {
		Media struct {
			Track []map[string]any `json:"track"`
		} `json:"media"`
	}
	if err := json.Unmarshal([]byte(js), &mi); err != nil {
		t.Fatalf("mediainfo json: %v", err)
	}
	var audioTrack map[string]any
	for _, tr := range mi.Media.Track {
		if tr["@type"] == "Audio" {
			audioTrack = tr
		}
	}
	if audioTrack == nil {
		t.Fatalf("mediainfo found no audio track:\n%s", js)
	}
	if audioTrack["Channels"] != strconv.Itoa(ch) || audioTrack["SamplingRate"] != strconv.Itoa(rate) || audioTrack["BitDepth"] != bits {
		t.Errorf("mediainfo: channels %v rate %v bits %v", audioTrack["Channels"], audioTrack["SamplingRate"], audioTrack["BitDepth"])
	}
	if frames > 0 && audioTrack["SamplingCount"] != nil && audioTrack["SamplingCount"] != strconv.FormatInt(frames, 10) {
		t.Errorf("mediainfo: SamplingCount %v, want %d", audioTrack["SamplingCount"], frames)
	}
}
