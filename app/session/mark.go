package session

import (
	"fmt"
	"time"

	"github.com/podmark/podmark/markers"
)

// MarkAt drops a marker at pos, a position read earlier with Position (the
// instant a key was pressed), and journals it; like Mark it returns once the
// journal line is on disk and then calls OnMarker. It lets a UI take the
// position at the key press on its own thread and leave the journal's
// fsync to another goroutine. pos must lie between 0 and the current
// position; the session must be recording or paused.
func (s *Session) MarkAt(pos int64, kind markers.Kind, title string) (markers.Marker, error) {
	m, err := s.markAt(pos, kind, title)
	if err != nil {
		return m, err
	}
	s.emitMarker(m) // outside the state lock: the hook may call back
	return m, nil
}

func (s *Session) markAt(pos int64, kind markers.Kind, title string) (markers.Marker, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.state != StateRecording && s.state != StatePaused {
		return markers.Marker{}, fmt.Errorf("%w: mark in state %s", ErrState, s.state)
	}
	if !kind.Valid() {
		return markers.Marker{}, fmt.Errorf("session: mark: %w: %q", markers.ErrBadKind, kind)
	}
	if now := s.rec.Position(); pos < 0 || pos > now {
		return markers.Marker{}, fmt.Errorf("session: mark at frame %d: outside the recording (0..%d)", pos, now)
	}
	m := markers.Marker{ID: markers.NewID(), Kind: kind, Title: title, Sample: pos, Author: s.meta.Host, UTC: time.Now().UTC()}
	if err := s.add(m); err != nil {
		return markers.Marker{}, err
	}
	return m, nil
}
