package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/podmark/podmark/markers"
)

func init() {
	register("transcript", "section a transcript by chapters, write show notes or a transcript seed", runTranscript)
}

const transcriptUsage = `usage: podmark transcript --markers IN [--transcript FILE] [--format md|html|vtt|shownotes] [--out FILE]
                         [--from F] [--offset DUR] [--cut START-END]... [--public KINDS]

IN is a marker file or a session folder. With --transcript (plain "HH:MM:SS text",
SRT, WebVTT or podcast-namespace JSON; non-UTF-8 text is read as Windows-1252
with a warning, blocks that are not cues are skipped with a warning) it writes the transcript sectioned by the
chapters; without it, --format md writes a transcript seed (the chapter headings)
and --format shownotes the show notes.
`

func runTranscript(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transcript", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ep episodeFlags
	ep.register(fs)
	in := fs.String("markers", "", "marker file or session folder `IN` (required)")
	tr := fs.String("transcript", "", "transcript `FILE`; without it a seed is written")
	format := fs.String("format", "md", "output: md, html, vtt or shownotes")
	out := fs.String("out", "-", "output `FILE` (- for standard output)")
	fs.Usage = func() {
		fmt.Fprint(stderr, transcriptUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return markersFlagExit(err)
	}
	switch {
	case len(pos) > 0:
		fmt.Fprintf(stderr, "podmark transcript: unexpected argument %q\n", pos[0])
		fs.Usage()
		return 2
	case *in == "":
		fmt.Fprintln(stderr, "podmark transcript: need --markers IN")
		fs.Usage()
		return 2
	case *format != "md" && *format != "html" && *format != "vtt" && *format != "shownotes":
		fmt.Fprintf(stderr, "podmark transcript: --format %q: want md, html, vtt or shownotes\n", *format)
		return 2
	case *tr == "" && (*format == "html" || *format == "vtt"):
		fmt.Fprintf(stderr, "podmark transcript: --format %s needs --transcript FILE (without one, use md for a seed or shownotes)\n", *format)
		return 2
	}
	d, err := loadMarkers(*in, ep.from.f, ep.read, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
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
	err = writeMarkersOut(*out, stdout, func(w io.Writer) error {
		if *tr == "" && *format == "md" {
			return markers.WriteSeed(w, d)
		}
		return markers.WriteTranscript(w, *format, d, cues)
	})
	if err != nil {
		fmt.Fprintf(stderr, "podmark transcript: %v\n", err)
		return 1
	}
	return 0
}
