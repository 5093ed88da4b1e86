package room

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"

	"github.com/podmark/podmark/internal/netfault"
)

// segs counts the segments of a track of frames frames.
func segs(frames int64) int { return int((frames + SegmentFrames - 1) / SegmentFrames) }

// TestUploadResumesWithoutResending closes the uploader half-way (the
// host's podmark quit) and starts another on the same folder: every segment
// reaches the relay exactly once, and the relay's copy is the local one.
func TestUploadResumesWithoutResending(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	url := "nats://" + r.Addr().String()
	dir := filepath.Join(t.TempDir(), "s")
	frames := int64(6*SegmentFrames + 100)
	recordRamp(t, dir, "alice", audio.Float32, 1, frames, "ramp:fast")
	meta, _ := session.Load(dir)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pc := countPuts(t, nc, Names{Show: "show", Episode: "ep1"}.UploadBucket("alice"))
	var lb logBuf
	c := joinURL(t, url, "alice", &lb)
	// 16 Mbit/s: about half a second per 1 MiB segment.
	up, err := StartUpload(context.Background(), c, dir, UploadOptions{Kbps: 16000, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, func() bool { return up.Status().Sent >= 2*SegmentFrames })
	up.Close()
	first := pc.count(".seg")
	if first >= segs(meta.Frames) {
		t.Fatalf("the first run sent all %d segments: the test did not stop it half-way", first)
	}
	up, err = StartUpload(context.Background(), c, dir, UploadOptions{Kbps: 0, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := up.Wait(ctx); err != nil {
		t.Fatalf("%v\n%s", err, lb.String())
	}
	time.Sleep(200 * time.Millisecond) // the counter's subscription catches up
	if tw := pc.twice(); len(tw) > 0 {
		t.Errorf("segments put more than once: %v", tw)
	}
	if n := pc.count(".seg"); n != segs(meta.Frames) {
		t.Errorf("%d segment puts, want %d", n, segs(meta.Frames))
	}
	obs, _ := editorStore(t, url, "alice")
	checkPulled(t, obs, dir)
	t.Logf("first run: %d segments, second: %d", first, pc.count(".seg")-first)
}

// TestUploadRateCap measures the upload of about 4 MB at an 8 Mbit/s cap:
// between the first segment's acknowledgement and the last's, the payload
// rate stays within 15% of the cap. (A behaviour test of the token bucket,
// not of this machine's speed: the relay is on loopback.)
func TestUploadRateCap(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	url := "nats://" + r.Addr().String()
	dir := filepath.Join(t.TempDir(), "s")
	recordRamp(t, dir, "alice", audio.Float32, 1, 5*SegmentFrames, "ramp:fast")
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	type ack struct {
		at   time.Time
		size uint64
	}
	var mu sync.Mutex
	var acks []ack
	_, err = nc.Subscribe("$O."+Names{Show: "show", Episode: "ep1"}.UploadBucket("alice")+".M.>", func(m *nats.Msg) {
		{
			var info jetstream.ObjectInfo
			if jsonUnmarshal(m.Data, &info) == nil && strings.HasSuffix(info.Name, ".seg") {
				mu.Lock()
				acks = append(acks, ack{time.Now(), info.Size})
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	var lb logBuf
	c := joinURL(t, url, "alice", &lb)
	const kbps = 8000
	up, err := StartUpload(context.Background(), c, dir, UploadOptions{Kbps: kbps, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := up.Wait(ctx); err != nil {
		t.Fatalf("%v\n%s", err, lb.String())
	}
	mu.Lock()
	defer mu.Unlock()
	meta, _ := session.Load(dir)
	if len(acks) != segs(meta.Frames) {
		t.Fatalf("%d segment puts seen, want %d", len(acks), segs(meta.Frames))
	}
	acks = acks[:len(acks)-1] // the last, short one: its bytes went in a burst
	var bytes uint64
	for _, a := range acks[1:] {
		bytes += a.size
	}
	secs := acks[len(acks)-1].at.Sub(acks[0].at).Seconds()
	got := float64(bytes) * 8 / 1000 / secs
	t.Logf("%d bytes in %.2f s: %.0f kbit/s (cap %d)", bytes, secs, got, kbps)
	if got > kbps*1.15 || got < kbps*0.85 {
		t.Errorf("upload ran at %.0f kbit/s, cap %d", got, kbps)
	}
	if st := up.Status(); st.Kbps != kbps {
		t.Errorf("status says cap %d", st.Kbps)
	}
}

// TestUploadOutage blackholes the link (toxiproxy) in the middle of an
// upload: the state turns waiting, the upload resumes when the link is
// back, and the relay's copy is the whole session.
func TestUploadOutage(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	proxy := netfault.Start(t, "relay", r.Addr().String())
	dir := filepath.Join(t.TempDir(), "s")
	recordRamp(t, dir, "alice", audio.Float32, 1, 4*SegmentFrames+7, "ramp:fast")
	var lb logBuf
	c := joinURL(t, "nats://"+proxy.Listen, "alice", &lb)
	up, err := StartUpload(context.Background(), c, dir, UploadOptions{Kbps: 8000, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	waitUntil(t, 30*time.Second, func() bool { return up.Status().Sent >= SegmentFrames })
	proxy.Outage(t)
	waitUntil(t, 15*time.Second, func() bool { return up.Status().State == UploadWaiting })
	during := up.Status()
	time.Sleep(3 * time.Second)
	proxy.EndOutage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := up.Wait(ctx); err != nil {
		t.Fatalf("%v\n%s", err, lb.String())
	}
	if during.Sent >= during.Recorded || during.BehindMS <= 0 {
		t.Errorf("during the outage: %+v, want something behind", during)
	}
	obs, _ := editorStore(t, "nats://"+r.Addr().String(), "alice")
	checkPulled(t, obs, dir)
	t.Logf("during the outage: %+v\nlog:\n%s", during, lb.String())
}

// childEnv names the session folder and relay of the recording podmark
// TestUploadRecoveredTail kills.
const childEnv = "PODMARK_UPLOAD_CHILD"

// TestUploadChild is the podmark that TestUploadRecoveredTail kills with
// SIGKILL: it records on the ramp in a room and uploads, until killed. Run
// by itself it does nothing.
func TestUploadChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	dir, url, _ := strings.Cut(spec, "|")
	l, _ := ParseLink(url + "/show/ep1")
	c, err := Join(Config{Link: l, Host: "alice", Rate: 48000})
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New(session.Config{Dir: dir, Host: "alice", Device: "ramp:x4", Rate: 48000, Format: audio.Int16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StartUpload(context.Background(), c, dir, UploadOptions{Poll: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Minute) // until killed
}

// TestUploadRecoveredTail kills a recording podmark (SIGKILL) mid-upload,
// recovers its session and uploads the rest: the segments the relay had
// before the crash are not sent again, the ones after are marked
// recovered, and the relay's copy is the recovered session.
func TestUploadRecoveredTail(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	url := "nats://" + r.Addr().String()
	dir := filepath.Join(t.TempDir(), "s")
	bucket := Names{Show: "show", Episode: "ep1"}.UploadBucket("alice")
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pc := countPuts(t, nc, bucket)
	cmd := exec.Command(os.Args[0], "-test.run=^TestUploadChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir+"|"+url)
	out := &bytes.Buffer{} // read after Wait
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	waitUntil(t, 60*time.Second, func() bool { return pc.count(".seg") >= 2 })
	time.Sleep(1500 * time.Millisecond) // more recorded than sent
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	time.Sleep(200 * time.Millisecond)
	before := pc.count(".seg")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obs, _ := editorStore(t, url, "alice")
	held, err := listObjects(ctx, obs)
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for name := range held {
		if n, ok := segmentIndex("alice-1", name); ok {
			last = max(last, n)
		}
	}
	rep, err := session.Recover(dir)
	if err != nil {
		t.Fatalf("recover: %v\nchild: %s", err, out.String())
	}
	meta, _ := session.Load(dir)
	if meta.State != session.StateRecovered || meta.Frames <= int64(last+1)*SegmentFrames {
		t.Fatalf("recovered %+v: %d frames, the relay had segments up to %d", rep, meta.Frames, last)
	}
	var lb logBuf
	l, _ := ParseLink(url + "/show/ep1")
	c, err := Join(Config{Link: l, Host: "alice", Rate: 48000, NoMarkers: true, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	up, err := StartUpload(context.Background(), c, dir, UploadOptions{Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if err := up.Wait(ctx); err != nil {
		t.Fatalf("%v\n%s", err, lb.String())
	}
	time.Sleep(200 * time.Millisecond)
	checkPulled(t, obs, dir)
	p := pullTrack(t, obs, "alice-1")
	if !p.man.Recovered {
		t.Error("the manifest of a recovered session does not say so")
	}
	for i, s := range p.man.Segments {
		rec := p.segs[i].Headers.Get(HdrRecovered) == "1"
		if rec != (s.N > last) || s.Recovered != rec {
			t.Errorf("segment %d: recovered header %v, manifest %v; the relay had up to %d before the crash", s.N, rec, s.Recovered, last)
		}
	}
	// The segments acknowledged before the crash were not sent again.
	if tw := pc.twice(); len(tw) > 0 {
		t.Errorf("segments put more than once: %v", tw)
	}
	t.Logf("%d segment puts before the kill (relay had up to #%d), %d after; %d frames recovered", before, last, pc.count(".seg")-before, meta.Frames)
}

// TestUploadPermissions: with --auth, a host uploads into its own bucket
// (the relay made it), cannot write another host's, and the editor reads
// every host's bucket but writes none.
func TestUploadPermissions(t *testing.T) {
	tmp := t.TempDir()
	l, _ := ParseLink("nats://127.0.0.1:4222/show/ep1")
	a := &Auth{Version: AuthVersion}
	seeds := map[string]string{}
	for _, m := range []struct {
		host string
		role Role
	}{{"alice", RoleHost}, {"bob", RoleHost}, {"ed", RoleEditor}} {
		inv, err := Invite(a, l, m.host, m.role, false)
		if err != nil {
			t.Fatal(err)
		}
		seeds[m.host] = filepath.Join(tmp, m.host+".nk")
		if err := os.WriteFile(seeds[m.host], inv.Seed, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := StartRelay(ctx, RelayConfig{Listen: "127.0.0.1:0", Store: filepath.Join(tmp, "store"), Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base, _ := ParseLink("nats://" + r.Addr().String() + "/show/ep1")
	n := NamesOf(base)

	dir := filepath.Join(tmp, "s")
	recordRamp(t, dir, "alice", audio.Int24, 1, SegmentFrames+99, "ramp:fast")
	var lb logBuf
	ac, err := Join(Config{Link: base, Creds: seeds["alice"], Host: "alice", Rate: 48000, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close(context.Background())
	up, err := StartUpload(ctx, ac, dir, UploadOptions{Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if err := up.Wait(ctx); err != nil {
		t.Fatalf("alice's upload: %v\n%s", err, lb.String())
	}

	// Alice writes into bob's bucket: refused.
	short, scancel := context.WithTimeout(ctx, 3*time.Second)
	defer scancel()
	if _, err := EnsureUploadBucket(short, ac.js, n, "bob", 1); err == nil {
		t.Error("alice bound bob's bucket")
	}
	if _, err := ac.js.Publish(short, "$O."+n.UploadBucket("bob")+".C.forged", []byte("forged")); err == nil {
		t.Error("alice put a chunk into bob's bucket")
	}

	// The editor reads alice's bucket, writes nothing.
	errs := make(chan error, 10)
	enc, err := nats.Connect(r.ClientURL(), mustNkey(t, seeds["ed"]), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	ejs, _ := jetstream.New(enc)
	obs, err := ejs.ObjectStore(ctx, n.UploadBucket("alice"))
	if err != nil {
		t.Fatal(err)
	}
	checkPulled(t, obs, dir)
	if _, err := obs.PutBytes(short, "tracks/alice-1/000000.seg", []byte("forged")); err == nil {
		t.Error("the editor replaced a segment")
	}
	bobs, err := ejs.ObjectStore(ctx, n.UploadBucket("bob"))
	if err != nil {
		t.Fatalf("the editor cannot read bob's bucket: %v", err)
	}
	if _, err := bobs.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Errorf("bob's bucket after alice's attempts: %v, want empty", err)
	}
	// The editor announces its pulls on its own subject only.
	for len(errs) > 0 {
		<-errs
	}
	if err := enc.Publish(n.Pulled("ed"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	enc.Flush()
	select {
	case err := <-errs:
		t.Errorf("the editor's pull announcement refused: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	enc.Publish(n.Pulled("alice"), []byte("{}"))
	enc.Flush()
	select {
	case <-errs:
	case <-time.After(3 * time.Second):
		t.Error("the editor announced as another")
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
