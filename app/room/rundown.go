package room

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NextWindow is how close two presses of Next may be and still advance the
// rundown once.
const NextWindow = 2 * time.Second

// ErrNoRundown reports Next on a room without a rundown.
var ErrNoRundown = errors.New("room: the room has no rundown")

const maxRundown = 64 << 10

type rundownState struct {
	kv      jetstream.KeyValue
	cur     Rundown
	rev     uint64
	have    bool
	changed time.Time // local time the last change was seen
}

// watchRundown follows the rundown key; every change goes to OnRundown.
func (c *Client) watchRundown(ctx context.Context) error {
	kv, err := c.js.KeyValue(ctx, c.names.RundownBucket())
	if err != nil {
		return fmt.Errorf("rundown: %w", err)
	}
	w, err := kv.Watch(c.ctx, RundownKey)
	if err != nil {
		return fmt.Errorf("rundown: %w", err)
	}
	c.mu.Lock()
	c.rundown = &rundownState{kv: kv}
	c.mu.Unlock()
	go func() {
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			r, err := Decode[Rundown](e.Value(), maxRundown)
			if err != nil {
				c.log(fmt.Sprintf("dropped rundown revision %d: %v", e.Revision(), err))
				continue
			}
			c.mu.Lock()
			st := c.rundown
			fresh := e.Revision() > st.rev
			if fresh {
				st.cur, st.rev, st.have, st.changed = r, e.Revision(), true, time.Now()
			}
			c.mu.Unlock()
			if fresh && c.cfg.OnRundown != nil {
				c.cfg.OnRundown(r)
			}
		}
	}()
	return nil
}

func (c *Client) rundownKV() (jetstream.KeyValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rundown == nil {
		return nil, ErrNotJoined
	}
	return c.rundown.kv, nil
}

// Rundown returns the room's rundown as last seen, and whether there is one.
func (c *Client) Rundown() (Rundown, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rundown == nil || !c.rundown.have {
		return Rundown{}, false
	}
	r := c.rundown.cur
	r.Items = append([]string(nil), r.Items...)
	return r, true
}

// ProposeRundown makes items the room's rundown unless the room has one
// already (the first host to join with --rundown sets it); it reports which
// rundown the room has.
func (c *Client) ProposeRundown(ctx context.Context, items []string) (Rundown, error) {
	kv, err := c.rundownKV()
	if err != nil {
		return Rundown{}, err
	}
	r := Rundown{V: Version, Items: items, Current: -1}
	b, err := Encode(r)
	if err != nil {
		return Rundown{}, err
	}
	if _, err := kv.Create(ctx, RundownKey, b); err == nil {
		return r, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return Rundown{}, fmt.Errorf("room: rundown: %w", err)
	}
	e, err := kv.Get(ctx, RundownKey)
	if err != nil {
		return Rundown{}, fmt.Errorf("room: rundown: %w", err)
	}
	return Decode[Rundown](e.Value(), maxRundown)
}

// Next advances the rundown for everyone, by compare-and-set on its
// revision: if another host advanced it within NextWindow (seen here, or
// racing this press), it does not advance again. It returns the rundown and
// whether this press advanced it; only then does the caller drop the topic
// marker, so two presses make one marker.
func (c *Client) Next(ctx context.Context) (Rundown, bool, error) {
	kv, err := c.rundownKV()
	if err != nil {
		return Rundown{}, false, err
	}
	c.mu.Lock()
	recent := c.rundown.have && time.Since(c.rundown.changed) < NextWindow && !c.rundown.cur.At.IsZero()
	seen := c.rundown.rev
	c.mu.Unlock()
	e, err := kv.Get(ctx, RundownKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Rundown{}, false, ErrNoRundown
	}
	if err != nil {
		return Rundown{}, false, fmt.Errorf("room: rundown: %w", err)
	}
	r, err := Decode[Rundown](e.Value(), maxRundown)
	if err != nil {
		return Rundown{}, false, err
	}
	// A revision this podmark has not seen yet is a press made
	// milliseconds ago elsewhere: this press was for the same step.
	if recent || e.Revision() > seen && seen != 0 && !r.At.IsZero() || r.Current >= len(r.Items) {
		return r, false, nil
	}
	r.Current++
	r.By, r.At = c.cfg.Host, time.Now().UTC()
	b, err := Encode(r)
	if err != nil {
		return Rundown{}, false, err
	}
	if _, err := kv.Update(ctx, RundownKey, b, e.Revision()); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			// Someone advanced it between our read and write: that press wins.
			e, gerr := kv.Get(ctx, RundownKey)
			if gerr != nil {
				return Rundown{}, false, fmt.Errorf("room: rundown: %w", gerr)
			}
			r, err := Decode[Rundown](e.Value(), maxRundown)
			return r, false, err
		}
		return Rundown{}, false, fmt.Errorf("room: rundown: %w", err)
	}
	c.mu.Lock()
	if e.Revision()+1 > c.rundown.rev {
		c.rundown.changed = time.Now()
	}
	c.mu.Unlock()
	return r, true, nil
}
