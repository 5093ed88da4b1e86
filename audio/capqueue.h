// The capture queue: the one buffer between a source's producer (the
// PortAudio stream callback on the host API's real-time thread, or the
// goroutine of a fake source such as the Ramp) and the Recorder's writer
// goroutine, which reads it (CaptureQueue.Read in capture.go). It is C so
// that the PortAudio callback never enters Go; the fake sources push
// through the same function, podmarkQueuePush. queuefile.go reads the same
// layout from a persistent queue's file; TestQueueLayout checks they agree.

#ifndef PODMARK_CAPQUEUE_H
#define PODMARK_CAPQUEUE_H

#include <stddef.h>
#include <stdint.h>

// podmarkBuf describes one queued buffer (qbuf in Go has the same layout).
typedef struct {
	uint64_t pos;    // frame position of its first frame in the queue
	uint32_t frames;
	uint32_t flags;  // PODMARK_OVERFLOW, PODMARK_DROPPED
	double   adc;    // ADC time of its first frame, seconds on the stream clock
} podmarkBuf;

// Buffer flags. PODMARK_OVERFLOW is PortAudio's paInputOverflow: the
// source reported lost input before the buffer. PODMARK_DROPPED: the queue
// was full (the writer stalled) and dropped frames before it.
#define PODMARK_OVERFLOW 2u
#define PODMARK_DROPPED 0x80000000u

// Buffers longer than this are queued in pieces, so the Go side's scratch
// buffer (for a buffer that wraps around the end of the queue) has a fixed
// size.
#define PODMARK_PIECE 8192

// PODMARK_COMMIT is the size of one of the consumer's commit records.
#define PODMARK_COMMIT 512

// Clock modes (podmarkHead.clockMode; adcClock in Go).
#define PODMARK_CLOCK_SMOOTH 0 // jittery ADC times: smoothed
#define PODMARK_CLOCK_WHOLE 1  // smoothed, and the host loses whole buffers (JACK)
#define PODMARK_CLOCK_EXACT 2  // exact ADC times (the fake sources)

// The queue's memory is one mapping: this header, then capBufs podmarkBufs,
// then capFrames × channels interleaved float samples. With a file name it
// is a shared mapping of that file (in /dev/shm: memory that outlives the
// process), so that `podmark recover` can write out what a killed recorder
// had captured but not yet written.
typedef struct {
	char     magic[8];   // "PMQUEUE1"
	uint32_t version;    // 2 (1: no PODMARK_DROPPED, no exact clock)
	uint32_t channels;
	double   rate;
	uint64_t capFrames;  // a power of two
	uint64_t capBufs;    // a power of two
	uint8_t  tag[32];    // the session's, set by Go
	uint32_t clockMode;  // PODMARK_CLOCK_*, set by Go
	char     pad0[52];
	// Positions count frames and buffers since the start and never wrap.
	uint64_t fw, bw;     // written by the producer (release), offset 128
	char     pad1[48];
	uint64_t fr, br;     // written by the consumer (release; Go), offset 192
	char     pad2[48];
	uint8_t  commit[2][PODMARK_COMMIT]; // the consumer's commit records (Go), offset 256
} podmarkHead;

#define PODMARK_HEAD 4096

typedef struct {
	podmarkHead *h;        // the start of the mapping
	size_t      size;      // of the mapping
	intptr_t    fd;        // the queue file's handle, locked while open (queuemap.h); -1 for anonymous memory
	float      *samples;   // capFrames × channels, interleaved
	uint64_t    capFrames; // a power of two
	int         channels;
	double      rate;
	podmarkBuf *bufs;
	uint64_t    capBufs;   // a power of two
	int         lost;      // producer only: frames were dropped since the last queued buffer
	// Meters over the frames since the reader last bumped mgen. The sums are
	// the producer's; the readings it publishes are float bits in atomics.
	float      *mpeak;     // per channel, producer only
	double     *msum;      // per channel, producer only
	uint64_t    mframes;   // frames in mpeak and msum, producer only
	uint32_t    mseen;     // producer only: the mgen the sums belong to
	uint32_t    mgen;      // bumped by the reader to start a new reading
	uint32_t   *peak;      // per channel: float bits, published by the producer
	uint32_t   *rms;       // per channel: float bits, published by the producer
	uint32_t   *clip;      // per channel: set by the producer, cleared by the reader
} podmarkQueue;

size_t podmarkQueueSize(int channels, uint64_t capFrames, uint64_t capBufs);
podmarkQueue *podmarkQueueNew(int channels, double rate, uint64_t capFrames, uint64_t capBufs, const char *path);
void podmarkQueueFree(podmarkQueue *q);
void podmarkQueueReset(podmarkQueue *q);
void podmarkQueuePush(podmarkQueue *q, const float *in, unsigned long frames, double adc, uint32_t flags);
float podmarkClipLevel(void);

#endif
