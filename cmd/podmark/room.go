package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/markers"
)

func init() {
	register("room", "the show room: watch LINK, markers LINK, invite LINK, sync DIR", runRoom)
}

const roomUsage = `usage: podmark room watch LINK [--creds FILE] [--as NAME] [--for DUR]
       podmark room markers LINK [--creds FILE] [--timeline HOST] --to FORMAT OUT
       podmark room invite LINK --host NAME --auth FILE [--editor] [--token] [--out FILE]
       podmark room sync DIR [LINK] [--creds FILE] [--room-ca FILE] [--timeout DUR]
LINK is nats://[TOKEN@]HOST[:PORT]/SHOW/EPISODE (tls:// for TLS).`

func runRoom(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprintln(stderr, roomUsage)
		return 2
	}
	switch args[0] {
	case "watch":
		return runRoomWatch(args[1:], stdout, stderr)
	case "markers":
		return runRoomMarkers(args[1:], stdout, stderr)
	case "invite":
		return runRoomInvite(args[1:], stdout, stderr)
	case "sync":
		return runRoomSync(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "podmark room: unknown subcommand %q\n%s\n", args[0], roomUsage)
	return 2
}

// roomClientFlags are the flags of the commands that join a room to read it.
type roomClientFlags struct {
	creds, ca, as *string
}

func addRoomClientFlags(fs *flag.FlagSet) roomClientFlags {
	return roomClientFlags{
		creds: fs.String("creds", "", "credentials `file` (nkey seed) from 'podmark room invite'"),
		ca:    fs.String("room-ca", "", "PEM `file` of the CA that signed the relay's certificate"),
		as:    fs.String("as", "editor", "`name` this podmark goes by in the room"),
	}
}

func (f roomClientFlags) join(name string, link string, stderr io.Writer, cfg room.Config) (*room.Client, bool) {
	l, err := room.ParseLink(link)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room %s: %v\n", name, err)
		return nil, false
	}
	cfg.Link, cfg.Creds, cfg.CA, cfg.Host, cfg.Watch = l, *f.creds, *f.ca, *f.as, true
	cfg.Log = func(msg string) { fmt.Fprintf(stderr, "podmark room %s: %s\n", name, msg) }
	c, err := room.Join(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room %s: %v\n", name, err)
		return nil, false
	}
	return c, true
}

// watchEvent is one line of `podmark room watch`.
type watchEvent struct {
	Event    string         `json:"event"` // marker, presence, rundown, link
	Marker   *room.Received `json:"marker,omitempty"`
	At       *float64       `json:"at,omitempty"` // marker position in seconds on its author's clock
	Presence *room.Presence `json:"presence,omitempty"`
	Rundown  *room.Rundown  `json:"rundown,omitempty"`
	Link     string         `json:"link,omitempty"`
	UTC      time.Time      `json:"utc"`
}

func runRoomWatch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("room watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addRoomClientFlags(fs)
	dur := fs.Duration("for", 0, "stop after this long (0 = until interrupted)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "podmark room watch: need one LINK")
		return 2
	}
	var mu sync.Mutex
	emit := func(e watchEvent) {
		e.UTC = time.Now().UTC()
		b, _ := json.Marshal(e)
		mu.Lock()
		stdout.Write(append(b, '\n'))
		mu.Unlock()
	}
	c, ok := cf.join("watch", rest[0], stderr, room.Config{
		OnMarker: func(r room.Received) {
			at := float64(r.Sample) / float64(r.Rate)
			emit(watchEvent{Event: "marker", Marker: &r, At: &at})
		},
		OnPresence: func(p room.Presence) { emit(watchEvent{Event: "presence", Presence: &p}) },
		OnRundown:  func(r room.Rundown) { emit(watchEvent{Event: "rundown", Rundown: &r}) },
		OnLink:     func(s room.LinkState) { emit(watchEvent{Event: "link", Link: string(s)}) },
	})
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	<-ctx.Done()
	c.Close(context.Background())
	return 0
}

func runRoomMarkers(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("room markers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addRoomClientFlags(fs)
	timeline := fs.String("timeline", "", "`host` whose clock the markers are placed on (default: the first host to mark)")
	var to formatFlag
	fs.Var(&to, "to", "output `format`: podmark, podcast-json, psc, mp4chaps, webvtt, youtube, audacity, reaper-csv, cue")
	title := fs.String("title", "", "episode `title` for the output (default: SHOW/EPISODE)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 2 || to.f == "" {
		fmt.Fprintln(stderr, "podmark room markers: need LINK, --to FORMAT and OUT")
		return 2
	}
	var col eventCollector
	c, ok := cf.join("markers", rest[0], stderr, room.Config{OnMarker: col.add})
	if !ok {
		return 2
	}
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := col.all(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room markers: %v\n", err)
		return 1
	}
	ms, rates := room.Replay(got)
	if len(ms) == 0 {
		fmt.Fprintln(stderr, "podmark room markers: the room has no markers")
		return 1
	}
	host := *timeline
	if host == "" {
		host = ms[0].Author
	}
	if _, ok := rates[host]; !ok {
		fmt.Fprintf(stderr, "podmark room markers: --timeline %s: no markers from that host in the room\n", host)
		return 2
	}
	hosts := make([]string, 0, len(rates))
	for h := range rates {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	tl, err := c.ClockTimeline(ctx, hosts)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room markers: shared clock unavailable (%v): placing by the hosts' UTC clocks\n", err)
		tl = room.UTCTimeline(ms, rates)
	}
	placed, missing, err := tl.Place(host, ms)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room markers: %v\n", err)
		return 1
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "podmark room markers: no clock for %v: their markers are left out\n", missing)
	}
	l, _ := room.ParseLink(rest[0])
	d := markers.Doc{Version: markers.DocVersion, Title: *title, Rate: rates[host], Markers: placed}
	if d.Title == "" {
		d.Title = l.Show + "/" + l.Episode
	}
	if err := writeMarkersOut(rest[1], stdout, func(w io.Writer) error { return markers.Write(w, to.f, d) }); err != nil {
		fmt.Fprintf(stderr, "podmark room markers: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "podmark room markers: %d markers from %d host(s) on %s's timeline (%s), in %s\n", len(placed), len(hosts), host, tl.Source, rest[1])
	return 0
}

// eventCollector gathers a room's marker events as a watcher receives them.
type eventCollector struct {
	mu   sync.Mutex
	got  []room.Received
	last uint64
}

func (e *eventCollector) add(r room.Received) {
	e.mu.Lock()
	e.got = append(e.got, r)
	e.last = r.Seq
	e.mu.Unlock()
}

// all waits until c has joined and every event the room's stream held
// when it joined has arrived, and returns them.
func (e *eventCollector) all(ctx context.Context, c *room.Client) ([]room.Received, error) {
	for !c.Joined() {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("cannot reach the room (%s)", c.Link())
		}
		time.Sleep(20 * time.Millisecond)
	}
	want, err := c.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	for {
		e.mu.Lock()
		last := e.last
		e.mu.Unlock()
		if last >= want {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("only %d of %d events arrived", last, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]room.Received(nil), e.got...), nil
}

func runRoomInvite(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("room invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "", "the host's `name` (the --host it records with), or a name for the editor")
	authFile := fs.String("auth", "", "the relay's credentials `file` (created if missing; restart the relay to load it)")
	editor := fs.Bool("editor", false, "read-only credentials for the editor")
	token := fs.Bool("token", false, "a password carried in the link instead of an nkey file (quick setups)")
	out := fs.String("out", "", "`file` for the nkey seed (default HOST.nk)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 1 || *host == "" || *authFile == "" {
		fmt.Fprintln(stderr, "podmark room invite: need LINK, --host and --auth")
		return 2
	}
	l, err := room.ParseLink(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "podmark room invite: %v\n", err)
		return 2
	}
	a, err := room.ReadAuth(*authFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "podmark room invite: %v\n", err)
		return 1
	}
	role := room.RoleHost
	if *editor {
		role = room.RoleEditor
	}
	inv, err := room.Invite(a, l, *host, role, *token)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room invite: %v\n", err)
		return 1
	}
	if !*token {
		path := *out
		if path == "" {
			path = *host + ".nk"
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "podmark room invite: %v\n", err)
			return 1
		}
		_, werr := f.Write(append(inv.Seed, '\n'))
		if err := errors.Join(werr, f.Close()); err != nil {
			fmt.Fprintf(stderr, "podmark room invite: %s: %v\n", path, err)
			return 1
		}
		fmt.Fprintf(stdout, "podmark room invite: %s (%s): give them the link %s and the file %s (--creds %s); keep it secret\n", *host, role, inv.Link.Full(), path, path)
	} else {
		fmt.Fprintf(stdout, "podmark room invite: %s (%s): give them the link %s; keep it secret\n", *host, role, inv.Link.Full())
	}
	if err := room.WriteAuth(*authFile, a); err != nil {
		fmt.Fprintf(stderr, "podmark room invite: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "podmark room invite: %s now holds %d credential(s); restart 'podmark relay --auth %s' to load it\n", *authFile, len(a.Members), *authFile)
	return 0
}
