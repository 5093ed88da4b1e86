package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/podmark/podmark/app/export"
	"github.com/podmark/podmark/app/session"
)

// The window drives app/session directly: *session.Session is the
// recording, *session.Monitor the soundcheck meters, session.Status and
// session.State what the screens show. This file holds the few steps that
// are the window's own: which inputs the picker offers, where a new
// session folder goes, the free-space estimate and the hand-off folder.

// inputChoice is one entry of the input picker.
type inputChoice struct {
	Spec     string // what session.Config.Device takes: the index, or "ramp"
	Label    string
	Channels int // the most channels it can record
}

// rampChoice is the engine's fake input, offered only when podmark was
// started for testing (Options.TestInputs): a host must not pick a test
// signal by accident.
var rampChoice = inputChoice{Spec: session.RampDevice, Label: "ramp: test signal, not a microphone", Channels: 8}

// listInputs lists PortAudio's input devices, the same list `podmark
// devices` prints, then the test signal when testing; the error is
// PortAudio's, with the list still usable.
func listInputs(testing bool) ([]inputChoice, error) {
	ds, err := session.Devices()
	out := make([]inputChoice, 0, len(ds)+1)
	for _, d := range ds {
		out = append(out, inputChoice{Spec: strconv.Itoa(d.Index), Label: fmt.Sprintf("%d: %s (%d ch)", d.Index, d.Name, d.MaxInputChannels), Channels: d.MaxInputChannels})
	}
	if testing {
		out = append(out, rampChoice)
	}
	return out, err
}

// prefetchedInputs is a device list read in the background (prefetchInputs).
type prefetchedInputs struct {
	devs    []inputChoice
	err     error
	release func() error // ends the hold on the audio host APIs; nil if there is none
}

// prefetchInputs lists the input devices in the background, keeping the
// audio host APIs initialized (session.HoldDevices) so that opening the
// monitor's device after it does not scan them again; the receiver calls
// release once the monitor is open.
func prefetchInputs(testing bool) <-chan prefetchedInputs {
	ch := make(chan prefetchedInputs, 1)
	go func() {
		release, herr := session.HoldDevices()
		devs, err := listInputs(testing)
		if err == nil && herr != nil {
			err = herr
		}
		ch <- prefetchedInputs{devs: devs, err: err, release: release}
	}()
	return ch
}

// freeTime is how long the recordings folder root can still record cfg.
func freeTime(root string, cfg session.Config) (time.Duration, error) {
	dir := root
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir) // not created yet: measure where it will be
	}
	return session.FreeTime(dir, cfg.Rate, cfg.Channels, cfg.Format)
}

// handOff runs the export engine on the stopped session in dir: the
// editor's bundle (tracks, FLAC, MP3 review mix with chapters, every marker
// format, manifest) in <session>-handoff next to the session folder
// (-handoff-2, -3… when it exists; the export engine refuses a folder inside
// the session).
//
// names (may be empty) renames speakers for the published transcript: with
// names the bundle's notes/ get the speaker turns (app/export speakers.go).
func handOff(dir string, names map[string]string, progress func(export.Progress)) (string, error) {
	dir = filepath.Clean(dir)
	out := dir + "-handoff"
	for i := 2; ; i++ {
		if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
			break
		}
		out = fmt.Sprintf("%s-handoff-%d", dir, i)
	}
	res, err := export.Run(context.Background(), export.Options{Session: dir, Out: out,
		Speakers: export.SpeakerOptions{Names: names}}, progress)
	if err != nil {
		return "", err
	}
	return res.Dir, nil
}

// running reports whether st is a recording in progress (recording or
// paused): the state in which the form is locked and markers can be set.
func running(st session.State) bool { return st.Unfinished() }
