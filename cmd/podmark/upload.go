package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
)

func init() {
	register("upload", "send a finished (or recovered) session to its room: the rest of the progressive hand-off", runUpload)
}

const uploadHelp = `Sends the session folder DIR to the room's relay as 'podmark record --room' does while recording:
what the relay already holds (with the same samples) is not sent again, the rest is, then the
manifests, session.json, the journal, the room record and done.json, and the relay's copy is checked.
Use it after a recording whose upload was left unfinished (Ctrl-C while it waited, no link) and after
'podmark recover DIR' of a recording killed mid-show (the recovered tail is marked recovered).
--room defaults to the room noted in DIR/room/link.json by 'record --room' (its token is not kept:
give --room again for a link with a token, or --creds). Ctrl-C stops; run it again to go on.`

func runUpload(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark upload DIR [--room LINK] [--creds FILE] [--room-ca FILE] [--upload-kbps N]")
		fmt.Fprintln(stderr, uploadHelp)
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	link := fs.String("room", "", "room `link` (default: the one DIR was recorded in)")
	creds := fs.String("creds", "", "room credentials `file` (nkey seed); default: the one DIR was recorded with")
	ca := fs.String("room-ca", "", "PEM `file` of the CA that signed the relay's TLS certificate")
	kbps := fs.Int("upload-kbps", room.DefaultUploadKbps, "cap of the upload in `kbit/s` (0 = no cap)")
	// flags may follow DIR
	var dir string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		if dir != "" {
			fmt.Fprintf(stderr, "podmark upload: unexpected argument %q\n", fs.Arg(0))
			return 2
		}
		dir, rest = fs.Arg(0), fs.Args()[1:]
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "podmark upload: "+format+"\n", a...)
		return 2
	}
	if dir == "" {
		fs.Usage()
		return 2
	}
	if *kbps < 0 {
		return bad("--upload-kbps %d: want 0 (no cap) or more", *kbps)
	}
	meta, err := session.Load(dir)
	if err != nil {
		return bad("%v", err)
	}
	if meta.State.Unfinished() {
		return bad("%s was not finalized (state %s): run 'podmark recover %s' first", dir, meta.State, dir)
	}
	if meta.State == session.StateCreated {
		return bad("%s holds no recording", dir)
	}
	sl, slErr := room.ReadSessionLink(dir)
	host := room.SafeHost(meta.Host)
	if slErr == nil {
		host = sl.Host
	}
	if *link == "" {
		if slErr != nil {
			if errors.Is(slErr, os.ErrNotExist) {
				return bad("--room is required: %s was not recorded with --room", dir)
			}
			return bad("--room is required: %v", slErr)
		}
		*link = sl.Link
		if sl.Secret && *creds == "" && sl.Creds == "" {
			fmt.Fprintf(stderr, "podmark upload: the room link had a token, not kept in %s: if the relay refuses, give --room with it\n", room.LinkFile)
		}
	}
	if *creds == "" && slErr == nil {
		*creds = sl.Creds
	}
	if *ca == "" && slErr == nil {
		*ca = sl.CA
	}
	l, err := room.ParseLink(*link)
	if err != nil {
		return bad("--room: %v", err)
	}
	if *creds != "" {
		if _, err := os.Stat(*creds); err != nil {
			return bad("--creds: %v", err)
		}
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "podmark upload: "+format+"\n", a...) }
	c, err := room.Join(room.Config{Link: l, Creds: *creds, CA: *ca, Host: host, Rate: meta.Rate, NoMarkers: true,
		OnLink: func(st room.LinkState) {
			if st != room.LinkClosed {
				say("room %s: %s", l, st)
			}
		},
		Log: func(msg string) { say("%s", msg) }})
	if err != nil {
		return bad("--room: %v", err)
	}
	defer c.Close(context.Background())
	up, err := room.StartUpload(context.Background(), c, dir, room.UploadOptions{Kbps: *kbps, Log: func(msg string) { say("%s", msg) }})
	if err != nil {
		say("%v", err)
		return 1
	}
	defer up.Close()
	say("sending %s to %s as %s (cap %s)", dir, l, host, kbpsText(*kbps))
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	presence := func() {
		st := up.Status()
		p := room.Presence{State: room.StateStopped, Rate: meta.Rate, Position: meta.Frames, Elapsed: float64(meta.Frames) / float64(meta.Rate), DiskLeft: -1, Upload: &st}
		if meta.State == session.StateFailed {
			p.State = room.StateFailed
			p.Error = room.OneLine(meta.Error, room.MaxTitle)
		}
		_ = c.PublishPresence(p)
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-up.Done():
			presence()
			st := up.Status()
			if st.State != room.UploadVerified {
				say("%s", UploadLine(st))
				return 1
			}
			say("all sent and verified: %d frames per track, %d track(s)", st.Sent, len(meta.Tracks))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = c.Flush(ctx)
			return 0
		case <-sigs:
			say("stopped (%s); run it again to send the rest", UploadLine(up.Status()))
			return 1
		case <-t.C:
			presence()
			st := up.Status()
			fmt.Fprintf(stdout, "upload %s: %s of %s sent\n", UploadLine(st), fmtFrames(st.Sent, meta.Rate), fmtFrames(st.Recorded, meta.Rate))
		}
	}
}

func kbpsText(k int) string {
	if k == 0 {
		return "none"
	}
	return fmt.Sprintf("%d kbit/s", k)
}
