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
)

// Formats lists every format in documentation order.
var Formats = []Format{FormatPodmark, FormatPodcastJSON, FormatPSC, FormatMP4Chaps, FormatWebVTT, FormatYouTube, FormatAudacity, FormatReaperCSV, FormatCUE}

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

// Read reads a marker document in format f. It accepts a UTF-8 byte order
// mark, UTF-16 with a byte order mark, and CRLF line ends. Formats that store
// seconds give a document at DefaultRate. Unreadable input gives a
// *SyntaxError naming the line.
func Read(r io.Reader, f Format) (Doc, error) {
	if !slices.Contains(Formats, f) {
		return Doc{}, fmt.Errorf("markers: read %q: %w", f, ErrUnknownFormat)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return Doc{}, fmt.Errorf("markers: read %s: %w", f, err)
	}
	text, err := decodeText(data)
	if err != nil {
		return Doc{}, textErr(f, err)
	}
	var d Doc
	switch f {
	case FormatPodmark:
		d, err = readPodmark(text)
	case FormatPodcastJSON:
		d, err = readPodcastJSON(text)
	case FormatPSC:
		d, err = readPSC(text)
	case FormatMP4Chaps:
		d, err = readMP4Chaps(text)
	case FormatWebVTT:
		d, err = readWebVTT(text)
	case FormatYouTube:
		d, err = readYouTube(text)
	case FormatAudacity:
		d, err = readAudacity(text)
	case FormatReaperCSV:
		d, err = readReaperCSV(text)
	case FormatCUE:
		d, err = readCUE(text)
	}
	if err != nil {
		return Doc{}, err
	}
	d.sortMarkers()
	return d, nil
}

// ReadFile reads the file at path in format f; when f is empty the format is
// guessed with GuessFormat. Syntax errors name the file.
func ReadFile(path string, f Format) (Doc, Format, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Doc{}, f, fmt.Errorf("markers: %w", err)
	}
	if f == "" {
		if f, err = GuessFormat(path, data); err != nil {
			return Doc{}, f, err
		}
	}
	d, err := Read(bytes.NewReader(data), f)
	if se, ok := errors.AsType[*SyntaxError](err); ok {
		se.File = path
	}
	return d, f, err
}

// decodeText turns file bytes into a string with "\n" line ends: it drops a
// UTF-8 byte order mark, decodes UTF-16 with a byte order mark, and rejects
// other invalid UTF-8.
func decodeText(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		b = b[3:]
	case len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff):
		le := b[0] == 0xff
		b = b[2:]
		if len(b)%2 != 0 {
			return "", errors.New("odd-length UTF-16 text")
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
		return "", &badTextError{line: 1 + bytes.Count(b[:invalidAt(b)], []byte{'\n'})}
	}
	s := string(b)
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s, nil
}

// badTextError reports input that is not UTF-8 text.
type badTextError struct{ line int }

func (e *badTextError) Error() string { return "not UTF-8 text" }

// textErr turns a decodeText error into a *SyntaxError.
func textErr(f Format, err error) error {
	if bt, ok := errors.AsType[*badTextError](err); ok {
		return &SyntaxError{Format: f, Line: bt.line, Msg: bt.Error()}
	}
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

// GuessFormat guesses a file's format from its name and first bytes. It
// returns ErrUnknownFormat (wrapped) when the guess would be ambiguous.
func GuessFormat(name string, head []byte) (Format, error) {
	text, _ := decodeText(head)
	t := strings.TrimSpace(text)
	lower := strings.ToLower(name)
	ext := filepath.Ext(lower)
	fail := func(why string) (Format, error) {
		return "", fmt.Errorf("markers: %s: %w: %s; name it with --from", name, ErrUnknownFormat, why)
	}
	switch {
	case ext == ".jsonl":
		return "", fmt.Errorf("markers: %s: %w: a marker journal; convert its session folder (session.json holds the sample rate)", name, ErrUnknownFormat)
	case strings.HasPrefix(t, "{") || ext == ".json":
		switch {
		case strings.Contains(t, `"chapters"`):
			return FormatPodcastJSON, nil
		case strings.Contains(t, `"markers"`), strings.Contains(t, `"rate"`):
			return FormatPodmark, nil
		}
		return fail("JSON without \"chapters\" or \"markers\"")
	case strings.HasPrefix(t, "<") || ext == ".xml" || ext == ".psc":
		return FormatPSC, nil
	case strings.HasPrefix(t, "WEBVTT") || ext == ".vtt":
		return FormatWebVTT, nil
	case ext == ".cue":
		return FormatCUE, nil
	case strings.HasPrefix(t, "#,") || ext == ".csv":
		return FormatReaperCSV, nil
	}
	first := ""
	for line := range strings.SplitSeq(t, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			first = line
			break
		}
	}
	if first == "" {
		return fail("empty file")
	}
	up := strings.ToUpper(first)
	for _, kw := range []string{"REM ", "FILE ", "TITLE ", "PERFORMER ", "CATALOG "} {
		if strings.HasPrefix(up, kw) {
			return FormatCUE, nil
		}
	}
	if fields := strings.Split(first, "\t"); len(fields) >= 2 {
		if _, ok := parseSeconds(fields[0]); ok {
			return FormatAudacity, nil
		}
	}
	tok, _, _ := strings.Cut(first, " ")
	if _, ok := parseClock(tok); ok {
		if strings.Count(tok, ":") == 2 && strings.ContainsAny(tok, ".,") {
			return FormatMP4Chaps, nil
		}
		if strings.Contains(tok, ":") {
			if strings.Contains(lower, "youtube") {
				return FormatYouTube, nil
			}
			if strings.Contains(lower, "chap") {
				return FormatMP4Chaps, nil
			}
			return fail("timestamps without milliseconds fit both mp4chaps and youtube")
		}
	}
	if strings.Contains(lower, "youtube") {
		return FormatYouTube, nil
	}
	return fail("no known format matches the first line")
}
