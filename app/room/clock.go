package room

import (
	"context"
	"fmt"
	"math"
	"time"
)

// ClockEstimate relates another host's sample clock to this host's: the
// other host's sample 0 lies at Offset seconds on this host's clock
// (positive = the other started later), measured through a round trip of
// RTT seconds (the estimate is within RTT/2 of the truth).
type ClockEstimate struct {
	Host     string    `json:"host"`
	Rate     int       `json:"rate"`
	Offset   float64   `json:"offset"` // seconds: other's sample 0 on this host's clock
	RTT      float64   `json:"rtt"`    // seconds, of the best round trip
	Rounds   int       `json:"rounds"` // round trips tried
	At       float64   `json:"at"`     // seconds: the other's clock at the measurement
	Measured time.Time `json:"measured"`
}

// MeasureClock asks host for its sample clock rounds times (NTP-style) and
// keeps the round trip with the smallest RTT; local reads this host's
// sample clock (position, rate). Both clocks must be running.
func (c *Client) MeasureClock(ctx context.Context, host string, rounds int, local func() (int64, int, bool)) (ClockEstimate, error) {
	if rounds < 1 {
		rounds = 1
	}
	req, err := Encode(ClockRequest{V: Version, From: c.cfg.Host})
	if err != nil {
		return ClockEstimate{}, err
	}
	best := ClockEstimate{Host: host, RTT: -1}
	for i := 0; i < rounds; i++ {
		p1, rate, ok1 := local()
		t1 := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		msg, err := c.nc.RequestWithContext(rctx, c.names.Clock(host), req)
		cancel()
		t2 := time.Now()
		p2, _, ok2 := local()
		if err != nil {
			if ctx.Err() != nil {
				return best, ctx.Err()
			}
			continue
		}
		rep, err := Decode[ClockReply](msg.Data, 0)
		if err != nil || rep.Host != host {
			c.log(fmt.Sprintf("dropped clock reply from %s: %v", host, err))
			continue
		}
		if !ok1 || !ok2 || !rep.Running {
			continue
		}
		rtt := t2.Sub(t1).Seconds()
		if best.RTT >= 0 && rtt >= best.RTT {
			continue
		}
		// The reply was read at the midpoint of the round trip, on both
		// sample clocks: mid (here) = rep.Position (there).
		mid := (float64(p1) + float64(p2)) / 2 / float64(rate)
		at := float64(rep.Position) / float64(rep.Rate)
		best = ClockEstimate{Host: host, Rate: rep.Rate, Offset: mid - at, At: at, RTT: rtt, Measured: time.Now().UTC()}
	}
	best.Rounds = rounds
	if best.RTT < 0 {
		return best, fmt.Errorf("room: clock of %s: no usable answer in %d round trips", host, rounds)
	}
	return best, nil
}

// ClockFit is the offset and drift of another host's clock fitted from a
// series of measurements: the other's time p (seconds) is this host's time
// Offset + p*(1+DriftPPM/1e6).
type ClockFit struct {
	Host         string
	Rate         int
	Offset       float64 // seconds: the other's sample 0 on this host's clock
	DriftPPM     float64 // 0 unless the measurements span long enough to tell
	RTT          float64 // the best round trip used
	Measurements int     // measurements used
	Span         float64 // seconds of the other's clock they cover
	Measured     time.Time
}

// Drift is fitted only from measurements that span at least DriftSpanRTTs
// times their worst round trip (the error of each offset is within RTT/2,
// so the drift is then known to about 20 ppm or better), and is dropped
// beyond MaxClockDriftPPM (no sound card is that far off: the measurements
// are wrong).
const (
	DriftSpanRTTs    = 50000
	MaxClockDriftPPM = 1000
)

// FitClock fits offset and drift to measurements of one host (in any
// order). Rounds much slower than the best (over 3× its RTT, a congested
// moment) are left out. With too short a span the drift is 0 and the
// offset is the best round trip's.
func FitClock(es []ClockEstimate) (ClockFit, bool) {
	if len(es) == 0 {
		return ClockFit{}, false
	}
	best := es[0]
	for _, e := range es {
		if e.RTT < best.RTT {
			best = e
		}
	}
	var used []ClockEstimate
	worst, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	latest := best.Measured
	for _, e := range es {
		if e.RTT > 3*best.RTT+50e-6 {
			continue
		}
		used = append(used, e)
		worst, lo, hi = max(worst, e.RTT), min(lo, e.At), max(hi, e.At)
		if e.Measured.After(latest) {
			latest = e.Measured
		}
	}
	fit := ClockFit{Host: best.Host, Rate: best.Rate, Offset: best.Offset, RTT: best.RTT,
		Measurements: 1, Span: 0, Measured: latest}
	if len(used) < 3 || hi-lo < DriftSpanRTTs*worst {
		return fit, true
	}
	// Weighted least squares of offset against the other's time; weight
	// 1/RTT² (the error bound of each point is RTT/2).
	var sw, sx, sy, sxx, sxy float64
	for _, e := range used {
		w := 1 / math.Max(e.RTT*e.RTT, 1e-12)
		sw += w
		sx += w * e.At
		sy += w * e.Offset
		sxx += w * e.At * e.At
		sxy += w * e.At * e.Offset
	}
	den := sw*sxx - sx*sx
	if den <= 0 {
		return fit, true
	}
	d := (sw*sxy - sx*sy) / den
	if math.Abs(d)*1e6 > MaxClockDriftPPM {
		return fit, true
	}
	fit.DriftPPM = d * 1e6
	fit.Offset = (sy - d*sx) / sw
	fit.Measurements, fit.Span = len(used), hi-lo
	return fit, true
}
