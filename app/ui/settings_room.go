package ui

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// roomForm is the Settings dialog's show-room part: the room link, the
// credentials and CA files and the upload cap, kept in the preferences and
// validated (checkRoomPrefs) before they are stored.
type roomForm struct {
	link, creds, ca, kbps *widget.Entry
}

func (f *roomForm) buildUI(w *Window) fyne.CanvasObject {
	f.link = widget.NewEntry()
	f.link.SetPlaceHolder("nats://HOST:PORT/SHOW/EPISODE (empty: no room)")
	f.link.SetText(w.prefs.String(prefRoomLink, ""))
	f.creds = widget.NewEntry()
	f.creds.SetPlaceHolder("the file from 'podmark room invite' (empty: the link's token)")
	f.creds.SetText(w.prefs.String(prefRoomCreds, ""))
	f.ca = widget.NewEntry()
	f.ca.SetPlaceHolder("tls:// rooms with their own CA (empty: the system's)")
	f.ca.SetText(w.prefs.String(prefRoomCA, ""))
	f.kbps = widget.NewEntry()
	f.kbps.SetText(strconv.Itoa(w.prefs.Int(prefUploadKbps, DefaultUploadKbps)))
	browse := func(e *widget.Entry) *widget.Button {
		return widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
			dialog.ShowFileOpen(func(rc fyne.URIReadCloser, err error) {
				if err == nil && rc != nil {
					e.SetText(rc.URI().Path())
					if cerr := rc.Close(); cerr != nil {
						fyne.LogError("ui: close", cerr)
					}
				}
			}, w.win)
		})
	}
	help := widget.NewLabel(fmt.Sprintf("With a room link, every recording joins the room: markers, presence, rundown and the upload to the editor. "+
		"The upload is capped so the call keeps its bandwidth (default %d kbit/s, 0 = no limit).", DefaultUploadKbps))
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	return container.NewVBox(widget.NewForm(
		widget.NewFormItem("Room link", f.link),
		widget.NewFormItem("Credentials file", container.NewBorder(nil, nil, nil, browse(f.creds), f.creds)),
		widget.NewFormItem("CA file", container.NewBorder(nil, nil, nil, browse(f.ca), f.ca)),
		widget.NewFormItem("Upload limit (kbit/s)", f.kbps),
	), help)
}

// save validates and stores the room preferences; on an error nothing of
// the room is stored and the error names the field. A soundcheck follows
// the new room at once.
func (f *roomForm) save(w *Window, host string) error {
	rc, err := checkRoomPrefs(f.link.Text, f.creds.Text, f.ca.Text, f.kbps.Text, host)
	if err != nil {
		return err
	}
	link := ""
	if rc.set {
		link = rc.link.Full()
	}
	w.prefs.SetString(prefRoomLink, link)
	w.prefs.SetString(prefRoomCreds, rc.creds)
	w.prefs.SetString(prefRoomCA, rc.ca)
	w.prefs.SetInt(prefUploadKbps, rc.kbps)
	// The preferences now win over the launch presets.
	w.opts.Room, w.opts.Creds, w.opts.RoomCA, w.opts.UploadKbpsSet = "", "", "", false
	if !running(w.state) {
		w.watchRoom()
	}
	return nil
}
