package session

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podmark/podmark/audio"
)

// RampDevice is the name of the fake input device: a sample-counting ramp
// (audio.NewRamp) that needs no sound card. Spellings:
//
//	ramp          real-time paced, up to 8 channels
//	ramp:N        real-time paced, up to N channels (to test channel checks)
//	ramp:fast     as fast as the disk takes it (benchmarks)
//	ramp:N:fast   both
const RampDevice = "ramp"

// rampSpec parses a fake device name; ok is false for a real device name.
func rampSpec(dev string) (maxCh int, fast, ok bool, err error) {
	parts := strings.Split(dev, ":")
	if parts[0] != RampDevice {
		return 0, false, false, nil
	}
	maxCh = 8
	for _, p := range parts[1:] {
		if p == "fast" {
			fast = true
			continue
		}
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 64 {
			return 0, false, true, fmt.Errorf("%w: %w: fake device %q (want ramp, ramp:N, ramp:fast or ramp:N:fast)", ErrConfig, audio.ErrNoDevice, dev)
		}
		maxCh = n
	}
	return maxCh, fast, true, nil
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
	maxCh, fast, isRamp, err := rampSpec(cfg.Device)
	if err != nil {
		return nil, err
	}
	if isRamp {
		if cfg.Channels > maxCh {
			return nil, fmt.Errorf("%w: %d channels, device %q has %d", ErrConfig, cfg.Channels, cfg.Device, maxCh)
		}
		r := audio.NewRamp(audio.RampOptions{Channels: cfg.Channels, Rate: cfg.Rate, FramesPerBuffer: cfg.FramesPerBuffer, Realtime: !fast})
		if cfg.RampReport != "" {
			return &reportingRamp{Ramp: r, path: cfg.RampReport}, nil
		}
		return r, nil
	}
	src, err := audio.OpenPortAudio(audio.StreamConfig{Device: cfg.Device, Channels: cfg.Channels, Rate: cfg.Rate, FramesPerBuffer: cfg.FramesPerBuffer})
	if err != nil {
		if errors.Is(err, audio.ErrNoDevice) || errors.Is(err, audio.ErrBadRate) || errors.Is(err, audio.ErrBadChannels) {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return nil, fmt.Errorf("session: %w", err)
	}
	return src, nil
}

// Devices lists the input devices (audio.Devices).
func Devices() ([]audio.Device, error) {
	devs, err := audio.Devices()
	if err != nil {
		return nil, fmt.Errorf("session: list devices: %w", err)
	}
	return devs, nil
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

// DeviceLine formats d as `podmark devices` prints it, tab-separated:
// INDEX NAME HOSTAPI MAX_INPUT_CHANNELS DEFAULT_RATE. Tabs and newlines in
// names become spaces.
func DeviceLine(d audio.Device) string {
	clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	return fmt.Sprintf("%d\t%s\t%s\t%d\t%.0f", d.Index, clean.Replace(d.Name), clean.Replace(d.HostAPI), d.MaxInputChannels, d.DefaultRate)
}

// reportingRamp is the fake device that also writes, every 5 ms, how many
// stream frames it has delivered and when, to a file (Config.RampReport):
// "DELIVERED UNIX_NANOS\n" rewritten in place. A test that kills the process
// reads it to know what the source delivered up to the kill (the OS keeps
// the file's last write). It never touches the audio callback.
type reportingRamp struct {
	*audio.Ramp
	path string
	mu   sync.Mutex
	stop chan struct{}
	done chan error
}

func (r *reportingRamp) Start(cb func(in []float32, adc float64, overflow bool)) error {
	f, err := os.OpenFile(r.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("session: ramp report: %w", err)
	}
	if err := r.Ramp.Start(cb); err != nil {
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
