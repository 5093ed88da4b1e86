package export

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ManifestFile is the name of the manifest at the bundle's root. It is
// written last: a bundle folder without it is incomplete.
const ManifestFile = "manifest.json"

// ManifestSumFile holds the manifest's own SHA-256 in sha256sum's format
// ("HEX  manifest.json"), so a damaged manifest is reported as such; it is
// written right after the manifest.
const ManifestSumFile = "manifest.sha256"

// BundleVersion is the manifest format version.
const BundleVersion = 1

// Manifest is the content of manifest.json.
type Manifest struct {
	Bundle     int             `json:"podmark_bundle"` // BundleVersion
	App        string          `json:"app"`
	AppVersion string          `json:"app_version"`
	Created    time.Time       `json:"created_utc"`
	Session    SessionInfo     `json:"session"`
	Retime     *RetimeInfo     `json:"retime,omitempty"` // when --offset or --cut was given
	Merge      json.RawMessage `json:"merge,omitempty"`  // merge-report.json (offsets, drift) of a merged session
	Files      []File          `json:"files"`            // every file of the bundle but the manifest, sorted by path
}

// SessionInfo describes the session the bundle was made from.
type SessionInfo struct {
	Title    string    `json:"title"`
	Host     string    `json:"host,omitempty"`
	Folder   string    `json:"folder"`             // base name of the session folder
	StartUTC time.Time `json:"start_utc,omitzero"` // wall time of sample 0
	Rate     int       `json:"rate"`               // Hz
	Bits     string    `json:"bits"`               // "16", "24" or "32f"
	Tracks   int       `json:"tracks"`             // mono track files
	Frames   int64     `json:"frames"`             // longest track, in frames
	Duration float64   `json:"duration_s"`         // seconds
	State    string    `json:"state,omitempty"`    // session.json state
	Dropped  int64     `json:"dropped,omitempty"`  // frames lost while recording (replaced by silence)
	Glitches int64     `json:"glitches,omitempty"` // glitch events while recording
	Markers  int       `json:"markers"`            // markers in the session
	Chapters int       `json:"public_chapters"`    // of which public chapters
	Warnings []string  `json:"warnings,omitempty"` // journal replay and export warnings
	Merged   bool      `json:"merged,omitempty"`   // made by podmark merge
	Public   []string  `json:"public_kinds"`       // kinds exported as public chapters
	Timeline string    `json:"chapters_timeline"`  // "recording" or "episode" (retimed)
}

// RetimeInfo records how episode-time chapters were derived.
type RetimeInfo struct {
	Offset float64      `json:"offset_s"`
	Cuts   [][2]float64 `json:"cuts_s,omitempty"` // [start, end] in recording seconds
}

// File is one file of the bundle.
type File struct {
	Path     string  `json:"path"` // slash separated, relative to the bundle root
	Role     string  `json:"role"` // see the Role constants
	Format   string  `json:"format"`
	Size     int64   `json:"size"`
	SHA256   string  `json:"sha256"`
	Duration float64 `json:"duration_s,omitempty"`
	Rate     int     `json:"rate,omitempty"`
	Channels int     `json:"channels,omitempty"`
	Bits     string  `json:"bits,omitempty"`
	Frames   int64   `json:"frames,omitempty"`   // PCM frames (per channel)
	Timeline string  `json:"timeline,omitempty"` // "recording" or "episode" for files with times
	Source   string  `json:"source,omitempty"`   // the session file it was made from
	// Loudness is an audio file's measurement (BS.1770-4 / R 128).
	Loudness *Loudness `json:"loudness,omitempty"`
	// ReusedSegments is, for a FLAC track, how many segments of the
	// progressive hand-off (HandoffDir) were joined into it instead of
	// encoding the track afresh; 0 for a fresh encode.
	ReusedSegments int `json:"reused_segments,omitempty"`
}

// The roles of bundle files.
const (
	RoleTrack    = "track"    // a recorded track: WAV copy or FLAC
	RoleMix      = "mix"      // the MP3 review copy
	RoleChapters = "chapters" // public chapters
	RoleEditor   = "editor"   // editor marker files and the REAPER project
	RoleNotes    = "notes"    // transcript seed and show notes
	RoleOverview = "overview" // the waveform PNG
	RoleReadme   = "readme"
)

// fileSet collects manifest entries from parallel jobs.
type fileSet struct {
	mu    sync.Mutex
	files []File
}

func (s *fileSet) add(f File) {
	s.mu.Lock()
	s.files = append(s.files, f)
	s.mu.Unlock()
}

func (s *fileSet) sorted() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]File(nil), s.files...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// hashingFile is a created file that hashes and counts what is written.
type hashingFile struct {
	f    *os.File
	h    hash.Hash
	size int64
}

func createHashing(path string) (*hashingFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("export: create %q: %w", path, err)
	}
	return &hashingFile{f: f, h: sha256.New()}, nil
}

// diskBudget, when positive, is how many more bytes the bundle may take
// before writes fail with ENOSPC: the tests' full disk.
var diskBudget atomic.Int64

func (h *hashingFile) Write(p []byte) (int, error) {
	if diskBudget.Load() > 0 && diskBudget.Add(-int64(len(p))) <= 0 {
		return 0, fmt.Errorf("export: write %q: %w", h.f.Name(), syscall.ENOSPC)
	}
	n, err := h.f.Write(p)
	h.h.Write(p[:n])
	h.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("export: write %q: %w", h.f.Name(), err)
	}
	return n, nil
}

// close syncs and closes the file and returns its size and SHA-256.
func (h *hashingFile) close() (int64, string, error) {
	err := h.f.Sync()
	if cerr := h.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", fmt.Errorf("export: close %q: %w", h.f.Name(), err)
	}
	return h.size, hex.EncodeToString(h.h.Sum(nil)), nil
}

// hashFile returns the size and SHA-256 of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("export: open %q: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("export: read %q: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// syncFile fsyncs a file another library wrote.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("export: open %q: %w", path, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export: sync %q: %w", path, err)
	}
	return nil
}

// writeText writes a small file of the bundle and returns its manifest entry.
func writeText(root, rel string, b []byte, role, format, timeline string) (File, error) {
	path := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return File{}, fmt.Errorf("export: %w", err)
	}
	h, err := createHashing(path)
	if err != nil {
		return File{}, err
	}
	if _, err := h.Write(b); err != nil {
		h.f.Close()
		return File{}, err
	}
	size, sum, err := h.close()
	if err != nil {
		return File{}, err
	}
	return File{Path: rel, Role: role, Format: format, Size: size, SHA256: sum, Timeline: timeline}, nil
}

// ReadManifest reads the manifest.json of the bundle folder dir.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	name := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(name)
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: %s: %v", ErrNotBundle, name, err)
	}
	return m, nil
}
