package main

// The progressive hand-off end to end (issue 15), with the real binary:
//
//   - TestE2EPullJACK records two hosts in one room on JACK for 2 minutes of
//     espeak-ng speech, both uploading while they record; alice reaches the
//     relay directly, bob through toxiproxy (1 Mbit/s, 100 ms latency each
//     way, and a 30 s outage in the middle of the show). The editor's
//     `podmark pull --follow` runs all along. After Stop it must finish with
//     every WAV byte-identical to the host's own (sha256), the journals and
//     session.json identical, bob's local recording unaffected by the
//     outage (no frame dropped, the full length), and the pulled folders
//     taken as they are by `podmark merge` (both) and `podmark export`
//     (one). One recording serves the first two tests, so CI pays
//     the 2 real-time minutes once.
//   - TestE2EPullAfterKill9 kills `podmark record --room` (-9) while its
//     upload lags behind (capped at 300 kbit/s), runs `podmark recover` and
//     `podmark upload`, and finds the editor's pull equal to the recovered
//     local session; then it flips a byte of one chunk in the relay's store
//     and a fresh pull must fail naming the host, track and time range.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/internal/netfault"
	"github.com/podmark/podmark/markers"
)

// pullChild is a running `podmark pull`.
type pullChild struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan error
	ended          time.Time
}

func startPull(t *testing.T, bin string, args ...string) *pullChild {
	t.Helper()
	p := &pullChild{cmd: exec.Command(bin, append([]string{"pull"}, args...)...), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	go func() {
		err := p.cmd.Wait()
		p.ended = time.Now()
		p.done <- err
	}()
	return p
}

func (p *pullChild) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(within):
		p.cmd.Process.Kill()
		t.Fatalf("pull did not finish within %v\nstdout:\n%s\nstderr:\n%s", within, p.stdout.String(), p.stderr.String())
	}
	return nil
}

// stopAndWait sends stop to a room recorder and waits for it to exit: it
// waits for its upload to be sent and verified first.
func stopAndWait(t *testing.T, c *roomChild, within time.Duration) {
	t.Helper()
	c.send(t, "stop")
	c.stdin.Close()
	err, ok := c.wait(within)
	if !ok {
		t.Fatalf("record did not stop within %v; stderr:\n%s", within, c.stderr.String())
	}
	if err != nil {
		t.Errorf("record exited: %v\n%s", err, c.stderr.String())
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// samePulled checks the editor's copy of a host's session against the
// host's folder: every track (sha256), session.json, the journal and the
// room record byte for byte.
func samePulled(t *testing.T, local, pulled string) {
	t.Helper()
	m, err := session.Load(local)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{session.MetaFile, session.JournalFile, room.RecordFile}
	for _, tr := range m.Tracks {
		files = append(files, tr.File)
	}
	for _, f := range files {
		lp, pp := filepath.Join(local, filepath.FromSlash(f)), filepath.Join(pulled, filepath.FromSlash(f))
		if _, err := os.Stat(lp); os.IsNotExist(err) && f == room.RecordFile {
			continue
		}
		if _, err := os.Stat(pp); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if a, b := fileSum(t, lp), fileSum(t, pp); a != b {
			t.Errorf("%s: the editor's copy (sha256 %s) differs from %s's (%s)", f, b[:12], m.Host, a[:12])
		}
	}
	if m.Frames == 0 {
		t.Errorf("%s: no audio", local)
	}
}

func TestE2EPullJACK(t *testing.T) {
	requireJACK(t)
	requireTool(t, "espeak-ng", "sox", "sndfile-jackplay", "jack_connect")
	bin := podmarkBin(t)
	dev, _ := jackDevice(t, bin)
	work := t.TempDir()
	conv, _ := conversation(t, work)
	// A bit more than 2 minutes of speech that never repeats itself (merge
	// must find one offset): the conversation as it is, faster, reversed,
	// slower and higher.
	parts := []string{conv}
	for i, effect := range [][]string{{"speed", "1.1"}, {"reverse"}, {"speed", "0.9"}, {"pitch", "300"}} {
		p := filepath.Join(work, fmt.Sprintf("part%d.wav", i))
		if out, err := exec.Command("sox", append([]string{conv, p}, effect...)...).CombinedOutput(); err != nil {
			t.Fatalf("sox: %v\n%s", err, out)
		}
		parts = append(parts, p)
	}
	show := filepath.Join(work, "show.wav")
	if out, err := exec.Command("sox", append(parts, "-r", "48000", show)...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	_, url := startRelayProc(t, bin, filepath.Join(work, "store"))
	relayAddr := strings.TrimPrefix(url, "nats://")

	proxy := netfault.Start(t, "relay", relayAddr)
	// 1 Mbit/s (125 KB/s) and 100 ms each way on bob's link.
	proxy.Both(t, "bw", "bandwidth", `{"rate":125}`)
	proxy.Both(t, "lat", "latency", `{"latency":100}`)

	link := url + "/pullshow/ep1"
	bobLink := "nats://" + proxy.Listen + "/pullshow/ep1"
	out := filepath.Join(work, "editor")
	pull := startPull(t, bin, link, "--out", out, "--follow", "--as", "ed")

	dirA, dirB := filepath.Join(work, "alice"), filepath.Join(work, "bob")
	alice, portA := startRoomRecorder(t, bin, dev, dirA, "alice", link)
	bob, portB := startRoomRecorder(t, bin, dev, dirB, "bob", bobLink)
	bobStart := time.Now()
	play := startJackPlayer(t, show, portA, portB)
	time.Sleep(300 * time.Millisecond)
	if err := play.Play(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	alice.send(t, "topic Welcome")
	bob.send(t, "topic Clocks")
	time.Sleep(30 * time.Second)
	// 30 s with bob's link dead (every byte blackholed), markers dropped meanwhile.
	proxy.Outage(t)
	outFrom := time.Since(bobStart)
	bob.send(t, "sponsor During the outage")
	time.Sleep(15 * time.Second)
	alice.send(t, "note Bob is offline")
	bob.send(t, "edit cough")
	time.Sleep(15 * time.Second)
	proxy.EndOutage(t)
	outTo := time.Since(bobStart)
	if err := play.Wait(); err != nil {
		t.Fatalf("sndfile-jackplay: %v", err)
	}
	for time.Since(began) < 2*time.Minute {
		time.Sleep(100 * time.Millisecond)
	}
	alice.send(t, "topic Goodbye")
	stopped := time.Now()
	stopAndWait(t, alice, 60*time.Second)
	stopAndWait(t, bob, 3*time.Minute)
	if err := pull.wait(t, 3*time.Minute); err != nil {
		t.Fatalf("pull --follow: %v\nstdout:\n%s\nstderr:\n%s", err, pull.stdout.String(), pull.stderr.String())
	}
	t.Logf("pull --follow ended %.1f s after Stop (bob through 1 Mbit/s, 100 ms, after a 30 s outage)", pull.ended.Sub(stopped).Seconds())
	t.Logf("pull stdout:\n%s", pull.stdout.String())

	for _, d := range []string{dirA, dirB} {
		samePulled(t, d, filepath.Join(out, filepath.Base(d)))
	}
	if !regexp.MustCompile(`(?m)^alice\tverified\t.*\nbob\tverified\t`).MatchString(pull.stdout.String()) {
		t.Errorf("pull's report:\n%s", pull.stdout.String())
	}
	// bob's local recording did not notice the outage: its full length,
	// and no frame lost from the outage until the link was back and the
	// upload caught up. A JACK xrun from the machine's load (the test's own
	// race-detector processes) is logged but is no loss of the outage's:
	// it hits alice, whose link never went down, at the same moment.
	type glitch struct {
		host string
		at   time.Duration // on the host's timeline
		wall time.Time
	}
	var glitches []glitch
	for _, d := range []string{dirA, dirB} {
		m, err := session.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		if m.Duration() < 115*time.Second {
			t.Errorf("%s's local recording is %v long", m.Host, m.Duration())
		}
		ms, _, err := markers.ReplayJournalFile(filepath.Join(d, session.JournalFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range ms {
			if g.Kind != markers.Glitch {
				continue
			}
			at := time.Duration(g.Seconds(m.Rate) * float64(time.Second))
			t.Logf("%s: glitch at %v (%s); %d frames dropped in all", m.Host, at.Round(time.Millisecond), g.Title, m.Dropped)
			glitches = append(glitches, glitch{m.Host, at, m.StartUTC.Add(at)})
		}
	}
	for _, g := range glitches {
		if g.host != "bob" || g.at <= outFrom-3*time.Second || g.at >= outTo+10*time.Second {
			continue
		}
		machine := false
		for _, a := range glitches {
			if a.host == "alice" && a.wall.Sub(g.wall).Abs() < 2*time.Second {
				machine = true
			}
		}
		if machine {
			t.Logf("bob's glitch at %v, during the outage, hit alice at the same moment: a JACK xrun of the machine, not the outage", g.at)
			continue
		}
		t.Errorf("bob lost audio at %v, during the outage (%v to %v), and alice did not", g.at, outFrom, outTo)
	}
	ms, err := os.ReadFile(filepath.Join(out, "bob", session.JournalFile))
	if err != nil || !bytes.Contains(ms, []byte("During the outage")) {
		t.Errorf("bob's journal as pulled lacks the outage's marker: %v", err)
	}

	// merge and export take the pulled folders as they are.
	merged := filepath.Join(work, "merged")
	if o, err := exec.Command(bin, "merge", filepath.Join(out, "alice"), filepath.Join(out, "bob"), "--out", merged, "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("podmark merge of the pulled sessions: %v\n%s", err, o)
	}
	if _, err := session.Load(merged); err != nil {
		t.Errorf("merged: %v", err)
	}
	exp := filepath.Join(work, "export")
	if o, err := exec.Command(bin, "export", filepath.Join(out, "bob"), "--out", exp).CombinedOutput(); err != nil {
		t.Fatalf("podmark export of a pulled session: %v\n%s", err, o)
	}
	if flacs, _ := filepath.Glob(filepath.Join(exp, "audio", "bob-*.flac")); len(flacs) == 0 {
		ents, _ := os.ReadDir(exp)
		t.Errorf("export of a pulled session wrote no FLAC: %v", ents)
	}
}

func TestE2EPullAfterKill9(t *testing.T) {
	bin := podmarkBin(t)
	work := t.TempDir()
	_, url := startRelayProc(t, bin, filepath.Join(work, "store"))
	link := url + "/killshow/ep1"
	dir := filepath.Join(work, "carol")
	rec := startRoomChild(t, bin, "--out", dir, "--device", "ramp", "--channels", "1", "--rate", "48000", "--bits", "24",
		"--host", "carol", "--room", link, "--upload-kbps", "300")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m, err := session.Load(dir); err == nil && m.State == session.StateRecording {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording did not start:\n%s", rec.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	rec.send(t, "topic Before the crash")
	time.Sleep(14 * time.Second) // past two segments, the upload behind at 300 kbit/s
	rec.send(t, "note About to crash")
	time.Sleep(500 * time.Millisecond)
	rec.kill(t)
	if o, err := exec.Command(bin, "recover", dir).CombinedOutput(); err != nil {
		t.Fatalf("recover: %v\n%s", err, o)
	}
	// Before the upload resumes the editor's pull says it is not finished.
	out := filepath.Join(work, "editor")
	early := exec.Command(bin, "pull", link, "--out", out, "--quiet")
	if o, err := early.CombinedOutput(); early.ProcessState.ExitCode() != 3 {
		t.Errorf("pull of an unfinished upload: %v, want exit 3\n%s", err, o)
	}
	if _, err := os.Stat(filepath.Join(out, "carol")); err == nil {
		t.Error("an unfinished pull looks complete")
	}
	if o, err := exec.Command(bin, "upload", dir, "--room", link, "--upload-kbps", "0").CombinedOutput(); err != nil {
		t.Fatalf("upload: %v\n%s", err, o)
	}
	o, err := exec.Command(bin, "pull", link, "--out", out, "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("pull after recover + upload: %v\n%s", err, o)
	}
	samePulled(t, dir, filepath.Join(out, "carol"))
	m, _ := session.Load(filepath.Join(out, "carol"))
	if m.State != session.StateRecovered {
		t.Errorf("pulled session state %q, want recovered", m.State)
	}

	// A chunk flipped on the relay: a fresh pull names it and fails.
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bucket := room.Names{Show: "killshow", Episode: "ep1"}.UploadBucket("carol")
	track := strings.TrimSuffix(filepath.Base(m.Tracks[0].File), ".wav")
	flipChunk(t, ctx, js, bucket, room.SegmentObject(track, 1))
	cmd := exec.Command(bin, "pull", link, "--out", filepath.Join(work, "editor2"), "--retries", "1")
	var se bytes.Buffer
	cmd.Stderr = &se
	err = cmd.Run()
	msg := se.String()
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("pull of a damaged chunk: %v, want exit 1\n%s", err, msg)
	}
	want := fmt.Sprintf("carol's track %s is damaged on the relay from 00:00:05 to 00:00:10 (segment 1)", track)
	if !strings.Contains(msg, want) {
		t.Errorf("pull's error does not say %q:\n%s", want, msg)
	}
	if _, err := os.Stat(filepath.Join(work, "editor2", "carol")); err == nil {
		t.Error("a damaged pull looks complete")
	}
	sc := bufio.NewScanner(strings.NewReader(msg))
	for sc.Scan() {
		t.Log(sc.Text())
	}
}

// flipChunk flips a byte of the last chunk of an object in the relay's
// store: the chunk's message is deleted from the bucket's stream and a
// flipped copy published on its subject.
func flipChunk(t *testing.T, ctx context.Context, js jetstream.JetStream, bucket, object string) {
	t.Helper()
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := obs.GetInfo(ctx, object)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	subj := "$O." + bucket + ".C." + info.NUID
	m, err := st.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(ctx, m.Sequence); err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(m.Data)
	b[len(b)/2] ^= 0x40
	if _, err := js.Publish(ctx, subj, b); err != nil {
		t.Fatal(err)
	}
}
