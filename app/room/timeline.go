package room

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/podmark/podmark/markers"
)

// Timeline places markers from several hosts on one host's clock.
// Origins holds each host's sample 0 in seconds on a common reference (the
// watcher's clock, or UTC).
type Timeline struct {
	Origins map[string]float64
	Rates   map[string]int
	Source  string // how the origins were found: "clock" or "utc"
}

// Place returns ms (each on its author's clock) on host's clock at host's
// rate. Markers whose author has no origin are returned in missing.
func (tl Timeline) Place(host string, ms []markers.Marker) (out []markers.Marker, missing []string, err error) {
	o, ok := tl.Origins[host]
	rate := tl.Rates[host]
	if !ok || rate == 0 {
		return nil, nil, fmt.Errorf("room: no clock for timeline host %q", host)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		oa, ok := tl.Origins[m.Author]
		ra := tl.Rates[m.Author]
		if !ok || ra == 0 {
			if !seen[m.Author] {
				missing = append(missing, m.Author)
				seen[m.Author] = true
			}
			continue
		}
		conv := func(s int64) int64 {
			return int64((float64(s)/float64(ra)+oa-o)*float64(rate) + 0.5)
		}
		p := m
		p.Sample = max(conv(m.Sample), 0)
		if m.End != 0 {
			p.End = max(conv(m.End), p.Sample)
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Sample < out[j].Sample })
	return out, missing, nil
}

// UTCTimeline estimates each author's sample 0 from the wall times of its
// markers (median of UTC - position): coarse, as good as the hosts' clocks.
func UTCTimeline(ms []markers.Marker, rates map[string]int) Timeline {
	per := map[string][]float64{}
	for _, m := range ms {
		r := rates[m.Author]
		if r == 0 || m.UTC.IsZero() {
			continue
		}
		per[m.Author] = append(per[m.Author], float64(m.UTC.UnixNano())/1e9-float64(m.Sample)/float64(r))
	}
	tl := Timeline{Origins: map[string]float64{}, Rates: rates, Source: "utc"}
	for h, v := range per {
		sort.Float64s(v)
		tl.Origins[h] = v[len(v)/2]
	}
	return tl
}

// ClockTimeline asks each host for its sample clock (they must be
// recording) and relates them through this podmark's own monotonic clock.
func (c *Client) ClockTimeline(ctx context.Context, hosts []string) (Timeline, error) {
	start := time.Now()
	const ref = 1_000_000 // microseconds
	local := func() (int64, int, bool) { return time.Since(start).Microseconds(), ref, true }
	tl := Timeline{Origins: map[string]float64{}, Rates: map[string]int{}, Source: "clock"}
	for _, h := range hosts {
		e, err := c.MeasureClock(ctx, h, 8, local)
		if err != nil {
			return tl, err
		}
		tl.Origins[h], tl.Rates[h] = e.Offset, e.Rate
	}
	return tl, nil
}

// LastSeq is the room stream's last sequence number (0 = no events yet).
func (c *Client) LastSeq(ctx context.Context) (uint64, error) {
	s, err := c.js.Stream(ctx, c.names.Stream())
	if err != nil {
		return 0, fmt.Errorf("room: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("room: %w", err)
	}
	return info.State.LastSeq, nil
}
