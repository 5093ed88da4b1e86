package markers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podmark/podmark/markers"
)

func ExampleOpenJournal() {
	dir, err := os.MkdirTemp("", "session")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "markers.jsonl")

	j, err := markers.OpenJournal(path)
	if err != nil {
		panic(err)
	}
	// Each call is on disk (fsynced) when it returns.
	j.Add(markers.Marker{ID: "m1", Kind: markers.Topic, Title: "Intro", Sample: 0})
	j.Add(markers.Marker{ID: "m2", Kind: markers.Edit, Title: "cough", Sample: 480000})
	title := "Welcome"
	j.Update(markers.Update{ID: "m1", Title: &title})
	j.Delete("m2")
	if err := j.Close(); err != nil {
		panic(err)
	}

	ms, warnings, err := markers.ReplayJournalFile(path)
	fmt.Println(len(ms), ms[0].Title, len(warnings), err)
	// Output: 1 Welcome 0 <nil>
}

func ExampleReplayJournal() {
	journal := `{"op":"add","marker":{"id":"a","kind":"topic","title":"Intro","sample":0}}
{"op":"delete","id":"zz"}
{"op":"add","marker":{"id":"b","kind":"spon`
	ms, warnings, _ := markers.ReplayJournal(strings.NewReader(journal))
	fmt.Println(len(ms), ms[0].Title)
	for _, w := range warnings {
		fmt.Println(w)
	}
	// Output:
	// 1 Intro
	// line 2: delete of unknown id "zz" ignored
	// line 3: torn last line ignored (43 bytes)
}

func ExampleWrite() {
	d := markers.Doc{Rate: 48000, Markers: []markers.Marker{
		{ID: "a", Kind: markers.Topic, Title: "Intro", Sample: 0},
		{ID: "b", Kind: markers.Sponsor, Title: "Our sponsor", URL: "https://example.com", Sample: 48000 * 95},
		{ID: "c", Kind: markers.Edit, Title: "cut the cough", Sample: 48000 * 100},
		{ID: "d", Kind: markers.Topic, Title: "Main topic", Sample: 48000*125 + 24000},
	}}
	// Public chapter formats leave out edit, note and glitch markers.
	markers.Write(os.Stdout, markers.FormatMP4Chaps, d)
	// Editor formats carry every kind.
	markers.Write(os.Stdout, markers.FormatAudacity, d)
	// Output:
	// 00:00:00.000 Intro
	// 00:01:35.000 Our sponsor <https://example.com>
	// 00:02:05.500 Main topic
	// 0.000000	0.000000	[topic] Intro
	// 95.000000	95.000000	[sponsor] Our sponsor <https://example.com>
	// 100.000000	100.000000	[edit] cut the cough
	// 125.500000	125.500000	[topic] Main topic
}

func ExampleDoc_Public() {
	d := markers.Doc{Rate: 48000, Markers: []markers.Marker{
		{ID: "a", Kind: markers.Topic, Title: "Intro", Sample: 0},
		{ID: "b", Kind: markers.Sponsor, Title: "Sponsor", Sample: 48000 * 30},
		{ID: "c", Kind: markers.Topic, Title: "News", Sample: 48000 * 60},
		{ID: "d", Kind: markers.Topic, Title: "Mail", Sample: 48000 * 3600},
	}}
	markers.Write(os.Stdout, markers.FormatYouTube, d.Public(markers.Topic))
	// Output:
	// 0:00 Intro
	// 1:00 News
	// 1:00:00 Mail
}

func ExampleRead() {
	in := "\ufeff00:00 Intro\r\n01:59.5 Podlove <http://podlove.org/>\r\n"
	d, err := markers.Read(strings.NewReader(in), markers.FormatMP4Chaps)
	if err != nil {
		panic(err)
	}
	for _, m := range d.Markers {
		fmt.Printf("%s %d %q %q\n", m.Kind, m.Sample, m.Title, m.URL)
	}
	_, err = markers.Read(strings.NewReader("00:00 Intro\nlater Oops\n"), markers.FormatMP4Chaps)
	fmt.Println(err)
	// Output:
	// topic 0 "Intro" ""
	// topic 5736000 "Podlove" "http://podlove.org/"
	// markers: line 2: mp4chaps: bad time "later" (want HH:MM:SS.mmm Title)
}

func ExampleValidateFor() {
	d := markers.Doc{Rate: 48000, Markers: []markers.Marker{
		{ID: "a", Kind: markers.Topic, Title: "Graphs", Sample: 48000 * 5},
		{ID: "b", Kind: markers.Topic, Title: "", Sample: 48000 * 60},
	}}
	fmt.Print(markers.ValidateFor(d, markers.FormatYouTube))
	fixed, notes := markers.Fix(d, markers.FormatYouTube)
	fmt.Println(strings.Join(notes, "\n"))
	markers.Write(os.Stdout, markers.FormatMP4Chaps, fixed)
	// Output:
	// error: 00:00:05.000 "Graphs": YouTube needs the first chapter at 0:00 [youtube-first] (fix: insert an "Intro" chapter at 0:00)
	// error: 2 chapters: YouTube shows chapters only with at least 3 [youtube-too-few]
	// error: 00:01:00.000 "": empty title [empty-title] (fix: title it "Chapter N" (or "Sponsor"))
	// 00:01:00.000: empty title set to "Chapter 2"
	// inserted chapter "Intro" at 0:00
	// 00:00:00.000 "Intro": dropped, shorter than 10 s; "Graphs" moved to 0:00
	// 00:00:00.000 Graphs
	// 00:01:00.000 Chapter 2
}

func ExampleRetime() {
	d := markers.Doc{Rate: 48000, Markers: []markers.Marker{
		{ID: "a", Kind: markers.Topic, Title: "Intro", Sample: 0},
		{ID: "b", Kind: markers.Topic, Title: "Retaken topic", Sample: 48000 * 100},
		{ID: "c", Kind: markers.Topic, Title: "Next", Sample: 48000 * 200},
	}}
	// The editor prepends a 12 s jingle and cuts 1:30-1:50 (a retake).
	cut, _ := markers.ParseCut("1:30-1:50")
	out := markers.Retime(d, 12*time.Second, []markers.Cut{cut})
	markers.Write(os.Stdout, markers.FormatMP4Chaps, out)
	// Output:
	// 00:00:12.000 Intro
	// 00:01:42.000 Retaken topic
	// 00:03:12.000 Next
}

func ExampleWriteTranscript() {
	d := markers.Doc{Title: "Episode 1", Rate: 48000, Markers: []markers.Marker{
		{ID: "a", Kind: markers.Topic, Title: "Intro", Sample: 0},
		{ID: "b", Kind: markers.Topic, Title: "Graphs", Sample: 48000 * 4},
	}}
	cues, _ := markers.ReadTranscript(strings.NewReader("00:00:00 Hello.\n\n00:00:04 Graphs <3\n"), "t.txt")
	markers.WriteTranscript(os.Stdout, "md", d, cues)
	// Output:
	// # Episode 1
	//
	// ## 00:00:00 Intro
	//
	// **00:00:00** Hello.
	//
	// ## 00:00:04 Graphs
	//
	// **00:00:04** Graphs \<3
}

func ExampleFormatTime() {
	fmt.Println(markers.FormatTime(2879976, 48000)) // 59.9995 s rounds to the millisecond
	fmt.Println(markers.FormatClock(2879976, 48000))
	fmt.Println(markers.FormatCUETime(48000*3723, 48000))
	// Output:
	// 00:01:00.000
	// 0:59
	// 62:03:00
}

// A feed holds one psc:chapters block per episode: ReadWith reads one and
// says which.
func ExampleReadWith() {
	feed := `<rss xmlns:psc="http://podlove.org/simple-chapters"><channel>
<item><title>Episode 2</title><guid>ep2</guid><psc:chapters><psc:chapter start="0" title="Hello"/><psc:chapter start="1:30" title="Caf&eacute;"/></psc:chapters></item>
<item><title>Episode 1</title><guid>ep1</guid><psc:chapters><psc:chapter start="0" title="First"/></psc:chapters></item>
</channel></rss>`
	d, warnings, err := markers.ReadWith(strings.NewReader(feed), markers.FormatPSC, markers.ReadOptions{Episode: "ep1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Title, len(d.Markers), d.Markers[0].Title)
	fmt.Println(warnings[0])
	// Output:
	// Episode 1 1 First
	// psc: line 3: a feed with 2 items (2 with chapters): read item 2 of 2 "Episode 1" (guid ep1); choose another with --episode N, a title or a GUID
}

func ExampleClock() {
	d := 3723456 * time.Millisecond
	fmt.Println(markers.Clock(d, markers.ClockNPT))
	fmt.Println(markers.Clock(d, markers.ClockHMS))
	fmt.Println(markers.Clock(d, markers.ClockShort), markers.Clock(90*time.Second, markers.ClockShort))
	fmt.Println(markers.Clock(-d, markers.ClockLog))
	// Output:
	// 01:02:03.456
	// 01:02:03
	// 1:02:03 1:30
	// -1:02:03.456
}
