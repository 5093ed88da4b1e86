package room

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/podmark/podmark/markers"
)

// RecordDir and RecordFile name a host's record of what it received from
// the room, inside its session folder.
const (
	RecordDir  = "room"
	RecordFile = "room/markers.jsonl"
)

// record appends received marker events to room/markers.jsonl, one JSON
// object (a Received) per line, each synced before it is acknowledged, and
// knows the last stream sequence it holds so that a redelivered event is
// written once.
type record struct {
	mu   sync.Mutex
	f    *os.File
	last uint64
}

func openRecord(sessionDir string) (*record, error) {
	dir := filepath.Join(sessionDir, RecordDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("room: %w", err)
	}
	path := filepath.Join(sessionDir, filepath.FromSlash(RecordFile))
	rs, err := ReadRecord(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("room: %w", err)
	}
	r := &record{f: f}
	for _, x := range rs {
		r.last = max(r.last, x.Seq)
	}
	return r, nil
}

// add writes rec unless an event with its sequence is already held; it
// reports whether it was new.
func (r *record) add(rec Received) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec.Seq <= r.last {
		return false, nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("room: %w", err)
	}
	if _, err := r.f.Write(append(b, '\n')); err != nil {
		return false, fmt.Errorf("room: write %s: %w", r.f.Name(), err)
	}
	if err := r.f.Sync(); err != nil {
		return false, fmt.Errorf("room: sync %s: %w", r.f.Name(), err)
	}
	r.last = rec.Seq
	return true, nil
}

func (r *record) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("room: %w", err)
	}
	return nil
}

// ReadRecord reads a room/markers.jsonl. A torn last line (a crash while
// writing) is ignored; any other bad line is an error naming the line.
func ReadRecord(path string) ([]Received, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Received
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), MaxMessage*4)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Received
		if err := json.Unmarshal(line, &r); err != nil || r.Validate() != nil {
			if !bytes.HasSuffix(b, []byte("\n")) && int64(len(b)) == int64(bytes.LastIndexByte(b, '\n')+1+len(sc.Bytes())) {
				break // torn tail
			}
			return out, fmt.Errorf("room: %s:%d: not a received marker event", path, n)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("room: %s: %w", path, err)
	}
	return out, nil
}

// Replay applies events in order and returns the markers they leave, each
// with its author, on its author's clock; rates maps each author to its
// sample rate.
func Replay(events []Received) (ms []markers.Marker, rates map[string]int) {
	rates = map[string]int{}
	type key struct{ author, id string }
	live := map[key]int{}
	for _, e := range events {
		rates[e.Author] = e.Rate
		k := key{e.Author, e.ID}
		switch e.Op {
		case OpAdd, OpUpdate:
			if i, ok := live[k]; ok {
				ms[i] = e.Marker()
				continue
			}
			live[k] = len(ms)
			ms = append(ms, e.Marker())
		case OpDelete:
			if i, ok := live[k]; ok {
				ms[i].ID = "" // tombstone
				delete(live, k)
			}
		}
	}
	out := ms[:0]
	for _, m := range ms {
		if m.ID != "" {
			out = append(out, m)
		}
	}
	return out, rates
}
