package markers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrBadCut is returned (wrapped) by ParseCut.
var ErrBadCut = errors.New("bad cut")

// Cut is a region removed from the recording, in the recording's time.
type Cut struct{ Start, End time.Duration }

// ParseCut parses "START-END", each a time ParseTime accepts ("83-95.5",
// "1:02:03-1:02:40.250"); END must be after START.
func ParseCut(s string) (Cut, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Cut{}, fmt.Errorf("markers: cut %q: %w: want START-END", s, ErrBadCut)
	}
	start, ok1 := parseClock(strings.TrimSpace(a))
	end, ok2 := parseClock(strings.TrimSpace(b))
	if !ok1 || !ok2 {
		return Cut{}, fmt.Errorf("markers: cut %q: %w: START and END are seconds or h:mm:ss[.fff]", s, ErrBadCut)
	}
	if end <= start {
		return Cut{}, fmt.Errorf("markers: cut %q: %w: END is not after START", s, ErrBadCut)
	}
	return Cut{Start: start, End: end}, nil
}

func (c Cut) String() string {
	return formatMillis(c.Start.Milliseconds()) + "-" + formatMillis(c.End.Milliseconds())
}

// Retime maps recording-time markers to episode time. First the cuts are
// removed (positions are in d's time; overlapping cuts merge; a cut whose
// end is not after its start is ignored): every later position moves earlier
// by the length cut before it. A marker starting inside a cut is clamped to
// the cut point (where the kept audio resumes) rather than dropped, so no
// chapter is lost; a region's end inside a cut is clamped the same way, and a
// region left empty becomes a point marker. Then offset (negative allowed) is
// added; positions that would fall before 0 are clamped to 0. Frames, when
// known, is retimed the same way. Retime does not sort or change ids.
func Retime(d Doc, offset time.Duration, cuts []Cut) Doc {
	d = d.Clone()
	if d.Rate <= 0 {
		return d
	}
	type span struct{ s, e int64 }
	var spans []span
	for _, c := range cuts {
		if c.End > c.Start {
			s := max(DurationToSamples(c.Start, d.Rate), 0)
			spans = append(spans, span{s, DurationToSamples(c.End, d.Rate)})
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	merged := spans[:0]
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.s <= merged[n-1].e {
			merged[n-1].e = max(merged[n-1].e, sp.e)
			continue
		}
		merged = append(merged, sp)
	}
	off := DurationToSamples(offset, d.Rate)
	mapPos := func(p int64) int64 {
		var removed int64
		for _, sp := range merged {
			if p >= sp.e {
				removed += sp.e - sp.s
				continue
			}
			if p > sp.s {
				p = sp.s // inside the cut: clamp to the cut point
			}
			break
		}
		return max(p-removed+off, 0)
	}
	for i := range d.Markers {
		m := &d.Markers[i]
		start := mapPos(m.Sample)
		if m.End != 0 {
			end := mapPos(m.End)
			if end <= start {
				end = 0
			}
			m.End = end
		}
		m.Sample = start
	}
	if d.Frames > 0 {
		d.Frames = mapPos(d.Frames)
	}
	return d
}
