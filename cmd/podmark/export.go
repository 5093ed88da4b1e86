package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/podmark/podmark/app/export"
	"github.com/podmark/podmark/app/speakers"
)

func init() {
	register("export", "make the editor's bundle from a session: WAV, FLAC, MP3 with chapters, markers, REAPER project, waveform", runExport)
}

const exportUsage = `usage: podmark export SESSION --out DIR [--audio wav,flac,mp3] [--zip] [--offset DUR] [--cut A-B]... [--public KINDS] [--loudness LUFS|off]
                      [--transcript FILE] [--names SPEAKER=NAME,...] [--split]

Writes a new bundle folder DIR (it must not exist) from the session folder
SESSION (recorded or merged). The bundle is built next to DIR and renamed into
place only when complete; check it later with: podmark verify DIR

--offset and --cut retime the public chapters, transcript seed and show
notes to the episode timeline; the audio, the MP3's own chapters and the
editor files stay on the recording timeline. See docs/export.md.

Every track is measured (integrated loudness, loudness range, true peak;
ITU-R BS.1770-4 / EBU R 128) and the MP3 review mix is normalized to
--loudness (default -16 LUFS) with its true peak kept at or below -1 dBTP.

A merged session (or, with --transcript or --names, any session with one
track per person) also gets the speaker turns in notes/: the timeline, the
transcript seed with one cue per turn and, with --transcript, the transcript
labelled with speakers in Markdown, HTML, WebVTT, SRT and JSON.

flags:
`

func runExport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); fs.PrintDefaults() }
	out := fs.String("out", "", "bundle `DIR` to create (required; must not exist)")
	audioList := fs.String("audio", "wav,flac,mp3", "audio `FORMATS` to write, comma-separated: wav, flac, mp3")
	zip := fs.Bool("zip", false, "also write DIR.zip holding the bundle")
	offset := fs.Duration("offset", 0, "shift the public chapters by `DUR`, a Go duration such as 12s or -1m30s")
	var cuts cutsFlag
	fs.Var(&cuts, "cut", "remove `START-END` from the episode timeline (seconds or h:mm:ss[.fff]; repeatable)")
	var public kindsFlag
	fs.Var(&public, "public", "`KINDS` that become public chapters, comma-separated (default topic,sponsor)")
	bitrate := fs.Int("bitrate", 128, "MP3 review mix bit rate in `kbit/s` (CBR)")
	loud := fs.String("loudness", "-16", "review mix loudness target in `LUFS` (-40..-6), or off for the plain sum of the tracks")
	tr := fs.String("transcript", "", "label the transcript `FILE` (plain, SRT, WebVTT, JSON) with speakers into notes/ in every format")
	names := fs.String("names", "", "publish speakers under other names: `SPEAKER=NAME,...` (e.g. alice=Michael,bob=Brian)")
	split := fs.Bool("split", false, "split a transcript cue that spans a clear turn change")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *out == "" {
		fmt.Fprintln(stderr, "podmark export: need one SESSION folder and --out DIR")
		fs.Usage()
		return 2
	}
	var formats []string
	for f := range strings.SplitSeq(*audioList, ",") {
		if f = strings.TrimSpace(strings.ToLower(f)); f != "" {
			formats = append(formats, f)
		}
	}
	if len(formats) == 0 {
		fmt.Fprintln(stderr, "podmark export: --audio: name at least one of wav, flac, mp3")
		return 2
	}
	nameMap, err := speakers.ParseNames(*names)
	if err != nil {
		fmt.Fprintf(stderr, "podmark export: --names: %v\n", err)
		return 2
	}
	opt := export.Options{Session: pos[0], Out: *out, Audio: formats, Zip: *zip, Offset: *offset,
		Cuts: cuts.cuts, Public: public.kinds, MP3Bitrate: *bitrate,
		Speakers: export.SpeakerOptions{Transcript: *tr, Names: nameMap, Split: *split}}
	if strings.EqualFold(strings.TrimSpace(*loud), "off") {
		opt.LoudnessOff = true
	} else {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(*loud), "LUFS"), 64)
		if err != nil || v < -40 || v > -6 {
			fmt.Fprintf(stderr, "podmark export: --loudness %q: want a target in LUFS from -40 to -6 (e.g. -16), or off\n", *loud)
			return 2
		}
		opt.Loudness = v
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgressBar(stderr)
	res, err := export.Run(ctx, opt, bar.update)
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "podmark %v\n", err) // err starts with "export: "
		return 1
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	var bytes int64
	for _, f := range res.Manifest.Files {
		bytes += f.Size
	}
	fmt.Fprintf(stdout, "%s: %d files, %.1f MB, in %s\n", res.Dir, len(res.Manifest.Files)+1, float64(bytes)/1e6, res.Elapsed.Round(10*time.Millisecond))
	if res.Zip != "" {
		fmt.Fprintf(stdout, "%s\n", res.Zip)
	}
	for _, l := range export.FLACSources(res.Manifest.Files) {
		fmt.Fprintf(stdout, "flac: %s\n", l)
	}
	if t := export.LoudnessTable(res.Manifest.Files); len(t) > 0 {
		fmt.Fprintln(stdout, "loudness (BS.1770-4):")
		for _, l := range t {
			fmt.Fprintf(stdout, "  %s\n", l)
		}
	}
	return 0
}

// progressBar draws a one-line bar when stderr is a terminal and prints a
// plain line per stage otherwise.
type progressBar struct {
	w     io.Writer
	tty   bool
	stage string
	drawn bool
	last  time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

func (b *progressBar) update(p export.Progress) {
	if !b.tty {
		if p.Stage != b.stage {
			b.stage = p.Stage
			fmt.Fprintf(b.w, "export: %s (%3.0f%%, %s)\n", p.Stage, 100*p.Fraction, p.Elapsed.Round(100*time.Millisecond))
		}
		return
	}
	if p.Stage == b.stage && time.Since(b.last) < 100*time.Millisecond && p.Fraction < 1 {
		return
	}
	b.stage, b.last, b.drawn = p.Stage, time.Now(), true
	const width = 30
	n := int(p.Fraction * width)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %-8s %s ", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*p.Fraction, p.Stage, p.Elapsed.Round(100*time.Millisecond))
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
