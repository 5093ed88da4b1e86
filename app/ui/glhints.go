//go:build !wasm && !js && !android && !ios && !test_web_driver

package ui

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// ErrNoOpenGL is returned (wrapped) by startGL when GLFW, through which
// Fyne draws with OpenGL, cannot start: no display, no OpenGL driver, or
// (on Windows) no window station to create GLFW's helper window in.
var ErrNoOpenGL = errors.New("ui: OpenGL (GLFW) cannot start")

// startGL starts GLFW and asks it for windows without depth and stencil
// buffers. Call it on the main goroutine before the first window is
// created; if it returns an error, no window can be opened.
//
// It exists because GLFW's failure to start is otherwise a panic: go-gl's
// glfw.Init only logs a platform error ("X11: Failed to open display",
// "Win32: Failed to create helper window") and returns nil, Fyne logs and
// carries on, and the first GLFW call after it panics with "The GLFW
// library is not initialized". startGL keeps the logged message and makes
// it the error.
//
// The hints: Fyne never tests depth or stencil, yet it clears the depth
// buffer on every frame; on Mesa's software renderer (llvmpipe) clearing a
// packed depth+stencil buffer is a masked read-modify-write of every
// pixel, about 4 % of a core for a 1200×760 window repainted 30 times a
// second. Fyne sets its own window hints without resetting the others, so
// these stay in force for its windows.
func startGL() (err error) {
	// glfw.Init logs platform errors through the standard logger; keep
	// them for the error, and pass them on if GLFW starts anyway.
	var logged bytes.Buffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	initErr := glfw.Init()
	log.SetOutput(out)
	log.SetFlags(flags)
	why := strings.TrimSpace(logged.String())
	if initErr != nil {
		why = strings.TrimSpace(why + "; " + initErr.Error())
	}
	// A GLFW that failed to start panics on the first call (error code
	// NotInitialized): the hint is also the probe.
	defer func() {
		if r := recover(); r != nil {
			if why == "" {
				why = fmt.Sprint(r)
			}
			err = fmt.Errorf("%w: %s", ErrNoOpenGL, why)
		}
	}()
	glfw.WindowHint(glfw.DepthBits, 0)
	glfw.WindowHint(glfw.StencilBits, 0)
	if why != "" {
		log.Print(why)
	}
	return nil
}
