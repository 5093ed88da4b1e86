//go:build linux && !test_web_driver

package ui

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestStartGLNoDisplay: a display GLFW cannot open is an ErrNoOpenGL that
// names the display, not a panic. (On Windows the same path reports
// "Win32: Failed to create helper window".)
func TestStartGLNoDisplay(t *testing.T) {
	// A display number no X server listens on.
	n := 4242
	for ; n < 4300; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); os.IsNotExist(err) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	t.Setenv("DISPLAY", display)
	t.Setenv("WAYLAND_DISPLAY", "")
	err := startGL()
	if !errors.Is(err, ErrNoOpenGL) {
		t.Fatalf("startGL on %s: %v, want ErrNoOpenGL", display, err)
	}
	if !strings.Contains(err.Error(), "Failed to open display "+display) {
		t.Errorf("startGL's error does not say which display failed: %v", err)
	}
}
