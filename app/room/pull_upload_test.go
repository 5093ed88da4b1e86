package room

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// TestPullWhatTheUploaderSent is both sides of the hand-off on a relay
// with credentials: two hosts record through the real session engine with
// the real uploader (one 24-bit stereo, one 32-bit float), carol is invited
// but never records (an empty bucket), and the editor's pull --follow,
// started before anyone records and using the editor's read-only
// credentials, ends once both sessions are verified, each identical to the
// host's folder, and announces both.
func TestPullWhatTheUploaderSent(t *testing.T) {
	dir := t.TempDir()
	l0, _ := ParseLink("nats://127.0.0.1:4222/show/ep1")
	a := &Auth{Version: AuthVersion}
	seeds := map[string]string{}
	for _, m := range []struct {
		host string
		role Role
	}{{"alice", RoleHost}, {"bob", RoleHost}, {"carol", RoleHost}, {"ed", RoleEditor}} {
		inv, err := Invite(a, l0, m.host, m.role, false)
		if err != nil {
			t.Fatal(err)
		}
		seeds[m.host] = filepath.Join(dir, m.host+".nk")
		if err := os.WriteFile(seeds[m.host], inv.Seed, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := StartRelay(ctx, RelayConfig{Listen: "127.0.0.1:0", Store: filepath.Join(dir, "store"), Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	link, _ := ParseLink("nats://" + r.Addr().String() + "/show/ep1")

	out := filepath.Join(dir, "editor")
	var elog logBuf
	type result struct {
		res *PullResult
		err error
	}
	pulled := make(chan result, 1)
	go func() {
		res, err := Pull(ctx, PullConfig{Link: link, Creds: seeds["ed"], As: "ed", Out: out, Follow: true, Log: elog.log})
		pulled <- result{res, err}
	}()
	// alice listens for the editor's announcements with her own credentials.
	anc, err := nats.Connect(link.ServerURL(), must(nats.NkeyOptionFromSeed(seeds["alice"])))
	if err != nil {
		t.Fatal(err)
	}
	defer anc.Close()
	announced := make(chan Pulled, 4)
	if _, err := anc.Subscribe(NamesOf(link).AllPulled(), func(m *nats.Msg) {
		if p, err := Decode[Pulled](m.Data, 0); err == nil {
			announced <- p
		}
	}); err != nil {
		t.Fatal(err)
	}
	anc.Flush()

	hosts := []struct {
		name     string
		format   audio.SampleFormat
		channels int
	}{{"alice", audio.Int24, 2}, {"bob", audio.Float32, 1}}
	dirs := map[string]string{}
	errc := make(chan error, len(hosts))
	for _, h := range hosts {
		sdir := filepath.Join(dir, h.name)
		dirs[h.name] = sdir
		go func() {
			var lb logBuf
			c, err := Join(Config{Link: link, Creds: seeds[h.name], Host: h.name, Rate: 48000, Log: lb.log})
			if err != nil {
				errc <- err
				return
			}
			defer c.Close(context.Background())
			started := make(chan *Uploader, 1)
			go func() {
				for {
					if _, err := os.Stat(filepath.Join(sdir, session.MetaFile)); err == nil {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				up, err := StartUpload(ctx, c, sdir, UploadOptions{Log: lb.log, Poll: 50 * time.Millisecond})
				if err != nil {
					t.Error(err)
				}
				started <- up
			}()
			recordRamp(t, sdir, h.name, h.format, h.channels, 2*SegmentFrames+4321, "ramp:x20")
			up := <-started
			if up == nil {
				errc <- nil
				return
			}
			defer up.Close()
			err = up.Wait(ctx)
			if err != nil {
				t.Logf("%s's uploader:\n%s", h.name, lb.String())
			}
			errc <- err
		}()
	}
	for range hosts {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	res := <-pulled
	if res.err != nil {
		t.Fatalf("pull: %v\n%s", res.err, elog.String())
	}
	states := map[string]PullState{}
	for _, h := range res.res.Hosts {
		states[h.Host] = h.State
	}
	if states["alice"] != PullVerified || states["bob"] != PullVerified || states["carol"] != PullEmpty {
		t.Errorf("hosts: %+v", res.res.Hosts)
	}
	for _, h := range hosts {
		meta, err := session.Load(dirs[h.name])
		if err != nil {
			t.Fatal(err)
		}
		th := testHost{name: h.name, dir: dirs[h.name]}
		for _, tr := range meta.Tracks {
			th.tracks = append(th.tracks, trackBase(tr.File))
		}
		sameFiles(t, th, filepath.Join(out, h.name))
		if _, err := session.Load(filepath.Join(out, h.name)); err != nil {
			t.Errorf("pulled %s: %v", h.name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "carol")); err == nil {
		t.Error("carol recorded nothing but has a folder")
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case p := <-announced:
			got[p.Host] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("announcements: %v", got)
		}
	}
}

func trackBase(file string) string {
	b := filepath.Base(file)
	return b[:len(b)-len(filepath.Ext(b))]
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
