package audio

// This is the only file that imports PortAudio. Everything else in the
// package works with the Source interface.

/*
#cgo LDFLAGS: -lasound -ljack
#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
		if raceEnabled && !paIDsBurnt {
			burnStreamIDs()
		}
	}
	paRefs++
	return nil
}

var paIDsBurnt bool

// burnStreamIDs works around the binding under the race detector: OpenStream
// passes its stream number (0, 1, 2, …) to C as unsafe.Pointer(id), and
// checkptr (on with -race) aborts the process for any pointer value below
// 4096, so a test process could open only one stream. OpenStream with too
// many arguments fails before that conversion but still uses up a number;
// 4096 of them move the numbers out of checkptr's range. Called only in
// -race builds (raceEnabled), where CI runs every test.
func burnStreamIDs() {
	for range 4096 {
		if _, err := portaudio.OpenStream(portaudio.StreamParameters{}, 0, 0, 0); err == nil {
			break // cannot happen: three arguments are always rejected
		}
	}
	paIDsBurnt = true
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
}

type paSource struct {
	mu       sync.Mutex
	stream   *portaudio.Stream
	cb       func(in []float32, adc float64, overflow bool)
	rate     float64
	channels int
	device   string
	hostAPI  string
	running  bool
	closed   bool
	stuck    bool // Pa_StopStream did not return

	timeMu     sync.RWMutex  // Now vs Close
	streamGone bool          // the stream was closed (guarded by timeMu)
	lastNow    atomic.Uint64 // float64 bits of the last stream time read
	clock      adcClock      // used by the callback thread only
}

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
	info := infos[d.Index]
	p := portaudio.StreamParameters{
		Input:           portaudio.StreamDeviceParameters{Device: info, Channels: cfg.Channels, Latency: info.DefaultHighInputLatency},
		SampleRate:      float64(cfg.Rate),
		FramesPerBuffer: cfg.FramesPerBuffer,
	}
	if cfg.FramesPerBuffer <= 0 {
		p.FramesPerBuffer = portaudio.FramesPerBufferUnspecified
	}
	s := &paSource{rate: float64(cfg.Rate), channels: cfg.Channels, device: d.Name, hostAPI: d.HostAPI}
	// JACK loses whole periods when it loses any.
	s.clock = adcClock{rate: s.rate, wholeBuffers: strings.Contains(d.HostAPI, "JACK")}
	if err := portaudio.IsFormatSupported(p, s.callback); err != nil {
		return nil, formatError(err, cfg, name)
	}
	st, err := portaudio.OpenStream(p, s.callback)
	if err != nil {
		return nil, formatError(err, cfg, name)
	}
	s.stream = st
	return s, nil
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

// callback runs on PortAudio's thread: it only cleans up the ADC time (see
// adcClock) and forwards to the Recorder's callback. (The binding itself
// calls it through reflect.)
func (s *paSource) callback(in []float32, ti portaudio.StreamCallbackTimeInfo, flags portaudio.StreamCallbackFlags) {
	n := float64(len(in) / s.channels)
	adc := ti.InputBufferAdcTime.Seconds()
	if adc == 0 {
		// Some host APIs leave the ADC time unset: estimate it from the
		// callback's current time.
		adc = ti.CurrentTime.Seconds() - n/s.rate
	}
	overflow := flags&portaudio.InputOverflow != 0
	s.cb(in, s.clock.next(adc, n, overflow), overflow)
}

func (s *paSource) Start(cb func(in []float32, adc float64, overflow bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.running {
		return ErrRunning
	}
	s.cb = cb
	s.clock.set = false
	if err := s.stream.Start(); err != nil {
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
		s.lastNow.Store(math.Float64bits(s.stream.Time().Seconds()))
	}
	return math.Float64frombits(s.lastNow.Load())
}

// paStopTimeout bounds Pa_StopStream. When the JACK server dies under a
// running stream, PortAudio's JACK host waits up to ten minutes for a process
// callback that never comes.
const paStopTimeout = 2 * time.Second

// Stop stops the stream. If PortAudio does not return within paStopTimeout
// (the device or server is gone), Stop gives up with an error wrapping
// ErrDeviceLost; the stream is then closed and PortAudio released in the
// background if PortAudio ever returns, and until then OpenPortAudio and
// Devices fail with ErrDeviceLost.
func (s *paSource) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	done := make(chan error, 1)
	go func() { done <- s.stream.Stop() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("audio: stop %q: %w", s.device, err)
		}
		return nil
	case <-time.After(paStopTimeout):
	}
	s.stuck = true
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
			_ = s.stream.Close()
			s.timeMu.Unlock()
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
	if s.stuck {
		return serr
	}
	var cerr error
	s.timeMu.Lock()
	s.streamGone = true
	if err := s.stream.Close(); err != nil {
		cerr = fmt.Errorf("audio: close %q: %w", s.device, err)
	}
	s.timeMu.Unlock()
	return errors.Join(serr, cerr, paRelease())
}

func (s *paSource) Info() (device, hostAPI string) { return s.device, s.hostAPI }

var _ Source = (*paSource)(nil)
