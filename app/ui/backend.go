package ui

import (
	"time"

	"github.com/podmark/podmark/markers"
)

// Config is what the soundcheck screen collects for a recording.
type Config struct {
	Root     string // recordings folder; each recording is a new session folder in it
	Title    string
	Host     string
	Device   string // index or exact name; "" = default input
	Channels int
	Rate     int
	Bits     string // "16", "24" or "32f"
}

// Device is one input device offered in the picker.
type Device struct {
	Spec        string // what Config.Device takes (the index)
	Name        string
	Channels    int
	DefaultRate float64
}

// Level is one channel's meter reading, linear 0..1.
type Level struct {
	Peak, RMS float32
	Clipped   bool
}

// Status is a snapshot of a running recording.
type Status struct {
	State    string // "recording", "paused", "stopped", "failed"…
	Frames   int64  // the file frame of "now" (the session's Status.Position)
	Elapsed  time.Duration
	Levels   []Level
	Dropped  int64
	Glitches int64
}

// Recording is one running session as the window drives it; app/session
// implements it (see session.go), so the window never records on its own.
// All methods are safe for concurrent use.
type Recording interface {
	Start() error
	Pause() error
	Resume() error
	Stop() error
	Mark(kind markers.Kind, title string) (markers.Marker, error)
	Update(u markers.Update) error
	Delete(id string) (markers.Marker, error)
	Restore(m markers.Marker) error
	Status() Status
	Dir() string
	Rate() int
	Done() <-chan struct{}
	Err() error
}

// Monitor meters the input before recording (soundcheck); it writes no files.
type Monitor interface {
	Levels() []Level
	Close() error
}

// Hooks are the engine's events; they arrive on engine goroutines and the
// window forwards them to the Fyne goroutine with fyne.Do.
type Hooks struct {
	OnMarker func(markers.Marker)
	OnState  func(state string)
	OnError  func(error)
}

// ExportProgress is a hand-off's progress, 0..1, with the current stage.
type ExportProgress struct {
	Stage    string
	Fraction float64
}

// Backend is everything the window asks of the engine. NewBackend (in
// session.go) wires it to app/session, audio and the export package; tests
// wire the same code to the fake Ramp source.
type Backend struct {
	Devices        func() ([]Device, error)
	NewMonitor     func(cfg Config) (Monitor, error)
	NewRecording   func(cfg Config, h Hooks) (Recording, error)
	FindUnfinished func(root string) ([]string, error)
	Recover        func(dir string) (summary string, err error)
	LoadDoc        func(dir string) (markers.Doc, error)
	// Export writes the hand-off for the session in dir and returns the
	// folder holding the result.
	Export func(dir string, progress func(ExportProgress)) (out string, err error)
	// DefaultHost is the host name used when none was given or saved.
	DefaultHost func() string
	// FreeTime is how long the recordings folder can still record cfg.
	FreeTime func(cfg Config) (time.Duration, error)
}
