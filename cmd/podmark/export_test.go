package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/export"
)

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	bar := &progressBar{w: &b, tty: true}
	bar.update(export.Progress{Stage: "audio", Fraction: 0})
	bar.update(export.Progress{Stage: "audio", Fraction: 0.5, Elapsed: time.Second}) // within 100 ms: skipped
	bar.update(export.Progress{Stage: "done", Fraction: 1, Elapsed: 2 * time.Second})
	bar.finish()
	got := b.String()
	if !strings.HasPrefix(got, "\r[..............................]   0% audio") ||
		!strings.Contains(got, "\r[##############################] 100% done") || !strings.HasSuffix(got, "\n") ||
		strings.Contains(got, " 50%") {
		t.Errorf("terminal bar %q", got)
	}

	b.Reset()
	plain := newProgressBar(&b) // not a terminal: one line per stage
	for _, p := range []export.Progress{{Stage: "audio"}, {Stage: "audio", Fraction: 0.5}, {Stage: "manifest", Fraction: 0.97}, {Stage: "done", Fraction: 1}} {
		plain.update(p)
	}
	plain.finish()
	if got := b.String(); got != "export: audio (  0%, 0s)\nexport: manifest ( 97%, 0s)\nexport: done (100%, 0s)\n" {
		t.Errorf("plain progress %q", got)
	}
}
