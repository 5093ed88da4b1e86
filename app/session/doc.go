// Package session records one podmark session: it validates the
// configuration, creates the session folder (session.json, markers.jsonl,
// tracks/<host>-<n>.wav), drives an audio.Recorder through its states
// (recording, paused, stopped), turns marker commands and glitches into
// fsynced journal lines at exact sample positions, and repairs sessions left
// behind by a crash.
//
// The folder and file formats are documented in docs/session-format.md. The
// package knows nothing about the GUI: events reach the caller through the
// plain func hooks of Hooks, called from engine goroutines.
package session

import "errors"

// ErrConfig reports a configuration that cannot be recorded (bad folder,
// channel count, rate, bit depth or device). Nothing is created on disk when
// New returns it.
var ErrConfig = errors.New("session: bad configuration")

// ErrState reports a call that does not fit the session's state, such as
// Pause before Start or Mark after Stop.
var ErrState = errors.New("session: wrong state")
