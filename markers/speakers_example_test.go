package markers_test

import (
	"os"
	"time"

	"github.com/podmark/podmark/markers"
)

// Each cue gets the speaker who talks most during it; the SRT output names
// the speaker before the words.
func ExampleLabelCues() {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	turns := []markers.Turn{
		{Speaker: "Michael", Start: sec(0.4), End: sec(5.1)},
		{Speaker: "Brian", Start: sec(5.3), End: sec(9.8)},
		{Speaker: "Michael", Start: sec(7.0), End: sec(7.4)}, // "right"
	}
	cues := []markers.Cue{
		{Start: sec(0.5), End: sec(5), Text: "Welcome to the show."},
		{Start: sec(5.4), End: sec(9.7), Text: "Thanks, great to be here."},
	}
	d := markers.Doc{Rate: 48000}
	labelled := markers.LabelCues(d, cues, turns, markers.LabelOptions{})
	if err := markers.WriteCues(os.Stdout, "srt", d, labelled); err != nil {
		panic(err)
	}
	// Output:
	// 1
	// 00:00:00,500 --> 00:00:05,000
	// Michael: Welcome to the show.
	//
	// 2
	// 00:00:05,400 --> 00:00:09,700
	// Brian: Thanks, great to be here.
}

// The seed has one empty cue per turn for the transcriber to fill in.
func ExampleWriteSpeakerSeed() {
	d := markers.Doc{Rate: 48000, Title: "Episode 49", Markers: []markers.Marker{
		{ID: "1", Kind: markers.Topic, Title: "Intro", Sample: 0},
	}}
	turns := []markers.Turn{
		{Speaker: "Michael", Start: 400 * time.Millisecond, End: 5100 * time.Millisecond},
		{Speaker: "Brian", Start: 5300 * time.Millisecond, End: 9800 * time.Millisecond},
	}
	if err := markers.WriteSpeakerSeed(os.Stdout, "vtt", d, turns); err != nil {
		panic(err)
	}
	// Output:
	// WEBVTT
	//
	// NOTE Transcript seed written by podmark: one cue per speaker turn; type the words after each voice.
	//
	// NOTE chapter 00:00:00.000 Intro
	//
	// 00:00:00.400 --> 00:00:05.100
	// <v Michael>
	//
	// 00:00:05.300 --> 00:00:09.800
	// <v Brian>
}
