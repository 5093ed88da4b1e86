package main

// CLI formatting: the marker protocol read by `podmark record` on stdin,
// the acknowledgement lines it prints, its status line and the device list.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// Command is one line of the headless marker protocol read by
// `podmark record` on stdin.
type Command struct {
	Op   Op           // what to do; OpNone for a blank line
	Kind markers.Kind // the marker kind, for OpMark
	Text string       // the marker title (rest of the line), for OpMark
}

// Op is a command verb.
type Op string

// The command verbs.
const (
	OpNone   Op = ""
	OpMark   Op = "mark" // topic, sponsor, edit, note [TEXT]
	OpPause  Op = "pause"
	OpResume Op = "resume"
	OpStop   Op = "stop"
)

// ErrCommand reports a line that is not a command.
var ErrCommand = errors.New("unknown command")

// ParseCommand parses one line: `topic [TITLE]`, `sponsor [TITLE]`,
// `edit [NOTE]`, `note [TEXT]`, `pause`, `resume` or `stop`. Verbs are case
// insensitive; the title is the rest of the line with surrounding space
// removed. A blank line is OpNone. Glitch markers come only from the engine.
func ParseCommand(line string) (Command, error) {
	line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
	if line == "" {
		return Command{}, nil
	}
	verb, rest := line, ""
	if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 {
		verb, rest = line[:i], strings.TrimSpace(line[i:])
	}
	switch v := strings.ToLower(verb); v {
	case "topic", "sponsor", "edit", "note":
		return Command{Op: OpMark, Kind: markers.Kind(v), Text: rest}, nil
	case "pause", "resume", "stop":
		if rest != "" {
			return Command{}, fmt.Errorf("%w: %q takes no argument", ErrCommand, v)
		}
		return Command{Op: Op(v)}, nil
	}
	return Command{}, fmt.Errorf("%w: %q (want topic, sponsor, edit, note, pause, resume or stop)", ErrCommand, verb)
}

// Ack is the JSON object `podmark record` prints on stdout for every
// journaled marker.
type Ack struct {
	ID     string       `json:"id"`
	Kind   markers.Kind `json:"kind"`
	Title  string       `json:"title"`
	Sample int64        `json:"sample"`        // frame on the session clock
	End    int64        `json:"end,omitempty"` // region end (glitches)
	At     float64      `json:"at"`            // Sample in seconds
	UTC    time.Time    `json:"utc"`
}

// AckLine encodes m as one JSON line (with the newline).
func AckLine(m markers.Marker, rate int) []byte {
	b, _ := json.Marshal(Ack{ID: m.ID, Kind: m.Kind, Title: m.Title, Sample: m.Sample, End: m.End, At: m.Seconds(rate), UTC: m.UTC})
	return append(b, '\n')
}

// DBFS converts a linear level (1 = full scale) to dBFS; silence is -inf.
func DBFS(v float32) float64 {
	if v <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(float64(v))
}

func fmtDB(v float32) string {
	d := DBFS(v)
	if d < -120 {
		return "-inf"
	}
	return fmt.Sprintf("%.1f", d)
}

// StatusLine formats st as the one-line status `podmark record` prints on
// stderr: state, elapsed time, frames, peak/RMS dBFS per channel (CLIP when a
// channel clipped), dropped frames and glitches, as key=value fields.
func StatusLine(st session.Status) string {
	var b strings.Builder
	e := st.Elapsed.Round(100 * time.Millisecond)
	fmt.Fprintf(&b, "status state=%s elapsed=%s frames=%d", st.State,
		markers.Clock(e, markers.ClockLayout{HourDigits: 2, Frac: 1}), st.Frames)
	for i, l := range st.Levels {
		fmt.Fprintf(&b, " ch%d=%s/%sdBFS", i+1, fmtDB(l.Peak), fmtDB(l.RMS))
		if l.Clipped {
			b.WriteString("(CLIP)")
		}
	}
	fmt.Fprintf(&b, " dropped=%d glitches=%d", st.Dropped, st.Glitches)
	if st.Skipped > 0 {
		fmt.Fprintf(&b, " paused_frames=%d", st.Skipped)
	}
	return b.String()
}

// DeviceLine formats d as `podmark devices` prints it, tab-separated:
// INDEX NAME HOSTAPI MAX_INPUT_CHANNELS DEFAULT_RATE. Tabs and newlines in
// names become spaces.
func DeviceLine(d audio.Device) string {
	clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	return fmt.Sprintf("%d\t%s\t%s\t%d\t%.0f", d.Index, clean.Replace(d.Name), clean.Replace(d.HostAPI), d.MaxInputChannels, d.DefaultRate)
}
