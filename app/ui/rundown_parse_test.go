package ui

import (
	"reflect"
	"testing"

	"github.com/podmark/podmark/markers"
)

func TestParseRundown(t *testing.T) {
	tests := []struct {
		in   string
		want []Segment
	}{
		{"", nil},
		{"Intro\n\nNews", []Segment{{"Intro", markers.Topic}, {"News", markers.Topic}}},
		{"- Intro\n* News\n+ Mail", []Segment{{"Intro", markers.Topic}, {"News", markers.Topic}, {"Mail", markers.Topic}}},
		{"1. Intro\n2) News\n10. Outro", []Segment{{"Intro", markers.Topic}, {"News", markers.Topic}, {"Outro", markers.Topic}}},
		{"sponsor: Acme VPN\nSPONSOR:Bolt\nsponsor:", []Segment{{"Acme VPN", markers.Sponsor}, {"Bolt", markers.Sponsor}, {"Sponsor", markers.Sponsor}}},
		{"- sponsor: Acme", []Segment{{"Acme", markers.Sponsor}}},
		{"- [ ] Intro\n- [x] Done thing", []Segment{{"Intro", markers.Topic}, {"Done thing", markers.Topic}}},
		{"## Part one\r\n  -   spaced  \r\n", []Segment{{"Part one", markers.Topic}, {"spaced", markers.Topic}}},
		{"2024 in review", []Segment{{"2024 in review", markers.Topic}}},
		{"1.5 release", []Segment{{"1.5 release", markers.Topic}}},
	}
	for _, tt := range tests {
		if got := ParseRundown(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRundown(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRundownProgress(t *testing.T) {
	var r Rundown
	r.Reset(ParseRundown("A\nsponsor: B\nC"))
	if s := r.State(0); s != SegmentUpcoming {
		t.Fatalf("before start: state %v", s)
	}
	for i, want := range []Segment{{"A", markers.Topic}, {"B", markers.Sponsor}, {"C", markers.Topic}} {
		got, ok := r.Advance()
		if !ok || got != want {
			t.Fatalf("Advance %d = %v %v, want %v", i, got, ok, want)
		}
		if r.State(i) != SegmentCurrent || (i > 0 && r.State(i-1) != SegmentDone) {
			t.Fatalf("after Advance %d: states %v %v", i, r.State(i-1), r.State(i))
		}
	}
	if _, ok := r.Advance(); ok {
		t.Fatal("Advance past the end succeeded")
	}
	if r.Started() != 3 {
		t.Fatalf("Started = %d", r.Started())
	}
}
