package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// Config describes a session to record.
type Config struct {
	Dir      string // the session folder to create (must not exist or be empty)
	Title    string // episode title, free text
	Host     string // host name; "" = the machine's name. Sanitized in file names.
	Device   string // device index or exact name, "" = default input; "ramp[:N][:fast|:xF]" = the fake source (see RampDevice)
	Channels int    // input channels to record, 1..device maximum; 0 = 1
	Rate     audio.SampleRate
	Format   audio.SampleFormat // 0 = 24-bit
	// Source, when not nil, is used instead of opening Device; the session
	// owns it from New on and closes it when it stops (or when New fails).
	Source audio.Source

	FramesPerBuffer int           // source buffer size; 0 = the device's choice (1024 for the ramp)
	SyncEvery       time.Duration // header patch + fsync period of the tracks; 0 = DefaultSyncEvery
	StallTimeout    time.Duration // no buffers this long = device lost; 0 = 2 s
	RF64Threshold   int64         // data size at which tracks become RF64; 0 = 4 GiB
	// QueueDir is where a recording (from a real device or the ramp) keeps
	// its persistent capture queue (see CaptureQueue); "" = DefaultQueueDir,
	// "-" = none (the queue in ordinary memory, and the writer wakes every
	// 150 ms instead of about every second).
	QueueDir string
	// RampReport, with the fake "ramp" device, names a file where the
	// source's delivered frame count is written every 5 ms (for tests that
	// kill the process and measure what was lost).
	RampReport string

	queueFile, queueTag string // chosen by New for OpenSource
}

// DefaultSyncEvery is the longest time between patches of the tracks'
// headers and fsyncs of the files (a power loss loses at most this much). A kill -9 loses less:
// what the writer has not written yet is still in the capture queue, which
// recover writes out.
const DefaultSyncEvery = time.Second

// Status is a snapshot for status lines and meters.
type Status struct {
	State  State
	Frames int64 // frames written to each track (file frames)
	// Position is the file frame of "now" while recording (the pause
	// point while paused): Frames plus what the writer, which wakes about
	// once a second, has yet to take. Frames once stopped.
	Position int64
	Elapsed  time.Duration // Position as time
	Levels   []audio.Level // per channel, linear 0..1
	Dropped  int64         // frames lost and replaced by silence
	Glitches int64         // glitch events (each also a glitch marker)
	Skipped  int64         // stream frames discarded while paused
}

// Hooks are called from engine goroutines (never the audio callback); they
// must not block for long. A UI wraps them to hop onto its own thread.
type Hooks struct {
	OnMarker func(markers.Marker) // a marker was journaled (user or glitch)
	OnState  func(State)          // the state changed
	OnError  func(error)          // the session stopped by itself (device lost, disk full...)
}

// Session is one recording. Its methods are concurrent-safe.
type Session struct {
	dir  string
	rate audio.SampleRate
	src  audio.Source
	rec  *audio.Recorder

	mu        sync.RWMutex // state, meta, pause bookkeeping
	meta      Meta
	state     State
	pauseBase int64 // Stats().StreamFrames when the open pause began
	done      chan struct{}
	err       error
	stopLoop  chan struct{}
	loopDone  chan struct{}

	mkMu    sync.Mutex // journal and marker list (also used by the writer goroutine)
	journal *markers.Journal
	marks   []markers.Marker
	pub     Publisher // the room, or nil; see SetPublisher

	hooksMu sync.Mutex
	hooks   Hooks
	watch   watchers // Watch (watch.go)

	onceStop sync.Once
}

// New validates cfg completely (folder, channels, rate, bit depth, device)
// before it creates anything, then creates the session folder with
// session.json (state "created"), an empty markers.jsonl and tracks/, and
// prepares the recorder. On error nothing is left on disk and the error
// wraps ErrConfig, audio.ErrNoDevice or audio.ErrBadRate where it applies.
func New(cfg Config) (*Session, error) {
	src := cfg.Source
	closeSrc := func() {
		if src != nil {
			src.Close()
			if q := src.Queue(); q != nil && q.File() != "" {
				_ = audio.RemoveQueue(q.File()) // nothing was recorded; New's error says what failed
			}
		}
	}
	norm, err := normalize(cfg)
	if err != nil {
		closeSrc()
		return nil, err
	}
	cfg = norm
	existed, err := checkOutDir(cfg.Dir)
	if err != nil {
		closeSrc()
		return nil, err
	}
	if src == nil {
		if cfg.queueFile, cfg.queueTag, err = newQueueName(cfg.QueueDir); err != nil {
			return nil, err
		}
		if src, err = OpenSource(cfg); err != nil {
			return nil, err
		}
	}
	s := &Session{dir: cfg.Dir, rate: cfg.Rate, src: src, state: StateCreated, done: make(chan struct{})}
	s.meta = newMeta(cfg, src)
	paths := make([]string, cfg.Channels)
	for ch := 1; ch <= cfg.Channels; ch++ {
		rel := TrackFile(cfg.Host, ch)
		s.meta.Tracks = append(s.meta.Tracks, Track{File: rel, Channel: ch})
		paths[ch-1] = filepath.Join(cfg.Dir, filepath.FromSlash(rel))
	}

	// The recorder checks its configuration but creates the track files
	// only in Start.
	s.rec, err = audio.NewRecorder(audio.RecorderConfig{
		Source: src, Channels: cfg.Channels, Rate: cfg.Rate, Format: cfg.Format,
		Tracks:        paths,
		BEXT:          audio.BEXT{Description: cfg.Title, Originator: "podmark " + AppVersion, OriginatorReference: cfg.Host},
		SyncEvery:     cfg.SyncEvery,
		RF64Threshold: cfg.RF64Threshold,
		StallTimeout:  cfg.StallTimeout,
		OnGlitch:      s.onGlitch,
		OnDrained:     s.onDrained,
	})
	if err != nil {
		closeSrc()
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.register() // before session.json exists: a reader that finds it finds the Session
	if err := s.createFolder(existed); err != nil {
		s.unregister()
		if s.journal != nil {
			s.journal.Close()
		}
		closeSrc()
		removeCreated(cfg.Dir, existed)
		return nil, err
	}
	return s, nil
}

// newMeta is the session.json of a session not started yet.
func newMeta(cfg Config, src audio.Source) Meta {
	device, hostAPI := src.Info()
	now := time.Now().UTC()
	m := Meta{
		FormatVersion: FormatVersion, App: "podmark", AppVersion: AppVersion,
		Title: cfg.Title, Host: cfg.Host, Device: device, HostAPI: hostAPI,
		Rate: int(cfg.Rate), Bits: cfg.Format.String(), Channels: cfg.Channels,
		Created: now, Updated: now, State: StateCreated,
		Anchors: []Anchor{}, Pauses: []Pause{},
	}
	if q := src.Queue(); q != nil && q.File() != "" {
		m.CaptureQueue = &CaptureQueue{File: q.File(), Tag: cfg.queueTag}
	}
	return m
}

// createFolder creates the session folder (unless it existed, empty),
// its tracks folder, session.json and the journal.
func (s *Session) createFolder(existed bool) error {
	dir := s.dir
	if !existed {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return fmt.Errorf("session: create %q: %w", dir, err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, TracksDir), 0o755); err != nil {
		return fmt.Errorf("session: create %q: %w", filepath.Join(dir, TracksDir), err)
	}
	if err := WriteMeta(dir, s.meta); err != nil {
		return err
	}
	var err error
	if s.journal, err = markers.OpenJournal(filepath.Join(dir, JournalFile)); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return syncDir(dir)
}

// removeCreated undoes a failed createFolder: it empties a folder that
// existed (it was empty) and removes one it created.
func removeCreated(dir string, existed bool) {
	if !existed {
		os.RemoveAll(dir)
		return
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// normalize fills defaults and checks everything that needs no device.
func normalize(cfg Config) (Config, error) {
	if cfg.Channels == 0 {
		cfg.Channels = 1
	}
	if cfg.Channels < 1 {
		return cfg, fmt.Errorf("%w: channels %d (want 1 or more)", ErrConfig, cfg.Channels)
	}
	if cfg.Rate == 0 {
		cfg.Rate = 48000
	}
	if cfg.Rate != 44100 && cfg.Rate != 48000 {
		return cfg, fmt.Errorf("%w: %w: %d Hz (want 44100 or 48000)", ErrConfig, audio.ErrBadRate, cfg.Rate)
	}
	if cfg.Format == 0 {
		cfg.Format = audio.Int24
	}
	if cfg.Format != audio.Int16 && cfg.Format != audio.Int24 && cfg.Format != audio.Float32 {
		return cfg, fmt.Errorf("%w: %w: %v", ErrConfig, audio.ErrBadFormat, cfg.Format)
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost()
	}
	if cfg.SyncEvery == 0 {
		cfg.SyncEvery = DefaultSyncEvery
	}
	if cfg.FramesPerBuffer != 0 && (cfg.FramesPerBuffer < 16 || cfg.FramesPerBuffer > 1<<16) {
		return cfg, fmt.Errorf("%w: frames per buffer %d", ErrConfig, cfg.FramesPerBuffer)
	}
	return cfg, nil
}

// SetHooks replaces the event hooks.
func (s *Session) SetHooks(h Hooks) {
	s.hooksMu.Lock()
	s.hooks = h
	s.hooksMu.Unlock()
}

func (s *Session) getHooks() Hooks {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	return s.hooks
}

func (s *Session) emitState(st State) {
	if f := s.getHooks().OnState; f != nil {
		f(st)
	}
	s.signalWatchers()
}

// Dir is the session folder.
func (s *Session) Dir() string { return s.dir }

// Meta returns a copy of the current session.json content.
func (s *Session) Meta() Meta {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.meta.clone()
}

// Done is closed when the session has stopped, by Stop or by itself.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the session stopped by itself (device lost, write error, disk
// full), or the error Stop returned; nil while running and after a clean stop.
func (s *Session) Err() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.err
}

// Start starts capture. Sample 0 is the first frame the source delivers.
func (s *Session) Start() error {
	s.mu.Lock()
	if s.state != StateCreated {
		st := s.state
		s.mu.Unlock()
		return fmt.Errorf("%w: start in state %s", ErrState, st)
	}
	start, err := s.rec.Start()
	if err != nil {
		s.mu.Unlock()
		err = fmt.Errorf("session: start: %w", err)
		s.finish(StateFailed, err)
		return err
	}
	pos := s.rec.Position()
	mono, stream := monotonic(), s.src.Now()
	lag := s.rate.Seconds(pos)
	s.meta.StartUTC = start.UTC()
	s.meta.StartMono = mono - lag
	s.meta.StartStream = stream - lag
	s.meta.Anchors = append(s.meta.Anchors, Anchor{Sample: 0, UTC: start.UTC()})
	s.state, s.meta.State = StateRecording, StateRecording
	err = s.saveLocked()
	s.stopLoop, s.loopDone = make(chan struct{}), make(chan struct{})
	s.mu.Unlock()
	go s.loop()
	s.emitState(StateRecording)
	if err != nil {
		return err
	}
	return nil
}

// loop adds an anchor every AnchorEvery and watches for the recorder
// stopping by itself.
func (s *Session) loop() {
	defer close(s.loopDone)
	t := time.NewTicker(AnchorEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stopLoop:
			return
		case <-s.rec.Done():
			select {
			case <-s.stopLoop: // Stop is finishing the recorder
				return
			default:
			}
			err := s.rec.Err()
			if err == nil {
				err = errors.New("session: recorder stopped")
			}
			go s.finish(StateFailed, fmt.Errorf("session: recording stopped: %w", err))
			return
		case <-t.C:
			s.mu.Lock()
			if s.state == StateRecording {
				s.meta.Anchors = append(s.meta.Anchors, Anchor{Sample: s.rec.Position(), UTC: time.Now().UTC()})
			}
			var err error
			if s.state == StateRecording || s.state == StatePaused {
				s.refreshLocked()
				err = s.saveLocked()
			}
			s.mu.Unlock()
			if f := s.getHooks().OnError; err != nil && f != nil {
				f(err)
			}
		}
	}
}

// refreshLocked copies the recorder's counters into meta.
func (s *Session) refreshLocked() {
	st := s.rec.Stats()
	s.meta.Frames, s.meta.StreamFrames, s.meta.Dropped, s.meta.Glitches = st.Frames, st.StreamFrames, st.Dropped, st.Glitches
}

func (s *Session) saveLocked() error {
	s.meta.Updated = time.Now().UTC()
	return WriteMeta(s.dir, s.meta)
}

// Pause stops writing frames; the stream keeps running and the frames it
// delivers are counted, so the pause is recorded as a span in session.json.
func (s *Session) Pause() error {
	s.mu.Lock()
	if s.state != StateRecording {
		st := s.state
		s.mu.Unlock()
		return fmt.Errorf("%w: pause in state %s", ErrState, st)
	}
	at := s.rec.Pause()
	s.pauseBase = s.rec.Stats().StreamFrames
	s.meta.Pauses = append(s.meta.Pauses, Pause{At: at, StartUTC: time.Now().UTC()})
	s.state, s.meta.State = StatePaused, StatePaused
	s.refreshLocked()
	err := s.saveLocked()
	s.mu.Unlock()
	s.emitState(StatePaused)
	return err
}

// Resume continues writing after Pause.
func (s *Session) Resume() error {
	s.mu.Lock()
	if s.state != StatePaused {
		st := s.state
		s.mu.Unlock()
		return fmt.Errorf("%w: resume in state %s", ErrState, st)
	}
	skipped := s.rec.Resume()
	p := &s.meta.Pauses[len(s.meta.Pauses)-1]
	p.Skipped, p.EndUTC = skipped, time.Now().UTC()
	s.state, s.meta.State = StateRecording, StateRecording
	s.refreshLocked()
	err := s.saveLocked()
	s.mu.Unlock()
	s.emitState(StateRecording)
	return err
}

// Stop finalizes the tracks, the journal and session.json (state
// "stopped"). It is safe to call more than once and after the session
// stopped by itself; it returns the first error of the recording.
func (s *Session) Stop() error {
	s.finish(StateStopped, nil)
	<-s.done
	return s.Err()
}

// finish stops everything once. cause != nil marks the session failed.
func (s *Session) finish(final State, cause error) {
	s.onceStop.Do(func() {
		s.mu.Lock()
		started := s.state == StateRecording || s.state == StatePaused
		wasPaused := s.state == StatePaused
		s.state = final // Mark and Pause now fail with ErrState
		s.mu.Unlock()
		if s.stopLoop != nil {
			close(s.stopLoop)
			if cause == nil {
				<-s.loopDone
			}
		}
		var errs []error
		if cause != nil {
			errs = append(errs, cause)
		}
		if started {
			// The recorder's error is the cause when it stopped by itself.
			if err := s.rec.Stop(); err != nil && cause == nil {
				errs = append(errs, fmt.Errorf("session: %w", err))
			}
		}
		if err := s.src.Close(); err != nil {
			errs = append(errs, fmt.Errorf("session: close source: %w", err))
		}
		s.mkMu.Lock()
		if err := s.journal.Close(); err != nil {
			errs = append(errs, fmt.Errorf("session: %w", err))
		}
		s.journal = nil
		s.mkMu.Unlock()

		s.mu.Lock()
		if started {
			s.refreshLocked()
			// After a write error the files hold fewer frames than were
			// handed to the writer: session.json states what is on disk.
			if n, err := trackFrames(s.dir, s.meta.Tracks); err != nil {
				errs = append(errs, err)
			} else if n != s.meta.Frames {
				s.meta.Frames = n
			}
		}
		if wasPaused && len(s.meta.Pauses) > 0 {
			p := &s.meta.Pauses[len(s.meta.Pauses)-1]
			p.Skipped = s.meta.StreamFrames - s.pauseBase
			p.EndUTC = time.Now().UTC()
		}
		if len(errs) > 0 {
			final = StateFailed
		}
		s.state, s.meta.State = final, final
		s.meta.EndUTC = time.Now().UTC()
		if len(errs) > 0 {
			s.meta.Error = errors.Join(errs...).Error()
		}
		if err := s.saveLocked(); err != nil {
			errs = append(errs, err)
		}
		if q := s.meta.CaptureQueue; q != nil && (len(errs) == 0 || !started || errors.Is(cause, audio.ErrDeviceLost)) {
			// Everything it held is in the tracks (or it never held
			// anything; a lost device stops delivering, and the writer
			// wrote all it had). After a write error it stays: what the
			// writer could not write is still in it, and Recover writes
			// it out (for example once the disk has room).
			if err := audio.RemoveQueue(q.File); err != nil {
				errs = append(errs, fmt.Errorf("session: %w", err))
			}
		}
		s.err = errors.Join(errs...)
		err := s.err
		s.mu.Unlock()

		if cause != nil {
			if f := s.getHooks().OnError; f != nil {
				f(err)
			}
		}
		s.unregister()
		s.emitState(final)
		close(s.done)
	})
}

// Mark drops a marker at the instant of the call: its sample is the
// recorder's interpolated stream position (the pause point while paused).
// It returns once the journal line is on disk.
func (s *Session) Mark(kind markers.Kind, title string) (markers.Marker, error) {
	m, err := s.mark(kind, title)
	if err != nil {
		return m, err
	}
	s.emitMarker(m) // outside the state lock: the hook may call back
	return m, nil
}

func (s *Session) mark(kind markers.Kind, title string) (markers.Marker, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var pos int64
	switch s.state {
	case StateRecording:
		pos = s.rec.Position()
	case StatePaused:
		pos = s.meta.Pauses[len(s.meta.Pauses)-1].At
	default:
		return markers.Marker{}, fmt.Errorf("%w: mark in state %s", ErrState, s.state)
	}
	if !kind.Valid() {
		return markers.Marker{}, fmt.Errorf("session: mark: %w: %q", markers.ErrBadKind, kind)
	}
	m := markers.Marker{ID: markers.NewID(), Kind: kind, Title: title, Sample: pos, Author: s.meta.Host, UTC: time.Now().UTC()}
	if err := s.add(m); err != nil {
		return markers.Marker{}, err
	}
	return m, nil
}

// glitchMarker is the marker for lost frames of silence inserted at atFrame.
func glitchMarker(rate audio.SampleRate, atFrame, lost int64) markers.Marker {
	ms := rate.D(lost).Seconds() * 1000
	return markers.Marker{
		ID: markers.NewID(), Kind: markers.Glitch,
		Title:  fmt.Sprintf("%d frames lost (%.1f ms), silence inserted", lost, ms),
		Sample: atFrame, End: atFrame + lost, Author: "podmark", UTC: time.Now().UTC(),
	}
}

// onGlitch runs on the recorder's writer goroutine after it inserted
// lost frames of silence at atFrame: the silence becomes a glitch region.
func (s *Session) onGlitch(atFrame, lost int64) {
	m := glitchMarker(s.rate, atFrame, lost)
	if err := s.add(m); err != nil {
		if f := s.getHooks().OnError; f != nil {
			f(err)
		}
		return
	}
	s.emitMarker(m)
}

func (s *Session) emitMarker(m markers.Marker) {
	if f := s.getHooks().OnMarker; f != nil {
		f(m)
	}
}

// add journals m, then records it; the caller calls OnMarker.
func (s *Session) add(m markers.Marker) error {
	s.mkMu.Lock()
	err := s.journalDo(func(j *markers.Journal) error { return j.Add(m) })
	if err == nil {
		s.marks = append(s.marks, m)
		if s.pub != nil {
			s.pub.MarkerAdded(m)
		}
	}
	s.mkMu.Unlock()
	return err
}

// journalDo runs f on the open journal, or on the journal reopened for one
// call after the session stopped. mkMu must be held.
func (s *Session) journalDo(f func(*markers.Journal) error) error {
	if s.journal != nil {
		if err := f(s.journal); err != nil {
			return fmt.Errorf("session: %w", err)
		}
		return nil
	}
	j, err := markers.OpenJournal(filepath.Join(s.dir, JournalFile))
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	ferr := f(j)
	cerr := j.Close()
	if ferr != nil {
		return fmt.Errorf("session: %w", ferr)
	}
	if cerr != nil {
		return fmt.Errorf("session: %w", cerr)
	}
	return nil
}

// Update changes a marker (title, kind, position, URL); journaled first.
func (s *Session) Update(u markers.Update) error {
	s.mkMu.Lock()
	defer s.mkMu.Unlock()
	i := s.find(u.ID)
	if i < 0 {
		return fmt.Errorf("session: update: no marker %q", u.ID)
	}
	if err := s.journalDo(func(j *markers.Journal) error { return j.Update(u) }); err != nil {
		return err
	}
	s.marks[i] = u.Apply(s.marks[i])
	if s.pub != nil {
		s.pub.MarkerUpdated(s.marks[i])
	}
	return nil
}

// Delete removes a marker and returns it (for undo with Restore).
func (s *Session) Delete(id string) (markers.Marker, error) {
	s.mkMu.Lock()
	defer s.mkMu.Unlock()
	i := s.find(id)
	if i < 0 {
		return markers.Marker{}, fmt.Errorf("session: delete: no marker %q", id)
	}
	if err := s.journalDo(func(j *markers.Journal) error { return j.Delete(id) }); err != nil {
		return markers.Marker{}, err
	}
	m := s.marks[i]
	s.marks = slices.Delete(s.marks, i, i+1)
	if s.pub != nil {
		s.pub.MarkerDeleted(m)
	}
	return m, nil
}

// Restore puts back a marker removed by Delete, with its id and position.
func (s *Session) Restore(m markers.Marker) error {
	s.mkMu.Lock()
	defer s.mkMu.Unlock()
	if s.find(m.ID) >= 0 {
		return fmt.Errorf("session: restore: marker %q exists", m.ID)
	}
	if err := s.journalDo(func(j *markers.Journal) error { return j.Add(m) }); err != nil {
		return err
	}
	s.marks = append(s.marks, m)
	if s.pub != nil {
		s.pub.MarkerAdded(m)
	}
	return nil
}

func (s *Session) find(id string) int {
	for i, m := range s.marks {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// Markers returns the session's markers sorted by sample.
func (s *Session) Markers() []markers.Marker {
	s.mkMu.Lock()
	ms := slices.Clone(s.marks)
	s.mkMu.Unlock()
	slices.SortStableFunc(ms, func(a, b markers.Marker) int {
		switch {
		case a.Sample < b.Sample:
			return -1
		case a.Sample > b.Sample:
			return 1
		}
		return 0
	})
	return ms
}

// Status returns the current state, length, meters and counters.
func (s *Session) Status() Status {
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	stats := s.rec.Stats()
	var skipped int64
	s.mu.RLock()
	for _, p := range s.meta.Pauses {
		skipped += p.Skipped
	}
	if st == StatePaused {
		skipped += stats.StreamFrames - s.pauseBase
	}
	s.mu.RUnlock()
	pos := s.position(st, stats.Frames)
	return Status{
		State: st, Frames: stats.Frames, Position: pos, Elapsed: s.rate.D(pos),
		Levels:  s.rec.Levels(nil),
		Dropped: stats.Dropped, Glitches: stats.Glitches, Skipped: skipped,
	}
}

// Position is Status().Position alone: the file frame of "now" while
// recording, the frames written otherwise. Unlike Status it does not
// start a new meter reading.
func (s *Session) Position() int64 {
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	return s.position(st, s.rec.Stats().Frames)
}

func (s *Session) position(st State, frames int64) int64 {
	if st == StateRecording || st == StatePaused {
		return max(frames, s.rec.Position())
	}
	return frames
}

// FreeTime is how much more audio in this session's format fits on the
// disk holding the session folder.
func (s *Session) FreeTime() (time.Duration, error) {
	s.mu.RLock()
	ch, bits := s.meta.Channels, s.meta.Bits
	s.mu.RUnlock()
	f, err := audio.ParseSampleFormat(bits)
	if err != nil {
		return 0, err
	}
	return FreeTime(s.dir, s.rate, ch, f)
}

// KeptQueue returns the capture queue file a failed recording left for
// Recover to write out (what the writer could not write), or "".
func (s *Session) KeptQueue() string {
	s.mu.RLock()
	q, st := s.meta.CaptureQueue, s.state
	s.mu.RUnlock()
	if q == nil || st != StateFailed {
		return ""
	}
	if _, err := os.Stat(q.File); err != nil {
		return ""
	}
	return q.File
}

// WakeWriter asks the writer to write what has been captured now, not at
// its next wake-up (see audio.Recorder.WakeWriter).
func (s *Session) WakeWriter() { s.rec.WakeWriter() }

// Frames is the number of frames written to each track so far.
func (s *Session) Frames() int64 { return s.rec.Stats().Frames }

// trackFrames returns the frames in the shortest track file.
func trackFrames(dir string, tracks []Track) (int64, error) {
	n := int64(-1)
	for _, tr := range tracks {
		r, err := audio.OpenWAV(filepath.Join(dir, filepath.FromSlash(tr.File)))
		if err != nil {
			return 0, fmt.Errorf("session: %w", err)
		}
		f := r.Info().Frames
		if err := r.Close(); err != nil {
			return 0, fmt.Errorf("session: %w", err)
		}
		if n < 0 || f < n {
			n = f
		}
	}
	return max(n, 0), nil
}
