// Package audio captures, buffers, meters and stores audio for podmark.
//
// It knows nothing about markers or the GUI: the recorder reports glitches and
// errors through plain func hooks, and the sample clock and meters are atomics
// that any goroutine may read.
//
// There is one capture path. A Source's producer pushes every captured
// buffer into its CaptureQueue, a preallocated lock-free C queue
// (capqueue.c; optionally a file in /dev/shm that outlives the process):
// PortAudio's stream callback on the real-time thread (portaudio.go, the
// only file that imports PortAudio), or the goroutine of the fake,
// sample-counting Ramp, through the same C function. The Recorder's writer
// goroutine pulls the buffers with CaptureQueue.Read, writes them to the
// track files and commits them to the queue; ReplayQueue writes out what a
// killed writer left in a queue file the same way. Every test runs this
// path.
package audio

import (
	"errors"
	"fmt"
	"time"
)

// SampleRate is a number of frames per second.
type SampleRate int

// D returns the duration of n frames.
func (r SampleRate) D(n int64) time.Duration {
	return time.Duration(float64(n) * float64(time.Second) / float64(r))
}

// N returns the number of frames in d, rounded to the nearest frame.
func (r SampleRate) N(d time.Duration) int64 {
	f := d.Seconds() * float64(r)
	if f < 0 {
		return int64(f - 0.5)
	}
	return int64(f + 0.5)
}

// Seconds returns n frames as seconds.
func (r SampleRate) Seconds(n int64) float64 { return float64(n) / float64(r) }

// SampleFormat is how samples are stored in a WAV file.
type SampleFormat int

const (
	Int16   SampleFormat = 16 // 16-bit signed PCM
	Int24   SampleFormat = 24 // 24-bit signed PCM (the default)
	Float32 SampleFormat = 32 // 32-bit IEEE float

	// Formats the reader also accepts in files made by other tools; the
	// writer does not produce them.
	Uint8   SampleFormat = 8   // 8-bit unsigned PCM
	Int32   SampleFormat = 132 // 32-bit signed PCM
	Float64 SampleFormat = 64  // 64-bit IEEE float
)

// ErrBadFormat reports a sample format other than 16, 24 or 32f.
var ErrBadFormat = errors.New("audio: unsupported sample format")

// ParseSampleFormat parses the --bits flag values "16", "24" and "32f".
func ParseSampleFormat(s string) (SampleFormat, error) {
	switch s {
	case "16":
		return Int16, nil
	case "24":
		return Int24, nil
	case "32f", "32":
		return Float32, nil
	}
	return 0, fmt.Errorf("%w: %q (want 16, 24 or 32f)", ErrBadFormat, s)
}

// String returns the flag spelling: "16", "24" or "32f".
func (f SampleFormat) String() string {
	switch f {
	case Int16:
		return "16"
	case Int24:
		return "24"
	case Float32:
		return "32f"
	case Uint8:
		return "8"
	case Int32:
		return "32"
	case Float64:
		return "64f"
	}
	return fmt.Sprintf("SampleFormat(%d)", int(f))
}

// BytesPerSample is the stored size of one sample.
func (f SampleFormat) BytesPerSample() int {
	switch f {
	case Int16:
		return 2
	case Int24:
		return 3
	case Float32, Int32:
		return 4
	case Uint8:
		return 1
	case Float64:
		return 8
	}
	return 0
}
