package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podmark/podmark/audio"
)

// A feed gives one episode, and says which; --episode picks another by
// number, title or GUID.
func TestMarkersConvertFeedEpisode(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "feed.xml")
	xml := `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:psc="http://podlove.org/simple-chapters"><channel><title>Show</title>
<item><title>Episode 3</title><guid isPermaLink="false">ep-3</guid>
<psc:chapters version="1.2"><psc:chapter start="00:00:00.000" title="Three intro"/><psc:chapter start="00:05:00.000" title="Three main"/></psc:chapters></item>
<item><title>Episode 2</title><guid>ep-2</guid>
<psc:chapters version="1.2"><psc:chapter start="00:00:00.000" title="Two intro"/></psc:chapters></item>
</channel></rss>`
	if err := os.WriteFile(feed, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args       []string
		want, warn string
	}{
		{nil, "00:00:00.000 Three intro\n00:05:00.000 Three main\n", `read item 1 of 2 "Episode 3" (guid ep-3)`},
		{[]string{"--episode", "2"}, "00:00:00.000 Two intro\n", `read item 2 of 2 "Episode 2"`},
		{[]string{"--episode", "ep-2"}, "00:00:00.000 Two intro\n", "guid ep-2"},
		{[]string{"--episode", "episode 2"}, "00:00:00.000 Two intro\n", "item 2 of 2"},
	} {
		args := append([]string{"convert", "--to", "mp4chaps"}, tt.args...)
		code, out, errs := markersCmd(t, "", append(args, feed, "-")...)
		if code != 0 || out != tt.want || !strings.Contains(errs, "podmark: warning: "+feed+": psc: line ") || !strings.Contains(errs, tt.warn) {
			t.Errorf("%q: exit %d\n%s\nstderr %s", tt.args, code, out, errs)
		}
	}
	code, _, errs := markersCmd(t, "", "convert", "--to", "mp4chaps", "--episode", "9", feed, "-")
	if code != 1 || !strings.Contains(errs, `no episode "9" in the feed: want an item number 1–2`) {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// A CUE sheet with one FILE per track is placed by the lengths of the audio
// files next to it, or by --cue-lengths; without either it is refused.
func TestMarkersConvertCUEFiles(t *testing.T) {
	dir := t.TempDir()
	sheet := filepath.Join(dir, "album.cue")
	cue := "REM GENRE Podcast\nPERFORMER \"Hosts\"\nTITLE \"Three parts\"\n" +
		"FILE \"01 Intro.wav\" WAVE\n  TRACK 01 AUDIO\n    TITLE Intro and news\n    INDEX 01 00:00:00\n" +
		"FILE \"02 Main.wav\" WAVE\n  TRACK 02 AUDIO\n    TITLE \"Main part\"\n    INDEX 01 00:00:00\n" +
		"FILE \"03 Outro.wav\" WAVE\n  TRACK 03 AUDIO\n    TITLE \"Outro\"\n    INDEX 01 00:00:00\n"
	if err := os.WriteFile(sheet, []byte(cue), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := markersCmd(t, "", "convert", "--to", "mp4chaps", sheet, "-")
	if code != 1 || !strings.Contains(errs, sheet+":4: cue:") || !strings.Contains(errs, `the length of "01 Intro.wav" is needed`) {
		t.Errorf("no audio: exit %d: %s", code, errs)
	}
	code, out, errs := markersCmd(t, "", "convert", "--to", "mp4chaps", "--cue-lengths", "90.5,2:00", sheet, "-")
	if want := "00:00:00.000 Intro and news\n00:01:30.500 Main part\n00:03:30.500 Outro\n"; code != 0 || out != want {
		t.Errorf("--cue-lengths: exit %d\n%s\nwant\n%s%s", code, out, want, errs)
	}
	for name, secs := range map[string]int{"01 Intro.wav": 3, "02 Main.wav": 2} {
		x := make([]float32, 8000*secs)
		if err := audio.WriteWAVFile(filepath.Join(dir, name), audio.WriterOptions{Rate: 8000, Channels: 1, Format: audio.Int16}, x); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs = markersCmd(t, "", "convert", "--to", "mp4chaps", sheet, "-")
	if want := "00:00:00.000 Intro and news\n00:00:03.000 Main part\n00:00:05.000 Outro\n"; code != 0 || out != want || !strings.Contains(errs, "3 FILE lines placed one after another on one timeline, using the audio files next to the sheet") {
		t.Errorf("audio next to the sheet: exit %d\n%s\nwant\n%s%s", code, out, want, errs)
	}
}

// A Windows-1252 SRT transcript reads with a warning, its entities decoded
// once.
func TestTranscriptLegacySRT(t *testing.T) {
	dir := t.TempDir()
	chapters := filepath.Join(dir, "c.chapters.txt")
	if err := os.WriteFile(chapters, []byte("00:00:00.000 Intro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srt := filepath.Join(dir, "t.srt")
	if err := os.WriteFile(srt, []byte("1\r\n00:00:01,000 --> 00:00:02,000\r\nCaf\xe9 &amp; cr\xe8me &lt;3\r\n\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := transcriptCmd(t, "--markers", chapters, "--transcript", srt, "--format", "html")
	if code != 0 || !strings.Contains(out, "Café &amp; crème &lt;3</p>") || !strings.Contains(errs, "warning: "+srt+": srt: not UTF-8 (first at line 3): read as Windows-1252") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}
