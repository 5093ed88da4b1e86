package room

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"

	"github.com/podmark/podmark/internal/netfault"
)

// benchLatency sends count markers from alice (through addr) to bob, each
// after the previous one arrived, and reports p50 and p99 host-to-host.
func benchLatency(b *testing.B, r *Relay, aliceURL string, count int, gap time.Duration) {
	bIn := newInbox()
	link, _ := ParseLink(aliceURL + "/show/bench")
	a, err := Join(Config{Link: link, Host: "alice", Rate: 48000})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	bl, _ := ParseLink("nats://" + r.Addr().String() + "/show/bench")
	bc, err := Join(Config{Link: bl, Host: "bob", Rate: 48000, OnMarker: bIn.add})
	if err != nil {
		b.Fatal(err)
	}
	defer bc.Close(context.Background())
	for !a.Joined() || !bc.Joined() {
		time.Sleep(10 * time.Millisecond)
	}
	b.ResetTimer()
	var lat []time.Duration
	for range b.N {
		for i := range count {
			time.Sleep(gap)
			sent := time.Now()
			a.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Note, Title: fmt.Sprint(i), Sample: int64(i), UTC: time.Now().UTC()})
			<-bIn.ch
			lat = append(lat, time.Since(sent))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkMarkerLatency: 1,000 markers host to host on loopback.
func BenchmarkMarkerLatency(b *testing.B) {
	r, err := StartRelay(context.Background(), RelayConfig{Listen: "127.0.0.1:0", Store: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchLatency(b, r, "nats://"+r.Addr().String(), 1000, 0)
}

// BenchmarkMarkerLatency150ms: 200 markers, 400 ms apart, with 150 ms ± 30 ms
// added each way between alice and the relay by toxiproxy.
func BenchmarkMarkerLatency150ms(b *testing.B) {
	r, err := StartRelay(context.Background(), RelayConfig{Listen: "127.0.0.1:0", Store: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	proxy := netfault.Start(b, "relay", r.Addr().String())
	proxy.Both(b, "lat", "latency", `{"latency":150,"jitter":30}`)
	benchLatency(b, r, "nats://"+proxy.Listen, 200, 400*time.Millisecond)
}
