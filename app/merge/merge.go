// Package merge puts two or more hosts' session folders on one timeline: it
// aligns their tracks (against the call recording when there is one, else
// against each other), measures and removes the clock drift between them,
// maps every host's markers onto the merged timeline and writes a merged
// session folder that `podmark export` takes, with merge-report.json.
//
// The first session is the master: its clock is the merged clock and its
// samples are copied unchanged; every other session is resampled with
// libsoxr so that it lines up with the master from first word to last.
package merge

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
	"github.com/podmark/podmark/audio/decode"
	"github.com/podmark/podmark/markers"
)

// ReportFile is the name of the report written into the merged folder.
const ReportFile = "merge-report.json"

// ReportVersion is the version of the merge-report.json layout.
const ReportVersion = 1

// ErrCannotAlign reports tracks that could not be aligned reliably (no
// common audio, too little speech, or an offset outside the search range).
// The error also wraps align.ErrNoMatch.
var ErrCannotAlign = errors.New("merge: tracks cannot be aligned")

// ErrUsage reports bad options (too few sessions, an output folder in use).
var ErrUsage = errors.New("merge: bad options")

// Options configure Merge.
type Options struct {
	Sessions  []string      // session folders; the first one's clock is kept
	Reference string        // optional call recording with every voice (MP3, WAV or FLAC)
	Out       string        // merged session folder to create; must not exist or be empty
	Search    time.Duration // the true offset lies within ± this of the UTC guess; default 45 s
	Duplicate time.Duration // same-kind markers from different hosts this close are merged; default 2 s
	Workers   int           // parallel decodes and track writers; default GOMAXPROCS
	// Progress, when set, receives one line per step (from the calling goroutine).
	Progress func(string)
}

// Report is merge-report.json and what `podmark merge` prints.
type Report struct {
	Version   int             `json:"version"`
	Out       string          `json:"out"`
	Master    string          `json:"master"` // the session whose clock the timeline keeps
	Reference *Reference      `json:"reference,omitempty"`
	Rate      int             `json:"rate"`
	Frames    int64           `json:"frames"`
	StartUTC  time.Time       `json:"start_utc,omitzero"` // wall time of merged frame 0 (the master's clock)
	Sessions  []SessionReport `json:"sessions"`
	Markers   MarkerReport    `json:"markers"`
	Warnings  []string        `json:"warnings"`
	Seconds   float64         `json:"elapsed_seconds"` // wall time the merge took
}

// Reference describes the call recording used as the common anchor.
type Reference struct {
	File        string  `json:"file"`
	Format      string  `json:"format"`
	Rate        int     `json:"rate"`
	Seconds     float64 `json:"seconds"`
	Delay       int     `json:"decoder_delay"` // samples removed from the decoder's output (MP3)
	DelaySource string  `json:"delay_source,omitempty"`
}

// SessionReport is how one session was placed.
type SessionReport struct {
	Dir    string   `json:"dir"`
	Host   string   `json:"host"`
	Tracks []string `json:"tracks"` // output files, relative to the merged folder
	// Start is where the session's first sample lands on the merged
	// timeline, seconds.
	Start float64 `json:"start"`
	// Offset is the master time of this session's time 0 (seconds); the
	// master's is 0. CoarseOffset is the same from the UTC start times.
	Offset       float64 `json:"offset"`
	CoarseOffset float64 `json:"coarse_offset"`
	// DriftPPM is master seconds per session second, minus one, in parts
	// per million: positive when this session's clock runs slow.
	DriftPPM float64 `json:"drift_ppm"`
	// Confidence (0..1) and PSR are the medians over the windows used.
	Confidence float64 `json:"confidence"`
	PSR        float64 `json:"psr"`
	// AlignedTo is "reference" or the master session's folder; Fit and
	// Windows are this session's measurements against it (times on the
	// session's own clock; residuals in seconds).
	AlignedTo string         `json:"aligned_to"`
	Fit       *align.Fit     `json:"fit,omitempty"`
	Windows   []align.Window `json:"windows,omitempty"`
	Resampled bool           `json:"resampled"`
}

// MarkerReport counts the markers.
type MarkerReport struct {
	In     int `json:"in"`     // markers read from every host
	Out    int `json:"out"`    // markers in the merged journal
	Merged int `json:"merged"` // near-duplicates folded into another host's marker
}

// input is one loaded session.
type input struct {
	dir    string
	meta   session.Meta
	doc    markers.Doc
	tl     timeline
	tr     *trackReader
	utc0   time.Time // wall time of stream frame 0 (zero when unknown)
	rep    SessionReport
	fit    align.Fit // against the anchor
	master bool
}

func (o *Options) defaults() {
	if o.Search <= 0 {
		o.Search = 45 * time.Second
	}
	if o.Duplicate <= 0 {
		o.Duplicate = 2 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// Merge aligns the sessions, writes the merged folder and returns the
// report. Nothing is left at Out on error.
func Merge(opt Options) (rep Report, err error) {
	began := time.Now()
	opt.defaults()
	if len(opt.Sessions) < 2 {
		return rep, fmt.Errorf("%w: need at least two session folders, got %d", ErrUsage, len(opt.Sessions))
	}
	if opt.Out == "" {
		return rep, fmt.Errorf("%w: no output folder (--out)", ErrUsage)
	}
	if err := checkOut(opt.Out); err != nil {
		return rep, err
	}
	seen := map[string]bool{}
	var ins []*input
	defer func() {
		for _, in := range ins {
			if in.tr != nil {
				err = errors.Join(err, in.tr.Close())
			}
		}
	}()
	for i, dir := range opt.Sessions {
		abs, _ := filepath.Abs(dir)
		if seen[abs] {
			return rep, fmt.Errorf("%w: session %q given twice", ErrUsage, dir)
		}
		seen[abs] = true
		in, err := load(dir)
		if err != nil {
			return rep, err
		}
		in.master = i == 0
		ins = append(ins, in)
	}
	master := ins[0]
	rate := master.meta.Rate
	rep = Report{Version: ReportVersion, Out: opt.Out, Master: master.dir, Rate: rate, Warnings: []string{}}

	// Alignment.
	aopt := align.Options{Search: opt.Search.Seconds(), Workers: opt.Workers}
	var toMaster []func(float64) float64
	var breaks [][]float64
	if opt.Reference != "" {
		ref, err := decode.Open(opt.Reference)
		if err != nil {
			return rep, fmt.Errorf("merge: reference: %w", err)
		}
		defer func() { err = errors.Join(err, ref.Close()) }()
		ri := ref.Info()
		rep.Reference = &Reference{File: opt.Reference, Format: ri.Format, Rate: ri.Rate, Seconds: float64(ri.Frames) / float64(ri.Rate), Delay: ri.Delay, DelaySource: ri.DelaySource}
		if ri.Format == "mp3" && ri.DelaySource != "LAME header" {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s has no LAME header: its encoder delay is unknown (this shifts every host alike and does not affect their alignment)", opt.Reference))
		}
		earliest := earliestUTC(ins)
		// Every host against the reference, all at once: the probes are
		// serial work that overlaps well.
		results := make([]align.Result, len(ins))
		errs := make([]error, len(ins))
		var wg sync.WaitGroup
		for i, in := range ins {
			guess := 0.0
			if !in.utc0.IsZero() && !earliest.IsZero() {
				guess = in.utc0.Sub(earliest).Seconds()
			}
			opt.Progress(fmt.Sprintf("aligning %s against %s", in.dir, opt.Reference))
			a := aopt
			a.Guess = guess
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = align.Measure(ref, signal{in.tr}, a)
			}()
		}
		wg.Wait()
		for i, in := range ins {
			if errs[i] != nil {
				return rep, fmt.Errorf("%w: %s against the reference %s: %w", ErrCannotAlign, in.dir, opt.Reference, errs[i])
			}
			res := results[i]
			in.fit = res.Fit
			in.rep.AlignedTo = "reference"
			in.rep.Fit, in.rep.Windows = &res.Fit, res.Windows
		}
		mf := master.fit
		for _, in := range ins {
			f := in.fit
			toMaster = append(toMaster, func(t float64) float64 { return mf.Unmap(f.Map(t)) })
			var bs []float64
			for _, s := range f.Steps {
				bs = append(bs, s.At)
			}
			for _, s := range mf.Steps {
				bs = append(bs, f.Unmap(mf.Map(s.At)))
			}
			breaks = append(breaks, bs)
		}
		toMaster[0] = func(t float64) float64 { return t }
		breaks[0] = nil
	} else {
		toMaster = append(toMaster, func(t float64) float64 { return t })
		breaks = append(breaks, nil)
		master.rep.AlignedTo = "master"
		for _, in := range ins[1:] {
			guess := 0.0
			if !in.utc0.IsZero() && !master.utc0.IsZero() {
				guess = in.utc0.Sub(master.utc0).Seconds()
			}
			opt.Progress(fmt.Sprintf("aligning %s against %s", in.dir, master.dir))
			a := aopt
			a.Guess = guess
			res, err := align.Measure(signal{master.tr}, signal{in.tr}, a)
			if err != nil {
				return rep, fmt.Errorf("%w: %s against %s (no reference recording given): %w", ErrCannotAlign, in.dir, master.dir, err)
			}
			in.fit = res.Fit
			in.rep.AlignedTo = master.dir
			in.rep.Fit, in.rep.Windows = &res.Fit, res.Windows
			f := res.Fit
			toMaster = append(toMaster, f.Map)
			var bs []float64
			for _, s := range f.Steps {
				bs = append(bs, s.At)
			}
			breaks = append(breaks, bs)
		}
	}

	// Place every session on the master's clock.
	t0 := 0.0
	for i, in := range ins {
		t0 = math.Min(t0, toMaster[i](0))
		_ = in
	}
	var total int64
	plans := make([][]span, len(ins))
	for i, in := range ins {
		plans[i] = plan(in, toMaster[i], breaks[i], t0, rate)
		end := toMaster[i](float64(in.tl.frames) / float64(in.meta.Rate))
		total = max(total, int64(math.Round((end-t0)*float64(rate))))
		in.rep.Start = toMaster[i](0) - t0
		in.rep.Offset = toMaster[i](0)
		if !in.utc0.IsZero() && !master.utc0.IsZero() {
			in.rep.CoarseOffset = in.utc0.Sub(master.utc0).Seconds()
		}
		T := float64(in.tl.frames) / float64(in.meta.Rate)
		if T > 0 {
			in.rep.DriftPPM = ((toMaster[i](T)-toMaster[i](0))/T - 1) * 1e6
			for _, s := range in.fit.Steps {
				in.rep.DriftPPM = ((toMaster[i](T)-toMaster[i](0)-s.Jump)/T - 1) * 1e6
			}
		}
		in.rep.Resampled = !in.master
		summarize(&in.rep)
		if in.rep.Fit != nil {
			for _, s := range in.rep.Fit.Steps {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: the offset jumps by %+.1f ms near %s (a dropout, not drift); the merge follows the jump", in.dir, s.Jump*1e3, clock(s.At)))
			}
			if in.rep.Fit.MaxResidual > 1e-3 {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: alignment residuals reach %.2f ms (goal 1 ms)", in.dir, in.rep.Fit.MaxResidual*1e3))
			}
		}
	}
	rep.Frames = total
	if !master.utc0.IsZero() {
		rep.StartUTC = master.utc0.Add(time.Duration(t0 * float64(time.Second)))
	}

	// Write into a scratch folder next to Out, then rename.
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(opt.Out)), "."+filepath.Base(opt.Out)+".merging-")
	if err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Mkdir(filepath.Join(tmp, session.TracksDir), 0o755); err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	format, err := master.meta.Format()
	if err != nil {
		return rep, fmt.Errorf("merge: %s: %w", master.dir, err)
	}
	var jobs []writeJob
	var metaTracks []session.Track
	used := map[string]bool{}
	for i, in := range ins {
		host := session.SanitizeName(in.meta.Host, "host")
		base := host
		for n := 2; used[base]; n++ {
			base = fmt.Sprintf("%s%d", host, n)
		}
		used[base] = true
		for k := range in.meta.Tracks {
			rel := fmt.Sprintf("%s/%s-%d.wav", session.TracksDir, base, k+1)
			metaTracks = append(metaTracks, session.Track{File: rel, Channel: len(metaTracks) + 1})
			in.rep.Tracks = append(in.rep.Tracks, rel)
			jobs = append(jobs, writeJob{path: filepath.Join(tmp, filepath.FromSlash(rel)), in: in, track: k, spans: plans[i]})
		}
	}
	opt.Progress(fmt.Sprintf("writing %d tracks, %s long", len(jobs), clock(float64(total)/float64(rate))))
	wopt := audio.WriterOptions{Rate: audio.SampleRate(rate), Channels: 1, Format: format,
		BEXT: &audio.BEXT{Description: "podmark merge", Originator: "podmark", Origination: rep.StartUTC}}
	if !rep.StartUTC.IsZero() {
		wopt.BEXT.TimeReference = audio.TimeReference(rep.StartUTC, audio.SampleRate(rate))
	}
	if err := writeTracks(jobs, wopt, total, opt.Workers); err != nil {
		return rep, err
	}

	// Markers.
	ms, mrep := mapMarkers(ins, toMaster, t0, rate, audio.SampleRate(rate).N(opt.Duplicate))
	rep.Markers = mrep
	j, err := markers.OpenJournal(filepath.Join(tmp, session.JournalFile))
	if err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	for _, m := range ms {
		if err := j.Add(m); err != nil {
			return rep, errors.Join(fmt.Errorf("merge: %w", err), j.Close())
		}
	}
	if err := j.Close(); err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}

	// session.json.
	var hosts []string
	for _, in := range ins {
		hosts = append(hosts, in.meta.Host)
		rep.Sessions = append(rep.Sessions, in.rep)
	}
	now := time.Now().UTC()
	meta := session.Meta{
		FormatVersion: session.FormatVersion, App: "podmark", AppVersion: session.AppVersion,
		Title: master.meta.Title, Host: strings.Join(hosts, "+"), Device: "merged", HostAPI: "podmark merge",
		Rate: rate, Bits: master.meta.Bits, Channels: len(metaTracks), Tracks: metaTracks,
		Created: now, StartUTC: rep.StartUTC, Anchors: []session.Anchor{}, Pauses: []session.Pause{},
		State: session.StateStopped, Frames: total, StreamFrames: total, Updated: now, EndUTC: now,
	}
	if err := writeJSON(filepath.Join(tmp, session.MetaFile), meta); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(began).Seconds()
	if err := writeJSON(filepath.Join(tmp, ReportFile), rep); err != nil {
		return rep, err
	}
	if err := os.Remove(opt.Out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("merge: %w", err)
	}
	if err := os.Rename(tmp, opt.Out); err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	return rep, nil
}

// checkOut accepts a folder that does not exist yet or is empty.
func checkOut(dir string) error {
	es, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Dir(filepath.Clean(dir))); err != nil {
			return fmt.Errorf("%w: --out %q: parent folder: %v", ErrUsage, dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: --out %q: %v", ErrUsage, dir, err)
	}
	if len(es) > 0 {
		return fmt.Errorf("%w: --out %q exists and is not empty", ErrUsage, dir)
	}
	return nil
}

func load(dir string) (*input, error) {
	m, err := session.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if m.State.Unfinished() {
		return nil, fmt.Errorf("%w: %s was not finalized (state %s): run podmark recover %s first", ErrUsage, dir, m.State, dir)
	}
	doc, _, err := session.LoadDocWarnings(dir)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	tl, err := newTimeline(m)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", dir, err)
	}
	tr, err := openTracks(dir, m, tl)
	if err != nil {
		return nil, err
	}
	in := &input{dir: dir, meta: m, doc: doc, tl: tl, tr: tr}
	in.rep = SessionReport{Dir: dir, Host: m.Host}
	switch {
	case !m.StartUTC.IsZero():
		in.utc0 = m.StartUTC
	case len(m.Anchors) > 0:
		a := m.Anchors[0]
		s := tl.stream(a.Sample, func(p session.Pause) bool { return !a.UTC.Before(p.StartUTC) })
		in.utc0 = a.UTC.Add(-audio.SampleRate(m.Rate).D(s))
	}
	return in, nil
}

func earliestUTC(ins []*input) time.Time {
	var t time.Time
	for _, in := range ins {
		if !in.utc0.IsZero() && (t.IsZero() || in.utc0.Before(t)) {
			t = in.utc0
		}
	}
	return t
}

// summarize sets the confidence figures from the used windows.
func summarize(r *SessionReport) {
	var cs, ps []float64
	for _, w := range r.Windows {
		if w.Used {
			cs = append(cs, w.Confidence)
			ps = append(ps, w.PSR)
		}
	}
	r.Confidence, r.PSR = median(cs), median(ps)
	if r.Fit == nil { // the master against itself
		r.Confidence = 1
	}
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	sort.Float64s(x)
	return x[len(x)/2]
}

// clock formats seconds as H:MM:SS.mmm.
func clock(s float64) string {
	return markers.Clock(time.Duration(math.Round(s*1000))*time.Millisecond, markers.ClockLog)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("merge: encode %s: %w", filepath.Base(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return errors.Join(fmt.Errorf("merge: write %q: %w", path, err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("merge: sync %q: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("merge: close %q: %w", path, err)
	}
	return nil
}
