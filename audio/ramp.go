package audio

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// RampValue is the sample the Ramp source emits for channel ch of stream
// frame n: a sawtooth over the 16-bit grid, so it survives 16-, 24-bit and
// float files exactly and any lost or duplicated frame shows.
func RampValue(n int64, ch int) float32 {
	v := (n + int64(ch)*7919) & 0xFFFF
	return float32(v-32768) / 32768
}

// RampOverflow simulates an input overflow: at the first buffer starting at
// or after stream frame At, Frames frames are skipped (never delivered), the
// buffer's ADC time jumps accordingly and the overflow flag is set.
type RampOverflow struct{ At, Frames int64 }

// RampOptions configures the fake Ramp source.
type RampOptions struct {
	Channels        int
	Rate            SampleRate
	FramesPerBuffer int // default 256
	// Realtime paces buffers by the wall clock, catching up when the
	// goroutine was late so that no frame is ever skipped and the stream
	// clock (Now) never runs ahead of what was delivered by more than a
	// buffer; otherwise buffers come flat out on a virtual clock.
	Realtime bool
	// Speed, with Realtime, runs the clock this many times faster than the
	// wall clock (0 means 1): ramp:fast sessions record an hour in a minute.
	Speed float64
	// Overflows lists simulated input overflows.
	Overflows []RampOverflow
	// StopAfter, if > 0, stops delivering callbacks after that many stream
	// frames while the stream clock keeps running: a lost device. Done is
	// closed then.
	StopAfter int64
	// DiskStallAt and DiskStall simulate a stalled disk: a Recorder's
	// writer goroutine sleeps DiskStall before it writes the stream frame
	// DiskStallAt (once).
	DiskStallAt int64
	DiskStall   time.Duration
}

// Ramp is a fake Source that emits RampValue samples. Its methods are safe
// for concurrent use; the callback runs on the Ramp's own goroutine.
type Ramp struct {
	opt       RampOptions
	mu        sync.Mutex
	stop      chan struct{}
	wg        sync.WaitGroup
	done      chan struct{}
	doneOnce  sync.Once
	started   time.Time
	clock     atomic.Uint64 // virtual clock (flat out), float64 bits
	delivered atomic.Int64  // stream frames delivered or skipped
	stalled   atomic.Bool
	closed    bool
}

// NewRamp returns a stopped Ramp.
func NewRamp(opt RampOptions) *Ramp {
	if opt.FramesPerBuffer <= 0 {
		opt.FramesPerBuffer = 256
	}
	if opt.Channels <= 0 {
		opt.Channels = 1
	}
	if opt.Rate <= 0 {
		opt.Rate = 48000
	}
	if opt.Speed <= 0 {
		opt.Speed = 1
	}
	return &Ramp{opt: opt, done: make(chan struct{})}
}

// ErrRunning reports Start on a Source that is already running.
var ErrRunning = errors.New("audio: source already started")

// Start begins delivering buffers to cb on the Ramp's goroutine.
func (r *Ramp) Start(cb func(in []float32, adc float64, overflow bool)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.stop != nil {
		return ErrRunning
	}
	r.stop = make(chan struct{})
	r.started = time.Now()
	r.wg.Add(1)
	go r.run(cb, r.stop, r.started)
	return nil
}

func (r *Ramp) run(cb func([]float32, float64, bool), stop chan struct{}, start time.Time) {
	defer r.wg.Done()
	o := r.opt
	fpb := int64(o.FramesPerBuffer)
	buf := make([]float32, int(fpb)*o.Channels)
	overflows := append([]RampOverflow(nil), o.Overflows...)
	framesPerSecond := float64(o.Rate) * o.Speed
	var wait *time.Timer
	if o.Realtime {
		wait = time.NewTimer(0)
		defer wait.Stop()
	}
	var n int64 // next stream frame
	for {
		select {
		case <-stop:
			return
		default:
		}
		if o.StopAfter > 0 && n >= o.StopAfter {
			// The device is gone: no more callbacks, the clock runs on.
			r.doneOnce.Do(func() { close(r.done) })
			<-stop
			return
		}
		if o.Realtime {
			// The buffer ending at stream frame n+fpb is due when the clock
			// passes that frame; a late goroutine delivers at once.
			due := start.Add(time.Duration(float64(n+fpb) / framesPerSecond * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				wait.Reset(d)
				select {
				case <-stop:
					return
				case <-wait.C:
				}
			}
		}
		overflow := false
		for i := range overflows {
			if overflows[i].Frames > 0 && n >= overflows[i].At {
				n += overflows[i].Frames
				overflows[i].Frames = 0
				overflow = true
			}
		}
		for i := int64(0); i < fpb; i++ {
			for c := 0; c < o.Channels; c++ {
				buf[int(i)*o.Channels+c] = RampValue(n+i, c)
			}
		}
		adc := o.Rate.Seconds(n)
		n += fpb
		r.delivered.Store(n)
		if !o.Realtime {
			r.clock.Store(math.Float64bits(o.Rate.Seconds(n)))
		}
		cb(buf, adc, overflow)
	}
}

// Done is closed when the Ramp stops delivering because of StopAfter.
func (r *Ramp) Done() <-chan struct{} { return r.done }

// Delivered returns the stream frames produced so far (including skipped ones).
func (r *Ramp) Delivered() int64 { return r.delivered.Load() }

// Now returns the stream clock in seconds: wall time since Start (times
// Speed) when Realtime, otherwise the end of the last delivered buffer.
func (r *Ramp) Now() float64 {
	if r.opt.Realtime {
		r.mu.Lock()
		s := r.started
		r.mu.Unlock()
		if s.IsZero() {
			return 0
		}
		return time.Since(s).Seconds() * r.opt.Speed
	}
	return math.Float64frombits(r.clock.Load())
}

// DiskStall tells a Recorder's writer how long to stall before writing
// stream frame n (once): the simulated disk stall.
func (r *Ramp) DiskStall(n int64) time.Duration {
	if r.opt.DiskStall > 0 && n >= r.opt.DiskStallAt && r.stalled.CompareAndSwap(false, true) {
		return r.opt.DiskStall
	}
	return 0
}

// Stop stops delivery and waits for the callback goroutine to return.
func (r *Ramp) Stop() error {
	r.mu.Lock()
	stop := r.stop
	r.stop = nil
	r.mu.Unlock()
	if stop != nil {
		close(stop)
		r.wg.Wait()
	}
	return nil
}

// Close stops the Ramp; it cannot be started again.
func (r *Ramp) Close() error {
	err := r.Stop()
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return err
}

// Info names the fake device.
func (r *Ramp) Info() (device, hostAPI string) { return "ramp", "fake" }

var _ Source = (*Ramp)(nil)
