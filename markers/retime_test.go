package markers

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseCut(t *testing.T) {
	good := map[string]Cut{
		"83-95.5":             {83 * time.Second, 95500 * time.Millisecond},
		"1:02:03-1:02:40.250": {time.Hour + 2*time.Minute + 3*time.Second, time.Hour + 2*time.Minute + 40250*time.Millisecond},
		" 0 - 1:00 ":          {0, time.Minute},
	}
	for in, want := range good {
		if got, err := ParseCut(in); err != nil || got != want {
			t.Errorf("ParseCut(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "10-5", "5-5", "a-b", "1:60-2:00", "-5-10"} {
		if _, err := ParseCut(in); !errors.Is(err, ErrBadCut) {
			t.Errorf("ParseCut(%q) err = %v", in, err)
		}
	}
	if s := (Cut{90 * time.Second, 95500 * time.Millisecond}).String(); s != "00:01:30.000-00:01:35.500" {
		t.Error(s)
	}
}

func TestRetime(t *testing.T) {
	s := func(sec float64) int64 { return int64(sec * rate) }
	d := Doc{Rate: rate, Frames: s(600), Markers: []Marker{
		{ID: "a", Kind: Topic, Sample: 0},
		{ID: "b", Kind: Topic, Sample: s(100)},
		{ID: "c", Kind: Topic, Sample: s(150)},             // inside cut 1: clamped to 120
		{ID: "d", Kind: Edit, Sample: s(110), End: s(130)}, // end inside cut 1
		{ID: "e", Kind: Edit, Sample: s(125), End: s(135)}, // wholly inside cut 1: a point
		{ID: "f", Kind: Topic, Sample: s(300)},             // after both cuts
		{ID: "g", Kind: Note, Sample: s(190), End: s(320)}, // spans cut 2
	}}
	cuts := []Cut{
		{200 * time.Second, 220 * time.Second}, // cut 2 (given first: order does not matter)
		{120 * time.Second, 160 * time.Second}, // cut 1
		{130 * time.Second, 140 * time.Second}, // inside cut 1: merged
		{400 * time.Second, 400 * time.Second}, // empty: ignored
		{time.Duration(-5) * time.Second, 0},   // before 0: nothing
	}
	got := Retime(d, 12*time.Second, cuts)
	want := map[string][2]int64{
		"a": {s(12), 0},
		"b": {s(112), 0},
		"c": {s(132), 0},
		"d": {s(122), s(132)},
		"e": {s(132), 0},
		"f": {s(252), 0},
		"g": {s(162), s(272)},
	}
	for _, m := range got.Markers {
		if w := want[m.ID]; m.Sample != w[0] || m.End != w[1] {
			t.Errorf("%s: %d..%d, want %d..%d", m.ID, m.Sample/rate, m.End/rate, w[0]/rate, w[1]/rate)
		}
	}
	if got.Frames != s(600-60+12) {
		t.Errorf("frames %d s", got.Frames/rate)
	}
	if d.Markers[1].Sample != s(100) {
		t.Error("input changed")
	}

	// A negative offset trims the start; markers before it clamp to 0.
	neg := Retime(d, -90*time.Second, nil)
	if neg.Markers[0].Sample != 0 || neg.Markers[1].Sample != s(10) || neg.Frames != s(510) {
		t.Errorf("negative offset: %+v", neg.Markers[:2])
	}
	// No offset and no cuts: unchanged.
	if same := Retime(d, 0, nil); !reflect.DeepEqual(same, d) {
		t.Error("identity retime changed the doc")
	}
	// Unknown frames stay unknown; rate 0 is returned as is.
	d.Frames = 0
	if Retime(d, time.Second, nil).Frames != 0 {
		t.Error("frames became known")
	}
	if z := Retime(Doc{Markers: []Marker{{Sample: 5}}}, time.Hour, nil); z.Markers[0].Sample != 5 {
		t.Error("rate 0 retimed")
	}
}
