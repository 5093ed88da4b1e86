package markers

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Turn is one stretch of one speaker's speech on the transcript's timeline.
// Turns of different speakers may overlap where both really talk.
type Turn struct {
	Speaker    string
	Start, End time.Duration
}

// ErrUnknownSpeakerFormat is returned (wrapped) for a seed or timeline
// format this package does not write.
var ErrUnknownSpeakerFormat = errors.New("unknown format")

// LabelOptions tunes LabelCues.
type LabelOptions struct {
	// Split splits a cue that spans a clear turn change (a second speaker
	// takes over for at least MinSide and each side is at least 80 % one
	// voice) into one cue per speaker, at a sentence boundary of its text.
	// Only cues with an end time are split (SRT, WebVTT, JSON): a plain
	// transcript times only the start of each line.
	Split bool
	// MinSide is the least speech on each side of a split; default 1 s.
	MinSide time.Duration
}

// talk returns each speaker's speaking time within [s, e).
func talk(turns []Turn, s, e time.Duration) map[string]time.Duration {
	m := map[string]time.Duration{}
	for _, t := range turns {
		if t.End <= s || t.Start >= e {
			continue
		}
		m[t.Speaker] += min(t.End, e) - max(t.Start, s)
	}
	return m
}

// most returns the speaker who talks most in m and the share of the total
// they have; "" when nobody talks. Ties go to the name first in order.
func most(m map[string]time.Duration) (string, float64) {
	var best string
	var bt, total time.Duration
	for sp, d := range m {
		total += d
		if d > bt || d == bt && sp < best {
			best, bt = sp, d
		}
	}
	if total == 0 {
		return "", 0
	}
	return best, float64(bt) / float64(total)
}

// LabelCues returns a copy of cues with each cue's Speaker set to the
// speaker who talks most during it (of two who talk nearly as much, the one
// whose turn the cue fits: an interjection's own cue gets the interjector). A cue without an end time lasts until
// the next cue starts (as in the WebVTT output; d gives the audio's length
// for the last one). A cue during which nobody talks takes the speaker of
// the nearest turn within a second, and otherwise keeps the speaker it had.
// turns and cues must be on one timeline.
func LabelCues(d Doc, cues []Cue, turns []Turn, opt LabelOptions) []Cue {
	if opt.MinSide <= 0 {
		opt.MinSide = time.Second
	}
	if d.Rate <= 0 {
		d.Rate = 48000
	}
	_, ends := vttTimes(d, cues)
	out := make([]Cue, 0, len(cues))
	for i, c := range cues {
		end := ends[i]
		if c.End > c.Start {
			end = c.End
		}
		if opt.Split && c.End > c.Start {
			if parts := splitCue(c, turns, opt.MinSide); len(parts) > 1 {
				out = append(out, parts...)
				continue
			}
		}
		if sp := mostInCue(turns, c.Start, end); sp != "" {
			c.Speaker = sp
		} else if sp := nearest(turns, c.Start, end, time.Second); sp != "" {
			c.Speaker = sp
		}
		out = append(out, c)
	}
	return out
}

// mostInCue returns the speaker who talks most in [s, e). When two talk
// nearly as much (within 25 %: both talk through the whole cue, as when one
// says "yeah" over the other), the cue belongs to the one whose speech fits
// it best: the most of their talk around the cue falls inside it. So an
// interjection's own cue gets the interjector, while a sentence with an
// interjection in it keeps its speaker.
func mostInCue(turns []Turn, s, e time.Duration) string {
	m := talk(turns, s, e)
	best, _ := most(m)
	if best == "" {
		return ""
	}
	fit := func(sp string) float64 {
		var in, all time.Duration
		for _, t := range turns {
			if t.Speaker != sp || t.End <= s || t.Start >= e {
				continue
			}
			all += t.End - t.Start
			in += min(t.End, e) - max(t.Start, s)
		}
		if all == 0 {
			return 0
		}
		return float64(in) / float64(all)
	}
	bf := fit(best)
	for sp, d := range m {
		if sp != best && float64(d) >= 0.75*float64(m[best]) {
			if f := fit(sp); f > bf || f == bf && sp < best {
				best, bf = sp, f
			}
		}
	}
	return best
}

// nearest returns the speaker of the turn closest to [s, e), within limit.
func nearest(turns []Turn, s, e, limit time.Duration) string {
	best, bd := "", limit+1
	for _, t := range turns {
		var d time.Duration
		switch {
		case t.End <= s:
			d = s - t.End
		case t.Start >= e:
			d = t.Start - e
		}
		if d < bd {
			best, bd = t.Speaker, d
		}
	}
	return best
}

// splitCue splits c at clear turn changes, each part labelled; it returns c
// alone (unlabelled) when there is none or the text has no sentence
// boundary near it.
func splitCue(c Cue, turns []Turn, minSide time.Duration) []Cue {
	// Candidate change points: turn starts inside the cue.
	for _, t := range turns {
		at := t.Start
		if at-c.Start < minSide || c.End-at < minSide {
			continue
		}
		before, bs := most(talk(turns, c.Start, at))
		after, as := most(talk(turns, at, c.End))
		if before == "" || after == "" || before == after || bs < 0.8 || as < 0.8 {
			continue
		}
		if talk(turns, c.Start, at)[before] < minSide || talk(turns, at, c.End)[after] < minSide {
			continue
		}
		head, tail, ok := splitText(c.Text, float64(at-c.Start)/float64(c.End-c.Start))
		if !ok {
			continue
		}
		first := Cue{Start: c.Start, End: at, Speaker: before, Text: head}
		rest := splitCue(Cue{Start: at, End: c.End, Text: tail}, turns, minSide)
		if len(rest) == 1 {
			rest[0].Speaker = after
		}
		return append([]Cue{first}, rest...)
	}
	return []Cue{c}
}

// splitText splits text at the sentence boundary whose share of the words
// is nearest to frac, if one lies within 0.2 of it.
func splitText(text string, frac float64) (string, string, bool) {
	words := strings.Fields(text)
	if len(words) < 2 {
		return "", "", false
	}
	best, bd := -1, 0.2
	for i := 1; i < len(words); i++ {
		w := words[i-1]
		if !strings.ContainsAny(w[len(w)-1:], ".?!…") && !strings.HasSuffix(w, "…") {
			continue
		}
		if d := absFloat(float64(i)/float64(len(words)) - frac); d <= bd {
			best, bd = i, d
		}
	}
	if best < 0 {
		return "", "", false
	}
	return strings.Join(words[:best], " "), strings.Join(words[best:], " "), true
}

func absFloat(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// RetimeTurns maps turns through the same cuts and offset as Retime (rate
// is the recording's sample rate). A turn inside a cut disappears; one that
// straddles a cut keeps its kept part.
func RetimeTurns(turns []Turn, rate int, offset time.Duration, cuts []Cut) []Turn {
	if offset == 0 && len(cuts) == 0 || rate <= 0 {
		return slices.Clone(turns)
	}
	d := Doc{Rate: rate}
	for i, t := range turns {
		d.Markers = append(d.Markers, Marker{ID: strconv.Itoa(i), Kind: Note, Title: t.Speaker,
			Sample: DurationToSamples(t.Start, rate), End: DurationToSamples(t.End, rate)})
	}
	d = Retime(d, offset, cuts)
	var out []Turn
	for _, m := range d.Markers {
		if m.End <= m.Sample {
			continue // cut away
		}
		out = append(out, Turn{Speaker: m.Title, Start: SamplesToDuration(m.Sample, rate), End: SamplesToDuration(m.End, rate)})
	}
	sortTurns(out)
	return out
}

func sortTurns(ts []Turn) {
	slices.SortStableFunc(ts, func(a, b Turn) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return strings.Compare(a.Speaker, b.Speaker)
	})
}

// WriteSpeakerSeed writes a transcript seed with speaker turns: the title,
// each public chapter of d as a heading and, under each, one empty cue per
// turn with its time and speaker, ready for a transcriber to type the
// words. Formats: "md" (Markdown: "**HH:MM:SS** Name:") and "vtt" (WebVTT:
// a NOTE per chapter, a cue per turn with its exact start and end holding
// only the voice span "<v Name>").
func WriteSpeakerSeed(w io.Writer, format string, d Doc, turns []Turn) error {
	if d.Rate <= 0 {
		return fmt.Errorf("markers: transcript seed: sample rate %d is not positive", d.Rate)
	}
	ts := slices.Clone(turns)
	sortTurns(ts)
	cues := make([]Cue, len(ts))
	for i, t := range ts {
		cues[i] = Cue{Start: t.Start, End: t.End, Speaker: t.Speaker}
	}
	bw := bufio.NewWriter(w)
	switch format {
	case "md":
		fmt.Fprintf(bw, "# %s\n\n", mdEscape(titleOr(d)))
		bw.WriteString("<!-- Transcript seed written by podmark: one line per speaker turn; type the words after each name. -->\n")
		sections(d, cues, func(_ int, m Marker) {
			fmt.Fprintf(bw, "\n## %s %s\n", hms(SamplesToDuration(m.Sample, d.Rate)), mdEscape(oneLine(m.Title)))
		}, func(c Cue) {
			fmt.Fprintf(bw, "\n**%s** %s:\n", hms(c.Start), mdEscape(oneLine(c.Speaker)))
		})
	case "vtt":
		bw.WriteString("WEBVTT\n\nNOTE Transcript seed written by podmark: one cue per speaker turn; type the words after each voice.\n")
		sections(d, cues, func(_ int, m Marker) {
			fmt.Fprintf(bw, "\nNOTE chapter %s %s\n", formatMillis(millis(m.Sample, d.Rate)), strings.ReplaceAll(oneLine(m.Title), "-->", "->"))
		}, func(c Cue) {
			fmt.Fprintf(bw, "\n%s --> %s\n<v %s>\n", formatMillis(roundMillis(c.Start)), formatMillis(roundMillis(max(c.End, c.Start+time.Millisecond))), vttEscape(oneLine(c.Speaker)))
		})
	default:
		return fmt.Errorf("markers: transcript seed format %q: %w (want md or vtt)", format, ErrUnknownSpeakerFormat)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("markers: write transcript seed: %w", err)
	}
	return nil
}

// WriteCues writes a transcript in any output format: those of
// WriteTranscript (md, html, vtt, shownotes) and "srt" (SubRip, the speaker
// as a "Name: " prefix) and "json" (a podcast namespace JSON transcript,
// version 1.0.0, with "speaker", "startTime", "endTime" and "body" per
// segment). SRT and JSON carry no chapters. A cue without an end time ends
// where the next begins, as in the WebVTT output; when every cue has an end
// time (a transcript read from SRT, WebVTT or JSON) the WebVTT output keeps
// them, so an interjection's cue stays as short as it was.
func WriteCues(w io.Writer, format string, d Doc, cues []Cue) error {
	timed := len(cues) > 0
	for _, c := range cues {
		timed = timed && c.End > c.Start
	}
	switch {
	case format == "srt" || format == "json":
	case format == "vtt" && timed:
	default:
		return WriteTranscript(w, format, d, cues)
	}
	if d.Rate <= 0 {
		return fmt.Errorf("markers: transcript: sample rate %d is not positive", d.Rate)
	}
	starts, ends := vttTimes(d, cues)
	for i, c := range cues {
		if c.End > c.Start {
			starts[i], ends[i] = c.Start, c.End
		}
	}
	bw := bufio.NewWriter(w)
	if format == "vtt" {
		// Like WriteTranscript's WebVTT, but every cue keeps its own end.
		bw.WriteString("WEBVTT\n")
		i := 0
		sections(d, cues, func(_ int, m Marker) {
			fmt.Fprintf(bw, "\nNOTE chapter %s %s\n", formatMillis(millis(m.Sample, d.Rate)), strings.ReplaceAll(oneLine(m.Title), "-->", "->"))
		}, func(c Cue) {
			fmt.Fprintf(bw, "\n%s --> %s\n", formatMillis(roundMillis(starts[i])), formatMillis(roundMillis(ends[i])))
			i++
			if c.Speaker != "" {
				bw.WriteString("<v " + vttEscape(oneLine(c.Speaker)) + ">")
			}
			bw.WriteString(vttEscape(oneLine(c.Text)) + "\n")
		})
	} else if format == "srt" {
		for i, c := range cues {
			fmt.Fprintf(bw, "%d\n%s --> %s\n", i+1, srtCueTime(starts[i]), srtCueTime(ends[i]))
			text := strings.ReplaceAll(oneLine(c.Text), "-->", "->")
			if sp := oneLine(c.Speaker); sp != "" {
				text = strings.TrimSpace(sp + ": " + text)
			}
			if text == "" {
				text = " "
			}
			bw.WriteString(text + "\n\n")
		}
	} else {
		type segment struct {
			Speaker   string  `json:"speaker,omitempty"`
			StartTime float64 `json:"startTime"`
			EndTime   float64 `json:"endTime"`
			Body      string  `json:"body"`
		}
		doc := struct {
			Version  string    `json:"version"`
			Segments []segment `json:"segments"`
		}{Version: "1.0.0", Segments: []segment{}}
		for i, c := range cues {
			doc.Segments = append(doc.Segments, segment{Speaker: oneLine(c.Speaker),
				StartTime: float64(roundMillis(starts[i])) / 1000, EndTime: float64(roundMillis(ends[i])) / 1000,
				Body: strings.TrimSpace(c.Text)})
		}
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("markers: write transcript: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("markers: write transcript: %w", err)
	}
	return nil
}

func srtCueTime(t time.Duration) string {
	ms := roundMillis(max(t, 0))
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// WriteTurns writes a speaker timeline: "txt" is an Audacity label track
// ("start<TAB>end<TAB>speaker", seconds, one turn a line; Audacity imports
// it with File › Import › Labels, and podmark markers --from audacity reads
// it); "json" is {"version": 1, "speakers": [...], "turns": [{"speaker",
// "start", "end"}]} with times in seconds.
func WriteTurns(w io.Writer, format string, turns []Turn) error {
	ts := slices.Clone(turns)
	sortTurns(ts)
	bw := bufio.NewWriter(w)
	switch format {
	case "txt":
		for _, t := range ts {
			fmt.Fprintf(bw, "%.6f\t%.6f\t%s\n", t.Start.Seconds(), t.End.Seconds(), oneLine(t.Speaker))
		}
	case "json":
		type turn struct {
			Speaker string  `json:"speaker"`
			Start   float64 `json:"start"`
			End     float64 `json:"end"`
		}
		doc := struct {
			Version  int      `json:"version"`
			Speakers []string `json:"speakers"`
			Turns    []turn   `json:"turns"`
		}{Version: 1, Speakers: []string{}, Turns: []turn{}}
		for _, t := range ts {
			if !slices.Contains(doc.Speakers, t.Speaker) {
				doc.Speakers = append(doc.Speakers, t.Speaker)
			}
			doc.Turns = append(doc.Turns, turn{t.Speaker, float64(roundMillis(t.Start)) / 1000, float64(roundMillis(t.End)) / 1000})
		}
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("markers: write speaker timeline: %w", err)
		}
	default:
		return fmt.Errorf("markers: speaker timeline format %q: %w (want txt or json)", format, ErrUnknownSpeakerFormat)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("markers: write speaker timeline: %w", err)
	}
	return nil
}
