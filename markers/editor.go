package markers

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// label is how editor formats show a marker: "[kind] title", then " <url>"
// when it has one.
func label(m Marker) string {
	s := "[" + string(m.Kind) + "] " + oneLine(m.Title)
	if m.URL != "" {
		s += " <" + m.URL + ">"
	}
	return strings.TrimSpace(s)
}

// parseLabel reverses label; a label without a "[kind]" prefix is a topic.
func parseLabel(s string) (k Kind, title, url string) {
	s = strings.TrimSpace(s)
	k = Topic
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 {
			if pk, err := ParseKind(s[1:end]); err == nil {
				k, s = pk, s[end+1:]
			}
		}
	}
	title, url = splitURL(s)
	return k, title, url
}

// micros is a sample position in whole microseconds, rounded.
func micros(sample int64, rate int) int64 {
	if sample <= 0 || rate <= 0 {
		return 0
	}
	r := int64(rate)
	return sample/r*1_000_000 + (sample%r*1_000_000+r/2)/r
}

func formatSecondsMicros(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

func formatSecondsFixedMillis(ms int64) string {
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// ---- Audacity labels ----

func writeAudacity(w *bufio.Writer, d Doc) error {
	for _, m := range d.Sorted().Markers {
		start := formatSecondsMicros(micros(m.Sample, d.Rate))
		end := start
		if m.IsRegion() {
			end = formatSecondsMicros(micros(m.End, d.Rate))
		}
		w.WriteString(start + "\t" + end + "\t" + label(m))
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

func readAudacity(text string) (Doc, error) {
	const f = FormatAudacity
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	for i, line := range lines(text) {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "\\") {
			continue // blank, or a spectral-selection line ("\tlow\thigh")
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) < 2 {
			return Doc{}, syntaxErr(f, i+1, "want START<TAB>END<TAB>LABEL")
		}
		start, ok := parseSeconds(fields[0])
		if !ok {
			return Doc{}, syntaxErr(f, i+1, "bad start %q (want seconds)", fields[0])
		}
		end, ok := parseSeconds(fields[1])
		if !ok {
			return Doc{}, syntaxErr(f, i+1, "bad end %q (want seconds)", fields[1])
		}
		lab := ""
		if len(fields) == 3 {
			lab = fields[2]
		}
		k, title, url := parseLabel(lab)
		m := Marker{ID: importID(f, len(d.Markers)+1), Kind: k, Title: title, URL: url, Sample: DurationToSamples(start, d.Rate)}
		if e := DurationToSamples(end, d.Rate); e > m.Sample {
			m.End = e
		}
		d.Markers = append(d.Markers, m)
	}
	return d, nil
}

// ---- REAPER Region/Marker Manager CSV ----

func writeReaperCSV(w *bufio.Writer, d Doc) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"#", "Name", "Start", "End", "Length"}); err != nil {
		return err
	}
	nm, nr := 0, 0
	for _, m := range d.Sorted().Markers {
		start := millis(m.Sample, d.Rate)
		if m.IsRegion() {
			nr++
			end := millis(m.End, d.Rate)
			if err := cw.Write([]string{"R" + strconv.Itoa(nr), label(m), formatSecondsFixedMillis(start), formatSecondsFixedMillis(end), formatSecondsFixedMillis(end - start)}); err != nil {
				return err
			}
			continue
		}
		nm++
		if err := cw.Write([]string{"M" + strconv.Itoa(nm), label(m), formatSecondsFixedMillis(start), "", ""}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// isReaperID reports whether s is a REAPER marker or region number ("M3",
// "R12", or a plain number).
func isReaperID(s string) bool {
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == 'M' || s[0] == 'R' || s[0] == 'm' || s[0] == 'r') {
		s = s[1:]
	}
	return s != "" && allDigits(s)
}

// reaperTime parses a REAPER time cell: seconds or h:mm:ss[.fff]. A
// measures.beats value ("5.1.00") gets a hint to change the ruler.
func reaperTime(f Format, line int, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if at, ok := parseClock(s); ok {
		return at, nil
	}
	if strings.Count(s, ".") >= 2 {
		return 0, syntaxErr(f, line, "time %q is in measures.beats; set REAPER's time unit to seconds or minutes:seconds and export again", s)
	}
	return 0, syntaxErr(f, line, "bad time %q (want seconds or h:mm:ss.fff)", s)
}

func readReaperCSV(text string) (Doc, error) {
	const f = FormatReaperCSV
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	col := map[string]int{"#": 0, "name": 1, "start": 2, "end": 3, "length": 4}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				return Doc{}, syntaxErr(f, pe.Line, "%v", pe.Err)
			}
			return Doc{}, syntaxErr(f, line, "%v", err)
		}
		if first && auditionHeader(strings.Join(rec, "\t")) {
			return Doc{}, syntaxErr(f, line, "this is an Adobe Audition marker list (Name, Start, Duration, Time Format, Type, Description), not REAPER's CSV; read it with --from audition-csv")
		}
		if first && strings.TrimSpace(rec[0]) != "#" && !isReaperID(rec[0]) {
			return Doc{}, syntaxErr(f, line, "first line %q is not REAPER's header (#,Name,Start,End,Length) nor a marker row (M1,Name,Start)", clip(strings.Join(rec, ","), 80))
		}
		if first && strings.TrimSpace(rec[0]) == "#" {
			col = map[string]int{}
			for i, h := range rec {
				col[strings.ToLower(strings.TrimSpace(h))] = i
			}
			if _, ok := col["start"]; !ok {
				return Doc{}, syntaxErr(f, line, "header without a Start column")
			}
			continue
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if cell("start") == "" && cell("#") == "" {
			continue
		}
		start, err := reaperTime(f, line, cell("start"))
		if err != nil {
			return Doc{}, err
		}
		k, title, url := parseLabel(cell("name"))
		m := Marker{ID: importID(f, len(d.Markers)+1), Kind: k, Title: title, URL: url, Sample: DurationToSamples(start, d.Rate)}
		if e := cell("end"); e != "" {
			end, err := reaperTime(f, line, e)
			if err != nil {
				return Doc{}, err
			}
			if es := DurationToSamples(end, d.Rate); es > m.Sample {
				m.End = es
			}
		}
		d.Markers = append(d.Markers, m)
	}
	return d, nil
}

// ---- CUE sheet ----

// cueQuote makes s safe inside a CUE double-quoted string, which has no
// escapes: double quotes become single quotes.
func cueQuote(s string) string {
	return `"` + strings.ReplaceAll(oneLine(s), `"`, "'") + `"`
}

func cueFileType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".mp3":
		return "MP3"
	case ".aif", ".aiff":
		return "AIFF"
	}
	return "WAVE"
}

// DefaultCUEAudio is the FILE a CUE sheet names when Doc.Audio is empty.
const DefaultCUEAudio = "audio.wav"

func writeCUE(w *bufio.Writer, d Doc) error {
	audio := oneLine(d.Audio) // as cueQuote writes it
	if audio == "" {
		audio = DefaultCUEAudio
	}
	w.WriteString("REM COMMENT \"podmark\"\n")
	if oneLine(d.Title) != "" {
		w.WriteString("TITLE " + cueQuote(d.Title) + "\n")
	}
	w.WriteString("FILE " + cueQuote(audio) + " " + cueFileType(audio) + "\n")
	public := d.PublicKinds()
	track := 0
	for _, m := range d.Sorted().Markers {
		if m.Hidden && slices.Contains(public, m.Kind) {
			continue // not a table-of-contents entry (see Format.TOC)
		}
		indent := "  "
		if track > 0 {
			indent = "    "
		}
		if !slices.Contains(public, m.Kind) {
			fmt.Fprintf(w, "%sREM %s %s", indent, strings.ToUpper(string(m.Kind)), FormatCUETime(m.Sample, d.Rate))
			if m.IsRegion() {
				w.WriteString(" " + FormatCUETime(m.End, d.Rate))
			}
			w.WriteString(" " + cueQuote(m.Title) + "\n")
			continue
		}
		track++
		fmt.Fprintf(w, "  TRACK %02d AUDIO\n", track)
		w.WriteString("    TITLE " + cueQuote(m.Title) + "\n")
		if m.Kind != Topic {
			w.WriteString("    REM KIND " + string(m.Kind) + "\n")
		}
		if oneLine(m.URL) != "" {
			w.WriteString("    REM URL " + cueQuote(m.URL) + "\n")
		}
		if _, err := fmt.Fprintf(w, "    INDEX 01 %s\n", FormatCUETime(m.Sample, d.Rate)); err != nil {
			return err
		}
	}
	return nil
}

// cueArgs splits a CUE line into words, keeping double-quoted strings whole
// (without their quotes); quoted[i] tells whether word i was quoted.
func cueArgs(s string) (out []string, quoted []bool) {
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			quoted = append(quoted, true)
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				out = append(out, s[1:])
				break
			}
			out = append(out, s[1:1+end])
			s = s[end+2:]
			continue
		}
		quoted = append(quoted, false)
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out, quoted
}

// cueFile is one FILE line of a CUE sheet.
type cueFile struct {
	name string
	line int
}

// cueText is the text argument of a CUE command: the quoted string, or,
// unquoted, the rest of the line (TITLE My Song keeps "My Song").
func cueText(line string, args []string, quoted []bool) string {
	if len(args) < 2 {
		return ""
	}
	if quoted[1] {
		return args[1]
	}
	rest := strings.TrimSpace(line)
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		return strings.TrimSpace(rest[i:])
	}
	return ""
}

// cueFileName is a FILE line's file name: quoted, or unquoted up to the
// file type at the end of the line.
func cueFileName(line string, args []string, quoted []bool) string {
	if len(args) < 2 || quoted[1] {
		return cueText(line, args, quoted)
	}
	rest := cueText(line, args, quoted)
	if len(args) >= 3 {
		if i := strings.LastIndexAny(rest, " \t"); i >= 0 {
			switch strings.ToUpper(strings.TrimSpace(rest[i:])) {
			case "WAVE", "MP3", "AIFF", "BINARY", "MOTOROLA", "FLAC", "OGG":
				return strings.TrimSpace(rest[:i])
			}
		}
	}
	return rest
}

// cueOffsets gives the start of each FILE on one timeline: each after the
// lengths of the files before it, from ReadOptions.FileLengths or
// AudioLength. One file needs no lengths.
func (r *reader) cueOffsets(files []cueFile) ([]time.Duration, error) {
	const f = FormatCUE
	offs := make([]time.Duration, len(files))
	if len(files) <= 1 {
		return offs, nil
	}
	need := len(files) - 1
	lengths := r.opt.FileLengths
	source := "the lengths given"
	switch {
	case len(lengths) >= need:
	case len(lengths) > 0:
		return nil, syntaxErr(f, files[len(lengths)+1].line, "%d FILE lines but %d lengths given: the first %d files' lengths are needed to place the tracks", len(files), len(lengths), need)
	case r.opt.AudioLength != nil:
		source = "the audio files next to the sheet"
		lengths = make([]time.Duration, need)
		for i := range need {
			l, err := r.opt.AudioLength(files[i].name)
			if err != nil {
				return nil, syntaxErr(f, files[i].line, "%d FILE lines (one file per track): the length of %q is needed to place the tracks after it, and it cannot be read (%v); pass the lengths with --cue-lengths", len(files), files[i].name, err)
			}
			lengths[i] = l
		}
	default:
		return nil, syntaxErr(f, files[1].line, "%d FILE lines (one file per track): each file's tracks start after the files before it, whose lengths are not known; put the audio files next to the sheet or pass their lengths with --cue-lengths", len(files))
	}
	for i := 1; i < len(files); i++ {
		offs[i] = offs[i-1] + lengths[i-1]
	}
	r.warn(files[1].line, "%d FILE lines placed one after another on one timeline, using %s (ends at %s)", len(files), source, Clock(offs[len(files)-1], ClockNPT)+" + the last file")
	return offs, nil
}

func (r *reader) readCUE(text string) (Doc, error) {
	const f = FormatCUE
	ls := lines(text)
	// First pass: the FILE lines, to place each file's indexes.
	files, err := cueFiles(ls)
	if err != nil {
		return Doc{}, err
	}
	offs, err := r.cueOffsets(files)
	if err != nil {
		return Doc{}, err
	}
	c := &cueSheet{d: Doc{Version: DocVersion, Rate: DefaultRate}, files: files, offs: offs, file: -1}
	for i, line := range ls {
		if err := c.line(i+1, line); err != nil {
			return Doc{}, err
		}
	}
	if err := c.closeTrack(); err != nil {
		return Doc{}, err
	}
	d := c.d
	d.sortMarkers()
	for i := range d.Markers {
		d.Markers[i].ID = importID(f, i+1)
	}
	return d, nil
}

// cueFiles returns the sheet's FILE lines.
func cueFiles(ls []string) ([]cueFile, error) {
	var files []cueFile
	for i, line := range ls {
		args, quoted := cueArgs(line)
		if len(args) > 0 && strings.EqualFold(args[0], "FILE") {
			if len(args) < 2 {
				return nil, syntaxErr(FormatCUE, i+1, "FILE without a file name")
			}
			files = append(files, cueFile{name: cueFileName(line, args, quoted), line: i + 1})
		}
	}
	return files, nil
}

// cueSheet is the state of the second pass over a CUE sheet.
type cueSheet struct {
	d     Doc
	files []cueFile
	offs  []time.Duration // start of each FILE on the timeline
	file  int             // the current FILE, -1 before the first
	cur   *Marker         // the open track
	// curLine is the open track's TRACK line; hasIndex says it has its
	// INDEX 01.
	curLine  int
	hasIndex bool
	// REM markers inside a track follow it, so markers at one time keep
	// the order they have in the sheet (and a rewrite is identical).
	inTrack []Marker
}

// at reads a CUE time of the current FILE as a sample on the timeline.
func (c *cueSheet) at(s string) (int64, bool) {
	t, err := ParseCUETime(s)
	if err != nil {
		return 0, false
	}
	if c.file > 0 {
		t += c.offs[c.file]
	}
	return DurationToSamples(t, c.d.Rate), true
}

func (c *cueSheet) closeTrack() error {
	if c.cur == nil {
		return nil
	}
	if !c.hasIndex {
		return syntaxErr(FormatCUE, c.curLine, "TRACK without INDEX 01")
	}
	c.d.Markers = append(c.d.Markers, *c.cur)
	c.d.Markers = append(c.d.Markers, c.inTrack...)
	c.cur, c.inTrack = nil, c.inTrack[:0]
	return nil
}

// line reads line n of the sheet.
func (c *cueSheet) line(n int, line string) error {
	const f = FormatCUE
	args, quoted := cueArgs(line)
	if len(args) == 0 {
		return nil
	}
	switch strings.ToUpper(args[0]) {
	case "TITLE":
		if len(args) < 2 {
			return syntaxErr(f, n, "TITLE without a title")
		}
		if c.cur != nil {
			c.cur.Title = cueText(line, args, quoted)
		} else {
			c.d.Title = cueText(line, args, quoted)
		}
	case "FILE":
		c.file++
		if c.d.Audio == "" {
			c.d.Audio = c.files[c.file].name
		}
	case "TRACK":
		if err := c.closeTrack(); err != nil {
			return err
		}
		c.cur, c.curLine, c.hasIndex = &Marker{Kind: Topic}, n, false
	case "INDEX":
		if c.cur == nil {
			return syntaxErr(f, n, "INDEX outside a TRACK")
		}
		if len(args) < 3 {
			return syntaxErr(f, n, "want INDEX nn mm:ss:ff")
		}
		if args[1] != "01" && args[1] != "1" {
			return nil
		}
		s, ok := c.at(args[2])
		if !ok {
			return syntaxErr(f, n, "bad INDEX time %q (want mm:ss:ff)", args[2])
		}
		c.cur.Sample = s
		c.hasIndex = true
	case "REM":
		c.rem(args, quoted)
	}
	return nil
}

// rem reads a REM line: a track's kind or URL, or a podmark marker of a
// kind (REM KIND TIME [END] TITLE); other tools' REM comments are skipped.
func (c *cueSheet) rem(args []string, quoted []bool) {
	if len(args) < 3 {
		return
	}
	switch key := strings.ToLower(args[1]); {
	case key == "kind" && c.cur != nil:
		if k, err := ParseKind(args[2]); err == nil {
			c.cur.Kind = k
		}
	case key == "url" && c.cur != nil:
		c.cur.URL = args[2]
	case Kind(key).Valid():
		s, ok := c.at(args[2])
		if !ok {
			return // a REM comment of some other tool
		}
		m := Marker{Kind: Kind(key), Sample: s}
		rest := args[3:]
		// An end time is unquoted: a quoted title may look like one.
		if len(rest) > 0 && !quoted[3] {
			if e, ok := c.at(rest[0]); ok {
				if e > m.Sample {
					m.End = e
				}
				rest = rest[1:]
			}
		}
		m.Title = strings.Join(rest, " ")
		if c.cur != nil {
			c.inTrack = append(c.inTrack, m)
		} else {
			c.d.Markers = append(c.d.Markers, m)
		}
	}
}
