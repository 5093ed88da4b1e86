package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podmark/podmark/audio"
)

// File names inside a session folder.
const (
	MetaFile    = "session.json"
	JournalFile = "markers.jsonl"
	TracksDir   = "tracks"
	// MergeReportFile is the merge engine's report in a merged session
	// folder (app/merge writes it, app/export reads it).
	MergeReportFile = "merge-report.json"
)

// FormatVersion is the version of the session.json layout this package writes.
// Load accepts this version and older ones.
const FormatVersion = 1

// AppVersion is the podmark version written into session.json. The command
// may overwrite it at start-up (for example from build information).
var AppVersion = "0.1.0"

// AnchorEvery is how often a (sample, UTC) anchor is added while recording.
const AnchorEvery = 10 * time.Second

// State is the life-cycle state of a session, as stored in session.json.
type State string

// The session states. A session on disk in StateRecording or StatePaused was
// not finalized (the app crashed or was killed) and needs Recover.
const (
	StateCreated   State = "created"   // folder made, recording not started
	StateRecording State = "recording" // capturing to the tracks
	StatePaused    State = "paused"    // stream running, frames discarded and counted
	StateStopped   State = "stopped"   // finalized cleanly
	StateRecovered State = "recovered" // finalized by Recover after a crash
	StateFailed    State = "failed"    // stopped by an error (device lost, disk full); files finalized
)

// Unfinished reports whether a session in this state was never finalized.
func (st State) Unfinished() bool { return st == StateRecording || st == StatePaused }

// Track is one mono WAV file of the session.
type Track struct {
	File    string `json:"file"`    // path relative to the session folder, slash separated
	Channel int    `json:"channel"` // input channel, from 1
}

// Anchor ties a sample position of the session clock to wall time, for drift
// estimates between two hosts' recordings.
type Anchor struct {
	Sample int64     `json:"sample"` // file frame
	UTC    time.Time `json:"utc"`    // wall time at which that frame was captured
}

// Pause is one pause span. The stream clock keeps running while paused; the
// frames it delivered are discarded and counted in Skipped, so stream time at
// any later file frame f is f + the Skipped of every earlier pause.
type Pause struct {
	At       int64     `json:"at"`               // file frame at which the pause began
	Skipped  int64     `json:"skipped"`          // stream frames discarded while paused
	StartUTC time.Time `json:"start_utc"`        // wall time of Pause
	EndUTC   time.Time `json:"end_utc,omitzero"` // wall time of Resume; zero if the session ended paused
}

// Meta is the content of session.json. Every field is documented in
// docs/session-format.md.
type Meta struct {
	FormatVersion int       `json:"format_version"`
	App           string    `json:"app"`
	AppVersion    string    `json:"app_version"`
	Title         string    `json:"title"`
	Host          string    `json:"host"`
	Device        string    `json:"device"`
	HostAPI       string    `json:"host_api"`
	Rate          int       `json:"rate"`
	Bits          string    `json:"bits"` // "16", "24" or "32f"
	Channels      int       `json:"channels"`
	Tracks        []Track   `json:"tracks"`
	Created       time.Time `json:"created_utc"`
	StartUTC      time.Time `json:"start_utc,omitzero"` // wall time of sample 0
	StartMono     float64   `json:"start_monotonic"`    // CLOCK_MONOTONIC seconds of sample 0
	StartStream   float64   `json:"start_stream_time"`  // source stream clock (s) of sample 0
	Anchors       []Anchor  `json:"anchors"`            // one every 10 s while recording
	Pauses        []Pause   `json:"pauses"`             // in order
	State         State     `json:"state"`              // see State
	Frames        int64     `json:"frames"`             // frames in each track file
	StreamFrames  int64     `json:"stream_frames"`      // frames the source delivered (incl. paused)
	Dropped       int64     `json:"dropped"`            // frames lost (replaced by silence)
	Glitches      int64     `json:"glitches"`           // number of glitch events
	Updated       time.Time `json:"updated_utc"`        // last rewrite of this file
	Error         string    `json:"error,omitempty"`    // why the session failed
	Recovery      []string  `json:"recovery,omitempty"` // notes written by Recover
	// CaptureQueue is the persistent capture queue of a recording (absent
	// where /dev/shm could not hold it, or for a source given in
	// Config.Source).
	CaptureQueue *CaptureQueue `json:"capture_queue,omitempty"`
	EndUTC       time.Time     `json:"end_utc,omitzero"` // wall time the session was finalized
	// RoomClock is the show room's shared clock: how the other hosts'
	// sample clocks relate to this one (absent without a room).
	RoomClock *RoomClock `json:"room_clock,omitempty"`
}

// RoomClock is what the show room measured of the other hosts' sample
// clocks through NTP-style round trips (app/room fills it in through
// Session.SetRoomClock; the session never talks to the network). app/merge
// takes it as its coarse offset and drift.
type RoomClock struct {
	Host  string      `json:"host"` // this host's name in the room
	Rate  int         `json:"rate"` // this host's sample rate
	Peers []PeerClock `json:"peers"`
}

// PeerClock relates one other host's stream clock to this host's: the
// peer's stream time p (seconds) is this host's stream time
// Offset + p*(1+DriftPPM/1e6). Both clocks count stream frames (file frames
// plus frames skipped in pauses), from sample 0.
type PeerClock struct {
	Host     string  `json:"host"`      // the peer's name in the room
	Rate     int     `json:"rate"`      // the peer's sample rate
	Offset   float64 `json:"offset"`    // seconds: the peer's sample 0 on this host's clock
	DriftPPM float64 `json:"drift_ppm"` // this host's seconds per peer second, minus one, in ppm; 0 until measured over long enough
	// RTT is the round-trip time (s) of the best exchange: the offset is
	// within RTT/2 of the truth (plus the audio latency difference of the
	// two devices).
	RTT          float64   `json:"rtt"`
	Rounds       int       `json:"rounds"`       // round trips per measurement
	Measurements int       `json:"measurements"` // measurements the offset and drift are fitted from
	Span         float64   `json:"span"`         // seconds of the peer's clock between the first and last of them
	Measured     time.Time `json:"measured"`     // UTC of the latest
}

// Peer returns the estimate for host, if any.
func (rc *RoomClock) Peer(host string) (PeerClock, bool) {
	if rc == nil {
		return PeerClock{}, false
	}
	for _, p := range rc.Peers {
		if p.Host == host {
			return p, true
		}
	}
	return PeerClock{}, false
}

// CaptureQueue names the file in /dev/shm that holds what the device
// captured until the writer has it on disk: while recording, and after a
// crash until Recover has written it out; a clean stop deletes it.
type CaptureQueue struct {
	File string `json:"file"` // absolute path
	Tag  string `json:"tag"`  // also stored in the file, to tell it is this session's
}

// Format returns the sample format of the tracks.
func (m Meta) Format() (audio.SampleFormat, error) {
	f, err := audio.ParseSampleFormat(m.Bits)
	if err != nil {
		return 0, fmt.Errorf("session: %s: bits: %w", MetaFile, err)
	}
	return f, nil
}

// Duration is the length of the recorded audio.
func (m Meta) Duration() time.Duration {
	if m.Rate <= 0 {
		return 0
	}
	return audio.SampleRate(m.Rate).D(m.Frames)
}

// clone returns a deep copy, so callers never share slices with the engine.
func (m Meta) clone() Meta {
	if m.CaptureQueue != nil {
		q := *m.CaptureQueue
		m.CaptureQueue = &q
	}
	m.Tracks = append([]Track(nil), m.Tracks...)
	m.Anchors = append([]Anchor(nil), m.Anchors...)
	m.Pauses = append([]Pause(nil), m.Pauses...)
	m.Recovery = append([]string(nil), m.Recovery...)
	if m.RoomClock != nil {
		rc := *m.RoomClock
		rc.Peers = append([]PeerClock(nil), rc.Peers...)
		m.RoomClock = &rc
	}
	return m
}

// ErrNotSession reports a folder without a readable session.json.
var ErrNotSession = errors.New("session: not a session folder")

// Load reads dir/session.json.
func Load(dir string) (Meta, error) {
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Meta{}, fmt.Errorf("%w: %s missing", ErrNotSession, path)
		}
		return Meta{}, fmt.Errorf("session: read %q: %w", path, err)
	}
	return parseMeta(b, path)
}

// parseMeta decodes and checks session.json content read from path.
func parseMeta(b []byte, path string) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("%w: %s: %v", ErrNotSession, path, err)
	}
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		return Meta{}, fmt.Errorf("%w: %s: format_version %d (this podmark reads 1..%d)", ErrNotSession, path, m.FormatVersion, FormatVersion)
	}
	if m.Rate <= 0 {
		return Meta{}, fmt.Errorf("%w: %s: rate %d", ErrNotSession, path, m.Rate)
	}
	return m, nil
}

// WriteMeta replaces dir/session.json atomically (WriteJSON). The session
// package writes every session.json through it, and so does app/merge.
func WriteMeta(dir string, m Meta) error {
	return WriteJSON(filepath.Join(dir, MetaFile), m)
}

// WriteJSON replaces the file at path with v as indented JSON, atomically:
// it writes a temporary file, fsyncs it, renames it over the old one and
// fsyncs the folder, so a crash at any instant leaves either the old or
// the new content. Errors name the file.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("session: encode %s: %w", filepath.Base(path), err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func writeFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("session: write %q: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("session: write %q: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("session: sync %q: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("session: close %q: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("session: rename %q: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	if !canSyncDir {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("session: open folder %q: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("session: sync folder %q: %w", dir, err)
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("session: close folder %q: %w", dir, err)
	}
	return nil
}
