package room

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/markers"
)

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) log(s string) { l.mu.Lock(); l.b.WriteString(s + "\n"); l.mu.Unlock() }
func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAuth: per-host credentials (nkey and token), wrong credentials
// refused with a clear message, a host cannot publish as another, the
// editor is read-only, garbage and oversized messages are dropped and logged.
func TestAuth(t *testing.T) {
	dir := t.TempDir()
	l, _ := ParseLink("nats://127.0.0.1:4222/show/ep1")
	a := &Auth{Version: AuthVersion}
	alice, err := Invite(a, l, "alice", RoleHost, false)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := Invite(a, l, "bob", RoleHost, true)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := Invite(a, l, "ed", RoleEditor, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Invite(a, l, "alice", RoleHost, false); err == nil {
		t.Error("alice invited twice")
	}
	authPath := filepath.Join(dir, "auth.json")
	if err := WriteAuth(authPath, a); err != nil {
		t.Fatal(err)
	}
	a2, err := ReadAuth(authPath)
	if err != nil || len(a2.Members) != 3 {
		t.Fatalf("ReadAuth: %+v, %v", a2, err)
	}
	seedFile := func(inv Invitation) string {
		p := filepath.Join(dir, inv.Member.Host+".nk")
		if err := os.WriteFile(p, inv.Seed, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := StartRelay(ctx, RelayConfig{Listen: "127.0.0.1:0", Store: filepath.Join(dir, "store"), Auth: a2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base, _ := ParseLink("nats://" + r.Addr().String() + "/show/ep1")

	joinWith := func(host, creds string, link Link, lb *logBuf, watch bool, in *inbox) *Client {
		cfg := Config{Link: link, Creds: creds, Host: host, Rate: 48000, Watch: watch, Log: lb.log}
		if in != nil {
			cfg.OnMarker = in.add
		}
		c, err := Join(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	// Wrong credentials: a fresh nkey the relay does not know.
	stranger := Invitation{Member: Member{Host: "mallory"}}
	{
		other := &Auth{Version: AuthVersion}
		inv, _ := Invite(other, l, "mallory", RoleHost, false)
		stranger.Seed = inv.Seed
	}
	var mlog logBuf
	m := joinWith("mallory", seedFile(stranger), base, &mlog, false, nil)
	waitUntil(t, 30*time.Second, func() bool { return strings.Contains(mlog.String(), "refused these credentials") })
	if m.Joined() {
		t.Error("a stranger joined the closed room")
	}
	var blog logBuf
	wrongPw := base
	wrongPw.User, wrongPw.Password = bob.Link.User, "nope"
	wrongBob := joinWith("bob", "", wrongPw, &blog, false, nil)
	waitUntil(t, 30*time.Second, func() bool {
		return strings.Contains(blog.String(), "refused these credentials") || wrongBob.Link() == LinkOffline
	})
	if wrongBob.Joined() {
		t.Error("a wrong password joined the room")
	}

	// The invited: alice (nkey), bob (token in the link), ed (editor).
	var alog, bl2, elog logBuf
	aIn, bIn, eIn := newInbox(), newInbox(), newInbox()
	ac := joinWith("alice", seedFile(alice), base, &alog, false, aIn)
	bobLink := base
	bobLink.User, bobLink.Password = bob.Link.User, bob.Link.Password
	bc := joinWith("bob", "", bobLink, &bl2, false, bIn)
	ec := joinWith("ed", seedFile(ed), base, &elog, true, eIn)
	waitUntil(t, 20*time.Second, func() bool { return ac.Joined() && bc.Joined() && ec.Joined() })
	ac.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Topic, Title: "from alice", Sample: 1, UTC: time.Now().UTC()})
	if got := bIn.waitN(t, 1, 5*time.Second); got[0].Author != "alice" {
		t.Errorf("bob got %+v", got[0])
	}
	eIn.waitN(t, 1, 5*time.Second)

	// Alice's connection tries to publish as bob, and garbage as herself.
	nc, err := nats.Connect(r.ClientURL(), mustNkey(t, seedFile(alice)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	n := Names{Show: "show", Episode: "ep1"}
	forged := NewMarkerEvent(OpAdd, "bob", 48000, markers.Marker{ID: "forged", Kind: markers.Topic, Title: "forged", UTC: time.Now().UTC()})
	fb, _ := Encode(forged)
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := js.Publish(pctx, n.Markers("bob"), fb); err == nil {
		t.Error("alice published on bob's subject")
	}
	pcancel()
	// On her own subject but claiming to be bob: stored, then dropped by readers.
	if _, err := js.Publish(ctx, n.Markers("alice"), fb); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, n.Markers("alice"), []byte("\x00garbage{")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, n.Markers("alice"), []byte(`{"v":1,"title":"`+strings.Repeat("x", MaxMessage)+`"}`)); err == nil {
		t.Error("oversized message stored")
	}
	ac.MarkerAdded(markers.Marker{ID: markers.NewID(), Kind: markers.Note, Title: "after the junk", Sample: 2, UTC: time.Now().UTC()})
	got := bIn.waitN(t, 2, 5*time.Second)
	if got[1].Title != "after the junk" {
		t.Errorf("bob's second event: %+v", got[1])
	}
	waitUntil(t, 5*time.Second, func() bool {
		s := bl2.String()
		return strings.Contains(s, `from alice claiming author "bob"`) && strings.Contains(s, "dropped marker event") && strings.Contains(s, "from alice: room: bad message")
	})

	// The editor may read but not publish.
	enc, err := nats.Connect(r.ClientURL(), mustNkey(t, seedFile(ed)))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	ejs, _ := jetstream.New(enc)
	pctx, pcancel = context.WithTimeout(ctx, 2*time.Second)
	defer pcancel()
	if _, err := ejs.Publish(pctx, n.Markers("alice"), fb); err == nil {
		t.Error("the editor published a marker")
	}
	if _, _, err := ec.Next(ctx); err == nil {
		t.Error("the editor advanced the rundown")
	}
}

func mustNkey(t *testing.T, path string) nats.Option {
	o, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func waitUntil(t *testing.T, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
