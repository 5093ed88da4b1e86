package session

import (
	"fmt"
	"sync"
	"testing"

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
