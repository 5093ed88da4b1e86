package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// checkRecovery looks for sessions left unfinished by a crash in the
// recordings folder and offers to recover them with the same code as
// `podmark recover`.
func (w *Window) checkRecovery() {
	root := w.recordingsRoot()
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return // no recordings yet
	}
	dirs, err := session.FindUnfinished(root)
	if err != nil {
		fyne.LogError("ui: look for unfinished sessions", err)
		return
	}
	if len(dirs) == 0 {
		return
	}
	var names []string
	for _, d := range dirs {
		names = append(names, "• "+episodeName(d))
	}
	list := widget.NewLabel(strings.Join(names, "\n"))
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

// episodeName is how a host knows a session: its episode title and folder.
func episodeName(dir string) string {
	if m, err := session.Load(dir); err == nil && m.Title != "" {
		return fmt.Sprintf("%q (%s)", m.Title, filepath.Base(dir))
	}
	return filepath.Base(dir)
}

// recoveryDialogSize is the size of the recovery dialogs: wrapped text in
// a dialog of its own minimum size is one word wide.
var recoveryDialogSize = fyne.NewSize(640, 420)

// recovered is one session's recovery outcome, as the report shows it.
type recovered struct {
	dir  string
	rep  session.RecoverReport
	err  error
	room string // what happens to its room upload, if it was recorded in a room
}

// resumeRecovered sends the newest recovered recording that was made in a
// room on to that room (resumeUpload): the editor waits for the rest of it.
// The window shows one upload at a time; each other such recording's
// report says how to send it. Fyne goroutine.
func (w *Window) resumeRecovered(out []recovered) {
	pick := -1
	var newest time.Time
	for i, r := range out {
		if r.err != nil && len(r.rep.Tracks) == 0 {
			continue // nothing usable to send
		}
		if _, err := room.ReadSessionLink(r.dir); err != nil {
			continue // not recorded in a room
		}
		m, err := session.Load(r.dir)
		if err != nil {
			continue
		}
		out[i].room = fmt.Sprintf("Recorded in a show room: 'podmark upload %s' sends the rest of it to the editor.", r.dir)
		if pick < 0 || m.Created.After(newest) {
			pick, newest = i, m.Created
		}
	}
	if pick < 0 || running(w.state) {
		return
	}
	l, err := w.resumeUpload(out[pick].dir)
	if err != nil {
		out[pick].room = fmt.Sprintf("Not sent to its show room: %v. 'podmark upload %s' sends it.", err, out[pick].dir)
		return
	}
	out[pick].room = fmt.Sprintf("Sending the rest to the room %s/%s for the editor: the Room section shows how far it is.", l.Show, l.Episode)
}

// onRecover repairs dirs off the Fyne goroutine and reports the outcome.
func (w *Window) onRecover(dirs []string) {
	prog := dialog.NewCustomWithoutButtons("Recovering…", widget.NewProgressBarInfinite(), w.win)
	prog.Show()
	go func() {
		var out []recovered
		for _, d := range dirs {
			rep, err := session.Recover(d)
			out = append(out, recovered{dir: d, rep: rep, err: err})
		}
		w.post(func() {
			prog.Hide()
			w.resumeRecovered(out)
			w.showRecoveryReport(out)
		})
	}()
}

// showRecoveryReport tells the host, per session, what matters first in
// their words (the episode, how much audio and how many markers were saved,
// what was lost and where), offers to open or hand off the recording, and
// keeps the technical lines behind a Details expander.
func (w *Window) showRecoveryReport(out []recovered) {
	title := "Recovered"
	var parts []fyne.CanvasObject
	var d dialog.Dialog
	for _, r := range out {
		if r.err != nil {
			title = "Recovery finished with errors"
		}
		head := widget.NewLabelWithStyle(episodeName(r.dir), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head.Wrapping = fyne.TextWrapWord
		story := widget.NewLabel(recoveryStory(r))
		story.Wrapping = fyne.TextWrapWord
		dir := r.dir
		open := widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), func() { w.ho.openOrShow(dir) })
		hand := widget.NewButtonWithIcon("Hand off…", theme.UploadIcon(), func() {
			d.Hide()
			w.ho.show(dir)
		})
		if r.err != nil && len(r.rep.Tracks) == 0 {
			hand.Disable() // nothing usable to hand off
		}
		details := widget.NewLabel(recoveryDetails(r))
		details.Wrapping = fyne.TextWrapWord
		details.TextStyle.Monospace = true
		if r.room != "" {
			note := widget.NewLabel(r.room)
			note.Wrapping = fyne.TextWrapWord
			parts = append(parts, head, story, note)
		} else {
			parts = append(parts, head, story)
		}
		parts = append(parts, container.NewHBox(open, hand),
			widget.NewAccordion(widget.NewAccordionItem("Details", details)), widget.NewSeparator())
	}
	d = dialog.NewCustom(title, "Close", container.NewVScroll(container.NewVBox(parts...)), w.win)
	d.Resize(recoveryDialogSize)
	d.Show()
}

// recoveryStory is the plain-words outcome for one session.
func recoveryStory(r recovered) string {
	rep := r.rep
	var b strings.Builder
	meta, merr := session.Load(r.dir)
	if len(rep.Tracks) == 0 && r.err != nil {
		fmt.Fprintf(&b, "Could not be recovered: %v\nNothing in the folder was changed or deleted.", r.err)
		return b.String()
	}
	length := "?"
	if merr == nil && meta.Rate > 0 {
		length = fmtLength(meta.Duration())
	}
	user := rep.Markers - rep.Glitches
	fmt.Fprintf(&b, "Saved: %s of audio on %d track(s), %d marker(s).", length, len(rep.Tracks), user)
	var lost []string
	if len(rep.Broken) > 0 {
		lost = append(lost, fmt.Sprintf("%d track(s) could not be read and were left as they are: %s", len(rep.Broken), strings.Join(rep.Broken, ", ")))
	}
	if rep.Glitches > 0 {
		lost = append(lost, glitchStory(r.dir, meta))
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w, "journal") || strings.Contains(w, "marker") {
			lost = append(lost, "A marker being written at the moment of the crash may be missing ("+w+").")
		}
	}
	if r.err != nil {
		lost = append(lost, "Not everything could be repaired: "+r.err.Error())
	}
	if len(lost) == 0 {
		b.WriteString("\nNothing was lost apart from the last fraction of a second before the crash.")
	} else {
		b.WriteString("\nLost:\n• " + strings.Join(lost, "\n• "))
	}
	return b.String()
}

// glitchStory says where audio was replaced by silence (glitch markers).
func glitchStory(dir string, meta session.Meta) string {
	doc, err := session.LoadDoc(dir)
	if err != nil || meta.Rate <= 0 {
		return fmt.Sprintf("%d frames of audio were replaced by silence (see the glitch markers).", meta.Dropped)
	}
	var at []string
	var total int64
	for _, m := range doc.Markers {
		if m.Kind == markers.Glitch {
			total += max(m.End-m.Sample, 0)
			if len(at) < 5 {
				at = append(at, fmtClock(time.Duration(m.Seconds(meta.Rate)*float64(time.Second))))
			}
		}
	}
	return fmt.Sprintf("%.1f s of audio were replaced by silence, at %s (glitch markers).",
		float64(total)/float64(meta.Rate), strings.Join(at, ", "))
}

// recoveryDetails is the technical report, as `podmark recover` prints it.
func recoveryDetails(r recovered) string {
	s := strings.TrimSpace(session.RecoverSummary(r.rep))
	for _, w := range r.rep.Warnings {
		s += "\nwarning: " + w
	}
	if r.err != nil {
		s += "\nerror: " + r.err.Error()
	}
	return s
}

// fmtLength is a duration as a host says it: "42 min 7 s", "1 h 3 min".
func fmtLength(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s >= 3600:
		return fmt.Sprintf("%d h %d min", s/3600, s/60%60)
	case s >= 60:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d s", s)
}
