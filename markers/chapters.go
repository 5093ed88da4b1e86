package markers

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// importID names the n-th marker read from a format (1-based).
func importID(f Format, n int) string { return fmt.Sprintf("%s-%d", f, n) }

// ---- podmark (canonical markers.json) ----

func writePodmark(w *bufio.Writer, d Doc) error {
	d = d.Sorted()
	if d.Version == 0 {
		d.Version = DocVersion
	}
	if d.Markers == nil {
		d.Markers = []Marker{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// lineAt is the 1-based line of the first byte at or after off that is not
// JSON whitespace or a comma.
func lineAt(text string, off int64) int {
	i := int(min(max(off, 0), int64(len(text))))
	for i < len(text) && strings.IndexByte(" \t\r\n,", text[i]) >= 0 {
		i++
	}
	return 1 + strings.Count(text[:i], "\n")
}

// lineCounter finds lines of increasing offsets in linear time overall.
type lineCounter struct {
	text string
	off  int // bytes counted so far
	line int // line at off
}

// at is lineAt(text, off) for offsets that never decrease.
func (c *lineCounter) at(off int64) int {
	i := int(min(max(off, 0), int64(len(c.text))))
	for i < len(c.text) && strings.IndexByte(" \t\r\n,", c.text[i]) >= 0 {
		i++
	}
	if i < c.off {
		return lineAt(c.text, off)
	}
	c.line += strings.Count(c.text[c.off:i], "\n")
	c.off = i
	return c.line
}

// jsonErr turns a JSON decoding error into a *SyntaxError with its line.
func jsonErr(f Format, text string, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return syntaxErr(f, lineAt(text, se.Offset-1), "%v", err)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return syntaxErr(f, lineAt(text, te.Offset-1), "%v", err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return syntaxErr(f, 1+strings.Count(text, "\n"), "unexpected end of JSON")
	}
	return syntaxErr(f, 0, "%v", err)
}

// decodeObject walks the top-level JSON object in text, calling field for
// each key with a decoder positioned at the value. field must consume the
// value (or return false to have it skipped).
func decodeObject(f Format, text string, field func(key string, dec *json.Decoder) (bool, error)) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(f, text, err)
	}
	if tok != json.Delim('{') {
		return syntaxErr(f, lineAt(text, 0), "want a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(f, text, err)
		}
		key, _ := tok.(string)
		used, err := field(key, dec)
		if err != nil {
			return err
		}
		if !used {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonErr(f, text, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonErr(f, text, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return syntaxErr(f, lineAt(text, dec.InputOffset()), "data after the JSON object")
	}
	return nil
}

// decodeArray decodes the JSON array at dec element by element, calling elem
// with each element's line.
func decodeArray(f Format, text string, dec *json.Decoder, elem func(line int, raw json.RawMessage) error) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(f, text, err)
	}
	if tok != json.Delim('[') {
		return syntaxErr(f, lineAt(text, dec.InputOffset()-1), "want an array")
	}
	lc := lineCounter{text: text, line: 1}
	for dec.More() {
		line := lc.at(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonErr(f, text, err)
		}
		if err := elem(line, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonErr(f, text, err)
	}
	return nil
}

func readPodmark(text string) (Doc, error) {
	const f = FormatPodmark
	var d Doc
	seenRate := false
	err := decodeObject(f, text, func(key string, dec *json.Decoder) (bool, error) {
		var err error
		switch key {
		case "version":
			var n json.Number
			if err = dec.Decode(&n); err == nil {
				v, perr := strconv.Atoi(n.String())
				if perr != nil || v < 1 {
					return true, syntaxErr(f, lineAt(text, dec.InputOffset()), "version %s is not a positive integer", n)
				}
				if v > DocVersion {
					return true, syntaxErr(f, lineAt(text, dec.InputOffset()), "version %d is newer than this podmark reads (%d)", v, DocVersion)
				}
				d.Version = v
			}
		case "title":
			err = dec.Decode(&d.Title)
		case "rate":
			seenRate = true
			err = dec.Decode(&d.Rate)
		case "frames":
			err = dec.Decode(&d.Frames)
		case "audio":
			err = dec.Decode(&d.Audio)
		case "markers":
			return true, decodeArray(f, text, dec, func(line int, raw json.RawMessage) error {
				var m Marker
				if err := json.Unmarshal(raw, &m); err != nil {
					return syntaxErr(f, line, "marker: %v", err)
				}
				if err := m.check(); err != nil {
					return syntaxErr(f, line, "%s", strings.TrimPrefix(err.Error(), "markers: "))
				}
				d.Markers = append(d.Markers, m)
				return nil
			})
		default:
			return false, nil
		}
		if err != nil {
			return true, jsonErr(f, text, err)
		}
		return true, nil
	})
	if err != nil {
		return Doc{}, err
	}
	if d.Version == 0 {
		return Doc{}, syntaxErr(f, 1, `no "version"`)
	}
	if !seenRate || d.Rate <= 0 {
		return Doc{}, syntaxErr(f, 1, `"rate" missing or not positive`)
	}
	if d.Frames < 0 {
		return Doc{}, syntaxErr(f, 1, `"frames" is negative`)
	}
	return d, nil
}

// ---- podcast namespace JSON chapters ----

// PodcastJSONVersion is the JSON chapters version written.
const PodcastJSONVersion = "1.2.0"

type pcChapter struct {
	StartTime json.Number `json:"startTime"`
	Title     string      `json:"title"`
	URL       string      `json:"url,omitempty"`
	EndTime   json.Number `json:"endTime,omitempty"`
}

type pcDoc struct {
	Version  string      `json:"version"`
	Title    string      `json:"title,omitempty"`
	FileName string      `json:"fileName,omitempty"`
	Chapters []pcChapter `json:"chapters"`
}

func writePodcastJSON(w *bufio.Writer, d Doc) error {
	out := pcDoc{Version: PodcastJSONVersion, Title: oneLine(d.Title), FileName: d.Audio, Chapters: []pcChapter{}}
	for _, m := range d.Chapters() {
		c := pcChapter{StartTime: json.Number(formatSecondsMillis(millis(m.Sample, d.Rate))), Title: oneLine(m.Title), URL: m.URL}
		if m.IsRegion() {
			c.EndTime = json.Number(formatSecondsMillis(millis(m.End, d.Rate)))
		}
		out.Chapters = append(out.Chapters, c)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// jsonSeconds reads a JSON time: a number of seconds, or a string holding
// seconds or h:mm:ss[.fff] (some tools write strings).
func jsonSeconds(raw json.RawMessage) (time.Duration, bool) {
	s := strings.TrimSpace(string(raw))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	if d, ok := parseSeconds(s); ok {
		return d, true
	}
	if d, ok := parseClock(s); ok {
		return d, true
	}
	// Exponent or other float forms.
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > maxSeconds {
		return 0, false
	}
	return time.Duration(v*1e9 + 0.5), true
}

func readPodcastJSON(text string) (Doc, error) {
	const f = FormatPodcastJSON
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	seen := false
	err := decodeObject(f, text, func(key string, dec *json.Decoder) (bool, error) {
		switch key {
		case "title":
			if err := dec.Decode(&d.Title); err != nil {
				return true, jsonErr(f, text, err)
			}
			return true, nil
		case "fileName":
			if err := dec.Decode(&d.Audio); err != nil {
				return true, jsonErr(f, text, err)
			}
			return true, nil
		case "chapters":
			seen = true
			return true, decodeArray(f, text, dec, func(line int, raw json.RawMessage) error {
				var c struct {
					StartTime json.RawMessage `json:"startTime"`
					EndTime   json.RawMessage `json:"endTime"`
					Title     string          `json:"title"`
					URL       string          `json:"url"`
				}
				if err := json.Unmarshal(raw, &c); err != nil {
					return syntaxErr(f, line, "chapter: %v", err)
				}
				if c.StartTime == nil {
					return syntaxErr(f, line, "chapter without startTime")
				}
				start, ok := jsonSeconds(c.StartTime)
				if !ok {
					return syntaxErr(f, line, "bad startTime %s", c.StartTime)
				}
				m := Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: c.Title, URL: c.URL, Sample: DurationToSamples(start, d.Rate)}
				if c.EndTime != nil && string(c.EndTime) != "null" {
					end, ok := jsonSeconds(c.EndTime)
					if !ok {
						return syntaxErr(f, line, "bad endTime %s", c.EndTime)
					}
					if e := DurationToSamples(end, d.Rate); e > m.Sample {
						m.End = e
					}
				}
				d.Markers = append(d.Markers, m)
				return nil
			})
		}
		return false, nil
	})
	if err != nil {
		return Doc{}, err
	}
	if !seen {
		return Doc{}, syntaxErr(f, 1, `no "chapters" array`)
	}
	return d, nil
}

// ---- Podlove Simple Chapters ----

const pscNS = "http://podlove.org/simple-chapters"

func writePSC(w *bufio.Writer, d Doc) error {
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<psc:chapters version="1.2" xmlns:psc="` + pscNS + `">` + "\n")
	for _, m := range d.Chapters() {
		fmt.Fprintf(w, `  <psc:chapter start="%s" title="%s"`, FormatTime(m.Sample, d.Rate), xmlAttr(oneLine(m.Title)))
		if m.URL != "" {
			fmt.Fprintf(w, ` href="%s"`, xmlAttr(m.URL))
		}
		w.WriteString("/>\n")
	}
	_, err := w.WriteString("</psc:chapters>\n")
	return err
}

func xmlAttr(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

func readPSC(text string) (Doc, error) {
	const f = FormatPSC
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	dec := xml.NewDecoder(strings.NewReader(text))
	depth, inChapters := 0, -1
	found := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if se, ok := errors.AsType[*xml.SyntaxError](err); ok {
				return Doc{}, syntaxErr(f, se.Line, "%s", se.Msg)
			}
			line, _ := dec.InputPos()
			return Doc{}, syntaxErr(f, line, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			isPSC := t.Name.Space == pscNS || t.Name.Space == "psc" || t.Name.Space == ""
			switch {
			case isPSC && t.Name.Local == "chapters" && inChapters < 0:
				inChapters, found = depth, true
			case isPSC && t.Name.Local == "chapter" && inChapters >= 0:
				line, _ := dec.InputPos()
				var start, title, href string
				hasStart := false
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "start":
						start, hasStart = a.Value, true
					case "title":
						title = a.Value
					case "href":
						href = a.Value
					}
				}
				if !hasStart {
					return Doc{}, syntaxErr(f, line, "chapter without start")
				}
				at, ok := parseClock(strings.TrimSpace(start))
				if !ok {
					return Doc{}, syntaxErr(f, line, "bad start %q (want HH:MM:SS.mmm)", start)
				}
				d.Markers = append(d.Markers, Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: title, URL: href, Sample: DurationToSamples(at, d.Rate)})
			}
		case xml.EndElement:
			if depth == inChapters {
				inChapters = -1
			}
			depth--
		}
	}
	if !found {
		return Doc{}, syntaxErr(f, 1, "no psc:chapters element")
	}
	return d, nil
}

// ---- mp4chaps ----

func writeMP4Chaps(w *bufio.Writer, d Doc) error {
	for _, m := range d.Chapters() {
		w.WriteString(FormatTime(m.Sample, d.Rate) + " " + oneLine(m.Title))
		if m.URL != "" {
			w.WriteString(" <" + m.URL + ">")
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// splitURL splits a trailing " <url>" off a title.
func splitURL(s string) (title, url string) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ">") {
		if i := strings.LastIndex(s, "<"); i >= 0 && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			u := s[i+1 : len(s)-1]
			if u != "" && !strings.ContainsAny(u, " <>") {
				return strings.TrimSpace(s[:i]), u
			}
		}
	}
	return s, ""
}

func lines(text string) []string { return strings.Split(text, "\n") }

func readMP4Chaps(text string) (Doc, error) {
	const f = FormatMP4Chaps
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	for i, line := range lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tok, rest, _ := strings.Cut(line, " ")
		if t2, r2, ok := strings.Cut(line, "\t"); ok && len(t2) < len(tok) {
			tok, rest = t2, r2
		}
		at, ok := parseClock(tok)
		if !ok {
			return Doc{}, syntaxErr(f, i+1, "bad time %q (want HH:MM:SS.mmm Title)", tok)
		}
		title, url := splitURL(rest)
		d.Markers = append(d.Markers, Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: title, URL: url, Sample: DurationToSamples(at, d.Rate)})
	}
	if len(d.Markers) == 0 {
		return Doc{}, syntaxErr(f, 1, "no chapter lines")
	}
	return d, nil
}

// ---- WebVTT chapters ----

// vttOpenEnd ends the last WebVTT chapter when the audio's length is unknown:
// players clamp cues to the media's duration.
const vttOpenEnd = 99*3600*1000 + 59*60*1000 + 59*1000 + 999

func writeWebVTT(w *bufio.Writer, d Doc) error {
	w.WriteString("WEBVTT\n")
	ch := d.Chapters()
	used := map[string]bool{}
	for i, m := range ch {
		base := Slug(m.Title)
		if base == "" {
			base = "chapter"
		}
		id := base
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		used[id] = true
		start := millis(m.Sample, d.Rate)
		var end int64
		switch {
		case i+1 < len(ch):
			end = millis(ch[i+1].Sample, d.Rate)
		case d.Frames > 0:
			end = millis(d.Frames, d.Rate)
		case m.IsRegion():
			end = millis(m.End, d.Rate)
		}
		if end <= start {
			end = max(vttOpenEnd, start+1000)
		}
		fmt.Fprintf(w, "\n%s\n%s --> %s\n%s\n", id, formatMillis(start), formatMillis(end), vttEscape(oneLine(m.Title)))
	}
	return nil
}

var (
	vttEscaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	vttUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&nbsp;", "\u00a0", "&lrm;", "\u200e", "&rlm;", "\u200f", "&amp;", "&")
)

func vttEscape(s string) string { return vttEscaper.Replace(s) }

func vttUnescape(s string) string {
	// Drop markup tags (<b>, <v Speaker>, <00:00:01.000>), then entities.
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+j+1:]
	}
	return vttUnescaper.Replace(b.String())
}

// vttTiming parses "start --> end [settings]".
func vttTiming(line string) (start, end time.Duration, ok bool) {
	a, b, found := strings.Cut(line, "-->")
	if !found {
		return 0, 0, false
	}
	fields := strings.Fields(b)
	if len(fields) == 0 {
		return 0, 0, false
	}
	start, ok1 := parseClock(strings.TrimSpace(a))
	end, ok2 := parseClock(fields[0])
	return start, end, ok1 && ok2
}

// vttCue is one cue of a WebVTT (or SRT) file.
type vttCue struct {
	line       int // line of the timing
	start, end time.Duration
	text       []string
}

// parseCues reads the cues of a WebVTT body (header already checked) or an
// SRT file: blocks separated by blank lines, each an optional identifier,
// a timing line, and payload lines. NOTE, STYLE and REGION blocks are
// skipped.
func parseCues(f Format, ls []string, first int) ([]vttCue, error) {
	var cues []vttCue
	for i := first; i < len(ls); {
		if strings.TrimSpace(ls[i]) == "" {
			i++
			continue
		}
		blockStart := i
		j := i
		for j < len(ls) && strings.TrimSpace(ls[j]) != "" {
			j++
		}
		block := ls[i:j]
		i = j
		head := strings.TrimSpace(block[0])
		if head == "NOTE" || strings.HasPrefix(head, "NOTE ") || strings.HasPrefix(head, "NOTE\t") || head == "STYLE" || head == "REGION" {
			continue
		}
		t := 0
		if !strings.Contains(block[0], "-->") {
			t = 1
		}
		if t >= len(block) || !strings.Contains(block[t], "-->") {
			return nil, syntaxErr(f, blockStart+1, "cue without a timing line (want START --> END)")
		}
		start, end, ok := vttTiming(block[t])
		if !ok {
			return nil, syntaxErr(f, blockStart+t+1, "bad cue timing %q", strings.TrimSpace(block[t]))
		}
		cues = append(cues, vttCue{line: blockStart + t + 1, start: start, end: end, text: block[t+1:]})
	}
	return cues, nil
}

func readWebVTT(text string) (Doc, error) {
	const f = FormatWebVTT
	ls := lines(text)
	if len(ls) == 0 || !(ls[0] == "WEBVTT" || strings.HasPrefix(ls[0], "WEBVTT ") || strings.HasPrefix(ls[0], "WEBVTT\t")) {
		return Doc{}, syntaxErr(f, 1, `no "WEBVTT" header`)
	}
	// The header block runs to the first blank line.
	first := 1
	for first < len(ls) && strings.TrimSpace(ls[first]) != "" {
		first++
	}
	cues, err := parseCues(f, ls, first)
	if err != nil {
		return Doc{}, err
	}
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	for _, c := range cues {
		title := vttUnescape(strings.TrimSpace(strings.Join(c.text, " ")))
		d.Markers = append(d.Markers, Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: title, Sample: DurationToSamples(c.start, d.Rate)})
	}
	return d, nil
}

// ---- YouTube description timestamps ----

func writeYouTube(w *bufio.Writer, d Doc) error {
	for _, m := range d.Chapters() {
		w.WriteString(FormatClock(m.Sample, d.Rate) + " " + oneLine(m.Title))
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// youTubeLine parses a description line that starts with a timestamp
// ("0:00 Intro", "(1:02:03) - Title", "[12:30] Title"); ok is false for
// lines without one.
func youTubeLine(line string) (at time.Duration, title string, ok bool) {
	s := strings.TrimSpace(line)
	s = strings.TrimLeft(s, "-*•–— \t")
	closer := ""
	if strings.HasPrefix(s, "(") {
		s, closer = s[1:], ")"
	} else if strings.HasPrefix(s, "[") {
		s, closer = s[1:], "]"
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == ':' || r == '.') })
	if end < 0 {
		end = len(s)
	}
	tok := s[:end]
	if !strings.Contains(tok, ":") {
		return 0, "", false
	}
	at, ok = parseClock(tok)
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
	if rest != "" && !strings.ContainsAny(rest[:1], " \t-–—:|") {
		return 0, "", false
	}
	title = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), "-–—:|"))
	return at, title, true
}

func readYouTube(text string) (Doc, error) {
	const f = FormatYouTube
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	for _, line := range lines(text) {
		at, title, ok := youTubeLine(line)
		if !ok {
			continue // description prose
		}
		d.Markers = append(d.Markers, Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: title, Sample: DurationToSamples(at, d.Rate)})
	}
	if len(d.Markers) == 0 {
		return Doc{}, syntaxErr(f, 0, "no timestamp lines (want \"0:00 Title\")")
	}
	return d, nil
}
