package export

import (
	"fmt"

	"github.com/podmark/podmark/audio/decode"
)

// decodeMP3 decodes the whole MP3 through the project's decoder
// (audio/decode: go-mp3, pure Go and independent of LAME, with the LAME
// header's encoder delay and padding removed) and checks its exact length.
// Each decoded block (mono: the channels' average) goes to feed.
func decodeMP3(path string, frames int64, feed func([]float32) error) error {
	s, err := decode.Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	if got := s.Frames(); got != frames {
		return fmt.Errorf("decodes to %d frames, the manifest says %d", got, frames)
	}
	const window = 10 * 48000
	buf := make([]float32, window)
	for pos := int64(0); pos < frames; pos += window {
		b := buf[:min(window, frames-pos)]
		if err := s.ReadAt(b, pos); err != nil {
			return fmt.Errorf("decode at frame %d: %w", pos, err)
		}
		if err := feed(b); err != nil {
			return err
		}
	}
	return nil
}
