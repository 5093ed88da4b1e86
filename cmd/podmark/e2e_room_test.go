package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/markers"
)

// roomLine is any JSON line `podmark record --room` prints: its own acks
// (no author) and the other hosts' marker events (author set).
type roomLine struct {
	Author string  `json:"author"`
	Op     string  `json:"op"`
	ID     string  `json:"id"`
	Kind   string  `json:"kind"`
	Title  string  `json:"title"`
	Sample int64   `json:"sample"`
	At     float64 `json:"at"`
	seen   time.Time
}

type roomChild struct {
	*child
	stdin io.WriteCloser
	lines chan roomLine // closed when stdout ends
}

func startRoomChild(t *testing.T, bin string, args ...string) *roomChild {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"record"}, args...)...)
	c := &roomChild{lines: make(chan roomLine, 4096)}
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	c.child = startChild(t, cmd, func(b []byte) {
		var l roomLine
		if err := json.Unmarshal(b, &l); err != nil {
			t.Errorf("stdout line %q: %v", b, err)
			return
		}
		l.seen = time.Now()
		c.lines <- l
	}, func() { close(c.lines) })
	return c
}

func (c *roomChild) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// next returns the next stdout line that matches (own ack: author "").
func (c *roomChild) next(t *testing.T, remote bool, within time.Duration) roomLine {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("stdout ended; stderr:\n%s", c.stderr.String())
			}
			if (l.Author != "") == remote {
				return l
			}
		case <-deadline:
			t.Fatalf("no line (remote=%v) within %v; stderr:\n%s", remote, within, c.stderr.String())
		}
	}
}

func (c *roomChild) stop(t *testing.T) {
	t.Helper()
	stopAndWait(t, c, 20*time.Second)
}

// startRelayProc runs `podmark relay` on a free loopback port and returns
// it with its URL.
func startRelayProc(t *testing.T, bin, store string, args ...string) (*child, string) {
	t.Helper()
	return startRelayCmd(t, exec.Command(bin, relayArgs("127.0.0.1:0", store, args...)...))
}

// TestE2ERoomTwoHosts: two `podmark record --room` and a `podmark relay`:
// markers, renames and deletes from each reach the other and its room/
// record; both send `next` at once: one marker, the rundown advanced once.
func TestE2ERoomTwoHosts(t *testing.T) {
	bin := podmarkBin(t)
	dir := t.TempDir()
	_, url := startRelayProc(t, bin, filepath.Join(dir, "store"))
	link := url + "/show/ep1"
	rd := filepath.Join(dir, "rundown.txt")
	if err := os.WriteFile(rd, []byte("Intro\nNews\n# a comment\nOutro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startRoomChild(t, bin, "--out", filepath.Join(dir, "alice"), "--device", "ramp", "--host", "alice", "--room", link, "--rundown", rd)
	b := startRoomChild(t, bin, "--out", filepath.Join(dir, "bob"), "--device", "ramp", "--host", "bob", "--room", link, "--rundown", rd)
	waitFor(t, 20*time.Second, func() bool {
		return strings.Contains(a.stderr.String(), "bob is recording") && strings.Contains(b.stderr.String(), "alice is recording")
	})

	var lat []time.Duration
	hop := func(from, to *roomChild, cmd, wantOp string) roomLine {
		t.Helper()
		from.send(t, cmd)
		var sent time.Time
		if wantOp == "add" {
			sent = from.next(t, false, 5*time.Second).seen
		} else {
			sent = time.Now()
		}
		got := to.next(t, true, 5*time.Second)
		if got.Op != wantOp {
			t.Fatalf("%q: received %+v, want op %s", cmd, got, wantOp)
		}
		lat = append(lat, got.seen.Sub(sent))
		return got
	}
	m1 := hop(a, b, "topic Hello from alice", "add")
	if m1.Author != "alice" || m1.Title != "Hello from alice" || m1.Kind != "topic" {
		t.Errorf("bob got %+v", m1)
	}
	hop(a, b, "rename "+m1.ID+" Welcome", "update")
	m2 := hop(b, a, "note from bob", "add")
	hop(b, a, "move "+m2.ID+" 0.5", "update")
	hop(b, a, "delete "+m2.ID, "delete")
	for range 20 {
		hop(a, b, "edit cough", "add")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("host-to-host latency over %d events: p50 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])
	if p50 := lat[len(lat)/2]; p50 > 200*time.Millisecond {
		t.Errorf("median host-to-host latency %v, want within 200 ms", p50)
	}

	// Both press next at the same instant, three times.
	for round := range 3 {
		var wg sync.WaitGroup
		for _, c := range []*roomChild{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); c.send(t, "next") }()
		}
		wg.Wait()
		time.Sleep(room.NextWindow + 300*time.Millisecond)
		_ = round
	}
	// The editor: room watch prints the show so far as JSON lines, room
	// markers writes everyone's markers on alice's timeline.
	watch, err := exec.Command(bin, "room", "watch", link, "--for", "3s").Output()
	if err != nil {
		t.Fatalf("room watch: %v", err)
	}
	kinds := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(watch)), "\n") {
		var ev struct {
			Event  string         `json:"event"`
			Marker *room.Received `json:"marker"`
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("room watch line %q: %v", l, err)
		}
		kinds[ev.Event]++
		if ev.Event == "marker" && (ev.Marker == nil || ev.Marker.Author == "") {
			t.Errorf("room watch marker without author: %s", l)
		}
	}
	if kinds["marker"] < 26 || kinds["presence"] < 2 || kinds["rundown"] < 1 {
		t.Errorf("room watch printed %v", kinds)
	}
	out := filepath.Join(dir, "room.json")
	if msg, err := exec.Command(bin, "room", "markers", link, "--timeline", "alice", "--to", "podmark", out).CombinedOutput(); err != nil {
		t.Fatalf("room markers: %v\n%s", err, msg)
	} else if !strings.Contains(string(msg), "(clock)") {
		t.Errorf("room markers did not use the shared clock: %s", msg)
	}
	var doc markers.Doc
	if b, err := os.ReadFile(out); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	authors := map[string]int{}
	for _, m := range doc.Markers {
		authors[m.Author]++
	}
	// alice: her topic and 20 edits; bob's note was deleted; the three
	// rundown markers go to whoever won each round (either host may win
	// all three).
	if authors["alice"] < 21 || authors["alice"]+authors["bob"] != 24 || len(authors) > 2 {
		t.Errorf("room markers wrote %v, want alice's 21 and the 3 rundown markers", authors)
	}

	a.stop(t)
	b.stop(t)

	// Journals: exactly three rundown topic markers between the two hosts.
	var topics []string
	for _, h := range []string{"alice", "bob"} {
		ms, _, err := markers.ReplayJournalFile(filepath.Join(dir, h, "markers.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Kind == markers.Topic && m.Title != "Welcome" {
				topics = append(topics, m.Title)
			}
		}
	}
	sort.Strings(topics)
	if fmt.Sprint(topics) != "[Intro News Outro]" {
		t.Errorf("rundown topic markers %v, want one each of Intro, News, Outro", topics)
	}

	// Each host's room/ record replays to the other's markers.
	recB, err := room.ReadRecord(filepath.Join(dir, "bob", room.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	msB, _ := room.Replay(recB)
	aliceJ, _, _ := markers.ReplayJournalFile(filepath.Join(dir, "alice", "markers.jsonl"))
	if len(msB) != len(aliceJ) {
		t.Errorf("bob's room record has %d of alice's markers, alice's journal %d", len(msB), len(aliceJ))
	}
	byID := map[string]markers.Marker{}
	for _, m := range msB {
		byID[m.ID] = m
	}
	for _, m := range aliceJ {
		if g, ok := byID[m.ID]; !ok || g.Title != m.Title || g.Sample != m.Sample || g.Author != "alice" {
			t.Errorf("alice's %+v: bob's record has %+v", m, g)
		}
	}
	recA, err := room.ReadRecord(filepath.Join(dir, "alice", room.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	msA, _ := room.Replay(recA)
	for _, m := range msA {
		if m.ID == m2.ID {
			t.Errorf("bob's deleted marker is still in alice's room record")
		}
	}
}

func waitFor(t *testing.T, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestE2ERoomRelayKilled: the relay is SIGKILLed mid-show and restarted on
// the same port and store; markers dropped meanwhile arrive afterwards, in
// order, none lost or doubled, and the recordings go on.
func TestE2ERoomRelayKilled(t *testing.T) {
	bin := podmarkBin(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	port := freeLoopbackPort(t)
	relay := startFixedRelay(t, bin, store, port)
	link := fmt.Sprintf("nats://127.0.0.1:%d/show/ep1", port)
	a := startRoomChild(t, bin, "--out", filepath.Join(dir, "alice"), "--device", "ramp", "--host", "alice", "--room", link)
	b := startRoomChild(t, bin, "--out", filepath.Join(dir, "bob"), "--device", "ramp", "--host", "bob", "--room", link)
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(b.stderr.String(), "alice is recording") })
	for i := range 10 {
		a.send(t, fmt.Sprintf("note before %d", i))
	}
	for range 10 {
		b.next(t, true, 5*time.Second)
	}
	relay.kill(t) // SIGKILL
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(a.stderr.String(), ": offline") })
	for i := range 10 {
		a.send(t, fmt.Sprintf("note offline %d", i))
		a.next(t, false, 5*time.Second) // acknowledged locally while the room is down
	}
	time.Sleep(2 * time.Second)
	startFixedRelay(t, bin, store, port)
	var titles []string
	for range 10 {
		titles = append(titles, b.next(t, true, 30*time.Second).Title)
	}
	for i, ti := range titles {
		if want := fmt.Sprintf("offline %d", i); ti != want {
			t.Errorf("after the restart bob's event %d is %q, want %q", i, ti, want)
		}
	}
	a.stop(t)
	b.stop(t)
	for l := range b.lines {
		if l.Author != "" {
			t.Errorf("bob got an extra event after the restart: %+v", l)
		}
	}
	rec, err := room.ReadRecord(filepath.Join(dir, "bob", room.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 20 {
		t.Errorf("bob's room record has %d events, want 20", len(rec))
	}
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestE2ERoomUnreachable: with the room's server down, recording starts at
// once and says so; the tracks are exactly as long as without a room, the
// journal holds every marker, and the room is joined when the relay comes up.
func TestE2ERoomUnreachable(t *testing.T) {
	bin := podmarkBin(t)
	dir := t.TempDir()
	port := freeLoopbackPort(t)
	link := fmt.Sprintf("nats://127.0.0.1:%d/show/ep1", port)
	run := func(name string, room bool) (string, *lockedBuffer) {
		args := []string{"record", "--out", filepath.Join(dir, name), "--device", "ramp", "--host", name, "--duration", "8s"}
		if room {
			args = append(args, "--room", link)
		}
		cmd := exec.Command(bin, args...)
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		errb := &lockedBuffer{}
		cmd.Stderr, cmd.Stdout = errb, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := range 5 {
				time.Sleep(500 * time.Millisecond)
				fmt.Fprintf(in, "note %d\n", i)
			}
		}()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if room {
			waitFor(t, 10*time.Second, func() bool { return strings.Contains(errb.String(), "not reachable yet; recording anyway") })
			startFixedRelay(t, bin, filepath.Join(dir, "store"), port)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not finish", name)
		}
		in.Close()
		return filepath.Join(dir, name), errb
	}
	plain, _ := run("plain", false)
	roomed, errb := run("roomed", true)
	if !strings.Contains(errb.String(), ": online") {
		t.Errorf("the room was not joined once the relay came up:\n%s", errb.String())
	}
	size := func(d, host string) int64 {
		fi, err := os.Stat(filepath.Join(d, "tracks", host+"-1.wav"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// --duration cuts at exactly 8 s of frames, so the two tracks are the
	// same length to the byte, room or not.
	if a, b := size(plain, "plain"), size(roomed, "roomed"); a != b {
		t.Errorf("track with a room %d bytes, without %d", b, a)
	}
	ms, _, err := markers.ReplayJournalFile(filepath.Join(roomed, "markers.jsonl"))
	if err != nil || len(ms) != 5 {
		t.Errorf("journal with an unreachable room: %d markers, %v", len(ms), err)
	}
}

// startFixedRelay runs `podmark relay` on the given loopback port (to be
// killed and restarted on the same address) and returns once it serves.
func startFixedRelay(t *testing.T, bin, store string, port int) *child {
	t.Helper()
	c, _ := startRelayCmd(t, exec.Command(bin, relayArgs(fmt.Sprintf("127.0.0.1:%d", port), store)...))
	return c
}
