package markers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// ErrClosed is returned by Journal methods after Close.
var ErrClosed = errors.New("markers: journal closed")

// journalLine is one line of markers.jsonl. Op is "add", "update" or
// "delete"; add carries the whole marker, update the id and the changed
// fields, delete the id. UTC is when the line was written (informational).
type journalLine struct {
	Op     string     `json:"op"`
	Marker *Marker    `json:"marker,omitempty"`
	ID     string     `json:"id,omitempty"`
	Title  *string    `json:"title,omitempty"`
	Kind   *Kind      `json:"kind,omitempty"`
	Sample *int64     `json:"sample,omitempty"`
	End    *int64     `json:"end,omitempty"`
	URL    *string    `json:"url,omitempty"`
	UTC    *time.Time `json:"utc,omitempty"`
}

// Journal is the append-only marker journal (markers.jsonl). Every call
// writes exactly one JSON line with a single write and fsyncs the file before
// returning, so an acknowledged marker survives a crash. Journal is
// concurrent-safe.
type Journal struct {
	mu   sync.Mutex
	f    journalFile
	path string
	err  error // sticky: after a failed write or sync nothing more is appended
}

// journalFile is what the journal needs of its file (an *os.File; a
// recording fake in tests).
type journalFile interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// OpenJournal opens the journal at path for appending, creating it (and
// fsyncing its directory) if needed. If the file ends in a torn line (a crash
// mid-write), a newline is appended first so the next line stays readable.
func OpenJournal(path string) (*Journal, error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("markers: open journal %q: %w", path, err)
	}
	j := &Journal{f: f, path: path}
	if err := healTail(f, path); err != nil {
		return nil, errors.Join(err, closeWrap(f, path))
	}
	if created {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return nil, errors.Join(err, closeWrap(f, path))
		}
	}
	return j, nil
}

func closeWrap(f *os.File, path string) error {
	if err := f.Close(); err != nil {
		return fmt.Errorf("markers: close journal %q: %w", path, err)
	}
	return nil
}

// healTail terminates a torn last line with a newline.
func healTail(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("markers: stat journal %q: %w", path, err)
	}
	if fi.Size() == 0 {
		return nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
		return fmt.Errorf("markers: read journal %q: %w", path, err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("markers: heal journal %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("markers: sync journal %q: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	if !canSyncDir {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("markers: open dir %q: %w", dir, err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("markers: sync dir %q: %w", dir, serr)
	}
	if cerr != nil {
		return fmt.Errorf("markers: close dir %q: %w", dir, cerr)
	}
	return nil
}

// Path is the journal's file name.
func (j *Journal) Path() string { return j.path }

// Add appends an add line for m. m must have an id, a valid kind, a
// non-negative position and no end before its start (ErrBadMarker otherwise).
func (j *Journal) Add(m Marker) error {
	if err := m.check(); err != nil {
		return err
	}
	return j.append(journalLine{Op: "add", Marker: &m})
}

// Update appends an update line changing the non-nil fields of u.
func (j *Journal) Update(u Update) error {
	switch {
	case u.ID == "":
		return fmt.Errorf("markers: update: %w: empty id", ErrBadMarker)
	case u.Kind != nil && !u.Kind.Valid():
		return fmt.Errorf("markers: update %q: kind %q: %w", u.ID, *u.Kind, ErrBadKind)
	case u.Sample != nil && *u.Sample < 0:
		return fmt.Errorf("markers: update %q: %w: negative sample %d", u.ID, ErrBadMarker, *u.Sample)
	case u.End != nil && *u.End < 0:
		return fmt.Errorf("markers: update %q: %w: negative end %d", u.ID, ErrBadMarker, *u.End)
	}
	return j.append(journalLine{Op: "update", ID: u.ID, Title: u.Title, Kind: u.Kind, Sample: u.Sample, End: u.End, URL: u.URL})
}

// Delete appends a delete line for id.
func (j *Journal) Delete(id string) error {
	if id == "" {
		return fmt.Errorf("markers: delete: %w: empty id", ErrBadMarker)
	}
	return j.append(journalLine{Op: "delete", ID: id})
}

func (j *Journal) append(l journalLine) error {
	now := time.Now().UTC()
	l.UTC = &now
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("markers: encode journal line: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	if j.err != nil {
		return j.err
	}
	if _, err := j.f.Write(b); err != nil {
		j.err = fmt.Errorf("markers: write journal %q: %w", j.path, err)
		return j.err
	}
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("markers: sync journal %q: %w", j.path, err)
		return j.err
	}
	return nil
}

// Close syncs and closes the journal. Further calls return ErrClosed.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	f := j.f
	j.f = nil
	serr := f.Sync()
	cerr := f.Close()
	if serr != nil {
		return fmt.Errorf("markers: sync journal %q: %w", j.path, serr)
	}
	if cerr != nil {
		return fmt.Errorf("markers: close journal %q: %w", j.path, cerr)
	}
	return nil
}

// ReplayJournal reads a markers.jsonl journal and returns the live markers
// sorted by Sample (ties keep journal order). A line that cannot be used (a
// torn last line, garbage, an unknown op, an update or delete of an unknown
// id) is skipped with a warning naming its line number; only a read error
// from r is returned as err, together with what was replayed so far.
func ReplayJournal(r io.Reader) (ms []Marker, warnings []string, err error) {
	return replay(r, "line ")
}

// ReplayJournalFile replays the journal at path (see ReplayJournal); warnings
// are prefixed "path:LINE:".
func ReplayJournalFile(path string) ([]Marker, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("markers: open journal: %w", err)
	}
	ms, warns, rerr := replay(f, path+":")
	cerr := f.Close()
	if rerr != nil {
		return ms, warns, fmt.Errorf("markers: read journal %q: %w", path, rerr)
	}
	if cerr != nil {
		return ms, warns, fmt.Errorf("markers: close journal %q: %w", path, cerr)
	}
	return ms, warns, nil
}

func replay(r io.Reader, where string) ([]Marker, []string, error) {
	br := bufio.NewReader(r)
	var (
		order []string // ids in first-add order
		live  = map[string]*Marker{}
		warns []string
		n     int
	)
	warn := func(format string, args ...any) {
		warns = append(warns, fmt.Sprintf("%s%d: ", where, n)+fmt.Sprintf(format, args...))
	}
	for {
		line, rerr := br.ReadBytes('\n')
		if len(line) == 0 && rerr != nil {
			if rerr == io.EOF {
				break
			}
			return collect(order, live), warns, rerr
		}
		n++
		torn := rerr == io.EOF // the last line has no newline: possibly torn
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			applyLine(line, torn, warn, &order, live)
		}
		if rerr != nil {
			if rerr == io.EOF {
				break
			}
			return collect(order, live), warns, rerr
		}
	}
	return collect(order, live), warns, nil
}

func applyLine(line []byte, torn bool, warn func(string, ...any), order *[]string, live map[string]*Marker) {
	var l journalLine
	if err := json.Unmarshal(line, &l); err != nil {
		if torn {
			warn("torn last line ignored (%d bytes)", len(line))
		} else {
			warn("not a journal line, ignored: %v", err)
		}
		return
	}
	switch l.Op {
	case "add":
		if l.Marker == nil {
			warn("add without a marker, ignored")
			return
		}
		m := *l.Marker
		if err := m.check(); err != nil {
			warn("add ignored: %v", err)
			return
		}
		if old, ok := live[m.ID]; ok {
			warn("add of existing id %q replaces it", m.ID)
			*old = m
			return
		}
		live[m.ID] = &m
		*order = append(*order, m.ID)
	case "update":
		old, ok := live[l.ID]
		if !ok {
			warn("update of unknown id %q ignored", l.ID)
			return
		}
		next := Update{ID: l.ID, Title: l.Title, Kind: l.Kind, Sample: l.Sample, End: l.End, URL: l.URL}.Apply(*old)
		if err := next.check(); err != nil {
			warn("update ignored: %v", err)
			return
		}
		*old = next
	case "delete":
		if _, ok := live[l.ID]; !ok {
			warn("delete of unknown id %q ignored", l.ID)
			return
		}
		delete(live, l.ID)
	default:
		warn("unknown op %q ignored", l.Op)
	}
}

func collect(order []string, live map[string]*Marker) []Marker {
	ms := make([]Marker, 0, len(live))
	seen := make(map[string]bool, len(live))
	for _, id := range order {
		if m, ok := live[id]; ok && !seen[id] {
			seen[id] = true
			ms = append(ms, *m)
		}
	}
	sort.SliceStable(ms, func(i, k int) bool { return ms[i].Sample < ms[k].Sample })
	return ms
}
