package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"

	"github.com/podmark/podmark/internal/netfault"
)

// TestPullStopToVerified is a benchmark, run by scripts/bench-pull.sh with
// PODMARK_BENCH_PULL=DURATION (at least 10m for the figure): one
// host records DURATION of espeak-ng speech on JACK in a room through a
// 2 Mbit/s toxiproxy link, uploading as it records; the editor's `podmark
// pull --follow` runs all along. It prints the time from Stop to the
// editor's verified copy, the upload's lag during the show, and, as the
// peer measured in the same run, the time a plain `podmark pull` of the
// finished show takes over the same 2 Mbit/s link (what moving the files
// after the show costs at best).
func TestPullStopToVerified(t *testing.T) {
	d := os.Getenv("PODMARK_BENCH_PULL")
	if d == "" {
		t.Skip("a benchmark: set PODMARK_BENCH_PULL=DURATION (scripts/bench-pull.sh)")
	}
	dur, err := time.ParseDuration(d)
	if err != nil {
		t.Fatal(err)
	}
	requireJACK(t)
	requireTool(t, "espeak-ng", "sox", "sndfile-jackplay", "jack_connect")
	bin := podmarkBin(t)
	dev, _ := jackDevice(t, bin)
	work := t.TempDir()
	conv, _ := conversation(t, work)
	show := filepath.Join(work, "show.wav")
	reps := int(dur/(20*time.Second)) + 1
	if out, err := exec.Command("sox", conv, show, "repeat", fmt.Sprint(reps)).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	_, url := startRelayProc(t, bin, filepath.Join(work, "store"))
	relayAddr := strings.TrimPrefix(url, "nats://")
	link2M := func(name string) string {
		p := netfault.Start(t, name, relayAddr)
		p.Both(t, "bw", "bandwidth", `{"rate":250}`)
		return "nats://" + p.Listen
	}
	hostLink := link2M("host") + "/benchpull/ep1"
	editorLink := link2M("editor") + "/benchpull/ep1"
	link := url + "/benchpull/ep1"

	out := filepath.Join(work, "editor")
	pull := startPull(t, bin, link, "--out", out, "--follow", "--as", "ed")
	dir := filepath.Join(work, "alice")
	alice, port := startRoomRecorder(t, bin, dev, dir, "alice", hostLink)
	play := startJackPlayer(t, show, port)
	time.Sleep(300 * time.Millisecond)
	if err := play.Play(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for i := 0; time.Since(began) < dur; i++ {
		time.Sleep(10 * time.Second)
		alice.send(t, fmt.Sprintf("note at %d", i))
	}
	stopped := time.Now()
	stopAndWait(t, alice, 10*time.Minute)
	hostDone := time.Now()
	if err := pull.wait(t, 10*time.Minute); err != nil {
		t.Fatalf("pull --follow: %v\n%s", err, pull.stderr.String())
	}
	follow := pull.ended.Sub(stopped)
	samePulled(t, dir, filepath.Join(out, "alice"))

	// The upload's lag during the show, from record's status lines.
	var lags []string
	for _, m := range regexp.MustCompile(`upload="([0-9.]+) s behind"`).FindAllStringSubmatch(alice.stderr.String(), -1) {
		lags = append(lags, m[1])
	}
	maxLag := "?"
	if len(lags) > 0 {
		best := 0.0
		for _, l := range lags {
			var v float64
			fmt.Sscan(l, &v)
			best = max(best, v)
		}
		maxLag = fmt.Sprintf("%.0f s", best)
	}

	// The peer: the whole finished show pulled over the same 2 Mbit/s.
	t0 := time.Now()
	if o, err := exec.Command(bin, "pull", editorLink, "--out", filepath.Join(work, "after"), "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("pull after the show: %v\n%s", err, o)
	}
	after := time.Since(t0)
	m, _ := session.Load(dir)
	var size int64
	for _, tr := range m.Tracks {
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(tr.File))); err == nil {
			size += st.Size()
		}
	}
	t.Logf("pull bench: %v of speech (%d frames, %.1f MB of WAV) through a 2 Mbit/s link", m.Duration().Round(time.Second), m.Frames, float64(size)/1e6)
	t.Logf("pull bench: Stop -> editor's verified copy (pull --follow): %.1f s; record's own wait after Stop %.1f s; largest upload lag in the show %s",
		follow.Seconds(), hostDone.Sub(stopped).Seconds(), maxLag)
	t.Logf("pull bench: peer, a plain pull of the finished show over 2 Mbit/s: %.1f s; ratio %.3f", after.Seconds(), follow.Seconds()/after.Seconds())
}
