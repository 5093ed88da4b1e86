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

// Source is an input that captures into a CaptureQueue: the PortAudio
// stream (portaudio.go) or a fake source (Ramp). The Recorder's writer
// goroutine pulls the captured buffers from Queue with Read, the way an
// io.Reader is read; the source never calls into the Recorder.
type Source interface {
	// Start empties the queue and begins capturing into it.
	Start() error
	// Queue is the source's capture queue, the same from open to Close.
	Queue() *CaptureQueue
	Now() float64 // the stream clock in seconds (Pa_GetStreamTime for PortAudio)
	// Stop stops capturing; what was captured stays in the queue to be read.
	Stop() error
	// Close stops the source and frees its queue: only after the Recorder
	// reading it has stopped.
	Close() error
	Info() (device, hostAPI string)
}

// Level is one channel's meter reading over the audio captured since the
// last reading.
type Level struct {
	Peak, RMS float32 // linear 0..1
	Clipped   bool    // latched until ClearClip
}

// Stats counts frames. Frames is the length of the track files; StreamFrames
// the frames of the source's timeline (delivered plus lost); Dropped the frames
// lost (input overflows and a full capture queue), each replaced by silence;
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
	// SyncEvery is the longest time between header patches + fsyncs, default and at most 1s.
	SyncEvery     time.Duration
	RF64Threshold int64
	// StallTimeout: no buffers this long → ErrDeviceLost; default 2s.
	StallTimeout time.Duration
	// OnGlitch is called from the writer goroutine after lostFrames of
	// silence were inserted at file frame atFrame.
	OnGlitch func(atFrame, lostFrames int64)
	// OnDrained is called from the writer goroutine each time it has
	// handed everything it wrote to the OS: every track file then holds
	// frames frames (readable through another handle; the header is
	// patched and synced only every SyncEvery). It must not block.
	OnDrained func(frames int64)
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

// Recorder captures a Source into one mono WAV file per channel. The
// source's producer (the audio callback) only copies into its capture queue
// and meters; one writer goroutine reads the queue and owns the files. All
// methods are safe for concurrent use.
type Recorder struct {
	cfg   RecorderConfig
	q     *CaptureQueue // the source's (nil for ReplayQueue's Recorder)
	chans int

	// The writer's overflow accounting (account).
	lastADC float64
	lastN   int64
	started bool

	idle         time.Duration // the writer's wake-up period
	streamFrames atomic.Int64  // stream frames up to the end of the last buffer
	buffers      atomic.Int64  // buffers read from the queue
	overflows    atomic.Int64
	dropped      atomic.Int64 // frames lost (input overflows and a full queue)
	// Seqlock-published (stream frame, ADC time) of the last buffer's first frame.
	seq      atomic.Uint64
	pubFrame atomic.Int64
	pubADC   atomic.Uint64

	// Writer goroutine state.
	stream   int64        // stream frame of the next frame to write (or gap)
	frames   atomic.Int64 // file frames written
	limit    atomic.Int64 // the most file frames to write; 0 = no limit (SetLimit)
	glitches atomic.Int64
	writers  []*Writer
	chunk    [][]float32
	zeros    []float32
	segBuf   [][2]int64                                            // reused by segments
	stateBuf []byte                                                // reused by appendState
	create   func(path string, opt WriterOptions) (*Writer, error) // createNewWAV; tests put a failing disk here

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

// NewRecorder validates cfg. Files are created by Start.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Source == nil {
		return nil, errors.New("audio: recorder: no source")
	}
	return newRecorder(cfg)
}

// newRecorder is NewRecorder without a source, for ReplayQueue, which
// calls write itself and never starts the Recorder.
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
	r.idle = writerIdle
	if cfg.Source != nil {
		r.q = cfg.Source.Queue()
		if r.q == nil {
			return nil, fmt.Errorf("audio: recorder: source %s has no capture queue", r.sourceName())
		}
		if r.q.channels != ch || r.q.rate != float64(cfg.Rate) {
			return nil, fmt.Errorf("audio: recorder: source %s captures %d channels at %v Hz, not %d at %d Hz",
				r.sourceName(), r.q.channels, r.q.rate, ch, int(cfg.Rate))
		}
		if r.q.Persistent() {
			r.idle = cfg.SyncEvery - cfg.SyncEvery/persistentMargin
		}
	}
	r.stateBuf = make([]byte, 0, recStateSize)
	return r, nil
}

// account counts the frames a buffer of n frames at ADC time adc says were
// lost before it (lost: the source reported an overflow or the queue
// dropped frames; reported: the source did), publishes the (stream frame,
// adc) of its first frame, and returns that stream frame and the lost
// frames. Only the writer goroutine calls it.
func (r *Recorder) account(n int64, adc float64, lost, reported bool) (sf, gap int64) {
	sf = r.streamFrames.Load()
	if reported {
		r.overflows.Add(1)
	}
	if lost && r.started {
		expect := r.lastADC + float64(r.lastN)/float64(r.cfg.Rate)
		if l := int64(math.Round((adc - expect) * float64(r.cfg.Rate))); l > 0 {
			gap = l
			r.dropped.Add(gap)
			sf += gap
		}
	}
	r.started = true
	r.lastADC, r.lastN = adc, n

	// Publish (frame, adc) of this buffer's first frame.
	r.seq.Add(1)
	r.pubFrame.Store(sf)
	r.pubADC.Store(math.Float64bits(adc))
	r.seq.Add(1)
	return sf, gap
}

// write writes buffer b, read from the capture queue, straight to the
// files, after silence for any frames lost before it. Only the writer
// goroutine (and ReplayQueue) calls it.
func (r *Recorder) write(b Buffer) error {
	ch := r.chans
	n := int64(len(b.Samples) / ch)
	sf, lost := r.account(n, b.ADC, b.Overflow || b.Dropped, b.Overflow)
	r.streamFrames.Store(sf + n)
	r.buffers.Add(1)
	if lost > 0 {
		if err := r.emit(nil, r.stream, lost, true); err != nil {
			return err
		}
		r.stream += lost
	}
	for done := int64(0); done < n; {
		k := min(n-done, writeChunk)
		r.split(b.Samples[done*int64(ch):(done+k)*int64(ch)], 0)
		if err := r.emit(r.chunk, r.stream, k, false); err != nil {
			return err
		}
		r.stream += k
		done += k
	}
	return nil
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
		f := r.pubFrame.Load()
		a := math.Float64frombits(r.pubADC.Load())
		if r.seq.Load() == s1 {
			return f, a, s1 > 0
		}
	}
}

// streamNow interpolates the stream frame of "now" from the last buffer read
// and the source's clock.
func (r *Recorder) streamNow() int64 {
	f, adc, ok := r.last()
	if !ok {
		return 0
	}
	d := (r.cfg.Source.Now() - adc) * float64(r.cfg.Rate)
	p := f + int64(math.Floor(d))
	if sf := r.streamFrames.Load(); p < sf && d > 0 {
		// The clock can lag the buffer just read.
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
// stream clock (not rounded to a buffer) from the last buffer the writer
// read, at most its wake-up period old. While paused it
// stays at the pause point.
func (r *Recorder) Position() int64 {
	s := r.streamNow()
	r.mu.Lock()
	p := s - r.skippedBefore(s)
	r.mu.Unlock()
	if lim := r.limit.Load(); lim > 0 {
		p = min(p, lim)
	}
	return p
}

// SetLimit makes n file frames the recording's length: the writer writes
// no frame beyond it (the rest of the buffer that crosses it is cut, and
// later buffers are read and discarded until Stop), and Position stops
// there. n <= 0 removes the limit. Frames already written stay.
func (r *Recorder) SetLimit(n int64) { r.limit.Store(max(n, 0)) }

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
	if err := r.cfg.Source.Start(); err != nil {
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
	if r.cfg.Source == nil {
		return "(none)"
	}
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

// Levels returns each channel's meter over the audio captured since the
// last call, reusing dst.
func (r *Recorder) Levels(dst []Level) []Level { return r.q.Levels(dst) }

// ClearClip resets channel ch's clip latch.
func (r *Recorder) ClearClip(ch int) { r.q.ClearClip(ch) }

// Stats returns the frame counters as of the writer's last wake-up.
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

// Stop stops the source, writes everything left in its queue, finalizes the
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

// writerLoop owns the files: on every wake-up it reads what the source
// captured, inserts silence for lost frames, drops paused frames, hands
// the samples to the OS and commits them to the queue, and patches +
// fsyncs every SyncEvery.
func (r *Recorder) writerLoop() {
	defer close(r.exited)
	defer r.tick.close()
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
		progressed, err := r.drain()
		if err != nil {
			selfStop(err)
			return
		}
		if stopping && !progressed {
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
		if cb := r.buffers.Load(); cb != lastCB {
			lastCB, lastCBTime = cb, now
		} else if !stopping && now.Sub(lastCBTime) >= r.cfg.StallTimeout {
			selfStop(fmt.Errorf("%w: %s sent no audio for %v", ErrDeviceLost, r.sourceName(), r.cfg.StallTimeout))
			return
		}
		if !stopping {
			// Caught up: hand buffered samples to the OS so a killed
			// process loses only what the queue held (the header is patched
			// and fsynced every SyncEvery; RepairWAV recovers the rest).
			for _, w := range r.writers {
				if err := w.drain(); err != nil {
					selfStop(err)
					return
				}
			}
			// Everything read is with the OS now: the queue may let it
			// go (a persistent one after recording where it was).
			r.q.Commit(r.appendState(r.stateBuf[:0]))
			if r.cfg.OnDrained != nil {
				r.cfg.OnDrained(r.frames.Load())
			}
			if r.started {
				r.tick.wait(r.stopReq) // Stop wakes it at once to finish
			} else {
				r.waitFirst()
			}
		}
	}
}

// firstPoll is how often the writer looks for the source's first buffer.
// Position interpolates from the last buffer read, so until the writer
// has read one it knows no stream clock (it would say 0 for up to a
// second with a persistent queue, and --duration would run long).
const firstPoll = 10 * time.Millisecond

// waitFirst waits firstPoll or until Stop, for the first buffer.
func (r *Recorder) waitFirst() {
	t := time.NewTimer(firstPoll)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.stopReq:
	}
}

// drain reads and writes every buffer the source has captured, and
// reports whether there was any.
func (r *Recorder) drain() (bool, error) {
	progressed := false
	for {
		b, ok := r.q.Read()
		if !ok {
			return progressed, nil
		}
		progressed = true
		if err := r.write(b); err != nil {
			return progressed, err
		}
	}
}

// writerIdle is the writer's wake-up period (writerTicker). Nothing
// waits on the writer but the disk (the capture queue holds 10 s), and every wake-up costs the Go runtime far more CPU than the
// copying (on a 2-core machine a 2 ms poll cost six times the CPU of
// jack_capture), so it wakes rarely; samples still reach the OS within about
// 150 ms plus one buffer, inside what a killed process may lose (250 ms).
const writerIdle = 150 * time.Millisecond

// With a persistent queue (CaptureQueue.Persistent) a killed process loses nothing the
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
	if r.started {
		started = 1
	}
	for _, v := range [...]int64{r.stream, r.frames.Load(), r.streamFrames.Load(), r.dropped.Load(),
		r.overflows.Load(), r.glitches.Load(), r.lastN, int64(math.Float64bits(r.lastADC)), started} {
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
	r.lastN = v(6)
	r.lastADC = math.Float64frombits(uint64(v(7)))
	r.started = v(8) == 1
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
		if lim := r.limit.Load(); lim > 0 {
			if ln = min(ln, lim-at); ln <= 0 {
				break // the set length is written
			}
		}
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
