package markers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadTime is returned (wrapped) for a time that cannot be parsed.
var ErrBadTime = errors.New("bad time")

// DefaultRate is the sample rate given to documents read from formats that
// store seconds (48 kHz: every millisecond is a whole number of samples).
const DefaultRate = 48000

// ParseTime parses a time position: plain seconds ("90", "90.5"), "m:ss",
// "mm:ss.fff", "h:mm:ss" or "h:mm:ss.fff" (a comma is accepted for the
// decimal point, as SRT writes it). The leading field may be any size
// ("75:30" is 75 minutes 30 s); later fields must be under 60. Up to 9
// fraction digits are kept exactly.
func ParseTime(s string) (time.Duration, error) {
	d, ok := parseClock(strings.TrimSpace(s))
	if !ok {
		return 0, fmt.Errorf("markers: %q: %w (want seconds, m:ss or h:mm:ss[.fff])", s, ErrBadTime)
	}
	return d, nil
}

// parseClock is ParseTime without the error allocation.
func parseClock(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	frac := ""
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		frac = s[i+1:]
		s = s[:i]
		if frac == "" || len(frac) > 9 || !allDigits(frac) {
			return 0, false
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	var total int64 // seconds
	for i, p := range parts {
		if p == "" || len(p) > 12 || !allDigits(p) {
			return 0, false
		}
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, false
		}
		if i > 0 && (v >= 60 || len(p) != 2) {
			return 0, false
		}
		total = total*60 + v
		if total > maxSeconds {
			return 0, false
		}
	}
	d := time.Duration(total) * time.Second
	if frac != "" {
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		d += time.Duration(ns)
	}
	return d, true
}

// maxSeconds bounds parsed times (about 100 000 hours) so that conversions
// to samples cannot overflow.
const maxSeconds = 360_000_000

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSeconds parses a decimal number of seconds ("12", "12.345", "-0"),
// exactly to the nanosecond, rejecting negatives and exponents.
func parseSeconds(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if strings.ContainsRune(s, ':') {
		return 0, false
	}
	s = strings.TrimPrefix(s, "+")
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	return parseClock(s)
}

// DurationToSamples converts d to a frame count at rate, rounding to the
// nearest frame.
func DurationToSamples(d time.Duration, rate int) int64 {
	r := int64(rate)
	neg := d < 0
	if neg {
		d = -d
	}
	n := int64(d/time.Second)*r + (int64(d%time.Second)*r+int64(time.Second)/2)/int64(time.Second)
	if neg {
		return -n
	}
	return n
}

// SamplesToDuration converts a frame count at rate to a duration, rounding
// to the nanosecond.
func SamplesToDuration(n int64, rate int) time.Duration {
	if rate <= 0 {
		return 0
	}
	r := int64(rate)
	neg := n < 0
	if neg {
		n = -n
	}
	d := time.Duration(n/r)*time.Second + time.Duration((n%r*int64(time.Second)+r/2)/r)
	if neg {
		return -d
	}
	return d
}

// millis is a non-negative sample position in whole milliseconds, rounded to
// the nearest.
func millis(sample int64, rate int) int64 {
	if sample <= 0 || rate <= 0 {
		return 0
	}
	r := int64(rate)
	return sample/r*1000 + (sample%r*1000+r/2)/r
}

// FormatTime formats a sample position as "HH:MM:SS.mmm" (normal play time
// as Podlove Simple Chapters, mp4chaps and WebVTT write it), rounded to the
// millisecond. Hours grow past two digits as needed; there is no day field.
func FormatTime(sample int64, rate int) string {
	return formatMillis(millis(sample, rate))
}

func formatMillis(ms int64) string {
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// FormatClock formats a sample position in whole seconds, rounded down, as
// YouTube writes timestamps: "m:ss" under an hour, "h:mm:ss" from an hour.
func FormatClock(sample int64, rate int) string {
	var s int64
	if sample > 0 && rate > 0 {
		s = sample / int64(rate)
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// formatSecondsMillis writes milliseconds as a decimal number of seconds
// with trailing zeros trimmed: 90500 → "90.5", 0 → "0".
func formatSecondsMillis(ms int64) string {
	s := strconv.FormatInt(ms/1000, 10)
	if f := ms % 1000; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", f), "0")
	}
	return s
}

// cueFrames is a sample position in CD frames (75 a second), rounded.
func cueFrames(sample int64, rate int) int64 {
	if sample <= 0 || rate <= 0 {
		return 0
	}
	r := int64(rate)
	return sample/r*75 + (sample%r*75+r/2)/r
}

// FormatCUETime formats a sample position as a CUE sheet "mm:ss:ff" (75
// frames a second; minutes grow past two digits as needed).
func FormatCUETime(sample int64, rate int) string {
	f := cueFrames(sample, rate)
	return fmt.Sprintf("%02d:%02d:%02d", f/(75*60), f/75%60, f%75)
}

// ParseCUETime parses a CUE "mm:ss:ff" time.
func ParseCUETime(s string) (time.Duration, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	bad := fmt.Errorf("markers: %q: %w (want mm:ss:ff)", s, ErrBadTime)
	if len(parts) != 3 {
		return 0, bad
	}
	var v [3]int64
	for i, p := range parts {
		if p == "" || len(p) > 6 || !allDigits(p) {
			return 0, bad
		}
		v[i], _ = strconv.ParseInt(p, 10, 64)
	}
	if v[1] >= 60 || v[2] >= 75 {
		return 0, bad
	}
	frames := (v[0]*60+v[1])*75 + v[2]
	return time.Duration(frames) * time.Second / 75, nil
}
