package session

import (
	"fmt"

	"github.com/podmark/podmark/audio"
)

// Monitor meters an input without recording (soundcheck). Its methods are
// concurrent-safe.
type Monitor struct {
	src audio.Source
	rec *audio.Recorder
}

// NewMonitor opens cfg's device (cfg.Dir is ignored) and starts metering.
// Close it before recording from the same device.
func NewMonitor(cfg Config) (*Monitor, error) {
	src := cfg.Source
	cfg, err := normalize(cfg)
	if err != nil {
		if src != nil {
			src.Close()
		}
		return nil, err
	}
	if src == nil {
		if src, err = OpenSource(cfg); err != nil {
			return nil, err
		}
	}
	rec, err := audio.NewRecorder(audio.RecorderConfig{Source: src, Channels: cfg.Channels, Rate: cfg.Rate, Format: cfg.Format, StallTimeout: cfg.StallTimeout})
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("session: monitor: %w", err)
	}
	if _, err := rec.Start(); err != nil {
		rec.Stop()
		src.Close()
		return nil, fmt.Errorf("session: monitor: %w", err)
	}
	return &Monitor{src: src, rec: rec}, nil
}

// Levels returns the current per-channel levels (appended to dst[:0]).
func (m *Monitor) Levels(dst []audio.Level) []audio.Level { return m.rec.Levels(dst) }

// ClearClip resets the clip latch of channel ch (from 0).
func (m *Monitor) ClearClip(ch int) { m.rec.ClearClip(ch) }

// Err reports why metering stopped by itself (device lost), or nil.
func (m *Monitor) Err() error { return m.rec.Err() }

// Close stops metering and closes the device.
func (m *Monitor) Close() error {
	err := m.rec.Stop()
	if cerr := m.src.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("session: monitor: %w", err)
	}
	return nil
}
