//go:build !linux

package audio

import (
	"os"
	"time"
)

// openTimerfd: no timerfd here; the writerTicker uses a Go timer.
func openTimerfd(time.Duration) *os.File { return nil }

func readTimerfd(uintptr) (uint64, bool) { return 0, false }

func fireTimerfd(uintptr, time.Duration) {}
