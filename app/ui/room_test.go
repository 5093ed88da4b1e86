package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/nats-io/nats.go"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

func TestUploadText(t *testing.T) {
	const rate = 48000
	at := func(h, m, s int) int64 { return int64((h*3600 + m*60 + s) * rate) }
	for _, c := range []struct {
		u    *room.Upload
		want string
	}{
		{nil, ""},
		{&room.Upload{State: room.UploadSending, Sent: at(1, 12, 40), BehindMS: 3200}, "sent up to 01:12:40, 3 s behind"},
		{&room.Upload{State: room.UploadSending, Sent: at(0, 0, 5), BehindMS: 200}, "sent up to 00:00:05, up to date"},
		{&room.Upload{State: room.UploadSending, Sent: at(0, 10, 0), BehindMS: 125_000}, "sent up to 00:10:00, 2 min 5 s behind"},
		{&room.Upload{State: room.UploadWaiting, Sent: at(0, 20, 1)}, "waiting for the relay (sent up to 00:20:01)"},
		{&room.Upload{State: room.UploadVerified, Sent: at(2, 0, 0)}, "all sent and verified"},
		{&room.Upload{State: room.UploadFailed, Error: "bucket full"}, "upload failed: bucket full (the local recording is fine)"},
	} {
		if got := uploadText(c.u, rate); got != c.want {
			t.Errorf("uploadText(%+v) = %q, want %q", c.u, got, c.want)
		}
	}
}

func TestPresenceText(t *testing.T) {
	rec := room.Presence{Host: "bob", State: room.StateRecording, Rate: 48000, Elapsed: 754, Level: 0.25, Dropped: 3, DiskLeft: 3*3600 + 120}
	for _, c := range []struct {
		p            room.Presence
		silent       time.Duration
		state        string
		imp          widget.Importance
		detailSubstr string
	}{
		{rec, time.Second, "● recording 00:12:34", widget.DangerImportance, "level -12 dB · dropped 3 · disk 3 h 2 min left · seen 1 s ago"},
		{rec, 3500 * time.Millisecond, "lost (silent 3 s)", widget.WarningImportance, "seen 4 s ago"},
		{room.Presence{State: room.StatePaused, Elapsed: 60, DiskLeft: -1}, 0, "❚❚ paused 00:01:00", widget.WarningImportance, "level −∞ dB · dropped 0 · disk ? · seen 0 s ago"},
		{room.Presence{State: room.StateFailed, Error: "disk full", DiskLeft: 0}, 0, "✖ failed: disk full", widget.DangerImportance, "disk 0 s left"},
		{room.Presence{State: room.StateStopped, Elapsed: 3600, Pending: 2}, 0, "■ stopped 01:00:00", widget.MediumImportance, "2 markers unsent"},
		{room.Presence{State: room.StateIdle}, 0, "in soundcheck", widget.MediumImportance, "dropped 0"},
		{room.Presence{State: room.StateLeft, Elapsed: 65}, time.Minute, "left the room after 00:01:05", widget.LowImportance, "seen 1 min 0 s ago"},
		{room.Presence{State: room.StateFailed, Error: "device lost"}, time.Minute, "✖ failed: device lost", widget.DangerImportance, "seen 1 min 0 s ago"},
	} {
		st, imp := presenceState(c.p, c.silent)
		if st != c.state || imp != c.imp {
			t.Errorf("presenceState(%s, %v) = %q, %v; want %q, %v", c.p.State, c.silent, st, imp, c.state, c.imp)
		}
		if d := presenceDetail(c.p, c.silent); !strings.Contains(d, c.detailSubstr) {
			t.Errorf("presenceDetail(%s) = %q, want it to contain %q", c.p.State, d, c.detailSubstr)
		}
	}
}

func TestInitialsAndColour(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"alice", "AL"}, {"bob-smith", "BS"}, {"AnnaLee", "AL"}, {"j", "J"}, {"x_2", "X2"}, {"--", "?"},
	} {
		if got := initials(c.host); got != c.want {
			t.Errorf("initials(%q) = %q, want %q", c.host, got, c.want)
		}
	}
	if a, b := hostColor("alice"), hostColor("bob"); a == b || !slices.Contains(hostPalette, a) || !slices.Contains(hostPalette, b) {
		t.Errorf("host colours: alice %v, bob %v: want distinct colours of the palette", a, b)
	}
}

func TestCheckRoomPrefs(t *testing.T) {
	dir := t.TempDir()
	link, err := room.ParseLink("nats://127.0.0.1:4222/show/ep1")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := room.Invite(&room.Auth{}, link, "alice", room.RoleHost, false)
	if err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(dir, "alice.nk")
	junk := filepath.Join(dir, "junk.txt")
	for p, b := range map[string][]byte{seed: inv.Seed, junk: []byte("not a seed\n")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name                        string
		link, creds, ca, kbps, host string
		set                         bool
		kbpsWant                    int
		errSubstr                   string
	}{
		{"no room", "", "", "", "", "alice", false, DefaultUploadKbps, ""},
		{"link", " nats://127.0.0.1:4222/show/ep1 ", "", "", "500", "alice", true, 500, ""},
		{"link and seed", "nats://127.0.0.1/show/ep1", seed, "", "0", "Alice Smith", true, 0, ""},
		{"no episode", "nats://127.0.0.1/show", "", "", "", "alice", false, 0, "room link"},
		{"bad scheme", "http://x/show/ep", "", "", "", "alice", false, 0, "room link"},
		{"bad show", "nats://h/sh.ow/ep", "", "", "", "alice", false, 0, "room link"},
		{"missing creds", "nats://h/show/ep", filepath.Join(dir, "none"), "", "", "alice", false, 0, "credentials file"},
		{"junk creds", "nats://h/show/ep", junk, "", "", "alice", false, 0, "no nkey seed"},
		{"ca without tls", "nats://h/show/ep", "", junk, "", "alice", false, 0, "only used with a tls://"},
		{"ca not pem", "tls://h/show/ep", "", junk, "", "alice", false, 0, "no PEM certificate"},
		{"kbps", "nats://h/show/ep", "", "", "fast", "alice", false, 0, "upload limit (kbit/s)"},
		{"kbps negative", "", "", "", "-5", "alice", false, 0, "upload limit (kbit/s)"},
		{"creds without link", "", seed, "", "", "alice", false, 0, "paste the room link"},
	} {
		rc, err := checkRoomPrefs(c.link, c.creds, c.ca, c.kbps, c.host)
		switch {
		case c.errSubstr != "" && (err == nil || !strings.Contains(err.Error(), c.errSubstr)):
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.errSubstr)
		case c.errSubstr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.errSubstr == "" && (rc.set != c.set || rc.kbps != c.kbpsWant):
			t.Errorf("%s: set %v kbps %d, want %v %d", c.name, rc.set, rc.kbps, c.set, c.kbpsWant)
		}
	}
}

// waitUI runs the window's queued work until cond holds.
func waitUI(t *testing.T, drain func(), what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeUpload stands for the uploader (app/room upload.go, merged
// separately): it reports a fixed progress through the StartUpload seam.
type fakeUpload struct{ u room.Upload }

func (f fakeUpload) Status() room.Upload { return f.u }

// walk lists o and every object its renderers and containers hold.
func walk(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, walk(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, walk(c)...)
		}
	}
	return out
}

// TestWindowInRoom: a window (alice) and another host (bob, a room client
// as `podmark record --room` has) in one room on a real relay. The Room
// section shows bob's presence and upload, the link and, after Stop, the
// editor's copy; bob's markers appear read-only with his initials; the
// room's rundown advances with N; alice's presence carries her upload.
func TestWindowInRoom(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	relay, err := room.StartRelay(ctx, room.RelayConfig{Listen: "127.0.0.1:0", Store: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	linkText := "nats://" + relay.Addr().String() + "/show/ep1"
	link, err := room.ParseLink(linkText)
	if err != nil {
		t.Fatal(err)
	}
	saved := StartUpload
	defer func() { StartUpload = saved }()
	StartUpload = func(_ context.Context, c *room.Client, dir string, kbps int) room.UploadStatus {
		if kbps != 700 || c == nil || dir == "" {
			t.Errorf("StartUpload(%v, %q, %d): want the room client, the session and the 700 kbit/s preset", c, dir, kbps)
		}
		return fakeUpload{room.Upload{State: room.UploadSending, Sent: 48000 * 61, Recorded: 48000 * 64, BehindMS: 3000, Kbps: kbps}}
	}

	w, drain := newTestWindow(t, Options{Dir: t.TempDir(), Host: "alice", Channels: 1, Rate: 48000, Device: "ramp",
		Room: linkText, UploadKbps: 700, UploadKbpsSet: true})
	w.watchRoom() // start() does this in the real window
	if !w.rm.box.Visible() {
		t.Fatal("the Room section is hidden with a room link set")
	}
	waitUI(t, drain, "the soundcheck to reach the room", func() bool { return w.rm.state == room.LinkOnline })
	if got := w.rm.link.Text; got != "Room show/ep1: ● online" {
		t.Fatalf("link shows %q", got)
	}

	// bob: a host in the room, as `podmark record --room` joins it.
	bobPres := make(chan room.Presence, 100)
	bob, err := room.Join(room.Config{Link: link, Host: "bob", Rate: 44100, Dir: t.TempDir(),
		OnPresence: func(p room.Presence) {
			if p.Host == "alice" {
				select {
				case bobPres <- p:
				default:
				}
			}
		}, Log: func(s string) { t.Log("bob: " + s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close(context.Background())
	waitUI(t, drain, "bob to join", bob.Joined)
	if _, err := bob.ProposeRundown(ctx, []string{"Intro", "News", "Mail"}); err != nil {
		t.Fatal(err)
	}
	pres := room.Presence{State: room.StateRecording, Rate: 44100, Position: 44100 * 75, Elapsed: 75, Level: 0.5, DiskLeft: 7200,
		Upload: &room.Upload{State: room.UploadSending, Sent: 44100 * 72, Recorded: 44100 * 75, BehindMS: 3000}}
	if err := bob.PublishPresence(pres); err != nil {
		t.Fatal(err)
	}
	waitUI(t, drain, "bob's presence in the soundcheck", func() bool { return w.rm.rows["bob"] != nil })
	row := w.rm.rows["bob"]
	if row.state.Text != "bob: ● recording 00:01:15" || row.upload.Text != "Upload: sent up to 00:01:12, 3 s behind" ||
		!strings.Contains(row.detail.Text, "level -6 dB · dropped 0 · disk 2 h 0 min left") {
		t.Fatalf("bob's row: %q / %q / %q", row.state.Text, row.detail.Text, row.upload.Text)
	}
	if row.badge.text.Text != "BO" {
		t.Fatalf("bob's badge %q", row.badge.text.Text)
	}

	// Record: alice joins the room as a host.
	w.sc.title.SetText("Episode 12")
	shortcut(w, scRecord)
	drain()
	if w.state != session.StateRecording || w.member == nil {
		t.Fatalf("recording %q, member %v", w.state, w.member)
	}
	dir := w.last.Dir()
	waitUI(t, drain, "alice to join as a host", func() bool { return w.member.Client().Joined() && w.rm.hasRD })
	if got := w.rm.rundown.Text; got != "Rundown: next Intro (1/3)" || w.rm.next.Disabled() {
		t.Fatalf("rundown %q, Next topic enabled %v", got, !w.rm.next.Disabled())
	}
	// alice's presence reaches bob, with her upload through the seam.
	var ap room.Presence
	for ap = range bobPres {
		if ap.State == room.StateRecording {
			break
		}
	}
	if ap.Upload == nil || ap.Upload.State != room.UploadSending || ap.Upload.Kbps != 700 {
		t.Fatalf("alice's presence upload: %+v", ap.Upload)
	}

	time.Sleep(150 * time.Millisecond)
	w.actUI(ActionTopic) // alice's own marker
	w.flushMarks()
	bm := markers.Marker{ID: markers.NewID(), Kind: markers.Sponsor, Title: "Acme VPN", Sample: 44100 * 2, UTC: time.Now().UTC()}
	bob.MarkerAdded(bm)
	waitUI(t, drain, "bob's marker in alice's list", func() bool { return len(w.ml.remote) == 1 && len(w.ml.ms) == 1 })
	rr := w.ml.rrows[remoteKey("bob", bm.ID)]
	if rr == nil || rr.badge.text.Text != "BO" || rr.badge.bg.FillColor != hostColor("bob") || rr.full != "Acme VPN" || rr.title.Text != "Acme VPN" || rr.by.Text != "by bob" {
		t.Fatalf("bob's marker row: %+v", rr)
	}
	// Read-only: nothing in the row takes typing or a tap.
	for _, o := range walk(rr) {
		switch o.(type) {
		case fyne.Focusable, fyne.Tappable:
			t.Fatalf("bob's marker row holds %T: it must be read-only here", o)
		}
	}
	if !rr.exact && rr.m.Sample != 48000*2 || !strings.HasPrefix(rr.time.Text, "≈") {
		t.Fatalf("bob's marker at %d (%q) on alice's 48 kHz timeline, want ≈96000 (the same time on his clock, no clock estimate yet)", rr.m.Sample, rr.time.Text)
	}
	// In position order: alice's own (editable) row, then bob's.
	if len(w.ml.box.Objects) != 2 || w.ml.box.Objects[1] != fyne.CanvasObject(rr) {
		t.Fatalf("list rows %v", w.ml.box.Objects)
	}
	if own, ok := w.ml.box.Objects[0].(*markerRow); !ok || own.title.Disabled() {
		t.Fatalf("alice's own row is %T, want an editable marker row", w.ml.box.Objects[0])
	}
	if got := w.ml.count.Text; got != "2 markers (1 from the room)" {
		t.Fatalf("count %q", got)
	}
	// bob renames, then deletes: the row follows.
	bm.Title = "Acme VPN (long read)"
	bob.MarkerUpdated(bm)
	waitUI(t, drain, "bob's rename", func() bool { return rr.full == "Acme VPN (long read)" && rr.title.Text == rr.full })
	bob.MarkerDeleted(bm)
	waitUI(t, drain, "bob's delete", func() bool { return len(w.ml.remote) == 0 })
	// The room record in alice's session has all three events.
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(room.RecordFile)))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), bm.ID); n != 3 {
		t.Fatalf("%s holds bob's marker %d times, want 3 events:\n%s", room.RecordFile, n, b)
	}

	// N advances the room's rundown: one topic marker titled Intro.
	test.TypeOnCanvas(w.win.Canvas(), "n")
	waitUI(t, drain, "the room's Next", func() bool { return w.rm.rd.Current == 0 && len(w.ml.ms) == 2 })
	if w.ml.ms[1].Title != "Intro" || w.ml.ms[1].Kind != markers.Topic || w.rm.rundown.Text != "Now: Intro (1/3) · next: News · by alice" {
		t.Fatalf("after N: marker %+v, rundown %q", w.ml.ms[1], w.rm.rundown.Text)
	}
	if r, ok := bob.Rundown(); !ok || r.Current != 0 {
		waitUI(t, drain, "bob to see the rundown advance", func() bool { r, _ := bob.Rundown(); return r.Current == 0 })
	}

	// The Room section, with bob's row, fits the left pane with no overlap.
	if err := bob.PublishPresence(pres); err != nil {
		t.Fatal(err)
	}
	waitUI(t, drain, "bob's row while recording", func() bool { return len(w.rm.hosts.Objects) == 1 && w.rm.hosts.Objects[0] == row })
	pad := 2 * theme.Padding()
	for _, size := range []fyne.Size{defaultSize, w.win.Content().MinSize().Add(fyne.NewSize(pad, pad))} {
		w.win.Resize(size)
		checkLayout(t, w, "recording in a room", size)
	}
	w.win.Resize(defaultSize)

	// bob falls silent: lost after LostAfter.
	w.rm.refresh(time.Now().Add(LostAfter + time.Second))
	if !strings.HasPrefix(row.state.Text, "bob: lost (silent") {
		t.Fatalf("silent bob shows %q", row.state.Text)
	}

	// Stop: alice's own upload and, once an editor has pulled her
	// session, the editor's copy.
	shortcut(w, scStop)
	drain()
	if w.state != session.StateStopped || w.member == nil {
		t.Fatalf("after Stop: %q, member %v (kept for the upload)", w.state, w.member)
	}
	if got := w.rm.own.Text; !w.rm.own.Visible() || got != "Your upload: sent up to 00:01:01, 3 s behind" {
		t.Fatalf("own upload shows %q (visible %v)", got, w.rm.own.Visible())
	}
	nc, err := nats.Connect(relay.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	names := room.NamesOf(link)
	when := time.Date(2026, 12, 2, 21, 14, 0, 0, time.Local).UTC()
	forged, _ := room.Encode(room.Pulled{V: room.Version, From: "editor", Host: "alice", Frames: 1, UTC: when})
	if err := nc.Publish(names.Pulled("mallory"), forged); err != nil { // not on the editor's own subject
		t.Fatal(err)
	}
	good, _ := room.Encode(room.Pulled{V: room.Version, From: "editor", Host: "alice", Frames: 48000, UTC: when})
	if err := nc.Publish(names.Pulled("editor"), good); err != nil {
		t.Fatal(err)
	}
	waitUI(t, drain, "the editor's copy", func() bool { return w.rm.pulled.Visible() })
	if got := w.rm.pulled.Text; got != "✔ The editor's copy is complete (editor, 21:14)" {
		t.Fatalf("pulled shows %q", got)
	}
	if !strings.Contains(w.rm.problem.Text, "claiming to be from editor") {
		t.Fatalf("the forged announcement was not reported: %q", w.rm.problem.Text)
	}
	// Record again while the upload is unfinished: asked first.
	shortcut(w, scRecord)
	drain()
	if w.state != session.StateStopped || w.win.Canvas().Overlays().Top() == nil || w.last.Dir() != dir {
		t.Fatalf("Record over an unfinished upload: state %q, a question shown %v", w.state, w.win.Canvas().Overlays().Top() != nil)
	}
}

// TestRoomUnreachableRecords: a room link whose relay is not there does not
// stop or delay the recording; the section says it is connecting.
func TestRoomUnreachableRecords(t *testing.T) {
	// No upload: one that never reached the relay would (rightly) ask
	// before the second recording; TestWindowInRoom covers that.
	saved := StartUpload
	defer func() { StartUpload = saved }()
	StartUpload = nil
	w, drain := newTestWindow(t, Options{Dir: t.TempDir(), Host: "alice", Channels: 1, Rate: 48000, Device: "ramp",
		Room: "nats://127.0.0.1:1/show/ep1"})
	start := time.Now()
	shortcut(w, scRecord)
	drain()
	if took := time.Since(start); w.state != session.StateRecording || took > time.Second {
		t.Fatalf("state %q after %v", w.state, took)
	}
	time.Sleep(100 * time.Millisecond)
	w.actUI(ActionTopic)
	w.flushMarks()
	drain()
	if len(w.ml.ms) != 1 || !strings.HasSuffix(w.rm.link.Text, "connecting…") && !strings.HasSuffix(w.rm.link.Text, "reconnecting…") {
		t.Fatalf("markers %v, link %q", w.ml.ms, w.rm.link.Text)
	}
	// A bad link is said in the section; the recording goes on.
	shortcut(w, scStop)
	drain()
	w.opts.Room = "nats://127.0.0.1/only-a-show"
	shortcut(w, scRecord)
	drain()
	if w.state != session.StateRecording || !w.rm.problem.Visible() || !strings.Contains(w.rm.problem.Text, "room link") {
		t.Fatalf("bad link: state %q, problem %q", w.state, w.rm.problem.Text)
	}
}

// TestSettingsRoom: the room preferences are checked before they are
// stored; a bad link stores nothing of the room, a good one is stored and
// the soundcheck shows the Room section at once.
func TestSettingsRoom(t *testing.T) {
	w, drain := newTestWindow(t, Options{Device: "ramp", Channels: 1, Host: "alice"})
	if w.rm.box.Visible() {
		t.Fatal("Room section shown without a room link")
	}
	save := func(link, kbps string) {
		t.Helper()
		w.showSettings()
		top := w.win.Canvas().Overlays().Top()
		s := w.lastSettings
		if got := s.room.kbps.Text; got != "2000" && got != "1500" {
			t.Fatalf("upload limit field shows %q", got)
		}
		s.room.link.SetText(link)
		s.room.kbps.SetText(kbps)
		test.Tap(findButton(top, "Save"))
		drain()
	}
	save("nats://127.0.0.1:1/show", "1500")
	if got := w.prefs.String(prefRoomLink, "unset"); got != "unset" || w.prefs.Int(prefUploadKbps, -1) != -1 {
		t.Fatalf("a bad link stored link %q, limit %d", got, w.prefs.Int(prefUploadKbps, -1))
	}
	if w.rm.box.Visible() {
		t.Fatal("Room section shown for a refused link")
	}
	w.win.Canvas().Overlays().Top().Hide() // the error dialog
	save("nats://127.0.0.1:1/show/ep1", "1500")
	if got := w.prefs.String(prefRoomLink, ""); got != "nats://127.0.0.1:1/show/ep1" || w.prefs.Int(prefUploadKbps, -1) != 1500 {
		t.Fatalf("stored link %q, limit %d", got, w.prefs.Int(prefUploadKbps, -1))
	}
	if !w.rm.box.Visible() || w.watch == nil || !strings.HasPrefix(w.rm.link.Text, "Room show/ep1: ") {
		t.Fatalf("after saving a link: section visible %v, watching %v, link %q", w.rm.box.Visible(), w.watch != nil, w.rm.link.Text)
	}
	save("", "1500") // no room any more
	if w.rm.box.Visible() || w.watch != nil {
		t.Fatal("Room section still shown after the link was cleared")
	}
}
