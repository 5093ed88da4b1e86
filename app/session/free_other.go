//go:build !linux

package session

import "errors"

func freeBytes(dir string) (uint64, error) {
	return 0, errors.New("free space is only measured on Linux")
}
