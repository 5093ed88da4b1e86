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
	var ep episodeFlags
	ep.register(fs)
	in := fs.String("markers", "", "marker file or session folder `IN` (required unless --speakers)")
	tr := fs.String("transcript", "", "transcript `FILE`; without it a seed is written")
	format := fs.String("format", "md", "output: md, html, vtt, srt, json, shownotes or turns")
	out := fs.String("out", "-", "output `FILE` (- for standard output)")
	spk := fs.String("speakers", "", "find speaker turns in the tracks of `SESSION` (merged, or one track per person)")
	names := fs.String("names", "", "publish speakers under other names: `SPEAKER=NAME,...` (e.g. alice=Michael,bob=Brian)")
	split := fs.Bool("split", false, "with --speakers: split a cue that spans a clear turn change (transcripts with end times)")
	fs.Usage = func() {
		fmt.Fprint(stderr, transcriptUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return markersFlagExit(err)
	}
	formats := []string{"md", "html", "vtt", "srt", "json", "shownotes", "turns"}
	if *in == "" {
		*in = *spk
	}
	nameMap, nerr := speakers.ParseNames(*names)
	switch {
	case len(pos) > 0:
		fmt.Fprintf(stderr, "podmark transcript: unexpected argument %q\n", pos[0])
		fs.Usage()
		return 2
	case *in == "":
		fmt.Fprintln(stderr, "podmark transcript: need --markers IN (or --speakers SESSION)")
		fs.Usage()
		return 2
	case !slices.Contains(formats, *format):
		fmt.Fprintf(stderr, "podmark transcript: --format %q: want %s\n", *format, strings.Join(formats, ", "))
		return 2
	case nerr != nil:
		fmt.Fprintf(stderr, "podmark transcript: --names: %v\n", nerr)
		return 2
	case *spk == "" && (*names != "" || *split):
		fmt.Fprintln(stderr, "podmark transcript: --names and --split need --speakers SESSION")
		return 2
	case *spk == "" && *format == "turns":
		fmt.Fprintln(stderr, "podmark transcript: --format turns needs --speakers SESSION")
		return 2
	case *tr == "" && (*format == "html" || *format == "srt" || *format == "json"):
		fmt.Fprintf(stderr, "podmark transcript: --format %s needs --transcript FILE (without one, use md for a seed or shownotes)\n", *format)
		return 2
	case *tr == "" && *spk == "" && *format == "vtt":
		fmt.Fprintln(stderr, "podmark transcript: --format vtt needs --transcript FILE or --speakers SESSION (for a seed)")
		return 2
	}
	d, err := loadMarkers(*in, ep.from.f, ep.read, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
	}
	var turns []markers.Turn
	if *spk != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		res, err := speakers.Find(ctx, *spk, nameMap, voice.Options{})
		stop()
		if errors.Is(err, speakers.ErrNames) {
			fmt.Fprintf(stderr, "podmark transcript: --names: %v\n", err)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "podmark transcript: --speakers %s: %v\n", *spk, err)
			return 1
		}
		fmt.Fprint(stderr, res.Summary())
		if d.Frames == 0 && d.Rate == res.Rate {
			d.Frames = res.Frames
		}
		turns = markers.RetimeTurns(res.Turns, res.Rate, ep.offset, ep.cuts.cuts)
	}
	d = ep.apply(d)
	var cues []markers.Cue
	if *tr != "" {
		f, err := os.Open(*tr)
		if err != nil {
			fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
			return 1
		}
		var warns []string
		cues, warns, err = markers.ReadTranscriptWith(f, *tr)
		for _, w := range warns {
			fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
		}
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
			return 1
		}
	}
	for _, w := range markers.Validate(d).Errors {
		fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
	}
	if *spk != "" && *tr != "" {
		cues = markers.LabelCues(d, cues, turns, markers.LabelOptions{Split: *split})
	}
	err = writeMarkersOut(*out, stdout, func(w io.Writer) error {
		switch {
		case *format == "turns":
			return markers.WriteTurns(w, "txt", turns)
		case *tr == "" && *spk != "" && (*format == "md" || *format == "vtt"):
			return markers.WriteSpeakerSeed(w, *format, d, turns)
		case *tr == "" && *format == "md":
			return markers.WriteSeed(w, d)
		}
		return markers.WriteCues(w, *format, d, cues)
	})
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
	}
	return 0
}
