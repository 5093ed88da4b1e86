package audio

import "math"

// adcClock smooths the ADC times a host API reports for successive input
// buffers. Host APIs report jittery times (JACK's come from jack_frame_time,
// a few to tens of frames off), and PortAudio's JACK host flags an input
// overflow on any xrun of the server, whether this client lost frames or
// not. The Recorder turns the ADC time jump at an overflow into inserted
// silence, so the time it gets must only jump when frames were lost.
//
// The smoothed clock is a second-order delay-locked loop (as JACK's own
// frame timer): it advances by the frames delivered at an estimated frame
// period and follows the measured time with a bandwidth of about 0.1 Hz, so
// it tracks a device clock that drifts from the system clock over hours. At a
// flagged overflow it jumps by the measured gap when that is at least half a
// buffer — in whole buffers with clockWhole (JACK loses whole periods, and
// a gap under three quarters of one is none) — and by nothing otherwise. A jump of more than four buffers
// without an overflow restarts it from the measured time.
//
// A source whose ADC times are exact (the fake sources: clockExact) gets
// them back unchanged, so a loss of any number of frames shows.
//
// next runs in the writer goroutine: no allocation, no locks.
type adcClock struct {
	rate   float64
	mode   clockMode
	set    bool
	smooth float64 // smoothed ADC time of the last buffer
	period float64 // estimated seconds per frame
	lastN  float64 // frames in the last buffer
}

// clockMode says how a source's ADC times are to be read (podmarkHead's
// clockMode; PODMARK_CLOCK_* in capqueue.h).
type clockMode uint32

const (
	clockSmooth clockMode = 0 // jittery times: smoothed
	clockWhole  clockMode = 1 // smoothed, and the host loses whole buffers (JACK)
	clockExact  clockMode = 2 // exact times (the fake sources)
)

// Loop gains for a 0.1 Hz bandwidth at 1024-frame buffers and 48 kHz
// (ω = 2π·B·T, b = √2·ω, c = ω²).
const (
	clockB = 0.019
	clockC = 0.00018
)

func (c *adcClock) next(adc, n float64, overflow bool) float64 {
	if !c.set || c.mode == clockExact {
		c.set = true
		c.smooth, c.lastN, c.period = adc, n, 1/c.rate
		return adc
	}
	expected := c.smooth + c.lastN*c.period
	e := adc - expected
	d := e * c.rate // frames
	switch {
	case overflow && d >= c.lastN/2 && (c.mode != clockWhole || d >= c.lastN*3/4):
		k := math.Round(d)
		if c.mode == clockWhole {
			// The time of the first callback after an xrun is measured
			// late (JACK's jack_frame_time is "now", and the callback runs
			// late in its cycle), so round down, allowing a quarter buffer
			// of early jitter.
			k = math.Floor((d+c.lastN/4)/c.lastN) * c.lastN
		}
		c.smooth = expected + k/c.rate
	case overflow:
		c.smooth = expected // an xrun elsewhere: no frames lost here
	case math.Abs(d) > 4*c.lastN:
		c.smooth, c.period = adc, 1/c.rate
	default:
		c.smooth = expected + clockB*e
		c.period += clockC * e / c.lastN
	}
	c.lastN = n
	return c.smooth
}
