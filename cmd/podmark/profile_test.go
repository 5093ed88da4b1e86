package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var sink [][]byte

// TestProfiles: PODMARK_CPUPROFILE and PODMARK_MEMPROFILE each write a
// pprof profile (gzipped protocol buffer) when the run stops; the allocation
// profile names its sample types; a file that cannot be created is said on
// stderr and the run goes on.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env, file, want string // want: a string of the profile's string table
	}{
		{"PODMARK_CPUPROFILE", "cpu.pprof", "cpu"},
		{"PODMARK_MEMPROFILE", "mem.pprof", "alloc_space"},
	} {
		p := filepath.Join(dir, tc.file)
		t.Setenv("PODMARK_CPUPROFILE", "")
		t.Setenv("PODMARK_MEMPROFILE", "")
		t.Setenv(tc.env, p)
		var stderr bytes.Buffer
		stop := startProfile(&stderr)
		for range 100 {
			sink = append(sink, make([]byte, 64<<10))
		}
		sink = nil
		stop()
		if stderr.Len() > 0 {
			t.Errorf("%s: stderr %q", tc.env, stderr.String())
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", tc.env, err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %s is not gzipped: %v", tc.env, p, err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.env, err)
		}
		if !bytes.Contains(b, []byte(tc.want)) {
			t.Errorf("%s: profile without %q", tc.env, tc.want)
		}
	}
	for _, env := range []string{"PODMARK_CPUPROFILE", "PODMARK_MEMPROFILE"} {
		t.Setenv("PODMARK_CPUPROFILE", "")
		t.Setenv("PODMARK_MEMPROFILE", "")
		t.Setenv(env, filepath.Join(dir, "missing", "x.pprof"))
		var stderr bytes.Buffer
		startProfile(&stderr)()
		if !strings.Contains(stderr.String(), env) {
			t.Errorf("%s in a missing folder: stderr %q, want it named", env, stderr.String())
		}
	}
}
