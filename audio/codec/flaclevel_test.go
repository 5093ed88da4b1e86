package codec

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// subframeKinds returns the kind of every subframe of every frame of the
// mono FLAC file at path ("constant", "verbatim", "fixed" or "lpc"), read
// from the frame headers as the FLAC format spells them. It handles what
// CreateFLAC writes for a mono 24-bit 48 kHz stream in blocks of 4096
// frames (block size code 12, sample rate code 10, no extra header bytes);
// it finds each frame by its sync code and CRC-8, so it needs no decoder.
func subframeKinds(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 4 || string(b[:4]) != "fLaC" {
		t.Fatalf("%s: not a FLAC stream", path)
	}
	i := 4
	for last := false; !last; {
		if i+4 > len(b) {
			t.Fatalf("%s: metadata runs past the end", path)
		}
		last = b[i]&0x80 != 0
		i += 4 + int(b[i+1])<<16 | int(b[i+2])<<8 | int(b[i+3])
	}
	var kinds []string
	for i+7 <= len(b) {
		h := b[i:]
		// Sync 0xFFF8 (fixed block size), then any block size code (12 for
		// 4096; 6 or 7 for the last, shorter block: 8 or 16 bits of size
		// follow), rate code 10, mono (channel code 0), 24 bits (code 6).
		if h[0] != 0xff || h[1] != 0xf8 || h[2]&0x0f != 0x0a || h[3] != 0x0c {
			i++
			continue
		}
		n := 4 + utf8Len(h[4])
		switch h[2] >> 4 {
		case 6:
			n++
		case 7:
			n += 2
		}
		if n+2 > len(h) || crc8(h[:n]) != h[n] {
			i++
			continue
		}
		switch st := h[n+1] >> 1 & 0x3f; {
		case st == 0:
			kinds = append(kinds, "constant")
		case st == 1:
			kinds = append(kinds, "verbatim")
		case st >= 8 && st <= 12:
			kinds = append(kinds, "fixed")
		case st >= 32:
			kinds = append(kinds, "lpc")
		default:
			t.Fatalf("%s: reserved subframe type %d", path, st)
		}
		i += n + 2
	}
	return kinds
}

// utf8Len is the length of the frame number coded in FLAC's UTF-8-like way
// from its first byte.
func utf8Len(c byte) int {
	n := 1
	for c&0x80 != 0 && n < 7 {
		c <<= 1
		n++
	}
	if n > 1 {
		n--
	}
	return n
}

// crc8 is the frame header's CRC-8 (polynomial x^8 + x^2 + x + 1).
func crc8(b []byte) byte {
	var c byte
	for _, v := range b {
		c ^= v
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// TestFLACLevels: every level CreateFLAC accepts decodes to the samples it
// was given; FLACLevel0 is libFLAC's level 0 (fixed predictors only, where
// level 5 finds LPC predictors for the same tone), and levels outside it are
// errors naming the file.
func TestFLACLevels(t *testing.T) {
	dir := t.TempDir()
	// A tone with a little noise: an LPC predictor beats the fixed ones.
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([]int32, 3*4096+1000)
	for i := range s {
		s[i] = int32(3e6*math.Sin(2*math.Pi*440*float64(i)/48000)*math.Sin(2*math.Pi*3*float64(i)/48000)) + rng.Int32N(64) - 32
	}
	for _, tc := range []struct {
		level   int
		wantLPC bool // some subframe is LPC; else all are fixed, constant or verbatim
	}{
		{FLACLevel0, false},
		{1, false},
		{2, false},
		{3, true},
		{0, true}, // the default, 5
		{5, true},
		{8, true},
	} {
		p := filepath.Join(dir, "l.flac")
		w, err := CreateFLAC(p, FLACOptions{Rate: 48000, Channels: 1, Bits: 24, Level: tc.level, BlockSize: 4096, Verify: true, TotalFrames: int64(len(s))})
		if err != nil {
			t.Fatalf("level %d: %v", tc.level, err)
		}
		if err := w.WriteInt32(s); err != nil {
			t.Fatalf("level %d: %v", tc.level, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("level %d: %v", tc.level, err)
		}
		_, got := decodeFLAC(t, p)
		if !slices.Equal(got, s) {
			t.Errorf("level %d: decoded samples differ", tc.level)
		}
		kinds := subframeKinds(t, p)
		if len(kinds) != 4 {
			t.Fatalf("level %d: %d frames found, want 4 (%v)", tc.level, len(kinds), kinds)
		}
		if got := slices.Contains(kinds, "lpc"); got != tc.wantLPC {
			t.Errorf("level %d: subframes %v, LPC %v, want %v", tc.level, kinds, got, tc.wantLPC)
		}
	}
	for _, level := range []int{-2, 9} {
		p := filepath.Join(dir, "bad.flac")
		_, err := CreateFLAC(p, FLACOptions{Rate: 48000, Channels: 1, Bits: 24, Level: level})
		if err == nil {
			t.Errorf("level %d: no error", level)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("level %d: error %q does not name %s", level, err, p)
		}
	}
}
