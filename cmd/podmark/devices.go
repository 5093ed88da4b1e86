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

// rampLine is the fake input as `podmark devices` lists it, last and
// plainly labelled, with the same five fields so scripts keep parsing.
const rampLine = session.RampDevice + "\tTEST SIGNAL, not a microphone (podmark's fake input, for testing)\ttest\t8\t48000"

func runDevices(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark devices")
		fmt.Fprintln(stderr, "Lists input devices, one per line, tab-separated: INDEX NAME HOSTAPI MAX_INPUT_CHANNELS DEFAULT_RATE.")
		fmt.Fprintln(stderr, "The INDEX (or the exact NAME) is what --device takes. The last line, INDEX \"ramp\", is no microphone:")
		fmt.Fprintln(stderr, "it is podmark's test signal, for trying podmark and for tests.")
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
		fmt.Fprintln(stdout, DeviceLine(d))
	}
	fmt.Fprintln(stdout, rampLine)
	return 0
}
