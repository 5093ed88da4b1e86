//go:build !linux

// No timerfd outside Linux. On Windows the Go timer is the right writer
// timer: the runtime sleeps on a high-resolution waitable timer there, so
// it wakes once, at the tick, without the millisecond rounding of epoll.

package audio

import (
	"os"
	"time"
)

// openTimerfd: no timerfd here; the writerTicker uses a Go timer.
func openTimerfd(time.Duration) *os.File { return nil }

func readTimerfd(uintptr) (uint64, bool) { return 0, false }

func fireTimerfd(uintptr, time.Duration) {}
