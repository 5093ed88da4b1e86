//go:build windows

// podmark.exe is a console program, so that its commands print to the
// terminal they run in; Windows gives it a console window of its own when
// it is started from Explorer. The window build lets go of that one.

package main

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// leaveOwnConsole closes the console window Windows opened for podmark
// alone (double-clicked), before the app window opens; a console podmark
// was started from (others attached to it) stays.
func leaveOwnConsole() {
	k := windows.NewLazySystemDLL("kernel32.dll")
	var ids [2]uint32
	n, _, _ := k.NewProc("GetConsoleProcessList").Call(uintptr(unsafe.Pointer(&ids[0])), uintptr(len(ids)))
	if n == 1 {
		k.NewProc("FreeConsole").Call()
	}
}
