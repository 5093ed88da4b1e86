package room

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/podmark/podmark/markers"
)

// Version is the message format version this package writes and reads.
const Version = 1

// MaxMessage is the largest message the room accepts, in bytes.
const MaxMessage = 8 << 10

// Limits on fields, checked by Validate.
const (
	MaxTitle   = 500                  // characters of a marker title
	MaxURL     = 2000                 // bytes of a marker URL
	MaxID      = 64                   // bytes of a marker or event id
	MaxSeconds = 48 * 60 * 60         // the longest position a message may carry
	MinRate    = 8000                 // sample rates a message may carry
	MaxRate    = 384000               //
	MaxItems   = 200                  // rundown items
	maxSkew    = 366 * 24 * time.Hour // how far a UTC time may be from now
)

// ErrMessage reports a message that is malformed, oversized or not sane.
var ErrMessage = errors.New("room: bad message")

// Op is what a marker event does.
type Op string

// The marker event operations.
const (
	OpAdd    Op = "add"
	OpUpdate Op = "update" // rename, move, change of kind or URL: the marker's new state
	OpDelete Op = "delete"
)

// MarkerEvent is one marker added, changed or deleted by its author, in the
// author's sample clock. EventID is unique per event and is the JetStream
// Nats-Msg-Id, so a republished event is stored once.
type MarkerEvent struct {
	V       int          `json:"v"`
	EventID string       `json:"eid"`
	Op      Op           `json:"op"`
	Author  string       `json:"author"`
	ID      string       `json:"id"`
	Kind    markers.Kind `json:"kind,omitempty"`
	Title   string       `json:"title,omitempty"`
	URL     string       `json:"url,omitempty"`
	Sample  int64        `json:"sample"`
	End     int64        `json:"end,omitempty"`
	Rate    int          `json:"rate"`
	UTC     time.Time    `json:"utc"`
}

// Marker is the event's marker (for add and update), author set.
func (e MarkerEvent) Marker() markers.Marker {
	return markers.Marker{ID: e.ID, Kind: e.Kind, Title: e.Title, URL: e.URL, Sample: e.Sample, End: e.End, Author: e.Author, UTC: e.UTC}
}

// NewMarkerEvent makes the event for m by author at rate.
func NewMarkerEvent(op Op, author string, rate int, m markers.Marker) MarkerEvent {
	e := MarkerEvent{V: Version, EventID: markers.NewID(), Op: op, Author: author, ID: m.ID, Rate: rate, UTC: m.UTC}
	if op != OpDelete {
		e.Kind, e.Title, e.URL, e.Sample, e.End = m.Kind, m.Title, m.URL, m.Sample, m.End
	} else {
		e.UTC = time.Now().UTC()
	}
	if e.UTC.IsZero() {
		e.UTC = time.Now().UTC()
	}
	return e
}

// Validate reports why e must not be accepted, or nil.
func (e MarkerEvent) Validate() error {
	if err := checkHeader(e.V, e.Author); err != nil {
		return err
	}
	if err := checkID("eid", e.EventID); err != nil {
		return err
	}
	if err := checkID("id", e.ID); err != nil {
		return err
	}
	if err := checkRate(e.Rate); err != nil {
		return err
	}
	if err := checkUTC(e.UTC); err != nil {
		return err
	}
	switch e.Op {
	case OpDelete:
		return nil
	case OpAdd, OpUpdate:
	default:
		return fmt.Errorf("%w: op %q (want add, update or delete)", ErrMessage, e.Op)
	}
	if !e.Kind.Valid() {
		return fmt.Errorf("%w: kind %q", ErrMessage, e.Kind)
	}
	if err := checkText("title", e.Title, MaxTitle); err != nil {
		return err
	}
	if len(e.URL) > MaxURL || !utf8.ValidString(e.URL) || strings.ContainsFunc(e.URL, unicode.IsControl) {
		return fmt.Errorf("%w: url: longer than %d bytes or not printable text", ErrMessage, MaxURL)
	}
	if err := checkPos("sample", e.Sample, e.Rate); err != nil {
		return err
	}
	if e.End != 0 {
		if err := checkPos("end", e.End, e.Rate); err != nil {
			return err
		}
		if e.End < e.Sample {
			return fmt.Errorf("%w: end %d before sample %d", ErrMessage, e.End, e.Sample)
		}
	}
	return nil
}

// State is a host's recorder state as presence reports it.
type State string

// The presence states.
const (
	StateIdle      State = "idle" // in the room, not recording yet
	StateRecording State = "recording"
	StatePaused    State = "paused"
	StateStopped   State = "stopped"
	StateFailed    State = "failed"
	StateLeft      State = "left" // the host left the room
)

func (s State) valid() bool {
	switch s {
	case StateIdle, StateRecording, StatePaused, StateStopped, StateFailed, StateLeft:
		return true
	}
	return false
}

// Presence is a host's state, sent about once a second and at once when the
// state changes.
type Presence struct {
	V        int       `json:"v"`
	Host     string    `json:"host"`
	State    State     `json:"state"`
	Error    string    `json:"error,omitempty"` // why, when failed
	Rate     int       `json:"rate"`
	Position int64     `json:"position"`  // sample position now, on the host's clock
	Elapsed  float64   `json:"elapsed"`   // seconds recorded
	Level    float64   `json:"level"`     // peak level 0..1 of the loudest channel
	Dropped  int64     `json:"dropped"`   // frames lost
	DiskLeft float64   `json:"disk_left"` // seconds of recording the disk still holds; -1 = unknown
	Link     string    `json:"link"`      // the host's own view: "online" or "reconnected"
	Pending  int       `json:"pending"`   // marker events not yet acknowledged by the relay
	UTC      time.Time `json:"utc"`
	// Upload is the progressive hand-off's progress (handoff.go); absent
	// when the host does not upload.
	Upload *Upload `json:"upload,omitempty"`
}

// Validate reports why p must not be accepted, or nil.
func (p Presence) Validate() error {
	if err := checkHeader(p.V, p.Host); err != nil {
		return err
	}
	if !p.State.valid() {
		return fmt.Errorf("%w: state %q", ErrMessage, p.State)
	}
	if err := checkText("error", p.Error, MaxTitle); err != nil {
		return err
	}
	if err := checkRate(p.Rate); err != nil {
		return err
	}
	if err := checkPos("position", p.Position, p.Rate); err != nil {
		return err
	}
	if !(p.Elapsed >= 0 && p.Elapsed <= MaxSeconds) || !(p.Level >= 0 && p.Level <= 1) ||
		p.Dropped < 0 || !(p.DiskLeft >= -1 && p.DiskLeft < 1e9) || p.Pending < 0 {
		return fmt.Errorf("%w: presence figures out of range", ErrMessage)
	}
	if err := checkText("link", p.Link, 32); err != nil {
		return err
	}
	if err := p.Upload.validate(); err != nil {
		return err
	}
	return checkUTC(p.UTC)
}

// ClockRequest asks a host for its sample clock.
type ClockRequest struct {
	V    int    `json:"v"`
	From string `json:"from"`
}

// Validate reports why r must not be accepted, or nil.
func (r ClockRequest) Validate() error { return checkHeader(r.V, r.From) }

// ClockReply is a host's sample clock at the moment it answered.
type ClockReply struct {
	V        int       `json:"v"`
	Host     string    `json:"host"`
	Rate     int       `json:"rate"`
	Position int64     `json:"position"` // the sample position now
	Running  bool      `json:"running"`  // recording (the position is advancing)
	UTC      time.Time `json:"utc"`
}

// Validate reports why r must not be accepted, or nil.
func (r ClockReply) Validate() error {
	if err := checkHeader(r.V, r.Host); err != nil {
		return err
	}
	if err := checkRate(r.Rate); err != nil {
		return err
	}
	if err := checkPos("position", r.Position, r.Rate); err != nil {
		return err
	}
	return checkUTC(r.UTC)
}

// Rundown is the room's running order, kept in the KV bucket. Current is the
// index of the segment on air; -1 before the first Next, len(Items) after
// the last.
type Rundown struct {
	V       int       `json:"v"`
	Items   []string  `json:"items"`
	Current int       `json:"current"`
	By      string    `json:"by,omitempty"` // who advanced it last
	At      time.Time `json:"at,omitempty"` // when (UTC)
}

// Validate reports why r must not be accepted, or nil.
func (r Rundown) Validate() error {
	if r.V != Version {
		return fmt.Errorf("%w: version %d (this podmark reads %d)", ErrMessage, r.V, Version)
	}
	if len(r.Items) > MaxItems {
		return fmt.Errorf("%w: %d rundown items (at most %d)", ErrMessage, len(r.Items), MaxItems)
	}
	for i, it := range r.Items {
		if err := checkText(fmt.Sprintf("rundown item %d", i+1), it, MaxTitle); err != nil {
			return err
		}
	}
	if r.Current < -1 || r.Current > len(r.Items) {
		return fmt.Errorf("%w: rundown current %d of %d items", ErrMessage, r.Current, len(r.Items))
	}
	if r.By != "" {
		if err := CheckName("host", r.By); err != nil {
			return fmt.Errorf("%w: by: %v", ErrMessage, err)
		}
	}
	if !r.At.IsZero() {
		return checkUTC(r.At)
	}
	return nil
}

// Validator is a message that can check itself.
type Validator interface{ Validate() error }

// Decode parses one message of at most max bytes (0 = MaxMessage) into T and
// validates it. Unknown fields, trailing data and a newer version are errors.
func Decode[T Validator](data []byte, max int) (T, error) {
	var v T
	if max <= 0 {
		max = MaxMessage
	}
	if len(data) > max {
		return v, fmt.Errorf("%w: %d bytes (at most %d)", ErrMessage, len(data), max)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return v, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if d.More() {
		return v, fmt.Errorf("%w: trailing data after the message", ErrMessage)
	}
	if err := v.Validate(); err != nil {
		return v, err
	}
	return v, nil
}

// Encode marshals a valid message.
func Encode(v Validator) ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("room: encode: %w", err)
	}
	return b, nil
}

func checkHeader(v int, who string) error {
	if v != Version {
		return fmt.Errorf("%w: version %d (this podmark reads %d)", ErrMessage, v, Version)
	}
	if err := CheckName("host", who); err != nil {
		return fmt.Errorf("%w: %v", ErrMessage, err)
	}
	return nil
}

func checkID(what, id string) error {
	if id == "" || len(id) > MaxID {
		return fmt.Errorf("%w: %s: empty or longer than %d bytes", ErrMessage, what, MaxID)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: %s %q: only letters, digits, '-' and '_'", ErrMessage, what, id)
		}
	}
	return nil
}

func checkRate(r int) error {
	if r < MinRate || r > MaxRate {
		return fmt.Errorf("%w: rate %d (want %d..%d)", ErrMessage, r, MinRate, MaxRate)
	}
	return nil
}

func checkPos(what string, pos int64, rate int) error {
	if pos < 0 || pos > int64(rate)*MaxSeconds {
		return fmt.Errorf("%w: %s %d: negative or past %d hours", ErrMessage, what, pos, MaxSeconds/3600)
	}
	return nil
}

func checkText(what, s string, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s: not UTF-8", ErrMessage, what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%w: %s: %d characters (at most %d)", ErrMessage, what, n, max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
		return fmt.Errorf("%w: %s: control characters", ErrMessage, what)
	}
	return nil
}

func checkUTC(t time.Time) error {
	if d := time.Since(t); t.IsZero() || d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%w: utc %s: missing or more than a year off", ErrMessage, t.Format(time.RFC3339))
	}
	return nil
}

// OneLine makes s fit a message's text field: control characters (the
// newlines of a joined error) become "; " or a space, invalid UTF-8 is
// replaced, and it is cut to max characters. A failed recorder's error
// is sent this way, so that the presence saying it failed is never
// refused for its text.
func OneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == '\n':
			b.WriteString("; ")
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := []rune(b.String())
	if len(out) > max {
		out = out[:max]
	}
	return string(out)
}
