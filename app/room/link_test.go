package room

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLink(t *testing.T) {
	tests := []struct {
		in   string
		want Link
		err  bool
	}{
		{in: "nats://127.0.0.1:4333/myshow/ep-12", want: Link{Host: "127.0.0.1", Port: 4333, Show: "myshow", Episode: "ep-12"}},
		{in: "nats://relay.example.com/show/ep1", want: Link{Host: "relay.example.com", Port: 4222, Show: "show", Episode: "ep1"}},
		{in: "tls://s3cret@relay.example.com:4443/show/ep1", want: Link{TLS: true, Token: "s3cret", Host: "relay.example.com", Port: 4443, Show: "show", Episode: "ep1"}},
		{in: "nats://alice:pw@[::1]:5000/s/e/", want: Link{User: "alice", Password: "pw", Host: "::1", Port: 5000, Show: "s", Episode: "e"}},
		{in: "  NATS://h/s/e  ", want: Link{Host: "h", Port: 4222, Show: "s", Episode: "e"}},
		{in: "", err: true},
		{in: "http://h/s/e", err: true},
		{in: "h:4222/s/e", err: true},
		{in: "nats:///s/e", err: true},
		{in: "nats://h/s", err: true},
		{in: "nats://h/s/e/x", err: true},
		{in: "nats://h:0/s/e", err: true},
		{in: "nats://h:99999/s/e", err: true},
		{in: "nats://h:/s/e", err: true},
		{in: "nats://h/s.x/e", err: true},
		{in: "nats://h/s/e*", err: true},
		{in: "nats://h/a__b/e", err: true},
		{in: "nats://h/s/e?x=1", err: true},
		{in: "nats://@h/s/e", err: true},
		{in: "nats://u:@h/s/e", err: true},
	}
	for _, tt := range tests {
		got, err := ParseLink(tt.in)
		if tt.err {
			if !errors.Is(err, ErrLink) {
				t.Errorf("ParseLink(%q) = %+v, %v; want ErrLink", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLink(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		again, err := ParseLink(got.Full())
		if err != nil || again != got {
			t.Errorf("ParseLink(Full(%q)) = %+v, %v", tt.in, again, err)
		}
	}
}

func TestLinkStringHidesSecret(t *testing.T) {
	l, err := ParseLink("tls://alice:hunter2@relay:4222/s/e")
	if err != nil {
		t.Fatal(err)
	}
	if s := l.String(); s != "tls://alice:***@relay:4222/s/e" {
		t.Errorf("String = %q", s)
	}
	if _, err := ParseLink("nats://alice:hunter2@h:x/s/e"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password or is nil: %v", err)
	}
}

func TestNames(t *testing.T) {
	n := Names{Show: "show", Episode: "ep1"}
	for _, tt := range []struct{ got, want string }{
		{n.Stream(), "PODMARK_show__ep1"},
		{n.Markers("alice"), "podmark.show.ep1.markers.alice"},
		{n.Presence("bob"), "podmark.show.ep1.presence.bob"},
		{n.Clock("bob"), "podmark.show.ep1.clock.bob"},
		{n.RundownBucket(), "PODMARK_show__ep1_RUNDOWN"},
		{n.HostOf("podmark.show.ep1.markers.alice"), "alice"},
		{n.HostOf("podmark.show.ep2.markers.alice"), ""},
		{n.HostOf("podmark.show.ep1.upload.alice"), ""},
		{n.HostOf("podmark.show.ep1.markers.a.b"), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
