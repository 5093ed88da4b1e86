package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podmark/podmark/app/export"
)

// TestLoudnessText: the hand-off tab shows the finished bundle's loudness
// table, with a track's warning.
func TestLoudnessText(t *testing.T) {
	dir := t.TempDir()
	target, gain := -16.0, 4.2
	m := export.Manifest{Bundle: export.BundleVersion, Files: []export.File{
		{Path: "audio/alice-1.wav", Role: export.RoleTrack, Format: "wav", Source: "tracks/alice-1.wav",
			Loudness: &export.Loudness{Integrated: -33.4, DualMono: -30.39, Range: 5.1, TruePeak: -12, Channels: 1, Warning: "very quiet"}},
		{Path: "audio/review-mix.mp3", Role: export.RoleMix, Format: "mp3",
			Loudness: &export.Loudness{Integrated: -16, Range: 4, TruePeak: -1.3, Channels: 2, Target: &target, Gain: &gain}},
	}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, export.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got := loudnessText(dir)
	for _, want := range []string{"Loudness", "tracks/alice-1.wav", "-33.4", "-30.4", "very quiet", "audio/review-mix.mp3", "normalized to -16 LUFS"} {
		if !strings.Contains(got, want) {
			t.Errorf("loudness text lacks %q:\n%s", want, got)
		}
	}
	if s := loudnessText(filepath.Join(dir, "missing")); !strings.HasPrefix(s, "⚠") {
		t.Errorf("missing bundle: %q", s)
	}
}
