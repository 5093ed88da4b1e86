package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/podmark/podmark/app/session"
)

func init() {
	register("recover", "repair session folders left by a crash (safe to run twice)", runRecover)
}

func runRecover(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark recover DIR...")
		fmt.Fprintln(stderr, "Repairs each session folder: what the capture queue still holds written out, track headers from the")
		fmt.Fprintln(stderr, "real data length, journal replayed, state 'recovered'. Safe to run twice; nothing recorded is deleted.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		printDoc(stderr, "recover")
		return 2
	}
	code := 0
	for _, dir := range fs.Args() {
		rep, err := session.Recover(dir)
		for _, w := range rep.Warnings {
			fmt.Fprintf(stderr, "podmark recover: warning: %s\n", w)
		}
		// A folder that is no session has nothing to summarise; one that
		// failed part-way shows what was repaired before the error.
		if err == nil || len(rep.Tracks) > 0 {
			fmt.Fprint(stdout, session.RecoverSummary(rep))
		}
		if err != nil {
			fmt.Fprintf(stderr, "podmark recover: %v\n", err)
			code = 1
		}
		sayOutbox(dir, stderr)
	}
	return code
}
