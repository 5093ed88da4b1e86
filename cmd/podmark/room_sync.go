package main

// `podmark room sync DIR [LINK]`: sends what a session's room outbox holds
// and brings its room/ record up to date.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
)

func runRoomSync(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("room sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	creds := fs.String("creds", "", "credentials `file` (nkey seed) from 'podmark room invite'")
	ca := fs.String("room-ca", "", "PEM `file` of the CA that signed the relay's certificate")
	within := fs.Duration("timeout", 60*time.Second, "give up after this long (what is unsent stays in the outbox)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) < 1 || len(rest) > 2 {
		fmt.Fprintln(stderr, "podmark room sync: need a session folder DIR, and LINK unless DIR's room/outbox.jsonl names the room")
		return 2
	}
	dir := rest[0]
	meta, err := session.Load(dir)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room sync: %v\n", err)
		return 2
	}
	pending, ob, err := room.OutboxPending(dir)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room sync: %v\n", err)
		return 1
	}
	host := room.SafeHost(meta.Host)
	if ob.Host != "" {
		host = ob.Host
	}
	link := ""
	switch {
	case len(rest) == 2:
		link = rest[1]
	case ob.Server != "":
		link = ob.Link()
	default:
		fmt.Fprintf(stderr, "podmark room sync: %s has no room outbox: give the room LINK\n", dir)
		return 2
	}
	l, err := room.ParseLink(link)
	if err != nil {
		fmt.Fprintf(stderr, "podmark room sync: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "podmark room sync: %s: %d marker event(s) to send to %s as %s\n", dir, pending, l, host)
	ctx, cancel := context.WithTimeout(context.Background(), *within)
	defer cancel()
	res, err := room.SendOutbox(ctx, room.Config{Link: l, Creds: *creds, CA: *ca, Host: host, Rate: meta.Rate, Dir: dir,
		Log: func(msg string) { fmt.Fprintf(stderr, "podmark room sync: %s\n", msg) }})
	if err != nil {
		fmt.Fprintf(stderr, "podmark room sync: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "podmark room sync: %s: sent %d marker event(s); %d new from the other hosts in %s\n", dir, res.Sent, res.Received, room.RecordFile)
	return 0
}

// sayOutbox tells the host after a crash (`podmark recover`) when the
// session's room outbox still holds markers the room has not received.
func sayOutbox(dir string, stderr io.Writer) {
	n, ob, err := room.OutboxPending(dir)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "podmark recover: %v\n", err)
	case n > 0:
		fmt.Fprintf(stderr, "podmark recover: %d marker event(s) never reached the room %s: 'podmark room sync %s' sends them\n", n, ob.Link(), dir)
	}
}
