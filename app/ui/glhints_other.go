//go:build wasm || js || android || ios || test_web_driver

package ui

// noDepthBuffer does nothing where Fyne does not draw through GLFW.
func noDepthBuffer() {}
