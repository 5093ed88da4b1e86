package room

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestNoEcho: a member's connection is made without echo: each host receives
// the others' presence and never its own, while what comes back through
// JetStream (the rundown both watch) still arrives; and an idle member
// publishing its presence receives next to nothing (no echoes, the marker
// consumer's heartbeat every 10 s): each message received wakes the
// process.
func TestNoEcho(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	url := "nats://" + r.Addr().String()
	l, _ := ParseLink(url + "/show/ep1")
	var mu sync.Mutex
	seen := map[string]map[string]int{} // receiver → sender → presences
	rundowns := map[string]int{}        // receiver → rundown changes seen
	clients := map[string]*Client{}
	for _, h := range []string{"alice", "bob"} {
		seen[h] = map[string]int{}
		c, err := Join(Config{Link: l, Host: h, Rate: 48000,
			OnPresence: func(p Presence) { mu.Lock(); seen[h][p.Host]++; mu.Unlock() },
			OnRundown:  func(Rundown) { mu.Lock(); rundowns[h]++; mu.Unlock() },
			Log:        func(s string) { t.Log(h + ": " + s) }})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		clients[h] = c
	}
	waitUntil(t, 20*time.Second, func() bool { return clients["alice"].Joined() && clients["bob"].Joined() })
	for range 3 {
		for _, c := range clients {
			if err := c.PublishPresence(Presence{State: StateRecording, Rate: 48000, DiskLeft: -1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := clients["alice"].ProposeRundown(ctx, []string{"Intro", "News"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["alice"]["bob"] == 3 && seen["bob"]["alice"] == 3 && rundowns["alice"] > 0 && rundowns["bob"] > 0
	})
	time.Sleep(300 * time.Millisecond) // an echo would have come by now
	mu.Lock()
	for _, tc := range []struct {
		receiver, sender string
		want             int
	}{
		{"alice", "bob", 3},
		{"bob", "alice", 3},
		{"alice", "alice", 0},
		{"bob", "bob", 0},
	} {
		if got := seen[tc.receiver][tc.sender]; got != tc.want {
			t.Errorf("%s received %d presences from %s, want %d", tc.receiver, got, tc.sender, tc.want)
		}
	}
	mu.Unlock()

	// Idle: alice publishes presence twice a second for 5 s, nobody else
	// publishes anything.
	nc := clients["alice"].nc
	in := nc.Stats().InMsgs
	for range 10 {
		if err := clients["alice"].PublishPresence(Presence{State: StateRecording, Rate: 48000, DiskLeft: -1}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// In a little over 5 s: at most one heartbeat of the marker consumer
	// (10 s), two of the rundown watch (nats.go's 5 s) and the end of one
	// 30 s pull request. With echo there were 10 more; with the former 2 s
	// heartbeat, 2 more.
	if got := nc.Stats().InMsgs - in; got > 4 {
		t.Errorf("idle alice received %d messages in 5 s, want at most 4", got)
	}
}
