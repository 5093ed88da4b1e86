package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/markers"
)

// TestRelayLoad is a benchmark, run by scripts/bench-room.sh relay with
// PODMARK_BENCH_RELAY=DURATION: a `podmark relay` process serves 100 rooms
// of 3 members each (in this process), every member publishing presence
// every second and a marker every 10 s; the relay's CPU and RSS are sampled
// every 10 s to show whether memory stays flat.
func TestRelayLoad(t *testing.T) {
	d := os.Getenv("PODMARK_BENCH_RELAY")
	if d == "" {
		t.Skip("a benchmark: set PODMARK_BENCH_RELAY=DURATION (scripts/bench-room.sh relay)")
	}
	dur, err := time.ParseDuration(d)
	if err != nil {
		t.Fatal(err)
	}
	bin := podmarkBin(t)
	dir := t.TempDir()
	relay, url := startRelayProc(t, bin, filepath.Join(dir, "store"))
	pid := relay.Process.Pid
	const rooms, members = 100, 3
	var clients []*room.Client
	var received atomic.Int64
	for r := range rooms {
		for m := range members {
			l, _ := room.ParseLink(fmt.Sprintf("%s/load/room%03d", url, r))
			c, err := room.Join(room.Config{Link: l, Host: fmt.Sprintf("h%d", m), Rate: 48000,
				OnMarker: func(room.Received) { received.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
	}
	defer func() {
		for _, c := range clients {
			c.Close(context.Background())
		}
	}()
	waitFor(t, 5*time.Minute, func() bool {
		for _, c := range clients {
			if !c.Joined() {
				return false
			}
		}
		return true
	})
	cpu0 := procCPU(t, pid)
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sent := 0
	for i := 0; time.Since(start) < dur; i++ {
		<-tick.C
		for j, c := range clients {
			c.PublishPresence(room.Presence{State: room.StateRecording, Rate: 48000, Position: int64(i) * 48000, Elapsed: float64(i), DiskLeft: 3600})
			if (i+j)%10 == 0 {
				c.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Note, Title: "load", Sample: int64(i) * 48000, UTC: time.Now().UTC()})
				sent++
			}
		}
		if i%10 == 0 {
			t.Logf("relay at %3.0f s: RSS %6.1f MB, CPU %.1f s, markers sent %d received %d",
				time.Since(start).Seconds(), procRSS(t, pid), procCPU(t, pid)-cpu0, sent, received.Load())
		}
	}
	el := time.Since(start).Seconds()
	t.Logf("relay: %d rooms x %d members for %.0f s: CPU %.1f s (%.1f %% of a core), RSS %.1f MB at the end; markers sent %d, received %d (want %d)",
		rooms, members, el, procCPU(t, pid)-cpu0, 100*(procCPU(t, pid)-cpu0)/el, procRSS(t, pid), sent, received.Load(), 2*sent)
}

func procRSS(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func procCPU(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // USER_HZ
}
