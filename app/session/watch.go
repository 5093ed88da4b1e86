package session

import (
	"path/filepath"
	"sync"
)

// Watching a recording from the same process. A reader of the session
// folder (the room's progressive upload) could look at the files every so
// often, but every look wakes the Go runtime (the scheduler, the monitor
// thread, the system calls), which costs more CPU than the reading itself;
// a Watch lets it wake only when there is something to read.

// watcher is one Watch: its channel and the track length (in multiples of
// every) it was last told about.
type watcher struct {
	ch    chan struct{}
	every int64
	seen  int64 // frames / every at the last signal
}

// watchers is the Session's list of Watch channels.
type watchers struct {
	mu   sync.Mutex
	list []*watcher
}

// Watch returns a channel that receives a signal each time the tracks on
// disk hold another multiple of every frames (every > 0; the writer hands
// its samples to the OS about once a second, so a signal comes at most
// that late) and each time the session's state changes (after session.json
// says so, also the final state). A signal is never waited for: the channel
// holds one at most, and a reader that was busy finds the one pending.
// stop ends the signals. Watch is concurrent-safe.
func (s *Session) Watch(every int64) (c <-chan struct{}, stop func()) {
	w := &watcher{ch: make(chan struct{}, 1), every: max(every, 1)}
	w.seen = s.rec.Stats().Frames / w.every
	s.watch.mu.Lock()
	s.watch.list = append(s.watch.list, w)
	s.watch.mu.Unlock()
	return w.ch, func() {
		s.watch.mu.Lock()
		defer s.watch.mu.Unlock()
		for i, o := range s.watch.list {
			if o == w {
				s.watch.list = append(s.watch.list[:i], s.watch.list[i+1:]...)
				return
			}
		}
	}
}

// onDrained is the recorder's OnDrained hook (the writer goroutine).
func (s *Session) onDrained(frames int64) {
	s.watch.mu.Lock()
	for _, w := range s.watch.list {
		if n := frames / w.every; n != w.seen {
			w.seen = n
			poke(w.ch)
		}
	}
	s.watch.mu.Unlock()
}

// signalWatchers tells every Watch that something changed (the state).
func (s *Session) signalWatchers() {
	s.watch.mu.Lock()
	for _, w := range s.watch.list {
		poke(w.ch)
	}
	s.watch.mu.Unlock()
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// running maps the absolute folder of every session recording in this
// process (from New until it is finalized) to its Session.
var running = struct {
	sync.Mutex
	m map[string]*Session
}{m: map[string]*Session{}}

// Running returns the Session that records into the folder dir in this
// process, or nil (none, or it has stopped: the folder then no longer
// changes). Readers of a folder use it to Watch the recording instead of
// looking at the files again and again. Running is concurrent-safe.
func Running(dir string) *Session {
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	running.Lock()
	defer running.Unlock()
	return running.m[key]
}

func (s *Session) register() {
	key, err := filepath.Abs(s.dir)
	if err != nil {
		return
	}
	running.Lock()
	running.m[key] = s
	running.Unlock()
}

func (s *Session) unregister() {
	key, err := filepath.Abs(s.dir)
	if err != nil {
		return
	}
	running.Lock()
	if running.m[key] == s {
		delete(running.m, key)
	}
	running.Unlock()
}
