package testenv

import (
	"strings"
	"testing"
)

// fakeT records how a helper ended a test.
type fakeT struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Fatalf(format string, a ...any) { f.failed = true; f.msg = format; panic(f) }
func (f *fakeT) Skipf(format string, a ...any)  { f.skipped = true; f.msg = format; panic(f) }

func run(fn func(t testing.TB)) (f *fakeT) {
	f = &fakeT{}
	defer func() {
		if r := recover(); r != nil && r != f {
			panic(r)
		}
	}()
	fn(f)
	return f
}

func TestMissing(t *testing.T) {
	var lines strings.Builder
	loudTo = &lines
	defer func() { loudTo = nil }()
	for _, tc := range []struct {
		ci             string
		failed, skiped bool
	}{
		{"true", true, false},
		{"1", true, false},
		{"", false, true},
		{"false", false, true},
	} {
		t.Setenv("CI", tc.ci)
		f := run(func(t testing.TB) { Tool(t, "podmark-no-such-tool") })
		if f.failed != tc.failed || f.skipped != tc.skiped {
			t.Errorf("CI=%q: failed %v skipped %v, want %v %v", tc.ci, f.failed, f.skipped, tc.failed, tc.skiped)
		}
	}
	if got := lines.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "SKIPPING what needs podmark-no-such-tool (not on PATH): install it with scripts/setup.sh") {
		t.Errorf("loud lines %q, want one naming the tool", got)
	}
	t.Setenv("CI", "true")
	if f := run(func(t testing.TB) { Tool(t, "sh") }); f.failed || f.skipped {
		t.Error("a program on PATH ended the test")
	}
	t.Setenv("DISPLAY", "")
	if f := run(Display); !f.failed {
		t.Error("no DISPLAY did not fail in CI")
	}
}
