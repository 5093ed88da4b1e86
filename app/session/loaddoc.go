package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/podmark/podmark/markers"
)

// LoadDoc reads a session folder into the canonical markers document:
// session.json gives the title, rate and length, markers.jsonl replayed gives
// the markers (sorted by sample). A torn or bad journal line is skipped; use
// LoadDocWarnings to see why.
func LoadDoc(dir string) (markers.Doc, error) {
	d, _, err := LoadDocWarnings(dir)
	return d, err
}

// LoadDocWarnings is LoadDoc that also returns the journal replay warnings
// (each naming the file and line). A missing journal counts as no markers.
func LoadDocWarnings(dir string) (markers.Doc, []string, error) {
	m, err := Load(dir)
	if err != nil {
		return markers.Doc{}, nil, err
	}
	d := markers.Doc{Version: markers.DocVersion, Title: m.Title, Rate: m.Rate, Frames: m.Frames, Markers: []markers.Marker{}}
	path := filepath.Join(dir, JournalFile)
	ms, warns, err := markers.ReplayJournalFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return d, []string{fmt.Sprintf("%s: missing, no markers", path)}, nil
		}
		return markers.Doc{}, warns, fmt.Errorf("session: load %q: %w", dir, err)
	}
	if ms != nil {
		d.Markers = ms
	}
	return d, warns, nil
}
