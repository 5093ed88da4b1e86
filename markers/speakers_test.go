package markers

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func s(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }

// speakerDoc is a short two-host episode: three chapters, an editor note.
func speakerDoc() Doc {
	at := func(v float64) int64 { return int64(v * 48000) }
	return Doc{Version: DocVersion, Title: "Episode 49: Who said <what>?", Rate: 48000, Frames: at(40), Markers: []Marker{
		{ID: "c1", Kind: Topic, Title: "Intro", Sample: 0},
		{ID: "c2", Kind: Topic, Title: "Tabs & spaces", Sample: at(12.5)},
		{ID: "n1", Kind: Note, Title: "editor only", Sample: at(20)},
		{ID: "c3", Kind: Sponsor, Title: "Acme --> Widgets", Sample: at(30)},
	}}
}

func speakerTurns() []Turn {
	return []Turn{
		{"Michael", s(0.5), s(6.2)},
		{"Brian", s(6.6), s(12.0)},
		{"Michael", s(9.1), s(9.5)}, // "yeah" inside Brian's turn
		{"Michael", s(12.8), s(21.0)},
		{"Brian", s(20.4), s(29.0)}, // overlaps Michael's end
		{"Bri<an> & co", s(30.2), s(38.0)},
	}
}

func TestLabelCues(t *testing.T) {
	d := speakerDoc()
	turns := speakerTurns()
	for _, tc := range []struct {
		name string
		cue  Cue
		want string
	}{
		{"inside one turn", Cue{Start: s(1), End: s(5), Text: "a"}, "Michael"},
		{"interjection loses to the turn around it", Cue{Start: s(8.8), End: s(9.8), Text: "b"}, "Brian"},
		{"the interjection's own cue", Cue{Start: s(9.1), End: s(9.5), Text: "yeah"}, "Michael"},
		{"the interjection's own cue, found a little wide", Cue{Start: s(9.05), End: s(9.52), Text: "yeah"}, "Michael"},
		{"most talk wins an overlap", Cue{Start: s(19.5), End: s(23), Text: "c"}, "Brian"},
		{"most talk wins across a change", Cue{Start: s(4.5), End: s(7.5), Text: "d"}, "Michael"},
		{"silence takes the nearest turn", Cue{Start: s(6.45), End: s(6.55), Text: "e"}, "Brian"},
		{"far from speech keeps its speaker", Cue{Start: s(39.2), End: s(39.9), Speaker: "Host", Text: "f"}, "Host"},
		{"existing speaker is replaced", Cue{Start: s(31), End: s(33), Speaker: "Someone", Text: "g"}, "Bri<an> & co"},
	} {
		got := LabelCues(d, []Cue{tc.cue}, turns, LabelOptions{})
		if len(got) != 1 || got[0].Speaker != tc.want || got[0].Text != tc.cue.Text || got[0].Start != tc.cue.Start {
			t.Errorf("%s: %+v, want speaker %q", tc.name, got, tc.want)
		}
	}
	// Cues without end times (plain transcripts) last until the next cue.
	plain := []Cue{{Start: s(1), Text: "x"}, {Start: s(7), Text: "y"}, {Start: s(13), Text: "z"}, {Start: s(22), Text: "v"}, {Start: s(31), Text: "w"}}
	var sp []string
	for _, c := range LabelCues(d, plain, turns, LabelOptions{Split: true}) {
		sp = append(sp, c.Speaker)
	}
	if strings.Join(sp, ",") != "Michael,Brian,Michael,Brian,Bri<an> & co" {
		t.Errorf("plain cues labelled %v", sp)
	}
}

func TestLabelCuesSplit(t *testing.T) {
	d := speakerDoc()
	turns := speakerTurns()
	cue := Cue{Start: s(2), End: s(11), Text: "First I talk for a while about this. Then Brian answers me. And goes on."}
	got := LabelCues(d, []Cue{cue}, turns, LabelOptions{Split: true})
	want := []Cue{
		{Start: s(2), End: s(6.6), Speaker: "Michael", Text: "First I talk for a while about this."},
		{Start: s(6.6), End: s(11), Speaker: "Brian", Text: "Then Brian answers me. And goes on."},
	}
	if len(got) != len(want) {
		t.Fatalf("split into %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		name string
		cue  Cue
		opt  LabelOptions
	}{
		{"not asked", cue, LabelOptions{}},
		{"one sentence", Cue{Start: s(2), End: s(11), Text: "one long sentence without a stop in the middle"}, LabelOptions{Split: true}},
		{"no end time", Cue{Start: s(2), Text: cue.Text}, LabelOptions{Split: true}},
		{"change too near the edge", Cue{Start: s(2), End: s(7.2), Text: cue.Text}, LabelOptions{Split: true}},
		{"interjection is not a change", Cue{Start: s(7), End: s(11.5), Text: "Brian talks. Michael says yeah. Brian again."}, LabelOptions{Split: true}},
	} {
		if got := LabelCues(d, []Cue{tc.cue}, turns, tc.opt); len(got) != 1 || got[0].Text != tc.cue.Text {
			t.Errorf("%s: split into %+v", tc.name, got)
		}
	}
}

func TestRetimeTurns(t *testing.T) {
	turns := []Turn{{"A", s(1), s(3)}, {"B", s(4), s(6)}, {"A", s(10), s(12)}}
	got := RetimeTurns(turns, 48000, s(2), []Cut{{Start: s(2), End: s(5)}, {Start: s(9), End: s(13)}})
	want := []Turn{{"A", s(3), s(4)}, {"B", s(4), s(5)}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("retimed %+v, want %+v", got, want)
	}
	if got := RetimeTurns(turns, 48000, 0, nil); len(got) != 3 || &got[0] == &turns[0] {
		t.Errorf("no retime: %+v", got)
	}
}

// TestSpeakerGolden checks every speaker-aware output against golden files.
func TestSpeakerGolden(t *testing.T) {
	d := speakerDoc().Public()
	turns := speakerTurns()
	cues := LabelCues(d, []Cue{
		{Start: s(0.6), End: s(6), Text: "Welcome to episode 49, I'm Michael."},
		{Start: s(6.7), End: s(11.9), Text: "And I'm Brian. Tabs or spaces --> today?"},
		{Start: s(12.9), End: s(20.9), Text: "Spaces, obviously <b>always</b> & forever."},
		{Start: s(21), End: s(28.9), Text: "Not so fast."},
		{Start: s(30.3), End: s(37.9), Text: "This episode is brought to you by Acme."},
	}, turns, LabelOptions{})
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"speakers.seed.md", func(b *bytes.Buffer) error { return WriteSpeakerSeed(b, "md", d, turns) }},
		{"speakers.seed.vtt", func(b *bytes.Buffer) error { return WriteSpeakerSeed(b, "vtt", d, turns) }},
		{"speakers.transcript.md", func(b *bytes.Buffer) error { return WriteCues(b, "md", d, cues) }},
		{"speakers.transcript.html", func(b *bytes.Buffer) error { return WriteCues(b, "html", d, cues) }},
		{"speakers.transcript.vtt", func(b *bytes.Buffer) error { return WriteCues(b, "vtt", d, cues) }},
		{"speakers.transcript.srt", func(b *bytes.Buffer) error { return WriteCues(b, "srt", d, cues) }},
		{"speakers.transcript.json", func(b *bytes.Buffer) error { return WriteCues(b, "json", d, cues) }},
		{"speakers.turns.txt", func(b *bytes.Buffer) error { return WriteTurns(b, "txt", turns) }},
		{"speakers.turns.json", func(b *bytes.Buffer) error { return WriteTurns(b, "json", turns) }},
	} {
		var b bytes.Buffer
		if err := tc.write(&b); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		golden(t, tc.name, b.Bytes())
	}
}

// TestSpeakerRoundTrip reads the labelled outputs back with ReadTranscript
// (and the timeline with the Audacity reader): speakers and words survive.
func TestSpeakerRoundTrip(t *testing.T) {
	d := speakerDoc()
	// SRT has no escapes (readers drop anything like a tag) and names
	// with markup are checked by the outside readers; here plain names.
	turns := speakerTurns()
	turns[5].Speaker = "Brian O'Neil"
	cues := []Cue{
		{Start: s(1), End: s(5), Text: "Hello & welcome."},
		{Start: s(7), End: s(11), Text: "Thanks --> for having me."},
		{Start: s(31), End: s(37), Text: "Acme, \"quoted\"."},
	}
	cues = LabelCues(d, cues, turns, LabelOptions{})
	for _, f := range []string{"vtt", "json", "srt"} {
		var b bytes.Buffer
		if err := WriteCues(&b, f, d, cues); err != nil {
			t.Fatal(err)
		}
		got, err := ReadTranscript(bytes.NewReader(b.Bytes()), "t."+f)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, b.Bytes())
		}
		if len(got) != len(cues) {
			t.Fatalf("%s: %d cues back, want %d", f, len(got), len(cues))
		}
		for i, c := range got {
			want := cues[i]
			text, speaker := c.Text, c.Speaker
			if f == "srt" { // SRT has no speaker field: "Name: text"
				speaker, text, _ = strings.Cut(c.Text, ": ")
			}
			if f == "vtt" { // WebVTT cues end where the next starts
				want.End = c.End
			}
			wantText := want.Text
			if f == "srt" {
				wantText = strings.ReplaceAll(wantText, "-->", "->")
			}
			if speaker != want.Speaker || text != wantText || c.Start != want.Start || c.End != want.End {
				t.Errorf("%s cue %d: %q %q %v-%v, want %q %q %v-%v", f, i, speaker, text, c.Start, c.End, want.Speaker, wantText, want.Start, want.End)
			}
		}
	}
	// The seed's voice spans read back as speakers, one cue per turn.
	var b bytes.Buffer
	if err := WriteSpeakerSeed(&b, "vtt", d, turns); err != nil {
		t.Fatal(err)
	}
	seed, err := ReadTranscript(bytes.NewReader(b.Bytes()), "seed.vtt")
	if err != nil {
		t.Fatal(err)
	}
	if len(seed) != len(turns) || seed[0].Speaker != "Michael" || seed[0].Start != s(0.5) || seed[0].End != s(6.2) || seed[5].Speaker != "Brian O'Neil" {
		t.Errorf("seed read back: %+v", seed)
	}
	// The timeline is an Audacity label track.
	b.Reset()
	if err := WriteTurns(&b, "txt", turns); err != nil {
		t.Fatal(err)
	}
	ld, err := Read(bytes.NewReader(b.Bytes()), FormatAudacity)
	if err != nil {
		t.Fatal(err)
	}
	if len(ld.Markers) != len(turns) || ld.Markers[1].Title != "Brian" || SamplesToDuration(ld.Markers[1].End, ld.Rate) != s(12) {
		t.Errorf("labels read back: %+v", ld.Markers)
	}
}

// The JSON transcript has exactly the podcast namespace fields.
func TestSpeakerJSONFields(t *testing.T) {
	var b bytes.Buffer
	cues := []Cue{{Start: s(1.2345), Speaker: "Michael", Text: "Hi."}, {Start: s(3), Text: "No speaker."}}
	if err := WriteCues(&b, "json", speakerDoc(), cues); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version  string           `json:"version"`
		Segments []map[string]any `json:"segments"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "1.0.0" || len(doc.Segments) != 2 {
		t.Fatalf("%s", b.Bytes())
	}
	if sg := doc.Segments[0]; sg["speaker"] != "Michael" || sg["startTime"] != 1.235 || sg["endTime"] != 3.0 || sg["body"] != "Hi." {
		t.Errorf("segment 0: %v", sg)
	}
	if _, ok := doc.Segments[1]["speaker"]; ok {
		t.Errorf("segment without a speaker has one: %v", doc.Segments[1])
	}
	if sg := doc.Segments[1]; sg["endTime"] != 40.0 {
		t.Errorf("last segment ends %v, want the audio's end", sg["endTime"])
	}
}

func TestSpeakerFormatErrors(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSpeakerSeed(&b, "html", speakerDoc(), nil); err == nil {
		t.Error("seed html: no error")
	}
	if err := WriteTurns(&b, "csv", nil); err == nil {
		t.Error("turns csv: no error")
	}
	if err := WriteSpeakerSeed(&b, "md", Doc{}, nil); err == nil {
		t.Error("seed without a rate: no error")
	}
	if err := WriteCues(&b, "srt", Doc{}, nil); err == nil {
		t.Error("srt without a rate: no error")
	}
	if err := WriteCues(&b, "docx", speakerDoc(), nil); err == nil {
		t.Error("docx: no error")
	}
}

// The speaker outputs are read by an outside reader: python3 parses the
// HTML as XML with the speaker names as text, never markup.
func TestSpeakerHTMLEscaped(t *testing.T) {
	python := requireTool(t, "python3")
	cues := LabelCues(speakerDoc(), []Cue{{Start: s(31), End: s(37), Text: "<script>x</script>"}}, speakerTurns(), LabelOptions{})
	var b bytes.Buffer
	if err := WriteCues(&b, "html", speakerDoc(), cues); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, python, "-c", `
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.find(".//script") is None
assert root.find(".//an") is None
for p in root.iter("p"):
    print("".join(p.itertext()))
`, path)
	if strings.TrimSpace(out) != "00:00:31 Bri<an> & co: <script>x</script>" {
		t.Errorf("python3 read %q", out)
	}
}
