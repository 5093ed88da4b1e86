//go:build windows

// Windows has no CLOCK_MONOTONIC (mono_linux.go): QueryPerformanceCounter.

package session

import (
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	kernel32  = windows.NewLazySystemDLL("kernel32.dll")
	qpc       = kernel32.NewProc("QueryPerformanceCounter")
	qpf       = kernel32.NewProc("QueryPerformanceFrequency")
	qpcPerSec = func() int64 {
		var f int64
		if r, _, _ := qpf.Call(uintptr(unsafe.Pointer(&f))); r == 0 {
			return 0
		}
		return f
	}()
)

// monotonic returns QueryPerformanceCounter in seconds: the clock
// PortAudio's WASAPI and WinMM back ends stamp buffers with (PaUtil_GetTime),
// so the time of sample 0 can be related to other local recordings.
func monotonic() float64 {
	var c int64
	if qpcPerSec <= 0 {
		return time.Since(processStart).Seconds()
	}
	if r, _, _ := qpc.Call(uintptr(unsafe.Pointer(&c))); r == 0 {
		return time.Since(processStart).Seconds()
	}
	return float64(c) / float64(qpcPerSec)
}
