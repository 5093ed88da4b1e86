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
	var u uploadCall
	fs.StringVar(&u.link, "room", "", "room `link` (default: the one DIR was recorded in)")
	fs.StringVar(&u.creds, "creds", "", "room credentials `file` (nkey seed); default: the one DIR was recorded with")
	fs.StringVar(&u.ca, "room-ca", "", "PEM `file` of the CA that signed the relay's TLS certificate")
	fs.IntVar(&u.kbps, "upload-kbps", room.DefaultUploadKbps, "cap of the upload in `kbit/s` (0 = no cap)")
	u.stdout, u.stderr = stdout, stderr
	// flags may follow DIR
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		if u.dir != "" {
			fmt.Fprintf(stderr, "podmark upload: unexpected argument %q\n", fs.Arg(0))
			return 2
		}
		u.dir, rest = fs.Arg(0), fs.Args()[1:]
	}
	if u.dir == "" {
		fs.Usage()
		return 2
	}
	l, err := u.resolve()
	if err != nil {
		u.say("%v", err)
		return 2
	}
	c, err := room.Join(room.Config{Link: l, Creds: u.creds, CA: u.ca, Host: u.host, Rate: u.meta.Rate, NoMarkers: true,
		OnLink: func(st room.LinkState) {
			if st != room.LinkClosed {
				u.say("room %s: %s", l, st)
			}
		},
		Log: func(msg string) { u.say("%s", msg) }})
	if err != nil {
		u.say("--room: %v", err)
		return 2
	}
	defer c.Close(context.Background())
	up, err := room.StartUpload(context.Background(), c, u.dir, room.UploadOptions{Kbps: u.kbps, Log: func(msg string) { u.say("%s", msg) }})
	if err != nil {
		u.say("%v", err)
		return 1
	}
	defer up.Close()
	u.say("sending %s to %s as %s (cap %s)", u.dir, l, u.host, kbpsText(u.kbps))
	return u.wait(c, up)
}

// uploadCall is a `podmark upload` call: its flags and the session.
type uploadCall struct {
	dir, link, creds, ca string
	kbps                 int
	meta                 session.Meta
	host                 string
	stdout, stderr       io.Writer
}

func (u *uploadCall) say(format string, a ...any) {
	fmt.Fprintf(u.stderr, "podmark upload: "+format+"\n", a...)
}

// resolve checks the flags and the session, and finds the room (--room, or
// the one the session was recorded in, from room/link.json), the host name
// and the credentials.
func (u *uploadCall) resolve() (room.Link, error) {
	if u.kbps < 0 {
		return room.Link{}, fmt.Errorf("--upload-kbps %d: want 0 (no cap) or more", u.kbps)
	}
	meta, err := room.FinishedSession(u.dir)
	if err != nil {
		return room.Link{}, err
	}
	u.meta = meta
	sl, slErr := room.ReadSessionLink(u.dir)
	u.host = room.SafeHost(meta.Host)
	if slErr == nil {
		u.host = sl.Host
	}
	if u.link == "" {
		if slErr != nil {
			if errors.Is(slErr, os.ErrNotExist) {
				return room.Link{}, fmt.Errorf("--room is required: %s was not recorded with --room", u.dir)
			}
			return room.Link{}, fmt.Errorf("--room is required: %v", slErr)
		}
		u.link = sl.Link
		if sl.Secret && u.creds == "" && sl.Creds == "" {
			u.say("the room link had a token, not kept in %s: if the relay refuses, give --room with it", room.LinkFile)
		}
	}
	if u.creds == "" && slErr == nil {
		u.creds = sl.Creds
	}
	if u.ca == "" && slErr == nil {
		u.ca = sl.CA
	}
	l, err := room.ParseLink(u.link)
	if err != nil {
		return l, fmt.Errorf("--room: %v", err)
	}
	if u.creds != "" {
		if _, err := os.Stat(u.creds); err != nil {
			return l, fmt.Errorf("--creds: %v", err)
		}
	}
	return l, nil
}

// wait shows the upload's progress once a second, with this host's
// presence, until it is sent and verified (0), fails or is interrupted (1).
func (u *uploadCall) wait(c *room.Client, up *room.Uploader) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	meta := u.meta
	presence := func() { _ = c.PublishPresence(room.FinishedPresence(meta, up.Status())) }
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-up.Done():
			presence()
			st := up.Status()
			if st.State != room.UploadVerified {
				u.say("%s", UploadLine(st))
				return 1
			}
			u.say("all sent and verified: %d frames per track, %d track(s)", st.Sent, len(meta.Tracks))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = c.Flush(ctx)
			return 0
		case <-sigs:
			u.say("stopped (%s); run it again to send the rest", UploadLine(up.Status()))
			return 1
		case <-t.C:
			presence()
			st := up.Status()
			fmt.Fprintf(u.stdout, "upload %s: %s of %s sent\n", UploadLine(st), fmtFrames(st.Sent, meta.Rate), fmtFrames(st.Recorded, meta.Rate))
		}
	}
}

func kbpsText(k int) string {
	if k == 0 {
		return "none"
	}
	return fmt.Sprintf("%d kbit/s", k)
}
