package room

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
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
		best = ClockEstimate{Host: host, Rate: rep.Rate, Offset: mid - float64(rep.Position)/float64(rep.Rate), RTT: rtt, Measured: time.Now().UTC()}
	}
	best.Rounds = rounds
	if best.RTT < 0 {
		return best, fmt.Errorf("room: clock of %s: no usable answer in %d round trips", host, rounds)
	}
	return best, nil
}

// ClockFileName is where a host keeps its clock estimates, in its session
// folder.
const ClockFileName = "room/clock.json"

// ClockFile is room/clock.json: this host's estimates of the other hosts'
// clocks, the latest per host.
type ClockFile struct {
	Version   int             `json:"version"`
	Host      string          `json:"host"`
	Rate      int             `json:"rate"`
	Estimates []ClockEstimate `json:"estimates"`
}

// WriteClockFile writes doc to path atomically.
func WriteClockFile(path string, doc ClockFile) error {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// ReadClockFile reads room/clock.json.
func ReadClockFile(path string) (ClockFile, error) {
	var doc ClockFile
	b, err := os.ReadFile(path)
	if err != nil {
		return doc, fmt.Errorf("room: %w", err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return doc, fmt.Errorf("room: %s: %w", path, err)
	}
	return doc, nil
}
