package audio

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var updateCorpus = flag.Bool("update", false, "rewrite the seed corpus in testdata/fuzz")

// seedFiles returns small WAV files covering the layouts the reader knows:
// our writer's (plain, bext, extensible, float, RF64), crash states, and
// hand-made chunk orders.
func seedFiles(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, f := range formats {
		for _, ch := range []int{1, 3} {
			for _, rf := range []int64{0, 64} {
				m := &memFile{}
				opt := WriterOptions{Rate: 48000, Channels: ch, Format: f, RF64Threshold: rf}
				if ch == 1 {
					opt.BEXT = &BEXT{Description: "seed", Originator: "podmark", Origination: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), TimeReference: 42}
				}
				w, err := NewWriter(m, opt)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.WriteFloat32(toFloat(f, intRamp(f, 9, ch))); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("writer-%v-%dch-rf%d", f, ch, rf)
				seeds[name] = m.b
				seeds[name+"-torn"] = m.b[:len(m.b)-2]
			}
		}
	}
	seeds["trailing-list"] = riff(chunk("fmt ", []byte{1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0}), chunk("data", []byte{1, 0, 2, 0, 3}), chunk("LIST", []byte("INFOabc")))
	seeds["streaming"] = append(append([]byte("RIFF\xff\xff\xff\xffWAVE"), chunk("fmt ", []byte{1, 0, 2, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 2, 0, 8, 0})...), []byte("data\xff\xff\xff\xff\x80\x81\x82")...)
	return seeds
}

// TestFuzzCorpus keeps testdata/fuzz in step with seedFiles (-update rewrites it).
func TestFuzzCorpus(t *testing.T) {
	for _, target := range []string{"FuzzReader", "FuzzRepairWAV"} {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, b := range seedFiles(t) {
			p := filepath.Join(dir, name)
			want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
			if *updateCorpus {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("missing seed (run go test -run TestFuzzCorpus -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s is stale (run go test -run TestFuzzCorpus -update)", p)
			}
		}
	}
}

// FuzzReader: any input either fails with an error or reads consistently —
// never a panic, never more frames than bytes, and the same samples through
// ReadFloat32, ReadInt32 and after SeekFrame.
func FuzzReader(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		info := r.Info()
		ba := int64(info.Channels * info.Format.BytesPerSample())
		if info.Channels < 1 || ba < 1 || info.DataOffset+info.Frames*ba > int64(len(data)) {
			t.Fatalf("info %+v inconsistent with %d bytes", info, len(data))
		}
		all, err := readAllFloat(r)
		if err != nil || int64(len(all)) != info.Frames*int64(info.Channels) {
			t.Fatalf("read %d samples, %v; info %+v", len(all), err, info)
		}
		if info.Frames > 0 {
			mid := info.Frames / 2
			if err := r.SeekFrame(mid); err != nil {
				t.Fatal(err)
			}
			buf := make([]float32, info.Channels)
			if n, err := r.ReadFloat32(buf); err != nil || n != info.Channels {
				t.Fatalf("after seek: %d %v", n, err)
			}
			for c := range buf {
				a, b := buf[c], all[mid*int64(info.Channels)+int64(c)]
				if a != b && !(a != a && b != b) {
					t.Fatalf("seek read %v, want %v", a, b)
				}
			}
		}
		if err := r.SeekFrame(info.Frames + 1); err == nil {
			t.Fatal("seek past the end accepted")
		}
		if err := r.SeekFrame(0); err != nil {
			t.Fatal(err)
		}
		ints := make([]int32, 64*info.Channels)
		_, err = r.ReadInt32(ints)
		isFloat := info.Format == Float32 || info.Format == Float64
		if isFloat != errors.Is(err, ErrBadFormat) && !(info.Frames == 0 && err == io.EOF) {
			t.Fatalf("ReadInt32 on %v: %v", info.Format, err)
		}
	})
}

// FuzzRepairWAV: repairing any input never loses whole frames the reader
// saw, leaves a file that reads the same samples, and is idempotent.
func FuzzRepairWAV(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	// RepairWAV fsyncs; on a shared disk that makes each run slow, so use
	// tmpfs when there is one.
	dir := f.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "podmark-fuzz-")
		if err == nil {
			dir = d
			f.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.wav")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		before, samples, rerr := ReadWAVFile(p)
		rep, err := RepairWAV(p)
		if err != nil {
			if rerr == nil && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("reader accepted the file but repair failed: %v", err)
			}
			return
		}
		if rerr != nil {
			t.Fatalf("repair succeeded on a file the reader rejects (%v)", rerr)
		}
		after, got, err := ReadWAVFile(p)
		if err != nil {
			t.Fatalf("repaired file does not read: %v", err)
		}
		if after.Frames != before.Frames || rep.Frames != before.Frames || len(got) != len(samples) {
			t.Fatalf("frames %d → %d (report %+v)", before.Frames, after.Frames, rep)
		}
		for i := range got {
			if got[i] != samples[i] && !(got[i] != got[i] && samples[i] != samples[i]) {
				t.Fatalf("sample %d changed: %v → %v", i, samples[i], got[i])
			}
		}
		rep2, err := RepairWAV(p)
		if err != nil || rep2.Changed {
			t.Fatalf("second repair: %+v %v", rep2, err)
		}
	})
}
