// Package speakers finds who said what in a session with one track per
// person — a session merged by podmark merge, or one host's recording of
// several microphones — and turns it into the speaker timeline, the
// transcript seed with turns, and speaker labels on a transcript.
//
// The audio analysis is audio/voice's (energy against a per-track noise
// floor, hangover, bleed resolved); the formats are markers'. This package
// only decides which tracks belong to which person and what they are called.
package speakers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/voice"
	"github.com/podmark/podmark/markers"
)

// MergeReportFile is podmark merge's report in a merged session folder: it
// names the host of each track.
const MergeReportFile = "merge-report.json"

// Errors.
var (
	// ErrNames reports a bad --names value (syntax, or a speaker that is
	// not in the session).
	ErrNames = errors.New("speakers: bad names")
	// ErrOneSpeaker reports a session with a single track, or tracks that
	// all belong to one person with one channel: nobody to tell apart.
	ErrOneSpeaker = voice.ErrNoSpeakers
	// ErrUnfinished reports a session still recording or left by a crash.
	ErrUnfinished = errors.New("speakers: session not finalized")
)

// Speaker is one person of the session.
type Speaker struct {
	Key    string   // the host name made safe for files ("alice"), or a track's name ("ana-2")
	Host   string   // the host name as recorded ("Alice Liddell")
	Name   string   // the name in the published transcript: Host, or the one --names gives
	Tracks []string // the person's track files, relative to the session folder
}

// Result is the speakers of a session and their turns.
type Result struct {
	Rate     int   // sample rate of the tracks
	Frames   int64 // length of the tracks
	Speakers []Speaker
	Turns    []markers.Turn // on the recording timeline, in time order; Speaker is the Name
	Stats    []voice.Stats  // per speaker: noise floor, speech level, bleed frames
}

// ParseNames parses "alice=Michael,bob=Brian": each speaker (key, host name
// or track name, case-insensitive) and the name to publish. Empty input is
// an empty map.
func ParseNames(s string) (map[string]string, error) {
	m := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%w: %q: want SPEAKER=NAME, e.g. alice=Michael", ErrNames, part)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, fmt.Errorf("%w: %q: control characters in the name", ErrNames, part)
		}
		if _, dup := m[strings.ToLower(k)]; dup {
			return nil, fmt.Errorf("%w: %q named twice", ErrNames, k)
		}
		m[strings.ToLower(k)] = v
	}
	return m, nil
}

// Speakers returns the people of the session in dir and their tracks: the
// hosts of a merged session (from merge-report.json, or from the track
// names tracks/<host>-<n>.wav), or, when every track is one host's, one
// person per track. names (from ParseNames) renames them; a name for a
// speaker the session does not have is an ErrNames error.
func Speakers(dir string, names map[string]string) ([]Speaker, session.Meta, error) {
	meta, err := session.Load(dir)
	if err != nil {
		return nil, meta, fmt.Errorf("speakers: %w", err)
	}
	if meta.State.Unfinished() {
		return nil, meta, fmt.Errorf("%w: %s is %q (run podmark recover %s first)", ErrUnfinished, filepath.Join(dir, session.MetaFile), meta.State, dir)
	}
	var rels []string
	for _, t := range meta.Tracks {
		rel := path.Clean(filepath.ToSlash(t.File))
		if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, meta, fmt.Errorf("speakers: %s: track %q is outside the session folder", filepath.Join(dir, session.MetaFile), t.File)
		}
		rels = append(rels, rel)
	}
	sp, err := fromReport(dir, rels)
	if err != nil {
		return nil, meta, err
	}
	if sp == nil {
		sp = fromTrackNames(rels)
	}
	if len(sp) < 2 {
		return nil, meta, fmt.Errorf("%w: %s has %d track(s) of one person", ErrOneSpeaker, dir, len(rels))
	}
	for k, v := range names {
		found := false
		for i := range sp {
			if sp[i].is(k) {
				sp[i].Name = v
				found = true
			}
		}
		if !found {
			var have []string
			for _, s := range sp {
				have = append(have, s.Key)
			}
			return nil, meta, fmt.Errorf("%w: no speaker %q in %s (speakers: %s)", ErrNames, k, dir, strings.Join(have, ", "))
		}
	}
	// Two people must not end up with one published name.
	seen := map[string]string{}
	for _, s := range sp {
		if o, dup := seen[s.Name]; dup {
			return nil, meta, fmt.Errorf("%w: %s and %s would both be called %q", ErrNames, o, s.Key, s.Name)
		}
		seen[s.Name] = s.Key
	}
	return sp, meta, nil
}

// is reports whether k (case-insensitive) names the speaker: their key, host
// name, the host name made safe for files, or one of their track names.
func (s Speaker) is(k string) bool {
	if strings.EqualFold(s.Key, k) || strings.EqualFold(s.Host, k) || strings.EqualFold(session.SanitizeName(s.Host, ""), k) {
		return true
	}
	for _, t := range s.Tracks {
		if strings.EqualFold(strings.TrimSuffix(path.Base(t), path.Ext(t)), k) {
			return true
		}
	}
	return false
}

// fromReport groups the tracks by the merge report's sessions; nil when
// there is no report or it does not name the tracks.
func fromReport(dir string, rels []string) ([]Speaker, error) {
	b, err := os.ReadFile(filepath.Join(dir, MergeReportFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("speakers: %w", err)
	}
	var rep struct {
		Sessions []struct {
			Host   string   `json:"host"`
			Tracks []string `json:"tracks"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("speakers: %s: %w", filepath.Join(dir, MergeReportFile), err)
	}
	var sp []Speaker
	taken := map[string]bool{}
	for _, s := range rep.Sessions {
		var tr []string
		for _, t := range s.Tracks {
			t = path.Clean(t)
			if slices.Contains(rels, t) && !taken[t] {
				tr = append(tr, t)
				taken[t] = true
			}
		}
		if len(tr) == 0 {
			return nil, nil // an older or hand-made report: use the track names
		}
		key := strings.TrimSuffix(path.Base(tr[0]), path.Ext(tr[0]))
		key = trackNumber.ReplaceAllString(key, "")
		host := strings.TrimSpace(s.Host)
		if host == "" {
			host = key
		}
		sp = append(sp, Speaker{Key: key, Host: host, Name: host, Tracks: tr})
	}
	return sp, nil
}

var trackNumber = regexp.MustCompile(`-[0-9]+$`)

// fromTrackNames groups tracks/<host>-<n>.wav by host; when that gives one
// group, every track is its own person, named after the track.
func fromTrackNames(rels []string) []Speaker {
	var sp []Speaker
	idx := map[string]int{}
	for _, r := range rels {
		base := strings.TrimSuffix(path.Base(r), path.Ext(r))
		host := trackNumber.ReplaceAllString(base, "")
		if i, ok := idx[host]; ok {
			sp[i].Tracks = append(sp[i].Tracks, r)
			continue
		}
		idx[host] = len(sp)
		sp = append(sp, Speaker{Key: host, Host: host, Name: host, Tracks: []string{r}})
	}
	if len(sp) > 1 {
		return sp
	}
	sp = sp[:0]
	for _, r := range rels {
		base := strings.TrimSuffix(path.Base(r), path.Ext(r))
		sp = append(sp, Speaker{Key: base, Host: base, Name: base, Tracks: []string{r}})
	}
	return sp
}

// Find reads the tracks of the session in dir (streaming, in parallel) and
// returns its speakers and their turns. names renames speakers (see
// Speakers). It is safe to call concurrently.
func Find(ctx context.Context, dir string, names map[string]string, opt voice.Options) (Result, error) {
	sp, meta, err := Speakers(dir, names)
	if err != nil {
		return Result{}, err
	}
	vs := make([]voice.Speaker, len(sp))
	for i, s := range sp {
		vs[i].Name = s.Name
		for _, t := range s.Tracks {
			vs[i].Tracks = append(vs[i].Tracks, filepath.Join(dir, filepath.FromSlash(t)))
		}
	}
	vr, err := voice.Analyze(ctx, vs, opt)
	if err != nil {
		return Result{}, fmt.Errorf("speakers: %s: %w", dir, err)
	}
	if meta.Rate > 0 && int(vr.Rate) != meta.Rate {
		return Result{}, fmt.Errorf("speakers: %s: tracks are %d Hz, %s says %d Hz", dir, vr.Rate, session.MetaFile, meta.Rate)
	}
	res := Result{Rate: int(vr.Rate), Frames: vr.Frames, Speakers: sp, Stats: vr.Stats}
	for _, t := range vr.Turns {
		res.Turns = append(res.Turns, markers.Turn{Speaker: sp[t.Speaker].Name, Start: vr.Rate.D(t.Start), End: vr.Rate.D(t.End)})
	}
	return res, nil
}

// rate is the tracks' sample rate as the audio package's type.
func (r Result) rate() audio.SampleRate { return audio.SampleRate(r.Rate) }

// Summary is one line per speaker: name, tracks, speaking time, turns and
// the measured levels, for a command's standard error.
func (r Result) Summary() string {
	var b strings.Builder
	for i, s := range r.Speakers {
		var n int
		for _, t := range r.Turns {
			if t.Speaker == s.Name {
				n++
			}
		}
		st := r.Stats[i]
		fmt.Fprintf(&b, "%s (%s): %d turns, %.1f s of speech; noise floor %.0f dBFS, speech %.0f dBFS, %.1f s of bleed ignored\n",
			s.Name, strings.Join(s.Tracks, " + "), n, r.rate().Seconds(st.Speech), st.Floor, st.Level, r.rate().Seconds(st.Bleed))
	}
	return b.String()
}
