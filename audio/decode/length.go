package decode

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// Length returns how long the MP3, WAV or FLAC file at path plays (MP3:
// encoder delay and padding removed), reading only what it needs: the
// headers of a WAV or FLAC file, the frame index of an MP3. It places the
// tracks of a CUE sheet whose tracks are separate files.
func Length(path string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("decode: open %q: %w", path, err)
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("decode: close %q: %w", path, err)
	}
	if n == 4 && string(head) == "fLaC" {
		r, err := codec.OpenFLAC(path)
		if err != nil {
			return 0, fmt.Errorf("decode: %w", err)
		}
		in := r.Info()
		if err := r.Close(); err != nil {
			return 0, fmt.Errorf("decode: %w", err)
		}
		if in.Frames == 0 {
			return 0, fmt.Errorf("decode: %q: the FLAC header does not hold the length", path)
		}
		return in.Rate.D(in.Frames), nil
	}
	s, err := Open(path)
	if err != nil {
		return 0, err
	}
	in := s.Info()
	if err := s.Close(); err != nil {
		return 0, err
	}
	return audio.SampleRate(in.Rate).D(in.Frames), nil
}
