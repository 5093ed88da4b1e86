package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

func init() {
	register("record", "record an input to a new session folder; markers from stdin", runRecord)
}

// syncWriter serializes whole lines from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func runRecord(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark record --out DIR [--device D] [--channels N] [--rate HZ] [--bits 16|24|32f] [--host NAME] [--title TEXT] [--duration DUR]")
		fmt.Fprintln(stderr, "Reads marker commands on stdin, one per line: topic|sponsor|edit|note [TEXT], pause, resume, stop.")
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "session `folder` to create (must not exist, or be empty)")
	device := fs.String("device", "", "input `device`: index or exact name from 'podmark devices' (default input if empty); 'ramp', 'ramp:N', 'ramp:fast' = fake test source")
	channels := fs.Int("channels", 1, "input `channels` to record, one mono track each")
	rate := fs.String("rate", "48000", "sample `rate` in Hz: 44100 or 48000")
	bits := fs.String("bits", "24", "sample format: 16, 24 or 32f")
	host := fs.String("host", "", "host `name` for the track file names (default: this machine's name)")
	title := fs.String("title", "", "episode `title`")
	duration := fs.Duration("duration", 0, "stop after this much audio, e.g. 90m (0 = until stop)")
	roomF := addRoomFlags(fs) // the show room: record_room.go
	rampReport := fs.String("ramp-report", "", "for tests, with --device ramp: write the frames the fake source delivered to `file` every 5 ms")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "podmark record: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return bad("--out is required")
	}
	r, err := session.ParseRate(*rate)
	if err != nil {
		return bad("--rate: %v", err)
	}
	b, err := session.ParseBits(*bits)
	if err != nil {
		return bad("--bits: %v", err)
	}
	if *channels < 1 {
		return bad("--channels %d: want 1 or more", *channels)
	}
	if *duration < 0 {
		return bad("--duration %v: must not be negative", *duration)
	}
	if _, _, err := roomF.check(); err != nil {
		return bad("%v", err)
	}
	s, err := session.New(session.Config{Dir: *out, Title: *title, Host: *host, Device: *device, Channels: *channels, Rate: r, Format: b, RampReport: *rampReport})
	if err != nil {
		fmt.Fprintf(stderr, "podmark record: %v\n", err)
		if errors.Is(err, session.ErrConfig) {
			return 2
		}
		return 1
	}
	so, se := &syncWriter{w: stdout}, &syncWriter{w: stderr}
	rj, code := joinRoom(roomF, s, so, se)
	if code != 0 {
		return code
	}
	defer rj.leave()
	return recordLoop(s, *duration, rj.filter(stdin), so, se)
}

// recordLoop runs a created session until stop, end of stdin, a signal,
// the duration, or an error, and returns the exit code.
func recordLoop(s *session.Session, duration time.Duration, stdin io.Reader, stdout, stderr io.Writer) int {
	meta := s.Meta()
	// A reader that goes away must not kill the recording: with SIGPIPE
	// ignored a write to a closed stdout fails (reported once) and the
	// journal on disk stays the record of every marker.
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGPIPE)
	var ackOnce sync.Once
	ack := func(m markers.Marker) {
		if _, err := stdout.Write(session.AckLine(m, meta.Rate)); err != nil {
			ackOnce.Do(func() {
				fmt.Fprintf(stderr, "podmark record: stdout: %v (markers are still journaled in %s)\n", err, session.JournalFile)
			})
		}
	}
	s.SetHooks(session.Hooks{OnMarker: func(m markers.Marker) {
		if m.Kind == markers.Glitch { // user markers are printed by the loop
			ack(m)
			fmt.Fprintf(stderr, "podmark record: glitch at sample %d: %s\n", m.Sample, m.Title)
		}
	}})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := s.Start(); err != nil {
		fmt.Fprintf(stderr, "podmark record: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "podmark record: recording %s: %s (%s), %d Hz, %s-bit, %d channel(s); commands: topic|sponsor|edit|note [TEXT], pause, resume, stop\n",
		s.Dir(), meta.Device, meta.HostAPI, meta.Rate, meta.Bits, meta.Channels)
	warnSpace(s, stderr)

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintf(stderr, "podmark record: stdin: %v\n", err)
		}
		close(lines)
	}()
	limit := int64(0)
	if duration > 0 {
		limit = int64(duration.Seconds() * float64(meta.Rate))
	}
	status := time.NewTicker(time.Second)
	defer status.Stop()
	// --duration: a timer due when the stream should reach the limit; then
	// it wakes the writer (which otherwise takes up to a second to write
	// what was captured) and polls every 20 ms until the frames are
	// written, and after a pause it waits for what is left again. A 20 ms
	// ticker for the whole recording cost more CPU than the recording
	// itself.
	var check <-chan time.Time
	var checkT *time.Timer
	remaining := func() time.Duration {
		left := max(limit-s.Position(), 0)
		return time.Duration(float64(left) / float64(meta.Rate) * float64(time.Second))
	}
	if limit > 0 {
		checkT = time.NewTimer(remaining())
		defer checkT.Stop()
		check = checkT.C
	}
	ticks := 0
	why := ""
loop:
	for {
		select {
		case sig := <-sigs:
			why = "signal " + sig.String()
			break loop
		case line, ok := <-lines:
			if !ok {
				why = "end of input"
				break loop
			}
			cmd, err := session.ParseCommand(line)
			if err != nil {
				fmt.Fprintf(stderr, "podmark record: %v; still recording\n", err)
				continue
			}
			switch cmd.Op {
			case session.OpMark:
				m, err := s.Mark(cmd.Kind, cmd.Text)
				if err != nil {
					fmt.Fprintf(stderr, "podmark record: %v\n", err)
					continue
				}
				ack(m)
			case session.OpPause:
				if err := s.Pause(); err != nil {
					fmt.Fprintf(stderr, "podmark record: %v\n", err)
				} else {
					fmt.Fprintln(stderr, "podmark record: paused")
				}
			case session.OpResume:
				if err := s.Resume(); err != nil {
					fmt.Fprintf(stderr, "podmark record: %v\n", err)
				} else {
					fmt.Fprintln(stderr, "podmark record: resumed")
				}
			case session.OpStop:
				why = "stop"
				break loop
			}
		case <-check:
			if s.Frames() >= limit {
				why = "duration reached"
				break loop
			}
			if d := remaining(); d > 250*time.Millisecond {
				checkT.Reset(d) // paused: the count stands still
			} else {
				if d == 0 {
					s.WakeWriter()
				}
				checkT.Reset(20 * time.Millisecond)
			}
		case <-status.C:
			fmt.Fprintln(stderr, session.StatusLine(s.Status()))
			if ticks++; ticks%10 == 0 {
				warnSpace(s, stderr)
			}
		case <-s.Done():
			break loop
		}
	}
	stopErr := s.Stop()
	st := s.Status()
	fmt.Fprintln(stderr, session.StatusLine(st))
	if stopErr != nil {
		fmt.Fprintf(stderr, "podmark record: FAILED: %v\n", stopErr)
		fmt.Fprintf(stderr, "podmark record: %d frames (%s) kept in %s\n", st.Frames, st.Elapsed.Round(time.Millisecond), s.Dir())
		if q := s.KeptQueue(); q != "" {
			fmt.Fprintf(stderr, "podmark record: what was captured but not written is in %s: once the cause is fixed (disk space), 'podmark recover %s' writes it out\n", q, s.Dir())
		}
		return 1
	}
	fmt.Fprintf(stderr, "podmark record: stopped (%s): %d frames (%s), %d markers, %d dropped frames, in %s\n",
		why, st.Frames, st.Elapsed.Round(time.Millisecond), len(s.Markers()), st.Dropped, s.Dir())
	return 0
}

func warnSpace(s *session.Session, stderr io.Writer) {
	free, err := s.FreeTime()
	if err != nil {
		fmt.Fprintf(stderr, "podmark record: warning: %v\n", err)
		return
	}
	if free < session.LowSpace {
		fmt.Fprintf(stderr, "podmark record: warning: low disk space: room for %s more of recording\n", free.Round(time.Second))
	}
}
