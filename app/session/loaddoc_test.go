package session

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

func TestLoadDocReplaysJournal(t *testing.T) {
	dir := t.TempDir()
	meta := Meta{FormatVersion: 1, Title: "Episode 48", Rate: 48000, Bits: "24", Channels: 1, Frames: 480000, State: StateStopped}
	if err := WriteMeta(dir, meta); err != nil {
		t.Fatal(err)
	}
	j, err := markers.OpenJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	utc := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	add := func(id string, k markers.Kind, title string, sample int64) {
		t.Helper()
		if err := j.Add(markers.Marker{ID: id, Kind: k, Title: title, Sample: sample, UTC: utc}); err != nil {
			t.Fatal(err)
		}
	}
	add("b", markers.Sponsor, "Ad", 96000)
	add("a", markers.Topic, "Intro", 0)
	add("c", markers.Note, "gone", 200)
	if err := j.Delete("c"); err != nil {
		t.Fatal(err)
	}
	title := "Intro proper"
	if err := j.Update(markers.Update{ID: "a", Title: &title}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn last line, as a crash mid-write leaves it.
	f, err := os.OpenFile(filepath.Join(dir, JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"op":"add","marker":{"id":"d","ki`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	d, warns, err := LoadDocWarnings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Episode 48" || d.Rate != 48000 || d.Frames != 480000 || d.Version != markers.DocVersion {
		t.Errorf("doc header = %+v", d)
	}
	if len(d.Markers) != 2 || d.Markers[0].ID != "a" || d.Markers[0].Title != "Intro proper" || d.Markers[1].ID != "b" || d.Markers[1].Sample != 96000 {
		t.Errorf("markers = %+v", d.Markers)
	}
	if len(warns) != 1 {
		t.Errorf("warnings = %q, want one for the torn line", warns)
	}
}

func TestLoadDocErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadDoc(dir); !errors.Is(err, ErrNotSession) {
		t.Fatalf("LoadDoc of a folder without session.json: %v, want ErrNotSession", err)
	}
	if err := os.WriteFile(filepath.Join(dir, MetaFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDoc(dir); !errors.Is(err, ErrNotSession) {
		t.Fatalf("LoadDoc of a corrupt session.json: %v, want ErrNotSession", err)
	}
	if err := WriteMeta(dir, Meta{FormatVersion: 1, Rate: 44100, Bits: "16"}); err != nil {
		t.Fatal(err)
	}
	d, warns, err := LoadDocWarnings(dir)
	if err != nil || len(d.Markers) != 0 || d.Markers == nil || len(warns) != 1 {
		t.Fatalf("missing journal: doc %+v warns %q err %v", d, warns, err)
	}
}
