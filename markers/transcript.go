package markers

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Cue is one timed piece of a transcript. End is 0 when the source has no
// end times (the plain format).
type Cue struct {
	Start, End time.Duration
	Speaker    string
	Text       string
}

// Transcript formats ReadTranscript understands, as they appear in errors.
const (
	TranscriptPlain Format = "transcript"      // "HH:MM:SS text" lines
	TranscriptSRT   Format = "srt"             // SubRip
	TranscriptVTT   Format = "webvtt"          // WebVTT captions
	TranscriptJSON  Format = "json-transcript" // podcast namespace JSON transcript
)

// ErrUnknownTranscriptFormat is returned (wrapped) by WriteTranscript for a
// format other than md, html, vtt or shownotes.
var ErrUnknownTranscriptFormat = errors.New("unknown transcript format (want md, html, vtt or shownotes)")

// ReadTranscript reads a transcript in the plain "HH:MM:SS text" format
// (cues separated by blank lines; a line without a time continues the cue
// before it), SRT, WebVTT or podcast namespace JSON. The format is chosen
// by name's extension (.txt, .srt, .vtt, .json) and otherwise by content.
// name also labels errors, which name the line. Cues are returned in time
// order; JSON segments (often one word each) are joined into sentences of
// one speaker.
func ReadTranscript(r io.Reader, name string) ([]Cue, error) {
	cues, _, err := ReadTranscriptWith(r, name)
	return cues, err
}

// ReadTranscriptWith is ReadTranscript returning also its warnings, each
// naming the file: a legacy encoding (text that is not UTF-8 is read as
// Windows-1252), blocks of SRT or WebVTT that are not cues and were skipped.
func ReadTranscriptWith(r io.Reader, name string) ([]Cue, []string, error) {
	cues, notes, err := readTranscript(r, name)
	for i, n := range notes {
		notes[i] = name + ": " + n
	}
	return cues, notes, err
}

func readTranscript(r io.Reader, name string) ([]Cue, []string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("markers: read transcript %q: %w", name, err)
	}
	f := guessTranscript(name, data)
	rd := &reader{f: f}
	text, err := rd.decode(data)
	if err != nil {
		se := textErr(f, err).(*SyntaxError)
		se.File = name
		return nil, rd.notes, se
	}
	var cues []Cue
	switch f {
	case TranscriptSRT:
		cues, err = rd.readSRT(text)
	case TranscriptVTT:
		cues, err = rd.readVTTTranscript(text)
	case TranscriptJSON:
		cues, err = readJSONTranscript(text)
	default:
		cues, err = readPlainTranscript(text)
	}
	if se, ok := errors.AsType[*SyntaxError](err); ok {
		se.File = name
	}
	if err != nil {
		return nil, rd.notes, err
	}
	slices.SortStableFunc(cues, func(a, b Cue) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	return cues, rd.notes, nil
}

func guessTranscript(name string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".srt":
		return TranscriptSRT
	case ".vtt":
		return TranscriptVTT
	case ".json":
		return TranscriptJSON
	case ".txt":
		return TranscriptPlain
	}
	text, _, _ := decodeText(data)
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, "WEBVTT"):
		return TranscriptVTT
	case strings.HasPrefix(t, "{"):
		return TranscriptJSON
	}
	ls := strings.SplitN(t, "\n", 3)
	if len(ls) >= 2 && allDigits(strings.TrimSpace(ls[0])) && strings.Contains(ls[1], "-->") {
		return TranscriptSRT
	}
	return TranscriptPlain
}

// plainCueStart parses the time that starts a plain transcript line:
// "00:01:02 text", "[00:01:02] text", "1:02.5 text".
func plainCueStart(line string) (time.Duration, string, bool) {
	s := line
	closer := ""
	if strings.HasPrefix(s, "[") {
		s, closer = s[1:], "]"
	} else if strings.HasPrefix(s, "(") {
		s, closer = s[1:], ")"
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == ':' || r == '.' || r == ',') })
	if end < 0 {
		end = len(s)
	}
	tok := s[:end]
	if !strings.Contains(tok, ":") {
		return 0, "", false
	}
	at, ok := parseClock(tok)
	if !ok {
		return 0, "", false
	}
	rest := s[end:]
	if closer != "" {
		if !strings.HasPrefix(rest, closer) {
			return 0, "", false
		}
		rest = rest[1:]
	}
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", false
	}
	return at, strings.TrimSpace(rest), true
}

func readPlainTranscript(text string) ([]Cue, error) {
	var cues []Cue
	open := false
	for _, line := range lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			open = false
			continue
		}
		if at, rest, ok := plainCueStart(line); ok {
			cues = append(cues, Cue{Start: at, Text: rest})
			open = true
			continue
		}
		if len(cues) > 0 {
			c := &cues[len(cues)-1]
			if open || c.Text == "" {
				c.Text = strings.TrimSpace(c.Text + " " + line)
			} else {
				c.Text += "\n\n" + line
			}
			open = true
		}
		// Lines before the first time are a header (a title); skipped.
	}
	if len(cues) == 0 {
		return nil, syntaxErr(TranscriptPlain, 1, `no timed lines (want "HH:MM:SS text")`)
	}
	return cues, nil
}

func cuesFrom(vc []vttCue, vtt bool) []Cue {
	out := make([]Cue, 0, len(vc))
	for _, c := range vc {
		cue := Cue{Start: c.start, End: c.end}
		text := strings.TrimSpace(strings.Join(c.text, " "))
		if vtt {
			if strings.HasPrefix(text, "<v") {
				if end := strings.IndexByte(text, '>'); end > 0 {
					sp := strings.TrimSpace(text[2:end])
					if strings.HasPrefix(sp, ".") { // class annotations: <v.loud Name>
						_, sp, _ = strings.Cut(sp, " ")
					}
					cue.Speaker = strings.TrimSpace(sp)
				}
			}
			text = vttUnescape(text)
		} else {
			text = html.UnescapeString(stripSRTTags(text))
		}
		cue.Text = strings.TrimSpace(text)
		out = append(out, cue)
	}
	return out
}

// stripSRTTags removes SRT's HTML-like tags (<i>, <b>, <font …>) and
// {\an8}-style positioning.
func stripSRTTags(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			if j := strings.IndexByte(s[i:], '>'); j > 0 && j < 40 {
				i += j
				continue
			}
		case '{':
			if j := strings.IndexByte(s[i:], '}'); j > 0 && strings.HasPrefix(s[i:], `{\`) {
				i += j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (r *reader) readSRT(text string) ([]Cue, error) {
	vc, bad := r.parseCues(lines(text), 0, true)
	if len(vc) == 0 {
		if bad != nil {
			return nil, bad
		}
		return nil, syntaxErr(TranscriptSRT, 1, "no cues")
	}
	return cuesFrom(vc, false), nil
}

func (r *reader) readVTTTranscript(text string) ([]Cue, error) {
	ls := lines(text)
	first, err := vttHeader(TranscriptVTT, ls)
	if err != nil {
		return nil, err
	}
	vc, bad := r.parseCues(ls, first, false)
	if len(vc) == 0 {
		if bad != nil {
			return nil, bad
		}
		return nil, syntaxErr(TranscriptVTT, 1, "no cues")
	}
	return cuesFrom(vc, true), nil
}

func readJSONTranscript(text string) ([]Cue, error) {
	const f = TranscriptJSON
	var segs []Cue
	seen := false
	err := decodeObject(f, text, func(key string, dec *json.Decoder) (bool, error) {
		if key != "segments" {
			return false, nil
		}
		seen = true
		return true, decodeArray(f, text, dec, func(line int, raw json.RawMessage) error {
			var s struct {
				Speaker   string          `json:"speaker"`
				StartTime json.RawMessage `json:"startTime"`
				EndTime   json.RawMessage `json:"endTime"`
				Body      string          `json:"body"`
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				return syntaxErr(f, line, "segment: %v", err)
			}
			if s.StartTime == nil {
				return syntaxErr(f, line, "segment without startTime")
			}
			start, ok := jsonSeconds(s.StartTime)
			if !ok {
				return syntaxErr(f, line, "bad startTime %s", s.StartTime)
			}
			c := Cue{Start: start, Speaker: strings.TrimSpace(s.Speaker), Text: strings.TrimSpace(s.Body)}
			if s.EndTime != nil && string(s.EndTime) != "null" {
				end, ok := jsonSeconds(s.EndTime)
				if !ok {
					return syntaxErr(f, line, "bad endTime %s", s.EndTime)
				}
				c.End = end
			}
			segs = append(segs, c)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if !seen {
		return nil, syntaxErr(f, 1, `no "segments" array`)
	}
	return joinSegments(segs), nil
}

// joinSegments joins word-level segments into sentences: consecutive
// segments of one speaker, less than 2 s apart, until a sentence ends or
// the cue reaches 30 s.
func joinSegments(segs []Cue) []Cue {
	var out []Cue
	for _, s := range segs {
		if s.Text == "" {
			continue
		}
		if n := len(out); n > 0 {
			c := &out[n-1]
			end := max(c.End, c.Start)
			if c.Speaker == s.Speaker && s.Start >= c.Start && s.Start-end < 2*time.Second &&
				s.Start-c.Start < 30*time.Second && !strings.ContainsAny(c.Text[len(c.Text)-1:], ".?!…") {
				c.Text += " " + s.Text
				c.End = max(c.End, s.End)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// WriteTranscript writes the transcript cues sectioned by d's
// table-of-contents chapters (Doc.TOC), in format "md" (Markdown), "html" (a standalone, escaped HTML
// page), "vtt" (a WebVTT transcript, each cue ending where the next starts,
// with a NOTE naming each chapter; cues without text are left out, as
// players and ffmpeg drop them) or "shownotes" (Markdown show notes: the
// chapter list with times and links; cues are not needed). A chapter's
// heading comes before the first cue at or after its start; cues before the
// first chapter come first, and chapters after the last cue last.
func WriteTranscript(w io.Writer, format string, d Doc, cues []Cue) error {
	if d.Rate <= 0 {
		return fmt.Errorf("markers: transcript: sample rate %d is not positive", d.Rate)
	}
	bw := bufio.NewWriter(w)
	switch format {
	case "md":
		writeTranscriptMD(bw, d, cues)
	case "html":
		writeTranscriptHTML(bw, d, cues)
	case "vtt":
		writeTranscriptVTT(bw, d, cues)
	case "shownotes":
		writeShowNotes(bw, d)
	default:
		return fmt.Errorf("markers: transcript format %q: %w", format, ErrUnknownTranscriptFormat)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("markers: write transcript: %w", err)
	}
	return nil
}

// WriteSeed writes a transcript seed in Markdown: the title and each public
// chapter as a heading with its time, ready for the transcriber.
func WriteSeed(w io.Writer, d Doc) error {
	if d.Rate <= 0 {
		return fmt.Errorf("markers: transcript seed: sample rate %d is not positive", d.Rate)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n\n", mdEscape(titleOr(d)))
	bw.WriteString("<!-- Transcript seed written by podmark: type each chapter's transcript under its heading. -->\n")
	for _, m := range d.TOC() {
		fmt.Fprintf(bw, "\n## %s %s\n", hms(SamplesToDuration(m.Sample, d.Rate)), mdEscape(oneLine(m.Title)))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("markers: write transcript seed: %w", err)
	}
	return nil
}

func titleOr(d Doc) string {
	if t := oneLine(d.Title); t != "" {
		return t
	}
	return "Transcript"
}

// hms formats a time as HH:MM:SS (rounded down to the second).
func hms(t time.Duration) string { return Clock(t, ClockHMS) }

// sections pairs each cue with the chapters whose headings go before it.
// It calls heading(ch) for each chapter and cue(c) for each cue in order.
func sections(d Doc, cues []Cue, heading func(i int, m Marker), cue func(c Cue)) {
	ch := d.TOC()
	k := 0
	for _, c := range cues {
		for k < len(ch) && SamplesToDuration(ch[k].Sample, d.Rate) <= c.Start {
			heading(k, ch[k])
			k++
		}
		cue(c)
	}
	for ; k < len(ch); k++ {
		heading(k, ch[k])
	}
}

// mdURL makes a URL safe as a Markdown link destination.
var mdURL = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "\n", "", "\r", "")

// linkable reports whether a chapter URL may become a link in HTML or
// Markdown output: http, https and mailto only, so a javascript: or data:
// URL in a marker file can never run in a reader's browser.
func linkable(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:")
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`, `#`, `\#`, `|`, `\|`)

func mdEscape(s string) string { return mdEscaper.Replace(s) }

func writeTranscriptMD(w *bufio.Writer, d Doc, cues []Cue) {
	fmt.Fprintf(w, "# %s\n", mdEscape(titleOr(d)))
	sections(d, cues, func(_ int, m Marker) {
		fmt.Fprintf(w, "\n## %s %s\n", hms(SamplesToDuration(m.Sample, d.Rate)), mdEscape(oneLine(m.Title)))
	}, func(c Cue) {
		w.WriteString("\n**" + hms(c.Start) + "**")
		if c.Speaker != "" {
			w.WriteString(" " + mdEscape(c.Speaker) + ":")
		}
		w.WriteString(" " + mdEscape(strings.ReplaceAll(c.Text, "\n\n", "\n")) + "\n")
	})
}

func isoDur(t time.Duration) string {
	s := int64(t / time.Second)
	out := "PT"
	if h := s / 3600; h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m := s / 60 % 60; m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	return out + fmt.Sprintf("%dS", s%60)
}

func writeTranscriptHTML(w *bufio.Writer, d Doc, cues []Cue) {
	esc := html.EscapeString
	title := esc(titleOr(d))
	w.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n<title>" + title + "</title>\n</head>\n<body>\n<h1>" + title + "</h1>\n")
	open := false
	used := map[string]bool{}
	sections(d, cues, func(_ int, m Marker) {
		if open {
			w.WriteString("</section>\n")
		}
		open = true
		id := Slug(m.Title)
		if id == "" {
			id = "chapter"
		}
		base := id
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		used[id] = true
		t := SamplesToDuration(m.Sample, d.Rate)
		fmt.Fprintf(w, "<section id=\"%s\">\n<h2><time datetime=\"%s\">%s</time> ", id, isoDur(t), hms(t))
		if linkable(m.URL) {
			fmt.Fprintf(w, "<a href=\"%s\">%s</a></h2>\n", esc(m.URL), esc(oneLine(m.Title)))
		} else {
			w.WriteString(esc(oneLine(m.Title)) + "</h2>\n")
		}
	}, func(c Cue) {
		fmt.Fprintf(w, "<p><time datetime=\"%s\">%s</time> ", isoDur(c.Start), hms(c.Start))
		if c.Speaker != "" {
			w.WriteString("<b>" + esc(c.Speaker) + ":</b> ")
		}
		w.WriteString(strings.ReplaceAll(esc(c.Text), "\n\n", "<br/>\n") + "</p>\n")
	})
	if open {
		w.WriteString("</section>\n")
	}
	w.WriteString("</body>\n</html>\n")
}

// estimateEnd guesses how long a cue without an end time lasts: 0.4 s a
// word, at least 1 s.
func estimateEnd(c Cue) time.Duration {
	return c.Start + max(time.Duration(len(strings.Fields(c.Text)))*400*time.Millisecond, time.Second)
}

// vttTimes gives each cue its WebVTT start and end: a cue ends where the
// next starts; cues sharing a start time (a transcript timed to the second)
// split the time up to the next distinct start evenly; the last cue ends at
// its own end, the audio's end, or an estimate from its length.
func vttTimes(d Doc, cues []Cue) (starts, ends []time.Duration) {
	n := len(cues)
	starts = make([]time.Duration, n)
	ends = make([]time.Duration, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && cues[j].Start == cues[i].Start {
			j++
		}
		var next time.Duration
		switch {
		case j < n:
			next = cues[j].Start
		case cues[j-1].End > cues[i].Start:
			next = cues[j-1].End
		case d.Frames > 0 && SamplesToDuration(d.Frames, d.Rate) > cues[i].Start:
			next = SamplesToDuration(d.Frames, d.Rate)
		default:
			next = cues[i].Start
			for k := i; k < j; k++ {
				next += estimateEnd(cues[k]) - cues[k].Start
			}
		}
		step := (next - cues[i].Start) / time.Duration(j-i)
		for k := i; k < j; k++ {
			starts[k] = cues[i].Start + time.Duration(k-i)*step
			ends[k] = starts[k] + step
		}
		ends[j-1] = next
		i = j
	}
	return starts, ends
}

func writeTranscriptVTT(w *bufio.Writer, d Doc, cues []Cue) {
	w.WriteString("WEBVTT\n")
	starts, ends := vttTimes(d, cues)
	i := 0
	sections(d, cues, func(_ int, m Marker) {
		fmt.Fprintf(w, "\nNOTE chapter %s %s\n", formatMillis(millis(m.Sample, d.Rate)), strings.ReplaceAll(oneLine(m.Title), "-->", "->"))
	}, func(c Cue) {
		start, end := roundMillis(starts[i]), roundMillis(ends[i])
		i++
		if oneLine(c.Text) == "" || end <= start {
			return // an empty cue: players and ffmpeg drop it
		}
		fmt.Fprintf(w, "\n%s --> %s\n", formatMillis(start), formatMillis(end))
		if c.Speaker != "" {
			w.WriteString("<v " + vttEscape(oneLine(c.Speaker)) + ">")
		}
		w.WriteString(vttEscape(oneLine(c.Text)) + "\n")
	})
}

func writeShowNotes(w *bufio.Writer, d Doc) {
	fmt.Fprintf(w, "# %s\n\n## Chapters\n\n", mdEscape(titleOr(d)))
	for _, m := range d.TOC() {
		title := mdEscape(oneLine(m.Title))
		if linkable(m.URL) {
			title = "[" + title + "](" + mdURL.Replace(m.URL) + ")"
		}
		w.WriteString("- " + FormatClock(m.Sample, d.Rate) + " " + title)
		if m.Kind == Sponsor {
			w.WriteString(" (sponsor)")
		}
		w.WriteString("\n")
	}
}

func roundMillis(t time.Duration) int64 { return (t + time.Millisecond/2).Milliseconds() }
