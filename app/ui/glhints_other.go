//go:build wasm || js || android || ios || test_web_driver

package ui

import "errors"

// ErrNoOpenGL is returned (wrapped) by startGL when OpenGL cannot start;
// where Fyne does not draw through GLFW, startGL has nothing to start.
var ErrNoOpenGL = errors.New("ui: OpenGL cannot start")

// startGL does nothing where Fyne does not draw through GLFW.
func startGL() error { return nil }
