package ui

import (
	"os"
	"path/filepath"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// NewBackend wires the window to the real engine: app/session for
// recording, soundcheck, recovery and the marker document.
func NewBackend() Backend {
	return Backend{
		LoadDoc:  session.LoadDoc,
		FreeTime: freeTime,
	}
}

func freeTime(cfg Config) (time.Duration, error) {
	f, err := audio.ParseSampleFormat(cfg.Bits)
	if err != nil {
		f = audio.Int24
	}
	dir := cfg.Root
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir) // not created yet: measure where it will be
	}
	return session.FreeTime(dir, audio.SampleRate(cfg.Rate), cfg.Channels, f)
}
