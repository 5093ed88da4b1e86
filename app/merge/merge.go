// Package merge puts two or more hosts' session folders on one timeline: it
// aligns their tracks (against the call recording when there is one, else
// against each other), measures and removes the clock drift between them,
// maps every host's markers onto the merged timeline and writes a merged
// session folder that `podmark export` takes, with merge-report.json
// (session.MergeReportFile).
//
// The first session is the master: its clock is the merged clock and its
// samples are copied unchanged; every other session is resampled with
// libsoxr so that it lines up with the master from first word to last.
package merge

import (
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

// ReportVersion is the version of the merge-report.json layout.
const ReportVersion = 1

// ErrCannotAlign reports tracks that could not be aligned reliably (no
// common audio, too little speech, or an offset outside the search range).
// The error also wraps align.ErrNoMatch.
var ErrCannotAlign = errors.New("merge: tracks cannot be aligned")

// ClockWarnMS is how far (ms) the room's clock estimate may be from the
// audio alignment before the report warns.
const ClockWarnMS = 20

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
	// CoarseSource is where the first guess of Offset came from:
	// "room_clock" (the show room's shared clock in session.json), "utc"
	// (the start times) or "none".
	CoarseSource string `json:"coarse_source"`
	// RoomClock is the shared clock's estimate of this session against the
	// master and how far it was from the audio alignment; absent when
	// neither session.json holds one.
	RoomClock *ClockCheck `json:"room_clock,omitempty"`
}

// ClockCheck compares the show room's clock estimate of a session with
// where the audio alignment put it.
type ClockCheck struct {
	From     string  `json:"from"`      // whose session.json held it: "master" or "session"
	Offset   float64 `json:"offset"`    // master time (s) of the session's sample 0, by the clock
	DriftPPM float64 `json:"drift_ppm"` // by the clock (0: not measured long enough)
	RTT      float64 `json:"rtt"`       // its best round trip, seconds
	// ErrorMS is the clock's Offset minus the audio alignment's, in ms;
	// EndErrorMS the same at the session's last sample (with both drifts).
	ErrorMS    float64 `json:"error_ms"`
	EndErrorMS float64 `json:"end_error_ms"`
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
	// clock maps this session's stream time to the master's by the room's
	// shared clock (nil when neither session.json relates the two).
	clock *ClockCheck
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
	m := &merger{opt: opt}
	defer func() { err = errors.Join(err, m.close()) }()
	if err := m.load(); err != nil {
		return m.rep, err
	}
	if opt.Reference != "" {
		err = m.alignToReference()
	} else {
		err = m.alignToMaster()
	}
	if err != nil {
		return m.rep, err
	}
	m.place()
	if err := m.write(began); err != nil {
		return m.rep, err
	}
	return m.rep, nil
}

// merger is one run of Merge, step by step: load, align (to the reference
// or to the master), place, write.
type merger struct {
	opt    Options
	ins    []*input
	master *input
	rate   int
	rep    Report
	ref    *decode.Source // the reference recording, when given
	// toMaster maps each session's time (s) to the master's clock; breaks
	// are the session times where that map jumps (dropouts).
	toMaster []func(float64) float64
	breaks   [][]float64
	t0       float64  // master time of merged frame 0
	total    int64    // merged frames
	plans    [][]span // per session: its frames on the merged timeline
}

// close releases the track readers and the reference.
func (m *merger) close() error {
	var errs []error
	for _, in := range m.ins {
		if in.tr != nil {
			errs = append(errs, in.tr.Close())
		}
	}
	if m.ref != nil {
		errs = append(errs, m.ref.Close())
	}
	return errors.Join(errs...)
}

// load checks the options and loads every session; the first is the
// master.
func (m *merger) load() error {
	opt := m.opt
	if len(opt.Sessions) < 2 {
		return fmt.Errorf("%w: need at least two session folders, got %d", ErrUsage, len(opt.Sessions))
	}
	if opt.Out == "" {
		return fmt.Errorf("%w: no output folder (--out)", ErrUsage)
	}
	if err := checkOut(opt.Out); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, dir := range opt.Sessions {
		abs, _ := filepath.Abs(dir)
		if seen[abs] {
			return fmt.Errorf("%w: session %q given twice", ErrUsage, dir)
		}
		seen[abs] = true
		in, err := load(dir)
		if err != nil {
			return err
		}
		in.master = i == 0
		m.ins = append(m.ins, in)
	}
	m.master = m.ins[0]
	m.rate = m.master.meta.Rate
	m.rep = Report{Version: ReportVersion, Out: opt.Out, Master: m.master.dir, Rate: m.rate, Warnings: []string{}}
	for _, in := range m.ins[1:] {
		in.clock = roomClock(m.master.meta, in.meta)
	}
	return nil
}

// roomName is the name a session's host has in the show room.
func roomName(m session.Meta) string {
	if m.RoomClock != nil && m.RoomClock.Host != "" {
		return m.RoomClock.Host
	}
	return m.Host
}

// roomClock relates session s to the master by the show room's clock: the
// master's estimate of s, else s's estimate of the master, inverted.
func roomClock(master, s session.Meta) *ClockCheck {
	if p, ok := master.RoomClock.Peer(roomName(s)); ok {
		return &ClockCheck{From: "master", Offset: p.Offset, DriftPPM: p.DriftPPM, RTT: p.RTT}
	}
	if p, ok := s.RoomClock.Peer(roomName(master)); ok {
		// s's time t = p.Offset + m*(1+d) for master time m: s's 0 is at
		// master time -p.Offset/(1+d), and a master second is 1/(1+d) of
		// s's.
		k := 1 + p.DriftPPM*1e-6
		return &ClockCheck{From: "session", Offset: -p.Offset / k, DriftPPM: (1/k - 1) * 1e6, RTT: p.RTT}
	}
	return nil
}

// coarse is the first guess of the master time of in's sample 0 and where
// it came from: the room clock, else the UTC start times.
func (m *merger) coarse(in *input) (float64, string) {
	switch {
	case in.master:
		return 0, "master"
	case in.clock != nil:
		return in.clock.Offset, "room_clock"
	case !in.utc0.IsZero() && !m.master.utc0.IsZero():
		return in.utc0.Sub(m.master.utc0).Seconds(), "utc"
	}
	return 0, "none"
}

// alignOptions are the options of one align.Measure run with the offset
// guessed at guess seconds.
func (m *merger) alignOptions(guess float64) align.Options {
	return align.Options{Search: m.opt.Search.Seconds(), Workers: m.opt.Workers, Guess: guess}
}

// alignToReference measures every session against the call recording and
// maps each onto the master's clock through it.
func (m *merger) alignToReference() error {
	ref, err := decode.Open(m.opt.Reference)
	if err != nil {
		return fmt.Errorf("merge: reference: %w", err)
	}
	m.ref = ref
	ri := ref.Info()
	m.rep.Reference = &Reference{File: m.opt.Reference, Format: ri.Format, Rate: ri.Rate, Seconds: float64(ri.Frames) / float64(ri.Rate), Delay: ri.Delay, DelaySource: ri.DelaySource}
	if ri.Format == "mp3" && ri.DelaySource != "LAME header" {
		m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("%s has no LAME header: its encoder delay is unknown (this shifts every host alike and does not affect their alignment)", m.opt.Reference))
	}
	// The reference is guessed to start with the earliest session.
	earliest := 0.0
	for _, in := range m.ins {
		c, _ := m.coarse(in)
		earliest = min(earliest, c)
	}
	// Every host against the reference, all at once: the probes are
	// serial work that overlaps well.
	results := make([]align.Result, len(m.ins))
	errs := make([]error, len(m.ins))
	var wg sync.WaitGroup
	for i, in := range m.ins {
		m.opt.Progress(fmt.Sprintf("aligning %s against %s", in.dir, m.opt.Reference))
		c, _ := m.coarse(in)
		a := m.alignOptions(c - earliest)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = align.Measure(ref, signal{in.tr}, a)
		}()
	}
	wg.Wait()
	for i, in := range m.ins {
		if errs[i] != nil {
			return fmt.Errorf("%w: %s against the reference %s: %w", ErrCannotAlign, in.dir, m.opt.Reference, errs[i])
		}
		res := results[i]
		in.fit = res.Fit
		in.rep.AlignedTo = "reference"
		in.rep.Fit, in.rep.Windows = &res.Fit, res.Windows
	}
	mf := m.master.fit
	for _, in := range m.ins {
		f := in.fit
		m.toMaster = append(m.toMaster, func(t float64) float64 { return mf.Unmap(f.Map(t)) })
		var bs []float64
		for _, s := range f.Steps {
			bs = append(bs, s.At)
		}
		for _, s := range mf.Steps {
			bs = append(bs, f.Unmap(mf.Map(s.At)))
		}
		m.breaks = append(m.breaks, bs)
	}
	m.toMaster[0] = func(t float64) float64 { return t }
	m.breaks[0] = nil
	return nil
}

// alignToMaster measures every other session against the master.
func (m *merger) alignToMaster() error {
	master := m.master
	m.toMaster = append(m.toMaster, func(t float64) float64 { return t })
	m.breaks = append(m.breaks, nil)
	master.rep.AlignedTo = "master"
	for _, in := range m.ins[1:] {
		m.opt.Progress(fmt.Sprintf("aligning %s against %s", in.dir, master.dir))
		guess, _ := m.coarse(in)
		res, err := align.Measure(signal{master.tr}, signal{in.tr}, m.alignOptions(guess))
		if err != nil {
			return fmt.Errorf("%w: %s against %s (no reference recording given): %w", ErrCannotAlign, in.dir, master.dir, err)
		}
		in.fit = res.Fit
		in.rep.AlignedTo = master.dir
		in.rep.Fit, in.rep.Windows = &res.Fit, res.Windows
		m.toMaster = append(m.toMaster, res.Fit.Map)
		var bs []float64
		for _, s := range res.Fit.Steps {
			bs = append(bs, s.At)
		}
		m.breaks = append(m.breaks, bs)
	}
	return nil
}

// place puts every session on the master's clock: the merged timeline
// starts at the earliest session's first sample. It fills in each
// session's report (start, offsets, drift, confidence) and the warnings.
func (m *merger) place() {
	master, rate := m.master, m.rate
	for i := range m.ins {
		m.t0 = math.Min(m.t0, m.toMaster[i](0))
	}
	m.plans = make([][]span, len(m.ins))
	for i, in := range m.ins {
		toMaster := m.toMaster[i]
		m.plans[i] = plan(in, toMaster, m.breaks[i], m.t0, rate)
		end := toMaster(float64(in.tl.frames) / float64(in.meta.Rate))
		m.total = max(m.total, int64(math.Round((end-m.t0)*float64(rate))))
		in.rep.Start = toMaster(0) - m.t0
		in.rep.Offset = toMaster(0)
		if !in.utc0.IsZero() && !master.utc0.IsZero() {
			in.rep.CoarseOffset = in.utc0.Sub(master.utc0).Seconds()
		}
		T := float64(in.tl.frames) / float64(in.meta.Rate)
		if T > 0 {
			in.rep.DriftPPM = ((toMaster(T)-toMaster(0))/T - 1) * 1e6
			for _, s := range in.fit.Steps {
				in.rep.DriftPPM = ((toMaster(T)-toMaster(0)-s.Jump)/T - 1) * 1e6
			}
		}
		in.rep.Resampled = !in.master
		_, in.rep.CoarseSource = m.coarse(in)
		if c := in.clock; c != nil {
			c.ErrorMS = (c.Offset - toMaster(0)) * 1e3
			c.EndErrorMS = (c.Offset + T*(1+c.DriftPPM*1e-6) - toMaster(T)) * 1e3
			in.rep.RoomClock = c
			if math.Abs(c.ErrorMS) > ClockWarnMS {
				m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("%s: the room's clock estimate was %+.1f ms from the audio alignment (more than the %.0f ms two sound cards' latencies explain); the audio alignment was used", in.dir, c.ErrorMS, float64(ClockWarnMS)))
			}
		}
		summarize(&in.rep)
		if in.rep.Fit != nil {
			for _, s := range in.rep.Fit.Steps {
				m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("%s: the offset jumps by %+.1f ms near %s (a dropout, not drift); the merge follows the jump", in.dir, s.Jump*1e3, clock(s.At)))
			}
			if in.rep.Fit.MaxResidual > 1e-3 {
				m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("%s: alignment residuals reach %.2f ms (goal 1 ms)", in.dir, in.rep.Fit.MaxResidual*1e3))
			}
		}
	}
	m.rep.Frames = m.total
	if !master.utc0.IsZero() {
		m.rep.StartUTC = master.utc0.Add(time.Duration(m.t0 * float64(time.Second)))
	}
}

// write writes the merged folder into a scratch folder next to Out, then
// renames it to Out: tracks, markers, session.json, merge-report.json.
func (m *merger) write(began time.Time) (err error) {
	out := m.opt.Out
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "."+filepath.Base(out)+".merging-")
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	tracks, err := m.writeAudio(tmp)
	if err != nil {
		return err
	}
	if err := m.writeMarkers(tmp); err != nil {
		return err
	}
	for _, in := range m.ins {
		m.rep.Sessions = append(m.rep.Sessions, in.rep)
	}
	if err := session.WriteMeta(tmp, m.meta(tracks)); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	m.rep.Seconds = time.Since(began).Seconds()
	if err := session.WriteJSON(filepath.Join(tmp, session.MergeReportFile), m.rep); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("merge: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	return nil
}

// writeAudio writes every session's tracks, placed on the merged timeline,
// into tmp/tracks, one file per host and channel, and returns them for
// session.json.
func (m *merger) writeAudio(tmp string) ([]session.Track, error) {
	if err := os.Mkdir(filepath.Join(tmp, session.TracksDir), 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	format, err := m.master.meta.Format()
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", m.master.dir, err)
	}
	var jobs []writeJob
	var tracks []session.Track
	used := map[string]bool{}
	for i, in := range m.ins {
		host := session.SanitizeName(in.meta.Host, "host")
		base := host
		for n := 2; used[base]; n++ {
			base = fmt.Sprintf("%s%d", host, n)
		}
		used[base] = true
		for k := range in.meta.Tracks {
			rel := fmt.Sprintf("%s/%s-%d.wav", session.TracksDir, base, k+1)
			tracks = append(tracks, session.Track{File: rel, Channel: len(tracks) + 1})
			in.rep.Tracks = append(in.rep.Tracks, rel)
			jobs = append(jobs, writeJob{path: filepath.Join(tmp, filepath.FromSlash(rel)), in: in, track: k, spans: m.plans[i]})
		}
	}
	rate := audio.SampleRate(m.rate)
	m.opt.Progress(fmt.Sprintf("writing %d tracks, %s long", len(jobs), clock(float64(m.total)/float64(m.rate))))
	wopt := audio.WriterOptions{Rate: rate, Channels: 1, Format: format,
		BEXT: &audio.BEXT{Description: "podmark merge", Originator: "podmark", Origination: m.rep.StartUTC}}
	if !m.rep.StartUTC.IsZero() {
		wopt.BEXT.TimeReference = audio.TimeReference(m.rep.StartUTC, rate)
	}
	return tracks, writeTracks(jobs, wopt, m.total, m.opt.Workers)
}

// writeMarkers maps every host's markers onto the merged timeline and
// writes the merged journal.
func (m *merger) writeMarkers(tmp string) error {
	ms, mrep := mapMarkers(m.ins, m.toMaster, m.t0, m.rate, audio.SampleRate(m.rate).N(m.opt.Duplicate))
	m.rep.Markers = mrep
	j, err := markers.OpenJournal(filepath.Join(tmp, session.JournalFile))
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	for _, mk := range ms {
		if err := j.Add(mk); err != nil {
			return errors.Join(fmt.Errorf("merge: %w", err), j.Close())
		}
	}
	if err := j.Close(); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	return nil
}

// meta is the merged folder's session.json: a stopped session with every
// host's tracks, on the master's clock.
func (m *merger) meta(tracks []session.Track) session.Meta {
	var hosts []string
	for _, in := range m.ins {
		hosts = append(hosts, in.meta.Host)
	}
	now := time.Now().UTC()
	return session.Meta{
		FormatVersion: session.FormatVersion, App: "podmark", AppVersion: session.AppVersion,
		Title: m.master.meta.Title, Host: strings.Join(hosts, "+"), Device: "merged", HostAPI: "podmark merge",
		Rate: m.rate, Bits: m.master.meta.Bits, Channels: len(tracks), Tracks: tracks,
		Created: now, StartUTC: m.rep.StartUTC, Anchors: []session.Anchor{}, Pauses: []session.Pause{},
		State: session.StateStopped, Frames: m.total, StreamFrames: m.total, Updated: now, EndUTC: now,
	}
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
