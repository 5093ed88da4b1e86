package markers

import (
	"errors"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"0.000", 0, true},
		{"90", 90 * time.Second, true},
		{"90.5", 90500 * time.Millisecond, true},
		{"59.9995", 59999500 * time.Microsecond, true},
		{"0:00", 0, true},
		{"1:30", 90 * time.Second, true},
		{"01:30.250", 90250 * time.Millisecond, true},
		{"75:30", 75*time.Minute + 30*time.Second, true},
		{"1:02:03", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"01:02:03.456", time.Hour + 2*time.Minute + 3456*time.Millisecond, true},
		{"00:00:01,500", 1500 * time.Millisecond, true}, // SRT comma
		{"25:00:00.000", 25 * time.Hour, true},          // over a day
		{"100:00:00", 100 * time.Hour, true},            // hours grow
		{"0:00:00.123456789", 123456789 * time.Nanosecond, true},
		{" 1:30 ", 90 * time.Second, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1:60", 0, false},
		{"1:2", 0, false},
		{"1:02:60", 0, false},
		{"1:02:03:04", 0, false},
		{"1.", 0, false},
		{"1.2.3", 0, false},
		{"0:00:00.1234567890", 123456789, true}, // Audacity writes full precision
		{"1.0000000005", time.Second + 1, true}, // rounded to the nanosecond
		{"1e3", 0, false},
		{"abc", 0, false},
		{"1:-2", 0, false},
		{"99999999999999:00", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadTime) {
			t.Errorf("ParseTime(%q) error %v is not ErrBadTime", tt.in, err)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		sample int64
		rate   int
		npt    string // FormatTime
		clock  string // FormatClock (YouTube)
		cue    string // FormatCUETime
	}{
		{0, 48000, "00:00:00.000", "0:00", "00:00:00"},
		{-5, 48000, "00:00:00.000", "0:00", "00:00:00"},
		{1, 48000, "00:00:00.000", "0:00", "00:00:00"},
		{24, 48000, "00:00:00.001", "0:00", "00:00:00"},              // half a millisecond rounds up
		{2879976, 48000, "00:01:00.000", "0:59", "01:00:00"},         // 59.9995 s
		{2879975, 44100, "00:01:05.306", "1:05", "01:05:23"},         // 44.1 kHz
		{48000 * 3600, 48000, "01:00:00.000", "1:00:00", "60:00:00"}, // an hour
		{48000*3723 + 24000, 48000, "01:02:03.500", "1:02:03", "62:03:38"},
		{48000 * 90000, 48000, "25:00:00.000", "25:00:00", "1500:00:00"}, // over a day
		{640, 48000, "00:00:00.013", "0:00", "00:00:01"},                 // one CD frame
	}
	for _, tt := range tests {
		if got := FormatTime(tt.sample, tt.rate); got != tt.npt {
			t.Errorf("FormatTime(%d, %d) = %q, want %q", tt.sample, tt.rate, got, tt.npt)
		}
		if got := FormatClock(tt.sample, tt.rate); got != tt.clock {
			t.Errorf("FormatClock(%d, %d) = %q, want %q", tt.sample, tt.rate, got, tt.clock)
		}
		if got := FormatCUETime(tt.sample, tt.rate); got != tt.cue {
			t.Errorf("FormatCUETime(%d, %d) = %q, want %q", tt.sample, tt.rate, got, tt.cue)
		}
	}
}

func TestFormatSecondsMillis(t *testing.T) {
	for ms, want := range map[int64]string{0: "0", 1: "0.001", 1500: "1.5", 90000: "90", 59999: "59.999", 90061010: "90061.01"} {
		if got := formatSecondsMillis(ms); got != want {
			t.Errorf("formatSecondsMillis(%d) = %q, want %q", ms, got, want)
		}
	}
}

func TestSampleDurationConversions(t *testing.T) {
	tests := []struct {
		d    time.Duration
		rate int
		n    int64
	}{
		{0, 48000, 0},
		{time.Second, 48000, 48000},
		{59999500 * time.Microsecond, 48000, 2879976},
		{25 * time.Hour, 48000, 48000 * 90000},
		{-1500 * time.Millisecond, 48000, -72000},
		{time.Second / 3, 44100, 14700},
	}
	for _, tt := range tests {
		if got := DurationToSamples(tt.d, tt.rate); got != tt.n {
			t.Errorf("DurationToSamples(%v, %d) = %d, want %d", tt.d, tt.rate, got, tt.n)
		}
		back := SamplesToDuration(tt.n, tt.rate)
		if diff := back - tt.d; diff > time.Second/time.Duration(tt.rate) || diff < -time.Second/time.Duration(tt.rate) {
			t.Errorf("SamplesToDuration(%d, %d) = %v, want about %v", tt.n, tt.rate, back, tt.d)
		}
	}
	if SamplesToDuration(100, 0) != 0 {
		t.Error("rate 0")
	}
}

func TestParseCUETime(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:00:00": 0, "01:30:37": 90*time.Second + 37*time.Second/75, "120:00:74": 2*time.Hour + 74*time.Second/75} {
		if got, err := ParseCUETime(in); err != nil || got != want {
			t.Errorf("ParseCUETime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1:2", "00:60:00", "00:00:75", "a:b:c", "00:00:00:00"} {
		if _, err := ParseCUETime(in); !errors.Is(err, ErrBadTime) {
			t.Errorf("ParseCUETime(%q) err = %v", in, err)
		}
	}
}
