// Command xother opens a plain X window named by its argument and keeps it
// open until killed: the "other application" that has the focus while the
// window end-to-end test presses a global hotkey. Built by the test with
// cgo and Xlib (libx11-dev), so the test needs no X client package.
package main

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <stdlib.h>

static int run(const char *name) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 1;
	int s = DefaultScreen(d);
	Window w = XCreateSimpleWindow(d, RootWindow(d, s), 40, 40, 320, 120, 1,
		BlackPixel(d, s), WhitePixel(d, s));
	XStoreName(d, w, name);
	XSelectInput(d, w, KeyPressMask | ExposureMask | FocusChangeMask);
	XMapRaised(d, w);
	XFlush(d);
	for (;;) {
		XEvent e;
		XNextEvent(d, &e);
	}
	return 0;
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	name := "podmark-e2e-other"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if C.run(cs) != 0 {
		fmt.Fprintln(os.Stderr, "xother: cannot open the X display")
		os.Exit(1)
	}
}
