package audio

import (
	"os"
	"time"
)

// writerTicker wakes the writer goroutine every period. On Linux it reads a
// timerfd that Go's network poller waits on (ticker_linux.go). A Go timer
// costs about twice as many thread wake-ups per tick there: the runtime's
// poller sleeps in whole milliseconds (epoll_wait), so it wakes once early
// and again after a 1 ms nap, and the runtime's monitor thread (sysmon)
// sleeps until the next Go timer, so it wakes on every tick and polls every
// 20 µs until the writer has run. The timerfd wakes the poller once, at the
// tick, and the writer's first system call comes when it writes out (see
// wait). Elsewhere, or if the timerfd cannot be made, it is a Go timer.
type writerTicker struct {
	f      *os.File // the timerfd; nil: t is used
	period time.Duration
	t      *time.Timer
	// unread: the last wait returned on an expiry it did not read, so the
	// next read of the count includes it.
	unread uint64
}

func newWriterTicker(period time.Duration) *writerTicker {
	w := &writerTicker{period: period}
	if w.f = openTimerfd(period); w.f == nil {
		w.t = time.NewTimer(period)
	}
	return w
}

// wait returns at the next tick (at once if a tick was missed), or when stop
// is closed and wake was called.
func (w *writerTicker) wait(stop <-chan struct{}) {
	if w.f == nil {
		select {
		case <-w.t.C:
		case <-stop:
		}
		w.t.Reset(w.period)
		return
	}
	select {
	case <-stop:
		return
	default:
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		return // closed: the caller finds stop closed
	}
	// RawConn.Read arms the poller, calls f, and while f returns false waits
	// for the timerfd to expire and calls f again. The first call reads (and
	// so resets) the expiration count: more than the one expiry the last
	// wait returned on means a tick passed while the writer worked, and wait
	// returns at once. After an expiry f returns without reading it, so the
	// writer's wake-up starts with no system call (see writerTicker).
	first, broken := true, false
	_ = rc.Read(func(fd uintptr) bool {
		if !first {
			w.unread = 1
			return true
		}
		first = false
		n, ok := readTimerfd(fd)
		missed := n > w.unread
		w.unread, broken = 0, !ok
		return missed || broken
	})
	if broken {
		time.Sleep(w.period) // never expected; keeps a failing timerfd from spinning the writer
	}
}

// wake makes the pending (or next) wait return at once. It is safe to call
// from any goroutine, also after close.
func (w *writerTicker) wake() {
	if w.f == nil {
		return // wait selects on stop
	}
	if rc, err := w.f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { fireTimerfd(fd, w.period) }) // fails once closed: nothing to wake
	}
}

// close releases the timer; only the writer goroutine calls it.
func (w *writerTicker) close() {
	if w.f != nil {
		_ = w.f.Close()
	} else {
		w.t.Stop()
	}
}
