package ui

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

// The show room in the window (docs/room.md, "In the window"): with a room
// link in the preferences, the soundcheck watches the room (who is there,
// the link) and a recording joins it exactly as `podmark record --room`
// does, through app/room's Membership. The room never blocks the recording:
// a join that cannot reach the relay records all the same.

// DefaultUploadKbps is the upload cap preference's default, in kbit/s:
// room for a call app's audio and video on a typical home uplink.
const DefaultUploadKbps = 2000

// MaxUploadKbps is the largest cap the preference takes (as room.Upload).
const MaxUploadKbps = 10_000_000

// StartUpload starts the progressive upload of the recording in
// sessionDir through c, capped at kbps (0 = no cap), until ctx ends; the
// window shows its Status in the Room section and the membership carries it
// in presence. It returns nil when the upload cannot start (the recording
// goes on; the reason is logged). A variable so that tests can follow a
// fake upload.
var StartUpload = func(ctx context.Context, c *room.Client, sessionDir string, kbps int) room.UploadStatus {
	up, err := room.StartUpload(ctx, c, sessionDir, room.UploadOptions{Kbps: kbps,
		Log: func(msg string) { fyne.LogError("ui: upload: "+msg, nil) }})
	if err != nil {
		fyne.LogError("ui: the progressive upload did not start (recording anyway)", err)
		return nil
	}
	return up
}

// LostAfter is how long a host may be silent before the window shows it as
// lost (presence comes about once a second).
const LostAfter = 3 * time.Second

// roomConfig is the validated room preferences; set is false without a link.
type roomConfig struct {
	set   bool
	link  room.Link
	creds string
	ca    string
	kbps  int
}

// checkRoomPrefs validates the room preferences as typed: the link
// (room.ParseLink), the host's room name (room.CheckName), the credentials
// file (an nkey seed), the CA file (PEM) and the upload cap. An empty link
// means no room; each error names the field.
func checkRoomPrefs(link, creds, ca, kbps, host string) (roomConfig, error) {
	var rc roomConfig
	var errs []error
	kbps = strings.TrimSpace(kbps)
	if kbps == "" {
		rc.kbps = DefaultUploadKbps
	} else if n, err := strconv.Atoi(kbps); err != nil || n < 0 || n > MaxUploadKbps {
		errs = append(errs, fmt.Errorf("ui: upload limit (kbit/s) %q: want a whole number from 0 (no limit) to %d", kbps, MaxUploadKbps))
	} else {
		rc.kbps = n
	}
	link, creds, ca = strings.TrimSpace(link), strings.TrimSpace(creds), strings.TrimSpace(ca)
	if link == "" {
		if creds != "" || ca != "" {
			errs = append(errs, errors.New("ui: room link: empty, but a credentials or CA file is set: paste the room link too"))
		}
		return rc, errors.Join(errs...)
	}
	l, err := room.ParseLink(link)
	if err != nil {
		errs = append(errs, fmt.Errorf("ui: room link: %w", err))
	}
	if err := room.CheckName("host", room.SafeHost(host)); err != nil {
		errs = append(errs, fmt.Errorf("ui: host name: %w", err))
	}
	if creds != "" {
		if err := room.CheckCreds(creds); err != nil {
			errs = append(errs, fmt.Errorf("ui: credentials file: %w", err))
		}
	}
	if ca != "" {
		if err == nil && !l.TLS {
			errs = append(errs, errors.New("ui: CA file: only used with a tls:// room link"))
		} else if b, rerr := os.ReadFile(ca); rerr != nil {
			errs = append(errs, fmt.Errorf("ui: CA file: %w", rerr))
		} else if !x509.NewCertPool().AppendCertsFromPEM(b) {
			errs = append(errs, fmt.Errorf("ui: CA file %s: no PEM certificate in it", ca))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return roomConfig{}, err
	}
	rc.set, rc.link, rc.creds, rc.ca = true, l, creds, ca
	return rc, nil
}

// roomPrefs reads the room preferences, launch presets first.
func (w *Window) roomPrefs() (link, creds, ca, kbps string) {
	pick := func(opt string, k prefKey) string {
		if opt != "" {
			return opt
		}
		return w.prefs.String(k, "")
	}
	kbps = strconv.Itoa(w.prefs.Int(prefUploadKbps, DefaultUploadKbps))
	if w.opts.UploadKbpsSet {
		kbps = strconv.Itoa(w.opts.UploadKbps)
	}
	return pick(w.opts.Room, prefRoomLink), pick(w.opts.Creds, prefRoomCreds), pick(w.opts.RoomCA, prefRoomCA), kbps
}

// roomConfig is the room to use now, validated.
func (w *Window) roomConfig() (roomConfig, error) {
	link, creds, ca, kbps := w.roomPrefs()
	return checkRoomPrefs(link, creds, ca, kbps, w.sc.host.Text)
}

// roomHooks are the window's room hooks for generation gen: each posts to
// the Fyne goroutine and is dropped there if the window has moved on (a
// newer room or none).
func (w *Window) roomHooks(gen int, mem *room.Membership) room.MembershipConfig {
	live := func(f func()) {
		w.post(func() {
			if w.roomGen == gen {
				f()
			}
		})
	}
	return room.MembershipConfig{
		OnMarker: func(r room.Received) {
			if mem == nil {
				return
			}
			m, exact := placeRemote(mem, r, mem.Session().Meta().Rate)
			live(func() { w.ml.applyRemote(r.Op, m, exact) })
		},
		OnPresence: func(p room.Presence) {
			now := time.Now()
			live(func() { w.rm.onPresence(p, now) })
		},
		OnRundown: func(r room.Rundown) { live(func() { w.rm.onRundown(r) }) },
		OnLink:    func(s room.LinkState) { live(func() { w.rm.onLink(s) }) },
		OnPulled:  func(p room.Pulled) { live(func() { w.rm.onPulled(p) }) },
		Log: func(msg string) {
			fmt.Fprintf(os.Stderr, "podmark: %s\n", msg)
			live(func() { w.rm.onLog(msg) })
		},
	}
}

// placeRemote places another host's marker on this recording's timeline:
// through the shared clock when it has an estimate for the author (exact),
// else at the same time on the author's clock (approximate).
func placeRemote(mem *room.Membership, r room.Received, rate int) (markers.Marker, bool) {
	m := r.Marker()
	if r.Rate <= 0 || rate <= 0 {
		return m, false
	}
	exact := false
	conv := func(s int64) int64 {
		sec := float64(s) / float64(r.Rate)
		if l, ok := mem.Local(r.Author, sec); ok {
			sec, exact = l, true
		}
		return max(int64(math.Round(sec*float64(rate))), 0)
	}
	m.Sample = conv(r.Sample)
	if r.End != 0 {
		m.End = max(conv(r.End), m.Sample)
	}
	return m, exact
}

// watchRoom follows the room during soundcheck (who is there, the link),
// as an onlooker that publishes nothing; without a link it hides the Room
// section. A membership kept after a recording (its upload), or a recovered
// recording's upload, is left alone.
func (w *Window) watchRoom() {
	w.unwatchRoom()
	w.mu.Lock()
	kept := w.member != nil || w.resumed != nil
	w.mu.Unlock()
	if kept {
		return
	}
	rc, err := w.roomConfig()
	if err != nil {
		w.rm.show(room.Link{}, err)
		return
	}
	if !rc.set {
		w.rm.hide()
		return
	}
	w.roomGen++
	h := w.roomHooks(w.roomGen, nil)
	c, err := room.Join(room.Config{Link: rc.link, Creds: rc.creds, CA: rc.ca, Host: room.SafeHost(w.sc.host.Text), Watch: true,
		OnPresence: h.OnPresence, OnRundown: h.OnRundown, OnLink: h.OnLink, OnPulled: h.OnPulled, Log: h.Log})
	w.rm.reset(room.SafeHost(w.sc.host.Text), rc.link)
	w.rm.show(rc.link, err)
	if err != nil {
		return
	}
	w.watch = c
	w.rm.onLink(c.Link())
}

// unwatchRoom stops the soundcheck's onlooker, off the Fyne goroutine.
func (w *Window) unwatchRoom() {
	if w.watch == nil {
		return
	}
	c := w.watch
	w.watch = nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			fyne.LogError("ui: leave the room", err)
		}
	}()
}

// joinRoom joins the room with the new recording rec, as `record --room`
// does; it returns at once and never fails the recording: a bad room
// setting is shown in the Room section, an unreachable relay is joined when
// it can be.
func (w *Window) joinRoom(rec *session.Session) {
	w.unwatchRoom()
	w.leaveRoom(false)
	rc, err := w.roomConfig()
	if err != nil || !rc.set {
		if err != nil {
			w.rm.show(room.Link{}, fmt.Errorf("not joining the room (recording anyway): %w", err))
		} else {
			w.rm.hide()
		}
		return
	}
	w.roomGen++
	gen := w.roomGen
	var mem *room.Membership
	h := w.roomHooks(gen, nil)
	cfg := room.MembershipConfig{Link: rc.link, Creds: rc.creds, CA: rc.ca, Rundown: w.rundownItems(),
		OnPresence: h.OnPresence, OnRundown: h.OnRundown, OnLink: h.OnLink, OnPulled: h.OnPulled, Log: h.Log}
	// Markers are placed through the membership's clock, which exists only
	// once joined: the hook reads it through ready.
	ready := make(chan struct{})
	cfg.OnMarker = func(r room.Received) {
		<-ready
		w.roomHooks(gen, mem).OnMarker(r)
	}
	w.rm.reset(room.SafeHost(rec.Meta().Host), rc.link)
	mem, err = room.JoinSession(rec, cfg)
	close(ready)
	w.rm.show(rc.link, err)
	if err != nil {
		return
	}
	w.mu.Lock()
	w.member = mem
	w.mu.Unlock()
	w.rm.onLink(mem.Client().Link())
	// The room of the recording, for a later `podmark upload` (after a
	// crash and `podmark recover`, or a window closed mid-upload).
	if err := room.WriteSessionLink(rec.Dir(), rc.link, mem.Host(), rc.creds, rc.ca); err != nil {
		fyne.LogError("ui: note the room in the session", err)
	}
	if StartUpload != nil {
		ctx, cancel := context.WithCancel(context.Background())
		if u := StartUpload(ctx, mem.Client(), rec.Dir(), rc.kbps); u != nil {
			mem.SetUpload(u)
			w.rm.upload = u
		}
		w.uploadCancel = cancel
	}
}

// uploadUnfinished reports whether the last recording's upload is still
// going (neither verified nor failed).
func (w *Window) uploadUnfinished() bool {
	if w.rm.upload == nil || running(w.state) {
		return false
	}
	st := w.rm.upload.Status().State
	return st != room.UploadVerified && st != room.UploadFailed
}

// rundownItems is the Rundown tab's plan as the room's rundown items (the
// first host to join with one sets the room's), or nil.
func (w *Window) rundownItems() []string {
	w.mu.Lock()
	segs := w.rundown.Segments
	w.mu.Unlock()
	if len(segs) == 0 {
		return nil
	}
	items := make([]string, 0, min(len(segs), room.MaxItems))
	for _, s := range segs[:min(len(segs), room.MaxItems)] {
		t := s.Title
		if s.Kind == markers.Sponsor {
			t = "sponsor: " + t
		}
		items = append(items, ellipsis(t, room.MaxTitle))
	}
	return items
}

// leaveRoom leaves the room of the last recording (its upload stops); with
// wait it returns once left (window closing), else it leaves in the
// background.
func (w *Window) leaveRoom(wait bool) {
	w.mu.Lock()
	mem, res := w.member, w.resumed
	w.member, w.resumed = nil, nil
	w.mu.Unlock()
	if w.uploadCancel != nil {
		w.uploadCancel()
		w.uploadCancel = nil
	}
	w.rm.upload = nil
	if mem == nil && res == nil {
		return
	}
	w.roomGen++
	leave := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		if mem != nil {
			err = mem.Leave(ctx)
		} else {
			err = res.Close(ctx)
		}
		if err != nil {
			fyne.LogError("ui: leave the room", err)
		}
	}
	if wait {
		leave()
	} else {
		go leave()
	}
}

// resumeUpload sends the rest of the recovered recording in dir to the
// room it was recorded in (its room/link.json), as `podmark upload DIR`
// does, so that the editor's pull gets the whole recording without the
// host running a command after a crash. The Room section shows it as the
// last recording's upload; a new recording or quitting asks first, as
// after a Stop. The link's token, not kept in the session, is the room
// preference's when that names the same room. It returns where it sends.
func (w *Window) resumeUpload(dir string) (room.Link, error) {
	sl, err := room.ReadSessionLink(dir)
	if err != nil {
		return room.Link{}, err
	}
	meta, err := room.FinishedSession(dir)
	if err != nil {
		return room.Link{}, err
	}
	l, err := room.ParseLink(sl.Link)
	if err != nil {
		return room.Link{}, err
	}
	creds, ca, kbps := sl.Creds, sl.CA, DefaultUploadKbps
	if rc, err := w.roomConfig(); err == nil && rc.set {
		kbps = rc.kbps
		if sameRoom(rc.link, l) {
			l = rc.link
			creds, ca = cmp.Or(creds, rc.creds), cmp.Or(ca, rc.ca)
		}
	}
	w.unwatchRoom()
	w.leaveRoom(false)
	w.roomGen++
	h := w.roomHooks(w.roomGen, nil)
	c, err := room.Join(room.Config{Link: l, Creds: creds, CA: ca, Host: sl.Host, Rate: meta.Rate, NoMarkers: true,
		OnPresence: h.OnPresence, OnRundown: h.OnRundown, OnLink: h.OnLink, OnPulled: h.OnPulled, Log: h.Log})
	w.rm.reset(sl.Host, l)
	w.rm.rate = meta.Rate
	w.rm.show(l, err)
	if err != nil {
		return l, err
	}
	w.mu.Lock()
	w.resumed = c
	w.mu.Unlock()
	w.rm.onLink(c.Link())
	if StartUpload == nil {
		return l, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.uploadCancel = cancel
	u := StartUpload(ctx, c, dir, kbps)
	if u == nil {
		return l, errors.New("ui: the upload did not start (see the log)")
	}
	w.rm.upload = u
	w.rm.setStopped(true)
	// Presence, as `podmark upload` sends it: the others see this host
	// stopped, with the upload's progress.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			_ = c.PublishPresence(room.FinishedPresence(meta, u.Status()))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return l, nil
}

// sameRoom reports whether a and b name the same room on the same relay,
// whatever their secrets.
func sameRoom(a, b room.Link) bool {
	return a.TLS == b.TLS && a.Host == b.Host && a.Port == b.Port && a.Show == b.Show && a.Episode == b.Episode
}

// roomNext advances the room's rundown from a Next press; the marker comes
// back through the session's hook like any other.
func (w *Window) roomNext(mem *room.Membership) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, m, err := mem.Next(ctx)
	w.post(func() {
		switch {
		case err != nil:
			w.rs.flash("Next topic: " + err.Error())
		case m == nil:
			w.rs.flash("Next topic: already advanced by " + r.By)
		}
	})
}

// roomScreen is the Room section of the left pane: the link, every other
// host's presence and upload, this host's upload after Stop and the
// editor's copy, the room's rundown and its Next topic button. Fyne
// goroutine only.
type roomScreen struct {
	w       *Window
	box     *fyne.Container
	link    *widget.Label
	problem *widget.Label
	hosts   *fyne.Container
	none    *widget.Label
	own     *widget.Label
	pulled  *widget.Label
	rundown *widget.Label
	next    *widget.Button

	self    string // this host's room name
	at      room.Link
	state   room.LinkState
	peers   map[string]*peer
	rows    map[string]*hostRow
	upload  room.UploadStatus // this host's upload, when the uploader runs
	rd      room.Rundown
	hasRD   bool
	mine    *room.Pulled
	rate    int // the sample rate of a recovered recording's upload (else the marker list's)
	stopped bool
}

// peer is what the window knows of another host.
type peer struct {
	p      room.Presence
	seen   time.Time // local time of the last presence
	pulled *room.Pulled
}

func newRoomScreen(w *Window) *roomScreen {
	return &roomScreen{w: w, peers: map[string]*peer{}, rows: map[string]*hostRow{}}
}

func (r *roomScreen) buildUI() fyne.CanvasObject {
	r.link = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.link.Truncation = fyne.TextTruncateEllipsis
	r.problem = widget.NewLabel("")
	r.problem.Importance = widget.WarningImportance
	r.problem.Wrapping = fyne.TextWrapWord
	r.problem.Hide()
	r.none = widget.NewLabel("No other host here yet")
	r.none.Importance = widget.LowImportance
	r.hosts = container.NewVBox(r.none)
	r.own = widget.NewLabel("")
	r.own.Truncation = fyne.TextTruncateEllipsis
	r.own.Hide()
	r.pulled = widget.NewLabel("")
	r.pulled.Importance = widget.SuccessImportance
	r.pulled.Truncation = fyne.TextTruncateEllipsis
	r.pulled.Hide()
	r.rundown = widget.NewLabel("")
	r.rundown.Truncation = fyne.TextTruncateEllipsis
	r.next = widget.NewButtonWithIcon("Next topic (N)", theme.MediaSkipNextIcon(), func() { r.w.actUI(ActionNext) })
	r.next.Disable()
	rd := container.NewBorder(nil, nil, nil, r.next, r.rundown)
	r.box = container.NewVBox(widget.NewSeparator(), r.link, r.problem, r.hosts, r.own, r.pulled, rd)
	r.box.Hide()
	r.showRundown()
	return r.box
}

// reset prepares the section for link, self being this host's room name:
// another room's hosts and rundown are forgotten; the same room's are kept
// (soundcheck to recording), so the hosts do not blink out.
func (r *roomScreen) reset(self string, l room.Link) {
	r.self = self
	if l != r.at {
		r.peers = map[string]*peer{}
		r.rows = map[string]*hostRow{}
		r.hasRD = false
		r.hosts.Objects = []fyne.CanvasObject{r.none}
		r.hosts.Refresh()
	}
	r.at = l
	r.mine, r.stopped, r.rate = nil, false, 0
	r.state = room.LinkConnecting
	r.problem.Hide()
	r.refresh(time.Now())
}

// show shows the section for link, with err (a bad setting) if any.
func (r *roomScreen) show(l room.Link, err error) {
	r.at = l
	if err != nil {
		r.problem.SetText(err.Error())
		r.problem.Show()
	} else {
		r.problem.Hide()
	}
	r.box.Show()
	r.showLink()
	r.w.roomActive.Store(true)
	r.w.relayout()
}

func (r *roomScreen) hide() {
	r.box.Hide()
	r.w.roomActive.Store(false)
	r.w.relayout()
}

// linkText is what the section's heading says of the link.
func linkText(l room.Link, s room.LinkState) string {
	if l.Show == "" {
		return "Room"
	}
	where := fmt.Sprintf("Room %s/%s", l.Show, l.Episode)
	switch s {
	case room.LinkOnline:
		return where + ": ● online"
	case room.LinkOffline:
		return where + ": offline, reconnecting…"
	case room.LinkClosed:
		return where + ": left"
	default:
		return where + ": connecting…"
	}
}

func (r *roomScreen) showLink() {
	setLabel(r.link, linkText(r.at, r.state))
	switch r.state {
	case room.LinkOnline:
		r.link.Importance = widget.SuccessImportance
	case room.LinkOffline:
		r.link.Importance = widget.WarningImportance
	default:
		r.link.Importance = widget.MediumImportance
	}
	r.link.Refresh()
}

func (r *roomScreen) onLink(s room.LinkState) {
	r.state = s
	r.showLink()
}

// onLog shows the room's last complaint (refused credentials, a dropped
// message) under the heading.
func (r *roomScreen) onLog(msg string) {
	r.problem.SetText(msg)
	r.problem.Show()
	r.w.relayout()
}

func (r *roomScreen) onPresence(p room.Presence, now time.Time) {
	if p.Host == r.self {
		return
	}
	pe := r.peers[p.Host]
	if pe == nil {
		pe = &peer{}
		r.peers[p.Host] = pe
	}
	pe.p, pe.seen = p, now
	r.refresh(now)
}

func (r *roomScreen) onRundown(rd room.Rundown) {
	r.rd, r.hasRD = rd, true
	r.showRundown()
}

func (r *roomScreen) onPulled(p room.Pulled) {
	if p.Host == r.self {
		r.mine = &p
	} else if pe := r.peers[p.Host]; pe != nil {
		pe.pulled = &p
	}
	r.refresh(time.Now())
}

// setStopped says the recording ended: this host's own upload and the
// editor's copy are shown from now on.
func (r *roomScreen) setStopped(on bool) {
	r.stopped = on
	r.refresh(time.Now())
}

// rundownText is the room's rundown in one line: the current item and the
// next one.
func rundownText(rd room.Rundown) string {
	n := len(rd.Items)
	switch {
	case n == 0:
		return "The room's rundown is empty"
	case rd.Current < 0:
		return fmt.Sprintf("Rundown: next %s (1/%d)", rd.Items[0], n)
	case rd.Current >= n:
		return fmt.Sprintf("Rundown: all %d done", n)
	}
	s := fmt.Sprintf("Now: %s (%d/%d)", rd.Items[rd.Current], rd.Current+1, n)
	if rd.Current+1 < n {
		s += " · next: " + rd.Items[rd.Current+1]
	}
	if rd.By != "" {
		s += " · by " + rd.By
	}
	return s
}

func (r *roomScreen) showRundown() {
	if !r.hasRD {
		setLabel(r.rundown, "No rundown in the room")
		r.rundown.Importance = widget.LowImportance
		r.next.Disable()
		return
	}
	r.rundown.Importance = widget.MediumImportance
	setLabel(r.rundown, rundownText(r.rd))
	r.w.mu.Lock()
	mem := r.w.member
	r.w.mu.Unlock()
	enable(r.next, mem != nil && running(r.w.state) && r.rd.Current+1 < len(r.rd.Items))
}

// refresh redraws the hosts (lost after LostAfter of silence), this
// host's upload and the editor's copy, as of now.
func (r *roomScreen) refresh(now time.Time) {
	names := make([]string, 0, len(r.peers))
	for h := range r.peers {
		names = append(names, h)
	}
	sort.Strings(names)
	changed := len(names) != len(r.hosts.Objects) || len(names) == 0 && r.hosts.Objects[0] != r.none
	objs := make([]fyne.CanvasObject, 0, len(names))
	for _, h := range names {
		row := r.rows[h]
		if row == nil {
			row = newHostRow(h)
			r.rows[h] = row
			changed = true
		}
		pe := r.peers[h]
		row.set(pe.p, now.Sub(pe.seen), pe.pulled)
		objs = append(objs, row)
	}
	if len(objs) == 0 {
		objs = append(objs, r.none)
	}
	if changed {
		r.hosts.Objects = objs
		r.hosts.Refresh()
	}
	own := ""
	if r.stopped && r.upload != nil {
		u := r.upload.Status()
		own = "Your upload: " + uploadText(&u, cmp.Or(r.rate, int(r.w.ml.rate)))
	}
	showText(r.own, own)
	pulled := ""
	if r.mine != nil {
		pulled = pulledText(*r.mine)
	}
	showText(r.pulled, pulled)
	r.showRundown()
	if changed {
		r.w.relayout()
	}
}

// showText shows l with s, or hides it when s is empty.
func showText(l *widget.Label, s string) {
	setLabel(l, s)
	if (s != "") != l.Visible() {
		if s != "" {
			l.Show()
		} else {
			l.Hide()
		}
	}
}

// pulledText says that an editor has a host's whole session verified.
func pulledText(p room.Pulled) string {
	return fmt.Sprintf("✔ The editor's copy is complete (%s, %s)", p.From, p.UTC.Local().Format("15:04"))
}

// uploadText says where a host's upload stands; rate is the host's
// sample rate.
func uploadText(u *room.Upload, rate int) string {
	if u == nil || rate <= 0 {
		return ""
	}
	sent := fmtClock(time.Duration(float64(u.Sent) / float64(rate) * float64(time.Second)))
	switch u.State {
	case room.UploadVerified:
		return "all sent and verified"
	case room.UploadWaiting:
		return fmt.Sprintf("waiting for the relay (sent up to %s)", sent)
	case room.UploadFailed:
		msg := "upload failed"
		if u.Error != "" {
			msg += ": " + u.Error
		}
		return msg + " (the local recording is fine)"
	}
	behind := time.Duration(u.BehindMS) * time.Millisecond
	switch {
	case behind < time.Second:
		return fmt.Sprintf("sent up to %s, up to date", sent)
	case behind < time.Minute:
		return fmt.Sprintf("sent up to %s, %d s behind", sent, int(behind.Seconds()))
	default:
		return fmt.Sprintf("sent up to %s, %s behind", sent, fmtSpan(behind))
	}
}

// fmtSpan formats a longer duration for people: "2 min 5 s", "1 h 12 min".
func fmtSpan(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
}

// presenceState is a host's state as its row shows it; silent is how long
// ago its last presence came.
func presenceState(p room.Presence, silent time.Duration) (string, widget.Importance) {
	if silent > LostAfter && p.State != room.StateLeft && p.State != room.StateFailed {
		return fmt.Sprintf("lost (silent %s)", fmtSpan(silent)), widget.WarningImportance
	}
	switch p.State {
	case room.StateLeft:
		return "left the room after " + fmtClock(time.Duration(p.Elapsed*float64(time.Second))), widget.LowImportance
	case room.StateRecording:
		return "● recording " + fmtClock(time.Duration(p.Elapsed*float64(time.Second))), widget.DangerImportance
	case room.StatePaused:
		return "❚❚ paused " + fmtClock(time.Duration(p.Elapsed*float64(time.Second))), widget.WarningImportance
	case room.StateFailed:
		s := "✖ failed"
		if p.Error != "" {
			s += ": " + p.Error
		}
		return s, widget.DangerImportance
	case room.StateStopped:
		return "■ stopped " + fmtClock(time.Duration(p.Elapsed*float64(time.Second))), widget.MediumImportance
	case room.StateIdle:
		return "in soundcheck", widget.MediumImportance
	default:
		return string(p.State), widget.LowImportance
	}
}

// presenceDetail is a host's figures: level, dropped frames, disk left,
// link and last seen.
func presenceDetail(p room.Presence, silent time.Duration) string {
	level := "level −∞ dB"
	if p.Level > 0 {
		level = fmt.Sprintf("level %.0f dB", 20*math.Log10(p.Level))
	}
	disk := "disk ?"
	if p.DiskLeft >= 0 {
		disk = "disk " + fmtSpan(time.Duration(p.DiskLeft*float64(time.Second))) + " left"
	}
	s := fmt.Sprintf("%s · dropped %d · %s · seen %s ago", level, p.Dropped, disk, fmtSpan(silent.Round(time.Second)))
	if p.Pending > 0 {
		s += fmt.Sprintf(" · %d markers unsent", p.Pending)
	}
	return s
}

// hostRow is one other host in the Room section: its badge, state,
// figures and upload.
type hostRow struct {
	widget.BaseWidget
	host   string
	badge  *authorBadge
	state  *widget.Label
	detail *widget.Label
	upload *widget.Label
}

func newHostRow(host string) *hostRow {
	r := &hostRow{host: host, badge: newAuthorBadge(host)}
	r.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.state.Truncation = fyne.TextTruncateEllipsis
	r.detail = widget.NewLabel("")
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.detail.SizeName = theme.SizeNameCaptionText
	r.upload = widget.NewLabel("")
	r.upload.Truncation = fyne.TextTruncateEllipsis
	r.upload.SizeName = theme.SizeNameCaptionText
	r.upload.Hide()
	r.ExtendBaseWidget(r)
	return r
}

// set shows p, silent for silent, with the editor's pull if any.
func (r *hostRow) set(p room.Presence, silent time.Duration, pulled *room.Pulled) {
	st, imp := presenceState(p, silent)
	setLabel(r.state, r.host+": "+st)
	if r.state.Importance != imp {
		r.state.Importance = imp
		r.state.Refresh()
	}
	setLabel(r.detail, presenceDetail(p, silent))
	up := ""
	if p.Upload != nil && p.Rate > 0 {
		up = "Upload: " + uploadText(p.Upload, p.Rate)
	}
	if pulled != nil {
		if up != "" {
			up += " · "
		}
		up += pulledText(*pulled)
	}
	showText(r.upload, up)
}

// CreateRenderer implements fyne.Widget.
func (r *hostRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, container.NewCenter(r.badge), nil,
		container.NewVBox(r.state, r.detail, r.upload)))
}
