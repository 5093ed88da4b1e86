package main

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/markers"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		want Command
		err  bool
	}{
		{"", Command{}, false},
		{"   ", Command{}, false},
		{"topic", Command{Op: OpMark, Kind: markers.Topic}, false},
		{"topic Intro and news", Command{Op: OpMark, Kind: markers.Topic, Text: "Intro and news"}, false},
		{"  Sponsor   Acme Mics  ", Command{Op: OpMark, Kind: markers.Sponsor, Text: "Acme Mics"}, false},
		{"edit cut the cough", Command{Op: OpMark, Kind: markers.Edit, Text: "cut the cough"}, false},
		{"edit\tafter a tab", Command{Op: OpMark, Kind: markers.Edit, Text: "after a tab"}, false},
		{"note ünïcode ✓", Command{Op: OpMark, Kind: markers.Note, Text: "ünïcode ✓"}, false},
		{"pause", Command{Op: OpPause}, false},
		{"RESUME", Command{Op: OpResume}, false},
		{"stop", Command{Op: OpStop}, false},
		{"stop now", Command{}, true},
		{"glitch", Command{}, true},
		{"chapter x", Command{}, true},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.line)
		if (err != nil) != tt.err {
			t.Errorf("ParseCommand(%q) error = %v, want error %v", tt.line, err, tt.err)
			continue
		}
		if err != nil && !errors.Is(err, ErrCommand) {
			t.Errorf("ParseCommand(%q) error %v is not ErrCommand", tt.line, err)
		}
		if got != tt.want {
			t.Errorf("ParseCommand(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestAckLine(t *testing.T) {
	m := markers.Marker{ID: "x1", Kind: markers.Topic, Title: "Intro", Sample: 72000, UTC: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	line := AckLine(m, 48000)
	if line[len(line)-1] != '\n' {
		t.Fatalf("ack %q does not end in a newline", line)
	}
	var a map[string]any
	if err := json.Unmarshal(line, &a); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "x1", "kind": "topic", "title": "Intro", "sample": 72000.0, "at": 1.5, "utc": "2026-01-02T03:04:05Z"}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("ack[%q] = %v, want %v", k, a[k], v)
		}
	}
	if _, ok := a["end"]; ok {
		t.Errorf("point marker ack has an end: %s", line)
	}
}

func TestDBFS(t *testing.T) {
	if d := DBFS(1); d != 0 {
		t.Errorf("DBFS(1) = %v", d)
	}
	if d := DBFS(0.5); math.Abs(d+6.0206) > 0.001 {
		t.Errorf("DBFS(0.5) = %v", d)
	}
	if d := DBFS(0); !math.IsInf(d, -1) {
		t.Errorf("DBFS(0) = %v", d)
	}
}

func TestStatusLine(t *testing.T) {
	st := session.Status{State: session.StateRecording, Frames: 3600*48000 + 62*48000 + 24000, Elapsed: time.Hour + 62*time.Second + 500*time.Millisecond,
		Levels: []audio.Level{{Peak: 0.5, RMS: 0.1}, {Peak: 1, RMS: 0, Clipped: true}}, Dropped: 7, Glitches: 1}
	got := StatusLine(st)
	want := "status state=recording elapsed=01:01:02.5 frames=175800000 ch1=-6.0/-20.0dBFS ch2=0.0/-infdBFS(CLIP) dropped=7 glitches=1"
	if got != want {
		t.Errorf("StatusLine =\n%s\nwant\n%s", got, want)
	}
}

func TestDeviceLine(t *testing.T) {
	for _, tt := range []struct {
		d    audio.Device
		want string
	}{
		{audio.Device{Index: 3, Name: "USB Mic", HostAPI: "ALSA", MaxInputChannels: 2, DefaultRate: 48000}, "3\tUSB Mic\tALSA\t2\t48000"},
		{audio.Device{Index: 0, Name: "a\tb\nc", HostAPI: "JACK\r", MaxInputChannels: 1, DefaultRate: 44100}, "0\ta b c\tJACK \t1\t44100"},
	} {
		if got := DeviceLine(tt.d); got != tt.want {
			t.Errorf("DeviceLine(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
