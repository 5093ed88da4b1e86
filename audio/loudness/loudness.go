// Package loudness measures programme loudness by ITU-R BS.1770-4 and
// EBU R 128 through libebur128: integrated loudness (LUFS), loudness range
// (LU, EBU Tech 3342) and short-term loudness, with true peak (dBTP, 4×
// oversampled, BS.1770-4 Annex 2) and sample peak measured here: the
// interpolator runs only where the signal comes within 6 dB of the highest
// peak so far, which makes it several times cheaper than libebur128's. A Meter is fed interleaved float32 frames as they stream by;
// it keeps one number per 100 ms block, never the audio, so an hour of a
// track costs a few hundred kilobytes.
//
// The package also holds the true-peak limiter the review mix goes through
// (limiter.go).
package loudness

// #cgo pkg-config: libebur128
// #include <stdlib.h>
// #include <ebur128.h>
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// DualMonoLU is what a mono programme gains when it is measured as dual mono
// (the one channel heard by both ears, BS.1770's weighting of a mono file
// played on two speakers, and what publishing platforms report): 10·log10(2).
var DualMonoLU = 10 * math.Log10(2)

// Silence is the value of a loudness or peak figure of digital silence.
var Silence = math.Inf(-1)

// Sentinel errors.
var (
	ErrChannels = errors.New("loudness: unsupported channel count")
	ErrClosed   = errors.New("loudness: meter closed")
	ErrLib      = errors.New("loudness: libebur128 failed")
)

// Result is one programme's measurement. Loudness and peak figures of a
// silent programme are -Inf (Silence); JSON encoders must check IsSilent.
type Result struct {
	Integrated float64 // LUFS, gated (BS.1770-4)
	Range      float64 // LRA in LU (EBU Tech 3342)
	TruePeak   float64 // dBTP, the highest over all channels
	SamplePeak float64 // dBFS, the highest over all channels
	Channels   int     // as measured: 1 (mono) or 2
	Frames     int64
}

// DualMono is Integrated as a dual-mono programme: for a one-channel
// measurement Integrated + DualMonoLU, otherwise Integrated.
func (r Result) DualMono() float64 {
	if r.Channels == 1 {
		return r.Integrated + DualMonoLU
	}
	return r.Integrated
}

// Meter measures one programme. It is not safe for concurrent use;
// separate Meters are independent.
type Meter struct {
	st       *C.ebur128_state
	peaks    *truePeak
	channels int
	frames   int64
}

// NewMeter returns a Meter for interleaved float32 audio of 1 (mono) or 2
// (stereo) channels at rate Hz. A mono Meter measures the one channel as a
// mono programme (weight 1); see Result.DualMono.
func NewMeter(rate, channels int) (*Meter, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d (want 1 or 2)", ErrChannels, channels)
	}
	if rate < 8000 || rate > 384000 {
		return nil, fmt.Errorf("loudness: sample rate %d Hz out of range", rate)
	}
	mode := C.int(C.EBUR128_MODE_I | C.EBUR128_MODE_LRA | C.EBUR128_MODE_S)
	st := C.ebur128_init(C.uint(channels), C.ulong(rate), mode)
	if st == nil {
		return nil, fmt.Errorf("%w: init %d ch %d Hz", ErrLib, channels, rate)
	}
	return &Meter{st: st, peaks: newTruePeak(channels), channels: channels}, nil
}

// NewIntegratedMeter returns a Meter that measures only the integrated
// loudness (libebur128's gating alone: no loudness range, short-term
// loudness or peaks, about half the work of NewMeter's). Its Result has
// NaN for Range, TruePeak and SamplePeak; ShortTerm fails.
func NewIntegratedMeter(rate, channels int) (*Meter, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d (want 1 or 2)", ErrChannels, channels)
	}
	if rate < 8000 || rate > 384000 {
		return nil, fmt.Errorf("loudness: sample rate %d Hz out of range", rate)
	}
	st := C.ebur128_init(C.uint(channels), C.ulong(rate), C.int(C.EBUR128_MODE_I))
	if st == nil {
		return nil, fmt.Errorf("%w: init %d ch %d Hz", ErrLib, channels, rate)
	}
	return &Meter{st: st, channels: channels}, nil
}

// Channels returns the Meter's channel count.
func (m *Meter) Channels() int { return m.channels }

// Frames returns the number of frames measured so far.
func (m *Meter) Frames() int64 { return m.frames }

// Write measures interleaved samples (a whole number of frames).
func (m *Meter) Write(interleaved []float32) error {
	if m.st == nil {
		return ErrClosed
	}
	if len(interleaved)%m.channels != 0 {
		return fmt.Errorf("loudness: %d samples is not a whole number of %d-channel frames", len(interleaved), m.channels)
	}
	n := len(interleaved) / m.channels
	if n == 0 {
		return nil
	}
	if rc := C.ebur128_add_frames_float(m.st, (*C.float)(unsafe.Pointer(&interleaved[0])), C.size_t(n)); rc != C.EBUR128_SUCCESS {
		return fmt.Errorf("%w: add frames: error %d", ErrLib, int(rc))
	}
	if m.peaks != nil {
		m.peaks.write(interleaved)
	}
	m.frames += int64(n)
	return nil
}

// ShortTerm returns the loudness of the last 3 s (LUFS, -Inf in silence or
// before any audio), as measured so far.
func (m *Meter) ShortTerm() (float64, error) {
	if m.st == nil {
		return 0, ErrClosed
	}
	var v C.double
	if rc := C.ebur128_loudness_shortterm(m.st, &v); rc != C.EBUR128_SUCCESS {
		return 0, fmt.Errorf("%w: short-term: error %d", ErrLib, int(rc))
	}
	return float64(v), nil
}

// Result returns the figures of everything written so far. The Meter may be
// written to again afterwards.
func (m *Meter) Result() (Result, error) {
	r := Result{Channels: m.channels, Frames: m.frames}
	if m.st == nil {
		return r, ErrClosed
	}
	var v C.double
	if rc := C.ebur128_loudness_global(m.st, &v); rc != C.EBUR128_SUCCESS {
		return r, fmt.Errorf("%w: integrated: error %d", ErrLib, int(rc))
	}
	r.Integrated = float64(v)
	if m.peaks == nil {
		r.Range, r.TruePeak, r.SamplePeak = math.NaN(), math.NaN(), math.NaN()
		return r, nil
	}
	if rc := C.ebur128_loudness_range(m.st, &v); rc != C.EBUR128_SUCCESS {
		return r, fmt.Errorf("%w: range: error %d", ErrLib, int(rc))
	}
	r.Range = float64(v)
	tp, sp := m.peaks.result()
	r.TruePeak, r.SamplePeak = DB(tp), DB(sp)
	return r, nil
}

// IntegratedOf is the integrated loudness (LUFS) of one programme measured
// in parts by the meters, e.g. its two halves measured side by side: the
// gating runs over all their 400 ms blocks pooled (libebur128's
// ebur128_loudness_global_multiple). Parts cut on a 100 ms boundary lose
// only the three blocks that would straddle each cut. The meters must
// have the same channel count.
func IntegratedOf(ms ...*Meter) (float64, error) {
	if len(ms) == 0 {
		return Silence, nil
	}
	sts := (**C.ebur128_state)(C.malloc(C.size_t(len(ms)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(sts))
	arr := unsafe.Slice(sts, len(ms))
	for i, m := range ms {
		if m.st == nil {
			return 0, ErrClosed
		}
		if m.channels != ms[0].channels {
			return 0, fmt.Errorf("%w: %d and %d channels pooled", ErrChannels, ms[0].channels, m.channels)
		}
		arr[i] = m.st
	}
	var v C.double
	if rc := C.ebur128_loudness_global_multiple(sts, C.size_t(len(ms)), &v); rc != C.EBUR128_SUCCESS {
		return 0, fmt.Errorf("%w: integrated of %d parts: error %d", ErrLib, len(ms), int(rc))
	}
	return float64(v), nil
}

// Close frees the Meter's state. It is safe to call more than once.
func (m *Meter) Close() error {
	if m.st != nil {
		C.ebur128_destroy(&m.st)
		m.st = nil
	}
	return nil
}

// DB converts a linear amplitude to decibels (-Inf for 0).
func DB(a float64) float64 {
	if a <= 0 {
		return Silence
	}
	return 20 * math.Log10(a)
}

// Amp converts decibels to a linear amplitude.
func Amp(db float64) float64 { return math.Pow(10, db/20) }
