package session

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podmark/podmark/audio"
)

// RampDevice is the name of the fake input device: a sample-counting ramp
// (audio.RampValue samples) that needs no sound card. Spellings:
//
//	ramp          audio.NewRamp paced in real time, up to 8 channels
//	ramp:N        the same with up to N channels (to test channel checks)
//	ramp:fast     50× real time (audio.RampOptions.Speed), every frame in order
//	ramp:xF       F× real time (F from 1 to 10000)
//	ramp:N:fast   (and ramp:N:xF) both
//
// The fast modes deliver every frame in order, catching up when late, so an
// hour takes 72 s and nothing is dropped unless the disk cannot keep up
// (a flat-out source would only measure how fast the queue overflows). The
// ramp captures into the same capture queue as a PortAudio device, in a
// file in Config.QueueDir, so a session on it runs the production path,
// kill -9 and recover included.
const RampDevice = "ramp"

// rampPeriod is the ramp's buffer size when Config.FramesPerBuffer is 0.
const rampPeriod = 1024

// DefaultFastFactor is the speed of ramp:fast.
const DefaultFastFactor = 50

// rampSpec parses a fake device name; ok is false for a real device name.
// speed is 0 for real time.
func rampSpec(dev string) (maxCh int, speed float64, ok bool, err error) {
	parts := strings.Split(dev, ":")
	if parts[0] != RampDevice {
		return 0, 0, false, nil
	}
	bad := fmt.Errorf("%w: %w: fake device %q (want ramp, ramp:N, ramp:fast, ramp:xF or ramp:N:fast)", ErrConfig, audio.ErrNoDevice, dev)
	maxCh = 8
	for _, p := range parts[1:] {
		switch {
		case p == "fast":
			speed = DefaultFastFactor
		case strings.HasPrefix(p, "x"):
			f, perr := strconv.ParseFloat(p[1:], 64)
			if perr != nil || f < 1 || f > 10000 {
				return 0, 0, true, bad
			}
			speed = f
		default:
			n, perr := strconv.Atoi(p)
			if perr != nil || n < 1 || n > 64 {
				return 0, 0, true, bad
			}
			maxCh = n
		}
	}
	return maxCh, speed, true, nil
}

// OpenSource opens the input cfg describes: the fake ramp device, or a
// PortAudio device by index or exact name ("" = default input). It checks the
// channel count against the device's maximum and the rate against what the
// device supports; those errors wrap ErrConfig and audio.ErrNoDevice,
// audio.ErrBadRate or audio.ErrBadChannels.
func OpenSource(cfg Config) (audio.Source, error) {
	cfg, err := normalize(cfg)
	if err != nil {
		return nil, err
	}
	maxCh, speed, isRamp, err := rampSpec(cfg.Device)
	if err != nil {
		return nil, err
	}
	if isRamp {
		if cfg.Channels > maxCh {
			return nil, fmt.Errorf("%w: %d channels, device %q has %d", ErrConfig, cfg.Channels, cfg.Device, maxCh)
		}
		fpb := cfg.FramesPerBuffer
		if fpb == 0 {
			// JACK-like 1024-frame periods (21 ms at 48 kHz, as jackd -p
			// 1024): 47 wake-ups a second instead of 187 with 256, which
			// on a 2-core machine was most of an idle recording's CPU. The
			// capture queue is a file, so kill -9 still loses nothing it
			// holds (at most the period being captured).
			fpb = rampPeriod
		}
		r := audio.NewRamp(audio.RampOptions{Channels: cfg.Channels, Rate: cfg.Rate, FramesPerBuffer: fpb, Realtime: true, Speed: speed,
			QueueFile: cfg.queueFile, QueueTag: cfg.queueTag})
		if cfg.RampReport != "" {
			return &reportingRamp{Ramp: r, path: cfg.RampReport}, nil
		}
		return r, nil
	}
	src, err := audio.OpenPortAudio(audio.StreamConfig{Device: cfg.Device, Channels: cfg.Channels, Rate: cfg.Rate,
		FramesPerBuffer: cfg.FramesPerBuffer, QueueFile: cfg.queueFile, QueueTag: cfg.queueTag})
	if err != nil {
		if errors.Is(err, audio.ErrNoDevice) || errors.Is(err, audio.ErrBadRate) || errors.Is(err, audio.ErrBadChannels) {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return nil, fmt.Errorf("session: %w", err)
	}
	return src, nil
}

// DefaultQueueDir (queuedir_*.go) holds the persistent capture queues.

// newQueueName returns a new capture queue file name in dir (see
// Config.QueueDir) and its tag; "" when there is to be none.
func newQueueName(dir string) (file, tag string, err error) {
	if dir == "-" {
		return "", "", nil
	}
	if dir == "" {
		dir = DefaultQueueDir
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("session: capture queue name: %w", err)
	}
	tag = hex.EncodeToString(b[:])
	abs, err := filepath.Abs(filepath.Join(dir, "podmark-"+tag+".queue"))
	if err != nil {
		return "", "", fmt.Errorf("session: capture queue in %q: %w", dir, err)
	}
	return abs, tag, nil
}

// Devices lists the input devices (audio.Devices).
func Devices() ([]audio.Device, error) {
	devs, err := audio.Devices()
	if err != nil {
		return nil, fmt.Errorf("session: list devices: %w", err)
	}
	return devs, nil
}

// HoldDevices keeps the audio host APIs initialized until release is
// called (audio.Hold): a Devices call and a device opened in between start
// at once instead of scanning the host APIs again.
func HoldDevices() (release func() error, err error) {
	release, err = audio.Hold()
	if err != nil {
		return nil, fmt.Errorf("session: list devices: %w", err)
	}
	return release, nil
}

// ParseRate parses a --rate value: 44100 or 48000.
func ParseRate(s string) (audio.SampleRate, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || (n != 44100 && n != 48000) {
		return 0, fmt.Errorf("%w: %w: %q (want 44100 or 48000)", ErrConfig, audio.ErrBadRate, s)
	}
	return audio.SampleRate(n), nil
}

// ParseBits parses a --bits value: 16, 24 or 32f.
func ParseBits(s string) (audio.SampleFormat, error) {
	f, err := audio.ParseSampleFormat(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return f, nil
}

// reportingRamp is the fake device that also writes, every 5 ms, how many
// stream frames it has delivered and when, to a file (Config.RampReport):
// "DELIVERED UNIX_NANOS\n" rewritten in place. A test that kills the process
// reads it to know what the source delivered up to the kill (the OS keeps
// the file's last write). It never touches the source's capture queue.
type reportingRamp struct {
	*audio.Ramp
	path string
	mu   sync.Mutex
	stop chan struct{}
	done chan error
}

func (r *reportingRamp) Start() error {
	f, err := os.OpenFile(r.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("session: ramp report: %w", err)
	}
	if err := r.Ramp.Start(); err != nil {
		return errors.Join(err, f.Close())
	}
	r.mu.Lock()
	r.stop, r.done = make(chan struct{}), make(chan error, 1)
	stop, done := r.stop, r.done
	r.mu.Unlock()
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var werr error
		write := func() {
			line := fmt.Sprintf("%020d %020d\n", r.Delivered(), time.Now().UnixNano())
			if _, err := f.WriteAt([]byte(line), 0); err != nil && werr == nil {
				werr = fmt.Errorf("session: ramp report %q: %w", r.path, err)
			}
		}
		for {
			select {
			case <-stop:
				write()
				if err := f.Close(); err != nil && werr == nil {
					werr = fmt.Errorf("session: ramp report %q: %w", r.path, err)
				}
				done <- werr
				return
			case <-t.C:
				write()
			}
		}
	}()
	return nil
}

func (r *reportingRamp) Stop() error {
	err := r.Ramp.Stop()
	r.mu.Lock()
	stop, done := r.stop, r.done
	r.stop = nil
	r.mu.Unlock()
	if stop != nil {
		close(stop)
		err = errors.Join(err, <-done)
	}
	return err
}

func (r *reportingRamp) Close() error { return errors.Join(r.Stop(), r.Ramp.Close()) }
