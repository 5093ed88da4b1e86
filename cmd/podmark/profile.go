package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole run to the file named by
// PODMARK_CPUPROFILE, and the run's allocations (pprof's "allocs" profile:
// what was allocated where, sampled every 512 KiB) to the file named by
// PODMARK_MEMPROFILE when the run ends, for bug reports and the benchmarks in
// docs/benchmarks.md (go tool pprof podmark FILE). The returned stop flushes
// them; a file that cannot be created is reported and the run goes on
// unprofiled.
func startProfile(stderr io.Writer) (stop func()) {
	stopCPU := startCPUProfile(stderr)
	mem := os.Getenv("PODMARK_MEMPROFILE")
	if mem == "" {
		return stopCPU
	}
	return func() {
		stopCPU()
		if err := writeAllocs(mem); err != nil {
			fmt.Fprintf(stderr, "podmark: PODMARK_MEMPROFILE: %v\n", err)
		}
	}
}

func startCPUProfile(stderr io.Writer) (stop func()) {
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

// writeAllocs writes the allocations of the run so far to path. The
// profile holds what the last finished garbage collection saw (a recording
// runs about one a minute), so one is run first.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	werr := pprof.Lookup("allocs").WriteTo(f, 0)
	return errors.Join(werr, f.Close())
}
