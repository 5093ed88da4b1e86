package markers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is matched (errors.Is) by *ValidationError.
var ErrInvalid = errors.New("invalid markers")

// LongTitle is the title length, in characters, above which validation
// warns: podcast apps and YouTube cut longer chapter titles.
const LongTitle = 80

// MinChapter is the shortest chapter worth a listener's jump: one shorter
// is two presses in a row (the rundown's next and then a topic, a topic
// pressed twice, a topic just before Stop), and the later press is what the
// host meant. Export drops such chapters from the public files (FoldShort);
// validation warns about them.
const MinChapter = time.Second

// YouTube's chapter rules.
const (
	YouTubeMinChapters = 3
	YouTubeMinSeconds  = 10
)

// CUEMaxTracks is the most tracks a CUE sheet can hold.
const CUEMaxTracks = 99

// Issue codes, stable for scripts.
const (
	CodeBadRate         = "bad-rate"
	CodeBadMarker       = "bad-marker"
	CodeDuplicateID     = "duplicate-id"
	CodeUnsorted        = "unsorted"
	CodeNoChapters      = "no-chapters"
	CodeFirstNotZero    = "first-not-zero"
	CodeDuplicateTime   = "duplicate-time"
	CodeShortChapter    = "short-chapter"
	CodePastEnd         = "past-end"
	CodeEmptyTitle      = "empty-title"
	CodeLongTitle       = "long-title"
	CodeLineBreak       = "title-line-break"
	CodeYouTubeFirst    = "youtube-first"
	CodeYouTubeTooFew   = "youtube-too-few"
	CodeYouTubeTooShort = "youtube-too-short"
	CodeCUETooMany      = "cue-too-many-tracks"
	CodeHidden          = "hidden-chapters"
)

// Issue is one finding of validation.
type Issue struct {
	Code  string // one of the Code… constants
	ID    string // the marker's id; "" for the whole document
	Time  string // the marker's position as HH:MM:SS.mmm; "" for the whole document
	Title string // the marker's title
	Msg   string // what is wrong
	Fix   string // what Fix (or --fix) would do about it; "" when it cannot
}

func (i Issue) String() string {
	var b strings.Builder
	if i.Time != "" {
		fmt.Fprintf(&b, "%s %q: ", i.Time, i.Title)
	}
	b.WriteString(i.Msg)
	fmt.Fprintf(&b, " [%s]", i.Code)
	if i.Fix != "" {
		fmt.Fprintf(&b, " (fix: %s)", i.Fix)
	}
	return b.String()
}

// Report is the result of validation: errors stop a format from being
// written, warnings do not.
type Report struct {
	Errors   []Issue
	Warnings []Issue
}

// OK reports whether r has no errors.
func (r Report) OK() bool { return len(r.Errors) == 0 }

// String lists the issues, errors first, one a line.
func (r Report) String() string {
	var b strings.Builder
	for _, i := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", i)
	}
	for _, i := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", i)
	}
	return b.String()
}

// ValidationError is returned by Write for a document with errors for the
// format.
type ValidationError struct {
	Format Format
	Report Report
}

func (e *ValidationError) Error() string {
	msgs := make([]string, 0, len(e.Report.Errors))
	for _, i := range e.Report.Errors {
		msgs = append(msgs, i.String())
	}
	return fmt.Sprintf("markers: cannot write %s: %s", e.Format, strings.Join(msgs, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Validate checks d as a source of public chapters: every marker sane and
// ids unique; the public chapters (Doc.PublicKinds) starting at 0, at
// distinct times, before the audio's end (when Frames is known), with
// non-empty titles of reasonable length. YouTube's rules (first at 0:00, at
// least 3 chapters, each at least 10 s) are reported as warnings; ValidateFor
// with FormatYouTube makes them errors.
func Validate(d Doc) Report { return validate(d, "") }

// ValidateFor checks d as Write would before writing format f: marker
// sanity for every format, the chapter rules for public formats (and for the
// tracks of a CUE sheet), YouTube's rules as errors for FormatYouTube.
func ValidateFor(d Doc, f Format) Report { return validate(d, f) }

func validate(d Doc, f Format) Report {
	c := &checker{d: d, f: f, yt: f == FormatYouTube}
	if d.Rate <= 0 {
		c.errorf(nil, CodeBadRate, "", "sample rate %d is not positive", d.Rate)
		return c.r
	}
	c.markers()
	if f != "" && !f.Public() && f != FormatCUE {
		return c.r
	}
	c.chapters()
	return c.r
}

// checker collects the issues of a document for a format ("" = any).
type checker struct {
	d  Doc
	f  Format
	yt bool // the format is YouTube's
	r  Report
}

func (c *checker) issue(m *Marker, code, fix, format string, args ...any) Issue {
	i := Issue{Code: code, Msg: fmt.Sprintf(format, args...), Fix: fix}
	if m != nil {
		i.ID, i.Time, i.Title = m.ID, FormatTime(m.Sample, c.d.Rate), m.Title
	}
	return i
}

func (c *checker) errorf(m *Marker, code, fix, format string, args ...any) {
	c.r.Errors = append(c.r.Errors, c.issue(m, code, fix, format, args...))
}

func (c *checker) warnf(m *Marker, code, fix, format string, args ...any) {
	c.r.Warnings = append(c.r.Warnings, c.issue(m, code, fix, format, args...))
}

// ytIssue reports a YouTube rule: an error for YouTube, a warning for any
// format, nothing for another format.
func (c *checker) ytIssue(m *Marker, code, fix, format string, args ...any) {
	switch {
	case c.yt:
		c.errorf(m, code, fix, format, args...)
	case c.f == "":
		c.warnf(m, code, fix, format, args...)
	}
}

// key is m's start at the format's time resolution.
func (c *checker) key(m Marker) int64 { return formatKey(c.f, c.d.Rate, m) }

// formatKey is m's start at format f's time resolution: two chapters with
// one key start at the same time for the format.
func formatKey(f Format, rate int, m Marker) int64 {
	switch f {
	case FormatYouTube:
		return m.Sample / int64(rate)
	case FormatCUE:
		return cueFrames(m.Sample, rate)
	}
	return millis(m.Sample, rate)
}

// markers checks every marker on its own: valid, unique ID, order, end.
func (c *checker) markers() {
	d, f := c.d, c.f
	ids := make(map[string]bool, len(d.Markers))
	for i := range d.Markers {
		m := &d.Markers[i]
		if err := m.check(); err != nil {
			c.errorf(m, CodeBadMarker, "", "%s", strings.TrimPrefix(err.Error(), "markers: "))
		}
		if m.ID != "" && ids[m.ID] {
			c.errorf(m, CodeDuplicateID, "", "id %q used twice", m.ID)
		}
		ids[m.ID] = true
		if i > 0 && m.Sample < d.Markers[i-1].Sample {
			if !slices.ContainsFunc(c.r.Warnings, func(i Issue) bool { return i.Code == CodeUnsorted }) {
				c.warnf(m, CodeUnsorted, "sorted when written", "markers are not in time order")
			}
		}
		if d.Frames > 0 && m.Sample >= d.Frames && !f.Public() && f != "" && f != FormatCUE {
			c.warnf(m, CodePastEnd, "", "starts at or after the end of the audio (%s)", FormatTime(d.Frames, d.Rate))
		}
	}
}

// chapters checks the chapter rules. Hidden chapters (toc: false) are no
// table-of-contents entries: the rules hold for the others, and
// table-of-contents formats leave them out.
func (c *checker) chapters() {
	d, f := c.d, c.f
	ch := d.TOC()
	if n := d.hiddenCount(); n > 0 && f.TOC() {
		c.warnf(nil, CodeHidden, "", "%d hidden chapter(s) (toc: false) left out of %s: they are not table-of-contents entries (podcast-json keeps them)", n, f)
	}
	if f == FormatCUE && len(ch) > CUEMaxTracks {
		c.errorf(nil, CodeCUETooMany, "", "%d chapters: a CUE sheet holds at most %d tracks", len(ch), CUEMaxTracks)
	}
	if len(ch) == 0 {
		if c.yt {
			c.errorf(nil, CodeYouTubeTooFew, "", "no public chapters (YouTube needs at least %d)", YouTubeMinChapters)
		} else {
			c.warnf(nil, CodeNoChapters, "", "no public chapters (kinds %s)", kindList(d.PublicKinds()))
		}
		return
	}
	if c.key(ch[0]) != 0 {
		const fix = `insert an "Intro" chapter at 0:00`
		if c.yt {
			c.errorf(&ch[0], CodeYouTubeFirst, fix, "YouTube needs the first chapter at 0:00")
		} else {
			c.warnf(&ch[0], CodeFirstNotZero, fix, "the first chapter does not start at 0")
			c.ytIssue(&ch[0], CodeYouTubeFirst, fix, "YouTube needs the first chapter at 0:00")
		}
	}
	if len(ch) < YouTubeMinChapters {
		c.ytIssue(nil, CodeYouTubeTooFew, "", "%d chapters: YouTube shows chapters only with at least %d", len(ch), YouTubeMinChapters)
	}
	for i := range ch {
		c.chapter(ch, i)
	}
}

// chapter checks chapter i of ch: time, title and length.
func (c *checker) chapter(ch []Marker, i int) {
	d := c.d
	m := &ch[i]
	if i > 0 && c.key(*m) == c.key(ch[i-1]) {
		c.errorf(m, CodeDuplicateTime, "keep the later chapter", "starts at the same time as %q", ch[i-1].Title)
	}
	if d.Frames > 0 && m.Sample >= d.Frames {
		c.errorf(m, CodePastEnd, "drop it", "starts at or after the end of the audio (%s)", FormatTime(d.Frames, d.Rate))
	}
	switch t := oneLine(m.Title); {
	case t == "":
		c.errorf(m, CodeEmptyTitle, `title it "Chapter N" (or "Sponsor")`, "empty title")
	case utf8.RuneCountInString(t) > LongTitle:
		c.warnf(m, CodeLongTitle, "", "title is %d characters; players cut titles longer than %d", utf8.RuneCountInString(t), LongTitle)
	}
	if oneLine(m.Title) != strings.TrimSpace(m.Title) {
		c.warnf(m, CodeLineBreak, "", "title has line breaks or control characters (written as spaces)")
	}
	end := d.Frames
	if i+1 < len(ch) {
		end = ch[i+1].Sample
	}
	if n := end - m.Sample; end > 0 && n > 0 && n < minChapterFrames(d.Rate) {
		c.warnf(m, CodeShortChapter, "drop it (keep the later chapter)", "chapter is only %s long", shortLength(n, d.Rate))
	}
	if end > 0 && end > m.Sample && end-m.Sample < int64(YouTubeMinSeconds*d.Rate) {
		c.ytIssue(m, CodeYouTubeTooShort, "merge it into the chapter before", "chapter is shorter than %d s (YouTube's minimum)", YouTubeMinSeconds)
	}
}

func kindList(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// Fix repairs what it can of d's public chapters for format f (Validate's
// rules when f is ""), and says what it did, one note per change:
// empty titles become "Chapter N" (or "Sponsor"); chapters at or after the
// audio's end are dropped; of two chapters at the same time, or less than
// MinChapter apart, the later one is kept (FoldShort); a
// chapter "Intro" is inserted at 0 when the first starts later (a
// first chapter already titled "Intro" is moved to 0 instead); for
// YouTube a chapter shorter than 10 s is merged into the one before (the
// first chapter's successor moves to 0:00 instead). Editor-only markers are
// never changed. Fix cannot add chapters YouTube needs.
func Fix(d Doc, f Format) (Doc, []string) {
	d = d.Sorted()
	if d.Rate <= 0 {
		return d, nil
	}
	x := &fixer{d: d, f: f, public: d.PublicKinds()}
	x.titles()
	x.pastEnd()
	x.short()
	x.intro()
	if f == FormatYouTube {
		x.youTubeMinimum()
	}
	return x.d, x.notes
}

// fixer holds a document being fixed for a format, step by step.
type fixer struct {
	d      Doc
	f      Format
	public []Kind
	notes  []string
}

func (x *fixer) note(format string, args ...any) {
	x.notes = append(x.notes, fmt.Sprintf(format, args...))
}

func (x *fixer) at(m Marker) string { return FormatTime(m.Sample, x.d.Rate) }

// isCh reports whether m is a chapter of the format.
func (x *fixer) isCh(m Marker) bool { return slices.Contains(x.public, m.Kind) && !m.Hidden }

// key is m's start at the format's resolution: two chapters with one key
// start at the same time for the format.
func (x *fixer) key(m Marker) int64 { return formatKey(x.f, x.d.Rate, m) }

// drop removes the markers pred holds for.
func (x *fixer) drop(pred func(i int, m Marker) bool) {
	out := x.d.Markers[:0:0]
	for i, m := range x.d.Markers {
		if !pred(i, m) {
			out = append(out, m)
		}
	}
	x.d.Markers = out
}

// titles names untitled chapters.
func (x *fixer) titles() {
	n := 0
	for i := range x.d.Markers {
		m := &x.d.Markers[i]
		if !x.isCh(*m) {
			continue
		}
		n++
		if oneLine(m.Title) == "" {
			m.Title = fmt.Sprintf("Chapter %d", n)
			if m.Kind == Sponsor {
				m.Title = "Sponsor"
			}
			x.note("%s: empty title set to %q", x.at(*m), m.Title)
		}
	}
}

// pastEnd drops chapters that start after the audio's end.
func (x *fixer) pastEnd() {
	if x.d.Frames <= 0 {
		return
	}
	x.drop(func(_ int, m Marker) bool {
		if x.isCh(m) && m.Sample >= x.d.Frames {
			x.note("%s %q: dropped, it starts after the audio's end", x.at(m), m.Title)
			return true
		}
		return false
	})
}

// FoldShort drops every chapter (a public marker, not hidden) shorter than
// MinChapter: one the next chapter follows within it, or the last one when
// the audio (d.Frames) ends within it. Of a burst of presses the last is
// kept. Editor-only markers and hidden chapters are kept as they are. The
// notes say what was dropped, one a chapter.
func FoldShort(d Doc) (Doc, []string) {
	d = d.Sorted()
	if d.Rate <= 0 {
		return d, nil
	}
	x := &fixer{d: d, public: d.PublicKinds()}
	x.short()
	return x.d, x.notes
}

// short drops chapters shorter than MinChapter (FoldShort), among them
// those that start at the same time as the next at the format's resolution
// (a whole second for YouTube).
func (x *fixer) short() {
	limit := minChapterFrames(x.d.Rate)
	x.drop(func(i int, m Marker) bool {
		if !x.isCh(m) {
			return false
		}
		for _, next := range x.d.Markers[i+1:] {
			if !x.isCh(next) {
				continue
			}
			if x.key(next) == x.key(m) {
				x.note("%s %q: dropped, %q starts at the same time", x.at(m), m.Title, next.Title)
				return true
			}
			if n := next.Sample - m.Sample; n < limit {
				x.note("%s %q: dropped, %q starts %s later (a chapter shorter than %s)", x.at(m), m.Title, next.Title, shortLength(n, x.d.Rate), MinChapter)
				return true
			}
			return false
		}
		if n := x.d.Frames - m.Sample; x.d.Frames > 0 && n > 0 && n < limit {
			x.note("%s %q: dropped, the audio ends %s later (a chapter shorter than %s)", x.at(m), m.Title, shortLength(n, x.d.Rate), MinChapter)
			return true
		}
		return false
	})
}

// minChapterFrames is MinChapter in frames at rate.
func minChapterFrames(rate int) int64 { return int64(rate) * int64(MinChapter) / int64(time.Second) }

// shortLength says n frames at rate, shorter than a second, in milliseconds.
func shortLength(n int64, rate int) string { return fmt.Sprintf("%d ms", n*1000/int64(rate)) }

// intro makes the first chapter start at 0.
func (x *fixer) intro() {
	ch := x.d.TOC()
	if len(ch) == 0 || x.key(ch[0]) == 0 {
		return
	}
	if strings.EqualFold(oneLine(ch[0].Title), "intro") {
		// The first chapter is the intro already (the episode gained a
		// jingle before it): start it at 0 rather than add a second one.
		for k := range x.d.Markers {
			if m := &x.d.Markers[k]; m.ID == ch[0].ID {
				x.note("%s %q: moved to 0:00", x.at(*m), m.Title)
				m.Sample = 0
			}
		}
		x.d.sortMarkers()
		return
	}
	intro := Marker{ID: NewID(), Kind: Topic, Title: "Intro", Sample: 0}
	if !slices.Contains(x.public, Topic) {
		intro.Kind = ch[0].Kind
	}
	x.d.Markers = append([]Marker{intro}, x.d.Markers...)
	x.note(`inserted chapter "Intro" at 0:00`)
}

// youTubeMinimum merges chapters shorter than YouTube's minimum into the
// one before (the first into the one after), one at a time.
func (x *fixer) youTubeMinimum() {
	for x.mergeShortChapter() {
		x.d.sortMarkers()
	}
}

// mergeShortChapter merges the first chapter shorter than YouTube's
// minimum and reports whether it found one.
func (x *fixer) mergeShortChapter() bool {
	minLen := int64(YouTubeMinSeconds * x.d.Rate)
	ch := x.d.TOC()
	for i, m := range ch {
		end := x.d.Frames
		if i+1 < len(ch) {
			end = ch[i+1].Sample
		}
		if end <= m.Sample || end-m.Sample >= minLen {
			continue
		}
		switch {
		case i == 0 && i+1 < len(ch):
			next := ch[1].ID
			x.drop(func(_ int, o Marker) bool { return o.ID == m.ID })
			for k := range x.d.Markers {
				if n := &x.d.Markers[k]; n.ID == next {
					x.note("%s %q: dropped, shorter than %d s; %q moved to 0:00", x.at(m), m.Title, YouTubeMinSeconds, n.Title)
					n.Sample = 0
				}
			}
		case i > 0:
			x.note("%s %q: merged into %q, shorter than %d s", x.at(m), m.Title, ch[i-1].Title, YouTubeMinSeconds)
			x.drop(func(_ int, o Marker) bool { return o.ID == m.ID })
		default:
			continue
		}
		return true
	}
	return false
}
