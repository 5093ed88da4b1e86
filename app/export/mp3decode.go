package export

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/hajimehoshi/go-mp3"
)

// decodeMP3 decodes the whole MP3 with go-mp3 (pure Go, independent of
// LAME) and checks that it yields about the expected number of frames: the
// decoder keeps LAME's encoder delay and padding, so up to a few MPEG frames
// more are accepted.
func decodeMP3(path string, frames int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := mp3.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	n, err := io.Copy(io.Discard, d)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	got := n / 4 // 16-bit stereo
	if got < frames-1152 || got > frames+4*1152 {
		return fmt.Errorf("decoded %d frames, the manifest says %d", got, frames)
	}
	return nil
}
