package markers

import (
	"bufio"
	"strconv"
	"strings"
	"time"
)

// ---- Adobe Audition marker list ----
//
// Audition's Markers panel exports (and imports) a tab-separated list with
// the header "Name, Start, Duration, Time Format, Type, Description". Start
// and Duration are written in the display's time format, named per row:
// "decimal" (m:ss.ddd or h:mm:ss.ddd), "<rate> Hz" (samples), or "<n> fps"
// (SMPTE hh:mm:ss:ff, ";" before the frames when drop-frame). Type is Cue,
// CD Track, Subclip or Cart Timer.

// auditionColumns is Audition's header, lowercased.
var auditionColumns = []string{"name", "start", "duration", "time format", "type", "description"}

// auditionHeader reports whether line is Audition's marker list header.
func auditionHeader(line string) bool {
	fields := strings.Split(line, "\t")
	if len(fields) < 3 {
		return false
	}
	for i, want := range auditionColumns[:3] {
		if strings.ToLower(strings.TrimSpace(fields[i])) != want {
			return false
		}
	}
	return true
}

// writeAuditionCSV writes every marker as a Cue in decimal time, the label
// ("[kind] title <url>") as its name; a region gets its duration.
func writeAuditionCSV(w *bufio.Writer, d Doc) error {
	w.WriteString("Name\tStart\tDuration\tTime Format\tType\tDescription\n")
	for _, m := range d.Sorted().Markers {
		start := millis(m.Sample, d.Rate)
		var dur int64
		if m.IsRegion() {
			dur = millis(m.End, d.Rate) - start
		}
		w.WriteString(label(m) + "\t" + auditionDecimal(start) + "\t" + auditionDecimal(dur) + "\tdecimal\tCue\t")
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// auditionDecimal is Audition's decimal time: m:ss.ddd, h:mm:ss.ddd from an
// hour.
func auditionDecimal(ms int64) string {
	return Clock(time.Duration(ms)*time.Millisecond, ClockLayout{HourDigits: 1, Frac: 3, Short: true})
}

// auditionTime parses a Start or Duration cell in the row's time format.
func auditionTime(s, format string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	format = strings.ToLower(strings.TrimSpace(format))
	switch {
	case strings.HasSuffix(format, "hz"):
		rate, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(format, "hz")), 64)
		if err != nil || rate <= 0 || !allDigits(s) || s == "" || len(s) > 15 {
			return 0, false
		}
		n, _ := strconv.ParseInt(s, 10, 64)
		if float64(n)/rate > maxSeconds {
			return 0, false
		}
		return time.Duration(float64(n) / rate * float64(time.Second)), true
	case strings.HasSuffix(format, "fps"):
		fps, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(format, "fps")), 64)
		if err != nil || fps <= 0 || fps > 1000 {
			return 0, false
		}
		i := strings.LastIndexAny(s, ":;")
		if i < 0 {
			return 0, false
		}
		hms, ff := s[:i], s[i+1:]
		if ff == "" || len(ff) > 4 || !allDigits(ff) {
			return 0, false
		}
		t, ok := parseClock(hms)
		if !ok {
			return 0, false
		}
		n, _ := strconv.Atoi(ff)
		return t + time.Duration(float64(n)/fps*float64(time.Second)), true
	}
	return parseClock(s) // decimal, or a time format podmark does not know
}

func readAuditionCSV(text string) (Doc, error) {
	const f = FormatAuditionCSV
	d := Doc{Version: DocVersion, Rate: DefaultRate}
	header := false
	for i, line := range lines(text) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !header {
			if !auditionHeader(line) {
				return Doc{}, syntaxErr(f, i+1, "want Audition's header Name<TAB>Start<TAB>Duration<TAB>Time Format<TAB>Type<TAB>Description, found %q", clip(line, 80))
			}
			header = true
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) < 2 {
			return Doc{}, syntaxErr(f, i+1, "want NAME<TAB>START<TAB>DURATION<TAB>TIME FORMAT<TAB>TYPE")
		}
		for len(fields) < len(auditionColumns) {
			fields = append(fields, "")
		}
		format := fields[3]
		start, ok := auditionTime(fields[1], format)
		if !ok {
			return Doc{}, syntaxErr(f, i+1, "bad start %q for time format %q", fields[1], format)
		}
		var dur time.Duration
		if strings.TrimSpace(fields[2]) != "" {
			if dur, ok = auditionTime(fields[2], format); !ok {
				return Doc{}, syntaxErr(f, i+1, "bad duration %q for time format %q", fields[2], format)
			}
		}
		k, title, url := parseLabel(fields[0])
		m := Marker{ID: importID(f, len(d.Markers)+1), Kind: k, Title: title, URL: url, Sample: DurationToSamples(start, d.Rate)}
		if e := DurationToSamples(start+dur, d.Rate); dur > 0 && e > m.Sample {
			m.End = e
		}
		d.Markers = append(d.Markers, m)
	}
	if !header {
		return Doc{}, syntaxErr(f, 1, "empty file: want Audition's header Name<TAB>Start<TAB>Duration…")
	}
	return d, nil
}
