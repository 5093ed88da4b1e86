package room

// A recording's membership of a room, shared by `podmark record --room` and
// the window: joining for a session, publishing its markers and presence,
// proposing the rundown, measuring the other hosts' clocks into
// session.json, Next, and leaving. The two faces only add their own hooks
// (the CLI prints, the window draws).

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// UploadStatus is what a member needs of the progressive upload
// (handoff.go): its progress, carried in presence.
type UploadStatus interface{ Status() Upload }

// MembershipConfig describes how a recording joins a room.
type MembershipConfig struct {
	Link  Link
	Creds string // nkey seed file; "" = the link's token, if any
	CA    string // PEM file of the relay's CA; "" = the system's
	// Rundown, when not nil, is proposed to the room once joined (the
	// first host to propose one sets it).
	Rundown []string

	// Hooks, called from the room's goroutines; they must not block.
	OnMarker   func(Received)  // another host's marker event, in order, once
	OnPresence func(Presence)  // another host's presence (never this host's own)
	OnRundown  func(Rundown)   // the rundown changed
	OnLink     func(LinkState) // the connection to the relay changed
	OnPulled   func(Pulled)    // an editor has a host's session verified
	Log        func(msg string)

	// CallerTicks says the caller calls PublishPresence about every second
	// (`podmark record` does it on its status line's tick), so the
	// membership does not keep a second 1 s ticker of its own: each timer
	// wakes the Go runtime, and two a second cost twice one. The membership
	// still publishes at once when the recording ends.
	CallerTicks bool
}

// Membership is a recording's membership of a room. Its methods are
// concurrent-safe.
type Membership struct {
	c    *Client
	s    *session.Session
	cfg  MembershipConfig
	host string
	rate int

	mu     sync.Mutex
	clocks map[string][]ClockEstimate // every measurement kept, per host
	fits   map[string]ClockFit
	hosts  map[string]Presence
	up     UploadStatus

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// NotReachableAfter is how long a member waits before it says (through
// Log) that the room cannot be reached yet.
const NotReachableAfter = 3 * time.Second

// JoinSession starts joining the room for the recording s and returns at
// once: the recording never waits on the network. It sets s's Publisher and
// names this host in session.json's room_clock. Only a bad configuration
// (link, host name, credentials file) is an error.
func JoinSession(s *session.Session, cfg MembershipConfig) (*Membership, error) {
	meta := s.Meta()
	host := SafeHost(meta.Host)
	m := &Membership{s: s, cfg: cfg, host: host, rate: meta.Rate,
		clocks: map[string][]ClockEstimate{}, fits: map[string]ClockFit{}, hosts: map[string]Presence{}, stop: make(chan struct{})}
	c, err := Join(Config{
		Link: cfg.Link, Creds: cfg.Creds, CA: cfg.CA, Host: host, Rate: meta.Rate, Dir: s.Dir(),
		Clock:      func() (int64, bool) { return StreamClock(s) },
		OnMarker:   cfg.OnMarker,
		OnPresence: m.onPresence,
		OnRundown:  cfg.OnRundown,
		OnLink:     cfg.OnLink,
		OnPulled:   cfg.OnPulled,
		Log:        cfg.Log,
	})
	if err != nil {
		return nil, err
	}
	m.c = c
	s.SetPublisher(c)
	// session.json names this host's room name from the start, so that
	// merge can find it in the other hosts' room_clock.
	if err := s.SetRoomClock(session.RoomClock{Host: host, Rate: meta.Rate, Peers: []session.PeerClock{}}); err != nil {
		m.log(err.Error())
	}
	m.wg.Add(2)
	go m.presence()
	go m.background()
	return m, nil
}

// Client is the member's room client.
func (m *Membership) Client() *Client { return m.c }

// Host is this host's name in the room.
func (m *Membership) Host() string { return m.host }

// Session is the recording that joined.
func (m *Membership) Session() *session.Session { return m.s }

// SetUpload sets (nil clears) the upload whose progress presence carries.
func (m *Membership) SetUpload(u UploadStatus) {
	m.mu.Lock()
	m.up = u
	m.mu.Unlock()
}

func (m *Membership) log(msg string) {
	if m.cfg.Log != nil {
		m.cfg.Log(msg)
	}
}

// StreamClock is the session's clock as the room relates it: the stream
// position (file frames plus the frames skipped in pauses), and whether it
// is running (recording, not paused).
func StreamClock(s *session.Session) (int64, bool) {
	st := s.Status()
	return st.Position + st.Skipped, st.State == session.StateRecording
}

// clockRounds is the round trips per clock measurement (the best is kept).
const clockRounds = 8

// maxClockHistory bounds the measurements kept per host (30 s apart: over
// 8 hours).
const maxClockHistory = 1000

// background says when the room cannot be reached yet, proposes the
// rundown once joined, and measures the other hosts' clocks through the show.
func (m *Membership) background() {
	defer m.wg.Done()
	t := time.NewTimer(NotReachableAfter)
	defer t.Stop()
	for joined := false; !joined; {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.log(fmt.Sprintf("room %s not reachable yet; recording anyway, it is joined when it can be", m.cfg.Link))
			t.Reset(time.Hour)
		case <-time.After(50 * time.Millisecond):
			joined = m.c.Joined()
		}
	}
	if m.cfg.Rundown != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := m.c.ProposeRundown(ctx, m.cfg.Rundown)
		cancel()
		if err != nil {
			m.log(fmt.Sprintf("rundown: %v", err))
		} else if m.cfg.OnRundown != nil {
			m.cfg.OnRundown(r)
		}
	}
	// Clock: soon after the start, then every 30 s.
	next := 2 * time.Second
	for {
		select {
		case <-m.stop:
			return
		case <-time.After(next):
		}
		next = 30 * time.Second
		m.measureClocks()
	}
}

func (m *Membership) measureClocks() {
	m.mu.Lock()
	var others []string
	for h, p := range m.hosts {
		if p.State == StateRecording {
			others = append(others, h)
		}
	}
	m.mu.Unlock()
	changed := false
	for _, h := range others {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		est, err := m.c.MeasureClock(ctx, h, clockRounds, func() (int64, int, bool) {
			pos, running := StreamClock(m.s)
			return pos, m.rate, running
		})
		cancel()
		if err != nil {
			continue
		}
		m.mu.Lock()
		hist := append(m.clocks[h], est)
		if len(hist) > maxClockHistory {
			hist = hist[1:]
		}
		m.clocks[h] = hist
		if fit, ok := FitClock(hist); ok {
			m.fits[h] = fit
			changed = true
		}
		m.mu.Unlock()
	}
	if changed {
		m.saveClocks()
	}
}

// saveClocks writes the fitted estimates into session.json (room_clock).
func (m *Membership) saveClocks() {
	rc := session.RoomClock{Host: m.host, Rate: m.rate, Peers: []session.PeerClock{}}
	m.mu.Lock()
	for _, f := range m.fits {
		rc.Peers = append(rc.Peers, session.PeerClock{Host: f.Host, Rate: f.Rate, Offset: f.Offset, DriftPPM: f.DriftPPM,
			RTT: f.RTT, Rounds: clockRounds, Measurements: f.Measurements, Span: f.Span, Measured: f.Measured})
	}
	m.mu.Unlock()
	sort.Slice(rc.Peers, func(i, j int) bool { return rc.Peers[i].Host < rc.Peers[j].Host })
	if err := m.s.SetRoomClock(rc); err != nil {
		m.log(err.Error())
	}
}

// Local places a position of author's clock (seconds) on this host's
// timeline (seconds), when the shared clock has an estimate for author.
func (m *Membership) Local(author string, at float64) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fits[author]
	if !ok {
		return 0, false
	}
	return f.Offset + at*(1+f.DriftPPM*1e-6), true
}

func (m *Membership) onPresence(p Presence) {
	if p.Host == m.host {
		return
	}
	m.mu.Lock()
	m.hosts[p.Host] = p
	m.mu.Unlock()
	if m.cfg.OnPresence != nil {
		m.cfg.OnPresence(p)
	}
}

// presence publishes this host's state every second (unless the caller
// does, CallerTicks), and at once when the recording ends; it goes on after
// the end (stopped, with the upload's progress) until Leave.
func (m *Membership) presence() {
	defer m.wg.Done()
	var tick <-chan time.Time
	if !m.cfg.CallerTicks {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	done := m.s.Done()
	for {
		select {
		case <-m.stop:
			return
		case <-done:
			done = nil
			m.PublishPresence()
		case <-tick:
			m.PublishPresence()
		}
	}
}

// Presence is this host's presence now, as PublishPresence sends it.
func (m *Membership) Presence() Presence {
	st := m.s.Status()
	p := Presence{Host: m.host, Rate: m.rate, Position: st.Position, Elapsed: st.Elapsed.Seconds(), Dropped: st.Dropped, DiskLeft: -1}
	switch st.State {
	case session.StateRecording:
		p.State = StateRecording
	case session.StatePaused:
		p.State = StatePaused
	case session.StateFailed:
		p.State = StateFailed
		if err := m.s.Err(); err != nil {
			p.Error = OneLine(err.Error(), MaxTitle)
		}
	case session.StateCreated:
		p.State = StateIdle
	default:
		p.State = StateStopped
	}
	for _, l := range st.Levels {
		p.Level = max(p.Level, min(float64(l.Peak), 1))
	}
	if d, err := m.s.FreeTime(); err == nil {
		p.DiskLeft = min(d.Seconds(), 1e8)
	}
	m.mu.Lock()
	up := m.up
	m.mu.Unlock()
	if up != nil {
		u := up.Status()
		p.Upload = &u
	}
	p.Link = string(m.c.Link())
	return p
}

// PublishPresence sends this host's presence now.
func (m *Membership) PublishPresence() {
	if err := m.c.PublishPresence(m.Presence()); err != nil {
		m.log(fmt.Sprintf("presence: %v", err))
	}
}

// Next advances the room's rundown; the press that advances it drops the
// topic marker titled with the new item, at the position of the press (read
// before the network is asked), which Next returns (nil when another host's
// press advanced it first: that host drops the marker).
func (m *Membership) Next(ctx context.Context) (Rundown, *markers.Marker, error) {
	pos := m.s.Position()
	r, advanced, err := m.c.Next(ctx)
	if err != nil || !advanced {
		return r, nil, err
	}
	title := "(end of rundown)"
	if r.Current < len(r.Items) {
		title = r.Items[r.Current]
	}
	mk, err := m.s.MarkAt(pos, markers.Topic, title)
	if err != nil {
		return r, nil, err
	}
	return r, &mk, nil
}

// Leave stops publishing presence, says the host left (a failed recording
// stays failed), waits up to ctx for unsent markers and leaves the room;
// markers still unsent are named in the error (they are in the local
// journal all the same). A host that falls silent without leaving is lost
// to the others.
func (m *Membership) Leave(ctx context.Context) error {
	if m == nil {
		return nil
	}
	m.stopOnce.Do(func() { close(m.stop) })
	m.wg.Wait()
	p := m.Presence()
	if p.State != StateFailed {
		p.State = StateLeft
	}
	if err := m.c.PublishPresence(p); err != nil {
		m.log(fmt.Sprintf("presence: %v", err))
	}
	m.s.SetPublisher(nil)
	if err := m.c.Close(ctx); err != nil {
		return fmt.Errorf("%w (they are in %s)", err, session.JournalFile)
	}
	return nil
}
