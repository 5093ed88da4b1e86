package session

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

// recPub records what a Publisher is told.
type recPub struct {
	mu  sync.Mutex
	got []string
}

func (p *recPub) note(op string, m markers.Marker) {
	p.mu.Lock()
	p.got = append(p.got, fmt.Sprintf("%s %s %q", op, m.Kind, m.Title))
	p.mu.Unlock()
}
func (p *recPub) MarkerAdded(m markers.Marker)   { p.note("add", m) }
func (p *recPub) MarkerUpdated(m markers.Marker) { p.note("update", m) }
func (p *recPub) MarkerDeleted(m markers.Marker) { p.note("delete", m) }

// TestPublisherSeesEveryChange: add, update, delete and restore reach the
// publisher after they are journaled, in order; none after it is cleared.
func TestPublisherSeesEveryChange(t *testing.T) {
	cfg := rampCfg(t, 1)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &recPub{}
	s.SetPublisher(p)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	m, err := s.Mark(markers.Topic, "Intro")
	if err != nil {
		t.Fatal(err)
	}
	title := "Welcome"
	if err := s.Update(markers.Update{ID: m.ID, Title: &title}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Delete(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(gone); err != nil {
		t.Fatal(err)
	}
	s.SetPublisher(nil)
	if _, err := s.Mark(markers.Note, "unpublished"); err != nil {
		t.Fatal(err)
	}
	want := []string{`add topic "Intro"`, `update topic "Welcome"`, `delete topic "Welcome"`, `add topic "Welcome"`}
	p.mu.Lock()
	defer p.mu.Unlock()
	if fmt.Sprint(p.got) != fmt.Sprint(want) {
		t.Errorf("publisher saw %q, want %q", p.got, want)
	}
}

// TestSetRoomClock: the room's clock estimates reach session.json at once,
// survive the stop's rewrite, can be replaced after the stop, and Meta
// hands out copies.
func TestSetRoomClock(t *testing.T) {
	cfg := rampCfg(t, 1)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	measured := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	rc := RoomClock{Host: "alice", Rate: 48000, Peers: []PeerClock{{Host: "bob", Rate: 44100, Offset: 1.25, DriftPPM: -12.5, RTT: 0.0003, Rounds: 8, Measurements: 3, Span: 60, Measured: measured}}}
	if err := s.SetRoomClock(rc); err != nil {
		t.Fatal(err)
	}
	rc.Peers[0].Offset = 99 // the caller's slice is not shared
	got, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := got.RoomClock.Peer("bob")
	if !ok || p.Offset != 1.25 || p.DriftPPM != -12.5 || p.Rate != 44100 || !p.Measured.Equal(measured) || got.RoomClock.Host != "alice" {
		t.Fatalf("while recording: room_clock = %+v", got.RoomClock)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	got, err = Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.RoomClock.Peer("bob"); !ok || p.Offset != 1.25 {
		t.Fatalf("after stop: room_clock = %+v", got.RoomClock)
	}
	rc.Peers = append(rc.Peers, PeerClock{Host: "carol", Rate: 48000, Offset: -3})
	if err := s.SetRoomClock(rc); err != nil {
		t.Fatal(err)
	}
	got, err = Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.RoomClock.Peer("carol"); !ok || p.Offset != -3 || got.State != StateStopped {
		t.Fatalf("set after stop: state %s, room_clock = %+v", got.State, got.RoomClock)
	}
	if _, ok := got.RoomClock.Peer("dave"); ok {
		t.Fatal("Peer found a host that is not there")
	}
	m := s.Meta()
	m.RoomClock.Peers[0].Offset = 7
	if s.Meta().RoomClock.Peers[0].Offset != 99 {
		t.Fatalf("Meta shares room_clock with the session: %+v", s.Meta().RoomClock)
	}
}
