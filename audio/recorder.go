package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Source is a stream of interleaved float32 input buffers.
type Source interface {
	// Start begins delivery: cb runs on the source's own thread (where it must not block, allocate, lock or log), or, for
	// a source that implements poller, in Poll (also for what was captured before Stop). Calls to cb never overlap.
	// in is interleaved float32; adc is the stream-clock time (s) of in's first frame; overflow reports input overflow.
	Start(cb func(in []float32, adc float64, overflow bool)) error
	Now() float64 // the stream clock in seconds (Pa_GetStreamTime for PortAudio)
	Stop() error
	Close() error
	Info() (device, hostAPI string)
}

// poller is implemented by sources that queue what they capture in their own
// preallocated real-time queue (PortAudio: its real-time thread never enters
// Go) and hand it to the callback only in Poll, which only the Recorder's
// writer goroutine calls. The Recorder then writes the buffers straight from
// the source's queue to the files: it has no ring of its own to fill. Such a
// source meters in its real-time callback, so live levels are current
// between polls.
type poller interface {
	Poll()
	Levels(dst []Level) []Level // since the last call
	ClearClip(ch int)
}

// persister is implemented by a polled source whose capture queue outlives
// the process (PortAudio with StreamConfig.QueueFile): what it captured
// stays there until the Recorder commits it, so a killed process loses
// nothing the queue held, and `podmark recover` writes it out
// (ReplayQueue). The writer can then wake about once a second
// instead of every writerIdle.
type persister interface {
	Persistent() bool
	// Commit records state (appendState) as the writer's state after every
	// buffer polled so far, then frees those buffers. The writer calls it
	// once they have reached the OS.
	Commit(state []byte)
}

// diskStaller is implemented by test sources (Ramp) that simulate a stalled
// disk in the writer goroutine.
type diskStaller interface {
	DiskStall(streamFrame int64) time.Duration
}

// Level is one channel's meter reading over the audio captured since the
// last reading (a polled source), or over the last callback buffer of a
// source that pushes.
type Level struct {
	Peak, RMS float32 // linear 0..1
	Clipped   bool    // latched until ClearClip
}

// Stats counts frames. Frames is the length of the track files; StreamFrames
// the frames of the source's timeline (delivered plus lost); Dropped the frames
// lost (input overflows and ring overflows), each replaced by silence;
// Overflows the input overflows the source reported; Glitches the silent gaps
// inserted.
type Stats struct {
	Frames, StreamFrames, Dropped, Overflows, Glitches int64
}

// RecorderConfig configures NewRecorder.
type RecorderConfig struct {
	Source   Source
	Channels int
	Rate     SampleRate
	Format   SampleFormat
	Tracks   []string // one mono WAV path per channel; nil = meter only (soundcheck)
	BEXT     BEXT     // Description/Originator; Origination and TimeReference filled at start
	// RingSeconds is the ring buffer length; default and minimum 10.
	RingSeconds float64
	// SyncEvery is the longest time between header patches + fsyncs, default and at most 1s.
	SyncEvery     time.Duration
	RF64Threshold int64
	// StallTimeout: no callbacks this long → ErrDeviceLost; default 2s.
	StallTimeout time.Duration
	// OnGlitch is called from the writer goroutine after lostFrames of
	// silence were inserted at file frame atFrame.
	OnGlitch func(atFrame, lostFrames int64)
}

// ErrDeviceLost reports a source that stopped delivering buffers.
var ErrDeviceLost = errors.New("audio: input device lost")

// ErrStopped reports a Recorder that was already stopped or never started.
var ErrStopped = errors.New("audio: recorder not running")

// clipLevel is where a sample counts as clipped: the last 16-bit step below
// full scale.
const clipLevel = 1 - 1.0/32768

// span is a pause: stream frames [from, to) are discarded; to < 0 while open.
type span struct{ from, to int64 }

// Recorder captures a Source into one mono WAV file per channel. The audio
// callback only copies into a lock-free ring (the Recorder's, or a polled
// source's own) and updates atomics; one writer goroutine owns the files. All
// methods are safe for concurrent use.
type Recorder struct {
	cfg   RecorderConfig
	ring  *ring // nil for a polled source
	gaps  gapQueue
	chans int

	// Written only by the callback.
	cbLastADC    float64
	cbLastN      int64
	cbStarted    bool
	cbPending    int64         // lost frames not yet queued as a gap
	polled       poller        // the source, if it is polled (nil otherwise)
	persist      persister     // the source, if its queue is persistent (nil otherwise)
	idle         time.Duration // the writer's wake-up period
	streamFrames atomic.Int64  // stream frames up to the end of the last buffer
	callbacks    atomic.Int64
	overflows    atomic.Int64
	dropped      atomic.Int64 // frames lost (overflow + ring)
	pendingLost  atomic.Int64 // mirror of cbPending for the final drain
	peak, rms    []atomic.Uint32
	clip         []atomic.Bool
	// Seqlock-published (stream frame, ADC time) of the last buffer's first frame.
	seq     atomic.Uint64
	lastF   atomic.Int64
	lastADC atomic.Uint64

	// Writer goroutine state.
	stream   int64        // stream frame of the next frame to write (or gap)
	werr     error        // a polled delivery's write error, for writerLoop
	wrote    bool         // a polled delivery wrote something
	frames   atomic.Int64 // file frames written
	glitches atomic.Int64
	writers  []*Writer
	chunk    [][]float32
	zeros    []float32
	segBuf   [][2]int64                                            // reused by segments
	stateBuf []byte                                                // reused by appendState
	create   func(path string, opt WriterOptions) (*Writer, error) // test seam

	mu     sync.Mutex // guards pauses, committed, state
	pauses []span
	// committed is the stream frame up to which the writer has already
	// decided what to keep: a pause or resume can start no earlier (the
	// interpolated clock may lag the frames delivered by a few frames).
	committed int64
	state     int // 0 new, 1 running, 2 stopped
	stopReq   chan struct{}
	tick      *writerTicker // the writer's wake-ups
	done      chan struct{}
	exited    chan struct{}
	errMu     sync.Mutex
	err       error
	stopErr   error
}

const writeChunk = 4096

// NewRecorder validates cfg and prepares the ring and meters. Files are
// created by Start.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Source == nil {
		return nil, errors.New("audio: recorder: no source")
	}
	return newRecorder(cfg)
}

// newRecorder is NewRecorder without a source, for ReplayQueue, which
// feeds deliver itself and never starts the Recorder.
func newRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Channels < 1 || cfg.Channels > 1024 {
		return nil, fmt.Errorf("audio: recorder: unsupported channel count %d", cfg.Channels)
	}
	if cfg.Rate <= 0 || cfg.Rate > 1<<22 {
		return nil, fmt.Errorf("%w: %d Hz", ErrBadRate, int(cfg.Rate))
	}
	switch cfg.Format {
	case Int16, Int24, Float32:
	default:
		return nil, fmt.Errorf("%w: %v", ErrBadFormat, cfg.Format)
	}
	if cfg.Tracks != nil && len(cfg.Tracks) != cfg.Channels {
		return nil, fmt.Errorf("audio: recorder: %d track files for %d channels", len(cfg.Tracks), cfg.Channels)
	}
	if cfg.RingSeconds < 10 {
		cfg.RingSeconds = 10
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = time.Second
	}
	if cfg.SyncEvery > time.Second {
		cfg.SyncEvery = time.Second
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 2 * time.Second
	}
	ch := cfg.Channels
	r := &Recorder{
		cfg:     cfg,
		chans:   ch,
		peak:    make([]atomic.Uint32, ch),
		rms:     make([]atomic.Uint32, ch),
		clip:    make([]atomic.Bool, ch),
		chunk:   make([][]float32, ch),
		zeros:   make([]float32, writeChunk),
		create:  createNewWAV,
		stopReq: make(chan struct{}),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	for i := range r.chunk {
		r.chunk[i] = make([]float32, writeChunk)
	}
	r.polled, _ = cfg.Source.(poller)
	r.idle = writerIdle
	if p, ok := cfg.Source.(persister); ok && r.polled != nil && p.Persistent() {
		r.persist, r.idle = p, cfg.SyncEvery-cfg.SyncEvery/persistentMargin
		r.stateBuf = make([]byte, 0, recStateSize)
	}
	if r.polled == nil {
		r.ring = newRing(int(math.Ceil(cfg.RingSeconds*float64(cfg.Rate))), ch)
	}
	return r, nil
}

// callback is the real-time path: no allocation, lock, log or I/O.
func (r *Recorder) callback(in []float32, adc float64, overflow bool) {
	ch := r.chans
	n := int64(len(in) / ch)
	sf, lost := r.account(n, adc, overflow)
	r.cbPending += lost

	// Ring: a gap first if frames were lost before this buffer.
	if r.cbPending > 0 && r.ring.readable() < r.ring.capacity() {
		if r.gaps.push(gap{at: r.ring.w.Load(), lost: r.cbPending}) {
			r.cbPending = 0
		}
	}
	if r.cbPending == 0 {
		w := int64(r.ring.write(in[:n*int64(ch)]))
		if w < n {
			r.cbPending = n - w
			r.dropped.Add(n - w)
		}
	} else {
		r.cbPending += n
		r.dropped.Add(n)
	}
	r.pendingLost.Store(r.cbPending)

	// Meters: over this buffer.
	samples := in[:n*int64(ch)]
	for c := range ch {
		var peak float32
		var sum float64
		for k := c; k < len(samples); k += ch {
			v := samples[k]
			if a := float32(math.Abs(float64(v))); a > peak { // NaN never becomes the peak
				peak = a
			}
			sum += float64(v) * float64(v)
		}
		r.peak[c].Store(math.Float32bits(peak))
		if n > 0 {
			r.rms[c].Store(math.Float32bits(float32(math.Sqrt(sum / float64(n)))))
		}
		if peak >= clipLevel {
			r.clip[c].Store(true)
		}
	}
	r.streamFrames.Store(sf + n)
	r.callbacks.Add(1)
}

// account counts the frames a buffer of n frames at ADC time adc says were
// lost before it (input overflow), publishes the (stream frame, adc) of its
// first frame, and returns that stream frame and the lost frames. It runs
// in the callback (polled: in the writer goroutine).
func (r *Recorder) account(n int64, adc float64, overflow bool) (sf, lost int64) {
	sf = r.streamFrames.Load()
	if overflow {
		r.overflows.Add(1)
		if r.cbStarted {
			expect := r.cbLastADC + float64(r.cbLastN)/float64(r.cfg.Rate)
			if l := int64(math.Round((adc - expect) * float64(r.cfg.Rate))); l > 0 {
				lost = l
				r.dropped.Add(lost)
				sf += lost
			}
		}
	}
	r.cbStarted = true
	r.cbLastADC, r.cbLastN = adc, n

	// Publish (frame, adc) of this buffer's first frame.
	r.seq.Add(1)
	r.lastF.Store(sf)
	r.lastADC.Store(math.Float64bits(adc))
	r.seq.Add(1)
	return sf, lost
}

// deliver is the callback of a polled source: it runs in Poll, which only the
// writer goroutine calls, and writes each buffer straight to the files, after
// silence for any frames lost before it. After a write error it only counts.
func (r *Recorder) deliver(in []float32, adc float64, overflow bool) {
	ch := r.chans
	n := int64(len(in) / ch)
	sf, lost := r.account(n, adc, overflow)
	r.streamFrames.Store(sf + n)
	r.callbacks.Add(1)
	if r.werr != nil {
		return
	}
	if lost > 0 {
		if r.werr = r.emit(nil, r.stream, lost, true); r.werr != nil {
			return
		}
		r.stream += lost
	}
	for done := int64(0); done < n; {
		k := min(n-done, writeChunk)
		r.split(in[done*int64(ch):(done+k)*int64(ch)], 0)
		if r.werr = r.emit(r.chunk, r.stream, k, false); r.werr != nil {
			return
		}
		r.stream += k
		done += k
	}
	r.wrote = true
}

// split de-interleaves the frames of src into r.chunk[c][at:], one slice
// per channel, and returns the index after them.
func (r *Recorder) split(src []float32, at int) int {
	ch := r.chans
	n := len(src) / ch
	for c := range ch {
		dst := r.chunk[c][at : at+n]
		for i := range dst {
			dst[i] = src[i*ch+c]
		}
	}
	return at + n
}

// last returns the seqlock-published (stream frame, adc) pair.
func (r *Recorder) last() (int64, float64, bool) {
	for {
		s1 := r.seq.Load()
		if s1%2 == 1 {
			continue
		}
		f := r.lastF.Load()
		a := math.Float64frombits(r.lastADC.Load())
		if r.seq.Load() == s1 {
			return f, a, s1 > 0
		}
	}
}

// streamNow interpolates the stream frame of "now" from the last callback
// and the source's clock.
func (r *Recorder) streamNow() int64 {
	f, adc, ok := r.last()
	if !ok {
		return 0
	}
	d := (r.cfg.Source.Now() - adc) * float64(r.cfg.Rate)
	p := f + int64(math.Floor(d))
	if sf := r.streamFrames.Load(); p < sf && d > 0 {
		// The clock can lag the buffer a callback just delivered.
		p = max(p, f)
	}
	return max(p, 0)
}

// skippedBefore returns the paused stream frames before stream frame s.
// r.mu must be held.
func (r *Recorder) skippedBefore(s int64) int64 {
	var k int64
	for _, p := range r.pauses {
		to := p.to
		if to < 0 || to > s {
			to = s
		}
		if to > p.from {
			k += to - p.from
		}
	}
	return k
}

// Position returns the file frame of "now", interpolated from the source's
// stream clock (not rounded to a buffer; for a polled source, from the last
// buffer the writer took, at most its wake-up period old). While paused it
// stays at the pause point.
func (r *Recorder) Position() int64 {
	s := r.streamNow()
	r.mu.Lock()
	defer r.mu.Unlock()
	return s - r.skippedBefore(s)
}

// Start creates the track files, starts the source and the writer
// goroutine, and returns the UTC time of frame 0.
func (r *Recorder) Start() (time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != 0 {
		return time.Time{}, fmt.Errorf("audio: recorder: Start called twice")
	}
	start := time.Now()
	b := r.cfg.BEXT
	b.Origination = start
	b.TimeReference = TimeReference(start, r.cfg.Rate)
	for _, p := range r.cfg.Tracks {
		w, err := r.create(p, WriterOptions{Rate: r.cfg.Rate, Channels: 1, Format: r.cfg.Format, BEXT: &b, RF64Threshold: r.cfg.RF64Threshold})
		if err != nil {
			return time.Time{}, r.abortStart(err)
		}
		r.writers = append(r.writers, w)
	}
	if err := syncDirs(r.cfg.Tracks); err != nil {
		return time.Time{}, r.abortStart(err)
	}
	cb := r.callback
	if r.polled != nil {
		cb = r.deliver
	}
	if err := r.cfg.Source.Start(cb); err != nil {
		return time.Time{}, r.abortStart(err) // sources name themselves in their errors
	}
	r.state = 1
	r.tick = newWriterTicker(r.idle)
	go r.writerLoop()
	return start.UTC(), nil
}

// abortStart closes the files a failed Start created (they hold a valid,
// empty WAV header) and returns err with any close error.
func (r *Recorder) abortStart(err error) error {
	err = errors.Join(err, r.closeWriters())
	r.writers = nil
	return err
}

// syncDirs fsyncs the folders holding paths, so the new files' directory
// entries survive a power cut.
func syncDirs(paths []string) error {
	if !canSyncDir {
		return nil
	}
	seen := map[string]bool{}
	for _, p := range paths {
		d := filepath.Dir(p)
		if seen[d] {
			continue
		}
		seen[d] = true
		f, err := os.Open(d)
		if err != nil {
			return fmt.Errorf("audio: sync folder %q: %w", d, err)
		}
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(serr, cerr); err != nil {
			return fmt.Errorf("audio: sync folder %q: %w", d, err)
		}
	}
	return nil
}

func (r *Recorder) sourceName() string {
	d, h := r.cfg.Source.Info()
	return fmt.Sprintf("%q (%s)", d, h)
}

func (r *Recorder) closeWriters() error {
	var errs []error
	for _, w := range r.writers {
		if err := w.Close(); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Pause starts discarding frames (the stream keeps running and the meters
// keep moving) and returns the file frame where the pause begins.
func (r *Recorder) Pause() int64 {
	s := r.streamNow()
	r.mu.Lock()
	defer r.mu.Unlock()
	s = max(s, r.committed)
	if n := len(r.pauses); n > 0 && r.pauses[n-1].to < 0 {
		from := r.pauses[n-1].from
		return from - r.skippedBefore(from)
	}
	at := s - r.skippedBefore(s)
	r.pauses = append(r.pauses, span{from: s, to: -1})
	return at
}

// Resume ends a pause and returns the number of stream frames skipped.
func (r *Recorder) Resume() int64 {
	s := r.streamNow()
	r.mu.Lock()
	defer r.mu.Unlock()
	s = max(s, r.committed)
	n := len(r.pauses)
	if n == 0 || r.pauses[n-1].to >= 0 {
		return 0
	}
	p := &r.pauses[n-1]
	p.to = max(s, p.from)
	return p.to - p.from
}

// WakeWriter makes the writer take what the source has captured now
// rather than at its next wake-up (up to a second away with a persistent
// queue), for a caller that waits for frames to be written.
func (r *Recorder) WakeWriter() {
	r.mu.Lock()
	tick := r.tick
	r.mu.Unlock()
	if tick != nil {
		tick.wake()
	}
}

// Levels returns each channel's meter, reusing dst.
func (r *Recorder) Levels(dst []Level) []Level {
	if r.polled != nil {
		return r.polled.Levels(dst)
	}
	dst = dst[:0]
	for c := range r.chans {
		dst = append(dst, Level{
			Peak:    math.Float32frombits(r.peak[c].Load()),
			RMS:     math.Float32frombits(r.rms[c].Load()),
			Clipped: r.clip[c].Load(),
		})
	}
	return dst
}

// ClearClip resets channel ch's clip latch.
func (r *Recorder) ClearClip(ch int) {
	if r.polled != nil {
		r.polled.ClearClip(ch)
	} else if ch >= 0 && ch < r.chans {
		r.clip[ch].Store(false)
	}
}

// Stats returns the frame counters (for a polled source, as of the writer's
// last wake-up).
func (r *Recorder) Stats() Stats {
	return Stats{
		Frames:       r.frames.Load(),
		StreamFrames: r.streamFrames.Load(),
		Dropped:      r.dropped.Load(),
		Overflows:    r.overflows.Load(),
		Glitches:     r.glitches.Load(),
	}
}

// Done is closed when the recorder stops by itself (device lost, write
// error, disk full) and after Stop.
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Err returns the error that stopped the recorder, if any.
func (r *Recorder) Err() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

func (r *Recorder) setErr(err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// Stop stops the source, writes everything left in the ring, finalizes the
// files and returns the first error (including one that stopped the
// recorder earlier).
func (r *Recorder) Stop() error {
	r.mu.Lock()
	if r.state != 1 {
		r.mu.Unlock()
		if r.state == 2 {
			<-r.exited
			return r.finalErr()
		}
		return ErrStopped
	}
	r.state = 2
	r.mu.Unlock()
	var serr error
	select {
	case <-r.done: // already stopped itself; its goroutine stops the source
	default:
		if err := r.cfg.Source.Stop(); err != nil {
			serr = err // sources name themselves in their errors
		}
	}
	close(r.stopReq)
	r.tick.wake()
	<-r.exited
	r.errMu.Lock()
	r.stopErr = errors.Join(r.stopErr, serr)
	r.errMu.Unlock()
	return r.finalErr()
}

func (r *Recorder) finalErr() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return errors.Join(r.err, r.stopErr)
}

// writerLoop owns the files: it drains the ring, inserts silence for lost
// frames, drops paused frames, and patches + fsyncs every SyncEvery.
func (r *Recorder) writerLoop() {
	defer close(r.exited)
	defer r.tick.close()
	var staller diskStaller
	if s, ok := r.cfg.Source.(diskStaller); ok {
		staller = s
	}
	lastSync := time.Now()
	lastCB, lastCBTime := int64(-1), time.Now()
	stopping := false
	selfStop := func(err error) {
		r.setErr(err)
		// Close finalizes each file up to its last whole frame; a writer that
		// failed repeats its (already reported) write error here.
		if cerr := r.closeWriters(); cerr != nil {
			r.setErr(cerr)
		}
		r.writers = nil
		close(r.done)
		// The source may hang when its device is gone: stop it after Done.
		if err := r.cfg.Source.Stop(); err != nil {
			r.errMu.Lock()
			r.stopErr = errors.Join(r.stopErr, err)
			r.errMu.Unlock()
		}
	}
	for {
		if !stopping {
			select {
			case <-r.stopReq:
				stopping = true
			default:
			}
		}
		progressed := false
		if r.polled != nil {
			// The source's queue is the ring: deliver writes it out.
			r.wrote = false
			r.polled.Poll()
			if r.werr != nil {
				selfStop(r.werr)
				return
			}
			progressed = r.wrote
		} else {
			var err error
			if progressed, err = r.drainRing(staller); err != nil {
				selfStop(err)
				return
			}
		}
		if stopping && !progressed {
			// Frames lost at the very end still count on the timeline.
			if p := r.pendingLost.Load(); p > 0 {
				if err := r.emit(nil, r.stream, p, true); err != nil {
					r.setErr(err)
				}
			}
			if err := r.closeWriters(); err != nil {
				r.setErr(err)
			}
			r.writers = nil
			select {
			case <-r.done:
			default:
				close(r.done)
			}
			return
		}
		now := time.Now()
		// Sync when waiting for the next wake-up could exceed SyncEvery.
		if now.Sub(lastSync) >= max(r.cfg.SyncEvery-r.idle, r.cfg.SyncEvery/2) {
			lastSync = now
			for _, w := range r.writers {
				if err := w.Flush(); err != nil {
					selfStop(err)
					return
				}
			}
		}
		if cb := r.callbacks.Load(); cb != lastCB {
			lastCB, lastCBTime = cb, now
		} else if !stopping && now.Sub(lastCBTime) >= r.cfg.StallTimeout {
			selfStop(fmt.Errorf("%w: %s sent no audio for %v", ErrDeviceLost, r.sourceName(), r.cfg.StallTimeout))
			return
		}
		if !stopping {
			// Caught up: hand buffered samples to the OS so a killed
			// process loses only what the ring held (the header is patched
			// and fsynced every SyncEvery; RepairWAV recovers the rest).
			for _, w := range r.writers {
				if err := w.drain(); err != nil {
					selfStop(err)
					return
				}
			}
			if r.persist != nil {
				// Everything polled is with the OS now: a persistent
				// queue may let it go.
				r.persist.Commit(r.appendState(r.stateBuf[:0]))
			}
			r.tick.wait(r.stopReq) // Stop wakes it at once to finish
		}
	}
}

// drainRing writes what the callback had put in the Recorder's ring when it
// was called, and the silence for gaps, in chunks of up to writeChunk frames;
// it reports whether it wrote anything.
func (r *Recorder) drainRing(staller diskStaller) (bool, error) {
	progressed := false
	end := r.ring.w.Load()
	for {
		// A gap due now?
		if g, ok := r.gaps.peek(); ok && g.at <= r.ring.r.Load() {
			if err := r.emit(nil, r.stream, g.lost, true); err != nil {
				return progressed, err
			}
			r.stream += g.lost
			r.gaps.pop()
			progressed = true
			continue
		}
		limit := min(writeChunk, int(end-r.ring.r.Load()))
		if g, ok := r.gaps.peek(); ok {
			limit = min(limit, int(g.at-r.ring.r.Load()))
		}
		a, b, _ := r.ring.peek(limit)
		n := (len(a) + len(b)) / r.chans
		if n == 0 {
			return progressed, nil
		}
		if staller != nil {
			if d := staller.DiskStall(r.stream + int64(n)); d > 0 {
				time.Sleep(d)
			}
		}
		r.split(b, r.split(a, 0))
		r.ring.release(n)
		if err := r.emit(r.chunk, r.stream, int64(n), false); err != nil {
			return progressed, err
		}
		r.stream += int64(n)
		progressed = true
	}
}

// writerIdle is the writer's wake-up period (writerTicker). Nothing
// waits on the writer but the disk (the ring, and a polled source's queue,
// hold 10 s), and every wake-up costs the Go runtime far more CPU than the
// copying (on a 2-core machine a 2 ms poll cost six times the CPU of
// jack_capture), so it wakes rarely; samples still reach the OS within about
// 150 ms plus one buffer, inside what a killed process may lose (250 ms).
const writerIdle = 150 * time.Millisecond

// With a persistent queue (persister) a killed process loses nothing the
// queue holds, so the writer only has to keep the header patch + fsync
// every SyncEvery: it wakes every SyncEvery less a twentieth (0.95 s by
// default), so that one comes at least once a SyncEvery despite the time
// a wake-up takes, and syncs on every wake-up. At 1 s instead of 150 ms,
// `podmark record` on JACK used about a sixth less CPU
// (docs/benchmarks.md).
const persistentMargin = 20

// recStateSize is the length of appendState's record.
const recStateSize = 9 * 8

// appendState appends the writer's state after what it has written (the
// frame counters, the stream position and the overflow accounting) for a
// commit record; restoreState reads it back. It does not allocate when b
// has room. Only the writer goroutine calls it.
func (r *Recorder) appendState(b []byte) []byte {
	ne := binary.NativeEndian
	started := int64(0)
	if r.cbStarted {
		started = 1
	}
	for _, v := range [...]int64{r.stream, r.frames.Load(), r.streamFrames.Load(), r.dropped.Load(),
		r.overflows.Load(), r.glitches.Load(), r.cbLastN, int64(math.Float64bits(r.cbLastADC)), started} {
		b = ne.AppendUint64(b, uint64(v))
	}
	return b
}

// restoreState sets the writer's state from an appendState record, for
// a replay that goes on where a killed writer was.
func (r *Recorder) restoreState(b []byte) error {
	if len(b) != recStateSize {
		return fmt.Errorf("writer state of %d bytes, want %d", len(b), recStateSize)
	}
	ne := binary.NativeEndian
	v := func(i int) int64 { return int64(ne.Uint64(b[8*i:])) }
	if v(0) < 0 || v(1) < 0 || v(2) < v(0) || v(3) < 0 || v(5) < 0 || v(6) < 0 || v(8)&^1 != 0 {
		return fmt.Errorf("writer state out of range")
	}
	r.stream = v(0)
	r.frames.Store(v(1))
	r.streamFrames.Store(v(2))
	r.dropped.Store(v(3))
	r.overflows.Store(v(4))
	r.glitches.Store(v(5))
	r.cbLastN = v(6)
	r.cbLastADC = math.Float64frombits(uint64(v(7)))
	r.cbStarted = v(8) == 1
	return nil
}

// emit writes n frames at stream position s — chunk[c][:n] per channel, or
// silence when gap — skipping paused stream frames.
func (r *Recorder) emit(chunk [][]float32, s, n int64, isGap bool) error {
	r.mu.Lock()
	segs := r.segments(s, n)
	r.committed = max(r.committed, s+n)
	r.mu.Unlock()
	var written int64
	for _, sg := range segs {
		off, ln := sg[0]-s, sg[1]
		at := r.frames.Load()
		for done := int64(0); done < ln; {
			k := ln - done
			if isGap {
				k = min(k, int64(len(r.zeros)))
			}
			for c, w := range r.writers {
				var src []float32
				if isGap {
					src = r.zeros[:k]
				} else {
					src = chunk[c][off+done : off+done+k]
				}
				if err := w.WriteFloat32(src); err != nil {
					return err
				}
			}
			done += k
			r.frames.Add(k)
		}
		written += ln
		if isGap && r.cfg.OnGlitch != nil {
			r.glitches.Add(1)
			r.cfg.OnGlitch(at, ln)
		} else if isGap {
			r.glitches.Add(1)
		}
	}
	return nil
}

// segments splits stream frames [s, s+n) into the [start, length] runs that
// are outside pauses. r.mu must be held.
func (r *Recorder) segments(s, n int64) [][2]int64 {
	out := r.segBuf[:0] // the caller is done with the previous result
	cur, end := s, s+n
	for cur < end {
		next := end
		paused := false
		for _, p := range r.pauses {
			to := p.to
			if to < 0 {
				to = math.MaxInt64
			}
			if cur >= p.from && cur < to {
				paused = true
				next = min(end, to)
				break
			}
			if p.from > cur && p.from < next {
				next = p.from
			}
		}
		if !paused {
			out = append(out, [2]int64{cur, next - cur})
		}
		cur = next
	}
	r.segBuf = out
	return out
}
