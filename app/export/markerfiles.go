package export

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/podmark/podmark/markers"
)

// publicFiles are the public chapter files, written from the public kinds
// on the episode timeline (retimed by --offset/--cut).
var publicFiles = []struct {
	rel string
	f   markers.Format
}{
	{"chapters/chapters.json", markers.FormatPodcastJSON},
	{"chapters/chapters.psc.xml", markers.FormatPSC},
	{"chapters/chapters.mp4chaps.txt", markers.FormatMP4Chaps},
	{"chapters/chapters.vtt", markers.FormatWebVTT},
	{"chapters/youtube.txt", markers.FormatYouTube},
}

// editorFiles are the editor's marker files: every kind, on the recording
// timeline, so they line up with the recorded tracks. Audacity labels are
// written once per track (see writeMarkerFiles).
var editorFiles = []struct {
	rel string
	f   markers.Format
}{
	{"editor/markers.json", markers.FormatPodmark},
	{"editor/markers.reaper.csv", markers.FormatReaperCSV},
}

// episodeDoc is the public chapters of pub (the recording's, chapters
// shorter than markers.MinChapter already dropped) on the episode timeline:
// a cut can make a chapter that short again, and it is dropped too (the
// notes say which).
func episodeDoc(pub markers.Doc, public []markers.Kind, opt Options) (markers.Doc, []string) {
	d := pub.Public(public...)
	if opt.Offset == 0 && len(opt.Cuts) == 0 {
		return d, nil
	}
	return markers.FoldShort(markers.Retime(d, opt.Offset, opt.Cuts))
}

// renderMarkers writes d in format f. When validation refuses it, it applies
// markers.Fix and tries again, returning the fixes as notes.
func renderMarkers(f markers.Format, d markers.Doc) ([]byte, []string, error) {
	var b bytes.Buffer
	err := markers.Write(&b, f, d)
	if err == nil || !errors.Is(err, markers.ErrInvalid) {
		return b.Bytes(), nil, err
	}
	fixed, notes := markers.Fix(d, f)
	b.Reset()
	if err := markers.Write(&b, f, fixed); err != nil {
		return nil, notes, err
	}
	return b.Bytes(), notes, nil
}

// writeMarkerFiles writes every marker format with the public/editor split:
// the editor's files from doc (every marker), the public ones from pub.
// A public format whose rules the chapters cannot meet even after
// markers.Fix (YouTube wants at least three chapters) is left out with a
// warning; the canonical markers.json must always be written.
func writeMarkerFiles(root string, doc, pub markers.Doc, public []markers.Kind, opt Options, formats []string, tracks []track) ([]File, []string, error) {
	var files []File
	var warns []string
	timeline := "recording"
	if opt.Offset != 0 || len(opt.Cuts) > 0 {
		timeline = "episode"
	}
	episode, folded := episodeDoc(pub, public, opt)
	for _, n := range folded {
		warns = append(warns, "chapters (episode timeline): "+n)
	}
	doc = doc.WithPublic(public...) // editor files keep every marker
	emit := func(rel string, f markers.Format, d markers.Doc, role, tl string, must bool) error {
		b, notes, err := renderMarkers(f, d)
		for _, n := range notes {
			warns = append(warns, fmt.Sprintf("%s: %s", rel, n))
		}
		if err != nil {
			if must {
				return fmt.Errorf("export: %s: %w", rel, err)
			}
			warns = append(warns, fmt.Sprintf("%s: not written: %v", rel, err))
			return nil
		}
		file, err := writeText(root, rel, b, role, string(f), tl)
		if err != nil {
			return err
		}
		files = append(files, file)
		return nil
	}
	for _, p := range publicFiles {
		if err := emit(p.rel, p.f, episode, RoleChapters, timeline, false); err != nil {
			return nil, warns, err
		}
	}
	// The CUE sheet sits next to the audio it indexes: the review mix, or
	// the first track when there is no mix.
	cue := pub // the CUE's tracks are the public chapters on the recording timeline
	cueRel := ""
	switch {
	case slices.Contains(formats, MP3):
		cue.Audio, cueRel = "review-mix.mp3", "audio/review-mix.cue"
	case slices.Contains(formats, WAV):
		cue.Audio, cueRel = tracks[0].name+".wav", "audio/"+tracks[0].name+".cue"
	case slices.Contains(formats, FLAC):
		cue.Audio, cueRel = tracks[0].name+".flac", "audio/"+tracks[0].name+".cue"
	}
	if cueRel != "" {
		if err := emit(cueRel, markers.FormatCUE, cue, RoleEditor, "recording", false); err != nil {
			return nil, warns, err
		}
	}
	for _, e := range editorFiles {
		if err := emit(e.rel, e.f, doc, RoleEditor, "recording", e.f == markers.FormatPodmark); err != nil {
			return nil, warns, err
		}
	}
	// Transcript seed and show notes, from the episode-time chapters.
	for _, n := range []struct {
		rel, format string
		write       func(*bytes.Buffer) error
	}{
		{"notes/transcript-seed.md", "transcript-seed", func(b *bytes.Buffer) error { return markers.WriteSeed(b, episode) }},
		{"notes/shownotes.md", "shownotes", func(b *bytes.Buffer) error { return markers.WriteTranscript(b, "shownotes", episode, nil) }},
	} {
		var b bytes.Buffer
		if err := n.write(&b); err != nil {
			return nil, warns, fmt.Errorf("export: %s: %w", n.rel, err)
		}
		file, err := writeText(root, n.rel, b.Bytes(), RoleNotes, n.format, timeline)
		if err != nil {
			return nil, warns, err
		}
		files = append(files, file)
	}
	for _, t := range tracks {
		if err := emit("editor/"+t.name+".labels.txt", markers.FormatAudacity, doc, RoleEditor, "recording", false); err != nil {
			return nil, warns, err
		}
	}
	return files, warns, nil
}
