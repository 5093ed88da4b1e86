//go:build !windows

// Only Windows opens a console window for a program (console_windows.go).

package main

func leaveOwnConsole() {}
