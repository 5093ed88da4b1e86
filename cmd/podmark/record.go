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

const recordHelp = `Reads marker commands on stdin, one per line: topic|sponsor|edit|note [TEXT], pause, resume, stop.
Prints one JSON line per marker on stdout and a status line every second on stderr.

What stops a recording:
  - the line "stop" on stdin;
  - the end of stdin, unless --duration is given (with --duration, e.g. from
    cron or a systemd unit with stdin at /dev/null, the recording runs on);
  - --duration: that much audio is recorded (time paused does not count);
  - SIGINT (Ctrl+C) or SIGTERM;
  - an error: the device lost, the disk full (everything up to it is kept).
Each stop finalises the session folder.

Doc: docs/recording.md`

func runRecord(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark record --out DIR [--device D] [--channels N] [--rate HZ] [--bits 16|24|32f] [--host NAME] [--title TEXT] [--duration DUR]")
		fmt.Fprintln(stderr, recordHelp)
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "session `folder` to create (must not exist, or be empty)")
	device := fs.String("device", "", "input `device`: index or exact name from 'podmark devices' (default input if empty); 'ramp', 'ramp:N', 'ramp:fast' = fake test signal, not a microphone")
	channels := fs.Int("channels", 1, "input `channels` to record, one mono track each")
	rate := fs.String("rate", "48000", "sample `rate` in Hz: 44100 or 48000")
	bits := fs.String("bits", "24", "sample format: 16, 24 or 32f")
	host := fs.String("host", "", "host `name` for the track file names (default: this machine's name)")
	title := fs.String("title", "", "episode `title`")
	duration := fs.Duration("duration", 0, "stop after this much audio, e.g. 90m (0 = until stop); end of stdin then does not stop")
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
	rl := &recording{s: s, meta: s.Meta(), duration: *duration, stdout: so, stderr: se, note: rj.statusNote}
	return rl.run(rj.filter(stdin))
}

// recording is one `podmark record` run: a created session, the lines it
// reads and what it prints.
type recording struct {
	s        *session.Session
	meta     session.Meta
	duration time.Duration // 0 = no set length
	stdout   io.Writer     // marker acknowledgements (JSON lines)
	stderr   io.Writer     // status and messages
	note     func() string // appended to the status line (the room's upload)
	ackOnce  sync.Once
}

// run records until stop, end of stdin (without --duration), a signal, the
// duration, or an error, and returns the exit code.
func (r *recording) run(stdin io.Reader) int {
	// A reader that goes away must not kill the recording: with SIGPIPE
	// ignored a write to a closed stdout fails (reported once) and the
	// journal on disk stays the record of every marker.
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGPIPE)
	r.s.SetHooks(session.Hooks{OnMarker: func(m markers.Marker) {
		if m.Kind == markers.Glitch { // user markers are printed by the loop
			r.ack(m)
			r.say("glitch at sample %d: %s", m.Sample, m.Title)
		}
	}})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := r.s.Start(); err != nil {
		r.say("%v", err)
		return 1
	}
	r.say("recording %s: %s (%s), %d Hz, %s-bit, %d channel(s); commands: topic|sponsor|edit|note [TEXT], pause, resume, stop",
		r.s.Dir(), r.meta.Device, r.meta.HostAPI, r.meta.Rate, r.meta.Bits, r.meta.Channels)
	r.warnSpace()
	why := r.loop(readLines(stdin, r), sigs)
	return r.finish(why)
}

// readLines sends stdin's lines on a channel, closed at end of input.
func readLines(stdin io.Reader, r *recording) <-chan string {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		if err := sc.Err(); err != nil {
			r.say("stdin: %v", err)
		}
		close(lines)
	}()
	return lines
}

// loop runs the recording until something stops it and says what did.
func (r *recording) loop(lines <-chan string, sigs <-chan os.Signal) (why string) {
	var reached <-chan struct{} // nil: no set length
	if r.duration > 0 {
		reached = r.s.Reached(r.duration)
	}
	// The status line (and the room's presence, statusNote) comes right
	// after the writer hands a second of audio to the OS, in the same
	// wake-up of the process as the writer's, not on a timer of its own:
	// each wake-up sets the Go runtime polling for a few milliseconds.
	// When no second is written (paused, a stalled device), the fallback
	// still prints one every statusFallback.
	written, stopWatch := r.s.Watch(int64(r.meta.Rate))
	defer stopWatch()
	fallback := time.NewTimer(statusFallback)
	defer fallback.Stop()
	for ticks := 0; ; {
		select {
		case sig := <-sigs:
			return "signal " + sig.String()
		case line, ok := <-lines:
			if !ok {
				if r.duration > 0 {
					// cron, systemd, < /dev/null: the duration decides.
					lines = nil
					r.say("end of input: recording on until the duration (%v) is reached", r.duration)
					continue
				}
				return "end of input"
			}
			if r.command(line) {
				return "stop"
			}
		case <-reached:
			return "duration reached"
		case <-written:
			r.status(&ticks, fallback)
		case <-fallback.C:
			r.status(&ticks, fallback)
		case <-r.s.Done():
			return "stopped by itself"
		}
	}
}

// statusFallback is the longest gap between two status lines: a little
// over the second the writer's signals come at, so that it only fires when
// they do not (paused, a stalled device) or come late (the writer wakes
// every 0.95 s, so one second boundary in about 20 is crossed a wake-up
// late).
const statusFallback = 1100 * time.Millisecond

// status prints the status line and, every tenth, warns of low disk space;
// it re-arms the fallback.
func (r *recording) status(ticks *int, fallback *time.Timer) {
	fmt.Fprintln(r.stderr, StatusLine(r.s.Status())+r.note())
	if *ticks++; *ticks%10 == 0 {
		r.warnSpace()
	}
	fallback.Reset(statusFallback)
}

// command runs one stdin line; it reports whether the line was "stop".
func (r *recording) command(line string) (stop bool) {
	cmd, err := ParseCommand(line)
	if err != nil {
		r.say("%v; still recording", err)
		return false
	}
	switch cmd.Op {
	case OpMark:
		m, err := r.s.Mark(cmd.Kind, cmd.Text)
		if err != nil {
			r.say("%v", err)
			return false
		}
		r.ack(m)
	case OpPause:
		if err := r.s.Pause(); err != nil {
			r.say("%v", err)
		} else {
			r.say("paused")
		}
	case OpResume:
		if err := r.s.Resume(); err != nil {
			r.say("%v", err)
		} else {
			r.say("resumed")
		}
	case OpStop:
		return true
	}
	return false
}

// finish stops the session, prints the outcome and returns the exit code.
func (r *recording) finish(why string) int {
	stopErr := r.s.Stop()
	st := r.s.Status()
	fmt.Fprintln(r.stderr, StatusLine(st))
	if stopErr != nil {
		r.say("FAILED: %v", stopErr)
		r.say("%d frames (%s) kept in %s", st.Frames, st.Elapsed.Round(time.Millisecond), r.s.Dir())
		if q := r.s.KeptQueue(); q != "" {
			r.say("what was captured but not written is in %s: once the cause is fixed (disk space), 'podmark recover %s' writes it out", q, r.s.Dir())
		}
		return 1
	}
	r.say("stopped (%s): %d frames (%s), %d markers, %d dropped frames, in %s",
		why, st.Frames, st.Elapsed.Round(time.Millisecond), len(r.s.Markers()), st.Dropped, r.s.Dir())
	return 0
}

// ack prints m's acknowledgement line; a failing stdout is reported once.
func (r *recording) ack(m markers.Marker) {
	if _, err := r.stdout.Write(AckLine(m, r.meta.Rate)); err != nil {
		r.ackOnce.Do(func() {
			r.say("stdout: %v (markers are still journaled in %s)", err, session.JournalFile)
		})
	}
}

// say prints one "podmark record: " message on stderr.
func (r *recording) say(format string, a ...any) {
	fmt.Fprintf(r.stderr, "podmark record: "+format+"\n", a...)
}

func (r *recording) warnSpace() {
	free, err := r.s.FreeTime()
	if err != nil {
		r.say("warning: %v", err)
		return
	}
	if free < session.LowSpace {
		r.say("warning: low disk space: room for %s more of recording", free.Round(time.Second))
	}
}
