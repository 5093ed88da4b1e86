//go:build !linux && !windows

// Neither CLOCK_MONOTONIC (mono_linux.go) nor QueryPerformanceCounter (mono_windows.go).

package session

import "time"

// monotonic returns seconds on a monotonic clock (since process start on
// systems without CLOCK_MONOTONIC access here).
func monotonic() float64 { return time.Since(processStart).Seconds() }
