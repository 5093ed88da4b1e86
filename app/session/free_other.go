//go:build !linux && !windows

// Neither statfs (free_linux.go) nor GetDiskFreeSpaceEx (free_windows.go).

package session

import "errors"

func freeBytes(dir string) (uint64, error) {
	return 0, errors.New("free space is only measured on Linux")
}
