//go:build linux && cgo

package ui

/*
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
static void keepFrameBuffers(void) {
	// Fixed thresholds: glibc then neither mmaps nor trims the top of the
	// heap for a buffer of a few MB that is freed and allocated again.
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}
#else
static void keepFrameBuffers(void) {}
#endif
*/
import "C"

// keepFrameBuffers stops glibc from handing a frame-sized buffer back to
// the kernel after every frame. Mesa's software renderer allocates and frees
// one (about 3.6 MB for a 1200×760 window) each time it presents a frame, and
// with glibc's default thresholds each frame then pays page faults for fresh
// pages: perf showed ~6 % of the window's samples in the kernel's page
// fault path. The memory is kept for reuse, so RSS stays flat.
func keepFrameBuffers() { C.keepFrameBuffers() }
