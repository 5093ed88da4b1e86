//go:build !wasm && !js && !android && !ios && !test_web_driver

package ui

import (
	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// noDepthBuffer asks GLFW for windows without depth and stencil buffers.
// Fyne never tests depth or stencil, yet it clears the depth buffer on every
// frame; on Mesa's software renderer (llvmpipe) clearing a packed
// depth+stencil buffer is a masked read-modify-write of every pixel, about
// 4 % of a core for a 1200×760 window repainted 30 times a second. Fyne
// sets its own window hints without resetting the others, so these stay in
// force for its windows. Call it on the main goroutine before the first
// window is created; a GLFW that cannot start is left for Fyne to report.
func noDepthBuffer() {
	if err := glfw.Init(); err != nil {
		fyne.LogError("ui: initialise GLFW for window hints", err)
		return
	}
	glfw.WindowHint(glfw.DepthBits, 0)
	glfw.WindowHint(glfw.StencilBits, 0)
}
