package audio

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openTimerfd returns a non-blocking timerfd (so os.NewFile hands it to the
// network poller) that expires every period, or nil.
func openTimerfd(period time.Duration) *os.File {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	p := unix.NsecToTimespec(int64(period))
	if err := unix.TimerfdSettime(fd, 0, &unix.ItimerSpec{Interval: p, Value: p}, nil); err != nil {
		_ = unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "writer timerfd")
}

// readTimerfd reads and resets timerfd fd's expiration count; ok is false on
// an error other than "no expiry yet" or an interrupted call (the count is
// then 0).
func readTimerfd(fd uintptr) (n uint64, ok bool) {
	var b [8]byte
	if _, err := unix.Read(int(fd), b[:]); err != nil {
		return 0, err == unix.EAGAIN || err == unix.EINTR
	}
	return *(*uint64)(unsafe.Pointer(&b[0])), true // native byte order
}

// fireTimerfd makes timerfd fd expire now, then every period.
func fireTimerfd(fd uintptr, period time.Duration) {
	spec := unix.ItimerSpec{Interval: unix.NsecToTimespec(int64(period)), Value: unix.Timespec{Nsec: 1}}
	_ = unix.TimerfdSettime(int(fd), 0, &spec, nil) // a failure leaves the next tick to wake the writer
}
