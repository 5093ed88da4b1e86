// Package speakerstest builds a two-voice test episode with espeak-ng and
// knows its truth: who speaks when. Tests of speaker turns (app/speakers,
// the podmark command's end-to-end tests) use it; it needs espeak-ng.
package speakerstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

// Rate is the episode's sample rate.
const Rate = 48000

// Line is one line of the script with the truth of when it is heard: the
// first and last sample above -46 dBFS of the synthesized speech.
type Line struct {
	Speaker      int // 0 alice, 1 bob
	Text         string
	Start, End   time.Duration
	Interjection bool // said over the other speaker's line
}

// Episode is a two-host conversation on two tracks, one per host.
type Episode struct {
	Hosts  [2]string    // "alice", "bob"
	Tracks [2][]float32 // alice's microphone, bob's (with alice's bleed)
	Lines  []Line
}

// Options shapes the episode.
type Options struct {
	BleedDB    float64       // alice's voice in bob's microphone, dB; 0 = none (the issue's -20)
	BleedDelay time.Duration // how late the bleed arrives (a call's latency)
	// BleedJitter makes the call's latency wander by up to this either
	// side of BleedDelay, slowly (a jitter buffer adapting).
	BleedJitter time.Duration
	// BleedReverb is the reverberation time (RT60) of bob's room, which
	// the call's sound reaches his microphone through; 0 = dry.
	BleedReverb time.Duration
}

type scriptLine struct {
	who     int
	text    string
	overlap bool    // starts 0.7 s before the line before it ends
	inter   float64 // >0: an interjection at this fraction of the line before
}

var script = []scriptLine{
	{0, "Welcome to the show. Today we have a question from a listener about tabs and spaces.", false, 0},
	{1, "Oh no, not that again. Every programmer has an opinion about this, and most of them are wrong.", false, 0},
	{0, "Right.", false, 0.45},
	{0, "Well, the listener says that his team fights about it every single week.", false, 0},
	{1, "That sounds exhausting. Why not let the formatter decide and move on?", true, 0},
	{0, "That is exactly what I told him. Use the formatter, and never think about it again.", false, 0},
	{1, "Exactly.", false, 0.5},
	{1, "Speaking of tools, I found a new library this week that reads audio files very quickly.", false, 0},
	{0, "Tell me more. Is it written in Go?", false, 0},
	{1, "It is. It streams the samples, so an hour of audio never sits in memory at once.", false, 0},
	{0, "Nice.", false, 0.55},
	{0, "That matters when you record two people for two hours.", true, 0},
	{1, "And that brings us to our sponsor for this episode, a company that makes microphones.", false, 0},
	{0, "Thanks for listening, everyone. See you next week.", false, 0},
	{1, "Bye, everybody!", true, 0},
}

var voices = [2]string{"en-gb+f3", "en-us"}

// gains: the hosts' microphones are set up differently.
var gains = [2]float64{0.45, 0.8}

// Build synthesizes the script with espeak-ng (work files in dir).
func Build(dir string, opt Options) (*Episode, error) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return nil, fmt.Errorf("speakerstest: espeak-ng is needed: %w", err)
	}
	clips := make([][]float32, len(script))
	for i, l := range script {
		p := filepath.Join(dir, fmt.Sprintf("line%02d.wav", i))
		if out, err := exec.Command("espeak-ng", "-v", voices[l.who], "-s", "165", "-w", p, l.text).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("speakerstest: espeak-ng: %v\n%s", err, out)
		}
		info, x, err := audio.ReadWAVFile(p)
		if err != nil {
			return nil, err
		}
		if err := os.Remove(p); err != nil {
			return nil, err
		}
		clips[i] = trim(resample(x, int(info.Rate), Rate))
		for k := range clips[i] {
			clips[i][k] *= float32(gains[l.who])
		}
	}
	// Place the lines.
	type placed struct{ at, n int }
	pos := make([]placed, len(script))
	cursor := Rate // 1 s of room tone first
	prevMain := -1
	rng := rand.New(rand.NewPCG(48, 49))
	for i, l := range script {
		n := len(clips[i])
		switch {
		case l.inter > 0:
			p := pos[prevMain]
			pos[i] = placed{p.at + int(l.inter*float64(p.n)), n}
			continue
		case l.overlap:
			pos[i] = placed{cursor - int(0.7*Rate), n}
		default:
			pos[i] = placed{cursor + int((0.5+0.4*rng.Float64())*Rate), n}
		}
		cursor = pos[i].at + n
		prevMain = i
	}
	total := cursor + 2*Rate
	e := &Episode{Hosts: [2]string{"alice", "bob"}}
	for k := range e.Tracks {
		noise := rand.New(rand.NewPCG(uint64(k+1), 7))
		t := make([]float32, total)
		for i := range t {
			t[i] = float32(0.0012 * (noise.Float64()*2 - 1)) // room at about -63 dBFS
		}
		e.Tracks[k] = t
	}
	alice := make([]float32, total)
	for i, l := range script {
		p := pos[i]
		for k, v := range clips[i] {
			e.Tracks[l.who][p.at+k] += v
			if l.who == 0 {
				alice[p.at+k] += v
			}
		}
		e.Lines = append(e.Lines, Line{Speaker: l.who, Text: l.text, Interjection: l.inter > 0,
			Start: audio.SampleRate(Rate).D(int64(p.at)), End: audio.SampleRate(Rate).D(int64(p.at + p.n))})
	}
	if opt.BleedDB != 0 {
		// Alice's voice reaches bob's microphone through the call, late,
		// at about bob's level minus the bleed.
		b := delayed(alice, opt.BleedDelay, opt.BleedJitter)
		if opt.BleedReverb > 0 {
			b = reverb(b, opt.BleedReverb)
		}
		g := float32(math.Pow(10, opt.BleedDB/20) * gains[1] / gains[0])
		for i, v := range b {
			e.Tracks[1][i] += v * g
		}
	}
	return e, nil
}

// delayed returns x late by delay, the delay wandering by up to jitter
// either side with a period of 17 s (linear interpolation between samples).
func delayed(x []float32, delay, jitter time.Duration) []float32 {
	y := make([]float32, len(x))
	for n := range y {
		d := delay.Seconds() + jitter.Seconds()*math.Sin(2*math.Pi*float64(n)/(17*Rate))
		f := float64(n) - d*Rate
		i := int(math.Floor(f))
		if i < 0 || i+1 >= len(x) {
			continue
		}
		fr := float32(f - float64(i))
		y[n] = x[i] + (x[i+1]-x[i])*fr
	}
	return y
}

// reverb plays x into a room of reverberation time rt60: the direct sound
// and a Schroeder reverberator (four parallel combs, two allpasses in
// series) at half its level.
func reverb(x []float32, rt60 time.Duration) []float32 {
	wet := make([]float32, len(x))
	for _, ms := range []float64{29.7, 37.1, 41.1, 43.7} {
		d := int(ms * Rate / 1000)
		g := float32(math.Pow(10, -3*ms/1000/rt60.Seconds()))
		buf := make([]float32, len(x))
		for n := range x {
			v := x[n]
			if n >= d {
				v += g * buf[n-d]
			}
			buf[n] = v
			wet[n] += v / 4
		}
	}
	for _, ms := range []float64{5, 1.7} {
		d := int(ms * Rate / 1000)
		const g = 0.7
		out := make([]float32, len(wet))
		for n := range wet {
			v := -g * wet[n]
			if n >= d {
				v += wet[n-d] + g*out[n-d]
			}
			out[n] = v
		}
		wet = out
	}
	y := make([]float32, len(x))
	for n := range x {
		y[n] = x[n] + 0.5*wet[n]
	}
	return y
}

// resample converts x from rate in to out by linear interpolation (good
// enough for speech energy).
func resample(x []float32, in, out int) []float32 {
	if in == out {
		return x
	}
	n := int(int64(len(x)) * int64(out) / int64(in))
	y := make([]float32, n)
	for i := range y {
		f := float64(i) * float64(in) / float64(out)
		j := int(f)
		fr := float32(f - float64(j))
		a := x[min(j, len(x)-1)]
		b := x[min(j+1, len(x)-1)]
		y[i] = a + (b-a)*fr
	}
	return y
}

// trim cuts the clip to its first and last sample above -46 dBFS (at full
// gain): the truth of when the line is heard.
func trim(x []float32) []float32 {
	const thr = 0.005
	s, e := 0, len(x)
	for s < e && math.Abs(float64(x[s])) < thr {
		s++
	}
	for e > s && math.Abs(float64(x[e-1])) < thr {
		e--
	}
	return x[s:e]
}

// Frames is the episode's length in frames.
func (e *Episode) Frames() int64 { return int64(len(e.Tracks[0])) }

// Truth is the speaker turns: each main line a turn, each interjection a
// turn of its own; names maps a host index to the speaker's name.
func (e *Episode) Truth(names [2]string) []markers.Turn {
	var ts []markers.Turn
	for _, l := range e.Lines {
		ts = append(ts, markers.Turn{Speaker: names[l.Speaker], Start: l.Start, End: l.End})
	}
	return ts
}

// Cues is the transcript a transcriber would type: one cue per line, timed
// to the millisecond, with the true speaker (clear Speaker before labelling).
func (e *Episode) Cues(names [2]string) []markers.Cue {
	var cs []markers.Cue
	for _, l := range e.Lines {
		cs = append(cs, markers.Cue{Start: l.Start.Round(time.Millisecond), End: l.End.Round(time.Millisecond), Speaker: names[l.Speaker], Text: l.Text})
	}
	return cs
}

// WriteTrack writes host k's track as a 24-bit mono WAV at path.
func (e *Episode) WriteTrack(path string, k int) error {
	return writeWAV(path, 1, e.Tracks[k])
}

// WriteStereo writes both tracks as one 24-bit stereo WAV (alice left, bob
// right), for playing both microphones into JACK in sync.
func (e *Episode) WriteStereo(path string) error {
	n := len(e.Tracks[0])
	x := make([]float32, 2*n)
	for i := range n {
		x[2*i], x[2*i+1] = e.Tracks[0][i], e.Tracks[1][i]
	}
	return writeWAV(path, 2, x)
}

// WriteMix writes the call recording: both tracks summed, mono.
func (e *Episode) WriteMix(path string) error {
	x := make([]float32, len(e.Tracks[0]))
	for i := range x {
		x[i] = 0.5 * (e.Tracks[0][i] + e.Tracks[1][i])
	}
	return writeWAV(path, 1, x)
}

func writeWAV(path string, ch int, x []float32) error {
	w, err := audio.CreateWAV(path, audio.WriterOptions{Rate: Rate, Channels: ch, Format: audio.Int24})
	if err != nil {
		return err
	}
	if err := w.WriteFloat32(x); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
