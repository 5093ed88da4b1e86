package ui

import (
	"strings"
	"unicode"

	"github.com/podmark/podmark/markers"
)

// Segment is one planned item of the show's rundown.
type Segment struct {
	Title string
	Kind  markers.Kind // markers.Topic, or markers.Sponsor for a "sponsor:" line
}

// ParseRundown reads planned segments, one per line. Blank lines and
// Markdown headings' hashes, list bullets ("-", "*", "+", "1.", "1)") and
// task boxes ("[ ]", "[x]") are stripped; a line starting with "sponsor:"
// (any case) is a sponsor read whose title is the rest of the line.
func ParseRundown(text string) []Segment {
	var segs []Segment
	for _, line := range strings.Split(text, "\n") {
		s := stripListMarker(strings.TrimSpace(line))
		if s == "" {
			continue
		}
		kind := markers.Topic
		if len(s) >= len("sponsor:") && strings.EqualFold(s[:len("sponsor:")], "sponsor:") {
			kind = markers.Sponsor
			s = strings.TrimSpace(s[len("sponsor:"):])
			if s == "" {
				s = "Sponsor"
			}
		}
		segs = append(segs, Segment{Title: s, Kind: kind})
	}
	return segs
}

// stripListMarker removes one Markdown heading or list prefix and a task box.
func stripListMarker(s string) string {
	switch {
	case strings.HasPrefix(s, "#"):
		s = strings.TrimLeft(s, "#")
	case strings.HasPrefix(s, "- "), strings.HasPrefix(s, "* "), strings.HasPrefix(s, "+ "):
		s = s[2:]
	default:
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i > 0 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && s[i+1] == ' ' {
			s = s[i+2:]
		}
	}
	s = strings.TrimSpace(s)
	for _, box := range []string{"[ ] ", "[x] ", "[X] "} {
		if strings.HasPrefix(s, box) {
			s = s[len(box):]
			break
		}
	}
	return strings.TrimFunc(s, unicode.IsSpace)
}

// Rundown tracks progress through the planned segments: segments before
// Next() are done, the last one started is current, the rest upcoming.
// It is not safe for concurrent use; the window uses it on the UI goroutine
// and under its own lock from the hotkey goroutine.
type Rundown struct {
	Segments []Segment
	next     int // index of the next segment to start
}

// SegmentState is where a segment stands in the show.
type SegmentState int

const (
	SegmentUpcoming SegmentState = iota
	SegmentCurrent
	SegmentDone
)

// State reports whether segment i is done, current or upcoming.
func (r *Rundown) State(i int) SegmentState {
	switch {
	case i < r.next-1:
		return SegmentDone
	case i == r.next-1:
		return SegmentCurrent
	default:
		return SegmentUpcoming
	}
}

// Advance returns the next planned segment and moves past it; ok is false
// when the rundown is exhausted.
func (r *Rundown) Advance() (seg Segment, ok bool) {
	if r.next >= len(r.Segments) {
		return Segment{}, false
	}
	seg = r.Segments[r.next]
	r.next++
	return seg, true
}

// Peek returns the next planned segment without advancing.
func (r *Rundown) Peek() (Segment, bool) {
	if r.next >= len(r.Segments) {
		return Segment{}, false
	}
	return r.Segments[r.next], true
}

// Reset sets new segments and starts over.
func (r *Rundown) Reset(segs []Segment) { r.Segments, r.next = segs, 0 }

// Started reports how many segments have been started.
func (r *Rundown) Started() int { return r.next }
