// Package ui is podmark's Fyne window: soundcheck, recording, live markers,
// rundown, marker list, hand-off and recovery. It is the only package that
// imports Fyne; it drives app/session and never records audio itself.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

// AppID is the reverse-DNS application ID (also in FyneApp.toml); Fyne keys
// the preferences file by it.
const AppID = "io.github.podmark.podmark"

// Run opens the window and blocks until it is closed.
func Run() int {
	a := app.NewWithID(AppID)
	w := a.NewWindow("podmark")
	w.SetContent(widget.NewLabel("podmark"))
	w.Resize(fyne.NewSize(900, 640))
	w.ShowAndRun()
	return 0
}
