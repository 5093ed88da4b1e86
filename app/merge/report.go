package merge

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report for people: per session the placement, drift,
// confidence and the residual of every window.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "merged %d sessions into %s: %d Hz, %s, %d tracks\n", len(r.Sessions), r.Out, r.Rate, clock(float64(r.Frames)/float64(max(r.Rate, 1))), countTracks(r))
	if r.Reference != nil {
		fmt.Fprintf(&b, "reference %s: %s %d Hz, %s, decoder delay %d samples (%s)\n", r.Reference.File, r.Reference.Format, r.Reference.Rate, clock(r.Reference.Seconds), r.Reference.Delay, r.Reference.DelaySource)
	}
	for i, s := range r.Sessions {
		role := "master clock"
		if i > 0 {
			role = "resampled"
		}
		fmt.Fprintf(&b, "\n%s (%s, %s)\n", s.Dir, s.Host, role)
		fmt.Fprintf(&b, "  starts at %s on the merged timeline; offset %+.6f s against the master (UTC said %+.3f s)\n", clock(s.Start), s.Offset, s.CoarseOffset)
		if c := s.RoomClock; c != nil {
			fmt.Fprintf(&b, "  room clock (from the %s's session.json) said %+.6f s, %+.2f ppm (best round trip %.2f ms): %+.3f ms from the audio at the start, %+.3f ms at the end\n",
				c.From, c.Offset, c.DriftPPM, c.RTT*1e3, c.ErrorMS, c.EndErrorMS)
		}
		if i > 0 {
			fmt.Fprintf(&b, "  coarse offset from: %s\n", s.CoarseSource)
		}
		fmt.Fprintf(&b, "  drift %+.2f ppm; confidence %.2f, peak-to-sidelobe %.1f\n", s.DriftPPM, s.Confidence, s.PSR)
		if s.Fit != nil {
			fmt.Fprintf(&b, "  aligned to %s: %d windows used, residual rms %.3f ms, max %.3f ms\n", s.AlignedTo, s.Fit.Used, s.Fit.RMS*1e3, s.Fit.MaxResidual*1e3)
			for _, st := range s.Fit.Steps {
				fmt.Fprintf(&b, "  DROPOUT: offset jumps %+.2f ms near %s\n", st.Jump*1e3, clock(st.At))
			}
			b.WriteString("    window at     offset (s)      residual   psr   conf\n")
			for _, w := range s.Windows {
				note := ""
				if !w.Used {
					note = "  not used: " + w.Note
				}
				fmt.Fprintf(&b, "    %s  %+.6f  %+8.3f ms  %5.1f  %.2f%s\n", clock(w.At), w.Offset, w.Residual*1e3, w.PSR, w.Confidence, note)
			}
		}
		fmt.Fprintf(&b, "  tracks: %s\n", strings.Join(s.Tracks, ", "))
	}
	fmt.Fprintf(&b, "\nmarkers: %d in, %d out, %d near-duplicates merged\n", r.Markers.In, r.Markers.Out, r.Markers.Merged)
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn)
	}
	fmt.Fprintf(&b, "took %.1f s\n", r.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

func countTracks(r Report) int {
	n := 0
	for _, s := range r.Sessions {
		n += len(s.Tracks)
	}
	return n
}
