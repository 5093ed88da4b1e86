package markers

import (
	"os/exec"
	"strings"
	"testing"
)

// requireTool returns the path of an outside program the test checks output
// with; a missing tool fails the test (install it with scripts/setup.sh).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed for this test: %v", name, err)
	}
	return p
}

// runTool runs a program and returns its standard output, failing the test
// with its standard error when it exits non-zero.
func runTool(t *testing.T, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command(path, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", path, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
