package room

// The editor's side of the progressive hand-off (handoff.go, docs/room.md
// "podmark pull"): Pull finds every host's upload bucket in a room and
// rebuilds each host's session folder from it, verified.
//
// On disk, for host H in the output folder DIR:
//
//	DIR/H.partial/                 while H is being pulled (never looks complete)
//	DIR/H.partial/tracks/T.wav.part  T's audio data as it arrives, where it stays in T.wav
//	DIR/H.partial/tracks/T.wav       T completed (header + data + trailer) and verified
//	DIR/H/                         H.partial renamed once everything is verified
//	DIR/H/room/pulled.json         what was verified (PullReceipt); a re-run skips H
//
// Every segment is read through the object store, which checks the object's
// SHA-256 digest; its decoded audio is then hashed and compared with the
// segment's Podmark-Pcm-Sha256. A segment that fails either is fetched again;
// one that stays damaged ends H's pull with a DamagedError naming the host,
// track and time range. The audio's SHA-256 is carried along as the
// segments arrive in order, so completing a track when its manifest comes
// is the same small work however long the show was: the manifest's header
// written in front of the audio (segments say where the audio starts, in
// Podmark-Data-Offset), its trailer after it, the frame count and the
// audio's SHA-256 checked, the file synced and renamed to T.wav. The file
// is then header + audio + trailer byte for byte, which is the host's file
// whose SHA-256 the manifest states. Segments from a host that does not say
// where its audio starts go to T.pcm.part, and the track is rebuilt from it
// by copying, hashing the whole file.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// Size limits on the objects Pull reads, so a hostile bucket cannot make
// the editor's podmark allocate without bound.
const (
	maxSegmentObject  = 64 << 20  // a segment: 262,144 frames of up to 8 channels of 32-bit float is 8 MiB
	maxManifestObject = 4 << 20   // a manifest (header bytes, one line per segment)
	maxSmallObject    = 256 << 20 // session.json, the journal, the room record
)

// ErrDamaged reports a segment whose copy on the relay stays damaged after
// being fetched again.
var ErrDamaged = errors.New("room: damaged on the relay")

// ErrIncomplete reports a pull that ended with a host's upload not finished
// (no done.json yet): run pull again, or with --follow, to resume.
var ErrIncomplete = errors.New("room: upload not finished")

// DamagedError names the part of a host's track whose copy on the relay is
// damaged. It wraps ErrDamaged.
type DamagedError struct {
	Host, Track string // the host and the track's base name ("alice-1")
	Segment     int
	From, To    time.Duration // the segment's time range in the track
	Err         error         // what the last attempt found
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("room: pull: %s's track %s is damaged on the relay from %s to %s (segment %d): %v",
		e.Host, e.Track, hms(e.From), hms(e.To), e.Segment, e.Err)
}

// Unwrap returns ErrDamaged and the cause.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

// hms formats d as HH:MM:SS (rounded down).
func hms(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// PullConfig configures Pull.
type PullConfig struct {
	Link  Link
	Creds string // nkey seed file ("" = the link's token, if any)
	CA    string // PEM file of the relay's CA ("" = the system's)
	As    string // the editor's name in the room (Pulled.From)
	Out   string // the output folder; one session folder per host inside
	// Follow keeps pulling a live show until every host has finished
	// and everything is verified.
	Follow bool
	// Retries is how many times a damaged segment is fetched again (0 = 3).
	Retries int
	// OnProgress, when set, is called about twice a second and at the end,
	// from one goroutine.
	OnProgress func(PullProgress)
	Log        func(msg string) // problems worth telling the editor
}

// PullState is where one host's pull stands.
type PullState string

// The pull states.
const (
	PullWaiting  PullState = "waiting"  // following: nothing new to fetch, the host has not finished
	PullPulling  PullState = "pulling"  // fetching segments
	PullVerified PullState = "verified" // the whole session is on disk and verified
	PullSkipped  PullState = "skipped"  // verified by an earlier run, unchanged since
	PullDamaged  PullState = "damaged"  // a segment stays damaged on the relay
	PullFailed   PullState = "failed"   // another error
	PullPartial  PullState = "partial"  // not following and the host has not finished
	PullEmpty    PullState = "empty"    // the host's bucket holds nothing (it has not started recording)
)

// HostPull is one host's pull progress.
type HostPull struct {
	Host     string    `json:"host"`
	State    PullState `json:"state"`
	Segments int       `json:"segments"` // segments on disk and verified
	Known    int       `json:"known"`    // segments the bucket holds
	Bytes    int64     `json:"bytes"`    // object bytes fetched in this run
	Frames   int64     `json:"frames"`   // frames of the longest track on disk
	Rate     int       `json:"rate"`     // the host's sample rate, once known
	Done     bool      `json:"done"`     // the host has put done.json
	Error    string    `json:"error,omitempty"`
}

// PullProgress is the whole pull's progress.
type PullProgress struct {
	Hosts   []HostPull    // by host name
	Elapsed time.Duration // since Pull started
	Final   bool          // the last report
}

// PullResult is what Pull did.
type PullResult struct {
	Hosts []HostPull
	// NoUpload lists hosts seen recording in the room (presence) that put
	// no upload bucket: their sessions must be handed over another way.
	NoUpload []string
}

// PullReceipt is DIR/<host>/room/pulled.json: what a pull verified, so
// that a re-run skips a host whose bucket has not changed since.
type PullReceipt struct {
	V      int               `json:"v"`
	Host   string            `json:"host"`
	Room   string            `json:"room"`   // SHOW/EPISODE
	Done   string            `json:"done"`   // digest of the done.json it verified
	Tracks map[string]string `json:"tracks"` // track path → file SHA-256
	Frames int64             `json:"frames"`
	UTC    time.Time         `json:"utc"`
}

// PulledFile is a pulled session's receipt, inside its folder.
const PulledFile = "room/pulled.json"

// partialSuffix marks a host folder that is still being pulled.
const partialSuffix = ".partial"

// UploadHost returns the host whose upload bucket is named bucket in this
// room, or "" when bucket is not one of this room's upload buckets.
func (n Names) UploadHost(bucket string) string {
	h, ok := strings.CutPrefix(bucket, n.UploadBucket(""))
	if !ok || CheckName("host", h) != nil {
		return ""
	}
	return h
}

// dialPull connects to the relay for an editor's pull.
func dialPull(cfg PullConfig, log func(string)) (*nats.Conn, error) {
	l := cfg.Link
	opts := []nats.Option{
		nats.Name("podmark pull " + cfg.As),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.Timeout(5 * time.Second),
		nats.PingInterval(2 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log(fmt.Sprintf("lost the relay (%v); reconnecting", err))
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log("reconnected to the relay") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if !outageNoise(err) {
				log(err.Error())
			}
		}),
	}
	auth, err := authOptions(Config{Link: l, Creds: cfg.Creds, CA: cfg.CA})
	if err != nil {
		return nil, err
	}
	opts = append(opts, auth...)
	nc, err := nats.Connect(l.ServerURL(), opts...)
	if err != nil {
		return nil, fmt.Errorf("room: %s: %w", l, err)
	}
	return nc, nil
}

// Pull writes every host's session of the room as a session folder in
// cfg.Out (see the top of this file). Without Follow it pulls what the
// relay holds now; a host that has not finished uploading is left in
// DIR/<host>.partial and the error wraps ErrIncomplete. With Follow it keeps
// pulling until every host that uploads has finished and is verified, and
// no host seen in the room is still recording. Each host verified is
// announced on Names.Pulled(cfg.As). Damaged segments end their host's pull
// with a DamagedError; the other hosts are still pulled. Pull is safe to
// run again on the same folder: what is verified is skipped.
func Pull(ctx context.Context, cfg PullConfig) (*PullResult, error) {
	if err := CheckName("name", cfg.As); err != nil {
		return nil, err
	}
	if cfg.Out == "" {
		return nil, errors.New("room: pull: no output folder")
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	logf := func(msg string) {
		if cfg.Log != nil {
			cfg.Log(msg)
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("room: pull: %w", err)
	}
	nc, err := dialPull(cfg, logf)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("room: %w", err)
	}
	p := &puller{cfg: cfg, names: NamesOf(cfg.Link), nc: nc, js: js, log: logf,
		hosts: map[string]*hostPull{}, seen: map[string]Presence{}, start: time.Now()}
	if cfg.Follow {
		sub, err := nc.Subscribe(p.names.AllPresence(), p.onPresence)
		if err != nil {
			return nil, fmt.Errorf("room: subscribe: %w", err)
		}
		defer sub.Unsubscribe()
	}
	return p.run(ctx)
}

type puller struct {
	cfg   PullConfig
	names Names
	nc    *nats.Conn
	js    jetstream.JetStream
	log   func(string)
	start time.Time

	mu    sync.Mutex
	hosts map[string]*hostPull
	seen  map[string]Presence // last presence per host (follow)
	seenT map[string]time.Time
}

func (p *puller) onPresence(m *nats.Msg) {
	from := p.names.HostOf(m.Subject)
	pr, err := Decode[Presence](m.Data, 0)
	if err != nil || pr.Host != from {
		return
	}
	p.mu.Lock()
	p.seen[pr.Host] = pr
	if p.seenT == nil {
		p.seenT = map[string]time.Time{}
	}
	p.seenT[pr.Host] = time.Now()
	p.mu.Unlock()
}

// discover lists the room's upload buckets.
func (p *puller) discover(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l := p.js.ObjectStoreNames(ctx)
	var hosts []string
	for b := range l.Name() {
		if h := p.names.UploadHost(b); h != "" {
			hosts = append(hosts, h)
		}
	}
	if err := l.Error(); err != nil {
		return nil, fmt.Errorf("room: pull: listing the room's upload buckets: %w", err)
	}
	sort.Strings(hosts)
	return hosts, nil
}

func (p *puller) run(parent context.Context) (*PullResult, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	results := make(chan struct{}, 64)
	running := 0
	startHost := func(h string) {
		hp := &hostPull{p: p, host: h, state: PullPulling,
			dir: filepath.Join(p.cfg.Out, h+partialSuffix), final: filepath.Join(p.cfg.Out, h)}
		p.mu.Lock()
		p.hosts[h] = hp
		p.mu.Unlock()
		running++
		wg.Add(1)
		go func() {
			defer wg.Done()
			hp.finish(hp.run(ctx))
			results <- struct{}{}
		}()
	}
	// startNew starts the hosts whose buckets appeared; it reports whether
	// there were any.
	startNew := func() bool {
		hs, err := p.discover(ctx)
		if err != nil {
			if ctx.Err() == nil {
				p.log(err.Error())
			}
			return false
		}
		found := false
		for _, h := range hs {
			p.mu.Lock()
			_, known := p.hosts[h]
			p.mu.Unlock()
			if !known {
				startHost(h)
				found = true
			}
		}
		return found
	}
	hosts, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		startHost(h)
	}
	if !p.cfg.Follow && len(hosts) == 0 {
		return nil, fmt.Errorf("room: pull: no host of %s/%s has uploaded anything (no bucket %s*)", p.names.Show, p.names.Episode, p.names.UploadBucket(""))
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastDiscover := time.Now()
	for ctx.Err() == nil {
		select {
		case <-results:
			running--
		case <-tick.C:
		case <-ctx.Done():
		}
		p.report(false)
		if !p.cfg.Follow {
			if running == 0 {
				break
			}
			continue
		}
		if time.Since(lastDiscover) >= 2*time.Second {
			lastDiscover = time.Now()
			startNew()
		}
		// Done when followDone holds and no bucket has appeared meanwhile
		// (a host that stopped before its bucket was seen).
		if p.followDone() && !startNew() {
			break
		}
	}
	cancel() // hosts that uploaded nothing are still watching
	wg.Wait()
	p.report(true)
	res := p.result()
	if err := parent.Err(); err != nil {
		return res, err
	}
	var errs []error
	p.mu.Lock()
	for _, h := range res.Hosts {
		if hp := p.hosts[h.Host]; hp.err != nil && h.State != PullEmpty {
			errs = append(errs, hp.err)
		}
	}
	p.mu.Unlock()
	return res, errors.Join(errs...)
}

// followDone reports whether a followed show is over for the editor: at
// least one host's session is verified, every host that uploaded anything
// is verified or has failed, and no host seen in the room in the last 5 s
// is recording or paused without its session verified.
func (p *puller) followDone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	verified := false
	for _, hp := range p.hosts {
		switch hp.progress().State {
		case PullVerified, PullSkipped:
			verified = true
		case PullEmpty, PullDamaged, PullFailed:
		default:
			return false
		}
	}
	if !verified {
		return false
	}
	for h, pr := range p.seen {
		if time.Since(p.seenT[h]) > 5*time.Second || pr.State != StateRecording && pr.State != StatePaused {
			continue
		}
		if hp, ok := p.hosts[h]; !ok || !hp.finished() {
			return false
		}
	}
	return true
}

func (p *puller) result() *PullResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &PullResult{}
	for _, hp := range p.hosts {
		r.Hosts = append(r.Hosts, hp.progress())
	}
	sort.Slice(r.Hosts, func(i, j int) bool { return r.Hosts[i].Host < r.Hosts[j].Host })
	for h, pr := range p.seen {
		if _, ok := p.hosts[h]; !ok && (pr.State == StateRecording || pr.State == StatePaused || pr.State == StateStopped) {
			r.NoUpload = append(r.NoUpload, h)
		}
	}
	sort.Strings(r.NoUpload)
	return r
}

func (p *puller) report(final bool) {
	if p.cfg.OnProgress == nil {
		return
	}
	r := p.result()
	p.cfg.OnProgress(PullProgress{Hosts: r.Hosts, Elapsed: time.Since(p.start), Final: final})
}

// hostPull pulls one host's bucket.
type hostPull struct {
	p     *puller
	host  string
	dir   string // DIR/host.partial
	final string // DIR/host
	obs   jetstream.ObjectStore

	mu       sync.Mutex
	state    PullState
	errText  string
	done     bool
	err      error // why run ended, when it failed
	segments int
	known    int
	frames   int64
	rate     int
	bytes    atomic.Int64

	// owned by the host's goroutine
	infos  map[string]*jetstream.ObjectInfo
	tracks map[string]*trackPull
	small  map[string]string // small object name → digest written
}

// trackPull is one track being pulled.
type trackPull struct {
	name   string         // base name, "alice-1"
	have   map[int]string // segment → object digest verified on disk
	segs   map[int]segHeaders
	align  int    // bytes per frame in the WAV data (0 = not known yet)
	data   string // the file the audio goes into ("" = not chosen yet): T.wav.part or T.pcm.part
	off    int64  // where the audio starts in data
	frames int64  // frames on disk (contiguous or not: the end of the furthest segment)
	built  string // file SHA-256 of the completed T.wav, once verified

	// The audio's SHA-256 over segments 0..hashed-1, in order, and the
	// object digests it covers.
	sum       hash.Hash
	hashed    int
	hashedEnd int64
	hashedDig []string
}

func (h *hostPull) progress() HostPull {
	h.mu.Lock()
	defer h.mu.Unlock()
	return HostPull{Host: h.host, State: h.state, Segments: h.segments, Known: h.known, Bytes: h.bytes.Load(),
		Frames: h.frames, Rate: h.rate, Done: h.done, Error: h.errText}
}

func (h *hostPull) finished() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state == PullVerified || h.state == PullSkipped
}

func (h *hostPull) setState(s PullState) {
	h.mu.Lock()
	h.state = s
	h.mu.Unlock()
}

func (h *hostPull) finish(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = err
	switch {
	case err == nil || h.state == PullEmpty:
	case errors.Is(err, ErrDamaged):
		h.state, h.errText = PullDamaged, err.Error()
	case errors.Is(err, ErrIncomplete):
		h.state = PullPartial
	default:
		h.state, h.errText = PullFailed, err.Error()
	}
}

func (h *hostPull) errorf(format string, a ...any) error {
	return fmt.Errorf("room: pull: %s: "+format, append([]any{h.host}, a...)...)
}

// run pulls the host's bucket: once (not following) or until the host has
// finished and everything is verified (following).
func (h *hostPull) run(ctx context.Context) error {
	obs, err := h.p.js.ObjectStore(ctx, h.p.names.UploadBucket(h.host))
	if err != nil {
		return h.errorf("bucket %s: %w", h.p.names.UploadBucket(h.host), err)
	}
	h.obs = obs
	h.infos = map[string]*jetstream.ObjectInfo{}
	h.tracks = map[string]*trackPull{}
	h.small = map[string]string{}
	w, err := obs.Watch(ctx)
	if err != nil {
		return h.errorf("watch: %w", err)
	}
	defer w.Stop()
	initial := true
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case info, ok := <-w.Updates():
			if !ok {
				return h.errorf("the relay ended the watch")
			}
			if info == nil {
				initial = false
			} else if info.Deleted {
				delete(h.infos, info.Name)
			} else {
				h.infos[info.Name] = info
			}
		}
		if initial || len(w.Updates()) > 0 {
			continue // take every update queued before working
		}
		if len(h.infos) == 0 {
			h.setState(PullEmpty)
			if !h.p.cfg.Follow {
				return nil
			}
			continue
		}
		finished, err := h.sync(ctx)
		for err != nil && h.p.cfg.Follow && transient(err) && ctx.Err() == nil {
			// The relay out of reach or slow: following, try again.
			h.p.log(fmt.Sprintf("%v; trying again", err))
			h.setState(PullWaiting)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Second):
			}
			finished, err = h.sync(ctx)
		}
		if err != nil || finished {
			return err
		}
		if !h.p.cfg.Follow {
			h.mu.Lock()
			done := h.done
			h.mu.Unlock()
			if !done {
				return fmt.Errorf("%w: %s has not finished uploading (no %s yet); run pull again or use --follow", ErrIncomplete, h.host, ObjDone)
			}
			return h.errorf("done.json is there but the session could not be verified")
		}
		h.setState(PullWaiting)
	}
}

var segPat = regexp.MustCompile(`^tracks/([A-Za-z0-9][A-Za-z0-9._-]{0,127})/([0-9]{6,9})\.seg$`)
var manifestPat = regexp.MustCompile(`^tracks/([A-Za-z0-9][A-Za-z0-9._-]{0,127})/manifest\.json$`)

// sync fetches what the bucket holds that is not on disk yet, rebuilds the
// tracks whose manifests are in, and finishes the host when done.json is in
// and everything is verified. It reports whether the host is finished.
func (h *hostPull) sync(ctx context.Context) (bool, error) {
	if d, ok := h.infos[ObjDone]; ok && h.skipVerified(d) {
		return true, nil
	}
	if err := h.open(); err != nil {
		return false, err
	}
	h.setState(PullPulling)
	type seg struct {
		track string
		n     int
		info  *jetstream.ObjectInfo
	}
	var segs []seg
	manifests := map[string]*jetstream.ObjectInfo{}
	for name, info := range h.infos {
		if m := segPat.FindStringSubmatch(name); m != nil && !strings.Contains(m[1], "..") {
			n, _ := strconv.Atoi(m[2])
			segs = append(segs, seg{m[1], n, info})
		} else if m := manifestPat.FindStringSubmatch(name); m != nil && !strings.Contains(m[1], "..") {
			manifests[m[1]] = info
		}
	}
	sort.Slice(segs, func(i, j int) bool {
		if segs[i].n != segs[j].n {
			return segs[i].n < segs[j].n
		}
		return segs[i].track < segs[j].track
	})
	h.mu.Lock()
	h.known = len(segs)
	h.mu.Unlock()
	for _, s := range [...]string{ObjSession, ObjJournal, ObjRecord} {
		if err := h.pullSmall(ctx, s); err != nil {
			return false, err
		}
	}
	for name, info := range manifests {
		t := h.track(name)
		if t.built == "" && fileExists(h.wavPath(t)) {
			if err := h.build(ctx, t, info); err != nil {
				return false, err
			}
		}
	}
	for _, s := range segs {
		t := h.track(s.track)
		if t.have[s.n] == s.info.Digest || t.built != "" && manifests[t.name] != nil && h.small["manifest:"+t.name] == manifests[t.name].Digest {
			continue
		}
		if err := h.pullSegment(ctx, t, s.n, s.info); err != nil {
			return false, err
		}
	}
	for name, info := range manifests {
		if err := h.build(ctx, h.track(name), info); err != nil {
			return false, err
		}
	}
	dinfo, ok := h.infos[ObjDone]
	if !ok {
		return false, nil
	}
	h.mu.Lock()
	h.done = true
	h.mu.Unlock()
	return h.complete(ctx, dinfo)
}

// open makes DIR/host.partial, moving a verified DIR/host there when its
// bucket has changed since.
func (h *hostPull) open() error {
	if _, err := os.Stat(h.dir); err == nil {
		return nil
	}
	if _, err := os.Stat(h.final); err == nil {
		if _, err := os.Stat(filepath.Join(h.final, filepath.FromSlash(PulledFile))); err != nil {
			return h.errorf("%s exists and is not a pulled session (no %s): move it away", h.final, PulledFile)
		}
		h.p.log(fmt.Sprintf("%s's upload changed since the last pull: pulling it again", h.host))
		if err := os.Rename(h.final, h.dir); err != nil {
			return h.errorf("%w", err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Join(h.dir, "tracks"), 0o755); err != nil {
		return h.errorf("%w", err)
	}
	return nil
}

// skipVerified reports whether DIR/host holds the verified copy of exactly
// this upload (same done.json), from an earlier run.
func (h *hostPull) skipVerified(done *jetstream.ObjectInfo) bool {
	b, err := os.ReadFile(filepath.Join(h.final, filepath.FromSlash(PulledFile)))
	if err != nil {
		return false
	}
	var r PullReceipt
	if json.Unmarshal(b, &r) != nil || r.Done != done.Digest || r.Host != h.host {
		return false
	}
	for tr := range r.Tracks {
		if !safeTrackPath(tr) {
			return false
		}
		if _, err := os.Stat(filepath.Join(h.final, filepath.FromSlash(tr))); err != nil {
			return false
		}
	}
	rate := 0 // unknown: the length is then shown as "?"
	if meta, err := session.Load(h.final); err == nil {
		rate = meta.Rate
	}
	h.mu.Lock()
	h.state, h.done, h.frames = PullSkipped, true, r.Frames
	if rate > 0 {
		h.rate = rate
	}
	h.mu.Unlock()
	return true
}

func safeTrackPath(p string) bool {
	base, ok := strings.CutPrefix(p, "tracks/")
	if !ok {
		return false
	}
	base, ok = strings.CutSuffix(base, ".wav")
	return ok && segPat.MatchString("tracks/"+base+"/000000.seg") && !strings.Contains(base, "..")
}

func (h *hostPull) track(name string) *trackPull {
	t := h.tracks[name]
	if t == nil {
		t = &trackPull{name: name, have: map[int]string{}, segs: map[int]segHeaders{}, sum: sha256.New()}
		h.tracks[name] = t
	}
	return t
}

func (h *hostPull) pcmPath(t *trackPull) string {
	return filepath.Join(h.dir, "tracks", t.name+".pcm.part")
}

// partPath is where a track's audio is written in place: T.wav.part.
func (h *hostPull) partPath(t *trackPull) string { return h.wavPath(t) + ".part" }

// chooseData picks, on the first segment of a track, the file its audio
// goes into: T.wav.part at the host's data offset, or T.pcm.part at 0 when
// the host does not say where its audio starts.
func (h *hostPull) chooseData(t *trackPull, hd segHeaders) error {
	if t.data != "" {
		if hd.dataOff >= 0 && t.data == h.partPath(t) && hd.dataOff != t.off {
			return h.errorf("track %s: a segment puts the audio at byte %d, earlier ones at %d", t.name, hd.dataOff, t.off)
		}
		return nil
	}
	if hd.dataOff < 0 {
		t.data, t.off = h.pcmPath(t), 0
		return nil
	}
	t.data, t.off = h.partPath(t), hd.dataOff
	// A track completed before (its manifest replaced since): its audio is
	// in T.wav, at the same place.
	if !fileExists(t.data) && fileExists(h.wavPath(t)) {
		if err := os.Rename(h.wavPath(t), t.data); err != nil {
			return h.errorf("%w", err)
		}
		t.built = ""
	}
	return nil
}

func (h *hostPull) wavPath(t *trackPull) string {
	return filepath.Join(h.dir, "tracks", t.name+".wav")
}

// get reads a whole object, checking the object store's digest, with at
// most max bytes.
func (h *hostPull) get(ctx context.Context, name string, max int64) ([]byte, *jetstream.ObjectInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, err := h.obs.Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	info, _ := r.Info()
	if info != nil && int64(info.Size) > max {
		return nil, info, fmt.Errorf("%s: %d bytes (at most %d)", name, info.Size, max)
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, info, err
	}
	if int64(len(b)) > max {
		return nil, info, fmt.Errorf("%s: more than %d bytes", name, max)
	}
	h.bytes.Add(int64(len(b)))
	return b, info, nil
}

// pullSmall copies session.json, the journal or the room record into the
// folder when its digest changed.
func (h *hostPull) pullSmall(ctx context.Context, name string) error {
	info, ok := h.infos[name]
	if !ok || h.small[name] == info.Digest {
		return nil
	}
	var b []byte
	var got *jetstream.ObjectInfo
	var err error
	for range h.p.cfg.Retries + 1 {
		if b, got, err = h.get(ctx, name, maxSmallObject); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return h.errorf("%s: %w", name, err)
	}
	if name == ObjSession {
		var m struct {
			Rate int `json:"rate"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return h.errorf("%s: %w", name, err)
		}
		h.mu.Lock()
		h.rate = m.Rate
		h.mu.Unlock()
	}
	if err := writeFileAtomic(filepath.Join(h.dir, filepath.FromSlash(name)), b, 0o644); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return h.errorf("%w", err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(h.dir, filepath.FromSlash(name))), 0o755); err != nil {
			return h.errorf("%w", err)
		}
		if err := writeFileAtomic(filepath.Join(h.dir, filepath.FromSlash(name)), b, 0o644); err != nil {
			return h.errorf("%w", err)
		}
	}
	h.small[name] = got.Digest
	return nil
}

// segHeaders are a segment's object headers.
type segHeaders struct {
	start, frames int64
	dataOff       int64 // Podmark-Data-Offset, -1 when the host does not send it
	pcmSHA, codec string
}

// maxDataOffset bounds Podmark-Data-Offset: a WAV header podmark writes is
// under 1 KiB; a hostile value must not make a sparse file of terabytes.
const maxDataOffset = 1 << 20

func parseSegHeaders(info *jetstream.ObjectInfo) (segHeaders, error) {
	var s segHeaders
	hd := info.Headers
	var err1, err2 error
	s.start, err1 = strconv.ParseInt(hd.Get(HdrStart), 10, 64)
	s.frames, err2 = strconv.ParseInt(hd.Get(HdrFrames), 10, 64)
	s.pcmSHA, s.codec = strings.ToLower(hd.Get(HdrPCMSHA256)), hd.Get(HdrCodec)
	s.dataOff = -1
	if v := hd.Get(HdrDataOffset); v != "" {
		off, err := strconv.ParseInt(v, 10, 64)
		if err != nil || off < 12 || off > maxDataOffset {
			return s, fmt.Errorf("%s: bad %s header %q", info.Name, HdrDataOffset, v)
		}
		s.dataOff = off
	}
	switch {
	case err1 != nil || err2 != nil || s.start < 0 || s.frames <= 0 || s.frames > SegmentFrames:
		return s, fmt.Errorf("%s: bad %s/%s headers %q/%q", info.Name, HdrStart, HdrFrames, hd.Get(HdrStart), hd.Get(HdrFrames))
	case len(s.pcmSHA) != 64:
		return s, fmt.Errorf("%s: bad %s header %q", info.Name, HdrPCMSHA256, s.pcmSHA)
	case s.codec != CodecFLAC && s.codec != CodecPCM:
		return s, fmt.Errorf("%s: codec %q (want %s or %s)", info.Name, s.codec, CodecFLAC, CodecPCM)
	}
	return s, nil
}

// pullSegment fetches segment n of t, decodes it, checks its audio against
// Podmark-Pcm-Sha256 and writes it into the track's data file. A segment
// already there (an earlier run) is only hashed.
func (h *hostPull) pullSegment(ctx context.Context, t *trackPull, n int, info *jetstream.ObjectInfo) error {
	hd, err := parseSegHeaders(info)
	if err != nil {
		return h.errorf("track %s: %w", t.name, err)
	}
	if err := h.chooseData(t, hd); err != nil {
		return err
	}
	if t.align > 0 && h.onDisk(t, hd) {
		return h.gotSegment(t, n, info.Digest, hd, nil)
	}
	var lastErr error
	for attempt := 0; attempt <= h.p.cfg.Retries; attempt++ {
		if attempt > 0 {
			h.p.log(fmt.Sprintf("%s: track %s segment %d: %v; fetching it again", h.host, t.name, n, lastErr))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
			if fresh, err := h.obs.GetInfo(ctx, info.Name); err == nil {
				info = fresh
				if hd, err = parseSegHeaders(info); err != nil {
					return h.errorf("track %s: %w", t.name, err)
				}
			}
		}
		b, _, err := h.get(ctx, info.Name, maxSegmentObject)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lastErr = err
			continue
		}
		pcm, align, err := h.decode(t, b, hd)
		if err != nil {
			lastErr = err
			continue
		}
		if sum := sha256.Sum256(pcm); hex.EncodeToString(sum[:]) != hd.pcmSHA {
			lastErr = fmt.Errorf("decoded audio's SHA-256 %x is not its %s %s", sum[:6], HdrPCMSHA256, hd.pcmSHA[:12])
			continue
		}
		if t.align != 0 && align != t.align {
			return h.errorf("track %s segment %d: %d bytes per frame, earlier segments %d", t.name, n, align, t.align)
		}
		t.align = align
		if err := h.writeAt(t, t.off+hd.start*int64(align), pcm); err != nil {
			return err
		}
		return h.gotSegment(t, n, info.Digest, hd, pcm)
	}
	if transient(lastErr) {
		return h.errorf("track %s segment %d: %w", t.name, n, lastErr)
	}
	rate := h.progress().Rate
	if rate <= 0 {
		rate = 48000
	}
	sr := audio.SampleRate(rate)
	return &DamagedError{Host: h.host, Track: t.name, Segment: n,
		From: sr.D(hd.start), To: sr.D(hd.start + hd.frames), Err: lastErr}
}

// gotSegment records segment n of t as on disk and verified (pcm: its
// audio, when it was just decoded) and carries the track's audio hash on.
func (h *hostPull) gotSegment(t *trackPull, n int, digest string, hd segHeaders, pcm []byte) error {
	t.have[n] = digest
	t.segs[n] = hd
	t.frames = max(t.frames, hd.start+hd.frames)
	if n < t.hashed && t.hashedDig[n] != digest { // replaced (a recovered tail): hash again from the start
		t.sum.Reset()
		t.hashed, t.hashedEnd, t.hashedDig = 0, 0, nil
	}
	if err := h.hashOn(t, n, pcm); err != nil {
		return err
	}
	total := 0
	for _, o := range h.tracks {
		total += len(o.have)
	}
	h.mu.Lock()
	h.segments = total
	h.frames = max(h.frames, t.frames)
	h.mu.Unlock()
	return nil
}

// hashOn adds to the track's audio hash every segment that now follows the
// hashed ones without a gap: n from pcm when given, the others read back.
func (h *hostPull) hashOn(t *trackPull, n int, pcm []byte) error {
	for {
		hd, ok := t.segs[t.hashed]
		if !ok || hd.start != t.hashedEnd {
			return nil
		}
		if t.hashed == n && pcm != nil {
			t.sum.Write(pcm)
		} else {
			f, err := os.Open(t.data)
			if err != nil {
				return h.errorf("%w", err)
			}
			size := hd.frames * int64(t.align)
			got, err := io.Copy(t.sum, io.NewSectionReader(f, t.off+hd.start*int64(t.align), size))
			f.Close()
			if err == nil && got != size {
				err = fmt.Errorf("%s: %d bytes of segment %d, want %d", t.data, got, t.hashed, size)
			}
			if err != nil {
				return h.errorf("track %s: %w", t.name, err)
			}
		}
		t.hashedDig = append(t.hashedDig, t.have[t.hashed])
		t.hashed++
		t.hashedEnd += hd.frames
	}
}

// onDisk reports whether the track's data file already holds the segment's
// audio.
func (h *hostPull) onDisk(t *trackPull, hd segHeaders) bool {
	f, err := os.Open(t.data)
	if err != nil {
		return false
	}
	defer f.Close()
	n := hd.frames * int64(t.align)
	s := sha256.New()
	got, err := io.Copy(s, io.NewSectionReader(f, t.off+hd.start*int64(t.align), n))
	return err == nil && got == n && hex.EncodeToString(s.Sum(nil)) == hd.pcmSHA
}

// decode turns a segment object into the WAV data bytes it stands for.
func (h *hostPull) decode(t *trackPull, b []byte, hd segHeaders) (pcm []byte, align int, err error) {
	if hd.codec == CodecPCM {
		if len(b) == 0 || int64(len(b))%hd.frames != 0 {
			return nil, 0, fmt.Errorf("%d bytes of raw audio for %d frames", len(b), hd.frames)
		}
		return b, len(b) / int(hd.frames), nil
	}
	tmp, err := os.CreateTemp(filepath.Join(h.dir, "tracks"), t.name+".seg-*.flac")
	if err != nil {
		return nil, 0, h.errorf("%w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return nil, 0, h.errorf("%w", err)
	}
	r, err := codec.OpenFLAC(tmp.Name())
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	in := r.Info()
	bps := 0
	switch in.Bits {
	case 16:
		bps = 2
	case 24:
		bps = 3
	default:
		return nil, 0, fmt.Errorf("FLAC of %d bits (want 16 or 24)", in.Bits)
	}
	align = bps * in.Channels
	pcm = make([]byte, 0, hd.frames*int64(align))
	buf := make([]int32, 4096*in.Channels)
	for {
		n, err := r.ReadInt32(buf)
		for _, v := range buf[:n] {
			if bps == 2 {
				pcm = append(pcm, byte(v), byte(v>>8))
			} else {
				pcm = append(pcm, byte(v), byte(v>>8), byte(v>>16))
			}
		}
		if int64(len(pcm)) > hd.frames*int64(align) {
			return nil, 0, fmt.Errorf("FLAC holds more than the %d frames its %s says", hd.frames, HdrFrames)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	if int64(len(pcm)) != hd.frames*int64(align) {
		return nil, 0, fmt.Errorf("FLAC holds %d frames, its %s says %d", len(pcm)/align, HdrFrames, hd.frames)
	}
	return pcm, align, nil
}

func (h *hostPull) writeAt(t *trackPull, off int64, b []byte) error {
	f, err := os.OpenFile(t.data, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return h.errorf("%w", err)
	}
	_, werr := f.WriteAt(b, off)
	if err := errors.Join(werr, f.Close()); err != nil {
		return h.errorf("%s: %w", t.data, err)
	}
	return nil
}

// readManifest fetches and checks a track's manifest.
func (h *hostPull) readManifest(ctx context.Context, t *trackPull, info *jetstream.ObjectInfo) (Manifest, error) {
	var b []byte
	var err error
	for range h.p.cfg.Retries + 1 {
		if b, _, err = h.get(ctx, info.Name, maxManifestObject); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return Manifest{}, h.errorf("track %s manifest: %w", t.name, err)
	}
	m, err := parseManifest(b)
	if err != nil {
		return m, h.errorf("track %s: %w", t.name, err)
	}
	if m.Track != "tracks/"+t.name+".wav" {
		return m, h.errorf("track %s: manifest names track %q", t.name, m.Track)
	}
	return m, nil
}

// parseManifest decodes and checks a track manifest (outside input).
func parseManifest(b []byte) (Manifest, error) {
	var m Manifest
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: manifest: %v", ErrMessage, err)
	}
	if d.More() {
		return m, fmt.Errorf("%w: manifest: trailing data", ErrMessage)
	}
	if m.V != Version {
		return m, fmt.Errorf("%w: manifest version %d (this podmark reads %d)", ErrMessage, m.V, Version)
	}
	if !safeTrackPath(m.Track) {
		return m, fmt.Errorf("%w: manifest track %q (want tracks/NAME.wav)", ErrMessage, m.Track)
	}
	if m.Rate < MinRate || m.Rate > MaxRate || m.Channels < 1 || m.Channels > 64 || m.Frames < 0 || m.Frames > int64(m.Rate)*MaxSeconds {
		return m, fmt.Errorf("%w: manifest figures out of range", ErrMessage)
	}
	if len(m.FileSHA256) != 64 || len(m.PCMSHA256) != 64 || len(m.Header) < 12 {
		return m, fmt.Errorf("%w: manifest hashes or header missing", ErrMessage)
	}
	var next int64
	for i, s := range m.Segments {
		if s.N != i || s.Start != next || s.Frames <= 0 || s.Frames > SegmentFrames || len(s.PCMSHA256) != 64 {
			return m, fmt.Errorf("%w: manifest segment %d: not in order or out of range", ErrMessage, i)
		}
		next += s.Frames
	}
	if next != m.Frames {
		return m, fmt.Errorf("%w: manifest segments hold %d frames, the track %d", ErrMessage, next, m.Frames)
	}
	return m, nil
}

// build rebuilds T.wav from its manifest once every segment it lists is on
// disk as listed, and verifies it.
func (h *hostPull) build(ctx context.Context, t *trackPull, info *jetstream.ObjectInfo) error {
	if t.built != "" && h.small["manifest:"+t.name] == info.Digest {
		return nil
	}
	m, err := h.readManifest(ctx, t, info)
	if err != nil {
		return err
	}
	wav := h.wavPath(t)
	if sum, err := fileSHA256(wav); err == nil && sum == m.FileSHA256 {
		t.built, t.frames = sum, m.Frames // an earlier run's
		h.small["manifest:"+t.name] = info.Digest
		return nil
	}
	for _, s := range m.Segments {
		oi, ok := h.infos[SegmentObject(t.name, s.N)]
		if !ok {
			return nil // not all in yet (following) or missing (reported at the end)
		}
		if s.Digest != "" && oi.Digest != s.Digest {
			return h.errorf("track %s segment %d: the bucket's object (%s) is not the one the manifest lists (%s)", t.name, s.N, oi.Digest, s.Digest)
		}
		if t.have[s.N] != oi.Digest {
			return nil
		}
	}
	if len(m.Segments) > 0 && t.align == 0 {
		return nil
	}
	if len(m.Segments) > 0 && t.data == h.partPath(t) && t.off == int64(len(m.Header)) && hashCovers(t, m) {
		if err := h.finishInPlace(t, m); err != nil {
			return err
		}
	} else if err := h.rebuild(t, m); err != nil {
		return err
	}
	h.small["manifest:"+t.name] = info.Digest
	h.mu.Lock()
	h.rate = m.Rate
	h.mu.Unlock()
	return nil
}

// hashCovers reports whether the track's carried audio hash covers exactly
// the segments m lists, as they are on disk.
func hashCovers(t *trackPull, m Manifest) bool {
	if t.hashed != len(m.Segments) {
		return false
	}
	for _, s := range m.Segments {
		hd := t.segs[s.N]
		if t.hashedDig[s.N] != t.have[s.N] || hd.start != s.Start || hd.frames != s.Frames {
			return false
		}
	}
	return true
}

// finishInPlace completes T.wav.part, whose audio is already where it
// belongs and hashed: the audio's SHA-256 checked against the manifest,
// the manifest's header written in front and its trailer after, synced and
// renamed to T.wav. Its work does not grow with the track's length.
func (h *hostPull) finishInPlace(t *trackPull, m Manifest) error {
	wav := h.wavPath(t)
	if got := hex.EncodeToString(t.sum.Sum(nil)); got != m.PCMSHA256 {
		return h.errorf("track %s: its audio's SHA-256 is %s, its manifest says %s", t.name, got[:12], m.PCMSHA256[:12])
	}
	if !fileExists(t.data) && fileExists(wav) { // completed before, its manifest replaced since
		if err := os.Rename(wav, t.data); err != nil {
			return h.errorf("%w", err)
		}
	}
	end := t.off + m.Frames*int64(t.align)
	f, err := os.OpenFile(t.data, os.O_RDWR, 0)
	if err != nil {
		return h.errorf("track %s: %w", t.name, err)
	}
	_, err = f.WriteAt(m.Header, 0)
	if err == nil {
		err = f.Truncate(end)
	}
	if err == nil && len(m.Trailer) > 0 {
		_, err = f.WriteAt(m.Trailer, end)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.data, wav)
	}
	if err != nil {
		return h.errorf("track %s: %w", t.name, err)
	}
	// header + audio + trailer, each as the manifest states them: the
	// host's file, whose SHA-256 the manifest gives.
	t.built = m.FileSHA256
	return nil
}

// rebuild writes T.wav from the manifest's header, the audio in the
// track's data file and the trailer, hashing the audio and the whole file
// as it copies, and renames it once both hashes match the manifest's.
func (h *hostPull) rebuild(t *trackPull, m Manifest) error {
	wav := h.wavPath(t)
	part := wav + ".part"
	if t.data == part {
		part = wav + ".new"
	}
	f, err := os.Create(part)
	if err != nil {
		return h.errorf("%w", err)
	}
	fileSum, pcmSum := sha256.New(), sha256.New()
	w := io.MultiWriter(f, fileSum)
	_, err = w.Write(m.Header)
	var pcmLen int64
	if err == nil && len(m.Segments) > 0 {
		var src *os.File
		if src, err = os.Open(t.data); err == nil {
			pcmLen = m.Frames * int64(t.align)
			var n int64
			n, err = io.Copy(io.MultiWriter(w, pcmSum), io.NewSectionReader(src, t.off, pcmLen))
			if err == nil && n != pcmLen {
				err = fmt.Errorf("%s: %d bytes, want %d", t.data, n, pcmLen)
			}
			src.Close()
		}
	}
	if err == nil {
		_, err = w.Write(m.Trailer)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(part)
		return h.errorf("track %s: %w", t.name, err)
	}
	gotPCM, gotFile := hex.EncodeToString(pcmSum.Sum(nil)), hex.EncodeToString(fileSum.Sum(nil))
	if len(m.Segments) == 0 {
		gotPCM = hex.EncodeToString(sha256.New().Sum(nil))
	}
	if gotPCM != m.PCMSHA256 || gotFile != m.FileSHA256 {
		os.Remove(part)
		return h.errorf("track %s rebuilt with audio SHA-256 %s and file SHA-256 %s, its manifest says %s and %s",
			t.name, gotPCM[:12], gotFile[:12], m.PCMSHA256[:12], m.FileSHA256[:12])
	}
	if err := os.Rename(part, wav); err != nil {
		return h.errorf("%w", err)
	}
	if t.data == h.partPath(t) {
		os.Remove(t.data) // its audio is in T.wav now
	}
	t.built = gotFile
	return nil
}

// transient reports whether err is the relay being out of reach or slow,
// not a damaged or refused object.
func transient(err error) bool {
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, os.ErrDeadlineExceeded)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(s.Sum(nil)), nil
}

// parseDone decodes and checks a host's done.json (outside input).
func parseDone(b []byte) (UploadDone, error) {
	var d UploadDone
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("%w: done: %v", ErrMessage, err)
	}
	if dec.More() {
		return d, fmt.Errorf("%w: done: trailing data", ErrMessage)
	}
	if d.V != Version {
		return d, fmt.Errorf("%w: done version %d (this podmark reads %d)", ErrMessage, d.V, Version)
	}
	if err := CheckName("host", d.Host); err != nil {
		return d, fmt.Errorf("%w: done: %v", ErrMessage, err)
	}
	if len(d.Tracks) > 256 {
		return d, fmt.Errorf("%w: done: %d tracks", ErrMessage, len(d.Tracks))
	}
	for _, tr := range d.Tracks {
		if !safeTrackPath(tr) {
			return d, fmt.Errorf("%w: done: track %q (want tracks/NAME.wav)", ErrMessage, tr)
		}
	}
	return d, nil
}

// complete finishes the host once done.json is in: every track it lists
// rebuilt and verified, session.json and the journal at their final
// digests; then the folder is renamed and the pull announced.
func (h *hostPull) complete(ctx context.Context, dinfo *jetstream.ObjectInfo) (bool, error) {
	b, _, err := h.get(ctx, ObjDone, maxManifestObject)
	if err != nil {
		return false, h.errorf("%s: %w", ObjDone, err)
	}
	d, err := parseDone(b)
	if err != nil {
		return false, h.errorf("%w", err)
	}
	if d.Host != h.host {
		return false, h.errorf("%s names host %q", ObjDone, d.Host)
	}
	if _, ok := h.infos[ObjSession]; !ok {
		return false, h.errorf("%s is in but %s is not", ObjDone, ObjSession)
	}
	rec := PullReceipt{V: Version, Host: h.host, Room: h.p.names.Show + "/" + h.p.names.Episode, Done: dinfo.Digest,
		Tracks: map[string]string{}, UTC: time.Now().UTC()}
	for _, tr := range d.Tracks {
		name := strings.TrimSuffix(strings.TrimPrefix(tr, "tracks/"), ".wav")
		t := h.tracks[name]
		if _, ok := h.infos[ManifestObject(name)]; !ok {
			return false, h.errorf("%s lists %s but its manifest is not in the bucket", ObjDone, tr)
		}
		if t == nil || t.built == "" {
			if h.p.cfg.Follow {
				return false, nil // segments still arriving
			}
			return false, h.errorf("track %s: segments missing from the bucket", name)
		}
		rec.Tracks[tr] = t.built
		rec.Frames = max(rec.Frames, t.frames)
	}
	// Folder: only the tracks done.json lists, the small objects, and the receipt.
	for name := range h.tracks {
		os.Remove(h.pcmPath(h.tracks[name]))
	}
	rb, _ := json.MarshalIndent(rec, "", "  ")
	if err := os.MkdirAll(filepath.Join(h.dir, RecordDir), 0o755); err != nil {
		return false, h.errorf("%w", err)
	}
	if err := writeFileAtomic(filepath.Join(h.dir, filepath.FromSlash(PulledFile)), append(rb, '\n'), 0o644); err != nil {
		return false, h.errorf("%w", err)
	}
	if err := os.Rename(h.dir, h.final); err != nil {
		return false, h.errorf("%w", err)
	}
	h.mu.Lock()
	h.state = PullVerified
	h.frames = rec.Frames
	h.mu.Unlock()
	h.announce(rec.Frames)
	return true, nil
}

// announce publishes Pulled for the host (best effort: the copy is on disk
// whether or not the host hears of it).
func (h *hostPull) announce(frames int64) {
	b, err := Encode(Pulled{V: Version, From: h.p.cfg.As, Host: h.host, Frames: frames, UTC: time.Now().UTC()})
	if err == nil {
		err = h.p.nc.Publish(h.p.names.Pulled(h.p.cfg.As), b)
	}
	if err == nil {
		err = h.p.nc.FlushTimeout(5 * time.Second)
	}
	if err != nil {
		h.p.log(fmt.Sprintf("telling %s the copy is complete: %v", h.host, err))
	}
}
