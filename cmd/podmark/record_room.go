package main

// The show room for `podmark record`: --room, --creds, --rundown and the
// `next` command. record.go calls addRoomFlags, joinRoom, filter and leave;
// everything else is here.

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

type roomFlags struct {
	link, creds, ca, rundown *string
	kbps                     *int // --upload-kbps (record_upload.go)
}

func addRoomFlags(fs *flag.FlagSet) *roomFlags {
	return &roomFlags{
		link:    fs.String("room", "", "room `link` to join: nats://[TOKEN@]HOST[:PORT]/SHOW/EPISODE (tls:// for TLS); recording never waits for it"),
		creds:   fs.String("creds", "", "room credentials `file` (nkey seed) from 'podmark room invite'"),
		ca:      fs.String("room-ca", "", "PEM `file` of the CA that signed the relay's TLS certificate (default: the system's)"),
		rundown: fs.String("rundown", "", "rundown `file`, one segment title per line, proposed to the room; 'next' on stdin advances it"),
		kbps:    fs.Int("upload-kbps", room.DefaultUploadKbps, "cap of the progressive upload to the room in `kbit/s` (0 = no cap)"),
	}
}

// roomJoin is a recording's membership of a room; nil when there is no --room.
type roomJoin struct {
	c      *room.Client
	s      *session.Session
	rate   int
	host   string
	stdout io.Writer
	stderr io.Writer

	mu     sync.Mutex
	clocks map[string][]room.ClockEstimate // every measurement kept, per host
	fits   map[string]room.ClockFit
	hosts  map[string]room.Presence

	stop chan struct{}
	wg   sync.WaitGroup
	up   *room.Uploader // the progressive hand-off (record_upload.go)
}

// check validates the room flags before the session is created.
func (rf *roomFlags) check() (room.Link, []string, error) {
	if *rf.link == "" {
		if *rf.creds != "" || *rf.rundown != "" {
			return room.Link{}, nil, fmt.Errorf("--creds and --rundown need --room")
		}
		if *rf.kbps != room.DefaultUploadKbps {
			return room.Link{}, nil, fmt.Errorf("--upload-kbps needs --room")
		}
		return room.Link{}, nil, nil
	}
	l, err := room.ParseLink(*rf.link)
	if err != nil {
		return l, nil, fmt.Errorf("--room: %w", err)
	}
	if *rf.kbps < 0 {
		return l, nil, fmt.Errorf("--upload-kbps %d: want 0 (no cap) or more", *rf.kbps)
	}
	if *rf.creds != "" {
		if _, err := os.Stat(*rf.creds); err != nil {
			return l, nil, fmt.Errorf("--creds: %w", err)
		}
	}
	var items []string
	if *rf.rundown != "" {
		if items, err = readRundown(*rf.rundown); err != nil {
			return l, nil, err
		}
	}
	return l, items, nil
}

func readRundown(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--rundown: %w", err)
	}
	var items []string
	for i, line := range strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len([]rune(line)) > room.MaxTitle {
			return nil, fmt.Errorf("--rundown: %s:%d: longer than %d characters", path, i+1, room.MaxTitle)
		}
		items = append(items, line)
	}
	if len(items) == 0 || len(items) > room.MaxItems {
		return nil, fmt.Errorf("--rundown: %s: %d segments (want 1..%d)", path, len(items), room.MaxItems)
	}
	return items, nil
}

// joinRoom starts joining the room for s; it never waits for the network.
func joinRoom(rf *roomFlags, s *session.Session, stdout, stderr io.Writer) (*roomJoin, int) {
	l, items, err := rf.check()
	if err != nil {
		fmt.Fprintf(stderr, "podmark record: %v\n", err)
		return nil, 2
	}
	if *rf.link == "" {
		return nil, 0
	}
	meta := s.Meta()
	host := room.SafeHost(meta.Host)
	rj := &roomJoin{s: s, rate: meta.Rate, host: host, stdout: stdout, stderr: stderr,
		clocks: map[string][]room.ClockEstimate{}, fits: map[string]room.ClockFit{}, hosts: map[string]room.Presence{}, stop: make(chan struct{})}
	c, err := room.Join(room.Config{
		Link: l, Creds: *rf.creds, CA: *rf.ca, Host: host, Rate: meta.Rate, Dir: s.Dir(),
		Clock:      func() (int64, bool) { return streamClock(s) },
		OnMarker:   rj.onMarker,
		OnPresence: rj.onPresence,
		OnRundown: func(r room.Rundown) {
			fmt.Fprintf(stderr, "podmark record: rundown: %s\n", rundownLine(r))
		},
		OnLink: func(st room.LinkState) {
			if st != room.LinkClosed {
				fmt.Fprintf(stderr, "podmark record: room %s: %s\n", l, st)
			}
		},
		Log: func(msg string) { fmt.Fprintf(stderr, "podmark record: %s\n", msg) },
	})
	if err != nil {
		fmt.Fprintf(stderr, "podmark record: --room: %v\n", err)
		return nil, 2
	}
	rj.c = c
	s.SetPublisher(c)
	// session.json names this host's room name from the start, so that
	// merge can find it in the other hosts' room_clock.
	if err := s.SetRoomClock(session.RoomClock{Host: host, Rate: meta.Rate, Peers: []session.PeerClock{}}); err != nil {
		fmt.Fprintf(stderr, "podmark record: %v\n", err)
	}
	fmt.Fprintf(stderr, "podmark record: joining room %s as %s\n", l, host)
	rj.startUpload(l, *rf.kbps, *rf.creds, *rf.ca)
	rj.wg.Add(2)
	go rj.presence()
	go rj.background(l, items)
	return rj, 0
}

// background says when the room cannot be reached yet, proposes the
// rundown once joined, and measures the other hosts' clocks through the show.
func (rj *roomJoin) background(l room.Link, items []string) {
	defer rj.wg.Done()
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	joined := false
	for !joined {
		select {
		case <-rj.stop:
			return
		case <-t.C:
			fmt.Fprintf(rj.stderr, "podmark record: room %s not reachable yet; recording anyway, it is joined when it can be\n", l)
			t.Reset(time.Hour)
		case <-time.After(50 * time.Millisecond):
			joined = rj.c.Joined()
		}
	}
	if items != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := rj.c.ProposeRundown(ctx, items)
		cancel()
		if err != nil {
			fmt.Fprintf(rj.stderr, "podmark record: --rundown: %v\n", err)
		} else {
			fmt.Fprintf(rj.stderr, "podmark record: rundown: %s\n", rundownLine(r))
		}
	}
	// Clock: soon after the start, then every 30 s.
	next := 2 * time.Second
	for {
		select {
		case <-rj.stop:
			return
		case <-time.After(next):
		}
		next = 30 * time.Second
		rj.measureClocks()
	}
}

// streamClock is the session's clock as the room relates it: the stream
// position (file frames plus the frames skipped in pauses), and whether it
// is running (recording, not paused).
func streamClock(s *session.Session) (int64, bool) {
	st := s.Status()
	return st.Position + st.Skipped, st.State == session.StateRecording
}

// clockRounds is the round trips per clock measurement (the best is kept).
const clockRounds = 8

// maxClockHistory bounds the measurements kept per host (30 s apart: over
// 8 hours).
const maxClockHistory = 1000

func (rj *roomJoin) measureClocks() {
	rj.mu.Lock()
	var others []string
	for h, p := range rj.hosts {
		if p.State == room.StateRecording {
			others = append(others, h)
		}
	}
	rj.mu.Unlock()
	changed := false
	for _, h := range others {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		est, err := rj.c.MeasureClock(ctx, h, clockRounds, func() (int64, int, bool) {
			pos, running := streamClock(rj.s)
			return pos, rj.rate, running
		})
		cancel()
		if err != nil {
			continue
		}
		rj.mu.Lock()
		hist := append(rj.clocks[h], est)
		if len(hist) > maxClockHistory {
			hist = hist[1:]
		}
		rj.clocks[h] = hist
		if fit, ok := room.FitClock(hist); ok {
			rj.fits[h] = fit
			changed = true
		}
		rj.mu.Unlock()
	}
	if changed {
		rj.saveClocks()
	}
}

// saveClocks writes the fitted estimates into session.json (room_clock).
func (rj *roomJoin) saveClocks() {
	rc := session.RoomClock{Host: rj.host, Rate: rj.rate, Peers: []session.PeerClock{}}
	rj.mu.Lock()
	for _, f := range rj.fits {
		rc.Peers = append(rc.Peers, session.PeerClock{Host: f.Host, Rate: f.Rate, Offset: f.Offset, DriftPPM: f.DriftPPM,
			RTT: f.RTT, Rounds: clockRounds, Measurements: f.Measurements, Span: f.Span, Measured: f.Measured})
	}
	rj.mu.Unlock()
	sort.Slice(rc.Peers, func(i, j int) bool { return rc.Peers[i].Host < rc.Peers[j].Host })
	if err := rj.s.SetRoomClock(rc); err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: %v\n", err)
	}
}

// remoteLine is what `podmark record` prints on stdout for another host's
// marker event.
type remoteLine struct {
	Author string       `json:"author"`
	Op     room.Op      `json:"op"`
	ID     string       `json:"id"`
	Kind   markers.Kind `json:"kind,omitempty"`
	Title  string       `json:"title,omitempty"`
	Sample int64        `json:"sample"` // on the author's clock
	End    int64        `json:"end,omitempty"`
	Rate   int          `json:"rate"`
	At     float64      `json:"at"` // Sample in seconds, author's clock
	// Local is the position on this host's timeline (seconds), when the
	// shared clock has an estimate for the author.
	Local *float64  `json:"local,omitempty"`
	UTC   time.Time `json:"utc"`
	Seq   uint64    `json:"seq"`
}

func (rj *roomJoin) onMarker(r room.Received) {
	line := remoteLine{Author: r.Author, Op: r.Op, ID: r.ID, Kind: r.Kind, Title: r.Title, Sample: r.Sample, End: r.End,
		Rate: r.Rate, At: float64(r.Sample) / float64(r.Rate), UTC: r.UTC, Seq: r.Seq}
	rj.mu.Lock()
	if f, ok := rj.fits[r.Author]; ok && r.Op != room.OpDelete {
		v := f.Offset + line.At*(1+f.DriftPPM*1e-6)
		line.Local = &v
	}
	rj.mu.Unlock()
	b, _ := json.Marshal(line)
	rj.stdout.Write(append(b, '\n'))
}

func (rj *roomJoin) onPresence(p room.Presence) {
	if p.Host == rj.host {
		return
	}
	rj.mu.Lock()
	old, seen := rj.hosts[p.Host]
	rj.hosts[p.Host] = p
	rj.mu.Unlock()
	if !seen || old.State != p.State {
		msg := ""
		if p.Error != "" {
			msg = ": " + p.Error
		}
		fmt.Fprintf(rj.stderr, "podmark record: room: %s is %s%s\n", p.Host, p.State, msg)
	}
}

// presence publishes this host's state every second and at once when the
// recording ends.
func (rj *roomJoin) presence() {
	defer rj.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-rj.stop:
			return
		case <-rj.s.Done():
			rj.publishPresence()
			<-rj.stop
			return
		case <-t.C:
			rj.publishPresence()
		}
	}
}

func (rj *roomJoin) publishPresence() {
	st := rj.s.Status()
	p := room.Presence{Rate: rj.rate, Position: st.Position, Elapsed: st.Elapsed.Seconds(), Dropped: st.Dropped, DiskLeft: -1}
	switch st.State {
	case session.StateRecording:
		p.State = room.StateRecording
	case session.StatePaused:
		p.State = room.StatePaused
	case session.StateFailed:
		p.State = room.StateFailed
		if err := rj.s.Err(); err != nil {
			p.Error = room.OneLine(err.Error(), room.MaxTitle)
		}
	case session.StateCreated:
		p.State = room.StateIdle
	default:
		p.State = room.StateStopped
	}
	for _, l := range st.Levels {
		p.Level = max(p.Level, min(float64(l.Peak), 1))
	}
	if d, err := rj.s.FreeTime(); err == nil {
		p.DiskLeft = min(d.Seconds(), 1e8)
	}
	p.Upload = rj.uploadStatus()
	if err := rj.c.PublishPresence(p); err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: presence: %v\n", err)
	}
}

func rundownLine(r room.Rundown) string {
	var b strings.Builder
	for i, it := range r.Items {
		mark := " "
		switch {
		case i < r.Current:
			mark = "done:"
		case i == r.Current:
			mark = "NOW:"
		default:
			mark = "next:"
		}
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "%s %s", mark, it)
	}
	if r.By != "" {
		fmt.Fprintf(&b, " (advanced by %s)", r.By)
	}
	return b.String()
}

// filter passes stdin through, taking out the room's own commands (`next`).
func (rj *roomJoin) filter(stdin io.Reader) io.Reader {
	if rj == nil {
		return stdin
	}
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if rj.command(line) {
				continue
			}
			if _, err := io.WriteString(pw, line+"\n"); err != nil {
				return
			}
		}
		pw.CloseWithError(sc.Err())
	}()
	return pr
}

// command runs the room's stdin commands and reports whether line was one:
// `next`, and the marker edits that reach the room as they would from the
// window: `rename ID TITLE`, `move ID SECONDS`, `delete ID`.
func (rj *roomJoin) command(line string) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false
	}
	var err error
	switch strings.ToLower(f[0]) {
	case "next":
		if len(f) != 1 {
			return false
		}
		rj.next()
		return true
	case "rename":
		if len(f) < 2 {
			err = fmt.Errorf("rename ID TITLE")
			break
		}
		rest := strings.TrimSpace(strings.TrimSpace(line)[len(f[0]):])
		title := strings.TrimSpace(rest[len(f[1]):])
		err = rj.s.Update(markers.Update{ID: f[1], Title: &title})
	case "move":
		var sec float64
		if len(f) != 3 {
			err = fmt.Errorf("move ID SECONDS")
		} else if _, err = fmt.Sscanf(f[2], "%g", &sec); err == nil && sec >= 0 {
			pos := int64(sec * float64(rj.rate))
			err = rj.s.Update(markers.Update{ID: f[1], Sample: &pos})
		} else if err == nil {
			err = fmt.Errorf("move: negative position")
		}
	case "delete":
		if len(f) != 2 {
			err = fmt.Errorf("delete ID")
		} else {
			_, err = rj.s.Delete(f[1])
		}
	default:
		return false
	}
	if err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: %v; still recording\n", err)
	} else if f[0] != "next" {
		fmt.Fprintf(rj.stderr, "podmark record: %s %s done\n", strings.ToLower(f[0]), f[1])
	}
	return true
}

// next advances the room's rundown; the press that advances it drops the
// topic marker.
func (rj *roomJoin) next() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, advanced, err := rj.c.Next(ctx)
	if err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: next: %v; still recording\n", err)
		return
	}
	if !advanced {
		fmt.Fprintf(rj.stderr, "podmark record: next: already advanced by %s\n", r.By)
		return
	}
	title := "(end of rundown)"
	if r.Current < len(r.Items) {
		title = r.Items[r.Current]
	}
	m, err := rj.s.Mark(markers.Topic, title)
	if err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: next: %v\n", err)
		return
	}
	rj.stdout.Write(AckLine(m, rj.rate))
}

// leave publishes the final presence, waits up to 5 s for unsent markers and
// leaves the room.
func (rj *roomJoin) leave() {
	if rj == nil {
		return
	}
	rj.waitUpload()
	rj.publishPresence()
	close(rj.stop)
	rj.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rj.s.SetPublisher(nil)
	if err := rj.c.Close(ctx); err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: room: %v (they are in %s and %s: 'podmark room sync %s' sends them)\n", err, session.JournalFile, room.OutboxFile, rj.s.Dir())
	}
}
