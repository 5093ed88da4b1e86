package export

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// rppTrack is one track of the REAPER project.
type rppTrack struct {
	Name   string // track name
	File   string // path relative to the project file, slash separated
	Format string // "wav" or "flac"
	Frames int64
}

// rppMarker is one marker of the REAPER project, on the recording timeline.
type rppMarker struct {
	Kind, Title string
	Start, End  int64 // frames; End 0 for a point marker
}

// writeRPP renders a plain-text REAPER project that opens every track at
// position 0 on one timeline, with every marker placed (regions as regions),
// named "kind: title" and coloured by kind.
func writeRPP(title string, rate int, tracks []rppTrack, ms []rppMarker) []byte {
	var b bytes.Buffer
	sec := func(f int64) string { return strconv.FormatFloat(float64(f)/float64(rate), 'f', 6, 64) }
	fmt.Fprintf(&b, "<REAPER_PROJECT 0.1 \"6.0\" 0\n")
	fmt.Fprintf(&b, "  NOTES 0 2\n  |%s\n  >\n", rppEscapeNote(title))
	fmt.Fprintf(&b, "  SAMPLERATE %d 0 0\n", rate)
	b.WriteString("  TIMELOCKMODE 1\n  TEMPO 120 4 4\n")
	for i, m := range ms {
		name := m.Kind + ": " + m.Title
		c := KindColor[m.Kind]
		color := int(c.R) | int(c.G)<<8 | int(c.B)<<16 | 0x1000000
		if m.End > m.Start {
			fmt.Fprintf(&b, "  MARKER %d %s %s 1 %d 1\n", i+1, sec(m.Start), rppQuote(name), color)
			fmt.Fprintf(&b, "  MARKER %d %s \"\" 1\n", i+1, sec(m.End))
		} else {
			fmt.Fprintf(&b, "  MARKER %d %s %s 0 %d 1\n", i+1, sec(m.Start), rppQuote(name), color)
		}
	}
	for _, t := range tracks {
		src := "WAVE"
		if t.Format == "flac" {
			src = "FLAC"
		}
		fmt.Fprintf(&b, "  <TRACK\n    NAME %s\n    NCHAN 2\n", rppQuote(t.Name))
		fmt.Fprintf(&b, "    <ITEM\n      POSITION 0\n      LENGTH %s\n      LOOP 0\n      NAME %s\n", sec(t.Frames), rppQuote(t.Name))
		fmt.Fprintf(&b, "      <SOURCE %s\n        FILE %s\n      >\n    >\n  >\n", src, rppQuote(t.File))
	}
	b.WriteString(">\n")
	return b.Bytes()
}

// rppQuote quotes a string the way REAPER reads it: in double quotes, or in
// single quotes or backquotes when it contains double quotes.
func rppQuote(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	switch {
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	case !strings.Contains(s, "`"):
		return "`" + s + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, "'") + `"`
}

func rppEscapeNote(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
