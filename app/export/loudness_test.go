package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/podmark/podmark/internal/testenv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ffmpegLoudness measures a file with ffmpeg's ebur128 filter (its own
// BS.1770 implementation, true peak by 4× resampling) and returns its
// summary: integrated LUFS, LRA and true peak.
func ffmpegLoudness(t *testing.T, path string) (i, lra, tp float64) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg ebur128 %s: %v\n%s", path, err, out)
	}
	s := string(out)
	if k := regexp.MustCompile(`(?s)Summary:.*`).FindString(s); k != "" {
		s = k
	}
	num := func(re string) float64 {
		m := regexp.MustCompile(re).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("ffmpeg summary of %s lacks %s:\n%s", path, re, s)
		}
		if m[1] == "-inf" {
			return math.Inf(-1)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return num(`I:\s+(-?[\d.]+|-inf) LUFS`), num(`LRA:\s+(-?[\d.]+) LU`), num(`(?s)True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS`)
}

// TestLoudnessAgainstFFmpeg: every audio file of a bundle has a loudness
// object that agrees with ffmpeg's ebur128 within 0.1 LU and 0.2 dB of
// true peak; the review mix is at the target ± 0.5 LU and under -1 dBTP.
func TestLoudnessAgainstFFmpeg(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 40)
	out := filepath.Join(tmp, "bundle")
	if _, err := Run(context.Background(), Options{Session: sess, Out: out}, nil); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, out)
	n := 0
	for _, f := range m.Files {
		switch f.Format {
		case "wav", "flac", "mp3":
		default:
			continue
		}
		n++
		l := f.Loudness
		if l == nil {
			t.Errorf("%s: no loudness in the manifest", f.Path)
			continue
		}
		i, lra, tp := ffmpegLoudness(t, filepath.Join(out, filepath.FromSlash(f.Path)))
		t.Logf("%s: podmark I %.2f LRA %.2f TP %.2f; ffmpeg I %.1f LRA %.1f TP %.1f", f.Path, l.Integrated, l.Range, l.TruePeak, i, lra, tp)
		// ffmpeg prints one decimal: allow its rounding on top.
		if math.Abs(float64(l.Integrated)-i) > 0.1+0.05 {
			t.Errorf("%s: integrated %.2f LUFS, ffmpeg %.1f", f.Path, l.Integrated, i)
		}
		if math.Abs(float64(l.TruePeak)-tp) > 0.2+0.05 {
			t.Errorf("%s: true peak %.2f dBTP, ffmpeg %.1f", f.Path, l.TruePeak, tp)
		}
		// LRA is logged, not compared: on 40 s of turn-taking the two
		// implementations' short-term histograms differ by several LU (the
		// Tech 3342 cases in audio/loudness pin ours down).
		_ = lra
		switch f.Role {
		case RoleTrack:
			if f.Channels != 1 || l.Channels != 1 || math.Abs(float64(l.DualMono-l.Integrated)-3.01) > 0.011 {
				t.Errorf("%s: mono track measured as %d ch, dual mono %.2f vs %.2f", f.Path, l.Channels, l.DualMono, l.Integrated)
			}
		case RoleMix:
			if f.Channels != 2 || l.Channels != 2 || l.Target == nil || *l.Target != DefaultLoudness || l.Gain == nil {
				t.Errorf("mix: %d ch, loudness %+v", f.Channels, l)
			}
			if math.Abs(i-DefaultLoudness) > 0.5 || tp > MaxTruePeak {
				t.Errorf("mix measured by ffmpeg at %.1f LUFS, %.1f dBTP; want %.0f ± 0.5 LUFS, ≤ %.0f dBTP", i, tp, DefaultLoudness, MaxTruePeak)
			}
			// Decoded by go-mp3 (a third decoder) and measured here.
			g, err := MeasureFile(context.Background(), filepath.Join(out, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(float64(g.DualMono)-DefaultLoudness) > 0.5 || float64(g.TruePeak) > MaxTruePeak {
				t.Errorf("mix decoded by go-mp3: %.2f LUFS (dual mono of the channels' average), %.2f dBTP", g.DualMono, g.TruePeak)
			}
		}
	}
	if n != 5 {
		t.Errorf("%d audio files measured, want 5", n)
	}
}

// TestMixLoudnessOptions: a target loud enough that the limiter must work
// hard still gives a mix under -1 dBTP (ffmpeg's measurement of the file),
// and --loudness off leaves the plain sum (no gain, no target).
func TestMixLoudnessOptions(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 20)
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"hot", Options{Loudness: -10, Audio: []string{MP3}}},
		{"off", Options{LoudnessOff: true, Audio: []string{MP3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Session, opt.Out = sess, filepath.Join(tmp, tc.name)
			res, err := Run(context.Background(), opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			var mix *File
			for i, f := range res.Manifest.Files {
				if f.Role == RoleMix {
					mix = &res.Manifest.Files[i]
				}
			}
			if mix == nil || mix.Loudness == nil {
				t.Fatalf("no mix loudness in %+v", res.Manifest.Files)
			}
			i, _, tp := ffmpegLoudness(t, filepath.Join(opt.Out, "audio", "review-mix.mp3"))
			if tp > MaxTruePeak {
				t.Errorf("true peak %.1f dBTP over %.0f", tp, MaxTruePeak)
			}
			l := mix.Loudness
			if math.Abs(float64(l.Integrated)-i) > 0.15 {
				t.Errorf("manifest %.2f LUFS, ffmpeg %.1f", l.Integrated, i)
			}
			if tc.opt.LoudnessOff {
				if l.Target != nil || l.Gain != nil {
					t.Errorf("plain sum has a target or gain: %+v", l)
				}
				// The sum of the two tracks, as their own meters saw it: the
				// tracks rarely overlap, so close to their power sum (+3 LU
				// for dual mono).
				return
			}
			if *l.Target != -10 || l.Gain == nil {
				t.Errorf("target %v gain %v", *l.Target, l.Gain)
			}
			// At -10 LUFS these tracks need the limiter; it holds back the
			// peaks, so the mix is at the target or a little under it.
			if i > -10+0.5 || i < -10-1.5 {
				t.Errorf("hot mix at %.1f LUFS, want about -10", i)
			}
		})
	}
}

// TestVerifyChecksLoudness: figures in the manifest that do not match the
// audio (re-signed, so only a fresh measurement can tell) are a problem
// for that file; the untouched bundle verifies with every file measured.
func TestVerifyChecksLoudness(t *testing.T) {
	tmp := t.TempDir()
	sess := makeSession(t, filepath.Join(tmp, "sess"), 12)
	out := filepath.Join(tmp, "bundle")
	if _, err := Run(context.Background(), Options{Session: sess, Out: out}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(out)
	if err != nil || !rep.OK() || rep.Measured != 5 || rep.Decoded != 5 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	for _, tc := range []struct {
		path  string
		edit  func(l *Loudness)
		files []string // the files whose entries change
	}{
		{"audio/alice-1.wav", func(l *Loudness) { l.Integrated -= 0.5 }, []string{"audio/alice-1.wav", "audio/alice-1.flac"}},
		{"audio/bob-1.wav", func(l *Loudness) { l.TruePeak += 1 }, []string{"audio/bob-1.wav", "audio/bob-1.flac"}},
		{"audio/review-mix.mp3", func(l *Loudness) { l.Integrated = -23 }, []string{"audio/review-mix.mp3"}},
		{"audio/alice-1.flac", func(l *Loudness) { l.Integrated += 0.3 }, []string{"audio/alice-1.flac"}},
	} {
		m := readManifest(t, out)
		for i, f := range m.Files {
			if slices.Contains(tc.files, f.Path) {
				l := *f.Loudness
				tc.edit(&l)
				m.Files[i].Loudness = &l
			}
		}
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(tmp, "bad")
		os.RemoveAll(bad)
		if err := os.CopyFS(bad, os.DirFS(out)); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if err := os.WriteFile(filepath.Join(bad, ManifestFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bad, ManifestSumFile), []byte(hex.EncodeToString(sum[:])+"  "+ManifestFile+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(bad)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) != 1 || rep.Problems[0].Path != tc.path || !strings.Contains(rep.Problems[0].Msg, "loudness") && !strings.Contains(rep.Problems[0].Msg, "true peak") {
			t.Errorf("%s: problems %v", tc.path, rep.Problems)
		}
	}
}
