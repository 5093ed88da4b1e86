package room

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/markers"
)

// Config describes how a podmark joins a room.
type Config struct {
	Link  Link
	Creds string // nkey seed file from `podmark room invite`; "" = the link's token, if any
	CA    string // PEM file of the CA that signed the relay's certificate; "" = the system's
	Host  string // this podmark's name in the room (the session's host)
	// Watch joins as an onlooker (the editor): it reads every host's
	// markers from the start of the show and publishes nothing.
	Watch bool
	Rate  int    // the session's sample rate (hosts)
	Dir   string // the session folder; its room/ record is kept here ("" = none)
	// Replicas of the room's stream when this podmark creates it (1 =
	// a single relay; 3 on a cluster). 0 = 1.
	Replicas int
	// Clock, when set, answers the other hosts' clock requests: the
	// session's sample position now and whether it is advancing.
	Clock func() (position int64, running bool)

	// Hooks, called from the client's goroutines, one at a time per kind;
	// they must not block for long.
	OnMarker   func(Received)   // another host's marker event (all hosts' with Watch), in order, once
	OnPresence func(Presence)   // a host's presence
	OnRundown  func(Rundown)    // the rundown changed
	OnLink     func(LinkState)  // the connection to the relay changed
	OnPulled   func(Pulled)     // an editor has a host's whole session verified (handoff.go)
	Log        func(msg string) // a problem worth telling the user (dropped message, refused publish...)

	// NoMarkers joins a host without its marker consumer (`podmark upload`
	// of a finished session): it receives no marker events, so a recording
	// of the same host in the room meanwhile misses none.
	NoMarkers bool
}

// LinkState is the state of the connection to the relay.
type LinkState string

// The link states.
const (
	LinkConnecting LinkState = "connecting" // never reached the relay yet
	LinkOnline     LinkState = "online"
	LinkOffline    LinkState = "offline" // lost, reconnecting
	LinkClosed     LinkState = "closed"
)

// Received is a marker event as a room member received it.
type Received struct {
	Seq      uint64    `json:"seq"` // the room stream's sequence number
	Received time.Time `json:"received"`
	MarkerEvent
}

// Client is one podmark's membership of a room. Its methods are
// concurrent-safe. As a session.Publisher it queues marker changes at once
// and publishes them in order from its own goroutine.
type Client struct {
	cfg   Config
	names Names
	nc    *nats.Conn
	js    jetstream.JetStream

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queue   []MarkerEvent // not yet acknowledged by the relay, oldest first
	wake    chan struct{} // the sender has work
	idle    chan struct{} // closed and replaced when the queue empties
	link    LinkState
	joined  bool // the room's stream and this host's consumer are set up
	rec     *record
	out     *outbox // nil without a session folder
	cc      jetstream.ConsumeContext
	sent    int64
	rundown *rundownState

	linkCh  chan struct{} // closed and replaced on every link change
	refused bool          // the relay refused the credentials (said once)
	badCert bool          // the relay's certificate was refused (said once)
}

// noteRefused records a refusal and reports whether it is the first.
func (c *Client) noteRefused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.refused
	c.refused = true
	return first
}

// noteCertRefused records a refused certificate and reports whether it is
// the first.
func (c *Client) noteCertRefused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.badCert
	c.badCert = true
	return first
}

// ErrNotJoined reports a room call made before the room was reached.
var ErrNotJoined = errors.New("room: not joined yet")

// Join starts joining the room and returns at once: when the relay cannot
// be reached, the client keeps trying in the background (OnLink says when it
// is online) and queues marker changes meanwhile. Only a bad configuration
// (link, name, credentials file) is an error.
func Join(cfg Config) (*Client, error) {
	if err := CheckName("host", cfg.Host); err != nil {
		return nil, err
	}
	if !cfg.Watch && (cfg.Rate < MinRate || cfg.Rate > MaxRate) {
		return nil, fmt.Errorf("room: rate %d", cfg.Rate)
	}
	auth, err := authOptions(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, names: NamesOf(cfg.Link), wake: make(chan struct{}, 1), idle: make(chan struct{}),
		link: LinkConnecting, linkCh: make(chan struct{})}
	close(c.idle)
	if err := c.openLocal(); err != nil {
		return nil, err
	}
	l := cfg.Link
	nc, err := nats.Connect(l.ServerURL(), append(c.connOptions(), auth...)...)
	if err != nil {
		c.closeLocal()
		return nil, fmt.Errorf("room: %s: %w", l, err)
	}
	c.nc = nc
	c.js, err = jetstream.New(nc)
	if err != nil {
		nc.Close()
		c.closeLocal()
		return nil, fmt.Errorf("room: %w", err)
	}
	if nc.IsConnected() {
		c.setLink(LinkOnline)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.subscribeCore(); err != nil {
		nc.Close()
		c.closeLocal()
		return nil, err
	}
	c.wg.Add(2)
	go c.setup()
	go c.sender()
	return c, nil
}

// openLocal opens the session folder's room record and outbox (a host
// with a session folder); an earlier run's unsent events are queued first.
func (c *Client) openLocal() error {
	cfg := c.cfg
	if cfg.Dir == "" || cfg.Watch {
		return nil
	}
	rec, err := openRecord(cfg.Dir)
	if err != nil {
		return err
	}
	out, left, err := openOutbox(cfg.Dir, OutboxRoom{Server: cfg.Link.ServerURL(), Show: cfg.Link.Show, Episode: cfg.Link.Episode, Host: cfg.Host})
	if err != nil {
		rec.close()
		return err
	}
	c.rec, c.out = rec, out
	if len(left) > 0 {
		// An earlier run's events go first, in their order.
		c.queue = append(c.queue, left...)
		c.idle = make(chan struct{})
		c.log(fmt.Sprintf("sending %d marker event(s) left unsent in %s", len(left), filepath.Join(cfg.Dir, filepath.FromSlash(OutboxFile))))
	}
	return nil
}

// closeLocal closes what openLocal opened (a Join that failed).
func (c *Client) closeLocal() {
	if c.rec != nil {
		c.rec.close()
		c.out.close()
	}
}

// authOptions are the connection's credentials (--creds, or the link's
// user or token) and TLS settings.
func authOptions(cfg Config) ([]nats.Option, error) {
	var opts []nats.Option
	l := cfg.Link
	switch {
	case cfg.Creds != "":
		o, err := nats.NkeyOptionFromSeed(cfg.Creds)
		if err != nil {
			return nil, fmt.Errorf("room: --creds %s: %w", cfg.Creds, err)
		}
		opts = append(opts, o)
	case l.User != "":
		opts = append(opts, nats.UserInfo(l.User, l.Password))
	case l.Token != "":
		opts = append(opts, nats.Token(l.Token))
	}
	if l.TLS {
		if cfg.CA != "" {
			if err := checkCA(cfg.CA); err != nil {
				return nil, err
			}
			opts = append(opts, nats.RootCAs(cfg.CA))
		}
		opts = append(opts, nats.Secure())
	}
	return opts, nil
}

// connOptions are the connection's reconnect policy and the handlers that
// turn its events into link states and messages the host can act on.
func (c *Client) connOptions() []nats.Option {
	cfg := c.cfg
	refused := func(err error) {
		c.log(fmt.Sprintf("the relay refused these credentials for %s (%v): check --creds or the link's token", cfg.Link, err))
	}
	return []nats.Option{
		nats.Name("podmark " + cfg.Host),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, 250*time.Millisecond),
		nats.ReconnectBufSize(8 << 20),
		nats.Timeout(3 * time.Second),
		// Find a dead link within about 3 s, not the default 4 minutes.
		nats.PingInterval(time.Second),
		nats.MaxPingsOutstanding(3),
		// Nothing this podmark publishes is for itself: its presence, its
		// clock replies and its pulled announcements are for the others
		// (Membership drops its own presence anyway), and what it stores in
		// JetStream comes back through consumers, which echo does not
		// concern. Without echo the relay does not send a host its own
		// presence every second (a read and a wake-up of two goroutines).
		nats.NoEcho(),
		nats.ConnectHandler(func(*nats.Conn) { c.setLink(LinkOnline) }),
		nats.ReconnectHandler(func(*nats.Conn) { c.setLink(LinkOnline) }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if cerr := certError(err); cerr != "" {
				if c.noteCertRefused() {
					c.log(fmt.Sprintf("%s %s: %s", cfg.Link, certAdvice(cfg.CA), cerr))
				}
				return
			}
			low := strings.ToLower(fmt.Sprint(err))
			if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) ||
				strings.Contains(low, "authorization") || strings.Contains(low, "authentication") {
				if c.noteRefused() {
					refused(err)
				}
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) {
				refused(err)
			}
			if c.getLink() != LinkClosed {
				c.setLink(LinkOffline)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if outageNoise(err) {
				return
			}
			if errors.Is(err, nats.ErrPermissionViolation) || strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
				c.log(fmt.Sprintf("the relay refused: %v (are these credentials for host %q?)", err, cfg.Host))
				return
			}
			if errors.Is(err, nats.ErrAuthorization) {
				refused(err)
				return
			}
			c.log(err.Error())
		}),
	}
}

// outageNoise tells the asynchronous errors that only restate an outage
// the link state already shows. "consumer not active" is the heartbeat
// check of an ordered consumer (the rundown's KV watcher, the editor's
// object watch) while the connection is down; such a consumer resets
// itself once the link is back, and nothing else here has that check.
func outageNoise(err error) bool { return errors.Is(err, nats.ErrConsumerNotActive) }

func (c *Client) log(msg string) {
	if c.cfg.Log != nil {
		c.cfg.Log("room: " + msg)
	}
}

func (c *Client) setLink(s LinkState) {
	c.mu.Lock()
	if c.link == s || c.link == LinkClosed {
		c.mu.Unlock()
		return
	}
	c.link = s
	close(c.linkCh)
	c.linkCh = make(chan struct{})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if c.cfg.OnLink != nil {
		c.cfg.OnLink(s)
	}
}

func (c *Client) getLink() LinkState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link
}

// Link is the state of the connection to the relay.
func (c *Client) Link() LinkState { return c.getLink() }

// waitOnline blocks until the link is online or ctx ends.
func (c *Client) waitOnline(ctx context.Context) error {
	for {
		c.mu.Lock()
		s, ch := c.link, c.linkCh
		c.mu.Unlock()
		if s == LinkOnline {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Joined reports whether the room's stream and consumer are set up.
func (c *Client) Joined() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joined
}

// subscribeCore subscribes to presence and, for a host, answers clock
// requests. Core NATS subscriptions survive reconnects by themselves.
func (c *Client) subscribeCore() error {
	_, err := c.nc.Subscribe(c.names.AllPresence(), func(m *nats.Msg) {
		from := c.names.HostOf(m.Subject)
		p, err := Decode[Presence](m.Data, 0)
		if err != nil {
			c.log(fmt.Sprintf("dropped presence from %s: %v", from, err))
			return
		}
		if p.Host != from {
			c.log(fmt.Sprintf("dropped presence from %s claiming to be %s", from, p.Host))
			return
		}
		if c.cfg.OnPresence != nil {
			c.cfg.OnPresence(p)
		}
	})
	if err != nil {
		return fmt.Errorf("room: subscribe: %w", err)
	}
	if c.cfg.OnPulled != nil {
		if _, err := c.nc.Subscribe(c.names.AllPulled(), c.onPulled); err != nil {
			return fmt.Errorf("room: subscribe: %w", err)
		}
	}
	if c.cfg.Watch || c.cfg.Clock == nil {
		return nil
	}
	_, err = c.nc.Subscribe(c.names.Clock(c.cfg.Host), func(m *nats.Msg) {
		pos, running := c.cfg.Clock() // first: the reading is what matters
		now := time.Now().UTC()
		if _, err := Decode[ClockRequest](m.Data, 0); err != nil {
			c.log(fmt.Sprintf("dropped clock request: %v", err))
			return
		}
		b, err := Encode(ClockReply{V: Version, Host: c.cfg.Host, Rate: c.cfg.Rate, Position: pos, Running: running, UTC: now})
		if err == nil {
			err = m.Respond(b)
		}
		if err != nil {
			c.log(fmt.Sprintf("clock reply: %v", err))
		}
	})
	if err != nil {
		return fmt.Errorf("room: subscribe: %w", err)
	}
	return nil
}

// setup creates the room's stream (when allowed and missing) and this
// podmark's consumer as soon as the relay is reachable.
func (c *Client) setup() {
	defer c.wg.Done()
	for {
		if err := c.waitOnline(c.ctx); err != nil {
			return
		}
		err := c.setupOnce()
		if err == nil {
			return
		}
		c.log(fmt.Sprintf("joining %s: %v; trying again", c.cfg.Link, err))
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (c *Client) setupOnce() error {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := EnsureRoom(ctx, c.js, c.names, c.cfg.Replicas); err != nil {
		return err
	}
	if c.cfg.NoMarkers {
		c.mu.Lock()
		c.joined = true
		c.mu.Unlock()
		return nil
	}
	var cons jetstream.Consumer
	var err error
	if c.cfg.Watch {
		cons, err = c.js.OrderedConsumer(ctx, c.names.Stream(), jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{c.names.AllMarkers()}, DeliverPolicy: jetstream.DeliverAllPolicy})
	} else {
		cons, err = c.js.CreateOrUpdateConsumer(ctx, c.names.Stream(), jetstream.ConsumerConfig{
			Durable: c.names.Consumer(c.cfg.Host), FilterSubject: c.names.AllMarkers(),
			DeliverPolicy: jetstream.DeliverAllPolicy, AckPolicy: jetstream.AckExplicitPolicy,
			// One event in flight: a redelivery (lost ack, failover) comes
			// before anything later, so the room record, which keeps the
			// last sequence, sees the stream strictly in order.
			AckWait: 5 * time.Second, MaxAckPending: 1, Replicas: c.cfg.Replicas,
			InactiveThreshold: 7 * 24 * time.Hour,
		})
	}
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	cc, err := cons.Consume(c.onStreamMsg, jetstream.PullHeartbeat(consumeHeartbeat), jetstream.PullExpiry(consumeExpiry))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	if err := c.watchRundown(ctx); err != nil {
		cc.Stop()
		return err
	}
	c.mu.Lock()
	c.cc, c.joined = cc, true
	c.mu.Unlock()
	return nil
}

// consumeExpiry and consumeHeartbeat are the marker consumer's pull
// request lifetime and idle heartbeat: an idle room costs a heartbeat
// every 10 s and a new pull request every 30 s (each a message and a
// wake-up of the read loop and the consumer's goroutine; at 2 s and 10 s it
// was 36 a minute, now 8). They only find a pull request the relay lost
// while the connection stayed up (a cluster's consumer leader moving), in
// 2 heartbeats: a dead link is found by nats.go's 1 s pings in about 3 s
// (connOptions), and after a reconnect the consumer pulls again at once.
const (
	consumeExpiry    = 30 * time.Second
	consumeHeartbeat = 10 * time.Second
)

// onStreamMsg takes one marker event from the room's stream: validated,
// recorded in room/markers.jsonl (once: by stream sequence) and handed to
// OnMarker, then acknowledged.
func (c *Client) onStreamMsg(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		c.log(fmt.Sprintf("dropped a stream message without metadata: %v", err))
		_ = m.Term()
		return
	}
	from := c.names.HostOf(m.Subject())
	e, err := Decode[MarkerEvent](m.Data(), 0)
	switch {
	case err != nil:
		c.log(fmt.Sprintf("dropped marker event #%d from %s: %v", md.Sequence.Stream, from, err))
	case e.Author != from:
		c.log(fmt.Sprintf("dropped marker event #%d from %s claiming author %q", md.Sequence.Stream, from, e.Author))
	case e.Author == c.cfg.Host && !c.cfg.Watch:
		// our own, journaled locally already
	default:
		r := Received{Seq: md.Sequence.Stream, Received: time.Now().UTC(), MarkerEvent: e}
		fresh := true
		if c.rec != nil {
			fresh, err = c.rec.add(r)
			if err != nil {
				c.log(fmt.Sprintf("%v; marker event #%d will be delivered again", err, r.Seq))
				_ = m.Nak()
				return
			}
		}
		if fresh && c.cfg.OnMarker != nil {
			c.cfg.OnMarker(r)
		}
	}
	if !c.cfg.Watch {
		_ = m.Ack()
	}
}

// MarkerAdded queues the marker for publishing (session.Publisher).
func (c *Client) MarkerAdded(m markers.Marker) { c.enqueue(OpAdd, m) }

// MarkerUpdated queues the marker's new state (session.Publisher).
func (c *Client) MarkerUpdated(m markers.Marker) { c.enqueue(OpUpdate, m) }

// MarkerDeleted queues the deletion (session.Publisher).
func (c *Client) MarkerDeleted(m markers.Marker) { c.enqueue(OpDelete, m) }

func (c *Client) enqueue(op Op, m markers.Marker) {
	if c.cfg.Watch {
		return
	}
	e := NewMarkerEvent(op, c.cfg.Host, c.cfg.Rate, m)
	if err := e.Validate(); err != nil {
		c.log(fmt.Sprintf("marker %s not sent: %v", m.ID, err))
		return
	}
	c.mu.Lock()
	if len(c.queue) == 0 {
		c.idle = make(chan struct{})
	}
	c.queue = append(c.queue, e)
	if c.out != nil {
		if err := c.out.add(e); err != nil {
			c.log(err.Error())
		}
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Pending is how many marker events the relay has not acknowledged yet.
func (c *Client) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// Flush waits until every queued marker event is acknowledged by the relay,
// or ctx ends.
func (c *Client) Flush(ctx context.Context) error {
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("room: %d marker event(s) not acknowledged yet: %w", c.Pending(), ctx.Err())
	}
}

// sender publishes the queue in order, one event at a time, each with its
// event id as Nats-Msg-Id: an event published again after a lost ack (link
// down, relay restarting) is stored once by JetStream's dedup. It waits for
// the library's reconnect rather than retrying a dead link.
func (c *Client) sender() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		var e MarkerEvent
		have := len(c.queue) > 0
		if have {
			e = c.queue[0]
		}
		c.mu.Unlock()
		if !have {
			select {
			case <-c.wake:
				continue
			case <-c.ctx.Done():
				return
			}
		}
		if c.out != nil {
			if err := c.out.sync(); err != nil {
				c.log(err.Error())
			}
		}
		if err := c.waitOnline(c.ctx); err != nil {
			return
		}
		err := c.publish(e)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			if c.getLink() == LinkOnline {
				c.log(fmt.Sprintf("publishing marker %s: %v; will publish it again", e.ID, err))
				select { // the relay answered badly: do not spin
				case <-time.After(time.Second):
				case <-c.ctx.Done():
					return
				}
			}
			continue
		}
		c.mu.Lock()
		c.queue = c.queue[1:]
		c.sent++
		if c.out != nil {
			if err := c.out.acked(e.EventID, c.queue); err != nil {
				c.log(err.Error())
			}
		}
		if len(c.queue) == 0 {
			close(c.idle)
		}
		c.mu.Unlock()
	}
}

func (c *Client) publish(e MarkerEvent) error {
	b, err := Encode(e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	_, err = c.js.Publish(ctx, c.names.Markers(e.Author), b, jetstream.WithMsgID(e.EventID), jetstream.WithExpectStream(c.names.Stream()))
	return err
}

// PublishPresence sends p (Host, V and UTC are filled in). It never blocks:
// while the link is down the library buffers it.
func (c *Client) PublishPresence(p Presence) error {
	if c.cfg.Watch {
		return nil
	}
	p.V, p.Host, p.UTC = Version, c.cfg.Host, time.Now().UTC()
	p.Pending = c.Pending()
	if p.Link == "" {
		p.Link = string(c.getLink())
	}
	b, err := Encode(p)
	if err != nil {
		return err
	}
	return c.nc.Publish(c.names.Presence(c.cfg.Host), b)
}

// Close stops the client: it waits up to ctx for queued marker events to
// be acknowledged, then leaves the room. Events still queued are reported in
// the error (they are in the local journal all the same).
func (c *Client) Close(ctx context.Context) error {
	var ferr error
	if !c.cfg.Watch {
		ferr = c.Flush(ctx)
	}
	c.mu.Lock()
	cc := c.cc
	c.mu.Unlock()
	if cc != nil {
		cc.Stop()
	}
	c.cancel()
	c.wg.Wait()
	c.setLink(LinkClosed)
	c.nc.Close()
	var rerr, oerr error
	if c.rec != nil {
		rerr = c.rec.close()
	}
	if c.out != nil {
		oerr = c.out.close()
	}
	return errors.Join(ferr, rerr, oerr)
}
