package markers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Format names a marker file format.
type Format string

// The formats, by the names the command line uses.
const (
	FormatPodmark     Format = "podmark"      // canonical markers.json
	FormatPodcastJSON Format = "podcast-json" // podcast namespace JSON chapters 1.2.0
	FormatPSC         Format = "psc"          // Podlove Simple Chapters 1.2
	FormatMP4Chaps    Format = "mp4chaps"     // HH:MM:SS.mmm Title <url>
	FormatWebVTT      Format = "webvtt"       // WebVTT chapters
	FormatYouTube     Format = "youtube"      // description timestamps, 0:00 Title
	FormatAudacity    Format = "audacity"     // Audacity labels: start\tend\tlabel
	FormatReaperCSV   Format = "reaper-csv"   // REAPER Region/Marker Manager CSV
	FormatCUE         Format = "cue"          // CUE sheet, INDEX 01 mm:ss:ff
	FormatAuditionCSV Format = "audition-csv" // Adobe Audition marker list CSV (tab-separated)
)

// Formats lists every format in documentation order.
var Formats = []Format{FormatPodmark, FormatPodcastJSON, FormatPSC, FormatMP4Chaps, FormatWebVTT, FormatYouTube, FormatAudacity, FormatReaperCSV, FormatCUE, FormatAuditionCSV}

// ErrUnknownFormat is returned (wrapped) for a format name this package does
// not know, or a file whose format cannot be guessed.
var ErrUnknownFormat = errors.New("unknown marker format")

// ErrNoReader is returned (wrapped) by Read for a format that can only be written.
var ErrNoReader = errors.New("format can only be written")

// ErrSyntax is matched (errors.Is) by every *SyntaxError.
var ErrSyntax = errors.New("syntax error")

// SyntaxError reports unreadable input: the file (when known), the 1-based
// line (0 when not known) and what was wrong.
type SyntaxError struct {
	Format Format
	File   string
	Line   int
	Msg    string
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("markers: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	fmt.Fprintf(&b, "%s: %s", e.Format, e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

func syntaxErr(f Format, line int, format string, args ...any) error {
	return &SyntaxError{Format: f, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ParseFormat parses a format name (case-insensitive).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Formats, f) {
		return f, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("markers: %q: %w (want one of %s)", s, ErrUnknownFormat, strings.Join(names, ", "))
}

// Public reports whether f is a public chapter format, written from the
// public kinds only (see Doc.Public). The editor formats (podmark, audacity,
// reaper-csv) carry every kind; cue makes tracks of the public kinds and REM
// comments of the others.
func (f Format) Public() bool {
	switch f {
	case FormatPodcastJSON, FormatPSC, FormatMP4Chaps, FormatWebVTT, FormatYouTube:
		return true
	}
	return false
}

// Readable reports whether Read supports f.
func (f Format) Readable() bool { return slices.Contains(Formats, f) }

// Ext is the usual file name ending for f.
func (f Format) Ext() string {
	switch f {
	case FormatPodmark:
		return ".json"
	case FormatPodcastJSON:
		return ".chapters.json"
	case FormatPSC:
		return ".psc.xml"
	case FormatMP4Chaps:
		return ".chapters.txt"
	case FormatWebVTT:
		return ".chapters.vtt"
	case FormatYouTube:
		return ".youtube.txt"
	case FormatAudacity:
		return ".labels.txt"
	case FormatReaperCSV:
		return ".reaper.csv"
	case FormatCUE:
		return ".cue"
	case FormatAuditionCSV:
		return ".audition.csv"
	}
	return ""
}

// Write writes d to w in format f. Public formats get the public kinds only
// (Doc.Public's set, or DefaultPublic); markers are written in time order.
// Write first applies ValidateFor(d, f): a document with errors for f is not
// written and the error is a *ValidationError (errors.Is ErrInvalid) holding
// the report. Write returns any error from w.
func Write(w io.Writer, f Format, d Doc) error {
	if !slices.Contains(Formats, f) {
		return fmt.Errorf("markers: write %q: %w", f, ErrUnknownFormat)
	}
	if rep := ValidateFor(d, f); len(rep.Errors) > 0 {
		return &ValidationError{Format: f, Report: rep}
	}
	bw := bufio.NewWriter(w)
	var err error
	switch f {
	case FormatPodmark:
		err = writePodmark(bw, d)
	case FormatPodcastJSON:
		err = writePodcastJSON(bw, d)
	case FormatPSC:
		err = writePSC(bw, d)
	case FormatMP4Chaps:
		err = writeMP4Chaps(bw, d)
	case FormatWebVTT:
		err = writeWebVTT(bw, d)
	case FormatYouTube:
		err = writeYouTube(bw, d)
	case FormatAudacity:
		err = writeAudacity(bw, d)
	case FormatReaperCSV:
		err = writeReaperCSV(bw, d)
	case FormatCUE:
		err = writeCUE(bw, d)
	case FormatAuditionCSV:
		err = writeAuditionCSV(bw, d)
	}
	if err != nil {
		return fmt.Errorf("markers: write %s: %w", f, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("markers: write %s: %w", f, err)
	}
	return nil
}

// WriteFile writes d in format f to path, replacing it atomically (see
// WriteAtomic). Nothing is written when d is invalid for f.
func WriteFile(path string, f Format, d Doc) error {
	return WriteAtomic(path, func(w io.Writer) error { return Write(w, f, d) })
}

// WriteAtomic replaces the file at path with what write writes: into a
// temporary file in the same folder, synced, then renamed over path (mode
// 0644). On any error the temporary file is removed and path is untouched.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("markers: create %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // best effort: the temp file is not the result
		}
	}()
	if err := write(tmp); err != nil {
		if cerr := tmp.Close(); cerr != nil {
			return errors.Join(err, fmt.Errorf("markers: close %q: %w", tmp.Name(), cerr))
		}
		return err
	}
	if err := tmp.Sync(); err != nil {
		return errors.Join(fmt.Errorf("markers: sync %q: %w", path, err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("markers: close %q: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("markers: chmod %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("markers: rename to %q: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// ReadOptions tunes Read for files written by other tools. The zero value
// reads the first episode of a feed and refuses a CUE sheet whose tracks
// span several files.
type ReadOptions struct {
	// Episode picks one episode of an RSS or Atom feed holding Podlove
	// Simple Chapters: a 1-based item number, or an item's title or GUID
	// (Atom: id). "" reads the first item that has chapters.
	Episode string
	// FileLengths are the lengths of the audio files a CUE sheet with
	// several FILE lines names, in the order of the FILE lines (the last
	// may be left out). Each FILE's indexes are placed after the lengths
	// of the files before it.
	FileLengths []time.Duration
	// AudioLength, when FileLengths is empty, returns the length of an
	// audio file a CUE sheet names. ReadFile passes it the path next to
	// the sheet.
	AudioLength func(name string) (time.Duration, error)
}

// reader is the state one Read shares with the format's reader: the
// options and the warnings collected so far.
type reader struct {
	opt   ReadOptions
	f     Format
	notes []string
}

// warn records a warning, at a 1-based line when line > 0.
func (r *reader) warn(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	r.notes = append(r.notes, string(r.f)+": "+msg)
}

// Read reads a marker document in format f. It accepts a UTF-8 byte order
// mark, UTF-16 with a byte order mark, CRLF line ends, and (with a warning
// from ReadWith) Windows-1252 text. Formats that store seconds give a
// document at DefaultRate. Unreadable input gives a *SyntaxError naming the
// line.
func Read(r io.Reader, f Format) (Doc, error) {
	d, _, err := ReadWith(r, f, ReadOptions{})
	return d, err
}

// ReadWith is Read with options, returning also the warnings about what was
// read: a legacy encoding, skipped blocks, which episode of a feed was
// read, how the files of a CUE sheet were placed.
func ReadWith(r io.Reader, f Format, opt ReadOptions) (Doc, []string, error) {
	if !slices.Contains(Formats, f) {
		return Doc{}, nil, fmt.Errorf("markers: read %q: %w", f, ErrUnknownFormat)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return Doc{}, nil, fmt.Errorf("markers: read %s: %w", f, err)
	}
	rd := &reader{opt: opt, f: f}
	text, err := rd.decode(data)
	if err != nil {
		return Doc{}, rd.notes, textErr(f, err)
	}
	var d Doc
	switch f {
	case FormatPodmark:
		d, err = readPodmark(text)
	case FormatPodcastJSON:
		d, err = readPodcastJSON(text)
	case FormatPSC:
		d, err = rd.readPSC(text)
	case FormatMP4Chaps:
		d, err = readMP4Chaps(text)
	case FormatWebVTT:
		d, err = rd.readWebVTT(text)
	case FormatYouTube:
		d, err = readYouTube(text)
	case FormatAudacity:
		d, err = readAudacity(text)
	case FormatReaperCSV:
		d, err = readReaperCSV(text)
	case FormatAuditionCSV:
		d, err = readAuditionCSV(text)
	case FormatCUE:
		d, err = rd.readCUE(text)
	}
	if err != nil {
		return Doc{}, rd.notes, err
	}
	d.sortMarkers()
	return d, rd.notes, nil
}

// ReadFile reads the file at path in format f; when f is empty the format is
// guessed with GuessFormat. Syntax errors name the file.
func ReadFile(path string, f Format) (Doc, Format, error) {
	d, f, _, err := ReadFileWith(path, f, ReadOptions{})
	return d, f, err
}

// ReadFileWith is ReadFile with options and warnings (see ReadWith). The
// audio files a CUE sheet names are looked for next to the sheet.
func ReadFileWith(path string, f Format, opt ReadOptions) (Doc, Format, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Doc{}, f, nil, fmt.Errorf("markers: %w", err)
	}
	if f == "" {
		if f, err = GuessFormat(path, data); err != nil {
			return Doc{}, f, nil, err
		}
	}
	if get := opt.AudioLength; get != nil {
		dir := filepath.Dir(path)
		opt.AudioLength = func(name string) (time.Duration, error) {
			return get(filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(name, `\`, "/"))))
		}
	}
	d, notes, err := ReadWith(bytes.NewReader(data), f, opt)
	if se, ok := errors.AsType[*SyntaxError](err); ok {
		se.File = path
	}
	for i, n := range notes {
		notes[i] = path + ": " + n
	}
	return d, f, notes, err
}

// decode is decodeText, warning when the text was read as Windows-1252.
func (r *reader) decode(b []byte) (string, error) {
	s, legacy, err := decodeText(b)
	if legacy > 0 {
		r.warn(0, "not UTF-8 (first at line %d): read as Windows-1252", legacy)
	}
	return s, err
}

// decodeText turns file bytes into a string with "\n" line ends: it drops a
// UTF-8 byte order mark and decodes UTF-16 with a byte order mark. Other
// text that is not valid UTF-8 is decoded as Windows-1252 (what older
// Windows tools, EAC among them, write); legacy is then the 1-based line
// of the first byte that is not UTF-8, else 0.
func decodeText(b []byte) (s string, legacy int, err error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		b = b[3:]
	case len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff):
		le := b[0] == 0xff
		b = b[2:]
		if len(b)%2 != 0 {
			return "", 0, errors.New("odd-length UTF-16 text")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			if le {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			} else {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			}
		}
		b = []byte(string(utf16.Decode(u)))
	}
	if !utf8.Valid(b) {
		legacy = 1 + bytes.Count(b[:invalidAt(b)], []byte{'\n'})
		b = windows1252(b)
	}
	s = string(b)
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s, legacy, nil
}

// cp1252 maps Windows-1252 bytes 0x80–0x9F to Unicode; the five bytes the
// code page leaves undefined map to the C1 controls, as WHATWG's decoder
// does. Bytes 0xA0–0xFF are Latin-1.
var cp1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}

// windows1252 decodes b as Windows-1252 into UTF-8.
func windows1252(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xa0:
			out = utf8.AppendRune(out, cp1252[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out
}

// textErr turns a decodeText error into a *SyntaxError.
func textErr(f Format, err error) error {
	return &SyntaxError{Format: f, Msg: err.Error()}
}

func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// GuessFormat guesses a file's format from its content, and from its name
// only where the content fits several formats. It returns ErrUnknownFormat
// (wrapped), naming what was found, when no format fits.
func GuessFormat(name string, head []byte) (Format, error) {
	text, _, _ := decodeText(head)
	t := strings.TrimSpace(text)
	lower := strings.ToLower(name)
	ext := filepath.Ext(lower)
	fail := func(why string) (Format, error) {
		return "", fmt.Errorf("markers: %s: %w: %s; name the format with --from", name, ErrUnknownFormat, why)
	}
	first := ""
	for line := range strings.SplitSeq(t, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			first = line
			break
		}
	}
	switch {
	case ext == ".jsonl":
		return "", fmt.Errorf("markers: %s: %w: a marker journal; convert its session folder (session.json holds the sample rate)", name, ErrUnknownFormat)
	case strings.HasPrefix(t, "{"):
		switch {
		case strings.Contains(t, `"chapters"`):
			return FormatPodcastJSON, nil
		case strings.Contains(t, `"markers"`), strings.Contains(t, `"rate"`):
			return FormatPodmark, nil
		case strings.Contains(t, `"segments"`):
			return fail("a podcast-namespace JSON transcript; section it with podmark transcript --transcript")
		}
		return fail(`JSON without "chapters" or "markers"`)
	case strings.HasPrefix(t, "<"):
		return FormatPSC, nil // a psc:chapters file, or a feed holding them
	case strings.HasPrefix(t, "WEBVTT"):
		return FormatWebVTT, nil
	case first == "":
		switch ext {
		case ".cue":
			return FormatCUE, nil
		case ".vtt":
			return FormatWebVTT, nil
		case ".csv":
			return FormatReaperCSV, nil
		}
		return fail("empty file")
	}
	if f, ok := guessCSV(first); ok {
		return f, nil
	}
	if guessCUE(t) {
		return FormatCUE, nil
	}
	if ls := strings.SplitN(t, "\n", 3); len(ls) >= 2 && allDigits(strings.TrimSpace(ls[0])) && strings.Contains(ls[1], "-->") {
		return fail("an SRT subtitle file; section it with podmark transcript --transcript")
	}
	if f, ok := guessTimedLines(t); ok {
		return f, nil
	}
	switch {
	case ext == ".cue":
		return FormatCUE, nil
	case ext == ".vtt":
		return FormatWebVTT, nil
	case ext == ".csv":
		return FormatReaperCSV, nil // its reader names what is wrong with the header
	}
	return fail(fmt.Sprintf("no known format matches the first line %q", clip(first, 80)))
}

// clip cuts s to at most n bytes on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// guessCSV recognises the header lines of REAPER's and Audition's marker
// CSVs.
func guessCSV(first string) (Format, bool) {
	if strings.HasPrefix(first, "#,") || strings.HasPrefix(first, "\"#\",") {
		return FormatReaperCSV, true
	}
	if auditionHeader(first) {
		return FormatAuditionCSV, true
	}
	return "", false
}

// guessCUE reports whether the first command of t is a CUE sheet keyword.
func guessCUE(t string) bool {
	for line := range strings.SplitSeq(t, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		word, _, _ := strings.Cut(strings.ToUpper(line), " ")
		switch word {
		case "REM", "FILE", "TITLE", "PERFORMER", "CATALOG", "CDTEXTFILE", "SONGWRITER", "TRACK":
			return true
		}
		return false
	}
	return false
}

// guessTimedLines tells Audacity labels, mp4chaps and YouTube lists apart
// by their lines: START<TAB>END lines are Audacity's; lines that all start
// with HH:MM:SS.mmm followed by a title are mp4chaps; timestamps without
// milliseconds, with separators after them ("0:00 - Intro"), in brackets,
// or among prose are a YouTube list.
func guessTimedLines(t string) (Format, bool) {
	var audacity, mp4, youtube, other int
	zero := false // a timestamp list starts at 0:00
	for line := range strings.SplitSeq(t, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if fields := strings.Split(line, "\t"); len(fields) >= 2 {
			if _, ok := parseSeconds(fields[0]); ok {
				if _, ok := parseSeconds(fields[1]); ok {
					audacity++
					continue
				}
			}
		}
		tok, rest, _ := strings.Cut(strings.Replace(line, "\t", " ", 1), " ")
		if _, ok := parseClock(tok); ok && strings.Count(tok, ":") == 2 && strings.ContainsAny(tok, ".,") && !startsWithSeparator(rest) {
			mp4++
			continue
		}
		if at, _, ok := youTubeLine(line); ok {
			zero = zero || youtube == 0 && at == 0
			youtube++
			continue
		}
		other++
	}
	switch {
	case audacity > 0 && mp4 == 0 && youtube == 0:
		return FormatAudacity, true
	case mp4 > 0 && youtube == 0:
		return FormatMP4Chaps, true // its reader names any line that is not a chapter
	case youtube+mp4 >= 2 || zero:
		// One stray "12:30 lunch" line among prose is no list.
		return FormatYouTube, true
	}
	return "", false
}
