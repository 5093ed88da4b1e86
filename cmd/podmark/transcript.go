package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/podmark/podmark/app/speakers"
	"github.com/podmark/podmark/audio/voice"
	"github.com/podmark/podmark/markers"
)

func init() {
	register("transcript", "section a transcript by chapters, write show notes or a transcript seed", runTranscript)
}

const transcriptUsage = `usage: podmark transcript --markers IN [--transcript FILE] [--format md|html|vtt|srt|json|shownotes|turns] [--out FILE]
                         [--speakers SESSION [--names SPEAKER=NAME,...] [--split]]
                         [--from F] [--offset DUR] [--cut START-END]... [--public KINDS]

IN is a marker file or a session folder. With --transcript (plain "HH:MM:SS text",
SRT, WebVTT or podcast-namespace JSON; non-UTF-8 text is read as Windows-1252
with a warning, blocks that are not cues are skipped with a warning) it writes the transcript sectioned by the
chapters; without it, --format md writes a transcript seed (the chapter headings)
and --format shownotes the show notes.

--speakers SESSION (a merged session, or any with one track per person) finds
who speaks when from the tracks: each cue of --transcript gets the speaker who
talks most during it; without --transcript, --format md or vtt writes the seed
with one empty cue per speaker turn and --format turns the speaker timeline
(Audacity labels). IN defaults to SESSION.
`

func runTranscript(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transcript", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t transcriptCall
	t.ep.register(fs)
	fs.StringVar(&t.in, "markers", "", "marker file or session folder `IN` (required unless --speakers)")
	fs.StringVar(&t.tr, "transcript", "", "transcript `FILE`; without it a seed is written")
	fs.StringVar(&t.format, "format", "md", "output: md, html, vtt, srt, json, shownotes or turns")
	out := fs.String("out", "-", "output `FILE` (- for standard output)")
	fs.StringVar(&t.spk, "speakers", "", "find speaker turns in the tracks of `SESSION` (merged, or one track per person)")
	names := fs.String("names", "", "publish speakers under other names: `SPEAKER=NAME,...` (e.g. alice=Michael,bob=Brian)")
	fs.BoolVar(&t.split, "split", false, "with --speakers: split a cue that spans a clear turn change (transcripts with end times)")
	fs.Usage = func() {
		fmt.Fprint(stderr, transcriptUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return markersFlagExit(err)
	}
	if t.in == "" {
		t.in = t.spk
	}
	var nerr error
	t.names, nerr = speakers.ParseNames(*names)
	if msg := t.check(pos, *names, nerr); msg != "" {
		fmt.Fprintf(stderr, "podmark transcript: %s\n", msg)
		if len(pos) > 0 || t.in == "" {
			fs.Usage()
		}
		return 2
	}
	d, err := loadMarkers(t.in, t.ep.from.f, t.ep.read, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
	}
	turns, code := t.findTurns(&d, stderr)
	if code != 0 {
		return code
	}
	d = t.ep.apply(d)
	cues, err := t.readCues(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
	}
	for _, w := range markers.Validate(d).Errors {
		fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
	}
	if t.spk != "" && t.tr != "" {
		cues = markers.LabelCues(d, cues, turns, markers.LabelOptions{Split: t.split})
	}
	if err := writeMarkersOut(*out, stdout, func(w io.Writer) error { return t.write(w, d, cues, turns) }); err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
	}
	return 0
}

// transcriptCall is a `podmark transcript` call's flags.
type transcriptCall struct {
	ep                  episodeFlags
	in, tr, format, spk string
	split               bool
	names               map[string]string
}

var transcriptFormats = []string{"md", "html", "vtt", "srt", "json", "shownotes", "turns"}

// check returns what is wrong with the call's arguments (pos: the
// positional ones, names: --names as given), or "".
func (t *transcriptCall) check(pos []string, names string, nerr error) string {
	switch {
	case len(pos) > 0:
		return fmt.Sprintf("unexpected argument %q", pos[0])
	case t.in == "":
		return "need --markers IN (or --speakers SESSION)"
	case !slices.Contains(transcriptFormats, t.format):
		return fmt.Sprintf("--format %q: want %s", t.format, strings.Join(transcriptFormats, ", "))
	case nerr != nil:
		return fmt.Sprintf("--names: %v", nerr)
	case t.spk == "" && (names != "" || t.split):
		return "--names and --split need --speakers SESSION"
	case t.spk == "" && t.format == "turns":
		return "--format turns needs --speakers SESSION"
	case t.tr == "" && (t.format == "html" || t.format == "srt" || t.format == "json"):
		return fmt.Sprintf("--format %s needs --transcript FILE (without one, use md for a seed or shownotes)", t.format)
	case t.tr == "" && t.spk == "" && t.format == "vtt":
		return "--format vtt needs --transcript FILE or --speakers SESSION (for a seed)"
	}
	return ""
}

// findTurns finds the speaker turns of --speakers (none without it), on
// d's timeline after the episode flags; it fills in d's length when d has
// none. A non-zero code ends the command.
func (t *transcriptCall) findTurns(d *markers.Doc, stderr io.Writer) ([]markers.Turn, int) {
	if t.spk == "" {
		return nil, 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	res, err := speakers.Find(ctx, t.spk, t.names, voice.Options{})
	stop()
	if errors.Is(err, speakers.ErrNames) {
		fmt.Fprintf(stderr, "podmark transcript: --names: %v\n", err)
		return nil, 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: --speakers %s: %v\n", t.spk, err)
		return nil, 1
	}
	fmt.Fprint(stderr, res.Summary())
	if d.Frames == 0 && d.Rate == res.Rate {
		d.Frames = res.Frames
	}
	return markers.RetimeTurns(res.Turns, res.Rate, t.ep.offset, t.ep.cuts.cuts), 0
}

// readCues reads --transcript (no cues without it).
func (t *transcriptCall) readCues(stderr io.Writer) ([]markers.Cue, error) {
	if t.tr == "" {
		return nil, nil
	}
	f, err := os.Open(t.tr)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cues, warns, err := markers.ReadTranscriptWith(f, t.tr)
	for _, w := range warns {
		fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
	}
	return cues, err
}

// write writes the output format: the turns, a seed, or the cues.
func (t *transcriptCall) write(w io.Writer, d markers.Doc, cues []markers.Cue, turns []markers.Turn) error {
	switch {
	case t.format == "turns":
		return markers.WriteTurns(w, "txt", turns)
	case t.tr == "" && t.spk != "" && (t.format == "md" || t.format == "vtt"):
		return markers.WriteSpeakerSeed(w, t.format, d, turns)
	case t.tr == "" && t.format == "md":
		return markers.WriteSeed(w, d)
	}
	return markers.WriteCues(w, t.format, d, cues)
}
