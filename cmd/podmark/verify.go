package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/podmark/podmark/app/export"
)

func init() {
	register("verify", "re-hash and decode a bundle made by export; non-zero exit on any damage", runVerify)
}

func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark verify BUNDLE\n\nChecks every file of BUNDLE against its manifest.json (size, SHA-256) and\ndecodes the audio (WAV, FLAC compared with its WAV, MP3), measuring its\nloudness against the figures in the manifest (0.1 LU, 0.2 dB true peak).\nExit 1 on any problem.")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	rep, err := export.Verify(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "podmark verify: %v\n", err) // err starts with "export: "
		return 1
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", filepath.Join(pos[0], w))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "FAIL %s: %s\n", filepath.Join(pos[0], filepath.FromSlash(p.Path)), p.Msg)
	}
	if !rep.OK() {
		fmt.Fprintf(stdout, "%s: %d problem(s) in %d files\n", pos[0], len(rep.Problems), rep.Files)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK, %d files (%.1f MB) match the manifest, %d audio files decoded, %d loudness measurements match\n", pos[0], rep.Files, float64(rep.Bytes)/1e6, rep.Decoded, rep.Measured)
	return 0
}
