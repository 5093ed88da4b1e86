package ui

import "fyne.io/fyne/v2"

// prefKey is a preference key; every key the window stores is one of the
// constants below, never a repeated literal.
type prefKey string

const (
	prefRecordingsDir prefKey = "recordings.dir"
	prefHost          prefKey = "host.name"
	prefDevice        prefKey = "audio.device"
	prefChannels      prefKey = "audio.channels"
	prefRate          prefKey = "audio.rate"
	prefBits          prefKey = "audio.bits" // "16", "24" or "32f"
	prefHotkeyTopic   prefKey = "hotkey.topic"
	prefHotkeySponsor prefKey = "hotkey.sponsor"
	prefHotkeyEdit    prefKey = "hotkey.edit"
	prefHotkeyNote    prefKey = "hotkey.note"
	prefHotkeyNext    prefKey = "hotkey.next"
	prefRundown       prefKey = "rundown.text"
	prefRoomLink      prefKey = "room.link"        // nats://[TOKEN@]HOST[:PORT]/SHOW/EPISODE; "" = no room
	prefRoomCreds     prefKey = "room.creds"       // nkey seed file from `podmark room invite`
	prefRoomCA        prefKey = "room.ca"          // PEM file of the relay's CA (tls:// links)
	prefUploadKbps    prefKey = "room.upload_kbps" // the progressive upload's cap, kbit/s (0 = none)
)

// prefs is typed access to Fyne's preferences.
type prefs struct{ p fyne.Preferences }

func (p prefs) String(k prefKey, fallback string) string {
	return p.p.StringWithFallback(string(k), fallback)
}

// SetString stores v; an unchanged value is not written again (every
// write makes Fyne rewrite and re-read the preferences file).
func (p prefs) SetString(k prefKey, v string) {
	if p.p.StringWithFallback(string(k), "\x00unset") != v {
		p.p.SetString(string(k), v)
	}
}
func (p prefs) Int(k prefKey, fallback int) int {
	return p.p.IntWithFallback(string(k), fallback)
}

// SetInt stores v unless unchanged.
func (p prefs) SetInt(k prefKey, v int) {
	if p.p.IntWithFallback(string(k), -1<<62) != v {
		p.p.SetInt(string(k), v)
	}
}

// Action is something a key or hotkey does.
type Action int

const (
	ActionTopic Action = iota
	ActionSponsor
	ActionEdit
	ActionNote
	ActionNext
	numActions
)

// hotkeyPrefs lists, per action, its preference key and default chord.
var hotkeyPrefs = [numActions]struct {
	key  prefKey
	def  string
	name string
}{
	ActionTopic:   {prefHotkeyTopic, "Ctrl+Alt+1", "Topic"},
	ActionSponsor: {prefHotkeySponsor, "Ctrl+Alt+2", "Sponsor"},
	ActionEdit:    {prefHotkeyEdit, "Ctrl+Alt+3", "Edit"},
	ActionNote:    {prefHotkeyNote, "Ctrl+Alt+4", "Note"},
	ActionNext:    {prefHotkeyNext, "Ctrl+Alt+5", "Next segment"},
}

func (a Action) String() string {
	if a >= 0 && a < numActions {
		return hotkeyPrefs[a].name
	}
	return "unknown"
}
