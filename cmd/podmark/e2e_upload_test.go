package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// TestE2EUpload: `podmark record --room` uploads while it records and says
// how far behind it is; Ctrl-C while it waits after Stop leaves the rest,
// and `podmark upload DIR` (the room taken from room/link.json) sends it:
// the relay then holds every sample of the local track, and each segment
// once.
func TestE2EUpload(t *testing.T) {
	bin := podmarkBin(t)
	dir := t.TempDir()
	port := freeLoopbackPort(t)
	startFixedRelay(t, bin, filepath.Join(dir, "store"), port)
	link := fmt.Sprintf("nats://127.0.0.1:%d/show/ep1", port)
	sess := filepath.Join(dir, "alice")
	// 32-bit float goes as raw PCM: 1 MiB a segment (1.4 s of recording
	// at 4× real time), 4.2 s each at 2000 kbit/s: the upload falls behind.
	a := startRoomChild(t, bin, "--out", sess, "--device", "ramp:x4", "--bits", "32f", "--host", "alice", "--room", link, "--upload-kbps", "2000")
	waitFor(t, 30*time.Second, func() bool { return strings.Contains(a.stderr.String(), `upload="`) })
	time.Sleep(6 * time.Second)
	a.send(t, "stop")
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(a.stderr.String(), "sending the rest to the room") })
	time.Sleep(1500 * time.Millisecond)
	if err := a.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err, ok := a.wait(30 * time.Second); !ok || err != nil {
		t.Fatalf("record after Ctrl-C in the upload wait: %v\n%s", err, a.stderr.String())
	}
	if !strings.Contains(a.stderr.String(), "upload left unfinished") || !strings.Contains(a.stderr.String(), "podmark upload "+sess) {
		t.Fatalf("record did not say how to finish the upload:\n%s", a.stderr.String())
	}
	if !strings.Contains(a.stderr.String(), "podmark record: upload: ") {
		t.Errorf("no progress line while waiting:\n%s", a.stderr.String())
	}

	// Bad input first.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upload"}, "usage: podmark upload"},
		{[]string{"upload", filepath.Join(dir, "nope")}, "nope"},
		{[]string{"upload", sess, "--upload-kbps", "-1"}, "--upload-kbps -1"},
		{[]string{"upload", sess, "--room", "nats://127.0.0.1:1/bad"}, "--room"},
	} {
		out, err := exec.Command(bin, tc.args...).CombinedOutput()
		if code := exitCode(err); code != 2 || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, out, tc.want)
		}
	}

	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	bucket := room.Names{Show: "show", Episode: "ep1"}.UploadBucket("alice")
	puts := map[string]int{}
	var mu sync.Mutex
	if _, err := nc.Subscribe("$O."+bucket+".M.>", func(m *nats.Msg) {
		var info jetstream.ObjectInfo
		if json.Unmarshal(m.Data, &info) == nil {
			mu.Lock()
			puts[info.Name]++
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	up := exec.Command(bin, "upload", sess, "--upload-kbps", "0")
	out, err := up.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "all sent and verified") {
		t.Fatalf("podmark upload: %v\n%s", err, out)
	}
	nc.Flush()
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()

	// The relay's copy: every segment's bytes are the track's samples.
	meta, err := session.Load(sess)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := obs.GetBytes(ctx, room.ManifestObject("alice-1"))
	if err != nil {
		t.Fatal(err)
	}
	var man room.Manifest
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	r, err := audio.OpenWAV(filepath.Join(sess, "tracks", "alice-1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	r.Close()
	local, err := os.ReadFile(filepath.Join(sess, "tracks", "alice-1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	pcm := local[info.DataOffset : info.DataOffset+info.Frames*4]
	var got []byte
	for _, s := range man.Segments {
		b, err := obs.GetBytes(ctx, room.SegmentObject("alice-1", s.N))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b...)
		if n := puts[room.SegmentObject("alice-1", s.N)]; n > 1 {
			t.Errorf("segment %d put %d times by upload", s.N, n)
		}
	}
	sum := sha256.Sum256(got)
	if string(got) != string(pcm) || man.PCMSHA256 != hex.EncodeToString(sum[:]) || man.Frames != meta.Frames || man.Codec != room.CodecPCM {
		t.Errorf("relay copy: %d bytes, manifest %d frames %s; local %d bytes, %d frames", len(got), man.Frames, man.Codec, len(pcm), meta.Frames)
	}
	if string(man.Header)+string(pcm)+string(man.Trailer) != string(local) {
		t.Error("header + samples + trailer is not the local file")
	}
	sent := 0
	for name, n := range puts {
		if strings.HasSuffix(name, ".seg") {
			sent += n
		}
	}
	if sent == 0 || sent >= len(man.Segments) {
		t.Errorf("upload sent %d of %d segments: record should have sent some before Ctrl-C", sent, len(man.Segments))
	}
	t.Logf("record sent %d segments before Ctrl-C, upload the other %d", len(man.Segments)-sent, sent)
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
