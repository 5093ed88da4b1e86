package main

// The progressive hand-off in `podmark record --room` (--upload-kbps) and
// `podmark upload`. record_room.go calls startUpload, uploadStatus and
// waitUpload; record.go prints uploadNote in its status line.

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// startUpload starts the uploader of the recording and notes the room in
// the session folder (for a later `podmark upload`).
func (rj *roomJoin) startUpload(l room.Link, kbps int, creds, ca string) {
	if err := room.WriteSessionLink(rj.s.Dir(), l, rj.m.Host(), creds, ca); err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: %v\n", err)
	}
	up, err := room.StartUpload(context.Background(), rj.m.Client(), rj.s.Dir(), room.UploadOptions{Kbps: kbps,
		Log: func(msg string) { fmt.Fprintf(rj.stderr, "podmark record: %s\n", msg) }})
	if err != nil {
		fmt.Fprintf(rj.stderr, "podmark record: %v; recording without the hand-off\n", err)
		return
	}
	rj.up = up
	rj.m.SetUpload(up)
}

// uploadStatus is the upload's progress for presence; nil without one.
func (rj *roomJoin) uploadStatus() *room.Upload {
	if rj == nil || rj.up == nil {
		return nil
	}
	st := rj.up.Status()
	return &st
}

// statusNote runs on the status line's tick while recording: it publishes
// this host's presence (the membership has no ticker of its own,
// MembershipConfig.CallerTicks) and returns the line's upload field.
func (rj *roomJoin) statusNote() string {
	if rj == nil {
		return ""
	}
	rj.m.PublishPresence()
	return rj.uploadNote()
}

// uploadNote is the status line's upload field ("" without an upload).
func (rj *roomJoin) uploadNote() string {
	st := rj.uploadStatus()
	if st == nil {
		return ""
	}
	return fmt.Sprintf(" upload=%q", UploadLine(*st))
}

// UploadLine says where an upload stands, for status lines.
func UploadLine(st room.Upload) string {
	behind := fmt.Sprintf("%.0f s behind", float64(st.BehindMS)/1000)
	switch st.State {
	case room.UploadVerified:
		return "all sent and verified"
	case room.UploadWaiting:
		return "waiting for the relay, " + behind
	case room.UploadFailed:
		return "failed: " + st.Error
	}
	return behind
}

// waitUpload waits, after Stop, until the upload is sent and verified,
// with a progress line every second and this host's presence. Ctrl-C
// leaves the rest for `podmark upload`.
func (rj *roomJoin) waitUpload() {
	if rj == nil || rj.up == nil {
		return
	}
	defer rj.up.Close()
	if rj.s.Meta().State == session.StateFailed {
		// A failed recording (a lost device, a full disk) needs the host
		// first; the upload may not be able to finish here at all.
		fmt.Fprintf(rj.stderr, "podmark record: upload left unfinished (%s): the recording failed; 'podmark upload %s' sends what was recorded (after 'podmark recover %s' if it asks for it)\n", UploadLine(rj.up.Status()), rj.s.Dir(), rj.s.Dir())
		return
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fmt.Fprintf(rj.stderr, "podmark record: sending the rest to the room (Ctrl-C leaves it for 'podmark upload %s')\n", rj.s.Dir())
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var waiting time.Time // since when the relay has been out of reach
	for {
		select {
		case <-rj.up.Done():
			st := rj.up.Status()
			rj.m.PublishPresence()
			if st.State == room.UploadVerified {
				fmt.Fprintf(rj.stderr, "podmark record: upload: all sent and verified (%d frames per track)\n", st.Sent)
			} else {
				fmt.Fprintf(rj.stderr, "podmark record: upload: %s; 'podmark upload %s' sends the rest\n", UploadLine(st), rj.s.Dir())
			}
			return
		case <-sigs:
			fmt.Fprintf(rj.stderr, "podmark record: upload left unfinished (%s); 'podmark upload %s' sends the rest\n", UploadLine(rj.up.Status()), rj.s.Dir())
			return
		case now := <-t.C:
			rj.m.PublishPresence()
			st := rj.up.Status()
			fmt.Fprintf(rj.stderr, "podmark record: upload: %s (%s of %s sent)\n", UploadLine(st),
				fmtFrames(st.Sent, rj.rate), fmtFrames(st.Recorded, rj.rate))
			switch {
			case st.State != room.UploadWaiting:
				waiting = time.Time{}
			case waiting.IsZero():
				waiting = now
			case now.Sub(waiting) >= giveUpWaiting:
				// The relay is gone (or refuses this host): the terminal is
				// the host's, not the upload's.
				fmt.Fprintf(rj.stderr, "podmark record: upload left unfinished: the relay has been out of reach for %v (%s); 'podmark upload %s' sends the rest\n", giveUpWaiting, UploadLine(st), rj.s.Dir())
				return
			}
		}
	}
}

// giveUpWaiting is how long `record` waits after Stop for a relay that is
// out of reach before it leaves the rest of the upload to `podmark upload`.
const giveUpWaiting = 8 * time.Second

// fmtFrames formats a frame count as H:MM:SS (markers.Clock, the one
// time formatter).
func fmtFrames(n int64, rate int) string {
	if rate <= 0 {
		n, rate = 0, 1
	}
	return markers.Clock(markers.SamplesToDuration(n, rate), markers.ClockLayout{HourDigits: 1})
}
