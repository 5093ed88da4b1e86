package session

import "time"

// Reached returns a channel that is closed once d of audio is in the
// tracks (time paused does not count), so a caller can stop the recording
// at a set length (`podmark record --duration`). It is closed at once for
// d <= 0 and never when the session stops first. Safe for concurrent use.
//
// It also makes d the recording's exact length: the writer writes no frame
// beyond rate×d (the source buffer that crosses it is cut), so two
// recordings of the same duration have the same number of frames whatever
// the source's buffer size.
//
// It waits on a timer due when the stream should reach the length; then it
// wakes the writer (which otherwise takes up to a second to write what was
// captured) and polls every 20 ms until the frames are written; after a
// pause it waits for what is left again. (A 20 ms ticker for the whole
// recording cost more CPU than the recording itself.)
func (s *Session) Reached(d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	if d <= 0 {
		close(ch)
		return ch
	}
	limit := s.rate.N(d)
	s.rec.SetLimit(limit)
	go func() {
		remaining := func() time.Duration { return s.rate.D(max(limit-s.Position(), 0)) }
		t := time.NewTimer(remaining())
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
			}
			if s.Frames() >= limit {
				close(ch)
				return
			}
			switch left := remaining(); {
			case left > 250*time.Millisecond:
				t.Reset(left) // paused: the count stood still
			default:
				if left == 0 {
					s.WakeWriter()
				}
				t.Reset(20 * time.Millisecond)
			}
		}
	}()
	return ch
}
