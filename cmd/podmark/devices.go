package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/podmark/podmark/app/session"
)

func init() {
	register("devices", "list input devices: INDEX NAME HOSTAPI MAX_INPUT_CHANNELS DEFAULT_RATE", runDevices)
}

func runDevices(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark devices")
		fmt.Fprintln(stderr, "Lists input devices, one per line, tab-separated: INDEX NAME HOSTAPI MAX_INPUT_CHANNELS DEFAULT_RATE.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "podmark devices: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	devs, err := session.Devices()
	if err != nil {
		fmt.Fprintf(stderr, "podmark devices: %v\n", err)
		return 1
	}
	for _, d := range devs {
		fmt.Fprintln(stdout, session.DeviceLine(d))
	}
	return 0
}
