package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/podmark/podmark/markers"
)

// writeReadme renders README.txt: what the bundle holds and how to open it
// in Audacity, REAPER and Hindenburg.
func writeReadme(m Manifest, files []File, rpp string) []byte {
	var b bytes.Buffer
	s := m.Session
	title := s.Title
	if title == "" {
		title = s.Folder
	}
	fmt.Fprintf(&b, "%s\n%s\n\n", title, strings.Repeat("=", max(len([]rune(title)), 3)))
	fmt.Fprintf(&b, "Exported by podmark %s from the session folder %q.\n", m.AppVersion, s.Folder)
	fmt.Fprintf(&b, "%d track(s), %d Hz, %s-bit, %s long", s.Tracks, s.Rate, strings.TrimSuffix(s.Bits, "f"), clock(time.Duration(s.Duration*float64(time.Second))))
	if !s.StartUTC.IsZero() {
		fmt.Fprintf(&b, ", recording started %s UTC", s.StartUTC.UTC().Format("2006-01-02 15:04:05"))
	}
	b.WriteString(".\n")
	if s.Merged {
		b.WriteString("This is a merged session: the hosts' tracks are aligned on one clock (the full merge report is in manifest.json, \"merge\").\n")
		for _, l := range mergeSummary(m.Merge) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if s.Dropped > 0 || s.Glitches > 0 {
		fmt.Fprintf(&b, "While recording, %d frame(s) were lost in %d glitch(es) and replaced by silence; they are marked as glitch markers.\n", s.Dropped, s.Glitches)
	}
	b.WriteString("\nWHAT IS INSIDE\n\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  %-40s %s\n", f.Path, describe(f))
	}
	fmt.Fprintf(&b, "  %-40s %s\n", ManifestFile, "size, SHA-256, duration, rate and channels of every file; check with: podmark verify <this folder>")
	fmt.Fprintf(&b, "  %-40s %s\n", ManifestSumFile, "the manifest's own SHA-256 (sha256sum -c manifest.sha256)")

	if t := LoudnessTable(files); len(t) > 0 {
		b.WriteString("\nLOUDNESS\n\n")
		b.WriteString("Measured by ITU-R BS.1770-4 / EBU R 128: integrated loudness (LUFS), loudness range\n" +
			"(LRA) and true peak (dBTP). A mono track is measured as a mono programme; \"dual mono\" is\n" +
			"the same track played on both speakers (+3.0 LU), the figure publishing platforms report.\n" +
			"Speech is usually recorded around -18 to -24 LUFS with peaks below -1 dBTP.\n\n")
		for _, l := range t {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	b.WriteString("\nTIMELINES\n\n")
	b.WriteString("The tracks, the review mix, its chapters and every file in editor/ use the recording's\n" +
		"own timeline (0 = the first recorded sample), so they line up with the audio here.\n")
	if m.Retime != nil {
		fmt.Fprintf(&b, "The public chapters in chapters/ and the files in notes/ are on the EPISODE timeline:\n"+
			"shifted by %+.3f s", m.Retime.Offset)
		for _, c := range m.Retime.Cuts {
			fmt.Fprintf(&b, ", with %s-%s cut out", clock(sec(c[0])), clock(sec(c[1])))
		}
		b.WriteString(".\nMake your edit match these cuts and the chapters fit the published episode.\n")
	} else {
		b.WriteString("The public chapters in chapters/ are on the same timeline (no --offset or --cut was given).\n")
	}
	b.WriteString("Markers: topic and sponsor markers are the public chapters; edit, note and glitch markers\n" +
		"appear only in the editor files (labels, REAPER, CUE comments) and on waveform.png.\n")

	b.WriteString("\nAUDACITY\n\n")
	b.WriteString("  File > Import > Audio: the WAV (or FLAC) files in audio/. Each track becomes one track.\n" +
		"  File > Import > Labels: editor/<track>.labels.txt (one per track, named like the track).\n")
	b.WriteString("\nREAPER\n\n")
	if rpp != "" {
		fmt.Fprintf(&b, "  Double-click %s: it opens every track on one timeline with every marker placed\n"+
			"  (regions for marked regions, coloured by kind). Keep it next to the audio/ folder.\n", rpp)
	}
	b.WriteString("  Or import editor/markers.reaper.csv in View > Region/Marker Manager (Import).\n")
	b.WriteString("\nHINDENBURG\n\n")
	b.WriteString("  Drag the WAV files from audio/ onto the timeline, one track each, all starting at 0:00,\n" +
		"  so they line up. Place chapter markers at the times listed in chapters/chapters.mp4chaps.txt\n" +
		"  (public chapters) or editor/markers.reaper.csv (every marker, in seconds).\n")
	b.WriteString("\nPUBLISHING\n\n")
	// Only what this bundle holds: a format the chapters do not fit (YouTube's
	// rules) is not written, and its warning below says why.
	for _, p := range []struct{ path, what string }{
		{"chapters/chapters.json", "podcast namespace <podcast:chapters> (JSON chapters 1.2.0)"},
		{"chapters/chapters.psc.xml", "Podlove Simple Chapters"},
		{"chapters/chapters.vtt", "WebVTT chapters"},
		{"chapters/youtube.txt", "paste into the YouTube description"},
		{"notes/", "transcript seed and show notes (Markdown)"},
	} {
		if slices.ContainsFunc(files, func(f File) bool { return strings.HasPrefix(f.Path, p.path) }) {
			fmt.Fprintf(&b, "  %-27s %s\n", p.path, p.what)
		}
	}
	if len(s.Warnings) > 0 {
		b.WriteString("\nWARNINGS\n\n")
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "  - %s\n", w)
		}
	}
	return b.Bytes()
}

// mergeSummary lists each merged session's offset and clock drift from the
// merge report, one line each; nothing when the report has no such figures.
func mergeSummary(raw json.RawMessage) []string {
	var r struct {
		Sessions []struct {
			Host       string   `json:"host"`
			Offset     *float64 `json:"offset"`
			DriftPPM   *float64 `json:"drift_ppm"`
			Confidence *float64 `json:"confidence"`
		} `json:"sessions"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return nil
	}
	var out []string
	for _, s := range r.Sessions {
		if s.Offset == nil || s.DriftPPM == nil {
			continue
		}
		l := fmt.Sprintf("%s: offset %+.4f s, drift %+.2f ppm", s.Host, *s.Offset, *s.DriftPPM)
		if s.Confidence != nil {
			l += fmt.Sprintf(", confidence %.2f", *s.Confidence)
		}
		out = append(out, l)
	}
	return out
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func clock(d time.Duration) string { return markers.Clock(d, markers.ClockLog) }

func describe(f File) string {
	switch f.Role {
	case RoleTrack:
		if f.Format == "wav" {
			return fmt.Sprintf("recorded track, as recorded (%s)", audioSummary(f))
		}
		if f.ReusedSegments > 0 {
			return fmt.Sprintf("the same track, lossless FLAC (%s), joined from the %d FLAC segments encoded while recording", audioSummary(f), f.ReusedSegments)
		}
		return fmt.Sprintf("the same track, lossless FLAC (%s)", audioSummary(f))
	case RoleMix:
		if f.Loudness != nil && f.Loudness.Target != nil {
			return fmt.Sprintf("MP3 review mix of all tracks at %.0f LUFS, with chapters (%s)", *f.Loudness.Target, audioSummary(f))
		}
		return fmt.Sprintf("MP3 review mix of all tracks with chapters (%s)", audioSummary(f))
	case RoleChapters:
		return "public chapters, " + f.Format
	case RoleEditor:
		if f.Format == "rpp" {
			return "REAPER project"
		}
		return "editor markers, " + f.Format
	case RoleNotes:
		return "notes: " + f.Format
	case RoleOverview:
		return "waveform overview with markers"
	case RoleReadme:
		return "this file"
	}
	return f.Format
}

func audioSummary(f File) string {
	ch := "mono"
	if f.Channels == 2 {
		ch = "stereo"
	} else if f.Channels > 2 {
		ch = fmt.Sprintf("%d ch", f.Channels)
	}
	s := fmt.Sprintf("%s, %d Hz, %s", clock(sec(f.Duration)), f.Rate, ch)
	if f.Bits != "" {
		s += ", " + f.Bits + "-bit"
	}
	return s
}
