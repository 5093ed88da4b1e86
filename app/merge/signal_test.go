package merge

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
	"github.com/podmark/podmark/internal/testenv"
	"github.com/podmark/podmark/markers"
)

const rate = 48000

var linesA = []string{
	"Welcome back to the show. Today we talk about clocks that drift, and why editors spend hours lining up tracks by hand.",
	"My sound card says forty eight thousand samples a second, but it is never exactly that, it is a little fast or a little slow.",
	"Over an hour the difference adds up to half a second, which is enough to make a conversation sound strange.",
	"So the first thing I did was record a hand clap at the start, and then another one at the end of the episode.",
	"Our sponsor this week makes quiet keyboards, which is handy when you are recording at midnight next to a sleeping cat.",
	"Let us move on to the listener mail, there is a question about microphones that comes up every single month.",
	"Thanks for listening, and remember to check the show notes for every link we mentioned in this episode.",
}

var linesB = []string{
	"Right, and the worst part is that nobody notices until the very end, when the laughter comes before the joke.",
	"I tried a phone app once to sync everything, and it was fine for the first ten minutes and then slowly wandered off.",
	"Cross correlation is the trick: you slide one recording past the other until the waveforms agree the most.",
	"And if you do that in many places along the recording, you can see the drift as a straight line through the points.",
	"Of course a dropout breaks the line, the offset jumps and stays there, and you have to treat that separately.",
	"The listener asks whether a dynamic microphone is better than a condenser in an untreated room, and the answer is yes.",
	"See you next week, and if you liked the episode, tell a friend who also records in a cupboard.",
}

var (
	speechOnce   sync.Once
	speechA      []float32
	speechB      []float32
	speechErr    error
	speechFrames = 80 * rate
)

// speech returns two voices on one 80 s truth timeline at 48 kHz: host A
// (espeak-ng en-us) and host B (en-gb, female) taking turns.
func speech(t *testing.T) (a, b []float32) {
	t.Helper()
	testenv.Tool(t, "espeak-ng")
	speechOnce.Do(func() {
		dir, err := os.MkdirTemp("", "merge-speech-")
		if err != nil {
			speechErr = err
			return
		}
		defer os.RemoveAll(dir)
		say := func(voice, text string, i int) ([]float32, error) {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.wav", voice, i))
			if out, err := exec.Command("espeak-ng", "-v", voice, "-s", "165", "-w", p, text).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("espeak-ng: %v: %s", err, out)
			}
			in, x, err := audio.ReadWAVFile(p)
			if err != nil {
				return nil, err
			}
			return align.Resample(x, float64(in.Rate), rate, align.HQ)
		}
		speechA = make([]float32, speechFrames)
		speechB = make([]float32, speechFrames)
		pos := rate / 2
		for i := 0; pos < speechFrames; i++ {
			voice, lines, dst := "en-us", linesA, speechA
			if i%2 == 1 {
				voice, lines, dst = "en-gb+f3", linesB, speechB
			}
			if i/2 >= len(lines) {
				break
			}
			x, err := say(voice, lines[i/2], i)
			if err != nil {
				speechErr = err
				return
			}
			pos += copy(dst[pos:], x) + rate*3/10
		}
	})
	if speechErr != nil {
		t.Fatal(speechErr)
	}
	return speechA, speechB
}

// mix returns wa*a + wb*b.
func mix(a, b []float32, wa, wb float32) []float32 {
	out := make([]float32, len(a))
	for i := range out {
		out[i] = wa*a[i] + wb*b[i]
	}
	return out
}

// drifted returns x played k times too fast (sox speed k): sample n is
// x at time n*k/rate. sox does the resampling, independently of podmark.
func drifted(t *testing.T, x []float32, k float64) []float32 {
	return driftedTo(t, x, k, rate)
}

// driftedTo is drifted with the result at outRate: sample n is x at time
// n*k/outRate.
func driftedTo(t *testing.T, x []float32, k float64, outRate int) []float32 {
	t.Helper()
	if k == 1 && outRate == rate {
		return x
	}
	testenv.Tool(t, "sox")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	if err := audio.WriteWAVFile(in, audio.WriterOptions{Rate: rate, Channels: 1, Format: audio.Float32}, x); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("sox", in, "-e", "floating-point", "-b", "32", out, "speed", fmt.Sprint(k), "rate", "-v", fmt.Sprint(outRate)).CombinedOutput(); err != nil {
		t.Fatalf("sox speed: %v\n%s", err, b)
	}
	_, y, err := audio.ReadWAVFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// hostSession writes a session folder: track = x[from:from+n], UTC of
// sample 0 = utc, optional pause (file frame at, skipped frames cut out of
// the track), and markers at the given file frames.
type fakeSession struct {
	rate    int // 0: 48000
	host    string
	track   []float32
	extra   [][]float32 // channels 2..n
	utc     time.Time
	pauses  []session.Pause
	markers []markers.Marker
	clock   *session.RoomClock // session.json's room_clock
}

func (fs fakeSession) write(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "tracks"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := fs.rate
	if r == 0 {
		r = rate
	}
	rel := session.TrackFile(fs.host, 1)
	if err := audio.WriteWAVFile(filepath.Join(dir, filepath.FromSlash(rel)), audio.WriterOptions{Rate: audio.SampleRate(r), Channels: 1, Format: audio.Int24}, fs.track); err != nil {
		t.Fatal(err)
	}
	tracks := []session.Track{{File: rel, Channel: 1}}
	for i, x := range fs.extra {
		rel := session.TrackFile(fs.host, i+2)
		if err := audio.WriteWAVFile(filepath.Join(dir, filepath.FromSlash(rel)), audio.WriterOptions{Rate: audio.SampleRate(r), Channels: 1, Format: audio.Int24}, x); err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, session.Track{File: rel, Channel: i + 2})
	}
	var skipped int64
	for _, p := range fs.pauses {
		skipped += p.Skipped
	}
	m := session.Meta{
		FormatVersion: session.FormatVersion, App: "podmark", AppVersion: "test", Title: "drift test", Host: fs.host,
		Rate: r, Bits: "24", Channels: len(tracks), Tracks: tracks,
		Created: fs.utc, StartUTC: fs.utc, Anchors: []session.Anchor{{Sample: 0, UTC: fs.utc}}, Pauses: fs.pauses,
		State: session.StateStopped, Frames: int64(len(fs.track)), StreamFrames: int64(len(fs.track)) + skipped,
		RoomClock: fs.clock,
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, session.MetaFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := markers.OpenJournal(filepath.Join(dir, session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, mk := range fs.markers {
		if err := j.Add(mk); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}
