package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// NewBackend wires the window to the real engine: app/session for
// recording, soundcheck, recovery and the marker document.
func NewBackend() Backend {
	return Backend{
		Devices:     devices,
		LoadDoc:     session.LoadDoc,
		FreeTime:    freeTime,
		DefaultHost: session.DefaultHost,
		Export:      exportMarkers,
	}
}

// devices lists PortAudio's input devices, the same list `podmark devices`
// prints; Spec is the index, which Config.Device passes back.
func devices() ([]Device, error) {
	ds, err := audio.Devices()
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, Device{Spec: strconv.Itoa(d.Index), Name: d.Name, Channels: d.MaxInputChannels, DefaultRate: d.DefaultRate})
	}
	return out, nil
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

// exportMarkers is the hand-off without the export engine: the session's
// chapters and labels in every marker format, in <session>/export.
func exportMarkers(dir string, progress func(ExportProgress)) (string, error) {
	doc, err := session.LoadDoc(dir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "export")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("ui: export: %w", err)
	}
	for i, f := range markers.Formats {
		progress(ExportProgress{Stage: string(f), Fraction: float64(i) / float64(len(markers.Formats))})
		path := filepath.Join(out, "chapters"+f.Ext())
		err := markers.WriteFile(path, f, doc)
		if errors.Is(err, markers.ErrInvalid) {
			fixed, _ := markers.Fix(doc, f)
			err = markers.WriteFile(path, f, fixed)
		}
		if errors.Is(err, markers.ErrInvalid) {
			continue // e.g. too few chapters for YouTube: the hand-off report says why
		}
		if err != nil {
			return out, fmt.Errorf("ui: export %s: %w", f, err)
		}
	}
	progress(ExportProgress{Stage: "done", Fraction: 1})
	return out, nil
}
