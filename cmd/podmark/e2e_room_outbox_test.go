package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/markers"
)

// TestE2ERoomOutboxAfterKill: alice's `podmark record --room` is killed
// (SIGKILL) while the relay is down, with markers acknowledged to her but
// not yet to the room. They wait in her room/outbox.jsonl; once the relay is
// back, `podmark room sync DIR` sends them, and the room holds every one of
// her markers exactly once, in order.
func TestE2ERoomOutboxAfterKill(t *testing.T) {
	bin := podmarkBin(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	port := freeLoopbackPort(t)
	relay := startFixedRelay(t, bin, store, port)
	link := fmt.Sprintf("nats://127.0.0.1:%d/show/ep1", port)
	aliceDir := filepath.Join(dir, "alice")
	a := startRoomChild(t, bin, "--out", aliceDir, "--device", "ramp", "--host", "alice", "--room", link)
	b := startRoomChild(t, bin, "--out", filepath.Join(dir, "bob"), "--device", "ramp", "--host", "bob", "--room", link)
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(b.stderr.String(), "alice is recording") })
	for i := range 3 {
		a.send(t, fmt.Sprintf("note online %d", i))
		a.next(t, false, 5*time.Second)
	}
	for range 3 {
		b.next(t, true, 5*time.Second)
	}
	relay.kill(t)
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(a.stderr.String(), ": offline") })
	for i := range 4 {
		a.send(t, fmt.Sprintf("note offline %d", i))
		a.next(t, false, 5*time.Second) // acknowledged to alice at once
	}
	a.kill(t) // SIGKILL: no goodbye
	n, ob, err := room.OutboxPending(aliceDir)
	if err != nil || n != 4 || ob.Link() != link || ob.Host != "alice" {
		t.Fatalf("alice's outbox after the kill: %d pending for %+v, %v; want the 4 offline markers", n, ob, err)
	}

	// After the crash the host runs recover, which says what to do.
	if out, err := exec.Command(bin, "recover", aliceDir).CombinedOutput(); err != nil || !strings.Contains(string(out), "4 marker event(s) never reached the room") ||
		!strings.Contains(string(out), "podmark room sync "+aliceDir) {
		t.Errorf("recover: %v\n%s", err, out)
	}
	startFixedRelay(t, bin, store, port)
	out, err := exec.Command(bin, "room", "sync", aliceDir).CombinedOutput()
	if err != nil {
		t.Fatalf("room sync: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sent 4 marker event(s)") {
		t.Errorf("room sync said:\n%s", out)
	}
	for i := range 4 {
		if l := b.next(t, true, 10*time.Second); l.Title != fmt.Sprintf("offline %d", i) {
			t.Errorf("bob's event %d after the sync: %+v", i, l)
		}
	}
	// Again: nothing left to send.
	out, err = exec.Command(bin, "room", "sync", aliceDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sent 0 marker event(s)") {
		t.Errorf("second room sync: %v\n%s", err, out)
	}
	b.stop(t)
	for l := range b.lines {
		if l.Author != "" {
			t.Errorf("bob got an extra event: %+v", l)
		}
	}

	// The room (as the editor sees it) has each of alice's markers once.
	watch, err := exec.Command(bin, "room", "watch", link, "--for", "3s").Output()
	if err != nil {
		t.Fatalf("room watch: %v", err)
	}
	count := map[string]int{}
	var titles []string
	for _, l := range strings.Split(strings.TrimSpace(string(watch)), "\n") {
		var ev struct {
			Event  string         `json:"event"`
			Marker *room.Received `json:"marker"`
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("room watch line %q: %v", l, err)
		}
		if ev.Event == "marker" && ev.Marker.Author == "alice" {
			count[ev.Marker.ID]++
			titles = append(titles, ev.Marker.Title)
		}
	}
	journal, _, err := markers.ReplayJournalFile(filepath.Join(aliceDir, "markers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != 7 || len(count) != 7 {
		t.Fatalf("alice's journal has %d markers, the room %d; want 7 each", len(journal), len(count))
	}
	for _, m := range journal {
		if count[m.ID] != 1 {
			t.Errorf("alice's marker %q is in the room %d times, want once", m.Title, count[m.ID])
		}
	}
	if want := "[online 0 online 1 online 2 offline 0 offline 1 offline 2 offline 3]"; fmt.Sprint(titles) != want {
		t.Errorf("the room's order %v, want %s", titles, want)
	}
}
