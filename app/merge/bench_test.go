package merge

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mp3 "github.com/hajimehoshi/go-mp3"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
	"github.com/podmark/podmark/internal/testenv"
)

var words = strings.Fields(`apple river quiet morning yellow window garden simple engine moment paper
silver thunder basket candle doctor energy forest guitar harbor island jacket kitten ladder marble
number orange pencil rocket saddle ticket umbrella velvet wagon zebra anchor bridge castle dragon
feather glacier hammer insect jungle kettle lemon meadow needle oyster parrot quarter rabbit sunset
tunnel valley walnut button cotton desert eagle falcon ginger helmet iceberg jelly koala lantern
mirror noodle orchid pepper radio salmon tomato violin whistle yogurt breakfast calendar dinosaur
elephant festival giraffe horizon internet kangaroo lighthouse mountain notebook ocean pyramid
question rainbow satellite telescope universe volcano waterfall skyline blanket compass diamond
envelope fountain gravity harmony journal keyboard library magnet network orbit planet puzzle
recipe signal thermal update vintage wizard yesterday tomorrow carefully quickly slowly brightly
runs jumps builds carries draws finds gives holds keeps leaves makes opens pulls reads sends takes
the a of and to in is that it was for on are with as his they be at one have this from`)

// longSpeech is one espeak-ng voice reading random word sentences for about
// seconds, at 48 kHz: an hour of speech that never repeats itself.
func longSpeech(b *testing.B, dir, voice string, seconds float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 11))
	var sb strings.Builder
	for n := 0; n < int(seconds*2.9); n++ { // about 2.9 words a second at 165 wpm
		sb.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			sb.WriteString(". ")
		} else {
			sb.WriteByte(' ')
		}
	}
	txt := filepath.Join(dir, voice+".txt")
	wav := filepath.Join(dir, voice+".wav")
	if err := os.WriteFile(txt, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("espeak-ng", "-v", voice, "-s", "165", "-f", txt, "-w", wav).CombinedOutput(); err != nil {
		b.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	in, x, err := audio.ReadWAVFile(wav)
	if err != nil {
		b.Fatal(err)
	}
	y, err := align.Resample(x, float64(in.Rate), rate, align.HQ)
	if err != nil {
		b.Fatal(err)
	}
	return y
}

// BenchmarkMergeOneHour merges two one-hour sessions (host B's clock +200 ppm
// off, starting 15 s after A) with a one-hour 128 kbps MP3 reference (its own
// clock -30 ppm off) and reports the wall time and the alignment error of B
// against the truth at its start and end. Run it with
// go test -run '^$' -bench MergeOneHour -benchtime 1x ./app/merge/
func BenchmarkMergeOneHour(b *testing.B) {
	testenv.Tool(b, "espeak-ng", "lame", "ffmpeg")
	const (
		hour  = 3600.0
		truth = 3670.0
		tA0   = 20.0
		tB0   = 35.0
		kB    = 1 + 200e-6
		tR0   = 10.0
		kR    = 1 - 30e-6
	)
	dir := b.TempDir()
	gen := time.Now()
	va := longSpeech(b, dir, "en-us", truth*0.55, 1)
	vb := longSpeech(b, dir, "en-gb+f3", truth*0.55, 2)
	// Turns of 2 to 9 s with short gaps, alternating.
	n := int(truth * rate)
	ta, tb := make([]float32, n), make([]float32, n)
	r := rand.New(rand.NewPCG(3, 4))
	pos, ia, ib := rate/2, 0, 0
	for turn := 0; pos < n; turn++ {
		l := int((2 + 7*r.Float64()) * rate)
		src, i, dst := va, &ia, ta
		if turn%2 == 1 {
			src, i, dst = vb, &ib, tb
		}
		if *i+l > len(src) {
			break
		}
		pos += copy(dst[pos:min(n, pos+l)], src[*i:*i+l]) + int((0.1+0.5*r.Float64())*rate)
		*i += l
	}
	if pos < n {
		b.Fatalf("speech ran out at %.0f s of %.0f", float64(pos)/rate, truth)
	}
	mixA := mix(ta, tb, 1, 0.02)
	mixB := mix(tb, ta, 1, 0.02)
	trackA := mixA[int(tA0*rate) : int(tA0*rate)+int(hour*rate)]
	driftB, err := align.Resample(mixB[int(tB0*rate):], rate, rate/kB, align.HQ)
	if err != nil {
		b.Fatal(err)
	}
	trackB := driftB[:int(hour*rate)]
	refX, err := align.Resample(mix(ta, tb, 0.7, 0.7)[int(tR0*rate):], rate, rate/kR, align.HQ)
	if err != nil {
		b.Fatal(err)
	}
	refX = refX[:int(hour*rate)]
	utc := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	dirA, dirB := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	fakeSession{host: "alice", track: trackA, utc: utc.Add(time.Duration(tA0 * float64(time.Second)))}.write(b, dirA)
	fakeSession{host: "bob", track: trackB, utc: utc.Add(time.Duration((tB0 + 0.3) * float64(time.Second)))}.write(b, dirB)
	refWAV, refMP3 := filepath.Join(dir, "call.wav"), filepath.Join(dir, "call.mp3")
	if err := audio.WriteWAVFile(refWAV, audio.WriterOptions{Rate: rate, Channels: 1, Format: audio.Int16}, refX); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("lame", "--quiet", "-b", "128", refWAV, refMP3).CombinedOutput(); err != nil {
		b.Fatalf("lame: %v\n%s", err, out)
	}
	os.Remove(refWAV)
	ta, tb, va, vb, driftB, refX = nil, nil, nil, nil, nil, nil
	b.Logf("test data: two 1 h sessions and a 1 h MP3 made in %.0f s", time.Since(gen).Seconds())

	var rep Report
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, fmt.Sprintf("merged%d", i))
		var steps []string
		began := time.Now()
		rep, err = Merge(Options{Sessions: []string{dirA, dirB}, Reference: refMP3, Out: out, Progress: func(s string) {
			steps = append(steps, fmt.Sprintf("%5.1f s  %s", time.Since(began).Seconds(), s))
		}})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("merge took %.1f s:\n%s", time.Since(began).Seconds(), strings.Join(steps, "\n"))
	}
	b.StopTimer()

	// Alignment error of B on the merged timeline against the truth.
	out := filepath.Join(dir, fmt.Sprintf("merged%d", b.N-1))
	rb, err := audio.OpenWAV(filepath.Join(out, "tracks", "bob-1.wav"))
	if err != nil {
		b.Fatal(err)
	}
	defer rb.Close()
	padA := math.Round(rep.Sessions[0].Start * rate)
	var worst float64
	for _, T := range []float64{tB0 + 2, tB0 + 60, tB0 + hour*kB/2, tB0 + hour*kB - 60, tB0 + hour*kB - 6} {
		m := int64(padA + math.Round((T-tA0)*rate))
		seg := make([]float32, 3*rate)
		if err := rb.SeekFrame(m); err != nil {
			b.Fatal(err)
		}
		if _, err := rb.ReadFloat32(seg); err != nil {
			b.Fatal(err)
		}
		ref := mixB[int(T*rate)-2400 : int(T*rate)+3*rate+2400]
		mt, err := align.Correlate(ref, seg, rate, 0, len(ref)-len(seg))
		if err != nil {
			b.Fatal(err)
		}
		e := (mt.Lag - 2400 - (T*rate - float64(int(T*rate)))) / rate
		worst = math.Max(worst, math.Abs(e))
		b.Logf("bob at truth %7.1f s: error %+.4f ms (psr %.0f)", T, e*1e3, mt.PSR)
	}
	// Peers for scale, in the same run: a straight go-mp3 decode of the
	// reference alone, and ffmpeg decoding it.
	f, err := os.Open(refMP3)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	t0 := time.Now()
	d, err := mp3.NewDecoder(f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, d); err != nil {
		b.Fatal(err)
	}
	straight := time.Since(t0).Seconds()
	t0 = time.Now()
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", refMP3, "-f", "null", "-").CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	ff := time.Since(t0).Seconds()
	b.Logf("straight go-mp3 decode of the 1 h reference: %.1f s (merge/decode %.2f); ffmpeg decode: %.1f s (merge/ffmpeg %.2f)", straight, rep.Seconds/straight, ff, rep.Seconds/ff)
	b.ReportMetric(rep.Seconds/straight, "merge/go-mp3-decode")
	b.ReportMetric(rep.Seconds/ff, "merge/ffmpeg-decode")
	b.ReportMetric(rep.Seconds, "s/merge")
	b.ReportMetric(worst*1e3, "ms-max-error")
	b.ReportMetric(rep.Sessions[1].DriftPPM, "ppm-found")
}
