package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
)

// The review mix: the tracks summed at unity gain (hosts mostly take
// turns), panned centre into a stereo MP3 (some directories reject mono
// uploads), normalized to the loudness target by one gain measured on a
// first pass over the sum, and kept under MaxTruePeak by a look-ahead
// true-peak limiter (audio/loudness), never by clipping. What LAME wrote
// is decoded while it is written and measured: those are the figures in
// the manifest.

// Limiter timing: 5 ms look-ahead (the attack), 100 ms release.
const (
	limiterLookahead = 0.005
	limiterRelease   = 0.1
)

// peaks is the per-column minimum and maximum of one track, for the overview.
type peaks struct {
	lo, hi []float32
}

// gather takes the block mono that starts at frame pos into the columns
// (of cols over frames) it spans, one column's run of samples at a time:
// frame x belongs to column x*cols/frames, so a column ends before the
// first x with x*cols ≥ (col+1)*frames.
func (p peaks) gather(pos int64, mono []float32, cols int, frames int64) {
	for k := 0; k < len(mono); {
		col := (pos + int64(k)) * int64(cols) / frames
		next := ((col+1)*frames + int64(cols) - 1) / int64(cols)
		run := mono[k:min(int64(len(mono)), next-pos)]
		lo, hi := p.lo[col], p.hi[col]
		for _, v := range run {
			lo = min(lo, v)
			hi = max(hi, v)
		}
		p.lo[col], p.hi[col] = lo, hi
		k += len(run)
	}
}

// mixResult is what the mix job learned.
type mixResult struct {
	file    File // the MP3 (zero when no MP3 was asked for)
	peaks   []peaks
	limited int64
}

// mixJob makes the review mix and the waveform peaks.
func (b *bundle) mixJob(ctx context.Context, done *atomic.Int64) error {
	spec := mixSpec{tracks: b.tracks, frames: b.frames, cols: waveCols(), gain: 1}
	var pass int64
	if b.has(MP3) {
		spec.mp3Path = b.abs("audio/review-mix.mp3")
		spec.tag = b.tag()
		spec.bitrate = b.opt.MP3Bitrate
		if spec.bitrate == 0 {
			spec.bitrate = 128
		}
	}
	if b.normalize() {
		ex := newExcerpts(b.tracks[0].info.Rate, b.frames)
		sum, err := measureSum(ctx, b.tracks, b.frames, ex, func(pos int64) { done.Store(pos) })
		if err != nil {
			return err
		}
		pass = b.frames
		target := b.target()
		spec.target = &target
		if l := sum + loudness.DualMonoLU; !math.IsInf(l, -1) {
			spec.gain = loudness.Amp(target - l) // centre-panned stereo is the sum as dual mono
			// The excerpts' loudness at this gain is where the mix should
			// land; twice, as more gain means more limiting, which the
			// second probe sees.
			want := math.Inf(-1)
			for k := range 2 {
				in, out, err := codecProbe(ex.buf, b.tracks[0].info.Rate, spec.bitrate, spec.gain)
				if err != nil {
					return fmt.Errorf("export: review mix: loudness probe: %w", err)
				}
				if k == 0 {
					want = in
				}
				if !math.IsInf(want, -1) && !math.IsInf(out, -1) {
					spec.gain *= loudness.Amp(max(-1, min(3, want-out))) // a probe of near-silence says little
				}
			}
		}
	}
	r, err := renderMix(ctx, spec, func(pos int64) { done.Store(pass + pos) })
	if err != nil {
		return err
	}
	b.mix = r
	if spec.mp3Path != "" {
		r.file.Path = "audio/review-mix.mp3"
		r.file.Source = strings.Join(trackRels(b.tracks), " + ")
		b.files.add(r.file)
	}
	return nil
}

// mixer reads every track block by block and sums them; a shorter track
// continues as silence.
type mixer struct {
	tracks  []track
	readers []*audio.Reader
	bufs    [][]float32
	mono    []float32
	frames  int64
	pos     int64
}

func openMixer(tracks []track, frames int64) (*mixer, error) {
	return openMixerAt(tracks, 0, frames)
}

// openMixerAt is a mixer of frames from..to.
func openMixerAt(tracks []track, from, to int64) (*mixer, error) {
	if len(tracks) == 0 {
		return nil, errors.New("export: no tracks to mix")
	}
	m := &mixer{tracks: tracks, readers: make([]*audio.Reader, len(tracks)), bufs: make([][]float32, len(tracks)),
		mono: make([]float32, blockFrames), frames: to, pos: from}
	for i, t := range tracks {
		r, err := audio.OpenWAV(t.src)
		if err == nil && from > 0 {
			err = r.SeekFrame(min(from, r.Info().Frames))
		}
		if err != nil {
			if r != nil {
				r.Close()
			}
			m.Close()
			return nil, fmt.Errorf("export: %w", err)
		}
		m.readers[i] = r
		m.bufs[i] = make([]float32, blockFrames*t.info.Channels)
	}
	return m, nil
}

// next sums the next block into sum (len ≥ blockFrames) and returns its
// frames, 0 at the end. each (may be nil) sees every track's block, its
// channels averaged, before it is added.
func (m *mixer) next(sum []float32, each func(i int, pos int64, mono []float32)) (int, error) {
	n := int(min(int64(blockFrames), m.frames-m.pos))
	if n <= 0 {
		return 0, nil
	}
	clear(sum[:n])
	for i, r := range m.readers {
		ch := m.tracks[i].info.Channels
		buf := m.bufs[i][:n*ch]
		got, err := readFull(r.ReadFloat32, buf)
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("export: read %q: %w", m.tracks[i].src, err)
		}
		clear(buf[got:])
		mono := m.mono[:n]
		if ch == 1 {
			copy(mono, buf)
		} else {
			for k := range mono {
				var v float32
				for c := 0; c < ch; c++ {
					v += buf[k*ch+c]
				}
				mono[k] = v / float32(ch)
			}
		}
		if each != nil {
			each(i, m.pos, mono)
		}
		for k, v := range mono {
			sum[k] += v
		}
	}
	m.pos += int64(n)
	return n, nil
}

func (m *mixer) Close() {
	for _, r := range m.readers {
		if r != nil {
			r.Close()
		}
	}
}

// measureSum is the first pass: the integrated loudness of the plain sum,
// as mono, and the excerpts of it for the codec probe. The pass stands
// between the export's start and the encoder's, so it runs in parts side
// by side (one per CPU, at most sumParts), cut on 100 ms boundaries and
// pooled by loudness.IntegratedOf.
func measureSum(ctx context.Context, tracks []track, frames int64, ex *excerpts, progress func(int64)) (float64, error) {
	rate := int64(tracks[0].info.Rate)
	parts := int64(min(runtime.NumCPU(), sumParts))
	if frames < 10*rate {
		parts = 1
	}
	step := rate / 10
	meters := make([]*loudness.Meter, parts)
	exs := make([]*excerpts, parts)
	errs := make([]error, parts)
	var done atomic.Int64
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := frames*i/parts/step*step, frames*(i+1)/parts/step*step
		if i == parts-1 {
			hi = frames
		}
		exs[i] = &excerpts{starts: ex.starts, n: ex.n}
		wg.Add(1)
		go func() {
			defer wg.Done()
			meters[i], errs[i] = measurePart(ctx, tracks, lo, hi, exs[i], func(n int64) { progress(done.Add(n)) })
		}()
	}
	wg.Wait()
	for _, m := range meters {
		if m != nil {
			defer m.Close()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	for _, e := range exs {
		ex.buf = append(ex.buf, e.buf...)
	}
	l, err := loudness.IntegratedOf(meters...)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return l, nil
}

// sumParts bounds the parts measureSum runs side by side.
const sumParts = 4

// measurePart measures the sum of frames lo..hi into a new integrated
// meter, which the caller closes.
func measurePart(ctx context.Context, tracks []track, lo, hi int64, ex *excerpts, progress func(n int64)) (*loudness.Meter, error) {
	mx, err := openMixerAt(tracks, lo, hi)
	if err != nil {
		return nil, err
	}
	defer mx.Close()
	meter, err := loudness.NewIntegratedMeter(int(tracks[0].info.Rate), 1) // the gain needs nothing else
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	sum := make([]float32, blockFrames)
	for {
		if err := ctx.Err(); err != nil {
			meter.Close()
			return nil, err
		}
		n, err := mx.next(sum, nil)
		if err == nil && n > 0 {
			err = meter.Write(sum[:n])
		}
		if err != nil {
			meter.Close()
			return nil, fmt.Errorf("export: %w", err)
		}
		if n == 0 {
			return meter, nil
		}
		ex.add(mx.pos-int64(n), sum[:n])
		progress(int64(n))
	}
}

// mixSpec is what renderMix makes.
type mixSpec struct {
	tracks  []track
	frames  int64
	cols    int    // waveform columns
	mp3Path string // "" for peaks only
	tag     codec.Tag
	bitrate int      // kbit/s
	gain    float64  // linear, before the limiter
	target  *float64 // LUFS, nil for the plain sum
}

// renderMix is the second pass: it reads every track once, gathers the
// waveform peaks and, with an MP3 path, sums, applies the gain, limits and
// feeds LAME from its own goroutine (so the encoder, the longest single job
// of an export, never waits for I/O), while a third goroutine decodes what
// LAME writes and measures it.
func renderMix(ctx context.Context, spec mixSpec, progress func(int64)) (res mixResult, err error) {
	mx, err := openMixer(spec.tracks, spec.frames)
	if err != nil {
		return res, err
	}
	defer mx.Close()
	res.peaks = make([]peaks, len(spec.tracks))
	for i := range res.peaks {
		res.peaks[i] = peaks{lo: make([]float32, spec.cols), hi: make([]float32, spec.cols)}
	}
	gatherPeaks := func(i int, pos int64, mono []float32) { res.peaks[i].gather(pos, mono, spec.cols, spec.frames) }
	sum := make([]float32, blockFrames)
	if spec.mp3Path == "" {
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			n, err := mx.next(sum, gatherPeaks)
			if err != nil || n == 0 {
				return res, err
			}
			progress(mx.pos)
		}
	}
	rate := spec.tracks[0].info.Rate
	enc, err := startEncoder(spec.mp3Path, spec.tag, rate, spec.bitrate)
	if err != nil {
		return res, err
	}
	defer enc.abort()
	lim, err := loudness.NewLimiter(int(rate), limiterCeiling, limiterLookahead, limiterRelease)
	if err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	var limited []float32
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if enc.failed.Load() {
			break // the encoder's error is reported by finish
		}
		n, err := mx.next(sum, gatherPeaks)
		if err != nil {
			return res, err
		}
		if n == 0 {
			limited = lim.Flush(limited[:0])
		} else {
			for k := range sum[:n] {
				sum[k] *= float32(spec.gain)
			}
			limited = lim.Process(limited[:0], sum[:n])
		}
		enc.send(limited)
		if n == 0 {
			break
		}
		progress(mx.pos)
	}
	res.limited = lim.Limited()
	f, measured, err := enc.finish(spec.frames)
	if err != nil {
		return res, err
	}
	f.Loudness = newLoudness(measured)
	if spec.target != nil {
		t, g := *spec.target, round2(loudness.DB(spec.gain))
		f.Loudness.Target, f.Loudness.Gain = &t, &g
	}
	f.Loudness.Warning = mixWarning(f.Loudness)
	res.file = f
	return res, nil
}
