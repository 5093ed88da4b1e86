package markers

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Kind says what a marker is for, and so where it is exported.
type Kind string

// The marker kinds. Topic and Sponsor are public chapters by default; Edit,
// Note and Glitch go only to the editor's files.
const (
	Topic   Kind = "topic"
	Sponsor Kind = "sponsor"
	Edit    Kind = "edit"
	Note    Kind = "note"
	Glitch  Kind = "glitch"
)

// Kinds lists every kind in display order.
var Kinds = []Kind{Topic, Sponsor, Edit, Note, Glitch}

// DefaultPublic lists the kinds that become public chapters unless told otherwise.
var DefaultPublic = []Kind{Topic, Sponsor}

// ErrBadKind is returned (wrapped) for a kind name that is not one of Kinds.
var ErrBadKind = errors.New("unknown marker kind")

// ErrBadMarker is returned (wrapped) for a marker that cannot be journaled:
// no id, an unknown kind, a negative position or an end before its start.
var ErrBadMarker = errors.New("invalid marker")

// ParseKind parses a kind name, ignoring case and surrounding space.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k.Valid() {
		return k, nil
	}
	return "", fmt.Errorf("markers: %q: %w (want topic, sponsor, edit, note or glitch)", s, ErrBadKind)
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	switch k {
	case Topic, Sponsor, Edit, Note, Glitch:
		return true
	}
	return false
}

// Marker is one marker on the session clock. Sample and End are frame offsets
// at the document's sample rate; End is 0 for a point marker.
type Marker struct {
	ID     string    `json:"id"`
	Kind   Kind      `json:"kind"`
	Title  string    `json:"title"`
	URL    string    `json:"url,omitempty"`
	Sample int64     `json:"sample"`        // start, frames on the session clock
	End    int64     `json:"end,omitempty"` // region end in frames; 0 = a point marker
	Author string    `json:"author,omitempty"`
	UTC    time.Time `json:"utc"` // wall time it was dropped
	// Hidden marks a chapter that is not a table-of-contents entry (a
	// podcast-namespace chapter with "toc": false, usually an image
	// change): kept in podcast-json and the editor formats, left out of
	// table-of-contents formats (see Format.TOC).
	Hidden bool   `json:"hidden,omitempty"`
	Image  string `json:"image,omitempty"` // chapter artwork URL (podcast-json img, PSC image)
}

// Seconds is the marker's start in seconds at the given sample rate (0 when
// rate is not positive).
func (m Marker) Seconds(rate int) float64 {
	if rate <= 0 {
		return 0
	}
	return float64(m.Sample) / float64(rate)
}

// EndSeconds is the region end in seconds, or 0 for a point marker.
func (m Marker) EndSeconds(rate int) float64 {
	if rate <= 0 || m.End == 0 {
		return 0
	}
	return float64(m.End) / float64(rate)
}

// IsRegion reports whether the marker spans a region (End after Sample).
func (m Marker) IsRegion() bool { return m.End > m.Sample }

// check returns why m cannot be stored, or nil.
func (m Marker) check() error {
	switch {
	case m.ID == "":
		return fmt.Errorf("markers: %w: empty id", ErrBadMarker)
	case !m.Kind.Valid():
		return fmt.Errorf("markers: %w: id %q: kind %q: %w", ErrBadMarker, m.ID, m.Kind, ErrBadKind)
	case m.Sample < 0:
		return fmt.Errorf("markers: %w: id %q: negative sample %d", ErrBadMarker, m.ID, m.Sample)
	case m.End != 0 && m.End < m.Sample:
		return fmt.Errorf("markers: %w: id %q: end %d before start %d", ErrBadMarker, m.ID, m.End, m.Sample)
	}
	return nil
}

var idState struct {
	sync.Mutex
	last int64
}

// NewID returns a new marker id: 16 lowercase hex digits of the creation time
// in microseconds (strictly increasing within a process, so ids sort in
// creation order) followed by 8 random hex digits. Ids are safe in file names.
// NewID is concurrent-safe.
func NewID() string {
	now := time.Now().UnixMicro()
	idState.Lock()
	if now <= idState.last {
		now = idState.last + 1
	}
	idState.last = now
	idState.Unlock()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms; fall back to the clock.
		binary.BigEndian.PutUint32(b[:], uint32(time.Now().UnixNano()))
	}
	return fmt.Sprintf("%016x%08x", now, binary.BigEndian.Uint32(b[:]))
}

// DocVersion is the markers.json format version written by this package.
const DocVersion = 1

// Doc is the canonical markers.json content: the session's title and sample
// rate, the audio length when known, and the markers sorted by start.
type Doc struct {
	Version int      `json:"version"`
	Title   string   `json:"title"`
	Rate    int      `json:"rate"`
	Frames  int64    `json:"frames,omitempty"` // audio length in frames; 0 = unknown
	Audio   string   `json:"audio,omitempty"`  // audio file name the positions refer to (CUE FILE); optional
	Markers []Marker `json:"markers"`

	public []Kind // set by Public: the kinds public formats write
}

// Update changes some fields of the marker with the given ID; nil fields are
// left as they are.
type Update struct {
	ID     string
	Title  *string
	Kind   *Kind
	Sample *int64
	End    *int64
	URL    *string
}

// Apply returns m with u's non-nil fields set.
func (u Update) Apply(m Marker) Marker {
	if u.Title != nil {
		m.Title = *u.Title
	}
	if u.Kind != nil {
		m.Kind = *u.Kind
	}
	if u.Sample != nil {
		m.Sample = *u.Sample
	}
	if u.End != nil {
		m.End = *u.End
	}
	if u.URL != nil {
		m.URL = *u.URL
	}
	return m
}
