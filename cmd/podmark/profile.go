package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole run to the file named by
// PODMARK_CPUPROFILE, for bug reports and the benchmarks in docs/benchmarks.md
// (go tool pprof podmark FILE). The returned stop flushes it; a file that
// cannot be created is reported and the run goes on unprofiled.
func startProfile(stderr io.Writer) (stop func()) {
	path := os.Getenv("PODMARK_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "podmark: PODMARK_CPUPROFILE: %v (running without a profile)\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "podmark: PODMARK_CPUPROFILE %s: %v (running without a profile)\n", path, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "podmark: PODMARK_CPUPROFILE %s: %v\n", path, err)
		}
	}
}
