package room

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/podmark/podmark/internal/netfault"
	"github.com/podmark/podmark/markers"
)

// TestFaults puts toxiproxy (in-process) between alice and the relay:
// 150 ms ± 30 ms latency, a 30 s outage (every byte blackholed), and a
// connection reset. Markers dropped meanwhile arrive at bob afterwards, in
// order, none lost or doubled.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the 30 s outage is not short")
	}
	r := startRelay(t, t.TempDir())
	defer r.Close()
	proxy := netfault.Start(t, "relay", r.Addr().String())
	var alog logBuf
	link, _ := ParseLink("nats://" + proxy.Listen + "/show/ep1")
	a, err := Join(Config{Link: link, Host: "alice", Rate: 48000, Dir: t.TempDir(), Log: alog.log})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	bIn := newInbox()
	b := join(t, "nats://"+r.Addr().String(), "bob", t.TempDir(), bIn.add)
	waitUntil(t, 20*time.Second, func() bool { return a.Joined() && b.Joined() })

	n := 0
	send := func(k int) {
		for range k {
			a.MarkerAdded(markers.Marker{ID: fmt.Sprintf("m%04d", n), Kind: markers.Note, Title: fmt.Sprint(n), Sample: int64(n), UTC: time.Now().UTC()})
			n++
		}
	}

	// Latency 150 ms ± 30 ms each way.
	proxy.Both(t, "lat", "latency", `{"latency":150,"jitter":30}`)
	var lat []time.Duration
	for range 20 {
		time.Sleep(400 * time.Millisecond) // the previous event's ack is back: one event is in flight at a time
		sent := time.Now()
		send(1)
		bIn.waitN(t, n, 10*time.Second)
		lat = append(lat, time.Since(sent))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("with 150±30 ms added: p50 %v, max %v", lat[len(lat)/2], lat[len(lat)-1])
	proxy.RemoveBoth(t, "lat")

	// A 30 s outage: everything blackholed.
	proxy.Outage(t)
	waitUntil(t, 10*time.Second, func() bool { return a.Link() == LinkOffline })
	for range 30 {
		send(1)
		time.Sleep(time.Second)
	}
	if a.Pending() == 0 {
		t.Error("nothing pending during the outage")
	}
	proxy.EndOutage(t)
	bIn.waitN(t, n, 60*time.Second)

	// A connection reset.
	proxy.Add(t, "reset", "reset_peer", "downstream", `{"timeout":0}`)
	send(10)
	time.Sleep(2 * time.Second)
	proxy.Remove(t, "reset")
	got := bIn.waitN(t, n, 60*time.Second)
	time.Sleep(time.Second)
	bIn.mu.Lock()
	total := len(bIn.got)
	bIn.mu.Unlock()
	if total != n {
		t.Errorf("bob received %d events, want %d", total, n)
	}
	for i, g := range got[:n] {
		if g.ID != fmt.Sprintf("m%04d", i) {
			t.Fatalf("event %d is %s: lost or out of order", i, g.ID)
		}
	}
	t.Logf("alice's log:\n%s", alog.String())
}
