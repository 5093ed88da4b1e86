package decode

import (
	"errors"
	"github.com/podmark/podmark/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/audio"
)

// Length reads a WAV's and a FLAC's play time from their headers.
func TestLength(t *testing.T) {
	testenv.Tool(t, "flac")
	dir := t.TempDir()
	x := make([]float32, 2*(44100*3+441)) // 3.01 s of stereo
	wav := filepath.Join(dir, "01.wav")
	if err := audio.WriteWAVFile(wav, audio.WriterOptions{Rate: 44100, Channels: 2, Format: audio.Int16}, x); err != nil {
		t.Fatal(err)
	}
	fl := filepath.Join(dir, "01.flac")
	if out, err := exec.Command("flac", "--silent", "-o", fl, wav).CombinedOutput(); err != nil {
		t.Fatalf("flac: %v\n%s", err, out)
	}
	for _, p := range []string{wav, fl} {
		got, err := Length(p)
		if err != nil || got != 3010*time.Millisecond {
			t.Errorf("Length(%s) = %v, %v; want 3.01s", filepath.Base(p), got, err)
		}
	}
	if _, err := Length(filepath.Join(dir, "none.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	txt := filepath.Join(dir, "x.mp3")
	if err := os.WriteFile(txt, []byte("not audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Length(txt); !errors.Is(err, ErrUnsupported) {
		t.Errorf("not audio: %v", err)
	}
}
