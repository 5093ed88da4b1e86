package audio

import (
	"errors"
	"fmt"
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
	// goroutine was late so that no frame is ever skipped, and the stream
	// clock (Now) never runs ahead of what was delivered, like a sound
	// card's. A real-time Ramp is a device: when the writer falls behind
	// and its capture queue is full, frames are lost. Otherwise buffers
	// come flat out on a virtual clock, which waits while the queue is full
	// (a virtual clock has no time to keep), so no frame is ever lost.
	Realtime bool
	// Speed, with Realtime, runs the clock this many times faster than the
	// wall clock (0 means 1): ramp:fast sessions record an hour in a minute.
	// The capture queue grows with it, to hold what about 2 s of wall time
	// brings (up to 2^23 frames).
	Speed float64
	// Overflows lists simulated input overflows.
	Overflows []RampOverflow
	// StopAfter, if > 0, stops delivering buffers after that many stream
	// frames while the stream clock keeps running: a lost device. Done is
	// closed then.
	StopAfter int64
	// QueueFile and QueueTag put the capture queue in a file, as
	// StreamConfig's do for PortAudio.
	QueueFile, QueueTag string
}

// Ramp is a fake Source that emits RampValue samples into its capture
// queue, as the PortAudio callback does, from its own goroutine. Its
// methods are safe for concurrent use.
type Ramp struct {
	opt       RampOptions
	queue     *CaptureQueue
	qerr      error // the queue could not be made
	mu        sync.Mutex
	stop      chan struct{}
	wg        sync.WaitGroup
	done      chan struct{}
	doneOnce  sync.Once
	started   time.Time
	clock     atomic.Uint64 // virtual clock (flat out), float64 bits
	delivered atomic.Int64  // stream frames delivered or skipped
	closed    bool
}

// maxRampQueue is the largest capture queue a fast Ramp gets, in frames.
const maxRampQueue = 1 << 23

// NewRamp returns a stopped Ramp with its capture queue (an error making
// it is returned by Start).
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
	frames, buffers := uint64(queueFrames), uint64(queueBuffers)
	if opt.Realtime {
		for frames < maxRampQueue && float64(frames) < 2*opt.Speed*float64(opt.Rate) {
			frames <<= 1
		}
		for buffers < frames/uint64(opt.FramesPerBuffer) {
			buffers <<= 1
		}
	}
	r := &Ramp{opt: opt, done: make(chan struct{})}
	r.queue, r.qerr = openCaptureQueue(queueConfig{channels: opt.Channels, rate: float64(opt.Rate),
		frames: frames, buffers: buffers, clock: clockExact, path: opt.QueueFile, tag: opt.QueueTag})
	if r.qerr != nil {
		r.qerr = fmt.Errorf("audio: ramp: %w", r.qerr)
	}
	return r
}

// ErrRunning reports Start on a Source that is already running.
var ErrRunning = errors.New("audio: source already started")

// Queue is the Ramp's capture queue (nil if it could not be made).
func (r *Ramp) Queue() *CaptureQueue { return r.queue }

// Start empties the queue and begins delivering buffers into it.
func (r *Ramp) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.qerr != nil {
		return r.qerr
	}
	if r.closed {
		return ErrClosed
	}
	if r.stop != nil {
		return ErrRunning
	}
	r.queue.start()
	r.stop = make(chan struct{})
	r.started = time.Now()
	r.wg.Add(1)
	go r.run(r.stop, r.started)
	return nil
}

func (r *Ramp) run(stop chan struct{}, start time.Time) {
	defer r.wg.Done()
	o := r.opt
	fpb := int64(o.FramesPerBuffer)
	buf := make([]float32, int(fpb)*o.Channels)
	overflows := append([]RampOverflow(nil), o.Overflows...)
	framesPerSecond := float64(o.Rate) * o.Speed
	wait := time.NewTimer(0)
	defer wait.Stop()
	sleep := func(d time.Duration) bool {
		wait.Reset(d)
		select {
		case <-stop:
			return false
		case <-wait.C:
			return true
		}
	}
	var n int64   // next stream frame
	last := false // stopping: deliver the buffer being captured, then return
	for {
		select {
		case <-stop:
			if !o.Realtime {
				return
			}
			last = true
		default:
		}
		if o.StopAfter > 0 && n >= o.StopAfter {
			// The device is gone: no more buffers, the clock runs on.
			r.doneOnce.Do(func() { close(r.done) })
			<-stop
			return
		}
		if o.Realtime {
			// The buffer ending at stream frame n+fpb is due when the clock
			// passes that frame; a late goroutine delivers at once. On Stop
			// the buffer the clock is in is finished and delivered, as a
			// sound card completes its period: every position Now gave
			// before Stop is then in the recording.
			due := start.Add(time.Duration(float64(n+fpb) / framesPerSecond * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				if last {
					time.Sleep(d)
				} else if !sleep(d) {
					last = true
					time.Sleep(time.Until(due))
				}
			}
		} else {
			for !r.queue.room(int(fpb)) {
				if !sleep(time.Millisecond) {
					return
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
		r.queue.push(buf, int(fpb), adc, overflow)
		n += fpb
		r.delivered.Store(n)
		if !o.Realtime {
			r.clock.Store(math.Float64bits(o.Rate.Seconds(n)))
		}
		if last {
			return
		}
	}
}

// Done is closed when the Ramp stops delivering because of StopAfter.
func (r *Ramp) Done() <-chan struct{} { return r.done }

// Delivered returns the stream frames produced so far (including skipped ones).
func (r *Ramp) Delivered() int64 { return r.delivered.Load() }

// Now returns the stream clock in seconds: when Realtime, wall time since
// Start (times Speed), as a sound card's clock runs between callbacks, so
// that a position taken between two buffers falls inside the one being
// captured, not on a buffer boundary; but never more than one buffer past
// the end of the last buffer delivered (half a frame more, so float
// rounding never puts "now" a frame before it): a late goroutine holds the
// clock back as a stalled device would. Otherwise (flat out) it is the end
// of the last delivered buffer.
func (r *Ramp) Now() float64 {
	if r.opt.Realtime {
		r.mu.Lock()
		s := r.started
		r.mu.Unlock()
		if s.IsZero() {
			return 0
		}
		ahead := float64(r.delivered.Load()+int64(r.opt.FramesPerBuffer)) + 0.5
		return min(time.Since(s).Seconds()*r.opt.Speed, ahead/float64(r.opt.Rate))
	}
	return math.Float64frombits(r.clock.Load())
}

// Stop stops delivery and waits for the Ramp's goroutine to return; what
// it delivered stays in the queue. A real-time Ramp first finishes the
// buffer being captured (at most one buffer's time).
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

// Close stops the Ramp and frees its queue; it cannot be started again.
func (r *Ramp) Close() error {
	err := r.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed && r.queue != nil {
		r.queue.free()
	}
	r.closed = true
	return err
}

// Info names the fake device.
func (r *Ramp) Info() (device, hostAPI string) { return "ramp", "fake" }

var _ Source = (*Ramp)(nil)
