package room

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

func testEvent(i int) MarkerEvent {
	return NewMarkerEvent(OpAdd, "alice", 48000, markers.Marker{ID: markers.NewID(), Kind: markers.Note,
		Title: fmt.Sprintf("n%d", i), Sample: int64(i) * 480, UTC: time.Now().UTC()})
}

var testOutboxRoom = OutboxRoom{Server: "nats://127.0.0.1:4222", Show: "show", Episode: "ep1", Host: "alice"}

// TestOutboxFile: what is appended and acknowledged reads back as the
// events still pending, in order; the file is cut back to its header when
// nothing is pending and rewritten after outboxCompact acknowledgements.
func TestOutboxFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, filepath.FromSlash(OutboxFile))
	o, left, err := openOutbox(dir, testOutboxRoom)
	if err != nil || len(left) != 0 {
		t.Fatalf("new outbox: %v, %d left", err, len(left))
	}
	const n = outboxCompact + 44
	var q []MarkerEvent
	for i := range n {
		e := testEvent(i)
		q = append(q, e)
		if err := o.add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.sync(); err != nil {
		t.Fatal(err)
	}
	lines := func() int { b, _ := os.ReadFile(path); return bytes.Count(b, []byte("\n")) }
	if got := lines(); got != 1+n {
		t.Fatalf("%d lines after %d adds, want %d", got, n, 1+n)
	}
	for k := range 10 {
		e := q[0]
		q = q[1:]
		if err := o.acked(e.EventID, q); err != nil {
			t.Fatal(err)
		}
		if ob, err := ReadOutbox(path); err != nil || len(ob.Pending) != n-k-1 || ob.Pending[0].EventID != q[0].EventID || ob.Room != testOutboxRoom {
			t.Fatalf("after %d acks: %d pending (first %v), room %+v, %v", k+1, len(ob.Pending), ob.Pending[0].Title, ob.Room, err)
		}
	}
	for len(q) > 40 {
		e := q[0]
		q = q[1:]
		if err := o.acked(e.EventID, q); err != nil {
			t.Fatal(err)
		}
	}
	// 260 acks: rewritten once at 256 with what was pending then (44), and 4 acks since.
	if got := lines(); got != 1+44+4 {
		t.Errorf("%d lines after compaction, want 49", got)
	}
	for len(q) > 0 {
		e := q[0]
		q = q[1:]
		if err := o.acked(e.EventID, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := lines(); got != 1 {
		t.Errorf("%d lines with nothing pending, want the header alone", got)
	}
	if err := o.close(); err != nil {
		t.Fatal(err)
	}

	// A second open keeps what is pending; another room's pending events are refused.
	o, _, _ = openOutbox(dir, testOutboxRoom)
	e := testEvent(1)
	o.add(e)
	o.close()
	if _, left, err := openOutbox(dir, testOutboxRoom); err != nil || len(left) != 1 || left[0].EventID != e.EventID {
		t.Fatalf("reopened: %v, %v", left, err)
	}
	other := testOutboxRoom
	other.Episode = "ep2"
	if _, _, err := openOutbox(dir, other); err == nil || !strings.Contains(err.Error(), "room sync") || !strings.Contains(err.Error(), path) {
		t.Errorf("another room's outbox: %v", err)
	}
}

// TestReadOutbox: a torn last line is ignored; anything else that is not
// an outbox line is an error naming the file and line.
func TestReadOutbox(t *testing.T) {
	e1, e2 := testEvent(1), testEvent(2)
	line := func(l outboxLine) string {
		l.V = Version
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	head := line(outboxLine{Outbox: &testOutboxRoom})
	ev := func(e MarkerEvent) string { return line(outboxLine{Event: &e}) }
	ack := func(e MarkerEvent) string { return line(outboxLine{Ack: e.EventID}) }
	tests := []struct {
		name    string
		in      string
		pending []string // titles
		err     string   // substring; "" = none
	}{
		{"empty outbox", head, nil, ""},
		{"two pending", head + ev(e1) + ev(e2), []string{"n1", "n2"}, ""},
		{"one acked", head + ev(e1) + ev(e2) + ack(e1), []string{"n2"}, ""},
		{"torn tail", head + ev(e1) + strings.TrimSuffix(ev(e2), "\n")[:40], []string{"n1"}, ""},
		{"whole tail without newline", head + ev(e1) + strings.TrimSuffix(ev(e2), "\n"), []string{"n1", "n2"}, ""},
		{"bad middle line", head + "{not json}\n" + ev(e1), nil, ":2:"},
		{"no header", ev(e1), nil, ":1:"},
		{"two headers", head + head, nil, ":2:"},
		{"unknown field", head + `{"v":1,"ack":"x","extra":1}` + "\n", nil, ":2:"},
		{"newer version", head + strings.Replace(ev(e1), `"v":1,`, `"v":2,`, 1) + ev(e2), nil, ":2:"},
		{"bad event", head + strings.Replace(ev(e1), `"op":"add"`, `"op":"zap"`, 1) + ev(e2), nil, ":2:"},
		{"empty file", "", nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox.jsonl")
			if err := os.WriteFile(path, []byte(tt.in), 0o644); err != nil {
				t.Fatal(err)
			}
			ob, err := ReadOutbox(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), path+tt.err) && !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range ob.Pending {
				got = append(got, e.Title)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.pending) {
				t.Errorf("pending %v, want %v", got, tt.pending)
			}
		})
	}
}

// TestOutboxSentAfterRestart: alice's podmark marks while the relay is
// down and ends without the room (killed, or closed with events pending);
// the events wait in her outbox, and SendOutbox delivers each to bob once,
// even the ones the relay had already stored (an ack lost on the way).
func TestOutboxSentAfterRestart(t *testing.T) {
	port := freePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	l, _ := ParseLink(url + "/show/ep1")
	aDir := t.TempDir()
	cfg := Config{Link: l, Host: "alice", Rate: 48000, Dir: aDir, Log: func(s string) { t.Log("alice: " + s) }}
	a, err := Join(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sent []MarkerEvent
	for i := range 5 {
		m := markers.Marker{ID: markers.NewID(), Kind: markers.Note, Title: fmt.Sprintf("offline %d", i), Sample: int64(i) * 4800, UTC: time.Now().UTC()}
		a.MarkerAdded(m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = a.Close(ctx)
	cancel()
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("close with the relay down: %v, want 5 unsent", err)
	}
	n, r, err := OutboxPending(aDir)
	if err != nil || n != 5 || r.Link() != url+"/show/ep1" || r.Host != "alice" {
		t.Fatalf("outbox after close: %d pending for %+v, %v", n, r, err)
	}
	ob, _ := ReadOutbox(filepath.Join(aDir, filepath.FromSlash(OutboxFile)))
	sent = ob.Pending

	relay, err := StartRelay(context.Background(), RelayConfig{Listen: fmt.Sprintf("127.0.0.1:%d", port), Store: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	bIn := newInbox()
	join(t, url, "bob", t.TempDir(), bIn.add)
	bob2 := join(t, url, "carol", t.TempDir(), nil)
	bob2.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Topic, Title: "from carol", UTC: time.Now().UTC()})

	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := SendOutbox(ctx, cfg)
	if err != nil || res.Sent != 5 || res.Received != 1 {
		t.Fatalf("SendOutbox: %+v, %v; want 5 sent, carol's 1 received", res, err)
	}
	bIn.waitN(t, 6, 10*time.Second)
	rec, err := ReadRecord(filepath.Join(aDir, filepath.FromSlash(RecordFile)))
	if err != nil || len(rec) != 1 || rec[0].Title != "from carol" {
		t.Errorf("alice's room record after the sync: %+v, %v", rec, err)
	}

	// The relay stored them, but say alice never heard: the same events
	// are in her outbox again. Sent again, stored once.
	o, _, err := openOutbox(aDir, testOutboxRoom)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sent[3:] {
		o.add(e)
	}
	o.close()
	res, err = SendOutbox(ctx, cfg)
	if err != nil || res.Sent != 2 || res.Received != 0 {
		t.Fatalf("SendOutbox again: %+v, %v; want 2 sent, 0 received", res, err)
	}
	if n, _, _ := OutboxPending(aDir); n != 0 {
		t.Errorf("%d still pending after the sync", n)
	}
	time.Sleep(500 * time.Millisecond)
	got := bIn.waitN(t, 6, time.Second)
	var titles []string
	for _, g := range got {
		if g.Author == "alice" {
			titles = append(titles, g.Title)
		}
	}
	if len(got) != 6 || fmt.Sprint(titles) != "[offline 0 offline 1 offline 2 offline 3 offline 4]" {
		t.Errorf("bob received %d events, alice's %v; want carol's and alice's 5 in order, once each", len(got), titles)
	}
}

// FuzzReadOutbox: no outbox file content panics ReadOutbox, and every
// event it returns as pending is a valid one.
func FuzzReadOutbox(f *testing.F) {
	e := testEvent(1)
	b, _ := json.Marshal(outboxLine{V: Version, Event: &e})
	h, _ := json.Marshal(outboxLine{V: Version, Outbox: &testOutboxRoom})
	a, _ := json.Marshal(outboxLine{V: Version, Ack: e.EventID})
	f.Add(string(h) + "\n" + string(b) + "\n")
	f.Add(string(h) + "\n" + string(b) + "\n" + string(a) + "\n")
	f.Add(string(h) + "\n" + string(b[:len(b)/2]))
	f.Add("{}\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in string) {
		path := filepath.Join(dir, "outbox.jsonl")
		if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		ob, err := ReadOutbox(path)
		if err != nil {
			return
		}
		for _, e := range ob.Pending {
			if err := e.Validate(); err != nil {
				t.Fatalf("pending event %+v: %v", e, err)
			}
		}
	})
}
