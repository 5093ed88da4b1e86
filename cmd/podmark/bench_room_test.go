package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/markers"
)

// TestRelayLoad is a benchmark, run by scripts/bench-room.sh relay with
// PODMARK_BENCH_RELAY=DURATION: a `podmark relay` process serves 100 rooms
// of 3 members each (in this process), every member publishing presence
// every second and a marker every 10 s. Every 10 s it samples the relay's
// RSS, its live Go heap (the last GC's, from GODEBUG=gctrace=1) and CPU,
// prints the series, and judges whether memory is flat: over the second
// half of the run (after the warm-up) the live heap must stay within
// relayFlat of its mean and RSS must not keep climbing. It fails when not.
func TestRelayLoad(t *testing.T) {
	d := os.Getenv("PODMARK_BENCH_RELAY")
	if d == "" {
		t.Skip("a benchmark: set PODMARK_BENCH_RELAY=DURATION (scripts/bench-room.sh relay)")
	}
	dur, err := time.ParseDuration(d)
	if err != nil {
		t.Fatal(err)
	}
	// PODMARK_BENCH_RELAY_EVERY: how often each member drops a marker
	// (default 10s). Faster fills the relay's bounded caches sooner (see
	// docs/benchmarks.md).
	every := 10
	if e := os.Getenv("PODMARK_BENCH_RELAY_EVERY"); e != "" {
		ed, err := time.ParseDuration(e)
		if err != nil || ed < time.Second || ed%time.Second != 0 {
			t.Fatalf("PODMARK_BENCH_RELAY_EVERY=%q: want whole seconds", e)
		}
		every = int(ed / time.Second)
	}
	// PODMARK_BENCH_RELAY_WARMUP: a first phase (not judged) in which every
	// member drops a marker every second, filling the relay's bounded
	// per-connection caches (docs/benchmarks.md) that the load above fills
	// only after about 43 minutes; the DURATION measured follows it.
	var warm time.Duration
	if w := os.Getenv("PODMARK_BENCH_RELAY_WARMUP"); w != "" {
		if warm, err = time.ParseDuration(w); err != nil {
			t.Fatalf("PODMARK_BENCH_RELAY_WARMUP=%q: %v", w, err)
		}
	}
	bin := podmarkBin(t)
	dir := t.TempDir()
	relay, url, gc := startTracedRelay(t, bin, filepath.Join(dir, "store"))
	pid := relay.cmd.Process.Pid
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
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	i := 0
	load := func(every int) {
		for j, c := range clients {
			c.PublishPresence(room.Presence{State: room.StateRecording, Rate: 48000, Position: int64(i) * 48000, Elapsed: float64(i), DiskLeft: 3600})
			if (i+j)%every == 0 {
				c.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Note, Title: "warm-up", Sample: int64(i) * 48000, UTC: time.Now().UTC()})
			}
		}
		i++
	}
	for w0 := time.Now(); time.Since(w0) < warm; {
		<-tick.C
		load(1)
		if i%60 == 0 {
			t.Logf("relay warm-up at %3d s: RSS %6.1f MB, live heap %6.1f MB", i, procRSS(t, pid), gc.live())
		}
	}
	received.Store(0)
	cpu0 := procCPU(t, pid)
	start := time.Now()
	sent := 0
	var series []relaySample
	for i0 := i; time.Since(start) < dur; i++ {
		<-tick.C
		for j, c := range clients {
			c.PublishPresence(room.Presence{State: room.StateRecording, Rate: 48000, Position: int64(i) * 48000, Elapsed: float64(i), DiskLeft: 3600})
			if (i+j)%every == 0 {
				c.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Note, Title: "load", Sample: int64(i) * 48000, UTC: time.Now().UTC()})
				sent++
			}
		}
		if (i-i0)%10 == 0 {
			s := relaySample{At: time.Since(start).Seconds(), RSS: procRSS(t, pid), Heap: gc.live(), CPU: procCPU(t, pid) - cpu0}
			series = append(series, s)
			t.Logf("relay at %3.0f s: RSS %6.1f MB, live heap %6.1f MB, CPU %.1f s, markers sent %d received %d",
				s.At, s.RSS, s.Heap, s.CPU, sent, received.Load())
		}
	}
	el := time.Since(start).Seconds()
	t.Logf("relay: %d rooms x %d members, a marker every %d s each, for %.0f s: CPU %.1f s (%.1f %% of a core), RSS %.1f MB at the end; markers sent %d, received %d (want %d)",
		rooms, members, every, el, procCPU(t, pid)-cpu0, 100*(procCPU(t, pid)-cpu0)/el, procRSS(t, pid), sent, received.Load(), 2*sent)
	v := judgeFlat(series)
	t.Logf("relay memory over the second half (%.0f-%.0f s, %d samples): live heap %.1f-%.1f MB (mean %.1f, spread %.1f %%, slope %+.2f MB/min), RSS %.1f-%.1f MB (slope %+.2f MB/min, %.1f x the live heap at the end)",
		v.From, v.To, v.N, v.HeapMin, v.HeapMax, v.HeapMean, 100*v.HeapSpread, v.HeapSlope, v.RSSMin, v.RSSMax, v.RSSSlope, series[len(series)-1].RSS/max(series[len(series)-1].Heap, 1))
	// Flat is judged on the live heap, what the relay keeps: RSS also
	// holds the garbage the GC lets pile up to twice the live heap
	// (GOGC=100), which the runtime returns to the system lazily.
	if v.N >= 6 {
		if v.HeapSpread > relayFlat || v.HeapSlope*10 > relayFlat*v.HeapMean {
			t.Errorf("relay live heap not flat after the warm-up: spread %.1f %%, %+.2f MB/min (bound %.0f %%)", 100*v.HeapSpread, v.HeapSlope, 100*relayFlat)
		} else {
			t.Logf("relay memory: FLAT after the warm-up (live heap within %.0f %%)", 100*relayFlat)
		}
	}
}

// relayFlat is how far the relay's memory may move around its mean after
// the warm-up and still be called flat (a GC cycle's worth of garbage).
const relayFlat = 0.15

type relaySample struct{ At, RSS, Heap, CPU float64 }

// flatness summarizes the second half of a relay memory series.
type flatness struct {
	N                                  int
	From, To                           float64
	HeapMin, HeapMax, HeapMean         float64
	HeapSpread                         float64 // (max-min)/mean
	HeapSlope                          float64 // least squares, MB per minute
	RSSMin, RSSMax, RSSDelta, RSSSlope float64 // slope: least squares, MB per minute
}

func judgeFlat(series []relaySample) flatness {
	tail := series[len(series)/2:]
	var f flatness
	if len(tail) == 0 {
		return f
	}
	f.N, f.From, f.To = len(tail), tail[0].At, tail[len(tail)-1].At
	f.HeapMin, f.RSSMin = math.Inf(1), math.Inf(1)
	var st, sr, stt, str, sh, sth float64
	for _, s := range tail {
		f.HeapMin, f.HeapMax = min(f.HeapMin, s.Heap), max(f.HeapMax, s.Heap)
		f.RSSMin, f.RSSMax = min(f.RSSMin, s.RSS), max(f.RSSMax, s.RSS)
		f.HeapMean += s.Heap / float64(len(tail))
		m := s.At / 60
		st, sr, stt, str = st+m, sr+s.RSS, stt+m*m, str+m*s.RSS
		sh, sth = sh+s.Heap, sth+m*s.Heap
	}
	if f.HeapMean > 0 {
		f.HeapSpread = (f.HeapMax - f.HeapMin) / f.HeapMean
	}
	f.RSSDelta = tail[len(tail)-1].RSS - tail[0].RSS
	n := float64(len(tail))
	if den := n*stt - st*st; den > 0 {
		f.RSSSlope = (n*str - st*sr) / den
		f.HeapSlope = (n*sth - st*sh) / den
	}
	return f
}

// gcTrace keeps the live heap after the last GC a Go child reported on
// stderr with GODEBUG=gctrace=1 ("gc 12 @3.4s 1%: ... 41->42->20 MB, ...").
type gcTrace struct {
	mu   sync.Mutex
	heap float64
	tail []byte
}

var gcLine = regexp.MustCompile(`gc \d+ @[^:]*:.* \d+->\d+->(\d+) MB`)

func (g *gcTrace) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tail = append(g.tail, p...)
	for {
		i := bytes.IndexByte(g.tail, '\n')
		if i < 0 {
			break
		}
		if m := gcLine.FindSubmatch(g.tail[:i]); m != nil {
			g.heap, _ = strconv.ParseFloat(string(m[1]), 64)
		}
		g.tail = g.tail[i+1:]
	}
	return len(p), nil
}

func (g *gcTrace) live() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.heap
}

// startTracedRelay is startRelayProc with the Go runtime's GC trace on the
// relay's stderr, parsed into a gcTrace.
func startTracedRelay(t *testing.T, bin, store string) (*child, string, *gcTrace) {
	t.Helper()
	cmd := exec.Command(bin, relayArgs("127.0.0.1:0", store)...)
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	gc := &gcTrace{}
	cmd.Stderr = gc
	c, url := startRelayCmd(t, cmd)
	return c, url, gc
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
