package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/decode"
	"github.com/podmark/podmark/audio/loudness"
)

// The review mix's loudness (Options.Loudness).
const (
	// DefaultLoudness is the review mix's integrated loudness target in
	// LUFS: what Apple Podcasts, Spotify and most podcast hosts play at.
	DefaultLoudness = -16.0
	// MaxTruePeak is the review mix's true-peak ceiling in dBTP.
	MaxTruePeak = -1.0
	// limiterCeiling is where the limiter holds the mix before MP3
	// encoding, half a dB under MaxTruePeak: the codec's own overshoot
	// stays under the ceiling in the decoded file.
	limiterCeiling = MaxTruePeak - 0.5
	// QuietLUFS and HotDBTP are the warning thresholds for a track.
	QuietLUFS = -30.0
	HotDBTP   = -1.0
)

// Level is a loudness or peak figure in LUFS, LU, dBTP or dBFS, rounded to
// 0.01; digital silence (-Inf) is null in JSON.
type Level float64

// MarshalJSON writes the level with two decimals, or null for silence.
func (l Level) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(l), -1) || math.IsNaN(float64(l)) {
		return []byte("null"), nil
	}
	return []byte(fmt.Sprintf("%.2f", float64(l))), nil
}

// UnmarshalJSON reads a level; null is silence (-Inf).
func (l *Level) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = Level(math.Inf(-1))
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*l = Level(f)
	return nil
}

func (l Level) String() string {
	if math.IsInf(float64(l), -1) {
		return "-inf"
	}
	return fmt.Sprintf("%.1f", float64(l))
}

// Loudness is the "loudness" object of an audio file in manifest.json: its
// ITU-R BS.1770-4 / EBU R 128 measurement.
type Loudness struct {
	Integrated Level `json:"integrated_lufs"`         // as measured (a mono file as a mono programme)
	DualMono   Level `json:"dual_mono_lufs,omitzero"` // a mono file as dual mono: Integrated + 3.01 LU, what platforms report
	Range      Level `json:"range_lu"`                // loudness range (EBU Tech 3342)
	TruePeak   Level `json:"true_peak_dbtp"`          // 4× oversampled
	SamplePeak Level `json:"sample_peak_dbfs"`
	Channels   int   `json:"channels"` // as measured
	// The review mix only: the target it was normalized to (absent with
	// --loudness off) and the gain applied before the limiter.
	Target  *float64 `json:"target_lufs,omitempty"`
	Gain    *float64 `json:"gain_db,omitempty"`
	Warning string   `json:"warning,omitempty"` // see warning()
}

func newLoudness(r loudness.Result) *Loudness {
	l := &Loudness{Integrated: Level(r.Integrated), Range: Level(r.Range), TruePeak: Level(r.TruePeak),
		SamplePeak: Level(r.SamplePeak), Channels: r.Channels}
	if r.Channels == 1 {
		l.DualMono = Level(r.DualMono())
	}
	if math.IsInf(r.Integrated, -1) {
		l.Range = 0
	}
	return l
}

// round2 is how the manifest stores a figure.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// trackWarning is the plain warning for a track far from speech level.
func trackWarning(l *Loudness) string {
	var w []string
	switch {
	case math.IsInf(float64(l.Integrated), -1):
		w = append(w, "silent")
	case float64(l.Integrated) < QuietLUFS:
		w = append(w, fmt.Sprintf("very quiet (%s LUFS, below %.0f): check the microphone gain", l.Integrated, QuietLUFS))
	}
	if float64(l.TruePeak) > HotDBTP {
		w = append(w, fmt.Sprintf("true peak %s dBTP: clipped or too hot", l.TruePeak))
	}
	return strings.Join(w, "; ")
}

// mixWarning reports a review mix that missed its target or ceiling.
func mixWarning(l *Loudness) string {
	var w []string
	if l.Target != nil && !math.IsInf(float64(l.Integrated), -1) && math.Abs(float64(l.Integrated)-*l.Target) > 0.5 {
		w = append(w, fmt.Sprintf("%s LUFS, %.1f LU from the %.0f LUFS target (the limiter had to hold back very loud peaks)", l.Integrated, float64(l.Integrated)-*l.Target, *l.Target))
	}
	if float64(l.TruePeak) > MaxTruePeak+0.05 {
		w = append(w, fmt.Sprintf("true peak %s dBTP above %.0f dBTP", l.TruePeak, MaxTruePeak))
	}
	return strings.Join(w, "; ")
}

// LoudnessTable is the loudness table of a bundle, one line per audio
// file with figures (a track's WAV and FLAC hold the same samples and are
// listed once), with a header; empty when no file has figures. README.txt,
// podmark export's summary and the window's hand-off tab show it.
func LoudnessTable(files []File) []string {
	var rows [][]string
	seen := map[string]bool{}
	for _, f := range files {
		if f.Loudness == nil {
			continue
		}
		name := f.Path
		if f.Role == RoleTrack {
			name = f.Source
			if seen[name] {
				continue
			}
			seen[name] = true
		}
		l := f.Loudness
		dual := ""
		if l.Channels == 1 {
			dual = l.DualMono.String()
		}
		note := l.Warning
		if l.Target != nil && note == "" {
			note = fmt.Sprintf("normalized to %.0f LUFS (gain %+.1f dB)", *l.Target, *l.Gain)
		} else if f.Role == RoleMix && l.Target == nil && note == "" {
			note = "plain sum (--loudness off)"
		}
		rows = append(rows, []string{name, l.Integrated.String(), dual, l.Range.String(), l.TruePeak.String(), note})
	}
	if len(rows) == 0 {
		return nil
	}
	head := []string{"file", "LUFS", "dual mono", "LRA LU", "dBTP", ""}
	wid := make([]int, len(head))
	for _, r := range append([][]string{head}, rows...) {
		for i, c := range r[:len(r)-1] {
			wid[i] = max(wid[i], len([]rune(c)))
		}
	}
	var out []string
	for _, r := range append([][]string{head}, rows...) {
		var b bytes.Buffer
		for i, c := range r[:len(r)-1] {
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", wid[i], c)
			} else {
				fmt.Fprintf(&b, "  %*s", wid[i], c)
			}
		}
		if n := r[len(r)-1]; n != "" {
			b.WriteString("  " + n)
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	return out
}

// Verify's tolerances between the manifest's figures and a fresh
// measurement of the decoded file.
const (
	LoudnessTolerance = 0.1 // LU, integrated
	PeakTolerance     = 0.2 // dB, true peak
)

func loudnessString(l *Loudness) string {
	if l == nil {
		return "none"
	}
	return fmt.Sprintf("%s LUFS, LRA %s LU, %s dBTP", l.Integrated, l.Range, l.TruePeak)
}

// loudnessCheck measures a file as Verify decodes it and compares the
// result with its manifest entry; it does nothing for a file without
// figures.
type loudnessCheck struct {
	f     File
	meter *loudness.Meter
	buf   []float32
	err   error
}

// newLoudnessCheck measures channels channels (a decoder may give fewer
// than the file has: the MP3 decoder gives the channels' average).
func newLoudnessCheck(f File, channels int) (*loudnessCheck, error) {
	c := &loudnessCheck{f: f}
	if f.Loudness == nil {
		return c, nil
	}
	m, err := loudness.NewMeter(f.Rate, channels)
	if err != nil {
		return nil, fmt.Errorf("loudness: %w", err)
	}
	c.meter = m
	return c, nil
}

func (c *loudnessCheck) write(x []float32) error {
	if c.meter == nil || c.err != nil {
		return c.err
	}
	ch := c.meter.Channels()
	c.err = c.meter.Write(x[:len(x)-len(x)%ch])
	return c.err
}

// float32 wraps a reader so that what it reads is measured.
func (c *loudnessCheck) float32(read func([]float32) (int, error)) func([]float32) (int, error) {
	return func(b []float32) (int, error) {
		n, err := read(b)
		if werr := c.write(b[:n]); werr != nil {
			return n, werr
		}
		return n, err
	}
}

// int32 wraps a reader of bits-deep integer samples.
func (c *loudnessCheck) int32(read func([]int32) (int, error), bits int) func([]int32) (int, error) {
	scale := float32(1) / float32(int64(1)<<(bits-1))
	return func(b []int32) (int, error) {
		n, err := read(b)
		if c.meter != nil && n > 0 {
			if cap(c.buf) < n {
				c.buf = make([]float32, n)
			}
			fb := c.buf[:n]
			for i, v := range b[:n] {
				fb[i] = float32(v) * scale
			}
			if werr := c.write(fb); werr != nil {
				return n, werr
			}
		}
		return n, err
	}
}

// check compares the measurement with the manifest's figures.
func (c *loudnessCheck) check() error {
	if c.meter == nil {
		return nil
	}
	if c.err != nil {
		return fmt.Errorf("loudness: %w", c.err)
	}
	r, err := c.meter.Result()
	if err != nil {
		return fmt.Errorf("loudness: %w", err)
	}
	want := c.f.Loudness
	got := r.Integrated
	if want.Channels == 2 && r.Channels == 1 {
		got = r.DualMono()
	}
	if !closeLevel(got, float64(want.Integrated), LoudnessTolerance) {
		return fmt.Errorf("integrated loudness %s LUFS, the manifest says %s (more than %.1f LU apart): the audio or the figures were changed", Level(got), want.Integrated, LoudnessTolerance)
	}
	if !closeLevel(r.TruePeak, float64(want.TruePeak), PeakTolerance) {
		return fmt.Errorf("true peak %s dBTP, the manifest says %s (more than %.1f dB apart): the audio or the figures were changed", Level(r.TruePeak), want.TruePeak, PeakTolerance)
	}
	return nil
}

func (c *loudnessCheck) close() {
	if c.meter != nil {
		c.meter.Close()
	}
}

// closeLevel compares two figures, silence (-Inf) equal only to silence.
func closeLevel(a, b, tol float64) bool {
	if math.IsInf(a, -1) || math.IsInf(b, -1) {
		return math.IsInf(a, -1) && math.IsInf(b, -1)
	}
	return math.Abs(a-b) <= tol+0.005 // the manifest rounds to 0.01
}

// MeasureFile measures one audio file as the export does, streaming: a WAV
// (1 or 2 channels) through the audio reader, a FLAC through libFLAC, an
// MP3 through audio/decode (its channels averaged: measured as mono, so
// DualMono is the figure of a centre-panned stereo file). The warning is
// the track warning.
func MeasureFile(ctx context.Context, path string) (*Loudness, error) {
	var (
		ch   int
		feed func(lc *loudnessCheck) error
		rate int
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".wav":
		r, err := audio.OpenWAV(path)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		defer r.Close()
		info := r.Info()
		ch, rate = info.Channels, int(info.Rate)
		feed = func(lc *loudnessCheck) error {
			_, err := drain(ctx, lc.float32(r.ReadFloat32), make([]float32, blockFrames*ch))
			return err
		}
	case ".flac":
		r, err := codec.OpenFLAC(path)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		defer r.Close()
		info := r.Info()
		ch, rate = info.Channels, int(info.Rate)
		feed = func(lc *loudnessCheck) error {
			_, err := drain(ctx, lc.int32(r.ReadInt32, info.Bits), make([]int32, blockFrames*ch))
			return err
		}
	case ".mp3":
		s, err := decode.Open(path)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		frames := s.Frames()
		ch, rate = 1, s.Rate()
		s.Close()
		feed = func(lc *loudnessCheck) error { return decodeMP3(path, frames, lc.write) }
	default:
		return nil, fmt.Errorf("export: %s: not a WAV, FLAC or MP3 file", path)
	}
	lc, err := newLoudnessCheck(File{Rate: rate, Loudness: &Loudness{}}, ch)
	if err != nil {
		return nil, fmt.Errorf("export: %s: %w", path, err)
	}
	defer lc.close()
	if err := feed(lc); err != nil {
		return nil, fmt.Errorf("export: %s: %w", path, err)
	}
	if lc.err != nil {
		return nil, fmt.Errorf("export: %s: %w", path, lc.err)
	}
	r, err := lc.meter.Result()
	if err != nil {
		return nil, fmt.Errorf("export: %s: %w", path, err)
	}
	l := newLoudness(r)
	l.Warning = trackWarning(l)
	return l, nil
}

// drain reads to the end.
func drain[T int32 | float32](ctx context.Context, read func([]T) (int, error), buf []T) (int64, error) {
	var n int64
	for {
		k, err := read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
	}
}
