package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/podmark/podmark/app/merge"
)

func init() {
	register("merge", "put two or more hosts' sessions on one timeline, aligned to the millisecond with drift corrected", runMerge)
}

const mergeUsage = `usage: podmark merge SESSION_A SESSION_B [SESSION_C...] [--reference FILE] --out DIR

Aligns the hosts' session folders and writes a merged session folder DIR (it
must not exist or be empty) that podmark export takes: every host's tracks on
SESSION_A's clock, every host's markers (near-duplicates folded), and
merge-report.json. The report (offset, drift ppm, residual per window,
confidence) is printed on stdout. With --reference, the call recording that
holds every voice (MP3, WAV or FLAC) is the common anchor; without it the
hosts' tracks must hear each other. See docs/merge.md.

flags:
`

func runMerge(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mergeUsage); fs.PrintDefaults() }
	out := fs.String("out", "", "merged session `DIR` to create (required)")
	ref := fs.String("reference", "", "call recording `FILE` holding every voice (MP3, WAV or FLAC)")
	search := fs.Duration("search", 0, "the offset lies within ± `DUR` of what the sessions' UTC start times say (default 45s)")
	dup := fs.Duration("duplicate", 0, "same-kind markers from different hosts closer than `DUR` become one (default 2s)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 2 || *out == "" {
		fmt.Fprintln(stderr, "podmark merge: need at least two SESSION folders and --out DIR")
		fs.Usage()
		return 2
	}
	if *search < 0 || *dup < 0 {
		fmt.Fprintln(stderr, "podmark merge: --search and --duplicate must not be negative")
		return 2
	}
	opt := merge.Options{Sessions: pos, Reference: *ref, Out: *out, Search: *search, Duplicate: *dup}
	if !*quiet {
		opt.Progress = func(s string) { fmt.Fprintln(stderr, "podmark merge:", s) }
	}
	rep, err := merge.Merge(opt)
	if err != nil {
		fmt.Fprintln(stderr, "podmark merge:", err)
		if errors.Is(err, merge.ErrUsage) {
			return 2
		}
		return 1
	}
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "podmark merge:", err)
		return 1
	}
	return 0
}
