package markers

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Clone returns a copy of d whose marker slice can be changed freely.
func (d Doc) Clone() Doc {
	d.Markers = slices.Clone(d.Markers)
	d.public = slices.Clone(d.public)
	return d
}

// sortMarkers sorts d's markers by start, keeping the order of equal starts.
func (d *Doc) sortMarkers() {
	slices.SortStableFunc(d.Markers, func(a, b Marker) int {
		switch {
		case a.Sample < b.Sample:
			return -1
		case a.Sample > b.Sample:
			return 1
		}
		return 0
	})
}

// Sorted returns a copy of d with its markers in time order (equal starts
// keep their order).
func (d Doc) Sorted() Doc {
	d = d.Clone()
	d.sortMarkers()
	return d
}

// Public returns a copy of d keeping only the markers of the given kinds
// (DefaultPublic when none are given). Public chapter formats written from
// the result carry exactly those kinds, so Public(Topic) hides sponsors and
// Public(Topic, Note) would publish notes too.
func (d Doc) Public(kinds ...Kind) Doc {
	if len(kinds) == 0 {
		kinds = DefaultPublic
	}
	out := d.Clone()
	out.public = slices.Clone(kinds)
	out.Markers = out.Markers[:0]
	for _, m := range d.Markers {
		if slices.Contains(kinds, m.Kind) {
			out.Markers = append(out.Markers, m)
		}
	}
	return out
}

// WithPublic returns a copy of d whose public chapter formats carry the
// given kinds (DefaultPublic when none are given), keeping every marker for
// the editor formats. Public, by contrast, also drops the other markers.
func (d Doc) WithPublic(kinds ...Kind) Doc {
	if len(kinds) == 0 {
		kinds = DefaultPublic
	}
	d = d.Clone()
	d.public = slices.Clone(kinds)
	return d
}

// PublicKinds is the set of kinds public chapter formats write from d: the
// set given to Public, or DefaultPublic.
func (d Doc) PublicKinds() []Kind {
	if d.public != nil {
		return slices.Clone(d.public)
	}
	return slices.Clone(DefaultPublic)
}

// Chapters returns d's public markers (see PublicKinds) in time order,
// hidden chapters included: what podcast-namespace JSON carries. TOC gives
// the chapters a table of contents lists.
func (d Doc) Chapters() []Marker {
	kinds := d.PublicKinds()
	var out []Marker
	for _, m := range d.Markers {
		if slices.Contains(kinds, m.Kind) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Marker) int {
		switch {
		case a.Sample < b.Sample:
			return -1
		case a.Sample > b.Sample:
			return 1
		}
		return 0
	})
	return out
}

// TOC reports whether f lists chapters as a table of contents listeners
// jump through (Podlove Simple Chapters, mp4chaps, WebVTT chapters, a
// YouTube list, CUE tracks): hidden chapters are left out of them.
func (f Format) TOC() bool {
	switch f {
	case FormatPSC, FormatMP4Chaps, FormatWebVTT, FormatYouTube, FormatCUE:
		return true
	}
	return false
}

// TOC returns the chapters a table of contents lists: the public markers
// in time order, without hidden ones.
func (d Doc) TOC() []Marker {
	return slices.DeleteFunc(d.Chapters(), func(m Marker) bool { return m.Hidden })
}

// ChaptersFor returns the chapters format f carries: TOC for a
// table-of-contents format, Chapters otherwise.
func (d Doc) ChaptersFor(f Format) []Marker {
	if f.TOC() {
		return d.TOC()
	}
	return d.Chapters()
}

// hiddenCount is how many of d's public markers are hidden chapters.
func (d Doc) hiddenCount() int {
	n := 0
	for _, m := range d.Chapters() {
		if m.Hidden {
			n++
		}
	}
	return n
}

// ID3MaxChapters is the most chapters an ID3v2 table of contents (CTOC)
// lists: its entry count is one byte.
const ID3MaxChapters = 255

// ID3Chapter is one chapter as an MP3's ID3v2 tag holds it (a CHAP frame
// listed in the CTOC): Start and End on the audio's timeline, the URL in
// ASCII for the WXXX frame.
type ID3Chapter struct {
	ID, Title, URL string
	Start, End     time.Duration
}

// ID3Chapters returns the chapters an MP3 of frames frames carries in its
// ID3v2 tag: d's table-of-contents chapters (TOC) that start before the
// end, each ending where the next begins and the last at the end of the
// audio; of chapters sharing a millisecond the later one is kept; at most
// ID3MaxChapters; non-ASCII bytes of URLs percent-encoded.
func (d Doc) ID3Chapters(frames int64) []ID3Chapter {
	var ms []Marker
	for _, m := range d.TOC() {
		if m.Sample < 0 || m.Sample >= frames {
			continue
		}
		if n := len(ms); n > 0 && millis(ms[n-1].Sample, d.Rate) == millis(m.Sample, d.Rate) {
			ms[n-1] = m // the later one wins a shared millisecond
			continue
		}
		ms = append(ms, m)
	}
	ms = ms[:min(len(ms), ID3MaxChapters)]
	out := make([]ID3Chapter, 0, len(ms))
	for i, m := range ms {
		end := frames
		if i+1 < len(ms) {
			end = ms[i+1].Sample
		}
		out = append(out, ID3Chapter{
			ID: fmt.Sprintf("chp%d", i), Title: m.Title, URL: asciiURL(m.URL),
			Start: SamplesToDuration(m.Sample, d.Rate), End: SamplesToDuration(end, d.Rate),
		})
	}
	return out
}

// asciiURL percent-encodes the non-ASCII and control bytes of a URL, as
// the ID3 WXXX frame's Latin-1 URL needs.
func asciiURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		if c := u[i]; c >= 0x80 || c < 0x20 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
