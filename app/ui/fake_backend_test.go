package ui

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/podmark/podmark/markers"
)

// fakeRecording stands in for a session where the engine is not needed:
// a wall-clock sample counter and the real markers journal on disk.
type fakeRecording struct {
	mu      sync.Mutex
	dir     string
	j       *markers.Journal
	start   time.Time
	paused  time.Duration
	pauseAt time.Time
	state   string
	ms      map[string]markers.Marker
	done    chan struct{}
	ch      int
}

func newFakeBackend() Backend {
	return Backend{
		Devices: func() ([]Device, error) {
			return []Device{{Spec: "0", Name: "fake ramp", Channels: 2, DefaultRate: 48000}}, nil
		},
		NewMonitor: func(cfg Config) (Monitor, error) { return fakeMonitor{cfg.Channels}, nil },
		NewRecording: func(cfg Config, h Hooks) (Recording, error) {
			dir := filepath.Join(cfg.Root, "fake-"+time.Now().Format("150405.000000"))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			j, err := markers.OpenJournal(filepath.Join(dir, "markers.jsonl"))
			if err != nil {
				return nil, err
			}
			return &fakeRecording{dir: dir, j: j, ms: map[string]markers.Marker{}, done: make(chan struct{}), ch: cfg.Channels}, nil
		},
		LoadDoc: func(dir string) (markers.Doc, error) {
			ms, _, err := markers.ReplayJournalFile(filepath.Join(dir, "markers.jsonl"))
			return markers.Doc{Version: 1, Rate: 48000, Markers: ms}, err
		},
		Export: func(dir string, progress func(ExportProgress)) (string, error) {
			progress(ExportProgress{"markers", 0.5})
			out := filepath.Join(dir, "export")
			return out, os.MkdirAll(out, 0o755)
		},
	}
}

type fakeMonitor struct{ ch int }

func (m fakeMonitor) Levels() []Level { return make([]Level, m.ch) }
func (m fakeMonitor) Close() error    { return nil }

func (r *fakeRecording) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start, r.state = time.Now(), "recording"
	return nil
}

func (r *fakeRecording) frames() int64 {
	d := time.Since(r.start) - r.paused
	if r.state == "paused" {
		d -= time.Since(r.pauseAt)
	}
	return int64(d.Seconds() * 48000)
}

func (r *fakeRecording) Pause() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state, r.pauseAt = "paused", time.Now()
	return nil
}

func (r *fakeRecording) Resume() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused += time.Since(r.pauseAt)
	r.state = "recording"
	return nil
}

func (r *fakeRecording) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state = "stopped"
	close(r.done)
	return r.j.Close()
}

func (r *fakeRecording) Mark(k markers.Kind, title string) (markers.Marker, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := markers.Marker{ID: markers.NewID(), Kind: k, Title: title, Sample: r.frames(), UTC: time.Now().UTC()}
	r.ms[m.ID] = m
	return m, r.j.Add(m)
}

func (r *fakeRecording) Update(u markers.Update) error { return r.j.Update(u) }

func (r *fakeRecording) Delete(id string) (markers.Marker, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.ms[id]
	if !ok {
		return m, errors.New("no such marker")
	}
	return m, r.j.Delete(id)
}

func (r *fakeRecording) Restore(m markers.Marker) error { return r.j.Add(m) }

func (r *fakeRecording) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.frames()
	lv := make([]Level, r.ch)
	for i := range lv {
		v := float32(0.3 + 0.2*math.Sin(float64(f)/48000))
		lv[i] = Level{Peak: v, RMS: v / 2}
	}
	return Status{State: r.state, Frames: f, Elapsed: time.Duration(float64(f) / 48000 * float64(time.Second)), Levels: lv}
}

func (r *fakeRecording) Dir() string           { return r.dir }
func (r *fakeRecording) Rate() int             { return 48000 }
func (r *fakeRecording) Done() <-chan struct{} { return r.done }
func (r *fakeRecording) Err() error            { return nil }
