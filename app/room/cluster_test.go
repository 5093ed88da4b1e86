package room

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestClusterNodeKilled: a three-node JetStream cluster of embedded relays,
// the room's stream with three replicas; the node the hosts dialled is
// killed mid-show; markers keep flowing, none lost or doubled.
func TestClusterNodeKilled(t *testing.T) {
	dir := t.TempDir()
	client := []int{freePort(t), freePort(t), freePort(t)}
	routes := []int{freePort(t), freePort(t), freePort(t)}
	var relays [3]*Relay
	errs := make(chan error, 3)
	for i := range 3 {
		var rs []string
		for j := range 3 {
			if j != i {
				rs = append(rs, fmt.Sprintf("nats-route://127.0.0.1:%d", routes[j]))
			}
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r, err := StartRelay(ctx, RelayConfig{
				Listen: fmt.Sprintf("127.0.0.1:%d", client[i]), Store: filepath.Join(dir, fmt.Sprint(i)),
				Name:    fmt.Sprintf("node%d", i),
				Cluster: &ClusterConfig{Name: "podmark-test", Listen: fmt.Sprintf("127.0.0.1:%d", routes[i]), Routes: rs},
			})
			relays[i] = r
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, r := range relays[1:] {
			r.Close()
		}
	}()
	link, _ := ParseLink(fmt.Sprintf("nats://127.0.0.1:%d/show/ep1", client[0]))
	joinR3 := func(host string, in *inbox) *Client {
		cfg := Config{Link: link, Host: host, Rate: 48000, Dir: t.TempDir(), Replicas: 3, Log: func(s string) { t.Log(host + ": " + s) }}
		if in != nil {
			cfg.OnMarker = in.add
		}
		c, err := Join(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	bIn := newInbox()
	a := joinR3("alice", nil)
	b := joinR3("bob", bIn)
	waitUntil(t, 60*time.Second, func() bool { return a.Joined() && b.Joined() })
	const n = 60
	for i := range n {
		if i == n/2 {
			relays[0].Server().Shutdown() // the node both hosts dialled
		}
		a.MarkerAdded(markers.Marker{ID: fmt.Sprintf("m%03d", i), Kind: markers.Note, Title: fmt.Sprint(i), Sample: int64(i), UTC: time.Now().UTC()})
		time.Sleep(20 * time.Millisecond)
	}
	got := bIn.waitN(t, n, 60*time.Second)
	time.Sleep(500 * time.Millisecond)
	bIn.mu.Lock()
	total := len(bIn.got)
	bIn.mu.Unlock()
	if total != n {
		t.Errorf("bob received %d events, want %d (none doubled)", total, n)
	}
	for i, g := range got[:n] {
		if g.ID != fmt.Sprintf("m%03d", i) {
			t.Fatalf("event %d is %s: out of order or lost", i, g.ID)
		}
	}
}
