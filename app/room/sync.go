package room

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Synced is what SendOutbox did.
type Synced struct {
	Sent     int // marker events from the outbox the relay acknowledged
	Received int // other hosts' marker events newly added to room/markers.jsonl
}

// SendOutbox brings a session folder and the room together after the
// recording ended: it joins the room as the session's host (cfg.Dir, Host
// and Rate must be set; Watch must not), publishes every marker event the
// session's room/outbox.jsonl still holds (in order, each with its event id
// as Nats-Msg-Id, so an event the relay already stored is not stored
// again), waits until this host's consumer has delivered every other host's
// event into room/markers.jsonl, and leaves. It returns when all that is
// done or ctx ends (an error saying how many events are still unsent; they
// stay in the outbox for the next try). It is what `podmark room sync`
// runs; any Client joined with a Config.Dir sends what the outbox holds
// first, in the same way.
func SendOutbox(ctx context.Context, cfg Config) (Synced, error) {
	var res Synced
	if cfg.Dir == "" || cfg.Watch {
		return res, errors.New("room: SendOutbox needs a host's session folder")
	}
	var got atomic.Int64
	on := cfg.OnMarker
	cfg.OnMarker = func(r Received) {
		got.Add(1)
		if on != nil {
			on(r)
		}
	}
	c, err := Join(cfg)
	if err != nil {
		return res, err
	}
	left := c.Pending()
	ferr := c.Flush(ctx)
	res.Sent = left - c.Pending()
	if ferr == nil {
		ferr = c.caughtUp(ctx)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cerr := c.Close(cctx)
	res.Received = int(got.Load())
	if ferr != nil {
		return res, fmt.Errorf("room: %s: %w (link %s)", filepath.Join(cfg.Dir, filepath.FromSlash(OutboxFile)), ferr, c.Link())
	}
	return res, cerr
}

// caughtUp waits until this host's durable consumer has delivered and
// acknowledged everything in the room's stream.
func (c *Client) caughtUp(ctx context.Context) error {
	for {
		if c.Joined() {
			cons, err := c.js.Consumer(ctx, c.names.Stream(), c.names.Consumer(c.cfg.Host))
			if err == nil {
				info, err := cons.Info(ctx)
				if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the room's other markers did not all arrive: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// OutboxPending reports how many marker events a session folder's outbox
// holds unsent, and for which room (0 and no error when there is none).
func OutboxPending(dir string) (int, OutboxRoom, error) {
	ob, err := ReadOutbox(filepath.Join(dir, filepath.FromSlash(OutboxFile)))
	if errors.Is(err, os.ErrNotExist) {
		return 0, ob.Room, nil
	}
	return len(ob.Pending), ob.Room, err
}
