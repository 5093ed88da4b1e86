package audio

// This is the only file that imports PortAudio. Everything else in the
// package works with the Source interface.

/*
#cgo pkg-config: portaudio-2.0
#cgo linux LDFLAGS: -lasound -ljack -lm
#cgo windows LDFLAGS: -lpthread
// ALSA and JACK exist only on Linux; their messages are kept below.
#ifdef __linux__
#include <alsa/asoundlib.h>
#include <jack/jack.h>
#endif
#include <math.h>
#include <portaudio.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stddef.h>
#include "queuemap.h"

// The stream callback is C: it runs on the host API's real-time thread (JACK's
// process thread) and only copies each input buffer, with its ADC time and
// flags, into a preallocated single-producer/single-consumer queue, and
// updates each channel's meter (peak, RMS, clip) in atomics. Go drains the
// queue in paSource.Poll, which the Recorder's writer goroutine calls on its
// wake-ups and which hands the buffers to the Recorder, and reads the meters
// whenever it likes (paSource.Levels). Both read the queue's memory with Go
// atomics, without a cgo call: entering C (like any system call) wakes the Go
// runtime's monitor thread, which then polls every 20 µs for as long as the
// writer is busy. A Go callback instead would make every
// JACK period (47 a second at 1024 frames) enter the Go runtime from a foreign
// thread, which costs several times the CPU of the recording itself.

// podmarkBuf describes one queued buffer (qbuf in Go has the same layout).
typedef struct {
	uint64_t pos;    // frame position of its first frame in the queue
	uint32_t frames;
	uint32_t flags;  // PaStreamCallbackFlags (paInputOverflow also when the queue dropped frames before it)
	double   adc;    // ADC time of its first frame, seconds on the stream clock
} podmarkBuf;

// Buffers longer than this are queued in pieces, so the Go side's scratch
// buffer (for a buffer that wraps around the end of the queue) has a fixed
// size.
#define PODMARK_PIECE 8192

// PODMARK_COMMIT is the size of one of the consumer's commit records.
#define PODMARK_COMMIT 512

// The queue's memory is one mapping: this header, then capBufs podmarkBufs,
// then capFrames × channels interleaved float samples. With a file name it
// is a shared mapping of that file (in /dev/shm: memory that outlives the
// process), so that `podmark recover` can write out what a killed recorder
// had captured but not yet written (see queuefile.go, which reads the same
// layout; TestQueueLayout checks the two agree).
typedef struct {
	char     magic[8];   // "PMQUEUE1"
	uint32_t version;    // 1
	uint32_t channels;
	double   rate;
	uint64_t capFrames;  // a power of two
	uint64_t capBufs;    // a power of two
	uint8_t  tag[32];    // the session's, set by Go
	uint32_t wholeBuffers; // the host API loses whole buffers (JACK), set by Go
	char     pad0[52];
	// Positions count frames and buffers since the start and never wrap.
	uint64_t fw, bw;     // written by the callback (release), offset 128
	char     pad1[48];
	uint64_t fr, br;     // written by the consumer (release; Go), offset 192
	char     pad2[48];
	uint8_t  commit[2][PODMARK_COMMIT]; // the consumer's commit records (Go), offset 256
} podmarkHead;

#define PODMARK_HEAD 4096
_Static_assert(sizeof(podmarkHead) <= PODMARK_HEAD, "queue header too large");
_Static_assert(offsetof(podmarkHead, fw) == 128 && offsetof(podmarkHead, fr) == 192 &&
	offsetof(podmarkHead, commit) == 256, "queue header layout");
_Static_assert(sizeof(podmarkBuf) == 24, "queue buffer layout");

typedef struct {
	podmarkHead *h;        // the start of the mapping
	size_t      size;      // of the mapping
	intptr_t    fd;        // the queue file, locked while open (queuemap.h); -1 for anonymous memory
	float      *samples;   // capFrames × channels, interleaved
	uint64_t    capFrames; // a power of two
	int         channels;
	double      rate;
	podmarkBuf *bufs;
	uint64_t    capBufs;   // a power of two
	int         lost;      // callback only: frames were dropped since the last queued buffer
	// Meters over the frames since the reader last bumped mgen. The sums are
	// the callback's; the readings it publishes are float bits in atomics.
	float      *mpeak;     // per channel, callback only
	double     *msum;      // per channel, callback only
	uint64_t    mframes;   // frames in mpeak and msum, callback only
	uint32_t    mseen;     // callback only: the mgen the sums belong to
	uint32_t    mgen;      // bumped by the reader to start a new reading
	uint32_t   *peak;      // per channel: float bits, published by the callback
	uint32_t   *rms;       // per channel: float bits, published by the callback
	uint32_t   *clip;      // per channel: set by the callback, cleared by the reader
} podmarkQueue;

// PODMARK_CLIP is where a sample counts as clipped (clipLevel in Go).
#define PODMARK_CLIP (1.0f - 1.0f / 32768)
static float podmarkClipLevel(void) { return PODMARK_CLIP; }

static size_t podmarkQueueSize(int channels, uint64_t capFrames, uint64_t capBufs) {
	return PODMARK_HEAD + capBufs * sizeof(podmarkBuf) + capFrames * channels * sizeof(float);
}

static void podmarkQueueFree(podmarkQueue *q) {
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
static podmarkQueue *podmarkQueueNew(int channels, double rate, uint64_t capFrames, uint64_t capBufs, const char *path) {
	podmarkQueue *q = calloc(1, sizeof *q);
	if (!q) return NULL;
	size_t size = podmarkQueueSize(channels, capFrames, capBufs);
	// The mapping (and, with a path, the file's lock) is the platform's:
	// queuemap_unix.c, queuemap_windows.c.
	void *p = podmarkMapQueue(path, size, &q->fd);
	if (!p) {
		int e = errno;
		free(q);
		errno = e;
		return NULL;
	}
	// Touched here, so that the callback never takes a page fault in the
	// host API's thread (in a file the first touch also allocates the page).
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
	q->h->version = 1;
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

// podmarkQueueReset empties the queue; the stream must be stopped.
static void podmarkQueueReset(podmarkQueue *q) {
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

// podmarkCallback is the stream callback: no allocation, lock, log or I/O.
static int podmarkCallback(const void *input, void *output, unsigned long frames,
		const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user) {
	(void)output;
	podmarkQueue *q = user;
	const float *in = input;
	const uint64_t ch = q->channels, mask = q->capFrames - 1;
	double adc = ti->inputBufferAdcTime;
	if (adc == 0) {
		// Some host APIs leave the ADC time unset: estimate it from the
		// callback's current time.
		adc = ti->currentTime - (double)frames / q->rate;
	}
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
			b->flags = (uint32_t)flags | (q->lost ? paInputOverflow : 0);
			b->adc = adc + (double)done / q->rate;
			q->lost = 0;
			__atomic_store_n(&h->fw, fw + n, __ATOMIC_RELEASE);
			__atomic_store_n(&h->bw, bw + 1, __ATOMIC_RELEASE);
		}
		flags &= ~(PaStreamCallbackFlags)paInputOverflow; // reported with the first piece
		done += n;
	}
	podmarkMeter(q, in, frames);
	return paContinue;
}

static PaError podmarkOpenStream(PaStream **stream, PaDeviceIndex dev, int channels, double latency,
		double rate, unsigned long framesPerBuffer, podmarkQueue *q) {
	PaStreamParameters in = {dev, channels, paFloat32, latency, NULL};
	PaError err = Pa_IsFormatSupported(&in, NULL, rate);
	if (err != paFormatIsSupported) return err;
	return Pa_OpenStream(stream, &in, NULL, rate, framesPerBuffer, paNoFlag, podmarkCallback, q);
}

// ALSA and JACK print every probe failure of PortAudio's device scan
// (Pa_Initialize opens each ALSA PCM and tries to reach a JACK server) to
// stderr. These handlers keep the last message instead, so that an error
// PortAudio does return can name it (podmarkLastLibMessage).
static pthread_mutex_t podmarkMsgMu = PTHREAD_MUTEX_INITIALIZER;
static char podmarkMsg[512];

static void podmarkKeep(const char *prefix, const char *msg) {
	pthread_mutex_lock(&podmarkMsgMu);
	snprintf(podmarkMsg, sizeof podmarkMsg, "%s%s", prefix, msg ? msg : "");
	size_t n = strlen(podmarkMsg);
	while (n > 0 && (podmarkMsg[n-1] == '\n' || podmarkMsg[n-1] == ' ')) podmarkMsg[--n] = 0;
	pthread_mutex_unlock(&podmarkMsgMu);
}

#ifdef __linux__
static void podmarkALSAError(const char *file, int line, const char *function, int err, const char *fmt, ...) {
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	podmarkKeep("ALSA: ", buf);
}

static void podmarkJACKError(const char *msg) { podmarkKeep("JACK: ", msg); }
static void podmarkJACKInfo(const char *msg) { (void)msg; }

static void podmarkQuietLibs(void) {
	snd_lib_error_set_handler(podmarkALSAError);
	jack_set_error_function(podmarkJACKError);
	jack_set_info_function(podmarkJACKInfo);
}
#else
// WASAPI and WinMM print nothing while PortAudio scans them.
static void podmarkQuietLibs(void) {}
#endif

static void podmarkLastLibMessage(char *out, size_t n) {
	pthread_mutex_lock(&podmarkMsgMu);
	snprintf(out, n, "%s", podmarkMsg);
	podmarkMsg[0] = 0;
	pthread_mutex_unlock(&podmarkMsgMu);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gordonklaus/portaudio"
)

// Device is an input device as PortAudio lists it. Index is the position in
// PortAudio's device list (stable while the set of devices does not change).
type Device struct {
	Index            int
	Name             string
	HostAPI          string
	MaxInputChannels int
	DefaultRate      float64
	Default          bool // PortAudio's default input device
}

// ErrNoDevice reports a device spec that names no input device.
var ErrNoDevice = errors.New("audio: no such input device")

// ErrBadChannels reports a channel count the device cannot record.
var ErrBadChannels = errors.New("audio: unsupported channel count")

// PortAudio must be initialized once per user and terminated as often, and
// the binding's globals (its init counter, its device list cache) are not
// safe for concurrent use: paMu guards them. paAcquire, paRelease and every
// call that lists devices or opens a stream run with paMu held.
var (
	paMu    sync.Mutex
	paRefs  int
	paStuck int // streams whose Pa_StopStream has not returned
)

// paAcquire initializes PortAudio for one more user; paMu must be held.
func paAcquire() error {
	if paStuck > 0 {
		return fmt.Errorf("audio: PortAudio is still stopping a stream whose device was lost; restart podmark to record again: %w", ErrDeviceLost)
	}
	if paRefs == 0 {
		// Before every Initialize: PortAudio's JACK host installs its own
		// (silent) error function once it has connected, and a later
		// Initialize may fail to connect.
		C.podmarkQuietLibs()
		if err := portaudio.Initialize(); err != nil {
			return fmt.Errorf("audio: initialize PortAudio: %w%s", err, lastLibMessage())
		}
		lastLibMessage() // the scan's probe failures are expected: forget them
	}
	paRefs++
	return nil
}

// paRelease drops one user and terminates PortAudio after the last one;
// it takes paMu.
func paRelease() error {
	paMu.Lock()
	defer paMu.Unlock()
	return paReleaseLocked()
}

func paReleaseLocked() error {
	if paRefs == 0 {
		return nil
	}
	paRefs--
	if paRefs == 0 {
		if err := portaudio.Terminate(); err != nil {
			return fmt.Errorf("audio: terminate PortAudio: %w", err)
		}
	}
	return nil
}

// paInputs lists input devices; PortAudio must be initialized and paMu held. The second
// result maps Device.Index to PortAudio's DeviceInfo.
func paInputs() ([]Device, map[int]*portaudio.DeviceInfo, error) {
	all, err := portaudio.Devices()
	if err != nil {
		return nil, nil, fmt.Errorf("audio: list devices: %w", err)
	}
	def := -1
	if d, err := portaudio.DefaultInputDevice(); err == nil && d != nil {
		def = d.Index
	}
	var devs []Device
	infos := map[int]*portaudio.DeviceInfo{}
	for _, d := range all {
		if d.MaxInputChannels < 1 {
			continue
		}
		host := ""
		if d.HostApi != nil {
			host = d.HostApi.Name
		}
		devs = append(devs, Device{Index: d.Index, Name: d.Name, HostAPI: host,
			MaxInputChannels: d.MaxInputChannels, DefaultRate: d.DefaultSampleRate, Default: d.Index == def})
		infos[d.Index] = d
	}
	return devs, infos, nil
}

// Devices lists the input devices. It is safe for concurrent use.
func Devices() ([]Device, error) {
	paMu.Lock()
	defer paMu.Unlock()
	if err := paAcquire(); err != nil {
		return nil, err
	}
	devs, _, err := paInputs()
	return devs, errors.Join(err, paReleaseLocked())
}

// FindDevice picks a device by index (as listed by Devices) or exact name;
// "" picks the default input device.
func FindDevice(devs []Device, spec string) (Device, error) {
	if spec == "" {
		for _, d := range devs {
			if d.Default {
				return d, nil
			}
		}
		return Device{}, fmt.Errorf("%w: there is no default input device (pick one with --device, see podmark devices)", ErrNoDevice)
	}
	if i, err := strconv.Atoi(spec); err == nil {
		for _, d := range devs {
			if d.Index == i {
				return d, nil
			}
		}
		return Device{}, fmt.Errorf("%w: no input device with index %d (see podmark devices)", ErrNoDevice, i)
	}
	for _, d := range devs {
		if d.Name == spec {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("%w: no input device named %q (see podmark devices)", ErrNoDevice, spec)
}

// StreamConfig describes the input stream OpenPortAudio opens.
type StreamConfig struct {
	Device          string // index or exact name; "" = default input
	Channels        int
	Rate            SampleRate
	FramesPerBuffer int // 0 lets PortAudio choose
	// QueueFile, when set, is a file that must not exist yet (in /dev/shm:
	// memory that outlives the process) that holds the capture queue, so
	// that ReplayQueue can write out what a killed recorder had captured
	// but not written; QueueTag (up to 32 bytes) is stored in it to tell
	// whose it is. Where the file cannot be made the queue is in ordinary
	// memory (the source's QueueFile says "").
	QueueFile string
	QueueTag  string
}

type paSource struct {
	mu       sync.Mutex
	stream   unsafe.Pointer  // the C PaStream
	queue    *C.podmarkQueue // C memory, shared with the stream callback
	rate     float64
	channels int
	device   string
	hostAPI  string
	running  bool
	closed   bool
	stuck    bool // Pa_StopStream did not return

	timeMu     sync.RWMutex  // Now, Levels and ClearClip vs Close
	streamGone bool          // the stream was closed (guarded by timeMu)
	lastNow    atomic.Uint64 // float64 bits of the last stream time read

	pollMu     sync.Mutex // guards delivery: the fields below and cb's state
	delivering bool       // from Start until Close (Poll still delivers what was captured before Stop)
	cb         func(in []float32, adc float64, overflow bool)
	clock      adcClock
	view       queueView
	// next and nextF are the buffer and frame positions after the last
	// buffer delivered. A persistent queue frees what was delivered only
	// at Commit; otherwise deliver frees each buffer after cb.
	next, nextF uint64
	// Views of the C queue (see podmarkQueue), set by initQueue.
	bw, fr, br      *uint64
	mgen            *uint32
	peak, rms, clip []uint32
	commits         []byte // the two commit records in the queue's header
	queueFile       string // the persistent queue's file, "" for one in anonymous memory
	gen             uint64 // of the last commit record written
}

// Queue sizes: 10.9 s of audio at 48 kHz (11.9 s at 44.1 kHz), in up to
// 16384 buffers (64-frame periods for 21 s). The queue, not only the
// Recorder's ring, must ride out a writer stalled on the disk, since the
// writer is what polls it when nothing else does.
const (
	queueFrames  = 1 << 19
	queueBuffers = 1 << 14
)

// OpenPortAudio opens (but does not start) an input stream. An unknown
// device is ErrNoDevice, an unsupported rate ErrBadRate and an unsupported
// channel count ErrBadChannels, each naming the value.
func OpenPortAudio(cfg StreamConfig) (Source, error) {
	if cfg.Channels < 1 {
		return nil, fmt.Errorf("%w: %d", ErrBadChannels, cfg.Channels)
	}
	if cfg.Rate != 44100 && cfg.Rate != 48000 {
		return nil, fmt.Errorf("%w: %d Hz (podmark records at 44100 or 48000)", ErrBadRate, int(cfg.Rate))
	}
	paMu.Lock()
	defer paMu.Unlock()
	if err := paAcquire(); err != nil {
		return nil, err
	}
	s, err := openPortAudio(cfg)
	if err != nil {
		return nil, errors.Join(err, paReleaseLocked())
	}
	return s, nil
}

func openPortAudio(cfg StreamConfig) (*paSource, error) {
	devs, infos, err := paInputs()
	if err != nil {
		return nil, err
	}
	d, err := FindDevice(devs, cfg.Device)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%d %q (%s)", d.Index, d.Name, d.HostAPI)
	if cfg.Channels > d.MaxInputChannels {
		return nil, fmt.Errorf("%w: %d channels, device %s has %d", ErrBadChannels, cfg.Channels, name, d.MaxInputChannels)
	}
	fpb := C.ulong(C.paFramesPerBufferUnspecified)
	if cfg.FramesPerBuffer > 0 {
		fpb = C.ulong(cfg.FramesPerBuffer)
	}
	s := &paSource{rate: float64(cfg.Rate), channels: cfg.Channels, device: d.Name, hostAPI: d.HostAPI}
	// JACK loses whole periods when it loses any.
	s.clock = adcClock{rate: s.rate, wholeBuffers: strings.Contains(d.HostAPI, "JACK")}
	if cfg.QueueFile != "" {
		// Where the file cannot be made (no /dev/shm, or it is full) the
		// recorder still records, with its queue in ordinary memory.
		_ = s.initQueue(queueFrames, queueBuffers, cfg.QueueFile, cfg.QueueTag)
	}
	if s.queue == nil {
		if err := s.initQueue(queueFrames, queueBuffers, "", ""); err != nil {
			return nil, fmt.Errorf("audio: open device %s: capture queue: %w", name, err)
		}
	}
	latency := infos[d.Index].DefaultHighInputLatency.Seconds()
	if err := paError(C.podmarkOpenStream(&s.stream, C.PaDeviceIndex(d.Index), C.int(cfg.Channels),
		C.double(latency), C.double(cfg.Rate), fpb, s.queue)); err != nil {
		s.free()
		if s.queueFile != "" {
			_ = RemoveQueue(s.queueFile) // it never held audio
		}
		return nil, formatError(err, cfg, name)
	}
	return s, nil
}

// initQueue allocates the C queue (in file path if not "", stamped with
// tag) and the Go views of it.
func (s *paSource) initQueue(frames, buffers uint64, path, tag string) error {
	var cpath *C.char
	if path != "" {
		cpath = C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
	}
	q, err := C.podmarkQueueNew(C.int(s.channels), C.double(s.rate), C.uint64_t(frames), C.uint64_t(buffers), cpath)
	if q == nil {
		if path != "" {
			return fmt.Errorf("%q: %w", path, err)
		}
		return err
	}
	s.queue, s.queueFile = q, path
	ch := uint64(s.channels)
	h := q.h
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h.tag[0])), len(h.tag)), tag)
	if s.clock.wholeBuffers {
		h.wholeBuffers = 1
	}
	s.view = newQueueView(unsafe.Slice((*float32)(unsafe.Pointer(q.samples)), frames*ch),
		unsafe.Slice((*qbuf)(unsafe.Pointer(q.bufs)), buffers), s.channels)
	s.bw = (*uint64)(unsafe.Pointer(&h.bw))
	s.fr, s.br = (*uint64)(unsafe.Pointer(&h.fr)), (*uint64)(unsafe.Pointer(&h.br))
	s.commits = unsafe.Slice((*byte)(unsafe.Pointer(&h.commit[0][0])), 2*commitSize)
	s.mgen = (*uint32)(unsafe.Pointer(&q.mgen))
	s.peak = unsafe.Slice((*uint32)(unsafe.Pointer(q.peak)), ch)
	s.rms = unsafe.Slice((*uint32)(unsafe.Pointer(q.rms)), ch)
	s.clip = unsafe.Slice((*uint32)(unsafe.Pointer(q.clip)), ch)
	return nil
}

// free releases the C memory; the stream must be closed (or never opened).
// A persistent queue's file stays (see RemoveQueue).
func (s *paSource) free() {
	C.podmarkQueueFree(s.queue)
	s.queue, s.view, s.peak, s.rms, s.clip, s.commits = nil, queueView{}, nil, nil, nil, nil
	s.bw, s.fr, s.br, s.mgen = nil, nil, nil, nil
}

// QueueFile is the file that holds the capture queue, "" when it is in
// ordinary memory.
func (s *paSource) QueueFile() string { return s.queueFile }

// Persistent reports whether the capture queue outlives the process.
func (s *paSource) Persistent() bool { return s.queueFile != "" }

// paError converts a PaError as the binding does, so errors.Is works with
// its error values (portaudio.InvalidSampleRate and so on).
func paError(code C.PaError) error {
	switch code {
	case C.paNoError:
		return nil
	case C.paUnanticipatedHostError:
		h := C.Pa_GetLastHostErrorInfo()
		return portaudio.UnanticipatedHostError{HostApiType: portaudio.HostApiType(h.hostApiType),
			Code: int(h.errorCode), Text: C.GoString(h.errorText)}
	}
	return portaudio.Error(code)
}

// lastLibMessage returns the last message ALSA or JACK would have printed
// since the previous call, as " (ALSA: …)" or "", to append to an error
// PortAudio returned. The device scan's expected probe failures stay unseen
// unless PortAudio itself fails.
func lastLibMessage() string {
	var buf [512]C.char
	C.podmarkLastLibMessage(&buf[0], C.size_t(len(buf)))
	if m := C.GoString(&buf[0]); m != "" {
		return " (" + m + ")"
	}
	return ""
}

func formatError(err error, cfg StreamConfig, name string) error {
	switch {
	case errors.Is(err, portaudio.InvalidSampleRate):
		return fmt.Errorf("%w: %d Hz on device %s (%v)", ErrBadRate, int(cfg.Rate), name, err)
	case errors.Is(err, portaudio.InvalidChannelCount):
		return fmt.Errorf("%w: %d channels on device %s (%v)", ErrBadChannels, cfg.Channels, name, err)
	}
	return fmt.Errorf("audio: open device %s at %d Hz, %d channels: %w%s", name, int(cfg.Rate), cfg.Channels, err, lastLibMessage())
}

// Poll hands every buffer queued since the last Poll to the callback, with
// its ADC time cleaned up by the adcClock. The Recorder polls from its writer
// goroutine only, so the data moves on wake-ups that happen anyway, straight
// into the track files. After Stop, Poll delivers what the stream captured
// before it stopped. Poll is safe for concurrent use; it does nothing before
// Start or after Close.
func (s *paSource) Poll() {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	if s.delivering {
		s.deliver()
	}
}

// deliver runs with pollMu held. It hands each buffer to cb where it lies in
// the queue (a copy only if it wraps around the end) and, unless the queue
// is persistent, frees its space after cb returns (a persistent queue frees
// at Commit). The atomics pair with podmarkCallback's.
func (s *paSource) deliver() {
	persistent := s.Persistent()
	for {
		i := s.next
		if i == atomic.LoadUint64(s.bw) {
			return
		}
		in, adc, overflow, end := s.view.take(i, &s.clock)
		s.cb(in, adc, overflow)
		s.next, s.nextF = i+1, end
		if !persistent {
			atomic.StoreUint64(s.fr, s.nextF)
			atomic.StoreUint64(s.br, s.next)
		}
	}
}

// Commit records state (the consumer's, after everything delivered so far
// has reached the files) in the persistent queue with the position it
// belongs to, then frees the delivered buffers. What a killed process had
// captured after its last commit is still in the queue, and ReplayQueue
// writes it out from there. It does nothing for a queue in ordinary memory.
func (s *paSource) Commit(state []byte) {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	if s.queueFile == "" || s.queue == nil {
		return
	}
	s.gen++
	slot := s.commits[(s.gen%2)*commitSize:][:commitSize]
	putCommit(slot, commitRecord{gen: s.gen, br: s.next, fr: s.nextF, clock: s.clock}, state)
	// The record is complete before the buffers it covers are freed; a
	// process killed while writing it leaves the other, older record,
	// whose buffers are still queued.
	atomic.StoreUint64(s.fr, s.nextF)
	atomic.StoreUint64(s.br, s.next)
}

// Start starts the stream. cb runs in Poll, with every buffer captured since
// the last Poll (see podmarkCallback); buffers captured before an earlier Stop
// and never polled are dropped.
func (s *paSource) Start(cb func(in []float32, adc float64, overflow bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.running {
		return ErrRunning
	}
	s.pollMu.Lock()
	s.cb = cb
	s.clock.set = false
	C.podmarkQueueReset(s.queue)
	s.next, s.nextF = atomic.LoadUint64(s.br), atomic.LoadUint64(s.fr)
	s.delivering = true
	s.pollMu.Unlock()
	if err := paError(C.Pa_StartStream(s.stream)); err != nil {
		s.pollMu.Lock()
		s.delivering = false
		s.pollMu.Unlock()
		return fmt.Errorf("audio: start %q: %w%s", s.device, err, lastLibMessage())
	}
	s.running = true
	return nil
}

// Now is PortAudio's stream time (Pa_GetStreamTime) in seconds.
// After Close it returns the last time read.
func (s *paSource) Now() float64 {
	s.timeMu.RLock()
	defer s.timeMu.RUnlock()
	if !s.streamGone {
		s.lastNow.Store(math.Float64bits(float64(C.Pa_GetStreamTime(s.stream))))
	}
	return math.Float64frombits(s.lastNow.Load())
}

// paStopTimeout bounds Pa_StopStream. When the JACK server dies under a
// running stream, PortAudio's JACK host waits up to ten minutes for a process
// callback that never comes.
const paStopTimeout = 2 * time.Second

// Stop stops the stream and delivers what it had captured. If PortAudio does
// not return within paStopTimeout (the device or server is gone), Stop gives
// up with an error wrapping ErrDeviceLost; the stream is then closed and
// PortAudio released in the background if PortAudio ever returns, and until
// then OpenPortAudio and Devices fail with ErrDeviceLost. No callback runs
// after Stop returns.
func (s *paSource) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	done := make(chan error, 1)
	go func() { done <- paError(C.Pa_StopStream(s.stream)) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(paStopTimeout):
		s.stuck = true
	}
	if !s.stuck {
		if err != nil {
			return fmt.Errorf("audio: stop %q: %w", s.device, err)
		}
		return nil
	}
	paMu.Lock()
	paStuck++
	paMu.Unlock()
	go func() {
		// If PortAudio returns after all, finish what Close skipped.
		<-done
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			// Best effort: Close's caller is long gone, nobody to tell.
			s.timeMu.Lock()
			s.streamGone = true
			C.Pa_CloseStream(s.stream)
			s.timeMu.Unlock()
			s.free()
			_ = paRelease()
		}
		paMu.Lock()
		paStuck--
		paMu.Unlock()
	}()
	return fmt.Errorf("audio: stop %q: PortAudio did not return within %v: %w", s.device, paStopTimeout, ErrDeviceLost)
}

// Close stops and closes the stream and releases PortAudio. After a Stop
// that timed out it only marks the source closed (see Stop).
func (s *paSource) Close() error {
	serr := s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return serr
	}
	s.closed = true
	s.pollMu.Lock()
	s.delivering = false
	s.pollMu.Unlock()
	if s.stuck {
		return serr
	}
	var cerr error
	s.timeMu.Lock()
	s.streamGone = true
	if err := paError(C.Pa_CloseStream(s.stream)); err != nil {
		cerr = fmt.Errorf("audio: close %q: %w", s.device, err)
	}
	s.timeMu.Unlock()
	s.free()
	return errors.Join(serr, cerr, paRelease())
}

func (s *paSource) Info() (device, hostAPI string) { return s.device, s.hostAPI }

// Levels returns each channel's meter over the audio the stream callback saw
// since the last call (see podmarkMeter), reusing dst. It is safe for
// concurrent use; after Close it returns silence.
func (s *paSource) Levels(dst []Level) []Level {
	dst = dst[:0]
	// timeMu, not pollMu: Poll may be writing to a stalled disk.
	s.timeMu.RLock()
	defer s.timeMu.RUnlock()
	if s.streamGone {
		for range s.channels {
			dst = append(dst, Level{})
		}
		return dst
	}
	for c := range s.channels {
		dst = append(dst, Level{
			Peak:    math.Float32frombits(atomic.LoadUint32(&s.peak[c])),
			RMS:     math.Float32frombits(atomic.LoadUint32(&s.rms[c])),
			Clipped: atomic.LoadUint32(&s.clip[c]) != 0,
		})
	}
	atomic.AddUint32(s.mgen, 1) // the callback starts a new reading
	return dst
}

// ClearClip resets channel ch's clip latch.
func (s *paSource) ClearClip(ch int) {
	s.timeMu.RLock()
	defer s.timeMu.RUnlock()
	if !s.streamGone && ch >= 0 && ch < s.channels {
		atomic.StoreUint32(&s.clip[ch], 0)
	}
}

var _ Source = (*paSource)(nil)

// newQueueSource returns a paSource with a capture queue of the given sizes
// (powers of two) and no stream, for tests that drive the stream callback
// with feed and read it back with Poll. Free it with free.
func newQueueSource(channels int, rate float64, frames, buffers uint64, jack bool) *paSource {
	return newQueueFileSource(channels, rate, frames, buffers, jack, "", "")
}

// newQueueFileSource is newQueueSource with the queue in file path (see
// StreamConfig.QueueFile); it panics when the queue cannot be made.
func newQueueFileSource(channels int, rate float64, frames, buffers uint64, jack bool, path, tag string) *paSource {
	s := &paSource{rate: rate, channels: channels, delivering: true,
		clock: adcClock{rate: rate, wholeBuffers: jack}}
	if err := s.initQueue(frames, buffers, path, tag); err != nil {
		panic("audio: test queue: " + err.Error())
	}
	return s
}

// feed calls the stream callback as PortAudio would with frames frames of in
// (nil: PortAudio passed no input buffer) and the given time info.
func (s *paSource) feed(in []float32, frames int, adc, now float64, overflow bool) {
	ti := C.PaStreamCallbackTimeInfo{inputBufferAdcTime: C.PaTime(adc), currentTime: C.PaTime(now)}
	var flags C.PaStreamCallbackFlags
	if overflow {
		flags = C.paInputOverflow
	}
	var p unsafe.Pointer
	if in != nil {
		p = unsafe.Pointer(&in[0])
	}
	C.podmarkCallback(p, nil, C.ulong(frames), &ti, flags, unsafe.Pointer(s.queue))
}

// piece is the longest buffer the queue holds in one entry.
const piece = C.PODMARK_PIECE

// cQueueLayout returns the C queue's layout: the header's size, the
// offsets of tag, wholeBuffers, fw, fr and the commit records in it, the size of a commit
// record and of a queued buffer, the overflow flag, and the size of a
// whole queue of the given dimensions (queuefile.go reads the same layout).
func cQueueLayout(channels int, frames, buffers uint64) []uint64 {
	var h C.podmarkHead
	return []uint64{C.PODMARK_HEAD, uint64(unsafe.Offsetof(h.tag)), uint64(unsafe.Offsetof(h.wholeBuffers)),
		uint64(unsafe.Offsetof(h.fw)), uint64(unsafe.Offsetof(h.fr)),
		uint64(unsafe.Offsetof(h.commit)), C.PODMARK_COMMIT, uint64(unsafe.Sizeof(C.podmarkBuf{})),
		C.paInputOverflow, uint64(C.podmarkQueueSize(C.int(channels), C.uint64_t(frames), C.uint64_t(buffers)))}
}

// cClipLevel returns the C callback's clip threshold, which must be
// clipLevel (a function: cgo reads a float macro to 6 digits only).
func cClipLevel() float32 { return float32(C.podmarkClipLevel()) }
