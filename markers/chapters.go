package markers

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	Title     string      `json:"title,omitempty"`
	Img       string      `json:"img,omitempty"`
	URL       string      `json:"url,omitempty"`
	TOC       *bool       `json:"toc,omitempty"`
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
		c := pcChapter{StartTime: json.Number(formatSecondsMillis(millis(m.Sample, d.Rate))), Title: oneLine(m.Title), Img: m.Image, URL: m.URL}
		if m.Hidden {
			c.TOC = new(bool) // "toc": false
		}
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
					Img       string          `json:"img"`
					URL       string          `json:"url"`
					TOC       *bool           `json:"toc"`
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
				m := Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: c.Title, URL: c.URL, Image: c.Img, Sample: DurationToSamples(start, d.Rate)}
				m.Hidden = c.TOC != nil && !*c.TOC
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
	for _, m := range d.TOC() {
		fmt.Fprintf(w, `  <psc:chapter start="%s" title="%s"`, FormatTime(m.Sample, d.Rate), xmlAttr(oneLine(m.Title)))
		if m.URL != "" {
			fmt.Fprintf(w, ` href="%s"`, xmlAttr(m.URL))
		}
		if m.Image != "" {
			fmt.Fprintf(w, ` image="%s"`, xmlAttr(m.Image))
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

// pscEpisode is one item (RSS) or entry (Atom) of a feed, or the whole
// file when it is not a feed.
type pscEpisode struct {
	n           int // 1-based item number; 0 for chapters outside any item
	title, guid string
	line        int // line of its first psc:chapters
	chapters    []Marker
	found       bool // has a psc:chapters element
}

// readPSC reads Podlove Simple Chapters: a psc:chapters document, or a
// feed whose items each hold one. A feed gives one episode (ReadOptions.
// Episode; by default the first item with chapters), and a warning says
// which.
func (r *reader) readPSC(text string) (Doc, error) {
	const f = FormatPSC
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.Entity = xml.HTMLEntity // HTML's named entities (&nbsp;, &eacute;), as feeds write them
	var eps []*pscEpisode
	outside := &pscEpisode{}
	cur := outside
	depth, inChapters, itemDepth := 0, -1, -1
	var field *string // the item's title or guid being read
	fieldDepth := -1
	items := 0
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
			local := t.Name.Local
			isPSC := t.Name.Space == pscNS || t.Name.Space == "psc" || t.Name.Space == ""
			switch {
			case (local == "item" || local == "entry") && itemDepth < 0 && inChapters < 0:
				items++
				cur, itemDepth = &pscEpisode{n: items}, depth
				eps = append(eps, cur)
			case itemDepth >= 0 && depth == itemDepth+1 && (local == "title" || local == "guid" || local == "id") && !isPSCName(t.Name):
				if local == "title" {
					field = &cur.title
				} else {
					field = &cur.guid
				}
				fieldDepth = depth
			case isPSC && local == "chapters" && inChapters < 0:
				inChapters = depth
				if !cur.found {
					cur.line, _ = dec.InputPos()
				}
				cur.found = true
			case isPSC && local == "chapter" && inChapters >= 0:
				m, err := pscChapter(dec, t)
				if err != nil {
					return Doc{}, err
				}
				cur.chapters = append(cur.chapters, m)
			}
		case xml.CharData:
			if field != nil {
				*field += string(t)
			}
		case xml.EndElement:
			if depth == fieldDepth {
				field, fieldDepth = nil, -1
			}
			if depth == inChapters {
				inChapters = -1
			}
			if depth == itemDepth {
				cur, itemDepth = outside, -1
			}
			depth--
		}
	}
	ep, err := r.pickEpisode(outside, eps)
	if err != nil {
		return Doc{}, err
	}
	d := Doc{Version: DocVersion, Rate: DefaultRate, Title: strings.TrimSpace(ep.title)}
	for i, m := range ep.chapters {
		m.ID = importID(f, i+1)
		d.Markers = append(d.Markers, m)
	}
	return d, nil
}

func isPSCName(n xml.Name) bool { return n.Space == pscNS || n.Space == "psc" }

// pscChapter reads one psc:chapter element's attributes.
func pscChapter(dec *xml.Decoder, t xml.StartElement) (Marker, error) {
	const f = FormatPSC
	line, _ := dec.InputPos()
	var start string
	hasStart := false
	m := Marker{Kind: Topic}
	for _, a := range t.Attr {
		switch a.Name.Local {
		case "start":
			start, hasStart = a.Value, true
		case "title":
			m.Title = a.Value
		case "href":
			m.URL = a.Value
		case "image":
			m.Image = a.Value
		}
	}
	if !hasStart {
		return Marker{}, syntaxErr(f, line, "chapter without start")
	}
	at, ok := parseClock(strings.TrimSpace(start))
	if !ok {
		return Marker{}, syntaxErr(f, line, "bad start %q (want HH:MM:SS.mmm)", start)
	}
	m.Sample = DurationToSamples(at, DefaultRate)
	return m, nil
}

// pickEpisode chooses the episode a feed is read for, and says which.
func (r *reader) pickEpisode(outside *pscEpisode, eps []*pscEpisode) (*pscEpisode, error) {
	const f = FormatPSC
	var with []*pscEpisode
	for _, e := range eps {
		if e.found {
			with = append(with, e)
		}
	}
	if len(with) == 0 {
		if r.opt.Episode != "" && len(eps) == 0 {
			return nil, syntaxErr(f, 1, "--episode %q: not a feed (no items)", r.opt.Episode)
		}
		if !outside.found {
			if len(eps) > 0 {
				return nil, syntaxErr(f, 1, "a feed of %d items, none with psc:chapters", len(eps))
			}
			return nil, syntaxErr(f, 1, "no psc:chapters element")
		}
		return outside, nil
	}
	name := func(e *pscEpisode) string {
		s := fmt.Sprintf("item %d of %d", e.n, len(eps))
		if t := strings.TrimSpace(e.title); t != "" {
			s += fmt.Sprintf(" %q", t)
		}
		if g := strings.TrimSpace(e.guid); g != "" {
			s += fmt.Sprintf(" (guid %s)", g)
		}
		return s
	}
	var ep *pscEpisode
	if want := strings.TrimSpace(r.opt.Episode); want != "" {
		for _, e := range eps {
			if strconv.Itoa(e.n) == want || strings.TrimSpace(e.guid) == want || strings.EqualFold(strings.TrimSpace(e.title), want) {
				ep = e
				break
			}
		}
		if ep == nil {
			return nil, syntaxErr(f, 1, "no episode %q in the feed: want an item number 1–%d, a title or a GUID", want, len(eps))
		}
		if !ep.found {
			return nil, syntaxErr(f, 1, "episode %s has no psc:chapters (%d items have them; the first is %s)", name(ep), len(with), name(with[0]))
		}
	} else {
		ep = with[0]
	}
	if len(eps) > 0 {
		r.warn(ep.line, "a feed with %d items (%d with chapters): read %s; choose another with --episode N, a title or a GUID", len(eps), len(with), name(ep))
	}
	return ep, nil
}

// ---- mp4chaps ----

func writeMP4Chaps(w *bufio.Writer, d Doc) error {
	for _, m := range d.TOC() {
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

// splitURL splits a trailing " <url>" off a title. Only a real URL, one
// with a scheme ("https:", "mailto:"), is taken: a title may end in
// "<word>".
func splitURL(s string) (title, url string) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ">") {
		if i := strings.LastIndex(s, "<"); i >= 0 && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			u := s[i+1 : len(s)-1]
			if hasScheme(u) && !strings.ContainsAny(u, " <>") {
				return strings.TrimSpace(s[:i]), u
			}
		}
	}
	return s, ""
}

// hasScheme reports whether u starts with a URL scheme and something after
// it: a letter, then letters, digits, "+", "-" or ".", then ":".
func hasScheme(u string) bool {
	i := strings.IndexByte(u, ':')
	if i < 1 || i+1 >= len(u) {
		return false
	}
	for k := 0; k < i; k++ {
		c := u[k]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case k > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
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
	ch := d.TOC()
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

var vttEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func vttEscape(s string) string { return vttEscaper.Replace(s) }

func vttUnescape(s string) string {
	// Drop markup tags (<b>, <v Speaker>, <00:00:01.000>), then decode
	// HTML's named and numeric character references.
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
	return html.UnescapeString(b.String())
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

// parseCues reads the cues of a WebVTT body (lines from first on, after the
// header) or of an SRT file, as the WebVTT parser does: a line containing
// "-->" starts a cue (an identifier may stand on the line before it) and
// the cue's text runs to the next blank line or the next such line. NOTE,
// STYLE and REGION blocks are skipped; other blocks that are not cues and
// cues with bad timings are skipped with a warning (the first such line is
// returned in bad, 0 when none). In SRT, where lines of spaces separate
// cues, a blank line is one of spaces; a number on the line before a
// timing is its index.
func (r *reader) parseCues(ls []string, first int, srt bool) (cues []vttCue, bad error) {
	blank := func(s string) bool { return s == "" }
	if srt {
		blank = func(s string) bool { return strings.TrimSpace(s) == "" }
	}
	timing := func(i int) bool { return i < len(ls) && strings.Contains(ls[i], "-->") }
	skip := func(line int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if bad == nil {
			bad = syntaxErr(r.f, line, "%s (no cue could be read)", msg)
		}
		r.warn(line, "skipped: %s", msg)
	}
	for i := first; i < len(ls); {
		if blank(ls[i]) {
			i++
			continue
		}
		head := strings.TrimSpace(ls[i])
		if !srt && (head == "NOTE" || strings.HasPrefix(head, "NOTE ") || strings.HasPrefix(head, "NOTE\t") || head == "STYLE" || head == "REGION") {
			for i < len(ls) && !blank(ls[i]) {
				i++
			}
			continue
		}
		t := i
		if !timing(t) {
			// An identifier stands on the line just before the timing.
			if timing(t + 1) {
				t++
			} else {
				from := i
				for i < len(ls) && !blank(ls[i]) && !timing(i) {
					i++
				}
				skip(from+1, "%d line(s) that are not a cue, without a timing line (want START --> END): %q", i-from, clip(strings.TrimSpace(ls[from]), 60))
				continue
			}
		}
		j := t + 1
		for j < len(ls) && !blank(ls[j]) && !timing(j) {
			j++
		}
		// In SRT a cue index stands before the next timing line: it is not
		// this cue's text.
		if srt && j < len(ls) && timing(j) && j-1 > t+1 && allDigits(strings.TrimSpace(ls[j-1])) {
			j--
		}
		start, end, ok := vttTiming(ls[t])
		switch {
		case !ok:
			skip(t+1, "bad cue timing %q (want HH:MM:SS.mmm --> HH:MM:SS.mmm)", clip(strings.TrimSpace(ls[t]), 60))
		case end < start:
			skip(t+1, "cue ends before it starts: %q", clip(strings.TrimSpace(ls[t]), 60))
		default:
			cues = append(cues, vttCue{line: t + 1, start: start, end: end, text: ls[t+1 : j]})
		}
		i = j
	}
	return cues, bad
}

func (r *reader) readWebVTT(text string) (Doc, error) {
	const f = FormatWebVTT
	ls := lines(text)
	first, err := vttHeader(f, ls)
	if err != nil {
		return Doc{}, err
	}
	cues, bad := r.parseCues(ls, first, false)
	if len(cues) == 0 && bad != nil {
		return Doc{}, bad
	}
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	for _, c := range cues {
		title := vttUnescape(strings.TrimSpace(strings.Join(c.text, " ")))
		d.Markers = append(d.Markers, Marker{ID: importID(f, len(d.Markers)+1), Kind: Topic, Title: title, Sample: DurationToSamples(c.start, d.Rate)})
	}
	return d, nil
}

// vttHeader checks the "WEBVTT" line and returns the index of the first
// line after the header, which ends at a blank line or before a line
// containing "-->".
func vttHeader(f Format, ls []string) (int, error) {
	if len(ls) == 0 || !(ls[0] == "WEBVTT" || strings.HasPrefix(ls[0], "WEBVTT ") || strings.HasPrefix(ls[0], "WEBVTT\t")) {
		return 0, syntaxErr(f, 1, `no "WEBVTT" header: the first line must be WEBVTT`)
	}
	first := 1
	for first < len(ls) && ls[first] != "" && !strings.Contains(ls[first], "-->") {
		first++
	}
	return first, nil
}

// ---- YouTube description timestamps ----

func writeYouTube(w *bufio.Writer, d Doc) error {
	for _, m := range d.TOC() {
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
	// "0:00: Intro", "1:30. Title": the punctuation is a separator.
	for end > 0 && (s[end-1] == ':' || s[end-1] == '.') {
		end--
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
	if rest != "" && !strings.ContainsAny(rest[:1], " \t-–—:|.") {
		return 0, "", false
	}
	return at, trimSeparators(rest), true
}

// youTubeSeparators are what YouTube lists put between a time and a title.
const youTubeSeparators = "-–—:|."

// startsWithSeparator reports whether s (after spaces) starts with a
// separator YouTube lists use, followed by a space or nothing.
func startsWithSeparator(s string) bool {
	s = strings.TrimSpace(s)
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && strings.ContainsRune(youTubeSeparators, r) && (n == len(s) || s[n] == ' ' || s[n] == '\t')
}

// trimSeparators removes spaces and the separators YouTube lists use
// ("-", "–", "—", "|", ":") from the start of a title, where each stands
// alone ("- - Intro" is "Intro"; "-5 degrees" keeps its minus).
func trimSeparators(s string) string {
	s = strings.TrimSpace(s)
	for startsWithSeparator(s) {
		_, n := utf8.DecodeRuneInString(s)
		s = strings.TrimSpace(s[n:])
	}
	return s
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
