package export

// Reusing the progressive hand-off's FLAC (issue 15). While a host records
// in a room, its podmark encodes every track in segments of
// room.SegmentFrames frames, each a standalone FLAC stream made by the
// same libFLAC settings as the export's own encoder (CreateFLAC, level 5,
// block size 4096), kept in the session folder under handoff/ with a
// manifest that names the local track's PCM hash. When that hash matches
// the track being exported and every segment is there, the export's FLAC
// is the segments joined (codec.FLACJoiner: frames copied, renumbered, one
// STREAMINFO with the whole PCM's MD5) instead of a fresh encode. The
// joined file is then decoded and compared with the WAV sample for sample
// like an encoded one; a join that fails for any reason falls back to
// encoding, with a warning.

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/podmark/podmark/app/room"
)

// HandoffDir is the folder of a session that holds the progressive
// hand-off's local segments and manifests (room.SegmentObject and
// room.ManifestObject name the files inside it).
const HandoffDir = room.HandoffDir

// maxHandoffManifest bounds a manifest read from disk (the segment list of
// a 24-hour track is about 2 MB).
const maxHandoffManifest = 16 << 20

// progressive is a track's progressively encoded FLAC: its hand-off
// manifest and the paths of all its segments, in order.
type progressive struct {
	man  room.Manifest
	segs []string
}

// findProgressive returns the hand-off segments of t in the session folder
// dir when its manifest describes t's shape (rate, channels, bits, frames)
// and every segment file is there; otherwise nil, and why not ("" when the
// session has no hand-off for t at all).
func findProgressive(dir string, t track) (*progressive, string) {
	base := strings.TrimSuffix(path.Base(t.rel), path.Ext(t.rel))
	name := filepath.Join(dir, HandoffDir, filepath.FromSlash(room.ManifestObject(base)))
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil, ""
	}
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()
	var m room.Manifest
	if err := json.NewDecoder(io.LimitReader(f, maxHandoffManifest)).Decode(&m); err != nil {
		return nil, fmt.Sprintf("%s: %v", name, err)
	}
	if why := matchesShape(m, t); why != "" {
		return nil, fmt.Sprintf("%s: %s", name, why)
	}
	p := &progressive{man: m}
	for i := range m.Segments {
		seg := filepath.Join(dir, HandoffDir, filepath.FromSlash(room.SegmentObject(base, i)))
		if _, err := os.Stat(seg); err != nil {
			return nil, fmt.Sprintf("segment %d of %d is missing (%v)", i, len(m.Segments), err)
		}
		p.segs = append(p.segs, seg)
	}
	return p, ""
}

// matchesShape reports why the manifest m cannot describe the track t, or "".
func matchesShape(m room.Manifest, t track) string {
	want := (t.info.Frames + room.SegmentFrames - 1) / room.SegmentFrames
	switch {
	case m.Codec != room.CodecFLAC:
		return fmt.Sprintf("codec %q, not FLAC", m.Codec)
	case m.Track != t.rel:
		return fmt.Sprintf("it is the manifest of %q", m.Track)
	case m.Rate != int(t.info.Rate) || m.Channels != t.info.Channels || m.Bits != t.info.Format.String():
		return fmt.Sprintf("%d Hz %d ch %s-bit, the track is %d Hz %d ch %s-bit", m.Rate, m.Channels, m.Bits, t.info.Rate, t.info.Channels, t.info.Format)
	case m.Frames != t.info.Frames:
		return fmt.Sprintf("%d frames, the track has %d (changed after the segments were made)", m.Frames, t.info.Frames)
	case int64(len(m.Segments)) != want:
		return fmt.Sprintf("%d segments listed, %d frames need %d", len(m.Segments), t.info.Frames, want)
	}
	if b, err := hex.DecodeString(m.PCMSHA256); err != nil || len(b) != 32 {
		return fmt.Sprintf("pcm_sha256 %q is not a SHA-256", m.PCMSHA256)
	}
	for i, s := range m.Segments {
		if s.N != i || s.Start != int64(i)*room.SegmentFrames {
			return fmt.Sprintf("segment %d is listed as n %d from frame %d", i, s.N, s.Start)
		}
	}
	return ""
}

// FLACSources says, one line per FLAC track of files, how it was made:
// joined from the progressive hand-off's segments or encoded at export.
// podmark export's summary shows it.
func FLACSources(files []File) []string {
	var out []string
	for _, f := range files {
		if f.Role != RoleTrack || f.Format != "flac" {
			continue
		}
		if f.ReusedSegments > 0 {
			out = append(out, fmt.Sprintf("%s: reused %d progressive segments (no re-encode)", f.Path, f.ReusedSegments))
		} else {
			out = append(out, f.Path+": encoded")
		}
	}
	return out
}
