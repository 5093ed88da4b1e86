package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// RecoverReport says what Recover found and did.
type RecoverReport struct {
	Dir       string
	PrevState State                // state found in session.json
	State     State                // state written back
	Frames    int64                // frames in every track after repair
	Tracks    []audio.RepairReport // one per track that could be repaired
	Broken    []string             // track files that could not be (left untouched; see the error)
	Markers   int                  // live markers after replaying the journal
	Glitches  int                  // of which glitch markers
	Warnings  []string             // torn journal lines, unequal tracks, missing files
	Changed   bool                 // false when the session was already consistent
	// Queue is what was written out of the capture queue (nil when there
	// was none to replay): the audio captured after the writer's last
	// once-a-second commit.
	Queue *audio.ReplayReport
}

// Recover repairs a session left behind by a crash or kill: what its
// capture queue holds after the writer's last commit is written out (see
// replayQueue; a session whose recorder still runs is refused with
// audio.ErrQueueBusy and left untouched), each track's
// header is rewritten from the real data length (a torn final frame is cut
// off, whole frames are never discarded), the journal is replayed (a torn
// last line is skipped with a warning and terminated so later appends stay
// readable), and session.json gets the real frame count and, if the session
// was unfinished and no audio is left in its capture queue, the state
// "recovered" (so the window goes on offering a session whose queue could
// not be written out). Running it again changes nothing.
// Errors name the file; a track that cannot be repaired does not stop the
// others, but makes Recover return an error.
func Recover(dir string) (RecoverReport, error) {
	rc := &recovery{dir: dir, rep: RecoverReport{Dir: dir}}
	meta, err := Load(dir)
	if err != nil {
		return rc.rep, err
	}
	rc.meta = meta
	rc.rep.PrevState, rc.rep.State = meta.State, meta.State
	if meta.CaptureQueue != nil {
		if err := rc.queue(); errors.Is(err, audio.ErrQueueBusy) {
			// Still being recorded: touch nothing.
			return rc.rep, fmt.Errorf("session: recover %s: %w", dir, err)
		}
	}
	frames := rc.tracks()
	rc.journal()
	rc.finish(frames)
	return rc.rep, errors.Join(rc.errs...)
}

// recovery is one Recover run, step by step: the capture queue, the
// tracks, the journal, session.json.
type recovery struct {
	dir     string
	meta    Meta
	rep     RecoverReport
	errs    []error
	notes   []string // for session.json's recovery log
	pending bool     // audio is left in the capture queue for another run
}

// queue writes out the capture queue (replayQueue). It returns the error
// only when the queue is busy (nothing may be touched then); any other
// error is kept for Recover's result.
func (rc *recovery) queue() error {
	note, warn, err := replayQueue(rc.dir, rc.meta, &rc.rep)
	if errors.Is(err, audio.ErrQueueBusy) {
		return err
	}
	if err != nil {
		rc.errs = append(rc.errs, err)
		// A damaged queue will not get better; anything else (a
		// full disk, a track that cannot be opened) may.
		rc.pending = !errors.Is(err, audio.ErrBadQueue)
	}
	if note != "" {
		rc.notes = append(rc.notes, note)
		rc.rep.Changed = true
	}
	if warn != "" {
		rc.rep.Warnings = append(rc.rep.Warnings, warn)
	}
	return nil
}

// tracks repairs every track's header and returns the frames of the
// shortest.
func (rc *recovery) tracks() int64 {
	rep := &rc.rep
	frames := int64(-1)
	for _, tr := range rc.meta.Tracks {
		path := filepath.Join(rc.dir, filepath.FromSlash(tr.File))
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && rc.meta.State == StateCreated {
			continue // never started: no audio was written
		}
		r, err := audio.RepairWAV(path)
		if err != nil {
			rc.errs = append(rc.errs, fmt.Errorf("session: recover track %s: %w", tr.File, err))
			rep.Broken = append(rep.Broken, tr.File)
			continue
		}
		rep.Tracks = append(rep.Tracks, r)
		if r.Changed {
			rep.Changed = true
			rc.notes = append(rc.notes, fmt.Sprintf("%s: header rewritten, %d frames kept, %d torn bytes cut", tr.File, r.Frames, r.TornBytes))
		}
		if frames >= 0 && r.Frames != frames {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s has %d frames, another track %d; using the shorter", tr.File, r.Frames, frames))
		}
		if frames < 0 || r.Frames < frames {
			frames = r.Frames
		}
	}
	return max(frames, 0)
}

// journal replays the marker journal, counts its glitches into the
// session's and terminates a torn last line.
func (rc *recovery) journal() {
	rep, meta := &rc.rep, &rc.meta
	jpath := filepath.Join(rc.dir, JournalFile)
	if _, err := os.Stat(jpath); errors.Is(err, os.ErrNotExist) {
		rep.Warnings = append(rep.Warnings, jpath+": missing, no markers")
		return
	} else if err != nil {
		rc.errs = append(rc.errs, fmt.Errorf("session: recover: %w", err))
		return
	}
	ms, warns, err := markers.ReplayJournalFile(jpath)
	if err != nil {
		rc.errs = append(rc.errs, fmt.Errorf("session: recover: %w", err))
	}
	rep.Warnings = append(rep.Warnings, warns...)
	rep.Markers = len(ms)
	var dropped int64
	for _, m := range ms {
		if m.Kind == markers.Glitch {
			rep.Glitches++
			if m.End > m.Sample {
				dropped += m.End - m.Sample
			}
		}
	}
	meta.Glitches = max(meta.Glitches, int64(rep.Glitches))
	meta.Dropped = max(meta.Dropped, dropped)
	if healed, err := healJournal(jpath); err != nil {
		rc.errs = append(rc.errs, err)
	} else if healed {
		rep.Changed = true
		rc.notes = append(rc.notes, JournalFile+": torn last line terminated")
	}
}

// finish sets the frame counts and the state and writes session.json if
// anything changed.
func (rc *recovery) finish(frames int64) {
	rep, meta := &rc.rep, &rc.meta
	if meta.Frames != frames {
		rep.Changed = true
		meta.Frames = frames
	}
	var skipped int64
	for _, p := range meta.Pauses {
		skipped += p.Skipped
	}
	meta.StreamFrames = max(meta.StreamFrames, frames+skipped+meta.Dropped)
	if (meta.State.Unfinished() || meta.State == StateCreated) && !rc.pending {
		if meta.State == StatePaused && len(meta.Pauses) > 0 {
			rc.notes = append(rc.notes, "ended while paused: the length of the last pause is unknown")
		}
		rc.notes = append(rc.notes, fmt.Sprintf("recovered from state %q at %s", meta.State, time.Now().UTC().Format(time.RFC3339)))
		meta.State = StateRecovered
		rep.Changed = true
	}
	rep.State, rep.Frames = meta.State, frames
	if rep.Changed {
		meta.Recovery = append(meta.Recovery, rc.notes...)
		meta.Updated = time.Now().UTC()
		if meta.EndUTC.IsZero() {
			meta.EndUTC = meta.Updated
		}
		if err := WriteMeta(rc.dir, *meta); err != nil {
			rc.errs = append(rc.errs, err)
		}
	}
}

// replayQueue writes out the capture queue of a session left by a crash
// (the audio captured after the writer's last commit, up to a second, see
// audio.ReplayQueue), journals the glitches in it that the journal lacks,
// and then deletes the queue. It returns a note for session.json, or a
// warning when there is nothing to replay. A queue it cannot write out
// stays, for another try.
func replayQueue(dir string, meta Meta, rep *RecoverReport) (note, warn string, err error) {
	q := meta.CaptureQueue
	if _, serr := os.Stat(q.File); errors.Is(serr, os.ErrNotExist) {
		if meta.State.Unfinished() {
			warn = fmt.Sprintf("capture queue %s is gone (the machine restarted?): the tracks end where the writer's last write did, up to a second before the crash", q.File)
		}
		return "", warn, nil
	}
	format, err := meta.Format()
	if err != nil {
		return "", "", err
	}
	tracks := make([]string, len(meta.Tracks))
	for i, t := range meta.Tracks {
		tracks[i] = filepath.Join(dir, filepath.FromSlash(t.File))
	}
	spans := pauseSpans(meta.Pauses)
	var glitches []markers.Marker
	r, err := audio.ReplayQueue(q.File, tracks, audio.ReplayOptions{Tag: q.Tag, Rate: audio.SampleRate(meta.Rate), Format: format,
		Pauses: spans, OnGlitch: func(at, lost int64) { glitches = append(glitches, glitchMarker(audio.SampleRate(meta.Rate), at, lost)) }})
	if errors.Is(err, audio.ErrQueueMismatch) {
		return "", fmt.Sprintf("%v: left alone", err), nil
	}
	if errors.Is(err, audio.ErrQueueBusy) {
		return "", "", err
	}
	if errors.Is(err, audio.ErrBadQueue) {
		return "", "", fmt.Errorf("session: recover: %w (left in place; the tracks keep what the writer had written)", err)
	}
	if err != nil {
		return "", "", fmt.Errorf("session: recover: %w (the capture queue is kept; fix the cause and run recover again)", err)
	}
	rep.Queue = &r
	if err := addMissingGlitches(filepath.Join(dir, JournalFile), glitches); err != nil {
		return "", "", err
	}
	if err := audio.RemoveQueue(q.File); err != nil {
		return "", "", fmt.Errorf("session: recover: %w", err)
	}
	rate := audio.SampleRate(meta.Rate)
	note = fmt.Sprintf("capture queue %s: %d frames (%s) after the writer's last commit at frame %d written out",
		q.File, r.Frames-r.FromFrame, rate.D(r.Frames-r.FromFrame).Round(time.Millisecond), r.FromFrame)
	return note, "", nil
}

// pauseSpans returns pauses as the recorder counts them, stream frame
// spans [from, to) (to -1 for a pause the session ended in): the stream
// frame of file frame f is f plus the frames skipped by every earlier pause.
func pauseSpans(pauses []Pause) [][2]int64 {
	var spans [][2]int64
	var skipped int64
	for i, p := range pauses {
		from, to := p.At+skipped, int64(-1)
		if !p.EndUTC.IsZero() || i < len(pauses)-1 {
			to = from + p.Skipped
		}
		spans = append(spans, [2]int64{from, to})
		skipped += p.Skipped
	}
	return spans
}

// addMissingGlitches journals the glitch markers of gs that the journal at
// path does not hold yet (the recorder may have journaled one before it was
// killed).
func addMissingGlitches(path string, gs []markers.Marker) error {
	if len(gs) == 0 {
		return nil
	}
	have, _, err := markers.ReplayJournalFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("session: recover: %w", err)
	}
	j, err := markers.OpenJournal(path)
	if err != nil {
		return fmt.Errorf("session: recover: %w", err)
	}
	var errs []error
	for _, g := range gs {
		if slices.ContainsFunc(have, func(m markers.Marker) bool {
			return m.Kind == markers.Glitch && m.Sample == g.Sample && m.End == g.End
		}) {
			continue
		}
		if err := j.Add(g); err != nil {
			errs = append(errs, fmt.Errorf("session: recover: %w", err))
		}
	}
	if err := j.Close(); err != nil {
		errs = append(errs, fmt.Errorf("session: recover: %w", err))
	}
	return errors.Join(errs...)
}

// healJournal terminates a torn last line; it reports whether it did.
func healJournal(path string) (bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, fmt.Errorf("session: recover: %w", err)
	}
	before := fi.Size()
	j, err := markers.OpenJournal(path) // appends the missing newline, fsynced
	if err != nil {
		return false, fmt.Errorf("session: recover: %w", err)
	}
	if err := j.Close(); err != nil {
		return false, fmt.Errorf("session: recover: %w", err)
	}
	fi, err = os.Stat(path)
	if err != nil {
		return false, fmt.Errorf("session: recover: %w", err)
	}
	return fi.Size() != before, nil
}

// FindUnfinished returns the session folders directly inside root whose
// session.json says recording or paused (left by a crash), sorted by name.
// Folders that are not sessions are ignored.
func FindUnfinished(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("session: find unfinished in %q: %w", root, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if m, err := Load(dir); err == nil && m.State.Unfinished() {
			out = append(out, dir)
		}
	}
	sort.Strings(out)
	return out, nil
}

// RecoverSummary formats rep for `podmark recover`: one line for the
// session, one per track.
func RecoverSummary(rep RecoverReport) string {
	var b strings.Builder
	changed := "unchanged (already consistent)"
	switch {
	case len(rep.Broken) > 0 && rep.Changed:
		changed = fmt.Sprintf("repaired in part (%d track(s) could not be read: %s)", len(rep.Broken), strings.Join(rep.Broken, ", "))
	case len(rep.Broken) > 0:
		changed = fmt.Sprintf("not repaired (%d track(s) could not be read: %s)", len(rep.Broken), strings.Join(rep.Broken, ", "))
	case rep.Changed:
		changed = "repaired"
	}
	fmt.Fprintf(&b, "%s: %s, state %s (was %s), %d frames, %d markers (%d glitches)\n",
		rep.Dir, changed, rep.State, rep.PrevState, rep.Frames, rep.Markers, rep.Glitches)
	if q := rep.Queue; q != nil {
		fmt.Fprintf(&b, "  capture queue %s: %d frames captured after the writer's last commit (frame %d) written out\n",
			q.Path, q.Frames-q.FromFrame, q.FromFrame)
	}
	for _, t := range rep.Tracks {
		fmt.Fprintf(&b, "  %s: %d frames, %d torn bytes cut, header rewritten: %v\n", t.Path, t.Frames, t.TornBytes, t.Changed)
	}
	return b.String()
}
