package audio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The writer benchmarks write 20 s of 48 kHz stereo per op, in 1024-frame
// buffers as a callback would deliver them, to a file on the same disk as
// BenchmarkIOCopy, which copies the same number of bytes with io.Copy.
// Both fsync at the end. Compare the frames/s metrics (see docs/benchmarks.md).
const benchFrames = 20 * 48000

func benchWriter(b *testing.B, f SampleFormat) {
	in := toFloat(f, intRamp(f, 1024, 2))
	dir := b.TempDir()
	b.SetBytes(int64(benchFrames * 2 * f.BytesPerSample()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := CreateWAV(filepath.Join(dir, "w.wav"), WriterOptions{Rate: 48000, Channels: 2, Format: f})
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < benchFrames; n += 1024 {
			if err := w.WriteFloat32(in); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchFrames/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkWriter16(b *testing.B)  { benchWriter(b, Int16) }
func BenchmarkWriter24(b *testing.B)  { benchWriter(b, Int24) }
func BenchmarkWriter32f(b *testing.B) { benchWriter(b, Float32) }

func benchCopy(b *testing.B, f SampleFormat) {
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8}, benchFrames*2*f.BytesPerSample()/8)
	dir := b.TempDir()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := os.Create(filepath.Join(dir, "c.raw"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if err := out.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchFrames/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkIOCopy16(b *testing.B)  { benchCopy(b, Int16) }
func BenchmarkIOCopy24(b *testing.B)  { benchCopy(b, Int24) }
func BenchmarkIOCopy32f(b *testing.B) { benchCopy(b, Float32) }

// BenchmarkRecorder runs the whole path flat out: Ramp → capture queue →
// writer goroutine → two mono 24-bit files with the default fsync (1 s).
// 8 s per op (the flat-out Ramp waits while the 10 s queue is full).
func BenchmarkRecorder(b *testing.B) {
	const frames = 8 * 48000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir() // one per op: the recorder never overwrites a file
		b.StartTimer()
		ramp := NewRamp(RampOptions{Channels: 2, Rate: 48000, FramesPerBuffer: 1024, StopAfter: frames})
		rec, err := NewRecorder(RecorderConfig{Source: ramp, Channels: 2, Rate: 48000, Format: Int24,
			Tracks: trackPaths(dir, 2), StallTimeout: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rec.Start(); err != nil {
			b.Fatal(err)
		}
		<-ramp.Done()
		if err := rec.Stop(); err != nil {
			b.Fatal(err)
		}
		if st := rec.Stats(); st.Frames < frames || st.Dropped != 0 {
			b.Fatalf("stats %+v", st)
		}
	}
	b.ReportMetric(float64(b.N)*frames/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkQueue is the per-buffer work of the capture path for
// 1024-frame stereo buffers: the producer's push into the C queue (copy
// and meters, as in the PortAudio callback) and the writer's Read.
func BenchmarkQueue(b *testing.B) {
	q := newTestQueue(2, 48000, queueFrames, queueBuffers, false)
	defer q.free()
	in := make([]float32, 2*1024)
	for i := range in {
		in[i] = float32(i%200)/100 - 1
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q.push(in, 1024, float64(i)*1024/48000, false)
		if _, ok := q.Read(); !ok {
			b.Fatal("nothing queued")
		}
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "frames/s")
}
