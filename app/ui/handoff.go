package ui

import (
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/export"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/app/speakers"
	"github.com/podmark/podmark/markers"
)

// handoffScreen appears after Stop: validation warnings for the markers,
// then Export / hand-off with a progress bar, then the result folder.
type handoffScreen struct {
	w        *Window
	card     *widget.Card
	tab      *container.TabItem // shown in the window's tabs after Stop
	dir      string
	report   *widget.Label
	path     *widget.Label
	export   *widget.Button
	progress *widget.ProgressBar
	stage    *widget.Label
	open     *widget.Button
	names    *widget.Entry   // speakers' published names: alice=Michael,bob=Brian
	loudness *widget.Label   // the bundle's loudness table, after an export
	outBox   *fyne.Container // the bundle's path with a copy button
	outPath  *widget.Label
	openErr  *widget.Label // why the folder could not be opened
	out      string
	// lastOut is the last finished export folder (tests read it).
	lastOut string
}

func newHandoffScreen(w *Window) *handoffScreen { return &handoffScreen{w: w} }

func (h *handoffScreen) buildUI() fyne.CanvasObject {
	h.report = widget.NewLabel("")
	h.report.Wrapping = fyne.TextWrapWord
	h.path = widget.NewLabel("")
	h.path.Truncation = fyne.TextTruncateEllipsis // a long path must not widen the window
	h.path.TextStyle.Monospace = true
	h.export = widget.NewButtonWithIcon("Export / hand-off", theme.UploadIcon(), h.onExport)
	h.export.Importance = widget.HighImportance
	h.progress = widget.NewProgressBar()
	h.stage = widget.NewLabel("")
	h.stage.Truncation = fyne.TextTruncateEllipsis
	h.open = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), func() { h.onOpen(true) })
	h.open.Disable()
	h.loudness = widget.NewLabel("")
	h.loudness.TextStyle.Monospace = true
	h.outPath = widget.NewLabel("")
	h.outPath.TextStyle.Monospace = true
	h.outPath.Truncation = fyne.TextTruncateEllipsis
	copyBtn := widget.NewButtonWithIcon("Copy path", theme.ContentCopyIcon(), func() {
		h.w.app.Clipboard().SetContent(h.out)
		h.stage.SetText("Path copied: paste it into your file manager or upload page.")
	})
	h.outBox = container.NewBorder(nil, nil, widget.NewLabel("Bundle:"), copyBtn, h.outPath)
	h.outBox.Hide()
	h.openErr = widget.NewLabel("")
	h.openErr.Importance = widget.DangerImportance
	h.openErr.Wrapping = fyne.TextWrapWord
	h.openErr.Hide()
	h.names = widget.NewEntry()
	h.names.SetPlaceHolder("alice=Michael, bob=Brian")
	namesRow := container.NewBorder(nil, nil, widget.NewLabel("Speaker names:"), nil, h.names)
	// The marker check scrolls past reportMax, so that however many
	// problems it lists the Export button stays in view, in one place.
	reportBox := container.New(&capHeight{content: h.report, max: reportMax}, container.NewVScroll(h.report))
	h.card = widget.NewCard("Hand-off", "", container.NewVBox(h.path, reportBox,
		container.NewBorder(nil, nil, h.export, h.open, h.progress), namesRow, h.stage, h.outBox, h.openErr,
		// The loudness table's lines are wider than the pane: it scrolls
		// sideways rather than widening the window past the screen.
		container.NewHScroll(h.loudness)))
	h.card.Hide()
	return h.card
}

// reportMax is the most height the marker check takes before it scrolls:
// about ten lines.
const reportMax = 240

// capHeight lays out one object (a scroll around content) at content's
// minimum height, but no taller than max.
type capHeight struct {
	content fyne.CanvasObject
	max     float32
}

func (c *capHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (c *capHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w := float32(0)
	for _, o := range objs {
		w = max(w, o.MinSize().Width)
	}
	return fyne.NewSize(w, min(c.content.MinSize().Height, c.max))
}

// hide removes the hand-off tab (a new recording started).
func (h *handoffScreen) hide() {
	h.card.Hide()
	if t := h.w.tabs; t != nil {
		t.Remove(h.tab)
		t.SelectIndex(0)
	}
}

// show validates the stopped session in dir and offers the export.
func (h *handoffScreen) show(dir string) {
	h.dir, h.out = dir, ""
	h.path.SetText(dir)
	h.progress.SetValue(0)
	h.stage.SetText("")
	h.open.Disable()
	h.outBox.Hide()
	h.openErr.Hide()
	h.export.Enable()
	h.loudness.SetText("")
	h.report.SetText(h.validate())
	h.card.Show()
	if t := h.w.tabs; t != nil {
		if !slices.Contains(t.Items, h.tab) {
			t.Append(h.tab)
		}
		t.Select(h.tab)
	}
}

// revalidate refreshes the report after a marker edit made after Stop.
func (h *handoffScreen) revalidate() {
	if h.card != nil && h.card.Visible() && h.dir != "" {
		h.report.SetText(h.validate())
	}
}

// validate runs markers.Validate on the session's marker document.
func (h *handoffScreen) validate() string {
	doc, err := session.LoadDoc(h.dir)
	if err != nil {
		return "⚠ " + err.Error()
	}
	rep := markers.Validate(doc)
	if len(rep.Errors) == 0 && len(rep.Warnings) == 0 {
		return fmt.Sprintf("✔ %d markers, no problems found.", len(doc.Markers))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d markers. Check before handing off:\n", len(doc.Markers))
	for _, i := range rep.Errors {
		b.WriteString("✖ " + i.String() + "\n")
	}
	for _, i := range rep.Warnings {
		b.WriteString("⚠ " + i.String() + "\n")
	}
	return strings.TrimSpace(b.String())
}

func (h *handoffScreen) onExport() {
	if h.dir == "" {
		return
	}
	// The names publish the speakers (host names) under other names in the
	// transcript seed and speaker timeline (docs/export.md); a typo is the
	// host's to fix before anything is written.
	names, err := speakers.ParseNames(h.names.Text)
	if err != nil {
		h.stage.SetText("Speaker names: " + err.Error())
		return
	}
	h.export.Disable()
	h.stage.SetText("Exporting…")
	dir := h.dir
	go func() {
		out, err := handOff(dir, names, func(p export.Progress) {
			h.w.post(func() {
				h.progress.SetValue(p.Fraction)
				h.stage.SetText("Exporting: " + p.Stage)
			})
		})
		h.w.post(func() {
			if err != nil {
				h.stage.SetText("Export failed: " + err.Error())
				h.export.Enable()
				h.w.showError(err)
				return
			}
			h.out, h.lastOut = out, out
			h.progress.SetValue(1)
			h.stage.SetText("Done: " + filepath.Base(out))
			h.loudness.SetText(loudnessText(out))
			h.outPath.SetText(out)
			h.outBox.Show()
			h.open.Enable()
			h.onOpen(false)
		})
	}()
}

// loudnessText is the finished bundle's loudness table (the one in its
// README.txt), with its warnings; "" when it has none.
func loudnessText(bundle string) string {
	m, err := export.ReadManifest(bundle)
	if err != nil {
		return "⚠ " + err.Error()
	}
	t := export.LoudnessTable(m.Files)
	if len(t) == 0 {
		return ""
	}
	return "Loudness (BS.1770-4):\n" + strings.Join(t, "\n")
}

// onOpen opens the bundle folder in the file manager. When that fails (no
// xdg-open, no file manager) the host sees why under the path, which can be
// copied; asked, the host gets a dialog too.
func (h *handoffScreen) onOpen(asked bool) {
	err := h.openFolder(h.out)
	if err == nil {
		h.openErr.Hide()
		return
	}
	fyne.LogError("ui: open the hand-off folder", err)
	h.openErr.SetText("Could not open the folder: " + err.Error() + ". The bundle is at the path above: copy it.")
	h.openErr.Show()
	if asked {
		h.w.showError(err)
	}
}

// openOrShow opens dir in the file manager, or shows its path with a copy
// button and why it could not be opened.
func (h *handoffScreen) openOrShow(dir string) {
	err := h.openFolder(dir)
	if err == nil {
		return
	}
	fyne.LogError("ui: open folder", err)
	path := widget.NewLabel(dir)
	path.TextStyle.Monospace = true
	path.Wrapping = fyne.TextWrapBreak
	msg := widget.NewLabel("Could not open the folder: " + err.Error())
	msg.Wrapping = fyne.TextWrapWord
	copyBtn := widget.NewButtonWithIcon("Copy path", theme.ContentCopyIcon(), func() { h.w.app.Clipboard().SetContent(dir) })
	d := dialog.NewCustom("Open folder", "Close", container.NewVBox(msg, path, copyBtn), h.w.win)
	d.Resize(fyne.NewSize(560, 240))
	d.Show()
}

// errNoOpener is returned when there is no program to open a folder with.
var errNoOpener = errors.New("xdg-open is not installed (install xdg-utils)")

// openFolder asks the desktop to show dir; Fyne starts xdg-open on Linux,
// so its absence is checked first to give the host a reason.
func (h *handoffScreen) openFolder(dir string) error {
	if dir == "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if _, err := exec.LookPath(opener); err != nil {
			return fmt.Errorf("ui: open %s: %w", abs, errNoOpener)
		}
	}
	u := &url.URL{Scheme: "file", Path: abs}
	if err := h.w.app.OpenURL(u); err != nil {
		return fmt.Errorf("ui: open %s: %w", abs, err)
	}
	return nil
}

// opener is the program Fyne starts to open a folder on Linux (tests
// replace it).
var opener = "xdg-open"
