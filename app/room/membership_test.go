package room

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// recordingInRoom starts a relay and alice's recording (the fake source)
// and returns the room's link; the relay closes when the test ends.
func recordingInRoom(t *testing.T) (Link, *session.Session) {
	t.Helper()
	r := startRelay(t, t.TempDir())
	t.Cleanup(func() { r.Close() })
	l, err := ParseLink("nats://" + r.Addr().String() + "/show/ep1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New(session.Config{Dir: filepath.Join(t.TempDir(), "s"), Host: "alice", Device: "ramp", Channels: 1, Rate: 48000, QueueDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return l, s
}

// TestMembership: a recording (the fake source) joins a room through
// JoinSession: it proposes the rundown, Next drops the topic marker that
// reaches the other host, presence says recording, stopped, then left.
func TestMembership(t *testing.T) {
	l, s := recordingInRoom(t)
	in := newInbox()
	_, states := joinBobWatchingAlice(t, l, in.add)
	m, err := JoinSession(s, MembershipConfig{Link: l, Rundown: []string{"Intro", "News"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Host() != "alice" {
		t.Fatalf("host %q", m.Host())
	}
	waitState := func(want State) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case st := <-states:
				if st == want {
					return
				}
			case <-deadline:
				t.Fatalf("alice's presence never said %s", want)
			}
		}
	}
	waitState(StateRecording)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := m.Client().Rundown(); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the proposed rundown never reached the room")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	rd, mk, err := m.Next(context.Background())
	if err != nil || mk == nil || mk.Title != "Intro" || mk.Kind != markers.Topic || rd.Current != 0 {
		t.Fatalf("Next: %+v %+v %v", rd, mk, err)
	}
	got := in.waitN(t, 1, 5*time.Second)
	if got[0].ID != mk.ID || got[0].Title != "Intro" || got[0].Sample != mk.Sample {
		t.Fatalf("bob received %+v, want %+v", got[0], mk)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	waitState(StateStopped)
	if err := m.Leave(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitState(StateLeft)
	if meta, err := session.Load(s.Dir()); err != nil || meta.RoomClock == nil || meta.RoomClock.Host != "alice" {
		t.Fatalf("session.json room_clock: %+v %v", meta.RoomClock, err)
	}
}

// TestMembershipCallerTicks: with CallerTicks the membership publishes no
// presence of its own while recording (the caller's PublishPresence does),
// and still publishes at once when the recording ends.
func TestMembershipCallerTicks(t *testing.T) {
	l, s := recordingInRoom(t)
	bob, states := joinBobWatchingAlice(t, l, nil)
	m, err := JoinSession(s, MembershipConfig{Link: l, CallerTicks: true})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool { return m.Client().Joined() && bob.Joined() })
	time.Sleep(300 * time.Millisecond) // bob's presence subscription is in place
	select {
	case st := <-states:
		t.Fatalf("presence %s without a caller's tick", st)
	case <-time.After(2500 * time.Millisecond):
	}
	m.PublishPresence()
	select {
	case st := <-states:
		if st != StateRecording {
			t.Fatalf("presence %s, want recording", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("PublishPresence reached nobody")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-states:
		if st != StateStopped {
			t.Fatalf("presence %s at the end, want stopped", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no presence when the recording ended")
	}
	if err := m.Leave(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// joinBobWatchingAlice joins host bob to the room of link l (markers to
// onMarker, if any); alice's presence states arrive on the channel. Bob
// leaves when the test ends.
func joinBobWatchingAlice(t *testing.T, l Link, onMarker func(Received)) (*Client, <-chan State) {
	t.Helper()
	states := make(chan State, 100)
	bob, err := Join(Config{Link: l, Host: "bob", Rate: 48000, Dir: t.TempDir(), OnMarker: onMarker,
		OnPresence: func(p Presence) {
			if p.Host == "alice" {
				states <- p.State
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bob.Close(context.Background()) })
	return bob, states
}
