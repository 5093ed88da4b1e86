package room

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRelayOutageQuiet: the relay goes away for longer than the KV
// watcher's heartbeat check (two 5 s heartbeats) and comes back on the
// same store. The host hears nothing but the link state (no "nats:
// consumer not active" for the window to show as a room problem: the
// watcher resets itself on reconnect), and a rundown proposed after the
// outage still reaches it.
func TestRelayOutageQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("an outage of 12 s")
	}
	port, store := freePort(t), t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	start := func() *Relay {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := StartRelay(ctx, RelayConfig{Listen: listen, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := start()
	url := "nats://" + listen
	l, _ := ParseLink(url + "/show/ep1")
	var mu sync.Mutex
	var logs []string
	rundowns := make(chan Rundown, 10)
	a, err := Join(Config{Link: l, Host: "alice", Rate: 48000, Dir: t.TempDir(),
		OnRundown: func(rd Rundown) { rundowns <- rd },
		Log: func(s string) {
			mu.Lock()
			logs = append(logs, s)
			mu.Unlock()
			t.Log("alice: " + s)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	waitLink := func(want LinkState) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); a.Link() != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("link %v, want %v", a.Link(), want)
			}
		}
	}
	waitLink(LinkOnline)
	for !a.Joined() {
		time.Sleep(10 * time.Millisecond)
	}
	r.Close()
	waitLink(LinkOffline)
	time.Sleep(12 * time.Second)
	r = start()
	defer r.Close()
	waitLink(LinkOnline)

	b := join(t, url, "bob", "", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := b.ProposeRundown(ctx, []string{"Intro", "News"}); err != nil {
		t.Fatal(err)
	}
	select {
	case rd := <-rundowns:
		if len(rd.Items) != 2 {
			t.Errorf("alice's rundown after the outage: %+v", rd)
		}
	case <-time.After(15 * time.Second):
		t.Error("a rundown proposed after the outage did not reach alice")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range logs {
		if strings.Contains(s, "consumer not active") {
			t.Errorf("alice was told %q", s)
		}
	}
}
