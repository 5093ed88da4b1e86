package room

// The progressive hand-off (docs/room.md, "Progressive hand-off"): while a
// host records in a room, its podmark cuts every track into segments of
// SegmentFrames frames, encodes each finished segment as a standalone FLAC
// stream (raw little-endian PCM for 32-bit float tracks) and puts it, with
// session.json, the marker journal and the room record, into the host's own
// JetStream object store bucket. The editor's `podmark pull` rebuilds every
// host's session folder from those objects and verifies it.
//
// This file holds the shared names and records of that protocol; the
// uploader (upload.go) and the puller (pull.go) are its two sides.

import (
	"fmt"
	"time"

	"github.com/podmark/podmark/app/session"
)

// SegmentFrames is the length of every segment but a track's last, in
// frames: 64 FLAC blocks of 4096 frames (5.46 s at 48 kHz). A whole number of
// blocks lets the segments of a track be joined into one FLAC stream without
// re-encoding (export reuses them).
const SegmentFrames = 64 * 4096

// FLACBlock is the FLAC block size of every segment.
const FLACBlock = 4096

// SegmentLevel is the libFLAC compression level of the segments
// (codec.FLACOptions.Level).
const SegmentLevel = 5

// The segment codecs.
const (
	CodecFLAC = "flac" // a standalone FLAC stream (16- and 24-bit tracks)
	CodecPCM  = "pcm"  // the track's raw data bytes (32-bit float tracks)
)

// UploadBucket is host's object store bucket of the hand-off.
func (n Names) UploadBucket(host string) string { return n.Stream() + "_UP_" + host }

// The object names in a host's upload bucket. track is the track file's
// base name without extension ("alice-1" for tracks/alice-1.wav).
const (
	ObjSession = "session.json"       // the host's session.json, replaced as it changes
	ObjJournal = "markers.jsonl"      // the host's marker journal, replaced as it grows
	ObjRecord  = "room/markers.jsonl" // the host's room record, replaced as it grows
	ObjDone    = "done.json"          // UploadDone, put last when everything was sent
)

// SegmentObject is the object name of segment n (from 0) of track.
func SegmentObject(track string, n int) string {
	return fmt.Sprintf("tracks/%s/%06d.seg", track, n)
}

// ManifestObject is the object name of track's manifest, put once the whole
// track has been sent.
func ManifestObject(track string) string { return "tracks/" + track + "/manifest.json" }

// The object headers every segment carries (nats.Header on ObjectMeta).
const (
	HdrStart     = "Podmark-Start"      // first frame of the segment in the track
	HdrFrames    = "Podmark-Frames"     // frames in the segment
	HdrPCMSHA256 = "Podmark-Pcm-Sha256" // hex SHA-256 of the segment's bytes in the WAV data chunk
	HdrCodec     = "Podmark-Codec"      // CodecFLAC or CodecPCM
	HdrRecovered = "Podmark-Recovered"  // "1": written out by `podmark recover`
	// HdrDataOffset is the byte offset of the first audio byte in the
	// host's WAV file (the length of the manifest's Header): the editor
	// writes each segment's audio where it will stay in the rebuilt file.
	HdrDataOffset = "Podmark-Data-Offset"
)

// Segment describes one segment of a track as its manifest lists it.
type Segment struct {
	N         int    `json:"n"`
	Start     int64  `json:"start"`      // first frame
	Frames    int64  `json:"frames"`     // frames in it
	PCMSHA256 string `json:"pcm_sha256"` // hex SHA-256 of its PCM bytes as in the WAV
	Digest    string `json:"digest"`     // the object store's digest of the object ("SHA-256=...")
	Recovered bool   `json:"recovered,omitempty"`
}

// Manifest is the last word on one track: what the host's local file is,
// so the puller can rebuild it byte for byte and check it.
type Manifest struct {
	V        int    `json:"v"`
	Track    string `json:"track"` // the track's path in the session ("tracks/alice-1.wav")
	Codec    string `json:"codec"`
	Rate     int    `json:"rate"`
	Bits     string `json:"bits"` // "16", "24" or "32f", as session.json
	Channels int    `json:"channels"`
	Frames   int64  `json:"frames"` // frames in the local track
	// Header is the local WAV file's bytes before its audio data (RIFF or
	// RF64 header, fmt, bext, JUNK/ds64...), and Trailer any bytes after
	// the data chunk: header + PCM + trailer is the host's file.
	Header  []byte `json:"header"`
	Trailer []byte `json:"trailer,omitempty"`
	// FileSHA256 is the hex SHA-256 of the whole local WAV file, PCMSHA256
	// of its audio data alone.
	FileSHA256 string    `json:"file_sha256"`
	PCMSHA256  string    `json:"pcm_sha256"`
	Segments   []Segment `json:"segments"`
	Recovered  bool      `json:"recovered,omitempty"` // the session was recovered after a crash
	UTC        time.Time `json:"utc"`
}

// UploadDone is the last object a host puts: every track's manifest and the
// final session.json and journal are in the bucket.
type UploadDone struct {
	V      int       `json:"v"`
	Host   string    `json:"host"`
	State  string    `json:"state"`  // the session's final state: stopped, failed or recovered
	Tracks []string  `json:"tracks"` // the manifests' track paths
	UTC    time.Time `json:"utc"`
}

// Upload is a host's upload progress, carried in its presence (Presence.Upload).
type Upload struct {
	State    UploadState `json:"state"`
	Sent     int64       `json:"sent"`      // frames acknowledged by the relay, every track up to here
	Recorded int64       `json:"recorded"`  // frames the host has on disk
	BehindMS int64       `json:"behind_ms"` // how far the upload lags the recording, in ms of audio
	Kbps     int         `json:"kbps"`      // the cap (0 = none)
	Error    string      `json:"error,omitempty"`
}

// UploadState is where a host's upload stands.
type UploadState string

// The upload states.
const (
	UploadSending  UploadState = "sending"  // keeping up or catching up
	UploadWaiting  UploadState = "waiting"  // the relay is out of reach; resumes when back
	UploadVerified UploadState = "verified" // all sent and checked against the relay's copy
	UploadFailed   UploadState = "failed"   // gave up; Error says why (the local recording is fine)
)

// Pulled is what an editor's `podmark pull` publishes (core NATS, on
// Names.Pulled) each time it has a host's whole session verified on disk,
// so that host's window can say the editor's copy is complete.
type Pulled struct {
	V      int       `json:"v"`
	From   string    `json:"from"`   // the editor's name in the room
	Host   string    `json:"host"`   // whose session
	Frames int64     `json:"frames"` // frames per track verified
	UTC    time.Time `json:"utc"`
}

// Validate reports why p must not be accepted, or nil.
func (p Pulled) Validate() error {
	if err := checkHeader(p.V, p.From); err != nil {
		return err
	}
	if err := CheckName("host", p.Host); err != nil {
		return fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if p.Frames < 0 {
		return fmt.Errorf("%w: frames %d", ErrMessage, p.Frames)
	}
	return checkUTC(p.UTC)
}

// Pulled is the subject editor announces verified pulls on.
func (n Names) Pulled(editor string) string { return n.prefix() + ".pulled." + editor }

// AllPulled matches every editor's pull announcements.
func (n Names) AllPulled() string { return n.prefix() + ".pulled.*" }

func (u *Upload) validate() error {
	if u == nil {
		return nil
	}
	switch u.State {
	case UploadSending, UploadWaiting, UploadVerified, UploadFailed:
	default:
		return fmt.Errorf("%w: upload state %q", ErrMessage, u.State)
	}
	if u.Sent < 0 || u.Recorded < 0 || u.BehindMS < 0 || u.Kbps < 0 || u.Kbps > 10_000_000 {
		return fmt.Errorf("%w: upload figures out of range", ErrMessage)
	}
	return checkText("upload error", u.Error, MaxTitle)
}

// FinishedSession loads the session in dir for sending it after its
// recording (`podmark upload`, the window after a recovery): an error when
// it was never finalised (recover it first) or holds no recording.
func FinishedSession(dir string) (session.Meta, error) {
	meta, err := session.Load(dir)
	if err != nil {
		return meta, err
	}
	if meta.State.Unfinished() {
		return meta, fmt.Errorf("%s was not finalized (state %s): run 'podmark recover %s' first", dir, meta.State, dir)
	}
	if meta.State == session.StateCreated {
		return meta, fmt.Errorf("%s holds no recording", dir)
	}
	return meta, nil
}

// FinishedPresence is the presence of a host sending a finished (or
// recovered) session after its recording: `podmark upload`, or the window
// after a recovery. It says stopped at the session's end (failed, with the
// reason, for a failed recording) and carries the upload's progress.
func FinishedPresence(meta session.Meta, st Upload) Presence {
	p := Presence{State: StateStopped, Rate: meta.Rate, Position: meta.Frames, DiskLeft: -1, Upload: &st}
	if meta.Rate > 0 {
		p.Elapsed = float64(meta.Frames) / float64(meta.Rate)
	}
	if meta.State == session.StateFailed {
		p.State = StateFailed
		p.Error = OneLine(meta.Error, MaxTitle)
	}
	return p
}
