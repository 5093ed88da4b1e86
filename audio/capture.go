package audio

/*
#cgo CFLAGS: -O2
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include "capqueue.h"
*/
import "C"

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Buffer is one captured buffer as the writer reads it from a capture
// queue (CaptureQueue.Read).
type Buffer struct {
	// Samples are interleaved, where they lie in the queue (or a copy when
	// they wrap around its end): valid until the next Read.
	Samples []float32
	// ADC is the stream-clock time (s) of the first frame, cleaned up by
	// the queue's clock (adcClock).
	ADC float64
	// Overflow: the source reported lost input before this buffer.
	Overflow bool
	// Dropped: the queue was full (the writer stalled) and dropped frames
	// before this buffer.
	Dropped bool
}

// CaptureQueue is a source's preallocated lock-free single-producer /
// single-consumer queue of captured buffers, in C memory (capqueue.h),
// optionally in a file in /dev/shm that outlives the process. The producer
// is the PortAudio stream callback (C, on the host API's real-time thread)
// or a fake source's goroutine (push); both run podmarkQueuePush, which
// also meters. The consumer is the Recorder's writer goroutine: it pulls
// buffers with Read and, once they have reached the files, calls Commit.
// Read and Commit are for one goroutine at a time; Levels and ClearClip are
// safe for concurrent use.
type CaptureQueue struct {
	life sync.RWMutex // Read, Levels and ClearClip vs free
	gone bool         // freed (guarded by life)

	c        *C.podmarkQueue
	channels int
	rate     float64
	file     string // the persistent queue's file, "" for one in anonymous memory

	mu      sync.Mutex // the consumer's state below
	reading bool       // from start until free
	clock   adcClock
	view    queueView
	// next and nextF are the buffer and frame positions after the last
	// buffer read. A persistent queue frees what was read only at Commit,
	// any other at the next Read or Commit.
	next, nextF uint64
	gen         uint64 // of the last commit record written

	// Views of the C queue (see podmarkQueue).
	fw, bw, fr, br  *uint64
	mgen            *uint32
	peak, rms, clip []uint32
	commits         []byte // the two commit records in the queue's header
}

// queueConfig describes a new capture queue.
type queueConfig struct {
	channels        int
	rate            float64
	frames, buffers uint64 // powers of two
	clock           clockMode
	path, tag       string // a persistent queue's file (which must not exist) and tag
}

// Queue sizes: 10.9 s of audio at 48 kHz (11.9 s at 44.1 kHz), in up to
// 16384 buffers (64-frame periods for 21 s). The queue must ride out a
// writer stalled on the disk, since nothing else empties it.
const (
	queueFrames  = 1 << 19
	queueBuffers = 1 << 14
)

// newCaptureQueue allocates a capture queue (in cfg.path, if set, stamped
// with cfg.tag). Errors name the file.
func newCaptureQueue(cfg queueConfig) (*CaptureQueue, error) {
	var cpath *C.char
	if cfg.path != "" {
		cpath = C.CString(cfg.path)
		defer C.free(unsafe.Pointer(cpath))
	}
	c, err := C.podmarkQueueNew(C.int(cfg.channels), C.double(cfg.rate), C.uint64_t(cfg.frames), C.uint64_t(cfg.buffers), cpath)
	if c == nil {
		if cfg.path != "" {
			return nil, fmt.Errorf("capture queue %q: %w", cfg.path, err)
		}
		return nil, fmt.Errorf("capture queue: %w", err)
	}
	q := &CaptureQueue{c: c, channels: cfg.channels, rate: cfg.rate, file: cfg.path,
		clock: adcClock{rate: cfg.rate, mode: cfg.clock}}
	ch := uint64(cfg.channels)
	h := c.h
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h.tag[0])), len(h.tag)), cfg.tag)
	h.clockMode = C.uint32_t(cfg.clock)
	q.view = newQueueView(unsafe.Slice((*float32)(unsafe.Pointer(c.samples)), cfg.frames*ch),
		unsafe.Slice((*qbuf)(unsafe.Pointer(c.bufs)), cfg.buffers), cfg.channels)
	q.fw, q.bw = (*uint64)(unsafe.Pointer(&h.fw)), (*uint64)(unsafe.Pointer(&h.bw))
	q.fr, q.br = (*uint64)(unsafe.Pointer(&h.fr)), (*uint64)(unsafe.Pointer(&h.br))
	q.commits = unsafe.Slice((*byte)(unsafe.Pointer(&h.commit[0][0])), 2*commitSize)
	q.mgen = (*uint32)(unsafe.Pointer(&c.mgen))
	q.peak = unsafe.Slice((*uint32)(unsafe.Pointer(c.peak)), ch)
	q.rms = unsafe.Slice((*uint32)(unsafe.Pointer(c.rms)), ch)
	q.clip = unsafe.Slice((*uint32)(unsafe.Pointer(c.clip)), ch)
	return q, nil
}

// openCaptureQueue is newCaptureQueue that falls back to ordinary memory
// where the file cannot be made (no /dev/shm, or it is full): the
// recording goes on, without a queue that outlives the process.
func openCaptureQueue(cfg queueConfig) (*CaptureQueue, error) {
	if cfg.path != "" {
		if q, err := newCaptureQueue(cfg); err == nil {
			return q, nil
		}
		cfg.path, cfg.tag = "", ""
	}
	return newCaptureQueue(cfg)
}

// start empties the queue and lets Read deliver; the producer must be
// stopped. Buffers captured before and never read are dropped.
func (q *CaptureQueue) start() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.clock.set = false
	C.podmarkQueueReset(q.c)
	q.next, q.nextF = atomic.LoadUint64(q.br), atomic.LoadUint64(q.fr)
	q.reading = true
}

// free releases the C memory; the producer must be stopped and the
// consumer done (the Recorder stopped). A persistent queue's file stays
// (see RemoveQueue).
func (q *CaptureQueue) free() {
	q.life.Lock()
	defer q.life.Unlock()
	if q.gone {
		return
	}
	q.gone = true
	q.mu.Lock()
	q.reading = false
	q.mu.Unlock()
	C.podmarkQueueFree(q.c)
	q.c = nil
}

// push queues frames of interleaved in (nil: silence) whose first frame
// has ADC time adc, as the PortAudio callback does: the fake sources'
// producer. It never blocks; what does not fit is dropped (see room).
func (q *CaptureQueue) push(in []float32, frames int, adc float64, overflow bool) {
	var flags C.uint32_t
	if overflow {
		flags = C.PODMARK_OVERFLOW
	}
	var p *C.float
	if in != nil {
		p = (*C.float)(unsafe.Pointer(&in[0]))
	}
	C.podmarkQueuePush(q.c, p, C.ulong(frames), C.double(adc), flags)
}

// room reports whether frames frames fit in the queue now (the producer's
// view: the consumer may only make more room).
func (q *CaptureQueue) room(frames int) bool {
	fw, bw := atomic.LoadUint64(q.fw), atomic.LoadUint64(q.bw)
	fr, br := atomic.LoadUint64(q.fr), atomic.LoadUint64(q.br)
	pieces := uint64(frames+qPiece-1) / qPiece
	return uint64(len(q.view.samples))/q.view.ch-(fw-fr) >= uint64(frames) && uint64(len(q.view.bufs))-(bw-br) >= pieces
}

// Read returns the next captured buffer, or ok false when none is queued
// (or the queue was never started, or is freed). Each call frees the
// buffers read before it, unless the queue is persistent (then Commit
// does). The atomics pair with podmarkQueuePush's.
func (q *CaptureQueue) Read() (b Buffer, ok bool) {
	q.life.RLock()
	defer q.life.RUnlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.gone || !q.reading {
		return Buffer{}, false
	}
	if q.file == "" {
		q.release()
	}
	i := q.next
	if i == atomic.LoadUint64(q.bw) {
		return Buffer{}, false
	}
	b, end := q.view.take(i, &q.clock)
	q.next, q.nextF = i+1, end
	return b, true
}

// release frees the buffers read so far; q.mu is held.
func (q *CaptureQueue) release() {
	atomic.StoreUint64(q.fr, q.nextF)
	atomic.StoreUint64(q.br, q.next)
}

// Commit frees the buffers read so far; the writer calls it once they have
// reached the OS. In a persistent queue it first records state (the
// Recorder's, appendState) with the position it belongs to: what a killed
// process had captured after its last commit is still in the queue, and
// ReplayQueue writes it out from there. It does not allocate.
func (q *CaptureQueue) Commit(state []byte) {
	q.life.RLock()
	defer q.life.RUnlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.gone {
		return
	}
	if q.file != "" {
		q.gen++
		slot := q.commits[(q.gen%2)*commitSize:][:commitSize]
		putCommit(slot, commitRecord{gen: q.gen, br: q.next, fr: q.nextF, clock: q.clock}, state)
		// The record is complete before the buffers it covers are freed; a
		// process killed while writing it leaves the other, older record,
		// whose buffers are still queued.
	}
	q.release()
}

// File is the file that holds the capture queue, "" when it is in
// ordinary memory.
func (q *CaptureQueue) File() string { return q.file }

// Persistent reports whether the capture queue outlives the process.
func (q *CaptureQueue) Persistent() bool { return q.file != "" }

// Levels returns each channel's meter over the audio pushed since the last
// call (see podmarkMeter), reusing dst. After free it returns silence.
func (q *CaptureQueue) Levels(dst []Level) []Level {
	dst = dst[:0]
	q.life.RLock()
	defer q.life.RUnlock()
	if q.gone {
		for range q.channels {
			dst = append(dst, Level{})
		}
		return dst
	}
	for c := range q.channels {
		dst = append(dst, Level{
			Peak:    math.Float32frombits(atomic.LoadUint32(&q.peak[c])),
			RMS:     math.Float32frombits(atomic.LoadUint32(&q.rms[c])),
			Clipped: atomic.LoadUint32(&q.clip[c]) != 0,
		})
	}
	atomic.AddUint32(q.mgen, 1) // the producer starts a new reading
	return dst
}

// ClearClip resets channel ch's clip latch.
func (q *CaptureQueue) ClearClip(ch int) {
	q.life.RLock()
	defer q.life.RUnlock()
	if !q.gone && ch >= 0 && ch < q.channels {
		atomic.StoreUint32(&q.clip[ch], 0)
	}
}

// piece is the longest buffer the queue holds in one entry.
const piece = C.PODMARK_PIECE

// cQueueLayout returns the C queue's layout: the header's size, the
// offsets of tag, clockMode, fw, fr and the commit records in it, the size
// of a commit record and of a queued buffer, the overflow and dropped
// flags, and the size of a whole queue of the given dimensions
// (queuefile.go reads the same layout).
func cQueueLayout(channels int, frames, buffers uint64) []uint64 {
	var h C.podmarkHead
	return []uint64{C.PODMARK_HEAD, uint64(unsafe.Offsetof(h.tag)), uint64(unsafe.Offsetof(h.clockMode)),
		uint64(unsafe.Offsetof(h.fw)), uint64(unsafe.Offsetof(h.fr)),
		uint64(unsafe.Offsetof(h.commit)), C.PODMARK_COMMIT, uint64(unsafe.Sizeof(C.podmarkBuf{})),
		C.PODMARK_OVERFLOW, C.PODMARK_DROPPED, uint64(C.podmarkQueueSize(C.int(channels), C.uint64_t(frames), C.uint64_t(buffers)))}
}

// cClipLevel returns the C producer's clip threshold, which must be
// clipLevel (a function: cgo reads a float macro to 6 digits only).
func cClipLevel() float32 { return float32(C.podmarkClipLevel()) }
