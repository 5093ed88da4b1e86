// Package voice finds who speaks when in a recording that has one track
// per person (a double-ender, after podmark merge): voice activity on each
// track from its energy against a noise floor estimated per track, with a
// hangover so short pauses do not split a turn, and overlaps and bleed
// resolved between the tracks: a voice that is only another microphone's
// bleed (about 20 dB down, possibly delayed by the call) is not a speaker.
//
// The tracks are streamed: only an energy envelope of one value per 10 ms
// per track is kept, about 1.4 MB an hour for each track, never the samples.
// No model and no speech recognition are involved.
package voice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/podmark/podmark/audio"
)

// ErrNoSpeakers is returned (wrapped) when fewer than two speakers are given:
// with one track there is nobody to tell apart.
var ErrNoSpeakers = errors.New("voice: need at least two speakers (one track per person)")

// ErrMismatch is returned (wrapped) when the tracks do not share one rate.
var ErrMismatch = errors.New("voice: tracks differ in sample rate")

// Options tunes the analysis. The zero value of a field means its default.
type Options struct {
	// Hop is the analysis step; default 10 ms.
	Hop time.Duration
	// Margin is how far above its noise floor a track must be to count as
	// voiced, in dB; default 12.
	Margin float64
	// Hangover joins one speaker's stretches of speech separated by less
	// than this (breaths, commas, short pauses); default 600 ms.
	Hangover time.Duration
	// MinTurn drops voiced stretches shorter than this (clicks, a cough
	// tail); default 120 ms.
	MinTurn time.Duration
	// Bleed is how far, in dB, a voice must lie below another track's
	// voice (each measured against its own track's speech level) to be
	// taken as that voice's bleed rather than a second speaker, where the
	// bleed's lag could not be measured; default 12.
	Bleed float64
	// BleedDelay is how late the other voice's bleed may arrive (a host
	// without headphones hears the call late): the longest lag measured;
	// default 300 ms.
	BleedDelay time.Duration
	// TailHold is how long the end of a stretch of speech is carried on,
	// while its level keeps falling, through frames that look like bleed
	// (the decay of the last syllable under the other voice in an
	// overlap); default 150 ms.
	TailHold time.Duration
}

func (o Options) withDefaults() Options {
	if o.Hop <= 0 {
		o.Hop = 10 * time.Millisecond
	}
	if o.Margin <= 0 {
		o.Margin = 12
	}
	if o.Hangover <= 0 {
		o.Hangover = 600 * time.Millisecond
	}
	if o.MinTurn <= 0 {
		o.MinTurn = 120 * time.Millisecond
	}
	if o.Bleed <= 0 {
		o.Bleed = 12
	}
	if o.BleedDelay <= 0 {
		o.BleedDelay = 300 * time.Millisecond
	}
	if o.TailHold <= 0 {
		o.TailHold = 150 * time.Millisecond
	}
	return o
}

// Speaker is one person and the track files that carry their voice (usually
// one; a host who recorded two channels has two, and the louder counts).
type Speaker struct {
	Name   string
	Tracks []string // paths of mono or multi-channel WAV/RF64 files
}

// Turn is one stretch of one speaker's speech, in frames of the tracks.
// Turns of different speakers may overlap where both really talk.
type Turn struct {
	Speaker    int // index into the speakers given to Analyze
	Start, End int64
}

// Stats describes what the analysis measured on one speaker's tracks.
type Stats struct {
	Floor  float64 // noise floor, dBFS (power of 10 ms frames)
	Level  float64 // speech level, dBFS
	Voiced int64   // frames voiced above the floor, bleed included
	Speech int64   // frames in this speaker's turns
	Bleed  int64   // voiced frames taken as another speaker's bleed
	// (all three in frames of the tracks)
}

// Result is a finished analysis.
type Result struct {
	Rate   audio.SampleRate
	Frames int64 // length of the longest track
	Turns  []Turn
	Stats  []Stats // one per speaker
}

// silentPower is the power under which a frame is digital silence (the
// padding podmark merge adds), left out of the noise floor estimate.
const silentPower = 1e-11 // -110 dBFS

// Analyze reads every speaker's tracks once, in parallel, and returns their
// turns in time order. It is safe to call concurrently.
func Analyze(ctx context.Context, speakers []Speaker, opt Options) (Result, error) {
	opt = opt.withDefaults()
	if len(speakers) < 2 {
		return Result{}, fmt.Errorf("%w: got %d", ErrNoSpeakers, len(speakers))
	}
	type job struct {
		sp, tr int
		path   string
	}
	var jobs []job
	for i, s := range speakers {
		if len(s.Tracks) == 0 {
			return Result{}, fmt.Errorf("voice: speaker %q has no track", s.Name)
		}
		for k, p := range s.Tracks {
			jobs = append(jobs, job{i, k, p})
		}
	}
	envs := make([]envelope, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for n, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			envs[n], errs[n] = readEnvelope(ctx, j.path, opt.Hop)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	rate := envs[0].rate
	var frames int64
	hops := 0
	for n, e := range envs {
		if e.rate != rate {
			return Result{}, fmt.Errorf("%w: %s is %d Hz, %s is %d Hz", ErrMismatch, jobs[0].path, rate, jobs[n].path, e.rate)
		}
		frames = max(frames, e.frames)
		hops = max(hops, len(e.power))
	}
	// One power envelope per speaker: the louder of their tracks.
	power := make([][]float32, len(speakers))
	for n, j := range jobs {
		p := power[j.sp]
		if p == nil {
			p = make([]float32, hops)
			power[j.sp] = p
		}
		for i, v := range envs[n].power {
			p[i] = max(p[i], v)
		}
	}
	hop := envs[0].hop
	res := Result{Rate: rate, Frames: frames}
	res.Turns, res.Stats = decide(power, hop, frames, opt)
	return res, nil
}

// envelope is one track's mean power per hop.
type envelope struct {
	rate   audio.SampleRate
	hop    int // frames per hop
	frames int64
	power  []float32
}

func readEnvelope(ctx context.Context, path string, hopDur time.Duration) (envelope, error) {
	r, err := audio.OpenWAV(path)
	if err != nil {
		return envelope{}, fmt.Errorf("voice: %w", err)
	}
	defer r.Close()
	info := r.Info()
	if info.Rate <= 0 || info.Channels <= 0 {
		return envelope{}, fmt.Errorf("voice: %s: %d Hz, %d channels", path, info.Rate, info.Channels)
	}
	hop := max(int(info.Rate.N(hopDur)), 1)
	ch := info.Channels
	e := envelope{rate: info.Rate, hop: hop, frames: info.Frames,
		power: make([]float32, 0, info.Frames/int64(hop)+1)}
	buf := make([]float32, 256*hop*ch)
	var acc float64 // sum of squares of the current hop
	fill := 0       // frames in the current hop
	scale := 1 / float64(hop*ch)
	for chunk := 0; ; chunk++ {
		if chunk%64 == 0 && ctx.Err() != nil {
			return envelope{}, ctx.Err()
		}
		n, err := r.ReadFloat32(buf)
		s := buf[:n]
		for len(s) > 0 {
			take := min((hop-fill)*ch, len(s))
			var a float32
			for _, v := range s[:take] {
				a += v * v
			}
			acc += float64(a)
			fill += take / ch
			s = s[take:]
			if fill == hop {
				e.power = append(e.power, float32(acc*scale))
				acc, fill = 0, 0
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return envelope{}, fmt.Errorf("voice: %w", err)
		}
	}
	if fill > 0 {
		e.power = append(e.power, float32(acc/float64(fill*ch)))
	}
	return e, nil
}

// db converts power to dBFS (a full-scale sine is -3 dB).
func db(p float64) float64 { return 10 * math.Log10(p+1e-13) }

// percentile returns the q-quantile (0..1) of v (which it sorts).
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.Inf(-1)
	}
	slices.Sort(v)
	i := int(q * float64(len(v)-1))
	return v[i]
}

// decide turns the speakers' power envelopes into turns, in steps: each
// track's voiced frames against its own noise floor (voicing), what each
// microphone picks up of the others (newBleedModel), the voiced frames that
// are a speaker's own speech (speechOf) and the turns they make (turnsOf).
func decide(power [][]float32, hop int, frames int64, opt Options) ([]Turn, []Stats) {
	ns := len(power)
	d := newDecision(power, hop, opt)
	var turns []Turn
	for k := range ns {
		turns = append(turns, d.turnsOf(k, d.speechOf(k), frames)...)
	}
	slices.SortFunc(turns, func(a, b Turn) int {
		if a.Start != b.Start {
			return int(a.Start - b.Start)
		}
		return a.Speaker - b.Speaker
	})
	return turns, d.stats
}

// newDecision measures each track's voicing and the bleed between them.
func newDecision(power [][]float32, hop int, opt Options) *decision {
	ns := len(power)
	d := &decision{
		opt: opt, hop: hop, hops: len(power[0]),
		stats: make([]Stats, ns), sm: make([][]float32, ns),
		voiced: make([][]bool, ns), rel: make([][]float32, ns),
	}
	for k, p := range power {
		d.voicing(k, p)
	}
	d.newBleedModel()
	return d
}

// decision holds the per-track envelopes decide works on; index k is the
// track, i the hop.
type decision struct {
	opt       Options
	hop, hops int
	stats     []Stats
	sm        [][]float32   // smoothed level, dB
	voiced    [][]bool      // above the track's noise floor (with hysteresis)
	rel       [][]float32   // dB against the speaker's speech level
	lag       [][]int       // lag[k][j]: hops j's bleed reaches k late; -1 if not measured
	peak      [][][]float32 // peak[k][j][i]: j's loudest sm that could bleed into k at i
	coupling  [][]float32   // coupling[k][j]: how much of j's voice k picks up (80th percentile)
	typical   [][]float32   // the median of the same: what k usually picks up of j
}

// smooth returns the mean power over 50 ms in dB, centred, so an onset is
// not biased early or late.
func smooth(p []float32) []float32 {
	const half = 2
	hops := len(p)
	s := make([]float32, hops)
	var sum float64
	for i := 0; i < hops+half; i++ {
		if i < hops {
			sum += float64(p[i])
		}
		if j := i - 2*half - 1; j >= 0 {
			sum -= float64(p[j])
		}
		if c := i - half; c >= 0 {
			lo, hi := max(c-half, 0), min(c+half, hops-1)
			s[c] = float32(db(max(sum, 0) / float64(hi-lo+1)))
		}
	}
	return s
}

// voicing finds track k's noise floor, voiced frames and speech level.
func (d *decision) voicing(k int, p []float32) {
	s := smooth(p)
	d.sm[k] = s
	// Noise floor: a low percentile of the frames that are not digital
	// silence. Conversation leaves every track silent (or only bleed)
	// for much of the time, so the 10th percentile is the room.
	var vals []float64
	for i, v := range p {
		if float64(v) > silentPower {
			vals = append(vals, float64(s[i]))
		}
	}
	floor := max(percentile(vals, 0.10), -100)
	d.stats[k].Floor = floor
	// Hysteresis: a stretch starts above floor+Margin and lasts, on
	// both sides, while above floor+Margin/2, so soft onsets and the
	// decay of the last syllable stay in the turn.
	thr, low := floor+d.opt.Margin, floor+d.opt.Margin/2
	v := make([]bool, d.hops)
	for i := range s {
		if float64(s[i]) > thr && float64(p[i]) > silentPower {
			v[i] = true
		}
	}
	for i := 1; i < d.hops; i++ {
		if v[i-1] && !v[i] && float64(s[i]) > low && float64(p[i]) > silentPower {
			v[i] = true
		}
	}
	for i := d.hops - 2; i >= 0; i-- {
		if v[i+1] && !v[i] && float64(s[i]) > low && float64(p[i]) > silentPower {
			v[i] = true
		}
	}
	vals = vals[:0]
	for i := range s {
		if v[i] {
			vals = append(vals, float64(s[i]))
			d.stats[k].Voiced += int64(d.hop)
		}
	}
	d.voiced[k] = v
	// Speech level: the loud end of what is voiced, so bleed (also
	// voiced, but lower) does not drag it down.
	level := percentile(vals, 0.90)
	if math.IsInf(level, -1) {
		level = 0
	}
	d.stats[k].Level = level
	r := make([]float32, d.hops)
	for i := range s {
		r[i] = s[i] - float32(level)
	}
	d.rel[k] = r
}

// newBleedModel measures the bleed between the tracks. lag[k][j] is how
// late j's voice reaches k's microphone (bleedLag), and peak[k][j][i] is
// j's loudest smoothed level around i minus that lag: what could be
// bleeding into k at i. coupling[k][j] is how much of j's voice track k
// picks up: the 80th percentile of k's level minus peak[k][j] while j
// talks, about -20 dB for a host without headphones and down at k's noise
// floor for one with.
func (d *decision) newBleedModel() {
	ns := len(d.sm)
	back := int(d.opt.BleedDelay / d.opt.Hop)
	d.lag = make([][]int, ns)
	d.peak = make([][][]float32, ns)
	d.coupling = make([][]float32, ns)
	d.typical = make([][]float32, ns)
	for k := range ns {
		d.lag[k] = make([]int, ns)
		d.peak[k] = make([][]float32, ns)
		d.coupling[k] = make([]float32, ns)
		d.typical[k] = make([]float32, ns)
		for j := range ns {
			if j == k {
				continue
			}
			// The window of j's past that may be bleeding into k now:
			// around the measured lag, or all of BleedDelay when no
			// bleed was measured.
			lo, hi, l := 0, back, d.bleedLag(k, j, back)
			d.lag[k][j] = l
			if l >= 0 {
				lo, hi = max(l-lagSlack, 0), l+lagSlack
			}
			pk := make([]float32, d.hops)
			for i := range d.hops {
				m := float32(math.Inf(-1))
				for t := max(i-hi, 0); t <= min(i-lo, d.hops-1); t++ {
					m = max(m, d.sm[j][t])
				}
				if l >= 0 && i > 0 {
					// The room's reverberation carries the bleed on
					// after the voice stops.
					m = max(m, pk[i-1]-reverbDecay)
				}
				pk[i] = m
			}
			d.peak[k][j] = pk
			var diffs []float64
			for i := max(l, 0); i < d.hops; i++ {
				if t := i - max(l, 0); d.voiced[j][t] && d.rel[j][t] > -10 {
					diffs = append(diffs, float64(d.sm[k][i]-pk[i]))
				}
			}
			c := percentile(diffs, 0.8)
			if math.IsInf(c, -1) {
				c = -200
			}
			d.coupling[k][j] = float32(c)
			d.typical[k][j] = float32(max(percentile(diffs, 0.5), -200))
		}
	}
}

// lagSlack is how far, in hops, the bleed may wander around its measured
// lag (a call's jitter; the smoothing spreads it by 20 ms on each side too).
const lagSlack = 3

// reverbDecay is how fast, in dB a hop, bleed is taken to fade after the
// voice that makes it stops: a living room's reverberation, 60 dB in 400 ms.
const reverbDecay = 1.5

// bleedLag measures how many hops (0..back) after j's voice its bleed shows
// on k's track: the lag at which k's level minus j's, over the frames where
// j talks, is steadiest (the narrowest interquartile range; k's own speech
// over j's only widens the tails). It returns -1 when no lag stands out
// from the others by minBleedSharpen (k wears headphones: there is no bleed
// to follow, and every lag looks alike).
func (d *decision) bleedLag(k, j, back int) int {
	best, bestW := -1, math.Inf(1)
	widths := make([]float64, 0, back+1)
	var h histogram
	for l := 0; l <= back; l++ {
		h.reset()
		for i := l; i < d.hops; i++ {
			if d.voiced[j][i-l] && d.rel[j][i-l] > -10 {
				h.add(d.sm[k][i] - d.sm[j][i-l])
			}
		}
		if h.n < 100 {
			return -1
		}
		w := h.quantile(0.75) - h.quantile(0.25)
		widths = append(widths, w)
		if w < bestW {
			best, bestW = l, w
		}
	}
	if percentile(widths, 0.5)-bestW < minBleedSharpen {
		return -1
	}
	return best
}

// histogram counts level differences in steps of 1/histRes dB over
// ±histSpan dB (beyond, at the ends): quantiles without sorting, for the
// 31 lags bleedLag tries over every frame of an hour.
type histogram struct {
	bins [2 * histSpan * histRes]int32
	n    int
}

const histSpan, histRes = 128, 20

func (h *histogram) reset() { *h = histogram{} }

func (h *histogram) add(v float32) {
	b := int((v + histSpan) * histRes)
	h.bins[min(max(b, 0), len(h.bins)-1)]++
	h.n++
}

// quantile returns the q-quantile (0..1) of what was added, to the bin.
func (h *histogram) quantile(q float64) float64 {
	want := int(q * float64(h.n-1))
	seen := 0
	for b, c := range h.bins {
		seen += int(c)
		if seen > want {
			return (float64(b)+0.5)/histRes - histSpan
		}
	}
	return histSpan
}

// minBleedSharpen is how much narrower, in dB, the spread at the bleed's
// lag must be than the median spread over all lags for the lag to count
// as measured.
const minBleedSharpen = 1.0

// speechOf returns track k's voiced frames that are not another voice's
// bleed. Where j's bleed into k was measured (lag found), a voiced frame of
// k is j's bleed when k's level stays under what j's voice at that lag
// leaks in (coupling) plus 3 dB: louder, k's own voice is at least as
// strong as the bleed. Where it was not, both must hold: j's voice (now or
// up to BleedDelay before) stands Bleed dB higher against its own speech
// level, and k's level is no more than 6 dB above what k picks up of j.
// The first keeps real overlaps, the second keeps a quiet word on a track
// that has no bleed.
func (d *decision) speechOf(k int) []bool {
	sp := make([]bool, d.hops)
	for i := range d.hops {
		if !d.voiced[k][i] {
			continue
		}
		bleed := false
		for j := 0; j < len(d.sm) && !bleed; j++ {
			if j == k {
				continue
			}
			pk := d.peak[k][j][i]
			if d.lag[k][j] >= 0 {
				bleed = d.sm[k][i] < pk+d.coupling[k][j]+3
			} else {
				relJ := pk - float32(d.stats[j].Level)
				bleed = relJ >= d.rel[k][i]+float32(d.opt.Bleed) && d.sm[k][i] <= pk+d.coupling[k][j]+6
			}
		}
		if bleed {
			d.stats[k].Bleed += int64(d.hop)
		} else {
			sp[i] = true
		}
	}
	return sp
}

// aboveBleed reports whether k's level at i is more than another voice
// usually leaks into k's microphone.
func (d *decision) aboveBleed(k, i int) bool {
	for j := range d.sm {
		if j != k && d.sm[k][i] <= d.peak[k][j][i]+d.typical[k][j] {
			return false
		}
	}
	return true
}

// stretches returns the runs of true in speech, joining runs less than gap
// hops apart.
func stretches(speech []bool, gap int) [][2]int {
	var segs [][2]int
	for i := 0; i < len(speech); {
		if !speech[i] {
			i++
			continue
		}
		j := i
		for j < len(speech) && speech[j] {
			j++
		}
		if n := len(segs); n > 0 && i-segs[n-1][1] < gap {
			segs[n-1][1] = j
		} else {
			segs = append(segs, [2]int{i, j})
		}
		i = j
	}
	return segs
}

// turnsOf makes speaker k's turns of its speech frames: hangover, minimum
// length and the held tail.
func (d *decision) turnsOf(k int, speech []bool, frames int64) []Turn {
	minLen := int(d.opt.MinTurn / d.opt.Hop)
	hold := int(d.opt.TailHold / d.opt.Hop)
	var turns []Turn
	for _, sg := range stretches(speech, int(d.opt.Hangover/d.opt.Hop)) {
		if sg[1]-sg[0] < minLen {
			continue
		}
		// The last syllable's decay under the other voice's bleed (an
		// overlap at the end of a turn) is still this speaker's: carry
		// the turn on while the level keeps falling and stays above what
		// the other voice leaks in, at most TailHold.
		limit := min(sg[1]+hold, d.hops)
		for sg[1] < limit && d.voiced[k][sg[1]] && !speech[sg[1]] && d.sm[k][sg[1]] < d.sm[k][sg[1]-1] && d.aboveBleed(k, sg[1]) {
			sg[1]++
		}
		t := Turn{Speaker: k, Start: int64(sg[0]) * int64(d.hop), End: min(int64(sg[1])*int64(d.hop), frames)}
		d.stats[k].Speech += t.End - t.Start
		turns = append(turns, t)
	}
	return turns
}
