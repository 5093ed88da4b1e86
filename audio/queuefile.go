package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
)

// The capture queue's layout (podmarkHead and podmarkBuf in capqueue.h;
// TestQueueLayout checks that both sides agree). A persistent queue is a
// file in /dev/shm that the stream callback fills and the writer empties;
// its numbers are in the machine's byte order, since only this machine's
// `podmark recover` reads it.
const (
	qHeadSize      = 4096
	qOffVersion    = 8
	qOffChannels   = 12
	qOffRate       = 16
	qOffCapFrames  = 24
	qOffCapBufs    = 32
	qOffTag        = 40
	qTagSize       = 32
	qOffClock      = 72
	qOffFW         = 128
	qOffBW         = 136
	qOffFR         = 192
	qOffBR         = 200
	qOffCommits    = 256
	commitSize     = 512
	qBufSize       = 24
	qMagic         = "PMQUEUE1"
	qPiece         = 8192 // PODMARK_PIECE
	qMaxChannels   = 1024
	qMaxFrames     = 1 << 26
	qMaxBufs       = 1 << 22
	qMaxStateBytes = 256

	qFlagOverflow = 2          // PODMARK_OVERFLOW (PortAudio's paInputOverflow)
	qFlagDropped  = 0x80000000 // PODMARK_DROPPED
)

// qbuf is one queued buffer, as the callback describes it (podmarkBuf).
type qbuf struct {
	pos    uint64 // frame position of its first frame in the queue
	frames uint32
	flags  uint32 // PortAudio's callback flags
	adc    float64
}

// queueView reads buffers out of a capture queue's memory.
type queueView struct {
	samples            []float32 // capFrames × channels, interleaved
	bufs               []qbuf
	ch                 uint64
	frameMask, bufMask uint64
	scratch            []float32 // one buffer that wraps around the end of samples
}

func newQueueView(samples []float32, bufs []qbuf, channels int) queueView {
	ch := uint64(channels)
	return queueView{samples: samples, bufs: bufs, ch: ch,
		frameMask: uint64(len(samples))/ch - 1, bufMask: uint64(len(bufs)) - 1,
		scratch: make([]float32, qPiece*channels)}
}

// take returns queued buffer i as the writer reads it: its samples where
// they lie in the queue (a copy in scratch if they wrap around its end),
// its ADC time cleaned up by clock, and its flags; end is the queue frame
// after it. The caller has checked that it is queued. Both the live
// queue (CaptureQueue.Read) and ReplayQueue read buffers through it.
func (v *queueView) take(i uint64, clock *adcClock) (b Buffer, end uint64) {
	qb := v.bufs[i&v.bufMask]
	n := uint64(qb.frames)
	start, total := (qb.pos&v.frameMask)*v.ch, n*v.ch
	if first := uint64(len(v.samples)) - start; total <= first {
		b.Samples = v.samples[start : start+total]
	} else {
		b.Samples = v.scratch[:total]
		copy(b.Samples, v.samples[start:])
		copy(b.Samples[first:], v.samples[:total-first])
	}
	b.Overflow = qb.flags&qFlagOverflow != 0
	b.Dropped = qb.flags&qFlagDropped != 0
	b.ADC = clock.next(qb.adc, float64(n), b.Overflow || b.Dropped)
	return b, qb.pos + n
}

// commitRecord is what the writer stores in the queue after the buffers up
// to br (frames up to fr) have reached the track files: with the source's
// clock and the Recorder's state (appendState) at that point, a replay
// continues exactly where the writer was.
type commitRecord struct {
	gen    uint64
	br, fr uint64
	clock  adcClock
}

// putCommit writes c and state into slot (commitSize bytes); a CRC over
// the record tells a whole record from one a kill cut short. It does not
// allocate.
func putCommit(slot []byte, c commitRecord, state []byte) {
	ne := binary.NativeEndian
	ne.PutUint64(slot[0:], c.gen)
	ne.PutUint64(slot[8:], c.br)
	ne.PutUint64(slot[16:], c.fr)
	var flags uint64
	if c.clock.set {
		flags |= 1
	}
	switch c.clock.mode {
	case clockWhole:
		flags |= 2
	case clockExact:
		flags |= 4
	}
	ne.PutUint64(slot[24:], flags)
	ne.PutUint64(slot[32:], math.Float64bits(c.clock.rate))
	ne.PutUint64(slot[40:], math.Float64bits(c.clock.smooth))
	ne.PutUint64(slot[48:], math.Float64bits(c.clock.period))
	ne.PutUint64(slot[56:], math.Float64bits(c.clock.lastN))
	n := min(len(state), qMaxStateBytes)
	ne.PutUint16(slot[64:], uint16(n))
	copy(slot[72:72+n], state[:n])
	ne.PutUint32(slot[commitSize-4:], crc32.ChecksumIEEE(slot[:commitSize-4]))
}

// getCommit reads a slot putCommit wrote; ok is false for an empty or torn
// slot.
func getCommit(slot []byte) (c commitRecord, state []byte, ok bool) {
	ne := binary.NativeEndian
	if len(slot) < commitSize || ne.Uint32(slot[commitSize-4:]) != crc32.ChecksumIEEE(slot[:commitSize-4]) {
		return c, nil, false
	}
	c.gen, c.br, c.fr = ne.Uint64(slot[0:]), ne.Uint64(slot[8:]), ne.Uint64(slot[16:])
	if c.gen == 0 {
		return c, nil, false
	}
	flags := ne.Uint64(slot[24:])
	mode := clockSmooth
	if flags&2 != 0 {
		mode = clockWhole
	} else if flags&4 != 0 {
		mode = clockExact
	}
	c.clock = adcClock{set: flags&1 != 0, mode: mode,
		rate:   math.Float64frombits(ne.Uint64(slot[32:])),
		smooth: math.Float64frombits(ne.Uint64(slot[40:])),
		period: math.Float64frombits(ne.Uint64(slot[48:])),
		lastN:  math.Float64frombits(ne.Uint64(slot[56:]))}
	n := int(ne.Uint16(slot[64:]))
	if n > qMaxStateBytes {
		return c, nil, false
	}
	return c, slot[72 : 72+n], true
}

// ErrBadQueue reports a capture queue file that is damaged or not one.
var ErrBadQueue = errors.New("audio: not a usable capture queue")

// queueFile is a persistent capture queue read back from its file.
type queueFile struct {
	channels             int
	rate                 float64
	capFrames, capBufs   uint64
	tag                  string
	clock                clockMode
	fw, bw, fr, br       uint64
	view                 queueView
	commit               commitRecord
	state                []byte // the Recorder's, from the commit
	committed            bool   // a commit record was found
	firstBuf, firstFrame uint64 // where a replay starts
}

// parseQueue checks and decodes a capture queue file's bytes. Every
// position it returns lies inside the queue, so a replay cannot read out
// of range, whatever the file holds.
func parseQueue(data []byte, name string) (*queueFile, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadQueue, name, fmt.Sprintf(format, a...))
	}
	if len(data) < qHeadSize || string(data[:8]) != qMagic {
		return nil, bad("no capture queue header")
	}
	ne := binary.NativeEndian
	if v := ne.Uint32(data[qOffVersion:]); v != 1 && v != 2 {
		return nil, bad("version %d (this podmark reads 1 and 2)", v)
	}
	q := &queueFile{channels: int(ne.Uint32(data[qOffChannels:])),
		rate:      math.Float64frombits(ne.Uint64(data[qOffRate:])),
		capFrames: ne.Uint64(data[qOffCapFrames:]), capBufs: ne.Uint64(data[qOffCapBufs:]),
		tag:   strings.TrimRight(string(data[qOffTag:qOffTag+qTagSize]), "\x00"),
		clock: clockMode(ne.Uint32(data[qOffClock:])),
		fw:    ne.Uint64(data[qOffFW:]), bw: ne.Uint64(data[qOffBW:]),
		fr: ne.Uint64(data[qOffFR:]), br: ne.Uint64(data[qOffBR:])}
	pow2 := func(v, max uint64) bool { return v > 0 && v <= max && v&(v-1) == 0 }
	if q.channels < 1 || q.channels > qMaxChannels || !pow2(q.capFrames, qMaxFrames) || !pow2(q.capBufs, qMaxBufs) {
		return nil, bad("%d channels, %d frames, %d buffers", q.channels, q.capFrames, q.capBufs)
	}
	if q.clock > clockExact {
		return nil, bad("clock mode %d", q.clock)
	}
	if !(q.rate >= 1000 && q.rate <= 1<<22) {
		return nil, bad("sample rate %v", q.rate)
	}
	size := qHeadSize + q.capBufs*qBufSize + q.capFrames*uint64(q.channels)*4
	if uint64(len(data)) != size {
		return nil, bad("%d bytes, want %d for its dimensions", len(data), size)
	}
	if q.fr > q.fw || q.fw-q.fr > q.capFrames || q.br > q.bw || q.bw-q.br > q.capBufs {
		return nil, bad("positions out of order (frames %d..%d, buffers %d..%d)", q.fr, q.fw, q.br, q.bw)
	}
	// The newer whole commit record; its buffers are still queued (the
	// writer frees them only after writing the record).
	q.firstBuf, q.firstFrame = q.br, q.fr
	for k := range 2 {
		slot := data[qOffCommits+k*commitSize:][:commitSize]
		c, st, ok := getCommit(slot)
		if !ok || (q.committed && c.gen <= q.commit.gen) {
			continue
		}
		if c.br < q.br || c.br > q.bw || c.fr < q.fr || c.fr > q.fw {
			continue // older than what was freed: not the one to use
		}
		q.commit, q.state, q.committed = c, st, true
		q.firstBuf, q.firstFrame = c.br, c.fr
	}
	if !q.committed && (q.br != 0 || q.fr != 0) {
		// The writer freed buffers, so it committed; without the record
		// nothing tells where in the tracks the queued ones belong.
		return nil, bad("no whole commit record for the buffers from %d on", q.br)
	}
	bufs := make([]qbuf, q.capBufs)
	for i := range bufs {
		b := data[qHeadSize+i*qBufSize:]
		bufs[i] = qbuf{pos: ne.Uint64(b), frames: ne.Uint32(b[8:]), flags: ne.Uint32(b[12:]),
			adc: math.Float64frombits(ne.Uint64(b[16:]))}
	}
	// The buffers to replay must tile the frames from the commit on.
	at := q.firstFrame
	for i := q.firstBuf; i < q.bw; i++ {
		b := bufs[i&(q.capBufs-1)]
		if b.pos != at || b.frames == 0 || b.frames > qPiece || uint64(b.frames) > q.fw-at {
			return nil, bad("queued buffer %d (frames %d+%d) does not follow frame %d", i, b.pos, b.frames, at)
		}
		at += uint64(b.frames)
	}
	if at != q.fw {
		return nil, bad("queued buffers end at frame %d, the queue at %d", at, q.fw)
	}
	samples := make([]float32, q.capFrames*uint64(q.channels))
	sdata := data[qHeadSize+q.capBufs*qBufSize:]
	for i := range samples {
		samples[i] = math.Float32frombits(ne.Uint32(sdata[4*i:]))
	}
	q.view = newQueueView(samples, bufs, q.channels)
	return q, nil
}

// ReplayOptions describes the recording whose queue ReplayQueue writes out.
type ReplayOptions struct {
	Tag    string // must equal the queue's (StreamConfig.QueueTag)
	Rate   SampleRate
	Format SampleFormat
	// Pauses are the recording's pauses as stream frame spans [from, to),
	// to < 0 for one still open; their frames are not written.
	Pauses        [][2]int64
	RF64Threshold int64
	// OnGlitch is called for each run of lostFrames of silence written at
	// track frame atFrame (frames the capture lost).
	OnGlitch func(atFrame, lostFrames int64)
}

// ReplayReport says what ReplayQueue did.
type ReplayReport struct {
	Path      string
	Buffers   int   // queued buffers written out
	FromFrame int64 // the track frame they were written from (the writer's last commit)
	Frames    int64 // track frames afterwards
	Committed bool  // the queue held a commit (else the writer never committed: all from frame 0)
}

// ErrQueueBusy reports a capture queue a running recorder still holds:
// its recording is not over.
var ErrQueueBusy = errors.New("audio: the capture queue is in use: that recording is still running")

// ErrQueueMismatch reports a capture queue that belongs to another recording.
var ErrQueueMismatch = errors.New("audio: capture queue belongs to another recording")

// ReplayQueue writes out what a recorder killed while recording from a
// persistent capture queue (StreamConfig.QueueFile) had captured but not
// yet written: tracks (one mono WAV per channel, as the Recorder made them)
// are cut back to the frame the writer's last commit recorded, and every
// buffer queued since is written from there exactly as the writer would
// have (lost frames as silence, paused frames skipped). Running it again
// gives the same files. It never shortens a track below that commit, and
// it does not remove the queue (RemoveQueue does, once the tracks are
// safe). Errors name the file.
func ReplayQueue(path string, tracks []string, opt ReplayOptions) (ReplayReport, error) {
	rep := ReplayReport{Path: path}
	name := fmt.Sprintf("%q", path)
	f, err := os.Open(path)
	if err != nil {
		return rep, fmt.Errorf("audio: capture queue: %w", err)
	}
	defer f.Close() // read-only: nothing to report
	// The recorder holds this lock for as long as it records (see
	// podmarkQueueNew); holding it here also keeps a second replay out.
	if err := lockQueue(f); err != nil {
		if errors.Is(err, errQueueLocked) {
			return rep, fmt.Errorf("%w: %s", ErrQueueBusy, name)
		}
		return rep, fmt.Errorf("audio: capture queue %s: lock: %w", name, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return rep, fmt.Errorf("audio: capture queue %s: %w", name, err)
	}
	q, err := parseQueue(data, name)
	if err != nil {
		return rep, err
	}
	if q.tag != opt.Tag {
		return rep, fmt.Errorf("%w: %s has tag %q, the recording %q", ErrQueueMismatch, name, q.tag, opt.Tag)
	}
	if len(tracks) != q.channels || float64(opt.Rate) != q.rate {
		return rep, fmt.Errorf("%w: %s holds %d channels at %v Hz, the recording has %d tracks at %d Hz",
			ErrQueueMismatch, name, q.channels, q.rate, len(tracks), int(opt.Rate))
	}
	r, err := newRecorder(RecorderConfig{Channels: q.channels, Rate: opt.Rate,
		Format: opt.Format, RF64Threshold: opt.RF64Threshold, OnGlitch: opt.OnGlitch})
	if err != nil {
		return rep, err
	}
	clock := adcClock{rate: q.rate, mode: q.clock}
	if q.committed {
		if err := r.restoreState(q.state); err != nil {
			return rep, fmt.Errorf("%w: %s: %w", ErrBadQueue, name, err)
		}
		clock = q.commit.clock
		if clock.rate != q.rate {
			return rep, fmt.Errorf("%w: %s: commit record's clock runs at %v Hz", ErrBadQueue, name, clock.rate)
		}
	}
	rep.Committed, rep.FromFrame = q.committed, r.frames.Load()
	for _, p := range opt.Pauses {
		r.pauses = append(r.pauses, span{from: p[0], to: p[1]})
	}
	for _, t := range tracks {
		w, err := resumeWAV(t, WriterOptions{Rate: opt.Rate, Channels: 1, Format: opt.Format, BEXT: &BEXT{},
			RF64Threshold: opt.RF64Threshold}, rep.FromFrame)
		if err != nil {
			return rep, errors.Join(err, r.closeWriters())
		}
		r.writers = append(r.writers, w)
	}
	var werr error
	for i := q.firstBuf; i < q.bw && werr == nil; i++ {
		b, _ := q.view.take(i, &clock)
		werr = r.write(b)
		rep.Buffers++
	}
	rep.Frames = r.frames.Load()
	return rep, errors.Join(werr, r.closeWriters())
}

// RemoveQueue deletes a capture queue file; one already gone is no error.
func RemoveQueue(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("audio: remove capture queue: %w", err)
	}
	return nil
}

// resumeWAV opens a track the Recorder wrote (a mono WAV with a bext chunk
// in opt's format) to go on writing after its first frames frames: the
// bytes after them are cut off (the replay writes them again), and Close
// patches the header as usual.
func resumeWAV(path string, opt WriterOptions, frames int64) (*Writer, error) {
	if err := opt.validate(); err != nil {
		return nil, fmt.Errorf("audio: resume %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("audio: resume %q: %w", path, err)
	}
	fail := func(err error) (*Writer, error) { return nil, errors.Join(err, f.Close()) }
	st, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("audio: resume %q: %w", path, err))
	}
	name := fmt.Sprintf("%q", path)
	l, err := parseWAV(f, st.Size(), name)
	if err != nil {
		return fail(err)
	}
	w, hdr := newWriter(f, opt)
	w.closer = f
	if l.channels != opt.Channels || l.rate != opt.Rate || l.format != opt.Format || l.dataOff != int64(len(hdr)) || !l.dataIsLast {
		return fail(fmt.Errorf("audio: resume %s: not a track of this recording (%d ch, %d Hz, %v, samples at %d)",
			name, l.channels, int(l.rate), l.format, l.dataOff))
	}
	have := l.dataBytes / int64(w.blockAlign)
	if have < frames {
		return fail(fmt.Errorf("audio: resume %s: %d frames, but the capture queue goes on from frame %d", name, have, frames))
	}
	w.written = frames * int64(w.blockAlign)
	w.rf64 = l.rf64
	if err := f.Truncate(w.dataOff + w.written); err != nil {
		return fail(fmt.Errorf("audio: resume %s: %w", name, err))
	}
	if _, err := f.Seek(w.dataOff+w.written, 0); err != nil {
		return fail(fmt.Errorf("audio: resume %s: %w", name, err))
	}
	return w, nil
}
