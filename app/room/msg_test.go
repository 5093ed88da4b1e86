package room

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/markers"
)

func TestDecodeMarkerEvent(t *testing.T) {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	ok := `{"v":1,"eid":"e1","op":"add","author":"alice","id":"m1","kind":"topic","title":"Intro","sample":48000,"rate":48000,"utc":"` + now + `"}`
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"add", ok, true},
		{"update", strings.Replace(ok, `"add"`, `"update"`, 1), true},
		{"delete", `{"v":1,"eid":"e2","op":"delete","author":"alice","id":"m1","rate":48000,"sample":0,"utc":"` + now + `"}`, true},
		{"region", strings.Replace(ok, `"sample":48000`, `"sample":48000,"end":96000`, 1), true},
		{"version 2", strings.Replace(ok, `"v":1`, `"v":2`, 1), false},
		{"unknown field", strings.Replace(ok, `"v":1`, `"v":1,"evil":true`, 1), false},
		{"bad op", strings.Replace(ok, `"add"`, `"explode"`, 1), false},
		{"bad kind", strings.Replace(ok, `"topic"`, `"bogus"`, 1), false},
		{"negative sample", strings.Replace(ok, `48000,"rate"`, `-1,"rate"`, 1), false},
		{"end before start", strings.Replace(ok, `"sample":48000`, `"sample":48000,"end":10`, 1), false},
		{"beyond 48 h", strings.Replace(ok, `"sample":48000`, `"sample":99999999999999`, 1), false},
		{"rate 0", strings.Replace(ok, `"rate":48000`, `"rate":0`, 1), false},
		{"bad author", strings.Replace(ok, `"alice"`, `"al.ice"`, 1), false},
		{"wildcard author", strings.Replace(ok, `"alice"`, `"*"`, 1), false},
		{"control in title", strings.Replace(ok, `"Intro"`, `"In\u0007tro"`, 1), false},
		{"long title", strings.Replace(ok, `"Intro"`, `"`+strings.Repeat("x", MaxTitle+1)+`"`, 1), false},
		{"bad id", strings.Replace(ok, `"m1"`, `"../etc"`, 1), false},
		{"no utc", strings.Replace(ok, `"utc":"`+now+`"`, `"utc":"0001-01-01T00:00:00Z"`, 1), false},
		{"trailing", ok + `{}`, false},
		{"not json", `hello`, false},
		{"array", `[1,2]`, false},
		{"oversized", `{"v":1,"title":"` + strings.Repeat("x", MaxMessage) + `"}`, false},
	}
	for _, tt := range tests {
		e, err := Decode[MarkerEvent]([]byte(tt.in), 0)
		if tt.ok != (err == nil) {
			t.Errorf("%s: Decode = %+v, %v; want ok=%v", tt.name, e, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrMessage) {
			t.Errorf("%s: error %v does not wrap ErrMessage", tt.name, err)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	m := markers.Marker{ID: markers.NewID(), Kind: markers.Sponsor, Title: "Acme — «ads»", Sample: 123, End: 456, UTC: time.Now().UTC()}
	e := NewMarkerEvent(OpAdd, "bob", 44100, m)
	b, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode[MarkerEvent](b, 0)
	if err != nil {
		t.Fatal(err)
	}
	gm := got.Marker()
	if gm.ID != m.ID || gm.Title != m.Title || gm.Sample != 123 || gm.End != 456 || gm.Author != "bob" || !gm.UTC.Equal(m.UTC) {
		t.Errorf("round trip: %+v", gm)
	}
	p := Presence{V: 1, Host: "bob", State: StateFailed, Error: "device lost", Rate: 48000, Position: 10, Elapsed: 1.5, Level: 0.3, DiskLeft: -1, Link: "online", UTC: time.Now().UTC()}
	b, err = Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if gp, err := Decode[Presence](b, 0); err != nil || gp.State != StateFailed || gp.Error != "device lost" {
		t.Errorf("presence: %+v, %v", gp, err)
	}
	if _, err := Encode(Presence{V: 1, Host: "bob", State: "dancing"}); !errors.Is(err, ErrMessage) {
		t.Errorf("Encode of a bad presence: %v", err)
	}
	r := Rundown{V: 1, Items: []string{"Intro", "News"}, Current: 0, By: "bob", At: time.Now().UTC()}
	if b, err = Encode(r); err != nil {
		t.Fatal(err)
	}
	if gr, err := Decode[Rundown](b, 64<<10); err != nil || gr.Current != 0 || len(gr.Items) != 2 {
		t.Errorf("rundown: %+v, %v", gr, err)
	}
	if err := (Rundown{V: 1, Items: []string{"a"}, Current: 2}).Validate(); err == nil {
		t.Error("rundown current past the end accepted")
	}
}

// FuzzDecode feeds arbitrary bytes to every message decoder: none may
// panic, and whatever is accepted must encode and decode to itself.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := Decode[MarkerEvent](b, 0); err == nil {
			again, err := Encode(e)
			if err != nil {
				t.Fatalf("accepted marker event does not encode: %v", err)
			}
			if _, err := Decode[MarkerEvent](again, 0); err != nil {
				t.Fatalf("re-encoded marker event rejected: %v", err)
			}
		}
		if p, err := Decode[Presence](b, 0); err == nil {
			if _, err := Encode(p); err != nil {
				t.Fatalf("accepted presence does not encode: %v", err)
			}
		}
		_, _ = Decode[ClockRequest](b, 0)
		_, _ = Decode[ClockReply](b, 0)
		_, _ = Decode[Rundown](b, 64<<10)
	})
}

// TestOneLine: whatever an error says, the presence carrying it passes
// validation (a joined error has newlines; a path may hold anything).
func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"audio: write a.wav: no space left on device", "audio: write a.wav: no space left on device"},
		{"audio: write: no space left on device\naudio: close: no space left on device", "audio: write: no space left on device; audio: close: no space left on device"},
		{"bell\x07 and\r\nline\n", "bell  and ; line"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{strings.Repeat("é", MaxTitle+10), strings.Repeat("é", MaxTitle)},
	}
	for _, tt := range tests {
		got := OneLine(tt.in, MaxTitle)
		if got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
		p := Presence{V: Version, Host: "alice", State: StateFailed, Error: got, Rate: 48000, DiskLeft: -1, UTC: time.Now().UTC()}
		if err := p.Validate(); err != nil {
			t.Errorf("presence with %q: %v", got, err)
		}
	}
}
