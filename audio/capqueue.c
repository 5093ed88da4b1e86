// The capture queue's C side: see capqueue.h. Nothing here allocates, locks
// or does I/O after podmarkQueueNew: podmarkQueuePush runs on the host
// API's real-time thread.

#include "capqueue.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queuemap.h"

_Static_assert(sizeof(podmarkHead) <= PODMARK_HEAD, "queue header too large");
_Static_assert(offsetof(podmarkHead, fw) == 128 && offsetof(podmarkHead, fr) == 192 &&
	offsetof(podmarkHead, commit) == 256, "queue header layout");
_Static_assert(sizeof(podmarkBuf) == 24, "queue buffer layout");

// PODMARK_CLIP is where a sample counts as clipped (clipLevel in Go).
#define PODMARK_CLIP (1.0f - 1.0f / 32768)
float podmarkClipLevel(void) { return PODMARK_CLIP; }

size_t podmarkQueueSize(int channels, uint64_t capFrames, uint64_t capBufs) {
	return PODMARK_HEAD + capBufs * sizeof(podmarkBuf) + capFrames * channels * sizeof(float);
}

void podmarkQueueFree(podmarkQueue *q) {
	if (!q) return;
	if (q->h) podmarkUnmapQueue(q->h, q->size, q->fd);
	free(q->mpeak);
	free(q->msum);
	free(q->peak);
	free(q->rms);
	free(q->clip);
	free(q);
}

// podmarkQueueNew allocates a queue; path NULL: in anonymous memory, else
// in a new file path (which must not exist) mapped shared. NULL on error,
// with errno set.
podmarkQueue *podmarkQueueNew(int channels, double rate, uint64_t capFrames, uint64_t capBufs, const char *path) {
	podmarkQueue *q = calloc(1, sizeof *q);
	if (!q) return NULL;
	size_t size = podmarkQueueSize(channels, capFrames, capBufs);
	// The mapping (and, with a path, the file and its lock) is the
	// platform's: queuemap_unix.c (mmap, flock), queuemap_windows.c (a
	// temporary file mapped with CreateFileMapping, LockFileEx).
	void *p = podmarkMapQueue(path, size, &q->fd);
	if (!p) {
		int e = errno;
		free(q);
		errno = e;
		return NULL;
	}
	// Touched here, so that the producer never takes a page fault in JACK's
	// thread (in a file in /dev/shm the first touch also allocates the
	// page; queuemap_unix.c asks for ordinary 4 KiB pages).
	memset(p, 0, size);
	q->h = p;
	q->size = size;
	q->bufs = (podmarkBuf *)((char *)p + PODMARK_HEAD);
	q->samples = (float *)((char *)p + PODMARK_HEAD + capBufs * sizeof(podmarkBuf));
	q->mpeak = calloc(channels, sizeof(float));
	q->msum = calloc(channels, sizeof(double));
	q->peak = calloc(channels, sizeof(uint32_t));
	q->rms = calloc(channels, sizeof(uint32_t));
	q->clip = calloc(channels, sizeof(uint32_t));
	if (!q->mpeak || !q->msum || !q->peak || !q->rms || !q->clip) {
		podmarkQueueFree(q);
		if (path) remove(path); // after the unmap: Windows deletes no open file
		errno = ENOMEM;
		return NULL;
	}
	memcpy(q->h->magic, "PMQUEUE1", 8);
	q->h->version = 2;
	q->h->channels = (uint32_t)channels;
	q->h->rate = rate;
	q->h->capFrames = capFrames;
	q->h->capBufs = capBufs;
	q->capFrames = capFrames;
	q->capBufs = capBufs;
	q->channels = channels;
	q->rate = rate;
	return q;
}

// podmarkQueueReset empties the queue; the producer must be stopped.
void podmarkQueueReset(podmarkQueue *q) {
	podmarkHead *h = q->h;
	__atomic_store_n(&h->fr, __atomic_load_n(&h->fw, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	__atomic_store_n(&h->br, __atomic_load_n(&h->bw, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	q->lost = 0;
}

// podmarkMeter adds frames frames of in (NULL: silence) to the channels'
// meters and publishes the readings.
static void podmarkMeter(podmarkQueue *q, const float *in, unsigned long frames) {
	const int ch = q->channels;
	uint32_t gen = __atomic_load_n(&q->mgen, __ATOMIC_ACQUIRE);
	if (gen != q->mseen) {
		// The reader took the last reading: start a new one.
		q->mseen = gen;
		q->mframes = 0;
		for (int c = 0; c < ch; c++) {
			q->mpeak[c] = 0;
			q->msum[c] = 0;
		}
	}
	q->mframes += frames;
	for (int c = 0; c < ch; c++) {
		float peak = q->mpeak[c];
		double sum = q->msum[c];
		if (in) {
			const float *p = in + c, *end = in + frames * (unsigned long)ch;
			for (; p < end; p += ch) {
				float v = *p, a = v < 0 ? -v : v;
				if (a > peak) peak = a;
				sum += (double)v * v;
			}
		}
		q->mpeak[c] = peak;
		q->msum[c] = sum;
		float rms = q->mframes ? (float)sqrt(sum / (double)q->mframes) : 0;
		uint32_t pb, rb;
		memcpy(&pb, &peak, sizeof pb);
		memcpy(&rb, &rms, sizeof rb);
		__atomic_store_n(&q->peak[c], pb, __ATOMIC_RELAXED);
		__atomic_store_n(&q->rms[c], rb, __ATOMIC_RELAXED);
		if (peak >= PODMARK_CLIP) __atomic_store_n(&q->clip[c], 1, __ATOMIC_RELAXED);
	}
}

// podmarkQueuePush queues frames frames of interleaved in (NULL: silence)
// whose first frame has ADC time adc, with flags (PODMARK_OVERFLOW), and
// meters them. What does not fit is dropped, and the next buffer queued is
// flagged PODMARK_DROPPED. No allocation, lock, log or I/O.
void podmarkQueuePush(podmarkQueue *q, const float *in, unsigned long frames, double adc, uint32_t flags) {
	const uint64_t ch = q->channels, mask = q->capFrames - 1;
	for (unsigned long done = 0; done < frames;) {
		uint32_t n = frames - done > PODMARK_PIECE ? PODMARK_PIECE : (uint32_t)(frames - done);
		podmarkHead *h = q->h;
		uint64_t fw = h->fw, bw = h->bw;
		uint64_t fr = __atomic_load_n(&h->fr, __ATOMIC_ACQUIRE);
		uint64_t br = __atomic_load_n(&h->br, __ATOMIC_ACQUIRE);
		if (q->capFrames - (fw - fr) < n || bw - br == q->capBufs) {
			q->lost = 1; // the consumer stalled: drop this piece
		} else {
			uint64_t start = (fw & mask) * ch, total = n * ch, room = q->capFrames * ch - start;
			uint64_t first = total < room ? total : room;
			if (in) {
				memcpy(q->samples + start, in + done * ch, first * sizeof(float));
				memcpy(q->samples, in + done * ch + first, (total - first) * sizeof(float));
			} else {
				memset(q->samples + start, 0, first * sizeof(float));
				memset(q->samples, 0, (total - first) * sizeof(float));
			}
			podmarkBuf *b = &q->bufs[bw & (q->capBufs - 1)];
			b->pos = fw;
			b->frames = n;
			b->flags = flags | (q->lost ? PODMARK_DROPPED : 0);
			b->adc = adc + (double)done / q->rate;
			q->lost = 0;
			__atomic_store_n(&h->fw, fw + n, __ATOMIC_RELEASE);
			__atomic_store_n(&h->bw, bw + 1, __ATOMIC_RELEASE);
		}
		flags &= ~PODMARK_OVERFLOW; // reported with the first piece
		done += n;
	}
	podmarkMeter(q, in, frames);
}
