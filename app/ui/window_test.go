package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// newTestWindow builds the window on the Fyne test driver. Hooks and
// engine events are queued and run by drain on the test goroutine, as
// fyne.Do would run them on the Fyne goroutine.
func newTestWindow(t *testing.T, opts Options) (*Window, func()) {
	t.Helper()
	a := test.NewTempApp(t)
	w := NewWindow(a, opts)
	queue := make(chan func(), 1024)
	w.post = func(f func()) { queue <- f }
	w.grab = func(map[Action]Chord, func(Action)) (Hotkeys, error) { return nil, ErrHotkeysUnsupported }
	drain := func() {
		for {
			select {
			case f := <-queue:
				f()
			default:
				return
			}
		}
	}
	w.win.Show()
	w.openInputs()
	t.Cleanup(func() {
		w.shutdown()
		drain()
	})
	return w, drain
}

func shortcut(w *Window, s fyne.Shortcut) {
	w.win.Canvas().(fyne.Shortcutable).TypedShortcut(s)
}

// rowByTitle finds the marker row whose title is title.
func rowByTitle(t *testing.T, w *Window, title string) *markerRow {
	t.Helper()
	for _, m := range w.ml.ms {
		if m.Title == title {
			return w.ml.rows[m.ID]
		}
	}
	t.Fatalf("no marker titled %q in %v", title, w.ml.ms)
	return nil
}

// runWindowScenario drives a whole recording through the window: record →
// markers by button, key and rundown → rename → delete/undo → pause →
// stop, and returns the session folder and the markers the window shows.
func runWindowScenario(t *testing.T, device string) (dir string, shown []markers.Marker) {
	root := t.TempDir()
	w, drain := newTestWindow(t, Options{Dir: root, Host: "alice", Channels: 2, Rate: 48000, Device: device})
	c := w.win.Canvas()
	w.rd.text.SetText("- Intro\n- sponsor: Acme VPN\n- Listener mail")
	w.sc.title.SetText("Episode 12")

	// Marker keys before recording do nothing but explain.
	test.TypeOnCanvas(c, "t")
	if len(w.ml.ms) != 0 || w.rs.hint.Text == "" {
		t.Fatalf("a marker key before Record: markers %v, hint %q", w.ml.ms, w.rs.hint.Text)
	}

	shortcut(w, scRecord) // Ctrl+R
	drain()
	if w.state != session.StateRecording || w.last == nil {
		t.Fatalf("after Ctrl+R: state %q", w.state)
	}
	// While recording, the locked form is folded into one summary line;
	// the disk and level warnings stay (the warnings line shows whenever it has something to say).
	if w.sc.form.Visible() || !w.sc.summary.Visible() || !w.sc.disk.Visible() || w.sc.warnings.Visible() != (w.sc.warnings.Text != "") {
		t.Fatalf("while recording: form visible %v, summary visible %v, disk %v, warnings %v",
			w.sc.form.Visible(), w.sc.summary.Visible(), w.sc.disk.Visible(), w.sc.warnings.Visible())
	}
	for _, want := range []string{"Episode 12", "alice", "2 ch", "48000 Hz"} {
		if !strings.Contains(w.sc.summary.Text, want) {
			t.Fatalf("recording summary %q lacks %q", w.sc.summary.Text, want)
		}
	}
	dir = w.last.Dir()
	if filepath.Dir(dir) != root {
		t.Fatalf("session folder %s is not inside the recordings folder %s", dir, root)
	}
	wait := func(d time.Duration) { time.Sleep(d); w.update(); drain() }
	wait(150 * time.Millisecond)

	test.TypeOnCanvas(c, "n") // next planned segment: "Intro"
	wait(100 * time.Millisecond)
	test.Tap(w.rs.markBtns[ActionTopic]) // an untitled topic
	wait(100 * time.Millisecond)
	test.TypeOnCanvas(c, "N") // "Acme VPN" sponsor read
	wait(100 * time.Millisecond)
	if w.rs.segment.Text != "Acme VPN" || w.rs.segClock.Text != "00:00:00" {
		t.Fatalf("current segment shows %q %q, want the sponsor read just started", w.rs.segment.Text, w.rs.segClock.Text)
	}
	// The fake source delivers 1024-frame buffers (21 ms); its clock runs
	// on between them as a sound card's does, but never more than a buffer
	// past the last one delivered: presses are 30 ms apart here so that a
	// late source goroutine cannot give two of them one sample.
	test.TypeOnCanvas(c, "e")
	wait(30 * time.Millisecond)
	test.TypeOnCanvas(c, "m")
	wait(30 * time.Millisecond)
	test.Tap(w.rs.markBtns[ActionSponsor])
	test.TypeOnCanvas(c, "x") // not a marker key
	wait(50 * time.Millisecond)
	if len(w.ml.ms) != 6 {
		t.Fatalf("want 6 markers, have %d: %v", len(w.ml.ms), w.ml.ms)
	}
	if w.rd.status.Objects == nil || w.rundownStateForTest(1) != SegmentCurrent || w.rundownStateForTest(0) != SegmentDone || w.rundownStateForTest(2) != SegmentUpcoming {
		t.Fatalf("rundown states wrong: %v %v %v", w.rundownStateForTest(0), w.rundownStateForTest(1), w.rundownStateForTest(2))
	}
	if w.rs.segment.Text != "Untitled sponsor" {
		t.Fatalf("current segment shows %q, want the untitled sponsor", w.rs.segment.Text)
	}

	// Rename the untitled topic in place: its position must not move.
	var untitled markers.Marker
	for _, m := range w.ml.ms {
		if m.Kind == markers.Topic && m.Title == "" {
			untitled = m
		}
	}
	row := w.ml.rows[untitled.ID]
	test.Tap(row.titleView) // the title opens for editing where it is shown
	if c.Focused() != row.title {
		t.Fatalf("tapping the untitled topic's title focused %v, not its entry", c.Focused())
	}
	test.Type(row.title, "Cold open")
	test.TypeOnCanvas(c, "t") // a text field has the focus: not a marker key
	row.title.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.Focused() != nil {
		t.Fatal("Enter in a title did not give the focus back to the window")
	}
	if got := rowByTitle(t, w, "Cold open"); got.m.Sample != untitled.Sample {
		t.Fatalf("rename moved the marker from %d to %d", untitled.Sample, got.m.Sample)
	}
	// A URL for the sponsor read.
	sp := rowByTitle(t, w, "Acme VPN")
	test.Tap(sp.urlView)
	test.Type(sp.url, "https://acme.example/pod")
	c.Unfocus() // focus loss commits too

	// Delete the edit marker, undo, then delete the note for good.
	var edit, note markers.Marker
	for _, m := range w.ml.ms {
		switch m.Kind {
		case markers.Edit:
			edit = m
		case markers.Note:
			note = m
		}
	}
	test.Tap(w.ml.rows[edit.ID].del)
	if len(w.ml.ms) != 5 || w.ml.undo.Disabled() {
		t.Fatalf("after delete: %d markers, undo disabled %v", len(w.ml.ms), w.ml.undo.Disabled())
	}
	test.Tap(w.ml.undo)
	if len(w.ml.ms) != 6 || !w.ml.undo.Disabled() {
		t.Fatalf("after undo: %d markers, undo disabled %v", len(w.ml.ms), w.ml.undo.Disabled())
	}
	test.Tap(w.ml.rows[note.ID].del)

	// Pause and resume with Ctrl+P.
	shortcut(w, scPause)
	if w.state != session.StatePaused {
		t.Fatalf("Ctrl+P: state %q", w.state)
	}
	wait(100 * time.Millisecond)
	shortcut(w, scPause)
	if w.state != session.StateRecording {
		t.Fatalf("second Ctrl+P: state %q", w.state)
	}
	wait(200 * time.Millisecond)
	if w.rs.clock.Text == "" || len(w.rs.meters) != 2 {
		t.Fatalf("clock %q, %d meters", w.rs.clock.Text, len(w.rs.meters))
	}

	// A click on Stop only asks.
	test.Tap(w.rs.stop)
	if w.state != session.StateRecording {
		t.Fatalf("a click on Stop stopped without asking: %q", w.state)
	}
	shortcut(w, scStop) // the chord stops at once
	drain()
	if w.state != session.StateStopped || !w.ho.card.Visible() || w.tabs.Selected() != w.ho.tab {
		t.Fatalf("after Ctrl+Shift+S: state %q, hand-off visible %v", w.state, w.ho.card.Visible())
	}
	if w.ho.report.Text == "" {
		t.Fatal("no validation report after Stop")
	}
	if !w.sc.form.Visible() || w.sc.summary.Visible() {
		t.Fatalf("after Stop: form visible %v, summary visible %v", w.sc.form.Visible(), w.sc.summary.Visible())
	}
	// Titles can still be fixed after Stop: the journal takes the edit and
	// the report is redone.
	before := w.ho.report.Text
	// The chapter left untitled (the report's empty-title error) gets its
	// title; an edit or note marker is no chapter and is not in the report.
	var blank markers.Marker
	for _, m := range w.ml.ms {
		if m.Title == "" && (m.Kind == markers.Topic || m.Kind == markers.Sponsor) {
			blank = m
		}
	}
	if blank.ID == "" {
		t.Fatalf("no untitled chapter to fix after Stop: %v", w.ml.ms)
	}
	last := w.ml.rows[blank.ID]
	test.Tap(last.titleView)
	test.Type(last.title, "Bolt")
	last.title.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if w.ho.report.Text == before {
		t.Fatalf("report not redone after a rename after Stop:\n%s", before)
	}
	shown = slices.Clone(w.ml.ms)

	// Speaker names: a typo is refused before anything is written, then
	// the host's name is published as the one the listeners know.
	w.ho.names.SetText("alice")
	test.Tap(w.ho.export)
	drain()
	if !strings.HasPrefix(w.ho.stage.Text, "Speaker names:") || w.ho.export.Disabled() {
		t.Fatalf("bad speaker names: stage %q, export disabled %v", w.ho.stage.Text, w.ho.export.Disabled())
	}
	w.ho.names.SetText("alice-1=Alice Liddell")

	// Hand-off: export with progress, result folder exists.
	test.Tap(w.ho.export)
	deadline := time.Now().Add(60 * time.Second)
	for w.ho.lastOut == "" && !strings.HasPrefix(w.ho.stage.Text, "Export failed") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		drain()
	}
	if w.ho.lastOut == "" {
		t.Fatalf("export did not finish: %q", w.ho.stage.Text)
	}
	if w.ho.progress.Value != 1 {
		t.Fatalf("progress %v after export", w.ho.progress.Value)
	}
	if fi, err := os.Stat(w.ho.lastOut); err != nil || !fi.IsDir() {
		t.Fatalf("export folder %s: %v", w.ho.lastOut, err)
	}
	// The names reached the bundle: the speaker timeline names Alice
	// Liddell, never the track name alice-1.
	turns, err := os.ReadFile(filepath.Join(w.ho.lastOut, "notes", "speakers.json"))
	if err != nil {
		t.Fatalf("hand-off with speaker names: %v", err)
	}
	if !strings.Contains(string(turns), `"Alice Liddell"`) || strings.Contains(string(turns), `"alice-1"`) {
		t.Fatalf("notes/speakers.json does not publish the name given:\n%s", turns)
	}
	return dir, shown
}

func (w *Window) rundownStateForTest(i int) SegmentState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rundown.State(i)
}

// checkJournal replays markers.jsonl and compares it with what the window
// showed: kinds, titles, URLs and sample positions.
func checkJournal(t *testing.T, dir string, shown []markers.Marker) []markers.Marker {
	t.Helper()
	ms, warns, err := markers.ReplayJournalFile(filepath.Join(dir, "markers.jsonl"))
	if err != nil || len(warns) > 0 {
		t.Fatalf("replay journal: %v %v", err, warns)
	}
	var got []markers.Marker
	for _, m := range ms {
		if m.Kind != markers.Glitch {
			got = append(got, m)
		}
	}
	if len(got) != len(shown) {
		t.Fatalf("journal has %d markers, window showed %d:\n%v\n%v", len(got), len(shown), got, shown)
	}
	wantKinds := []markers.Kind{markers.Topic, markers.Topic, markers.Sponsor, markers.Edit, markers.Sponsor}
	wantTitles := []string{"Intro", "Cold open", "Acme VPN", "", "Bolt"}
	for i, m := range got {
		s := shown[i]
		if m.ID != s.ID || m.Kind != s.Kind || m.Title != s.Title || m.Sample != s.Sample || m.URL != s.URL {
			t.Errorf("marker %d: journal %+v, window %+v", i, m, s)
		}
		if m.Kind != wantKinds[i] || m.Title != wantTitles[i] {
			t.Errorf("marker %d = %s %q, want %s %q", i, m.Kind, m.Title, wantKinds[i], wantTitles[i])
		}
		if i > 0 && m.Sample <= got[i-1].Sample {
			t.Errorf("marker %d at %d is not after %d", i, m.Sample, got[i-1].Sample)
		}
	}
	if got[2].URL != "https://acme.example/pod" {
		t.Errorf("sponsor URL = %q", got[2].URL)
	}
	return got
}

// TestWindowSession drives the window on the real engine (app/session)
// with the fake Ramp input: record → markers by keys and buttons → rename →
// delete/undo → pause → stop → hand-off; then the session on disk must match
// what the window showed: the journal replayed, session.json, the tracks.
func TestWindowSession(t *testing.T) {
	dir, shown := runWindowScenario(t, "ramp")
	got := checkJournal(t, dir, shown)

	meta, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != session.StateStopped || meta.Title != "Episode 12" || meta.Host != "alice" || meta.Rate != 48000 || len(meta.Tracks) != 2 {
		t.Fatalf("session.json: state %s title %q host %q rate %d tracks %v", meta.State, meta.Title, meta.Host, meta.Rate, meta.Tracks)
	}
	if meta.Dropped != 0 || len(meta.Pauses) != 1 {
		t.Fatalf("session.json: dropped %d, pauses %v", meta.Dropped, meta.Pauses)
	}
	last := got[len(got)-1].Sample
	if meta.Frames <= last || meta.Frames < 48000/2 {
		t.Fatalf("session has %d frames, last marker at %d", meta.Frames, last)
	}
	for ch, tr := range meta.Tracks {
		info, samples, err := audio.ReadWAVFile(filepath.Join(dir, tr.File))
		if err != nil {
			t.Fatal(err)
		}
		if info.Channels != 1 || info.Frames != meta.Frames {
			t.Fatalf("%s: %d channels, %d frames; session has %d", tr.File, info.Channels, info.Frames, meta.Frames)
		}
		// Before the pause the file is the ramp itself, frame for frame.
		for n := int64(0); n < meta.Pauses[0].At; n++ {
			if want := audio.RampValue(n, ch); samples[n] != want {
				t.Fatalf("%s frame %d = %v, want ramp %v", tr.File, n, samples[n], want)
			}
		}
	}
	doc, err := session.LoadDoc(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Markers) != len(got) {
		t.Fatalf("LoadDoc: %d markers, journal %d", len(doc.Markers), len(got))
	}
}

// TestGlobalHotkeyAction fires the global-hotkey path from its own
// goroutine while the meters run, as the X11 grabber does: the marker
// is placed by the engine at once and the UI learns of it through post
// (run with -race).
func TestGlobalHotkeyAction(t *testing.T) {
	var fire func(Action)
	w, drain := newTestWindow(t, Options{Dir: t.TempDir(), Host: "dana", Channels: 1, Device: "ramp"})
	w.grab = func(_ map[Action]Chord, f func(Action)) (Hotkeys, error) { fire = f; return nopHotkeys{}, nil }
	w.grabHotkeys()
	if fire == nil {
		t.Fatal("hotkeys were not grabbed")
	}
	if !strings.Contains(w.rs.hotkeys.Text, "Ctrl+Alt + 1 topic") {
		t.Fatalf("hotkey line %q", w.rs.hotkeys.Text)
	}
	w.rd.text.SetText("sponsor: Bolt")
	shortcut(w, scRecord)
	time.Sleep(200 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		fire(ActionNext) // the sponsor read from the rundown
		fire(ActionNote)
		close(done)
	}()
	for deadline := time.Now().Add(5 * time.Second); len(w.ml.ms) < 2; {
		w.onFrame(time.Now()) // the meters and clocks, as Fyne's event loop runs them
		drain()
		if time.Now().After(deadline) {
			t.Fatalf("hotkey markers did not reach the list: %v", w.ml.ms)
		}
		time.Sleep(10 * time.Millisecond)
	}
	<-done
	if w.ml.ms[0].Kind != markers.Sponsor || w.ml.ms[0].Title != "Bolt" || w.ml.ms[1].Kind != markers.Note {
		t.Fatalf("markers %+v", w.ml.ms)
	}
	if w.rundownStateForTest(0) != SegmentCurrent {
		t.Fatal("the rundown did not advance")
	}
	shortcut(w, scStop)
	drain()
	ms, _, err := markers.ReplayJournalFile(filepath.Join(w.last.Dir(), "markers.jsonl"))
	if err != nil || len(ms) != 2 {
		t.Fatalf("journal: %v %+v", err, ms)
	}
}

type nopHotkeys struct{}

func (nopHotkeys) Close() error { return nil }

// TestPrefetchedInputs: at launch the device list is read in the
// background while the window is made (prefetchInputs); the picker is
// filled from that list, not by listing again, and the hold that kept the
// audio host APIs initialized is released once, after the monitor opened.
func TestPrefetchedInputs(t *testing.T) {
	a := test.NewTempApp(t)
	w := NewWindow(a, Options{Dir: t.TempDir(), Device: "ramp", Channels: 2, Rate: 48000, TestInputs: true})
	w.post = func(func()) {}
	w.grab = func(map[Action]Chord, func(Action)) (Hotkeys, error) { return nil, ErrHotkeysUnsupported }
	t.Cleanup(w.shutdown)
	studio := inputChoice{Spec: "7", Label: "7: Studio mic (2 ch)", Channels: 2}
	released := 0
	ch := make(chan prefetchedInputs, 1)
	ch <- prefetchedInputs{devs: []inputChoice{studio, rampChoice}, release: func() error {
		released++
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.monitor == nil {
			t.Error("the hold was released before the monitor opened its device")
		}
		return nil
	}}
	w.inputs = ch
	w.win.Show()
	w.openInputs()
	if released != 1 {
		t.Fatalf("hold released %d times, want 1", released)
	}
	want := []string{"Default input", studio.Label, rampChoice.Label}
	if !slices.Equal(w.sc.device.Options, want) {
		t.Fatalf("picker %q, want the prefetched list %q", w.sc.device.Options, want)
	}
	if w.sc.device.Selected != rampChoice.Label {
		t.Fatalf("selected %q, want the preset %q", w.sc.device.Selected, rampChoice.Label)
	}
	if w.inputs != nil || w.inputsHold != nil {
		t.Fatal("the prefetched list and its hold were not let go")
	}
	// A second fill (no prefetch left) lists again and releases nothing.
	w.openInputs()
	if released != 1 {
		t.Fatalf("hold released %d times after a second fill, want 1", released)
	}
}
