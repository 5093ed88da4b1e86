package room

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// benchSpeech is the speech scripts/bench-upload.sh plays (espeak-ng, 48 kHz
// 24-bit, -6 dB, over a -50 dBFS pink-noise floor), one channel of it,
// looped to n segments of SegmentFrames, as the uploader's encoder reads it.
func benchSpeech(b *testing.B, n int) []int32 {
	b.Helper()
	dir := b.TempDir()
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	sp, sp48, fl, in, raw := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "speech48.wav"),
		filepath.Join(dir, "floor.wav"), filepath.Join(dir, "input.wav"), filepath.Join(dir, "in.raw")
	run("espeak-ng", "-w", sp, "Welcome back to the show. Today we talk about recording podcasts from home, "+
		"with two hosts in two cities and an editor somewhere else. The audio goes to the editor while we talk, "+
		"so the episode can be edited minutes after we stop. Let us start with the news of the week.")
	run("sox", sp, "-r", "48000", "-c", "1", "-b", "24", sp48, "gain", "-n", "-6", "pad", "0", "0.5")
	out, err := exec.Command("soxi", "-D", sp48).Output()
	if err != nil {
		b.Fatalf("soxi: %v", err)
	}
	run("sox", "-n", "-r", "48000", "-c", "1", "-b", "24", fl, "synth", string(out[:len(out)-1]), "pinknoise", "vol", "0.003")
	run("sox", "-m", sp48, fl, "-b", "24", in)
	run("sox", in, "-t", "raw", "-e", "signed-integer", "-b", "24", "-L", raw, "repeat", "10")
	pcm, err := os.ReadFile(raw)
	if err != nil {
		b.Fatal(err)
	}
	if len(pcm)/3 < n*SegmentFrames {
		b.Fatalf("speech: %d frames, want %d", len(pcm)/3, n*SegmentFrames)
	}
	return pcmInts(nil, audio.Int24, pcm[:n*SegmentFrames*3])
}

// BenchmarkSegmentLevel encodes speech segments as the uploader does
// (mono, 24-bit, 48 kHz, blocks of FLACBlock, one file per segment) at
// libFLAC levels 0..5, and reports each level's size against level 5
// (size-%) and its bit rate. The time per op is one segment (5.46 s of one
// track). Compare the levels' ns/op within one run: the machine is shared.
func BenchmarkSegmentLevel(b *testing.B) {
	const segs = 3
	s := benchSpeech(b, segs)
	dir := b.TempDir()
	encode := func(level int) int64 {
		var size int64
		for i := range segs {
			p := filepath.Join(dir, fmt.Sprintf("s%d.flac", i))
			if err := encodeFLAC(p, 48000, audio.Int24, level, s[i*SegmentFrames:(i+1)*SegmentFrames]); err != nil {
				b.Fatal(err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			size += fi.Size()
		}
		return size
	}
	levels := []struct {
		name  string
		level int
	}{{"0", codec.FLACLevel0}, {"1", 1}, {"2", 2}, {"3", 3}, {"4", 4}, {"5", 5}}
	ref := encode(5)
	for _, l := range levels {
		size := encode(l.level)
		b.Run("level"+l.name, func(b *testing.B) {
			for i := range b.N {
				j := i % segs
				p := filepath.Join(dir, "b.flac")
				if err := encodeFLAC(p, 48000, audio.Int24, l.level, s[j*SegmentFrames:(j+1)*SegmentFrames]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*float64(size)/float64(ref), "size-%")
			b.ReportMetric(float64(size)*8/(segs*float64(SegmentFrames)/48000)/1000, "kbit/s")
		})
	}
}
