package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		var out, errb bytes.Buffer
		if code := run(args, nil, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		if want := "podmark " + version + " "; !strings.HasPrefix(out.String(), want) ||
			!strings.Contains(out.String(), runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("%v: %q, want %q… with %s/%s", args, out.String(), want, runtime.GOOS, runtime.GOARCH)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"version", "x"}, nil, &out, &errb); code != 2 {
		t.Errorf("version x: exit %d, want 2", code)
	}
}
