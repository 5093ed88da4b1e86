package session

import "github.com/podmark/podmark/markers"

// Publisher receives every marker change after it is journaled, in journal
// order: the show room (app/room) implements it to publish markers to the
// other hosts. It is called with the session's marker lock held, from
// whatever goroutine changed the marker (never the audio callback), so it
// must only queue the change and return at once; it must not call back into
// the session. The session never waits on the network through it.
type Publisher interface {
	MarkerAdded(m markers.Marker)   // a new marker, or one put back by Restore
	MarkerUpdated(m markers.Marker) // the marker's new state after Update
	MarkerDeleted(m markers.Marker) // the marker as it was when deleted
}

// SetPublisher sets (or, with nil, clears) the session's Publisher.
// SetPublisher is concurrent-safe.
func (s *Session) SetPublisher(p Publisher) {
	s.mkMu.Lock()
	s.pub = p
	s.mkMu.Unlock()
}

// SetRoomClock records the show room's clock estimates in session.json
// (Meta.RoomClock) and writes it at once, in any state (the room may
// finish measuring after the recording stopped). It is concurrent-safe and
// never touches the audio path; the caller passes the whole, latest set.
func (s *Session) SetRoomClock(rc RoomClock) error {
	rc.Peers = append([]PeerClock(nil), rc.Peers...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meta.RoomClock = &rc
	return s.saveLocked()
}
