//go:build windows

// LockFileEx: the lock podmarkMapQueue takes in queuemap_windows.c, since
// Windows has no flock.

package audio

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errQueueLocked: lockQueue found the lock held (by a running recorder).
var errQueueLocked = errors.New("locked")

// queueLockOffset is PODMARK_LOCK_OFFSET (queuemap.h): one byte far past
// the end of the file, so the lock (mandatory on Windows) never stops a
// read of the queue itself.
const queueLockOffset = 1 << 62

// lockQueue takes the capture queue file's lock, which a running
// recorder holds; it is released when f is closed.
func lockQueue(f *os.File) error {
	ol := windows.Overlapped{Offset: uint32(queueLockOffset & 0xffffffff), OffsetHigh: uint32(queueLockOffset >> 32)}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return errQueueLocked
	}
	return err
}
