package session

import (
	"syscall"
	"time"
	"unsafe"
)

// monotonic returns CLOCK_MONOTONIC in seconds: the clock PortAudio's ALSA and
// JACK back ends and most other programs on the machine use, so the time of
// sample 0 can be related to other local recordings.
func monotonic() float64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return time.Since(processStart).Seconds()
	}
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}
