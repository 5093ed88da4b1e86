//go:build !(linux && cgo)

package ui

// keepFrameBuffers does nothing outside Linux with cgo.
func keepFrameBuffers() {}
