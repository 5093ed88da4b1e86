package session

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// recordShort records about d on the ramp with a marker every 100 ms and
// returns the stopped session's folder.
func recordShort(t *testing.T, channels int, d time.Duration) string {
	t.Helper()
	cfg := rampCfg(t, channels)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := s.Mark(markers.Note, "n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	return cfg.Dir
}

// crash rewrites session.json as a crash mid-recording leaves it.
func crash(t *testing.T, dir string, st State) {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.State, m.Frames, m.EndUTC = st, 0, time.Time{}
	if err := WriteMeta(dir, m); err != nil {
		t.Fatal(err)
	}
}

func TestRecoverTruncatedCopies(t *testing.T) {
	orig := recordShort(t, 1, 500*time.Millisecond)
	meta, err := Load(orig)
	if err != nil {
		t.Fatal(err)
	}
	track := filepath.Join(orig, filepath.FromSlash(meta.Tracks[0].File))
	r, err := audio.OpenWAV(track)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	journal, err := os.ReadFile(filepath.Join(orig, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	origMarkers, _, err := markers.ReplayJournalFile(filepath.Join(orig, JournalFile))
	if err != nil || len(origMarkers) < 3 {
		t.Fatalf("original journal: %d markers, %v", len(origMarkers), err)
	}
	_, origSamples, err := audio.ReadWAVFile(track)
	if err != nil {
		t.Fatal(err)
	}
	data := info.DataOffset
	end := data + info.Frames*3
	cuts := []int64{data, data + 1, data + 2, data + 3, data + 3*1000 + 1, (data + end) / 2, end - 4, end - 1, end}
	for i, cut := range cuts {
		dir := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(dir, os.DirFS(orig)); err != nil { // as a crash would leave it
			t.Fatal(err)
		}
		crash(t, dir, []State{StateRecording, StatePaused}[i%2])
		tpath := filepath.Join(dir, filepath.FromSlash(meta.Tracks[0].File))
		if err := os.Truncate(tpath, cut); err != nil {
			t.Fatal(err)
		}
		// Tear the journal in the middle of its last line on odd cuts.
		wantMarkers := len(origMarkers)
		if i%2 == 1 {
			if err := os.WriteFile(filepath.Join(dir, JournalFile), journal[:len(journal)-7], 0o644); err != nil {
				t.Fatal(err)
			}
			wantMarkers--
		}
		rep, err := Recover(dir)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		wantFrames := (cut - data) / 3
		if rep.Frames != wantFrames || rep.State != StateRecovered || !rep.Changed || rep.Markers != wantMarkers {
			t.Errorf("cut %d: report %+v, want %d frames, %d markers", cut, rep, wantFrames, wantMarkers)
		}
		if i%2 == 1 && (len(rep.Warnings) == 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), JournalFile)) {
			t.Errorf("cut %d: torn journal gave no warning naming it: %q", cut, rep.Warnings)
		}
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.State != StateRecovered || m.Frames != wantFrames || len(m.Recovery) == 0 {
			t.Errorf("cut %d: session.json state %s frames %d recovery %q", cut, m.State, m.Frames, m.Recovery)
		}
		_, got, err := audio.ReadWAVFile(tpath)
		if err != nil {
			t.Fatalf("cut %d: repaired track does not parse: %v", cut, err)
		}
		if int64(len(got)) != wantFrames || !equalFloats(got, origSamples[:wantFrames]) {
			t.Errorf("cut %d: repaired track has %d frames, want the original's first %d", cut, len(got), wantFrames)
		}
		// Twice is safe: nothing changes the second time.
		metaBefore, _ := os.ReadFile(filepath.Join(dir, MetaFile))
		wavBefore, _ := os.ReadFile(tpath)
		rep2, err := Recover(dir)
		if err != nil || rep2.Changed || rep2.Frames != wantFrames || rep2.PrevState != StateRecovered {
			t.Errorf("cut %d: second Recover: %+v, %v", cut, rep2, err)
		}
		metaAfter, _ := os.ReadFile(filepath.Join(dir, MetaFile))
		wavAfter, _ := os.ReadFile(tpath)
		if !bytes.Equal(metaBefore, metaAfter) || !bytes.Equal(wavBefore, wavAfter) {
			t.Errorf("cut %d: second Recover changed files", cut)
		}
		// The healed journal takes new lines cleanly.
		if doc, err := LoadDoc(dir); err != nil || len(doc.Markers) != wantMarkers {
			t.Errorf("cut %d: LoadDoc after recover: %d markers, %v", cut, len(doc.Markers), err)
		}
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRecoverErrors(t *testing.T) {
	if _, err := Recover(t.TempDir()); !errors.Is(err, ErrNotSession) {
		t.Errorf("Recover of a non-session: %v", err)
	}
	orig := recordShort(t, 2, 200*time.Millisecond)
	crash(t, orig, StateRecording)
	meta, _ := Load(orig)
	// Track 2 lost its header entirely: track 1 is still repaired, the error names track 2.
	if err := os.Truncate(filepath.Join(orig, filepath.FromSlash(meta.Tracks[1].File)), 10); err != nil {
		t.Fatal(err)
	}
	rep, err := Recover(orig)
	if err == nil || !strings.Contains(err.Error(), meta.Tracks[1].File) {
		t.Fatalf("Recover with a broken track: %v", err)
	}
	if len(rep.Tracks) != 1 || rep.State != StateRecovered {
		t.Errorf("report %+v", rep)
	}
	// The summary does not call such a session consistent, and names the track.
	if sum := RecoverSummary(rep); !strings.Contains(sum, "repaired in part") || !strings.Contains(sum, meta.Tracks[1].File) {
		t.Errorf("summary of a partial recovery: %q", sum)
	}
	// Run again: nothing left to repair, and still not "consistent".
	rep, err = Recover(orig)
	if sum := RecoverSummary(rep); err == nil || !strings.Contains(sum, "not repaired (1 track(s) could not be read: "+meta.Tracks[1].File+")") {
		t.Errorf("second run: %v, summary %q", err, sum)
	}
	// The broken file is left as it was, never deleted.
	if fi, err := os.Stat(filepath.Join(orig, filepath.FromSlash(meta.Tracks[1].File))); err != nil || fi.Size() != 10 {
		t.Errorf("broken track after Recover: %v %v", fi, err)
	}
}

func TestFindUnfinished(t *testing.T) {
	root := t.TempDir()
	for _, st := range []State{StateCreated, StateRecording, StatePaused, StateStopped, StateRecovered, StateFailed} {
		dir := filepath.Join(root, string(st))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteMeta(dir, Meta{FormatVersion: 1, Rate: 48000, Bits: "24", State: st}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "not-a-session"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := FindUnfinished(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "paused"), filepath.Join(root, "recording")}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("FindUnfinished = %v, want %v", got, want)
	}
	if _, err := FindUnfinished(filepath.Join(root, "missing")); err == nil {
		t.Error("FindUnfinished of a missing folder succeeded")
	}
}
