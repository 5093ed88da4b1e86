package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// checkRecovery looks for sessions left unfinished by a crash in the
// recordings folder and offers to recover them with the same code as
// `podmark recover`.
func (w *Window) checkRecovery() {
	if w.be.FindUnfinished == nil || w.be.Recover == nil {
		return
	}
	root := w.recordingsRoot()
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return // no recordings yet
	}
	dirs, err := w.be.FindUnfinished(root)
	if err != nil {
		fyne.LogError("ui: look for unfinished sessions", err)
		return
	}
	if len(dirs) == 0 {
		return
	}
	list := widget.NewLabel(strings.Join(dirs, "\n"))
	msg := widget.NewLabel(fmt.Sprintf("%d recording(s) in %s did not finish (crash or power loss).\nRecover them now? No audio is thrown away.", len(dirs), root))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Unfinished recordings", "Recover", "Later", container.NewVScroll(container.NewVBox(msg, list)), func(ok bool) {
		if ok {
			w.onRecover(dirs)
		}
	}, w.win)
	d.Resize(recoveryDialogSize)
	d.Show()
}

// recoveryDialogSize is the size of the recovery dialogs: wrapped text in
// a dialog of its own minimum size is one word wide.
var recoveryDialogSize = fyne.NewSize(640, 360)

// onRecover repairs dirs off the Fyne goroutine and reports the outcome.
func (w *Window) onRecover(dirs []string) {
	prog := dialog.NewCustomWithoutButtons("Recovering…", widget.NewProgressBarInfinite(), w.win)
	prog.Show()
	go func() {
		var out []string
		var failed bool
		for _, d := range dirs {
			sum, err := w.be.Recover(d)
			if err != nil {
				failed = true
				out = append(out, fmt.Sprintf("✖ %s: %v", d, err))
				continue
			}
			out = append(out, "✔ "+sum) // the summary names the folder
		}
		w.post(func() {
			prog.Hide()
			title := "Recovered"
			if failed {
				title = "Recovery finished with errors"
			}
			l := widget.NewLabel(strings.Join(out, "\n"))
			l.Wrapping = fyne.TextWrapWord
			d := dialog.NewCustom(title, "OK", container.NewVScroll(l), w.win)
			d.Resize(recoveryDialogSize)
			d.Show()
		})
	}()
}
