package main

import (
	"strings"
	"testing"
)

// FuzzParseCommand feeds arbitrary stdin lines to the marker protocol
// parser: it must never panic, and what it accepts must be well formed.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "topic", "topic Intro", "  SPONSOR  Acme ", "edit cut\tthis", "note ✓", "pause", "resume", "stop", "stop now", "glitch x", "\ufefftopic x", "topic\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCommand(line)
		if err != nil {
			if c != (Command{}) {
				t.Fatalf("error %v with a command %+v", err, c)
			}
			return
		}
		switch c.Op {
		case OpNone:
			if strings.TrimSpace(strings.TrimPrefix(line, "\ufeff")) != "" {
				t.Fatalf("%q parsed as a blank line", line)
			}
		case OpMark:
			if !c.Kind.Valid() || c.Text != strings.TrimSpace(c.Text) {
				t.Fatalf("%q: mark %+v", line, c)
			}
		case OpPause, OpResume, OpStop:
			if c.Kind != "" || c.Text != "" {
				t.Fatalf("%q: %+v", line, c)
			}
		default:
			t.Fatalf("%q: unknown op %q", line, c.Op)
		}
	})
}
