package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

func init() {
	register("version", "print podmark's version and those of Go, Fyne and PortAudio (for bug reports)", runVersion)
}

// runVersion prints `podmark --version` / `podmark version`.
func runVersion(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark version   (or podmark --version)")
		fmt.Fprintln(stderr, "Prints podmark's version, then the Go, Fyne and PortAudio versions it was built with, for bug reports.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "podmark version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fmt.Fprint(stdout, versionText())
	return 0
}

// versionText is the version report: podmark's own first, one line each.
func versionText() string {
	fyneV, rev := "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "fyne.io/fyne/v2" {
				fyneV = d.Version
				if d.Replace != nil {
					fyneV += " => " + d.Replace.Path + " " + d.Replace.Version
				}
			}
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("podmark %s%s\nGo %s %s/%s\nFyne %s\nPortAudio %s\n",
		session.AppVersion, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH, fyneV, audio.PortAudioVersion())
}
