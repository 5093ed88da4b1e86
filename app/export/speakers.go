package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/podmark/podmark/app/speakers"
	"github.com/podmark/podmark/audio/voice"
	"github.com/podmark/podmark/markers"
)

// SpeakerOptions asks for speaker turns in notes/. A merged session always
// gets them (when its tracks tell at least two people apart); any session
// with one track per person gets them when Transcript or Names is set.
type SpeakerOptions struct {
	// Transcript is a transcript file (plain "HH:MM:SS text", SRT, WebVTT
	// or podcast-namespace JSON) on the episode timeline to label with
	// speakers in every output format; "" for none.
	Transcript string
	// Names renames speakers (speakers.ParseNames: "alice" → "Michael").
	Names map[string]string
	// Split splits a transcript cue that spans a clear turn change.
	Split bool
}

func (o SpeakerOptions) asked() bool { return o.Transcript != "" || len(o.Names) > 0 }

// speakerNotes are the files writeSpeakerFiles writes, all on the episode
// timeline like the other notes.
var speakerNotes = []struct {
	rel, format string
	write       func(b *bytes.Buffer, d markers.Doc, turns []markers.Turn, cues []markers.Cue) error
	transcript  bool // only with a transcript
}{
	{"notes/speakers.txt", "speaker-turns", func(b *bytes.Buffer, _ markers.Doc, t []markers.Turn, _ []markers.Cue) error {
		return markers.WriteTurns(b, "txt", t)
	}, false},
	{"notes/speakers.json", "speaker-turns-json", func(b *bytes.Buffer, _ markers.Doc, t []markers.Turn, _ []markers.Cue) error {
		return markers.WriteTurns(b, "json", t)
	}, false},
	{"notes/transcript-seed-speakers.md", "transcript-seed-speakers", func(b *bytes.Buffer, d markers.Doc, t []markers.Turn, _ []markers.Cue) error {
		return markers.WriteSpeakerSeed(b, "md", d, t)
	}, false},
	{"notes/transcript-seed-speakers.vtt", "transcript-seed-speakers-vtt", func(b *bytes.Buffer, d markers.Doc, t []markers.Turn, _ []markers.Cue) error {
		return markers.WriteSpeakerSeed(b, "vtt", d, t)
	}, false},
}

// transcriptFormats are the labelled transcript's formats (--transcript).
var transcriptFormats = []string{"md", "html", "vtt", "srt", "json"}

// writeSpeakerFiles finds the session's speaker turns and writes the speaker
// timeline, the seed with turns and, with a transcript, the labelled
// transcript into notes/. episode is the public chapters on the episode
// timeline. Without an explicit request, a session whose tracks cannot tell
// people apart gets nothing and a failure is only a warning.
func writeSpeakerFiles(ctx context.Context, root string, opt Options, episode markers.Doc) ([]File, []string, error) {
	so := opt.Speakers
	_, err := os.Stat(filepath.Join(opt.Session, MergeReportFile))
	merged := err == nil
	if !merged && !so.asked() {
		return nil, nil, nil
	}
	fail := func(err error) ([]File, []string, error) {
		if so.asked() {
			return nil, nil, fmt.Errorf("export: speakers: %w", err)
		}
		if errors.Is(err, speakers.ErrOneSpeaker) {
			return nil, nil, nil
		}
		return nil, []string{fmt.Sprintf("speaker turns not written: %v", err)}, nil
	}
	var cues []markers.Cue
	if so.Transcript != "" {
		f, err := os.Open(so.Transcript)
		if err != nil {
			return fail(err)
		}
		cues, err = markers.ReadTranscript(f, so.Transcript)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(err)
		}
	}
	res, err := speakers.Find(ctx, opt.Session, so.Names, voice.Options{})
	if err != nil {
		return fail(err)
	}
	turns := markers.RetimeTurns(res.Turns, res.Rate, opt.Offset, opt.Cuts)
	timeline := "recording"
	if opt.Offset != 0 || len(opt.Cuts) > 0 {
		timeline = "episode"
	}
	var files []File
	emit := func(rel, format string, write func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("export: %s: %w", rel, err)
		}
		f, err := writeText(root, rel, b.Bytes(), RoleNotes, format, timeline)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	}
	for _, n := range speakerNotes {
		if err := emit(n.rel, n.format, func(b *bytes.Buffer) error { return n.write(b, episode, turns, cues) }); err != nil {
			return nil, nil, err
		}
	}
	if cues != nil {
		labelled := markers.LabelCues(episode, cues, turns, markers.LabelOptions{Split: so.Split})
		for _, f := range transcriptFormats {
			if err := emit("notes/transcript."+f, "transcript-"+f, func(b *bytes.Buffer) error {
				return markers.WriteCues(b, f, episode, labelled)
			}); err != nil {
				return nil, nil, err
			}
		}
	}
	return files, nil, nil
}
