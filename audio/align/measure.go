package align

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
)

// ErrNoMatch reports two signals that could not be aligned: no common audio
// in the searched range, or too little of it to trust.
var ErrNoMatch = errors.New("align: no reliable match")

// Signal is mono audio on its own clock that can be read in windows.
// Implementations must allow concurrent ReadAt calls.
type Signal interface {
	Rate() int
	Frames() int64
	// ReadAt fills dst with the frames from frame on; frames outside
	// [0, Frames) read as zeros.
	ReadAt(dst []float32, frame int64) error
}

// Slice is an in-memory Signal.
type Slice struct {
	SampleRate int
	Samples    []float32
}

// Rate implements Signal.
func (s Slice) Rate() int { return s.SampleRate }

// Frames implements Signal.
func (s Slice) Frames() int64 { return int64(len(s.Samples)) }

// ReadAt implements Signal.
func (s Slice) ReadAt(dst []float32, frame int64) error {
	for i := range dst {
		j := frame + int64(i)
		if j < 0 || j >= int64(len(s.Samples)) {
			dst[i] = 0
		} else {
			dst[i] = s.Samples[j]
		}
	}
	return nil
}

// Options tune Measure. Zero values take the defaults.
type Options struct {
	Rate          float64 // analysis rate in Hz; default 16000
	Window        float64 // window length in seconds for the fine offsets; default 6
	Windows       int     // number of fine windows; default one per 120 s, at least 6, at most 30
	Guess         float64 // first guess of the offset (anchor time - track time), seconds
	Search        float64 // the true offset lies within Guess ± Search seconds; default 45
	MaxDrift      float64 // largest clock drift searched, ppm; default 1000
	MinPSR        float64 // a window's peak-to-sidelobe ratio below this is not trusted; default 8
	MinConfidence float64 // a window's Confidence below this is not trusted; default 0.1
	Workers       int     // windows measured in parallel; default GOMAXPROCS
}

func (o *Options) defaults() {
	if o.Rate <= 0 {
		o.Rate = 16000
	}
	if o.Window <= 0 {
		o.Window = 6
	}
	if o.Search <= 0 {
		o.Search = 45
	}
	if o.MaxDrift <= 0 {
		o.MaxDrift = 1000
	}
	if o.MinPSR <= 0 {
		o.MinPSR = 8
	}
	if o.MinConfidence <= 0 {
		o.MinConfidence = 0.1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
}

// Window is one offset measurement.
type Window struct {
	At     float64 `json:"at"`     // track time (s) the offset was measured at
	Offset float64 `json:"offset"` // anchor time - track time, seconds
	Match
	Used     bool    `json:"used"`              // counted in the line fit
	Residual float64 `json:"residual"`          // Offset minus the fitted line, seconds
	Note     string  `json:"note,omitempty"`    // why it was not used
	Segment  int     `json:"segment,omitempty"` // index of the fit segment (after a Step)
}

// Result is the outcome of Measure.
type Result struct {
	Probe   Window   `json:"probe"`   // the coarse match the fine windows started from
	Windows []Window `json:"windows"` // fine windows in time order
	Fit     Fit      `json:"fit"`
}

// Measure finds how track lines up with anchor: a coarse probe searches
// Guess ± Search, then windows spread over the whole overlap measure the
// offset precisely (each window is resampled by the drift found so far so
// that a long window stays sharp), and a robust line fit gives offset and
// drift. It returns ErrNoMatch when the tracks share too little audio.
func Measure(anchor, track Signal, opt Options) (Result, error) {
	opt.defaults()
	m := &measurer{anchor: anchor, track: track, opt: opt,
		ta: float64(anchor.Frames()) / float64(anchor.Rate()),
		tt: float64(track.Frames()) / float64(track.Rate()),
	}
	var res Result
	if m.ta <= 0 || m.tt <= 0 {
		return res, fmt.Errorf("%w: empty signal", ErrNoMatch)
	}
	best, pw, err := m.probe()
	if err != nil {
		return res, err
	}
	res.Probe = best
	res.Probe.Used = true
	centers, win, err := m.windows(best)
	if err != nil {
		return res, err
	}
	fit, wide := m.firstDrift(best, pw, centers)
	ws, fit, err := m.refine(best, centers, win, fit, wide)
	res.Windows = ws
	if err != nil {
		return res, err
	}
	res.Fit = fit
	return res, nil
}

// measurer holds the two signals Measure compares and their lengths in
// seconds.
type measurer struct {
	anchor, track Signal
	opt           Options
	ta, tt        float64
}

// probe finds a first, coarse offset: short windows (drift cannot smear
// them) tried at several places until one stands out clearly and is
// confirmed at a second place. pw is the length of its windows in seconds.
func (m *measurer) probe() (best Window, pw float64, err error) {
	opt := m.opt
	// Track times that can overlap the anchor at all.
	lo := math.Max(0, -opt.Guess-opt.Search)
	hi := math.Min(m.tt, m.ta-opt.Guess+opt.Search)
	if hi-lo < 1 {
		return Window{}, 0, fmt.Errorf("%w: the signals do not overlap within ±%.0f s of the guess", ErrNoMatch, opt.Search)
	}
	pw = math.Min(4, hi-lo)
	found, unconfirmed := false, 0
	for _, f := range []float64{0.2, 0.5, 0.8, 0.35, 0.65, 0.1, 0.9} {
		tc := lo + pw/2 + f*(hi-lo-pw)
		w, werr := measureWindow(m.anchor, m.track, tc, pw, opt.Guess, opt.Search, 0, opt)
		if werr != nil && !errors.Is(werr, ErrNoSignal) {
			return Window{}, 0, werr
		}
		if werr == nil && (!found || w.PSR > best.PSR) {
			best, found = w, true
		}
		if werr == nil && m.strong(w) {
			if m.confirmed(w, tc, pw) {
				return w, pw, nil
			}
			unconfirmed++
		}
	}
	if unconfirmed > 0 {
		return Window{}, 0, fmt.Errorf("%w: %d candidate peaks within ±%.0f s (best peak-to-sidelobe %.1f) were not confirmed at a second place in the recording: no common audio or too little speech", ErrNoMatch, unconfirmed, opt.Search, best.PSR)
	}
	return Window{}, 0, fmt.Errorf("%w: no clear correlation peak within ±%.0f s (best peak-to-sidelobe %.1f, want %.1f): no common audio or too little speech", ErrNoMatch, opt.Search, best.PSR, opt.MinPSR)
}

// strong reports whether w's peak is clear enough to trust.
func (m *measurer) strong(w Window) bool {
	return w.PSR >= m.opt.MinPSR && w.Confidence >= m.opt.MinConfidence
}

// confirmed probes elsewhere in the overlap w's offset implies (w was
// measured at tc with windows of pw seconds) and reports whether a second
// window agrees.
func (m *measurer) confirmed(w Window, tc, pw float64) bool {
	clo, chi := math.Max(0, -w.Offset), math.Min(m.tt, m.ta-w.Offset)
	for _, g := range []float64{0.5, 0.25, 0.75, 0.1, 0.9} {
		tc2 := clo + pw/2 + g*(chi-clo-pw)
		if math.Abs(tc2-tc) < pw || chi-clo < 2*pw {
			continue
		}
		margin := 0.05 + m.opt.MaxDrift*1e-6*math.Abs(tc2-tc)
		w2, err := measureWindow(m.anchor, m.track, tc2, pw, w.Offset, margin, 0, m.opt)
		if err == nil && m.strong(w2) {
			return true
		}
	}
	return false
}

// windows places the measuring windows over the overlap the probe gives:
// their centres and their length in seconds.
func (m *measurer) windows(best Window) ([]float64, float64, error) {
	lo := math.Max(0, -best.Offset)
	hi := math.Min(m.tt, m.ta-best.Offset)
	win := math.Min(m.opt.Window, hi-lo)
	if win < 1 {
		return nil, 0, fmt.Errorf("%w: the signals overlap by only %.2f s", ErrNoMatch, hi-lo)
	}
	n := m.opt.Windows
	if n <= 0 {
		n = int(math.Round((hi - lo) / 120))
		n = max(6, min(30, n))
	}
	centers := make([]float64, n)
	for i := range centers {
		if n == 1 {
			centers[i] = (lo + hi) / 2
		} else {
			centers[i] = lo + win/2 + float64(i)*(hi-lo-win)/float64(n-1)
		}
	}
	return centers, win, nil
}

// firstDrift measures short windows at both ends with a margin wide enough
// for any drift up to MaxDrift (pw seconds, as the probe's) for a first
// drift estimate. wide says the
// drift is still unknown (the fit is the probe's offset alone).
func (m *measurer) firstDrift(best Window, pw float64, centers []float64) (fit Fit, wide bool) {
	ends := []float64{centers[0], centers[len(centers)-1]}
	pts := []Window{best}
	for _, w := range parallel(ends, m.opt.Workers, func(tc float64) (Window, error) {
		margin := 0.05 + m.opt.MaxDrift*1e-6*math.Abs(tc-best.At)
		return measureWindow(m.anchor, m.track, tc, pw, best.Offset, margin, 0, m.opt)
	}) {
		if w.Note == "" && m.strong(w) {
			pts = append(pts, w)
		}
	}
	if len(pts) >= 2 {
		if f, err := fitLine(pts); err == nil {
			return f, false
		}
	}
	return Fit{Offset: best.Offset}, true
}

// refine measures every window, resampled by the drift estimate, in a
// narrow margin around the line, and fits them; it repeats while the drift
// moves.
func (m *measurer) refine(best Window, centers []float64, win float64, fit Fit, wide bool) ([]Window, Fit, error) {
	var ws []Window
	for iter := 0; iter < 3; iter++ {
		cur, wideNow := fit, wide
		ws = parallel(centers, m.opt.Workers, func(tc float64) (Window, error) {
			margin := 0.25
			if wideNow {
				margin += m.opt.MaxDrift * 1e-6 * math.Abs(tc-best.At)
			}
			return measureWindow(m.anchor, m.track, tc, win, cur.Map(tc)-tc, margin, cur.Slope, m.opt)
		})
		for i := range ws {
			if ws[i].Note == "" && !m.strong(ws[i]) {
				ws[i].Note = fmt.Sprintf("weak peak (psr %.1f, confidence %.2f)", ws[i].PSR, ws[i].Confidence)
			}
		}
		f, err := FitWindows(ws)
		if err != nil {
			return ws, fit, err
		}
		fit, wide = f, false
		if math.Abs(f.Slope-cur.Slope) < 2e-6 {
			break
		}
	}
	return ws, fit, nil
}

// parallel runs fn over xs with at most workers at once, keeping order. A
// window that fails is returned with its Note set.
func parallel(xs []float64, workers int, fn func(float64) (Window, error)) []Window {
	out := make([]Window, len(xs))
	sem := make(chan struct{}, max(1, workers))
	var wg sync.WaitGroup
	for i, x := range xs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w, err := fn(x)
			if err != nil {
				w = Window{At: x, Note: err.Error()}
			}
			out[i] = w
		}()
	}
	wg.Wait()
	return out
}

// measureWindow correlates the track window of length wl centred on track
// time tc against the anchor around the predicted offset guess (at tc) ±
// margin.
// slope is the drift used to resample the track window onto the anchor's
// clock. The returned offset is for track time Window.At.
func measureWindow(anchor, track Signal, tc, wl, guess, margin, slope float64, opt Options) (Window, error) {
	r := opt.Rate
	n := int(wl * r)
	x, xs, err := readWindow(track, tc-wl/2, n, r*(1+slope))
	if err != nil {
		return Window{}, err
	}
	// Anchor times the window may occupy.
	aStart := xs + guess + slope*(xs-tc) - margin
	an := int((wl*(1+slope) + 2*margin) * r)
	a, as, err := readWindow(anchor, aStart, an, r)
	if err != nil {
		return Window{}, err
	}
	m, err := Correlate(a, x, r, 0, len(a)-len(x))
	if err != nil {
		return Window{At: tc}, err
	}
	// The window's middle sample, on both clocks.
	mid := float64(n / 2)
	at := xs + mid/(r*(1+slope))
	w := Window{At: at, Match: m}
	w.Offset = as + (m.Lag+mid)/r - at
	return w, nil
}

// readWindow returns n samples of s at outRate on s's clock, starting as
// near track time start as the output grid allows, and that start time.
func readWindow(s Signal, start float64, n int, outRate float64) ([]float32, float64, error) {
	R := float64(s.Rate())
	margin := int64(0.05 * R)
	f0 := int64(math.Floor(start*R)) - margin
	nn := int(math.Ceil(float64(n)*R/outRate)) + 2*int(margin) + 2
	buf := make([]float32, nn)
	if err := s.ReadAt(buf, f0); err != nil {
		return nil, 0, err
	}
	out := buf
	if R != outRate {
		var err error
		out, err = Resample(buf, R, outRate, HQ)
		if err != nil {
			return nil, 0, err
		}
	}
	j0 := int(math.Round((start - float64(f0)/R) * outRate))
	if j0 < 0 {
		j0 = 0
	}
	if j0+n > len(out) {
		return nil, 0, fmt.Errorf("align: window at %.3f s: resampled %d samples, need %d", start, len(out), j0+n)
	}
	return out[j0 : j0+n], float64(f0)/R + float64(j0)/outRate, nil
}

// Fit is a line through the offsets: anchor time = t + Offset + Slope*t for
// track time t, possibly broken into segments by Steps.
type Fit struct {
	Offset      float64 `json:"offset"`       // seconds at track time 0 (first segment)
	Slope       float64 `json:"slope"`        // seconds of offset per second
	PPM         float64 `json:"drift_ppm"`    // Slope in parts per million
	RMS         float64 `json:"rms_residual"` // seconds, over the used windows
	MaxResidual float64 `json:"max_residual"` // seconds, largest |residual| of a used window
	Used        int     `json:"used"`         // windows in the fit
	Steps       []Step  `json:"steps,omitempty"`
}

// Step is a jump of the offset: audio lost or doubled in the track near
// track time At (a dropout, not drift).
type Step struct {
	At   float64 `json:"at"`   // track time between the last window before and the first after
	Jump float64 `json:"jump"` // change of the offset, seconds (positive: track audio was lost)
}

// Map returns the anchor time of track time t.
func (f Fit) Map(t float64) float64 {
	o := f.Offset + f.Slope*t
	for _, s := range f.Steps {
		if t >= s.At {
			o += s.Jump
		}
	}
	return t + o
}

// Unmap returns the track time of anchor time u (the inverse of Map).
func (f Fit) Unmap(u float64) float64 {
	t := (u - f.Offset) / (1 + f.Slope)
	for i := 0; i < 4; i++ { // steps shift the segment; settle in a few rounds
		t += u - f.Map(t)
	}
	return t
}

// stepMin is the smallest offset jump reported as a dropout.
const stepMin = 0.5e-3

// FitWindows fits a line through the windows that have no Note, drops
// outliers (residual above 4 robust standard deviations and 0.25 ms),
// detects a step (uneven residuals: a dropout) and sets Used, Residual and
// Segment on every window. It returns ErrNoMatch if fewer than 3 windows,
// or fewer than half of the measurable ones, agree.
func FitWindows(ws []Window) (Fit, error) {
	var idx []int
	for i := range ws {
		ws[i].Used = false
		if ws[i].Note == "" {
			idx = append(idx, i)
		}
	}
	if len(idx) < 3 {
		return Fit{}, fmt.Errorf("%w: only %d of %d windows have a clear peak (too little common speech)", ErrNoMatch, len(idx), len(ws))
	}
	pts := make([]Window, len(idx))
	for i, j := range idx {
		pts[i] = ws[j]
	}
	sort.Slice(pts, func(a, b int) bool { return pts[a].At < pts[b].At })
	var fit Fit
	if s, ok := findStep(pts); ok {
		fit.Steps = []Step{s}
	}
	used := make([]bool, len(pts))
	for i := range used {
		used[i] = true
	}
	for {
		var sel []Window
		for i, p := range pts {
			if used[i] {
				sel = append(sel, p)
			}
		}
		f, err := fitWithSteps(sel, fit.Steps)
		if err != nil {
			return Fit{}, err
		}
		res := make([]float64, 0, len(sel))
		worst, worstV := -1, 0.0
		for i, p := range pts {
			if !used[i] {
				continue
			}
			r := math.Abs(p.Offset + p.At - f.Map(p.At))
			res = append(res, r)
			if r > worstV {
				worst, worstV = i, r
			}
		}
		sort.Float64s(res)
		sigma := 1.4826 * res[len(res)/2]
		if worst >= 0 && worstV > math.Max(4*sigma, 0.25e-3) && len(sel) > 3 {
			used[worst] = false
			continue
		}
		fit = f
		break
	}
	nUsed := 0
	for _, u := range used {
		if u {
			nUsed++
		}
	}
	if nUsed < 3 || 2*nUsed < len(pts) {
		return Fit{}, fmt.Errorf("%w: only %d of %d windows agree on one line", ErrNoMatch, nUsed, len(pts))
	}
	// Write back.
	var ss float64
	for i := range ws {
		r := ws[i].Offset + ws[i].At - fit.Map(ws[i].At)
		ws[i].Residual = r
		for k, s := range fit.Steps {
			if ws[i].At >= s.At {
				ws[i].Segment = k + 1
			}
		}
		if ws[i].Note != "" {
			continue
		}
		for j, p := range pts {
			if p.At == ws[i].At && used[j] {
				ws[i].Used = true
			}
		}
		if ws[i].Used {
			ss += r * r
			fit.MaxResidual = math.Max(fit.MaxResidual, math.Abs(r))
		} else {
			ws[i].Note = fmt.Sprintf("outlier (residual %.2f ms)", r*1e3)
		}
	}
	fit.Used = nUsed
	fit.RMS = math.Sqrt(ss / float64(nUsed))
	return fit, nil
}

// fitLine is an ordinary least-squares line through the points.
func fitLine(pts []Window) (Fit, error) { return fitWithSteps(pts, nil) }

// fitWithSteps fits offset = a + b*t + Σ jump_k [t >= step_k] by least
// squares; the jumps are re-estimated, only their times are given.
func fitWithSteps(pts []Window, steps []Step) (Fit, error) {
	k := 2 + len(steps)
	if len(pts) < k {
		return Fit{}, fmt.Errorf("%w: %d points for %d unknowns", ErrNoMatch, len(pts), k)
	}
	// Normal equations, solved by Gaussian elimination (k is 2 or 3).
	A := make([][]float64, k)
	for i := range A {
		A[i] = make([]float64, k+1)
	}
	t0 := pts[0].At
	row := make([]float64, k)
	for _, p := range pts {
		row[0], row[1] = 1, p.At-t0
		for j, s := range steps {
			row[2+j] = 0
			if p.At >= s.At {
				row[2+j] = 1
			}
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				A[i][j] += row[i] * row[j]
			}
			A[i][k] += row[i] * p.Offset
		}
	}
	sol, ok := solve(A)
	if !ok {
		return Fit{}, fmt.Errorf("%w: the windows do not determine a line", ErrNoMatch)
	}
	f := Fit{Slope: sol[1], Offset: sol[0] - sol[1]*t0}
	f.PPM = f.Slope * 1e6
	for j, s := range steps {
		f.Steps = append(f.Steps, Step{At: s.At, Jump: sol[2+j]})
	}
	return f, nil
}

func solve(A [][]float64) ([]float64, bool) {
	k := len(A)
	for c := 0; c < k; c++ {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(A[r][c]) > math.Abs(A[p][c]) {
				p = r
			}
		}
		if math.Abs(A[p][c]) < 1e-12 {
			return nil, false
		}
		A[c], A[p] = A[p], A[c]
		for r := 0; r < k; r++ {
			if r == c {
				continue
			}
			f := A[r][c] / A[c][c]
			for j := c; j <= k; j++ {
				A[r][j] -= f * A[c][j]
			}
		}
	}
	x := make([]float64, k)
	for i := range x {
		x[i] = A[i][k] / A[i][i]
	}
	return x, true
}

// findStep looks for one jump in the offsets: the split that most reduces
// the squared error of a line with one shared slope. It reports a step only
// when the jump exceeds stepMin, both sides hold at least two windows and
// the split explains the residuals far better than one line.
func findStep(pts []Window) (Step, bool) {
	if len(pts) < 5 {
		return Step{}, false
	}
	one, err := fitLine(pts)
	if err != nil {
		return Step{}, false
	}
	rss := func(f Fit) float64 {
		var s float64
		for _, p := range pts {
			r := p.Offset + p.At - f.Map(p.At)
			s += r * r
		}
		return s
	}
	base := rss(one)
	bestRSS, best := base, Step{}
	for i := 2; i <= len(pts)-2; i++ {
		at := (pts[i-1].At + pts[i].At) / 2
		f, err := fitWithSteps(pts, []Step{{At: at}})
		if err != nil {
			continue
		}
		if r := rss(f); r < bestRSS {
			bestRSS, best = r, f.Steps[0]
		}
	}
	if math.Abs(best.Jump) < stepMin || bestRSS*20 > base {
		return Step{}, false
	}
	return best, true
}
