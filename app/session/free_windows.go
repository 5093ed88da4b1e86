//go:build windows

// Windows has no statfs (free_linux.go): GetDiskFreeSpaceEx.

package session

import "golang.org/x/sys/windows"

// freeBytes is the space on dir's volume available to this user (quotas
// included), as GetDiskFreeSpaceEx reports it.
func freeBytes(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return avail, nil
}
