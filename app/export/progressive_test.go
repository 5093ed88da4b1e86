package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/internal/testenv"
)

// makeHandoff writes the progressive hand-off of the session's track rel
// as the uploader does (app/room handoff.go): segments of
// room.SegmentFrames frames, each a standalone stream from CreateFLAC, and
// the manifest with the local track's PCM SHA-256.
func makeHandoff(t testing.TB, sess, rel string) {
	t.Helper()
	src := filepath.Join(sess, filepath.FromSlash(rel))
	r, err := audio.OpenWAV(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	base := strings.TrimSuffix(filepath.Base(rel), ".wav")
	m := room.Manifest{V: 1, Track: rel, Codec: room.CodecFLAC, Rate: int(info.Rate), Bits: info.Format.String(),
		Channels: info.Channels, Frames: info.Frames}
	buf := make([]int32, room.SegmentFrames*info.Channels)
	for n := 0; int64(n)*room.SegmentFrames < info.Frames; n++ {
		k := min(room.SegmentFrames, info.Frames-int64(n)*room.SegmentFrames)
		got, err := readFull(r.ReadInt32, buf[:k*int64(info.Channels)])
		if err != nil || got != int(k)*info.Channels {
			t.Fatalf("read %s: %d samples, %v", src, got, err)
		}
		p := filepath.Join(sess, HandoffDir, filepath.FromSlash(room.SegmentObject(base, n)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		w, err := codec.CreateFLAC(p, codec.FLACOptions{Rate: info.Rate, Channels: info.Channels, Bits: int(info.Format), TotalFrames: k})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteInt32(buf[:got]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		m.Segments = append(m.Segments, room.Segment{N: n, Start: int64(n) * room.SegmentFrames, Frames: k})
	}
	m.PCMSHA256 = pcmSHA256(t, src, info)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sess, HandoffDir, filepath.FromSlash(room.ManifestObject(base))), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pcmSHA256(t testing.TB, path string, info audio.Info) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := info.Frames * int64(info.Format.BytesPerSample()*info.Channels)
	s := sha256.Sum256(b[info.DataOffset : info.DataOffset+n])
	return hex.EncodeToString(s[:])
}

func TestExportReusesProgressiveFLAC(t *testing.T) {
	testenv.Tool(t, "flac")
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 20) // 3 whole segments and a short one
	plain, err := Run(context.Background(), Options{Session: sess, Out: filepath.Join(tmp, "plain"), LoudnessOff: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	makeHandoff(t, sess, "tracks/alice-1.wav")
	makeHandoff(t, sess, "tracks/bob-1.wav")

	type flacs map[string]int // FLAC path → segments reused
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T) // to the session after the segments were made
		want   flacs
		warn   string // in the warnings, "" for none
	}{
		{"matching", func(*testing.T) {}, flacs{"audio/alice-1.flac": 4, "audio/bob-1.flac": 4}, ""},
		{"bob's track changed after the segments", func(t *testing.T) {
			flipData(t, filepath.Join(sess, "tracks", "bob-1.wav"), 500_000)
		}, flacs{"audio/alice-1.flac": 4, "audio/bob-1.flac": 0}, "tracks/bob-1.wav: changed after its progressive FLAC segments were made"},
		{"a damaged segment", func(t *testing.T) {
			flipFile(t, filepath.Join(sess, HandoffDir, "tracks", "alice-1", "000001.seg"), 20_000)
		}, flacs{"audio/alice-1.flac": 0, "audio/bob-1.flac": 0}, "tracks/alice-1.wav: progressive FLAC segments not reused (codec: flac join"},
		{"a missing segment", func(t *testing.T) {
			if err := os.Remove(filepath.Join(sess, HandoffDir, "tracks", "alice-1", "000002.seg")); err != nil {
				t.Fatal(err)
			}
		}, flacs{"audio/alice-1.flac": 0, "audio/bob-1.flac": 0}, "tracks/alice-1.wav: progressive FLAC segments not reused: segment 2 of 4 is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.damage(t)
			out := filepath.Join(t.TempDir(), "bundle")
			res, err := Run(context.Background(), Options{Session: sess, Out: out, LoudnessOff: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := flacs{}
			for _, f := range res.Manifest.Files {
				if f.Format == "flac" {
					got[f.Path] = f.ReusedSegments
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("reused segments %v, want %v", got, tc.want)
			}
			joined := strings.Join(res.Warnings, "\n")
			if tc.warn == "" && strings.Contains(joined, "progressive") || !strings.Contains(joined, tc.warn) {
				t.Errorf("warnings %q, want one with %q", res.Warnings, tc.warn)
			}
			for _, l := range FLACSources(res.Manifest.Files) {
				t.Log(l)
			}
			rep, err := Verify(out)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %v", err, rep.Problems)
			}
			runTool(t, "flac", "-t", "-s", filepath.Join(out, "audio", "alice-1.flac"), filepath.Join(out, "audio", "bob-1.flac"))
			// A join of the segments is the file the export's own encoder
			// makes: the same bytes, tags and metadata.
			if tc.name == "matching" {
				for p := range tc.want {
					a, _ := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
					b, _ := os.ReadFile(filepath.Join(plain.Dir, filepath.FromSlash(p)))
					if len(a) == 0 || !bytes.Equal(a, b) {
						t.Errorf("%s: the joined FLAC (%d bytes) differs from the encoded one (%d bytes)", p, len(a), len(b))
					}
				}
			}
		})
	}
}

// flipData flips one byte of a WAV's audio data at offset off into it.
func flipData(t *testing.T, path string, off int64) {
	t.Helper()
	r, err := audio.OpenWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	start := r.Info().DataOffset
	r.Close()
	flipFile(t, path, start+off)
}

func flipFile(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// Segments that are valid FLAC but hold other audio than their manifest
// says (here two swapped) join, fail the sample-for-sample check and are
// replaced by a fresh encode.
func TestExportReencodesSwappedSegments(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 12)
	makeHandoff(t, sess, "tracks/alice-1.wav")
	dir := filepath.Join(sess, HandoffDir, "tracks", "alice-1")
	a, b := filepath.Join(dir, "000000.seg"), filepath.Join(dir, "000001.seg")
	for _, mv := range [][2]string{{a, a + ".x"}, {b, a}, {a + ".x", b}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(tmp, "bundle")
	res, err := Run(context.Background(), Options{Session: sess, Out: out, LoudnessOff: true, Audio: []string{FLAC}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "tracks/alice-1.wav: the progressive FLAC segments do not decode to the track") {
		t.Errorf("warnings %q", res.Warnings)
	}
	for _, f := range res.Manifest.Files {
		if f.Format == "flac" && f.ReusedSegments != 0 {
			t.Errorf("%s: %d segments reused", f.Path, f.ReusedSegments)
		}
	}
	if rep, err := Verify(out); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}
