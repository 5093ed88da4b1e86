package session

import (
	"fmt"
	"time"

	"github.com/podmark/podmark/audio"
)

// LowSpace is the free recording time under which podmark warns.
const LowSpace = 30 * time.Minute

// FreeTime is how much audio of the given shape fits in the free space of
// the file system holding dir (space available to this user).
func FreeTime(dir string, rate audio.SampleRate, channels int, f audio.SampleFormat) (time.Duration, error) {
	free, err := freeBytes(dir)
	if err != nil {
		return 0, fmt.Errorf("session: free space of %q: %w", dir, err)
	}
	perSec := int64(rate) * int64(channels) * int64(f.BytesPerSample())
	if perSec <= 0 {
		return 0, fmt.Errorf("%w: free space: rate %d, %d channels, format %v", ErrConfig, rate, channels, f)
	}
	return time.Duration(float64(free) / float64(perSec) * float64(time.Second)), nil
}
