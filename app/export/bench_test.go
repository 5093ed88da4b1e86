package export

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExport exports a two-minute two-track session with and
// without loudness; with -cpuprofile it shows where an export's CPU goes
// (PODMARK_BENCH_SESSION names another session folder; Workers 1 keeps the jobs from competing with each other).
//
//	go test -run '^$' -bench Export -benchtime 1x -cpuprofile cpu.out ./app/export
func BenchmarkExport(b *testing.B) {
	sess := os.Getenv("PODMARK_BENCH_SESSION") // e.g. the session scripts/bench-export.sh generates
	if sess == "" {
		sess = makeSession(b, b.TempDir(), 120)
	}
	for _, bc := range []struct {
		name string
		off  bool
	}{{"loudness", false}, {"off", true}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				out := filepath.Join(b.TempDir(), "bundle")
				if _, err := Run(context.Background(), Options{Session: sess, Out: out, LoudnessOff: bc.off, Workers: 1}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
