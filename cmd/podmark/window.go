package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/ui"
	// Before Fyne initialises: a locale Fyne can parse, so LANG=C does not spam the log.
	_ "github.com/podmark/podmark/app/ui/localefix"
)

func init() { runWindow = runWindowCmd }

// testInputsEnv, set to 1, is --test-inputs for a whole test run.
const testInputsEnv = "PODMARK_TEST_INPUTS"

// runWindowCmd parses the window's presets and opens it.
func runWindowCmd(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("podmark", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o ui.Options
	fs.StringVar(&o.Device, "device", "", "preset the input device (index or exact name, see 'podmark devices'; 'ramp' = the test signal)")
	fs.IntVar(&o.Channels, "channels", 0, "preset the channel count")
	fs.IntVar(&o.Rate, "rate", 0, "preset the sample rate in Hz (44100 or 48000)")
	fs.StringVar(&o.Dir, "dir", "", "recordings folder; each recording is a new session folder in it")
	fs.StringVar(&o.Host, "host", "", "preset the host name")
	fs.StringVar(&o.Room, "room", "", "preset the room `link` (nats://[TOKEN@]HOST[:PORT]/SHOW/EPISODE; the preference otherwise): recordings join the room")
	fs.StringVar(&o.Creds, "creds", "", "preset the room credentials `file` (nkey seed from 'podmark room invite')")
	fs.StringVar(&o.RoomCA, "room-ca", "", "preset the PEM `file` of the CA that signed the relay's TLS certificate")
	fs.IntVar(&o.UploadKbps, "upload-kbps", 0, fmt.Sprintf("preset the upload limit in kbit/s (0 = none; the preference otherwise, default %d)", ui.DefaultUploadKbps))
	ready := fs.String("ready-file", "", "write this file once the window is ready (for launch timing and tests)")
	fs.BoolVar(&o.TestInputs, "test-inputs", os.Getenv(testInputsEnv) == "1", "offer the fake 'ramp' test signal in the input picker (also "+testInputsEnv+"=1)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: podmark [flags]   (opens the window; podmark help lists the commands)")
		fs.PrintDefaults()
		printDoc(stderr, "")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fs.Visit(func(f *flag.Flag) { o.UploadKbpsSet = o.UploadKbpsSet || f.Name == "upload-kbps" })
	if o.UploadKbps < 0 || o.UploadKbps > ui.MaxUploadKbps {
		fmt.Fprintf(stderr, "podmark: --upload-kbps %d: want 0..%d\n", o.UploadKbps, ui.MaxUploadKbps)
		return 2
	}
	if o.Room != "" {
		if _, err := room.ParseLink(o.Room); err != nil {
			fmt.Fprintf(stderr, "podmark: --room: %v\n", err)
			return 2
		}
	}
	if o.Creds != "" {
		if err := room.CheckCreds(o.Creds); err != nil {
			fmt.Fprintf(stderr, "podmark: --creds: %v\n", err)
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "podmark: unexpected argument %q (commands come first: podmark help)\n", fs.Arg(0))
		return 2
	}
	if o.Channels < 0 || o.Channels > 64 {
		fmt.Fprintf(stderr, "podmark: --channels %d: want 1..64\n", o.Channels)
		return 2
	}
	if o.Rate != 0 && o.Rate != 44100 && o.Rate != 48000 {
		fmt.Fprintf(stderr, "podmark: --rate %d: want 44100 or 48000\n", o.Rate)
		return 2
	}
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(stderr, "podmark: no display to open the window on (DISPLAY is not set); use a command instead, e.g. podmark record (podmark help)")
		return 1
	}
	if *ready != "" {
		path := *ready
		o.Ready = func() {
			if err := os.WriteFile(path, []byte("ready\n"), 0o644); err != nil {
				fmt.Fprintf(stderr, "podmark: --ready-file: %v\n", err)
			}
		}
	}
	o.AtExit = stopProfile
	return ui.Run(o)
}
