package room

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// OutboxFile names a host's persistent outbox inside its session folder:
// the marker events the relay has not acknowledged yet.
const OutboxFile = "room/outbox.jsonl"

// outboxCompact is how many acknowledgement lines the outbox collects
// before it is rewritten with only what is still pending (it is cut back to
// its header whenever nothing is pending).
const outboxCompact = 256

// OutboxRoom is the first line of an outbox: the room and host its events
// are for. Server is the relay's URL without any secret.
type OutboxRoom struct {
	Server  string `json:"server"`
	Show    string `json:"show"`
	Episode string `json:"episode"`
	Host    string `json:"host"`
}

// Link is the room link the outbox was written for (without credentials).
func (r OutboxRoom) Link() string { return r.Server + "/" + r.Show + "/" + r.Episode }

// outboxLine is one line of room/outbox.jsonl: the header, an event to
// publish, or the event id of one the relay acknowledged.
type outboxLine struct {
	V      int          `json:"v"`
	Outbox *OutboxRoom  `json:"outbox,omitempty"`
	Event  *MarkerEvent `json:"event,omitempty"`
	Ack    string       `json:"ack,omitempty"`
}

// Outbox is what an outbox file holds.
type Outbox struct {
	Room    OutboxRoom
	Pending []MarkerEvent // not acknowledged by the relay, oldest first
}

// ReadOutbox reads a session's room/outbox.jsonl (path is the file). A
// torn last line (podmark killed while appending) is ignored; any other bad
// line is an error naming the file and line.
func ReadOutbox(path string) (Outbox, error) {
	var ob Outbox
	b, err := os.ReadFile(path)
	if err != nil {
		return ob, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), MaxMessage*4)
	acked := map[string]bool{}
	var events []MarkerEvent
	n, off := 0, 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		off += len(raw) + 1
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			continue
		}
		var l outboxLine
		d := json.NewDecoder(bytes.NewReader(line))
		d.DisallowUnknownFields()
		err := d.Decode(&l)
		if err == nil {
			err = l.check(n)
		}
		if err != nil {
			if off > len(b) { // the last line, without its newline: torn
				break
			}
			return ob, fmt.Errorf("room: %s:%d: %v", path, n, err)
		}
		switch {
		case l.Outbox != nil:
			ob.Room = *l.Outbox
		case l.Event != nil:
			events = append(events, *l.Event)
		default:
			acked[l.Ack] = true
		}
	}
	if err := sc.Err(); err != nil {
		return ob, fmt.Errorf("room: %s: %w", path, err)
	}
	if n == 0 {
		return ob, fmt.Errorf("room: %s: empty (want a header line)", path)
	}
	for _, e := range events {
		if !acked[e.EventID] {
			ob.Pending = append(ob.Pending, e)
		}
	}
	return ob, nil
}

// check validates one decoded line; line 1 must be the header and only it.
func (l outboxLine) check(n int) error {
	if l.V != Version {
		return fmt.Errorf("version %d (want %d)", l.V, Version)
	}
	kinds := 0
	if l.Outbox != nil {
		kinds++
	}
	if l.Event != nil {
		kinds++
	}
	if l.Ack != "" {
		kinds++
	}
	if kinds != 1 {
		return errors.New("want one of outbox, event or ack")
	}
	if (l.Outbox != nil) != (n == 1) {
		return errors.New("the outbox header must be the first line, and only it")
	}
	switch {
	case l.Outbox != nil:
		for _, x := range [][2]string{{"show", l.Outbox.Show}, {"episode", l.Outbox.Episode}, {"host", l.Outbox.Host}} {
			if err := CheckName(x[0], x[1]); err != nil {
				return err
			}
		}
	case l.Event != nil:
		return l.Event.Validate()
	default:
		return checkID("ack", l.Ack)
	}
	return nil
}

// outbox keeps a Client's unacknowledged marker events in the session
// folder, so that a podmark killed while the relay is unreachable sends
// them when the session joins the room again (SendOutbox, `podmark room
// sync`). An event is appended (one write, no wait) before it is queued
// and fsynced by the sender before it is published; each acknowledgement
// appends the event id; when nothing is pending the file is cut back to
// its header. Its methods are safe for concurrent use.
type outbox struct {
	mu     sync.Mutex
	path   string
	r      OutboxRoom
	f      *os.File
	head   int64 // length of the header line
	acks   int   // ack lines since the last rewrite
	dirty  bool  // appended since the last sync
	broken error // the first write error (said once); the queue in memory still holds the events
}

// openOutbox opens dir's outbox for room r, returning what an earlier run
// left pending. Pending events for another room or host are an error: they
// are not this room's to send.
func openOutbox(dir string, r OutboxRoom) (*outbox, []MarkerEvent, error) {
	path := filepath.Join(dir, filepath.FromSlash(OutboxFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("room: %w", err)
	}
	old, err := ReadOutbox(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	if len(old.Pending) > 0 && (old.Room.Show != r.Show || old.Room.Episode != r.Episode || old.Room.Host != r.Host) {
		return nil, nil, fmt.Errorf("room: %s holds %d marker event(s) of %s for room %s/%s, not %s of %s/%s: send them with 'podmark room sync %s %s'",
			path, len(old.Pending), old.Room.Host, old.Room.Show, old.Room.Episode, r.Host, r.Show, r.Episode, dir, old.Room.Link())
	}
	o := &outbox{path: path}
	if err := o.rewrite(r, old.Pending); err != nil {
		return nil, nil, err
	}
	return o, old.Pending, nil
}

// rewrite replaces the file with the header and pending, atomically and
// synced, and reopens it for appending. o.mu must be held (or o unshared).
func (o *outbox) rewrite(r OutboxRoom, pending []MarkerEvent) error {
	var buf bytes.Buffer
	h, err := json.Marshal(outboxLine{V: Version, Outbox: &r})
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	buf.Write(append(h, '\n'))
	for i := range pending {
		b, err := json.Marshal(outboxLine{V: Version, Event: &pending[i]})
		if err != nil {
			return fmt.Errorf("room: %w", err)
		}
		buf.Write(append(b, '\n'))
	}
	if err := writeFileAtomic(o.path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(o.path)); err != nil {
		return err
	}
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	if o.f != nil {
		o.f.Close() // replaced; its data is in the new file, synced
	}
	o.f, o.r, o.head, o.acks, o.dirty = f, r, int64(len(h)+1), 0, false
	return nil
}

func (o *outbox) write(l outboxLine) error {
	if o.broken != nil {
		return nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	if _, err := o.f.Write(append(b, '\n')); err != nil {
		o.broken = fmt.Errorf("room: write %s: %w (unsent markers stay in memory and in the journal)", o.path, err)
		return o.broken
	}
	return nil
}

// add appends e. It does not wait for the disk (sync does, in the sender).
func (o *outbox) add(e MarkerEvent) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dirty = true
	return o.write(outboxLine{V: Version, Event: &e})
}

// sync fsyncs what add appended. It holds no lock while syncing, so an
// add never waits for it.
func (o *outbox) sync() error {
	o.mu.Lock()
	f, dirty := o.f, o.dirty
	o.dirty = false
	o.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) { // closed: replaced by a synced rewrite
		return fmt.Errorf("room: sync %s: %w", o.path, err)
	}
	return nil
}

// acked records that the relay acknowledged eid; pending is what is still
// queued after it. The caller holds the Client's lock, so no add comes
// between the queue and the file.
func (o *outbox) acked(eid string, pending []MarkerEvent) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.broken != nil {
		return nil
	}
	if len(pending) == 0 {
		// Nothing pending: back to the header. Not synced: were the cut
		// lost, the events would be sent again and stored once (Nats-Msg-Id).
		if err := o.f.Truncate(o.head); err != nil {
			o.broken = fmt.Errorf("room: %s: %w", o.path, err)
			return o.broken
		}
		o.acks = 0
		return nil
	}
	if err := o.write(outboxLine{V: Version, Ack: eid}); err != nil {
		return err
	}
	if o.acks++; o.acks < outboxCompact {
		return nil
	}
	if err := o.rewrite(o.r, pending); err != nil {
		o.broken = err
		return err
	}
	return nil
}

func (o *outbox) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	serr := o.f.Sync()
	cerr := o.f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("room: %s: %w", o.path, err)
	}
	return nil
}

// syncDir fsyncs a folder so a rename in it survives a power cut (where
// the system can: not on Windows).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("room: sync folder %s: %w", dir, err)
	}
	return nil
}
