package room

import (
	"errors"
	"os"
	"testing"
)

func TestSessionLinkRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		link   string
		secret bool
		want   string
	}{
		{"nats://127.0.0.1:4222/show/ep1", false, "nats://127.0.0.1:4222/show/ep1"},
		{"nats://s3cret@relay.example.com/show/ep1", true, "nats://relay.example.com:4222/show/ep1"},
		{"tls://alice:pw@relay.example.com:7422/show/ep1", true, "tls://relay.example.com:7422/show/ep1"},
	} {
		dir := t.TempDir()
		l, err := ParseLink(tc.link)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteSessionLink(dir, l, "alice", "alice.nk", ""); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(dir + "/" + LinkFile)
		for _, secret := range []string{"s3cret", "pw"} {
			if l.Token == secret || l.Password == secret {
				if string(b) != "" && containsBytes(b, secret) {
					t.Errorf("%s: the secret is on disk: %s", tc.link, b)
				}
			}
		}
		sl, err := ReadSessionLink(dir)
		if err != nil {
			t.Fatal(err)
		}
		if sl.Link != tc.want || sl.Secret != tc.secret || sl.Host != "alice" || sl.Creds == "" || sl.CA != "" {
			t.Errorf("%s: read back %+v", tc.link, sl)
		}
	}
	if _, err := ReadSessionLink(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no link file: %v", err)
	}
}

func containsBytes(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}

func FuzzSessionLink(f *testing.F) {
	f.Add([]byte(`{"v":1,"link":"nats://127.0.0.1:4222/show/ep1","host":"alice"}`))
	f.Add([]byte(`{"v":1,"link":"tls://h/s/e","host":"a","creds":"/x.nk","secret":true}`))
	f.Add([]byte(`{"v":2,"link":"nats://h/s/e","host":"a"}`))
	f.Add([]byte(`{"v":1,"link":"nats://h/s/e","host":"a__b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sl, err := parseSessionLink(b, "link.json")
		if err != nil {
			return
		}
		if _, err := ParseLink(sl.Link); err != nil {
			t.Errorf("accepted a bad link %q", sl.Link)
		}
		if CheckName("host", sl.Host) != nil || sl.V != Version {
			t.Errorf("accepted %+v", sl)
		}
	})
}
