//go:build !windows

// flock(2): the lock podmarkMapQueue takes in queuemap_unix.c. Not on
// Windows, which has no flock (queuelock_windows.go).

package audio

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errQueueLocked: lockQueue found the lock held (by a running recorder).
var errQueueLocked = errors.New("locked")

// lockQueue takes the capture queue file's lock, which a running
// recorder holds; it is released when f is closed.
func lockQueue(f *os.File) error {
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return errQueueLocked
		}
		return err
	}
	return nil
}
