package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio/decode"
	"github.com/podmark/podmark/markers"
)

func init() {
	register("markers", "convert and validate chapter and editor marker files", runMarkers)
}

const markersUsage = `usage: podmark markers convert [--from F] --to F [--offset DUR] [--cut START-END]... [--public KINDS] [--fix]
                              [--episode N|TITLE|GUID] [--cue-lengths DUR,...] IN OUT
       podmark markers validate [--from F] [--for F] [--public KINDS] [--episode E] [--cue-lengths L] IN

IN is a marker file, a session folder, or - for standard input; OUT is a file
or - for standard output. Formats: ` + "podmark, podcast-json, psc, mp4chaps, webvtt, youtube, audacity, reaper-csv, cue, audition-csv" + `
(all read and written; the format of IN is guessed from its content). A feed
(RSS or Atom with psc:chapters) gives one episode, --episode picks which; a CUE
sheet with one FILE per track needs the files' lengths: the audio files next
to the sheet, or --cue-lengths. Run 'podmark markers convert -h' for the flags.
`

func runMarkers(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, markersUsage)
		return 2
	}
	switch args[0] {
	case "convert":
		return runMarkersConvert(args[1:], stdin, stdout, stderr)
	case "validate":
		return runMarkersValidate(args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, markersUsage)
		return 0
	}
	fmt.Fprintf(stderr, "podmark markers: unknown subcommand %q\n", args[0])
	fmt.Fprint(stderr, markersUsage)
	return 2
}

// formatFlag is a marker format name.
type formatFlag struct{ f markers.Format }

func (v *formatFlag) String() string { return string(v.f) }
func (v *formatFlag) Set(s string) error {
	f, err := markers.ParseFormat(s)
	if err != nil {
		return err
	}
	v.f = f
	return nil
}

// kindsFlag collects kinds from comma-separated, repeatable values.
type kindsFlag struct{ kinds []markers.Kind }

func (v *kindsFlag) String() string {
	s := make([]string, len(v.kinds))
	for i, k := range v.kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}
func (v *kindsFlag) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		k, err := markers.ParseKind(part)
		if err != nil {
			return err
		}
		v.kinds = append(v.kinds, k)
	}
	return nil
}

// cutsFlag collects repeatable --cut START-END values.
type cutsFlag struct{ cuts []markers.Cut }

func (v *cutsFlag) String() string {
	s := make([]string, len(v.cuts))
	for i, c := range v.cuts {
		s[i] = c.String()
	}
	return strings.Join(s, " ")
}
func (v *cutsFlag) Set(s string) error {
	c, err := markers.ParseCut(s)
	if err != nil {
		return err
	}
	v.cuts = append(v.cuts, c)
	return nil
}

// lengthsFlag is a comma-separated list of durations (seconds, m:ss.fff or
// h:mm:ss.fff).
type lengthsFlag struct{ ds []time.Duration }

func (v *lengthsFlag) String() string {
	s := make([]string, len(v.ds))
	for i, d := range v.ds {
		s[i] = markers.Clock(d, markers.ClockLog)
	}
	return strings.Join(s, ",")
}
func (v *lengthsFlag) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		d, err := markers.ParseTime(part)
		if err != nil {
			return err
		}
		v.ds = append(v.ds, d)
	}
	return nil
}

// readFlags are the flags that tell the readers what a file from another
// tool cannot: which episode of a feed, how long a CUE sheet's files are.
type readFlags struct {
	episode    string
	cueLengths lengthsFlag
}

func (r *readFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.episode, "episode", "", "read this episode of an RSS/Atom feed: item number `N` (1 = first), title or GUID (default: the first item with chapters)")
	fs.Var(&r.cueLengths, "cue-lengths", "lengths `DUR,...` of a CUE sheet's FILEs in order (seconds or m:ss.fff), to place one-file-per-track sheets on one timeline (default: read the audio files next to the sheet)")
}

// options are the reader options the flags give.
func (r *readFlags) options() markers.ReadOptions {
	return markers.ReadOptions{Episode: r.episode, FileLengths: r.cueLengths.ds, AudioLength: decode.Length}
}

// episodeFlags are the reading, retiming and export-policy flags convert and
// transcript share.
type episodeFlags struct {
	from   formatFlag
	read   readFlags
	offset time.Duration
	cuts   cutsFlag
	public kindsFlag
}

func (e *episodeFlags) register(fs *flag.FlagSet) {
	fs.Var(&e.from, "from", "input `format` (guessed from the file's content when unambiguous)")
	e.read.register(fs)
	fs.DurationVar(&e.offset, "offset", 0, "shift every marker by `DUR`, a Go duration such as 12s or -1m30s")
	fs.Var(&e.cuts, "cut", "remove the region `START-END` (seconds or h:mm:ss[.fff]; repeatable): later markers move earlier, markers inside are clamped to the cut point")
	fs.Var(&e.public, "public", "`KINDS` that become public chapters, comma-separated (default topic,sponsor)")
}

// apply retimes d and sets its public kinds.
func (e *episodeFlags) apply(d markers.Doc) markers.Doc {
	if e.offset != 0 || len(e.cuts.cuts) > 0 {
		d = markers.Retime(d, e.offset, e.cuts.cuts)
	}
	if len(e.public.kinds) > 0 {
		d = d.WithPublic(e.public.kinds...) // editor formats keep every marker
	}
	return d
}

// parseArgs parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// markersFlagExit is the exit status for a flag parsing error: 0 for -h, 2 otherwise.
func markersFlagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// loadMarkers reads IN: a session folder (session.json + markers.jsonl), a
// marker file, or - for stdin. Journal replay and reader warnings go to
// stderr.
func loadMarkers(in string, from markers.Format, rf readFlags, stdin io.Reader, stderr io.Writer) (markers.Doc, error) {
	warn := func(ws []string) {
		for _, w := range ws {
			fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
		}
	}
	if in == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return markers.Doc{}, fmt.Errorf("read standard input: %w", err)
		}
		if from == "" {
			if from, err = markers.GuessFormat("-", data); err != nil {
				return markers.Doc{}, err
			}
		}
		opt := rf.options()
		opt.AudioLength = nil // no folder to look in
		d, warns, err := markers.ReadWith(bytes.NewReader(data), from, opt)
		warn(warns)
		return d, err
	}
	fi, err := os.Stat(in)
	if err != nil {
		return markers.Doc{}, err
	}
	if fi.IsDir() {
		d, warns, err := session.LoadDocWarnings(in)
		for _, w := range warns {
			fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
		}
		return d, err
	}
	d, _, warns, err := markers.ReadFileWith(in, from, rf.options())
	warn(warns)
	return d, err
}

// writeMarkersOut writes to stdout for "-", or atomically replaces the file.
func writeMarkersOut(out string, stdout io.Writer, write func(io.Writer) error) error {
	if out == "-" {
		return write(stdout)
	}
	return markers.WriteAtomic(out, write)
}

func runMarkersConvert(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("markers convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ep episodeFlags
	var to formatFlag
	ep.register(fs)
	fs.Var(&to, "to", "output `format` (required)")
	fix := fs.Bool("fix", false, "repair what validation can before writing (insert an Intro at 0:00, title untitled chapters, drop chapters past the end or at the same time)")
	fs.Usage = func() {
		fmt.Fprint(stderr, markersUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return markersFlagExit(err)
	}
	if to.f == "" || len(pos) != 2 {
		fmt.Fprintln(stderr, "podmark markers convert: need --to FORMAT, IN and OUT")
		fs.Usage()
		return 2
	}
	in, out := pos[0], pos[1]
	d, err := loadMarkers(in, ep.from.f, ep.read, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "podmark markers convert: %v\n", err)
		return 1
	}
	d = ep.apply(d)
	if *fix {
		var notes []string
		d, notes = markers.Fix(d, to.f)
		for _, n := range notes {
			fmt.Fprintf(stderr, "podmark: fixed: %s\n", n)
		}
	}
	rep := markers.ValidateFor(d, to.f)
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "podmark: warning: %s\n", w)
	}
	err = writeMarkersOut(out, stdout, func(w io.Writer) error { return markers.Write(w, to.f, d) })
	if ve, ok := errors.AsType[*markers.ValidationError](err); ok {
		fmt.Fprintf(stderr, "podmark markers convert: %s is not valid %s:\n", in, ve.Format)
		for _, i := range ve.Report.Errors {
			fmt.Fprintf(stderr, "  error: %s\n", i)
		}
		if !*fix {
			fmt.Fprintln(stderr, "  (--fix repairs what it can)")
		}
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "podmark markers convert: %v\n", err)
		return 1
	}
	return 0
}

func runMarkersValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("markers validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var from, target formatFlag
	var public kindsFlag
	var rf readFlags
	fs.Var(&from, "from", "input `format` (guessed from the file's content when unambiguous)")
	rf.register(fs)
	fs.Var(&target, "for", "check as Write would for output `format` (youtube makes YouTube's rules errors)")
	fs.Var(&public, "public", "`KINDS` that become public chapters, comma-separated (default topic,sponsor)")
	fs.Usage = func() {
		fmt.Fprint(stderr, markersUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return markersFlagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "podmark markers validate: need exactly one IN")
		fs.Usage()
		return 2
	}
	d, err := loadMarkers(pos[0], from.f, rf, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "podmark markers validate: %v\n", err)
		return 1
	}
	if len(public.kinds) > 0 {
		d = d.WithPublic(public.kinds...)
	}
	rep := markers.ValidateFor(d, target.f)
	fmt.Fprint(stdout, rep)
	fmt.Fprintf(stdout, "%s: %d markers, %d chapters: %d errors, %d warnings\n", pos[0], len(d.Markers), len(d.Chapters()), len(rep.Errors), len(rep.Warnings))
	if !rep.OK() {
		return 1
	}
	return 0
}
