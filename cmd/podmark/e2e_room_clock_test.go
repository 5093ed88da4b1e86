package main

// The show room's shared clock on the real stack (issue 14): two `podmark
// record --room` processes on the same JACK device, both fed one played
// conversation, measure each other's sample clock through a `podmark
// relay`; the offset between their sample 0s in session.json's room_clock
// must agree within 2 ms with the offset found by cross-correlating their
// audio, and `podmark merge` must take the room clock as its coarse offset.

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/merge"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// startRoomRecorder starts `podmark record --room` on the JACK device and
// returns it with its JACK input port.
func startRoomRecorder(t *testing.T, bin, dev, dir, host, link string) (*roomChild, string) {
	t.Helper()
	before := jackPorts(t)
	c := startRoomChild(t, bin, "--out", dir, "--device", dev, "--channels", "1", "--rate", "48000", "--bits", "24",
		"--host", host, "--title", "room clock e2e", "--room", link)
	return c, waitNewPort(t, before, "", ":in_0", 15*time.Second)
}

// peerClock reads dir's session.json and returns its estimate of host.
func peerClock(t *testing.T, dir, host string) (session.PeerClock, bool) {
	t.Helper()
	m, err := session.Load(dir)
	if err != nil {
		return session.PeerClock{}, false // being replaced: read again
	}
	return m.RoomClock.Peer(host)
}

func TestE2ERoomClockAgreesWithAudio(t *testing.T) {
	requireJACK(t)
	requireTool(t, "espeak-ng", "sox")
	bin := podmarkBin(t)
	dev, _ := jackDevice(t, bin)
	work := t.TempDir()
	convFile, played := conversation(t, work)
	_, url := startRelayProc(t, bin, filepath.Join(work, "store"))
	link := url + "/clockshow/ep1"

	dirA, dirB := filepath.Join(work, "alice"), filepath.Join(work, "bob")
	alice, portA := startRoomRecorder(t, bin, dev, dirA, "alice", link)
	time.Sleep(1300 * time.Millisecond)
	bob, portB := startRoomRecorder(t, bin, dev, dirB, "bob", link)
	play := startJackPlayer(t, convFile, portA, portB)
	time.Sleep(300 * time.Millisecond)
	if err := play.Play(); err != nil {
		t.Fatal(err)
	}
	if err := play.Wait(); err != nil {
		t.Fatalf("sndfile-jackplay: %v", err)
	}
	// Both measure each other 2 s after joining and every 30 s: wait for
	// an estimate on each side while both still record.
	waitFor(t, 45*time.Second, func() bool {
		_, okA := peerClock(t, dirA, "bob")
		_, okB := peerClock(t, dirB, "alice")
		return okA && okB
	})
	alice.stop(t)
	bob.stop(t)

	// The audio: where the conversation starts in each track.
	pos := map[string]float64{}
	for _, dir := range []string{dirA, dirB} {
		m, err := session.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Pauses) != 0 || m.Dropped != 0 {
			t.Logf("%s: dropped %d frames, %d pauses", m.Host, m.Dropped, len(m.Pauses))
		}
		_, x, err := audio.ReadWAVFile(filepath.Join(dir, filepath.FromSlash(m.Tracks[0].File)))
		if err != nil {
			t.Fatal(err)
		}
		p, ok := playedAt(t, x, played, 48000, 1)
		if !ok {
			t.Fatalf("%s: the conversation is not in the recording", dir)
		}
		pos[m.Host] = p
	}
	// The same played sample is at frame pos[alice] on alice's clock and
	// pos[bob] on bob's: bob's sample 0 is at their difference on alice's.
	audioOffset := (pos["alice"] - pos["bob"]) / 48000
	pa, _ := peerClock(t, dirA, "bob")
	pb, _ := peerClock(t, dirB, "alice")
	t.Logf("audio: bob's sample 0 at %+.6f s on alice's clock; alice's clock of bob %+.6f s (rtt %.3f ms, %d measurements); bob's of alice %+.6f s (rtt %.3f ms)",
		audioOffset, pa.Offset, pa.RTT*1e3, pa.Measurements, -pb.Offset, pb.RTT*1e3)
	if audioOffset < 0.5 {
		t.Fatalf("bob started %.3f s after alice by the audio; want about 1.3 s", audioOffset)
	}
	if e := pa.Offset - audioOffset; math.Abs(e) > 2e-3 {
		t.Errorf("alice's estimate of bob's sample 0 is %+.3f ms from the audio's (goal 2 ms)", e*1e3)
	}
	if e := -pb.Offset - audioOffset; math.Abs(e) > 2e-3 {
		t.Errorf("bob's estimate of alice's sample 0 is %+.3f ms from the audio's (goal 2 ms)", e*1e3)
	}
	if pa.Rate != 48000 || pa.Rounds != 8 || pa.Measured.IsZero() {
		t.Errorf("room_clock entry incomplete: %+v", pa)
	}

	// podmark merge takes it as its coarse offset and says how far it was.
	out := filepath.Join(work, "merged")
	cmd := exec.Command(bin, "merge", dirA, dirB, "--out", out)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("podmark merge: %v\n%s\n%s", err, so.String(), se.String())
	}
	b, err := os.ReadFile(filepath.Join(out, session.MergeReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep merge.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Sessions[1]
	if s.CoarseSource != "room_clock" || s.RoomClock == nil {
		t.Fatalf("merge did not use the room clock: coarse from %q, %+v", s.CoarseSource, s.RoomClock)
	}
	t.Logf("merge: offset %+.6f s; room clock %+.3f ms from the audio", s.Offset, s.RoomClock.ErrorMS)
	if math.Abs(s.RoomClock.ErrorMS) > 2 || !strings.Contains(so.String(), "from the audio at the start") {
		t.Errorf("merge report: room clock %+.3f ms from the audio; summary:\n%s", s.RoomClock.ErrorMS, so.String())
	}
}
