package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"

	"github.com/podmark/podmark/app/export"
)

func init() {
	register("loudness", "measure audio files: integrated loudness, loudness range, true peak (BS.1770-4 / EBU R 128)", runLoudness)
}

const loudnessUsage = `usage: podmark loudness FILE...

Measures each WAV, FLAC or MP3 file as podmark export does (ITU-R BS.1770-4,
EBU R 128): integrated loudness in LUFS (a mono file as a mono programme,
and as dual mono: +3.0 LU), loudness range in LU, true peak in dBTP. Files
are measured in parallel, streaming. Exit 1 when a file cannot be measured.
`

func runLoudness(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loudness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loudnessUsage); fs.PrintDefaults() }
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	files := make([]export.File, len(pos))
	errs := make([]error, len(pos))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, p := range pos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			files[i].Path = p
			files[i].Loudness, errs[i] = export.MeasureFile(ctx, p)
		}()
	}
	wg.Wait()
	code := 0
	var ok []export.File
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(stderr, "podmark %v\n", err) // err starts with "export: "
			code = 1
			continue
		}
		ok = append(ok, files[i])
	}
	for _, l := range export.LoudnessTable(ok) {
		fmt.Fprintln(stdout, l)
	}
	return code
}
