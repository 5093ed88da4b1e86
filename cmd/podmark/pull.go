package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/audio"
)

func init() {
	register("pull", "the editor: every host's uploaded session from the room, verified (--follow: live)", runPull)
}

const pullUsage = `usage: podmark pull LINK --out DIR [--follow] [--creds FILE] [--room-ca FILE] [--as NAME]

Writes every host's session uploaded to the room LINK as a session folder
DIR/HOST/ (session.json, markers.jsonl, room/markers.jsonl, tracks/*.wav),
each track byte-identical to the host's own file and verified. A host still
being pulled is in DIR/HOST.partial/. Running it again resumes and skips what
is verified. --follow keeps pulling a live show until every host has stopped
and everything is verified. Exit status: 0 all verified, 1 an error (a damaged
segment is named by host, track and time), 3 a host has not finished
uploading yet (run again, or use --follow). See docs/room.md.

flags:
`

func runPull(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pull", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, pullUsage); fs.PrintDefaults() }
	cf := addRoomClientFlags(fs)
	out := fs.String("out", "", "output `DIR`: one session folder per host (required)")
	follow := fs.Bool("follow", false, "keep pulling a live show until every host has stopped and all is verified")
	retries := fs.Int("retries", 3, "fetch a damaged segment again up to `N` times")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return markersFlagExit(err)
	}
	if len(rest) != 1 || *out == "" {
		fmt.Fprintln(stderr, "podmark pull: need one LINK and --out DIR")
		return 2
	}
	l, err := room.ParseLink(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "podmark pull: %v\n", err)
		return 2
	}
	if err := room.CheckName("--as", *cf.as); err != nil {
		fmt.Fprintf(stderr, "podmark pull: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newPullBar(stderr, *quiet)
	res, err := room.Pull(ctx, room.PullConfig{Link: l, Creds: *cf.creds, CA: *cf.ca, As: *cf.as, Out: *out,
		Follow: *follow, Retries: *retries, OnProgress: bar.update,
		Log: func(msg string) { bar.log("podmark pull: " + msg) }})
	bar.finish()
	if res != nil {
		for _, h := range res.Hosts {
			fmt.Fprintln(stdout, pullLine(*out, h))
		}
		for _, h := range res.NoUpload {
			fmt.Fprintf(stdout, "%s\tno upload\tseen recording in the room but uploaded nothing: hand its session folder over another way\n", h)
		}
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "podmark pull: interrupted; run it again to resume")
		return 1
	case errors.Is(err, room.ErrIncomplete) && !errors.Is(err, room.ErrDamaged) && onlyIncomplete(res):
		fmt.Fprintf(stderr, "podmark pull: %v\n", err)
		return 3
	}
	fmt.Fprintf(stderr, "podmark pull: %v\n", err)
	return 1
}

func onlyIncomplete(res *room.PullResult) bool {
	if res == nil {
		return false
	}
	for _, h := range res.Hosts {
		if h.State != room.PullVerified && h.State != room.PullSkipped && h.State != room.PullPartial {
			return false
		}
	}
	return true
}

// pullLine is the line `podmark pull` prints on stdout per host, tab-separated:
// HOST STATE FOLDER DURATION.
func pullLine(out string, h room.HostPull) string {
	dir := out + string(os.PathSeparator) + h.Host
	if h.State != room.PullVerified && h.State != room.PullSkipped {
		dir += ".partial"
	}
	dur := "?"
	if h.Rate > 0 {
		dur = fmtHMS(audio.SampleRate(h.Rate).D(h.Frames))
	}
	s := fmt.Sprintf("%s\t%s\t%s\t%s", h.Host, h.State, dir, dur)
	if h.Error != "" {
		s += "\t" + h.Error
	}
	return s
}

func fmtHMS(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// pullBar draws pull's progress: a one-line bar on a terminal, otherwise a
// line per host state change.
type pullBar struct {
	w     io.Writer
	tty   bool
	quiet bool
	drawn bool
	last  time.Time
	state map[string]room.PullState
}

func newPullBar(w io.Writer, quiet bool) *pullBar {
	b := &pullBar{w: w, quiet: quiet, state: map[string]room.PullState{}}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

func (b *pullBar) log(msg string) {
	if b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
	fmt.Fprintln(b.w, msg)
}

// PullStatus formats p as pull's one-line progress: a bar of verified
// segments over the segments the relay holds, bytes fetched, and each
// host's state with the audio it has on disk.
func PullStatus(p room.PullProgress) string {
	var segs, known int
	var bytes int64
	hosts := make([]string, 0, len(p.Hosts))
	for _, h := range p.Hosts {
		segs += h.Segments
		known += h.Known
		bytes += h.Bytes
		at := ""
		if h.Rate > 0 && h.State != room.PullSkipped {
			at = " " + fmtHMS(audio.SampleRate(h.Rate).D(h.Frames))
		}
		hosts = append(hosts, fmt.Sprintf("%s:%s%s", h.Host, h.State, at))
	}
	frac := 0.0
	if known > 0 {
		frac = float64(segs) / float64(known)
	}
	if frac > 1 {
		frac = 1
	}
	const width = 24
	n := int(frac * width)
	return fmt.Sprintf("[%s%s] %3.0f%% %d/%d segments %.1f MB %s %s", strings.Repeat("#", n), strings.Repeat(".", width-n),
		100*frac, segs, known, float64(bytes)/1e6, strings.Join(hosts, " "), p.Elapsed.Round(time.Second))
}

func (b *pullBar) update(p room.PullProgress) {
	if b.quiet {
		return
	}
	if !b.tty {
		for _, h := range p.Hosts {
			if b.state[h.Host] != h.State {
				b.state[h.Host] = h.State
				fmt.Fprintf(b.w, "pull: %s %s (%d/%d segments, %.1f MB)\n", h.Host, h.State, h.Segments, h.Known, float64(h.Bytes)/1e6)
			}
		}
		return
	}
	if !p.Final && time.Since(b.last) < 200*time.Millisecond {
		return
	}
	b.last, b.drawn = time.Now(), true
	fmt.Fprintf(b.w, "\r%s ", PullStatus(p))
}

func (b *pullBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
