//go:build unix

package voice

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// benchHour writes a merged one-hour two-track session's tracks (48 kHz,
// 24-bit, as podmark merge writes a 24-bit recording): speech-like bursts
// taking turns, each track with the other's bleed at -20 dB.
var benchHour = sync.OnceValues(func() ([]string, error) {
	dir, err := os.MkdirTemp("", "podmark-voice-bench-")
	if err != nil {
		return nil, err
	}
	benchDir = dir
	const frames = 3600 * rate
	paths := []string{filepath.Join(dir, "alice-1.wav"), filepath.Join(dir, "bob-1.wav")}
	var ws []*audio.Writer
	for _, p := range paths {
		w, err := audio.CreateWAV(p, audio.WriterOptions{Rate: rate, Channels: 1, Format: audio.Int24})
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	bufs := [2][]float32{make([]float32, rate), make([]float32, rate)}
	var x uint32 = 1
	for sec := 0; sec < frames/rate; sec++ {
		who := sec / 7 % 2 // 7 s turns
		for i := range rate {
			x = x*1664525 + 1013904223
			n := float32(int32(x)) / (1 << 31) * 0.001
			v := float32(0)
			if (i/12000)%4 != 3 { // syllables with a short gap
				x = x*1664525 + 1013904223
				v = float32(int32(x)) / (1 << 31) * 0.2
			}
			bufs[who][i] = n + v
			bufs[1-who][i] = n*0.9 + v*0.1
		}
		for k, w := range ws {
			if err := w.WriteFloat32(bufs[k]); err != nil {
				return nil, err
			}
		}
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	return paths, nil
})

// cpuTime is the CPU time (user + system) this process has used: on a
// machine shared with other work, a steadier figure than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDir holds the benchmark's tracks; TestMain removes it.
var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// BenchmarkTurnsHour: speaker turns of a merged one-hour two-track session,
// against two peers measured in the same run on the same files: reading the
// tracks with audio.Reader and nothing else (the floor for any analysis that
// streams them), and sox computing its stats over both tracks. The files are
// in the page cache after the first pass. peak-heap-MB is the most heap in
// use during one Analyze: the envelopes, never the samples (one track is
// 518 MB as 24-bit, 691 MB as float32).
func BenchmarkTurnsHour(b *testing.B) {
	paths, err := benchHour()
	if err != nil {
		b.Fatal(err)
	}
	sp := []Speaker{{"alice", paths[:1]}, {"bob", paths[1:]}}
	b.Run("voice.Analyze", func(b *testing.B) {
		var peak uint64
		var cpu time.Duration
		n := 0
		for b.Loop() {
			c0 := cpuTime()
			runtime.GC()
			stop := make(chan struct{})
			done := make(chan uint64)
			go func() {
				var m runtime.MemStats
				var hi uint64
				t := time.NewTicker(20 * time.Millisecond)
				defer t.Stop()
				for {
					runtime.ReadMemStats(&m)
					hi = max(hi, m.HeapInuse)
					select {
					case <-stop:
						done <- hi
						return
					case <-t.C:
					}
				}
			}()
			res, err := Analyze(context.Background(), sp, Options{})
			cpu += cpuTime() - c0
			n++
			close(stop)
			peak = max(peak, <-done)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Turns) < 400 {
				b.Fatalf("%d turns in an hour of 7 s turns", len(res.Turns))
			}
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/op")
	})
	b.Run("peer=audio.Reader-read-only", func(b *testing.B) {
		buf := make([]float32, 1<<16)
		var cpu time.Duration
		n := 0
		for b.Loop() {
			c0 := cpuTime()
			var wg sync.WaitGroup
			for _, p := range paths {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := audio.OpenWAV(p)
					if err != nil {
						b.Error(err)
						return
					}
					defer r.Close()
					local := make([]float32, len(buf))
					for {
						if _, err := r.ReadFloat32(local); err != nil {
							break
						}
					}
				}()
			}
			wg.Wait()
			cpu += cpuTime() - c0
			n++
		}
		b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/op")
	})
	b.Run("peer=sox-stat", func(b *testing.B) {
		if _, err := exec.LookPath("sox"); err != nil {
			b.Skip("sox not installed")
		}
		for b.Loop() {
			var wg sync.WaitGroup
			for _, p := range paths {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if out, err := exec.Command("sox", p, "-n", "stat").CombinedOutput(); err != nil {
						b.Errorf("sox: %v\n%s", err, out)
					}
				}()
			}
			wg.Wait()
		}
	})
}
