package merge

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// piece is a run of file frames that sits at one place on the session's
// stream clock: file frames [file, file+n) are stream frames [stream, stream+n).
type piece struct{ file, stream, n int64 }

// timeline maps a session's track files onto its stream clock, which keeps
// running through pauses: the paused span reads as silence, so every sample
// stays at its true time relative to the other host.
type timeline struct {
	pieces []piece
	frames int64 // stream frames, pauses included
	pauses []session.Pause
}

func newTimeline(m session.Meta) (timeline, error) {
	ps := append([]session.Pause(nil), m.Pauses...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].At < ps[j].At })
	var tl timeline
	var file, skipped int64
	for _, p := range ps {
		if p.At < file || p.At > m.Frames || p.Skipped < 0 {
			return tl, fmt.Errorf("merge: %s: pause at frame %d skipping %d frames does not fit a %d-frame session", session.MetaFile, p.At, p.Skipped, m.Frames)
		}
		if p.At > file {
			tl.pieces = append(tl.pieces, piece{file: file, stream: file + skipped, n: p.At - file})
		}
		file = p.At
		skipped += p.Skipped
	}
	if m.Frames > file {
		tl.pieces = append(tl.pieces, piece{file: file, stream: file + skipped, n: m.Frames - file})
	}
	tl.frames = m.Frames + skipped
	tl.pauses = ps
	return tl, nil
}

// stream returns the stream frame of file frame f. A frame at the very
// start of a pause is the one before the pause unless after says the event
// (a marker) happened after the resume.
func (tl timeline) stream(f int64, after func(p session.Pause) bool) int64 {
	s := f
	for _, p := range tl.pauses {
		if f > p.At || (f == p.At && after != nil && after(p)) {
			s += p.Skipped
		}
	}
	return s
}

// trackReader reads one session's mono track files on the stream clock.
// It is safe for concurrent use.
type trackReader struct {
	tl    timeline
	rate  int
	paths []string
	mu    sync.Mutex
	rs    []*audio.Reader
}

func openTracks(dir string, m session.Meta, tl timeline) (*trackReader, error) {
	tr := &trackReader{tl: tl, rate: m.Rate}
	for _, t := range m.Tracks {
		p := filepath.Join(dir, filepath.FromSlash(t.File))
		r, err := audio.OpenWAV(p)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("merge: %w", err), tr.Close())
		}
		tr.rs = append(tr.rs, r)
		tr.paths = append(tr.paths, p)
		in := r.Info()
		if int(in.Rate) != m.Rate || in.Channels != 1 {
			return nil, errors.Join(fmt.Errorf("merge: %s: %d Hz %d-channel, session.json says %d Hz mono tracks", p, in.Rate, in.Channels, m.Rate), tr.Close())
		}
		if in.Frames < m.Frames {
			return nil, errors.Join(fmt.Errorf("merge: %s: %d frames, session.json says %d (run podmark recover?)", p, in.Frames, m.Frames), tr.Close())
		}
	}
	if len(tr.rs) == 0 {
		return nil, fmt.Errorf("merge: %s: %s lists no tracks", dir, session.MetaFile)
	}
	return tr, nil
}

// Close closes every track file.
func (tr *trackReader) Close() error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var errs []error
	for _, r := range tr.rs {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	tr.rs = nil
	return errors.Join(errs...)
}

// readTrack fills dst with track k from stream frame s on; silence outside
// the recorded pieces.
func (tr *trackReader) readTrack(k int, dst []float32, s int64) error {
	clear(dst)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.rs == nil {
		return fmt.Errorf("merge: read after close")
	}
	r := tr.rs[k]
	end := s + int64(len(dst))
	for _, p := range tr.tl.pieces {
		lo := max(s, p.stream)
		hi := min(end, p.stream+p.n)
		if lo >= hi {
			continue
		}
		if err := r.SeekFrame(p.file + lo - p.stream); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		out := dst[lo-s : hi-s]
		for len(out) > 0 {
			n, err := r.ReadFloat32(out)
			out = out[n:]
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("merge: %s: %w", tr.paths[k], err)
			}
		}
	}
	return nil
}

// signal is a session's tracks mixed to mono on the stream clock, as an
// align.Signal.
type signal struct{ tr *trackReader }

func (g signal) Rate() int     { return g.tr.rate }
func (g signal) Frames() int64 { return g.tr.tl.frames }

func (g signal) ReadAt(dst []float32, frame int64) error {
	if len(g.tr.rs) == 1 {
		return g.tr.readTrack(0, dst, frame)
	}
	clear(dst)
	tmp := make([]float32, len(dst))
	for k := range g.tr.paths {
		if err := g.tr.readTrack(k, tmp, frame); err != nil {
			return err
		}
		for i, v := range tmp {
			dst[i] += v / float32(len(g.tr.paths))
		}
	}
	return nil
}
