package room

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStopServerSampler: nats-server's CPU sampler reads /proc every second
// in any process that links it; StopServerSampler ends it. A small program
// (testdata/samplerprobe, built without the race detector: stopping the
// sampler is not synchronized with it, which is why podmark does it first
// thing in main) counts its own read system calls over 3.5 idle seconds,
// with the sampler running and stopped.
func TestStopServerSampler(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "samplerprobe")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/samplerprobe").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	reads := func(args ...string) int {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("samplerprobe %v: %v\n%s", args, err, out)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("samplerprobe %v said %q", args, out)
		}
		return n
	}
	running, stopped := reads(), reads("stop")
	t.Logf("read system calls in 3.5 s: %d with the sampler running, %d stopped", running, stopped)
	// The sampler reads /proc/PID/stat twice a tick (to its end), three or
	// four ticks in 3.5 s; the probe's own reading of /proc/self/io and the
	// runtime's add a few to both.
	if running < stopped+4 {
		t.Errorf("read system calls in 3.5 s: %d with the sampler running, %d stopped; want at least 4 fewer stopped", running, stopped)
	}
}
