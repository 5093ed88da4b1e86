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

// roomJoin is a recording's membership of a room (app/room's Membership)
// with the CLI's printing; nil when there is no --room.
type roomJoin struct {
	m      *room.Membership
	up     *room.Uploader // the progressive hand-off (record_upload.go)
	s      *session.Session
	rate   int
	stdout io.Writer
	stderr io.Writer

	mu    sync.Mutex
	hosts map[string]room.State
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
	if *rf.kbps < 0 {
		return room.Link{}, nil, fmt.Errorf("--upload-kbps %d: want 0 (no cap) or more", *rf.kbps)
	}
	l, err := room.ParseLink(*rf.link)
	if err != nil {
		return l, nil, fmt.Errorf("--room: %w", err)
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
	rj := &roomJoin{s: s, rate: s.Meta().Rate, stdout: stdout, stderr: stderr, hosts: map[string]room.State{}}
	m, err := room.JoinSession(s, room.MembershipConfig{
		Link: l, Creds: *rf.creds, CA: *rf.ca, Rundown: items,
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
		// The status line's tick publishes presence (statusNote), and
		// waitUpload's after Stop: one wake-up a second for both.
		CallerTicks: true,
	})
	if err != nil {
		fmt.Fprintf(stderr, "podmark record: --room: %v\n", err)
		return nil, 2
	}
	rj.m = m
	fmt.Fprintf(stderr, "podmark record: joining room %s as %s\n", l, m.Host())
	rj.startUpload(l, *rf.kbps, *rf.creds, *rf.ca)
	return rj, 0
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
	if v, ok := rj.m.Local(r.Author, line.At); ok && r.Op != room.OpDelete {
		line.Local = &v
	}
	b, _ := json.Marshal(line)
	rj.stdout.Write(append(b, '\n'))
}

func (rj *roomJoin) onPresence(p room.Presence) {
	rj.mu.Lock()
	old, seen := rj.hosts[p.Host]
	rj.hosts[p.Host] = p.State
	rj.mu.Unlock()
	if !seen || old != p.State {
		msg := ""
		if p.Error != "" {
			msg = ": " + p.Error
		}
		if p.State == room.StateLeft {
			fmt.Fprintf(rj.stderr, "podmark record: room: %s left the room\n", p.Host)
			return
		}
		fmt.Fprintf(rj.stderr, "podmark record: room: %s is %s%s\n", p.Host, p.State, msg)
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
	r, m, err := rj.m.Next(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(rj.stderr, "podmark record: next: %v; still recording\n", err)
	case m == nil:
		fmt.Fprintf(rj.stderr, "podmark record: next: already advanced by %s\n", r.By)
	default:
		rj.stdout.Write(AckLine(*m, rj.rate))
	}
}

// leave publishes the final presence, waits up to 5 s for unsent markers and
// leaves the room.
func (rj *roomJoin) leave() {
	if rj == nil {
		return
	}
	rj.waitUpload()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rj.m.Leave(ctx); err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: room: %v (they are in %s and %s: 'podmark room sync %s' sends them)\n", err, session.JournalFile, room.OutboxFile, rj.s.Dir())
	}
}
