package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/podmark/podmark/markers"
)

func fmtDB(v float32) string {
	d := DBFS(v)
	if d < -120 {
		return "-inf"
	}
	return fmt.Sprintf("%.1f", d)
}

// StatusLine formats st as the one-line status `podmark record` prints on
// stderr: state, elapsed time, frames, peak/RMS dBFS per channel (CLIP when a
// channel clipped), dropped frames and glitches, as key=value fields.
func StatusLine(st Status) string {
	var b strings.Builder
	e := st.Elapsed.Round(100 * time.Millisecond)
	fmt.Fprintf(&b, "status state=%s elapsed=%s frames=%d", st.State,
		markers.Clock(e, markers.ClockLayout{HourDigits: 2, Frac: 1}), st.Frames)
	for i, l := range st.Levels {
		fmt.Fprintf(&b, " ch%d=%s/%sdBFS", i+1, fmtDB(l.Peak), fmtDB(l.RMS))
		if l.Clipped {
			b.WriteString("(CLIP)")
		}
	}
	fmt.Fprintf(&b, " dropped=%d glitches=%d", st.Dropped, st.Glitches)
	if st.Skipped > 0 {
		fmt.Fprintf(&b, " paused_frames=%d", st.Skipped)
	}
	return b.String()
}
