package room

import (
	"fmt"

	"github.com/nats-io/nats.go"
)

// onPulled hands an editor's pull announcement (Pulled, on Names.Pulled) to
// Config.OnPulled, once validated and checked against the subject it came
// on: an editor can only speak for itself.
func (c *Client) onPulled(m *nats.Msg) {
	p, err := Decode[Pulled](m.Data, 0)
	if err != nil {
		c.log(fmt.Sprintf("dropped pull announcement on %s: %v", m.Subject, err))
		return
	}
	if m.Subject != c.names.Pulled(p.From) {
		c.log(fmt.Sprintf("dropped pull announcement on %s claiming to be from %s", m.Subject, p.From))
		return
	}
	c.cfg.OnPulled(p)
}
