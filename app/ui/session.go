package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/podmark/podmark/app/export"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// NewBackend wires the window to the real engine: app/session for
// recording, soundcheck, recovery and the marker document.
func NewBackend() Backend {
	return Backend{
		Devices:        devices,
		NewMonitor:     newMonitor,
		NewRecording:   newRecording,
		FindUnfinished: session.FindUnfinished,
		Recover:        recoverSession,
		LoadDoc:        session.LoadDoc,
		FreeTime:       freeTime,
		DefaultHost:    session.DefaultHost,
		Export:         handOff,
	}
}

// devices lists PortAudio's input devices, the same list `podmark devices`
// prints (Spec is the index, which Config.Device passes back), then the
// engine's test signal; the error is PortAudio's, with the list still usable.
func devices() ([]Device, error) {
	ds, err := audio.Devices()
	out := make([]Device, 0, len(ds)+1)
	for _, d := range ds {
		out = append(out, Device{Spec: strconv.Itoa(d.Index), Name: d.Name, Channels: d.MaxInputChannels, DefaultRate: d.DefaultRate})
	}
	// The engine's fake input: a test signal to try podmark without a mic.
	out = append(out, Device{Spec: session.RampDevice, Name: "test signal (no microphone)", Channels: 8, DefaultRate: 48000})
	return out, err
}

// sessionConfig maps the window's choices to the engine's.
func sessionConfig(cfg Config, dir string) (session.Config, error) {
	f, err := session.ParseBits(cfg.Bits)
	if err != nil {
		return session.Config{}, err
	}
	return session.Config{Dir: dir, Title: cfg.Title, Host: cfg.Host, Device: cfg.Device,
		Channels: cfg.Channels, Rate: audio.SampleRate(cfg.Rate), Format: f}, nil
}

func levels(in []audio.Level) []Level {
	out := make([]Level, len(in))
	for i, l := range in {
		out[i] = Level{Peak: l.Peak, RMS: l.RMS, Clipped: l.Clipped}
	}
	return out
}

type sessionMonitor struct{ m *session.Monitor }

func newMonitor(cfg Config) (Monitor, error) {
	sc, err := sessionConfig(cfg, "")
	if err != nil {
		return nil, err
	}
	m, err := session.NewMonitor(sc)
	if err != nil {
		return nil, err
	}
	return sessionMonitor{m}, nil
}

func (m sessionMonitor) Levels() []Level { return levels(m.m.Levels(nil)) }
func (m sessionMonitor) Close() error    { return m.m.Close() }

// sessionRecording is a *session.Session as the window's Recording.
type sessionRecording struct {
	*session.Session
	rate int
}

func newRecording(cfg Config, h Hooks) (Recording, error) {
	sc, err := sessionConfig(cfg, session.DefaultDirName(cfg.Root, cfg.Title, time.Now()))
	if err != nil {
		return nil, err
	}
	s, err := session.New(sc)
	if err != nil {
		return nil, err
	}
	s.SetHooks(session.Hooks{
		OnMarker: h.OnMarker,
		OnState: func(st session.State) {
			if h.OnState != nil {
				h.OnState(string(st))
			}
		},
		OnError: h.OnError,
	})
	return sessionRecording{Session: s, rate: cfg.Rate}, nil
}

func (r sessionRecording) Rate() int { return r.rate }

func (r sessionRecording) Status() Status {
	st := r.Session.Status()
	return Status{State: string(st.State), Frames: st.Position, Elapsed: st.Elapsed, Levels: levels(st.Levels),
		Dropped: st.Dropped, Glitches: st.Glitches}
}

func recoverSession(dir string) (string, error) {
	rep, err := session.Recover(dir)
	if err != nil {
		return "", err
	}
	return session.RecoverSummary(rep), nil
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

// handOff runs the export engine on the stopped session in dir: the
// editor's bundle (tracks, FLAC, MP3 review mix with chapters, every marker
// format, manifest) in <session>-handoff next to the session folder
// (-handoff-2, -3… when it exists; the export engine refuses a folder inside
// the session).
func handOff(dir string, progress func(ExportProgress)) (string, error) {
	dir = filepath.Clean(dir)
	out := dir + "-handoff"
	for i := 2; ; i++ {
		if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
			break
		}
		out = fmt.Sprintf("%s-handoff-%d", dir, i)
	}
	res, err := export.Run(context.Background(), export.Options{Session: dir, Out: out}, func(p export.Progress) {
		progress(ExportProgress{Stage: p.Stage, Fraction: p.Fraction})
	})
	if err != nil {
		return "", err
	}
	return res.Dir, nil
}
