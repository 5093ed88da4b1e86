package merge

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
)

// span is a run of a session's stream frames placed on the merged timeline
// by one straight line: input frame inStart lands at output frame outStart
// (fractional), and each input frame is ratio output frames.
type span struct {
	inStart, inEnd int64
	outStart       float64
	ratio          float64
	copy           bool // the master: samples copied unchanged
	inRate         int
}

// plan cuts a session at the breaks (dropouts) into straight spans.
func plan(in *input, toMaster func(float64) float64, breaks []float64, t0 float64, rate int) []span {
	R := float64(in.meta.Rate)
	T := float64(in.tl.frames) / R
	var bs []float64
	for _, b := range breaks {
		if b > 0 && b < T {
			bs = append(bs, b)
		}
	}
	sort.Float64s(bs)
	edges := append(append([]float64{0}, bs...), T)
	var out []span
	for i := 0; i+1 < len(edges); i++ {
		f0 := int64(math.Round(edges[i] * R))
		f1 := int64(math.Round(edges[i+1] * R))
		if i+1 == len(edges)-1 {
			f1 = in.tl.frames
		}
		if f1 <= f0 {
			continue
		}
		a := float64(f0) / R
		m := (float64(f0) + float64(f1)) / 2 / R
		y0, ym := toMaster(a), toMaster(m)
		beta := (ym - y0) / (m - a)
		s := span{inStart: f0, inEnd: f1, outStart: (y0 - t0) * float64(rate), ratio: float64(rate) * beta / R, inRate: in.meta.Rate}
		if in.master {
			s.copy, s.ratio = true, 1
		}
		out = append(out, s)
	}
	return out
}

type writeJob struct {
	path  string
	in    *input
	track int
	spans []span
}

// writeTracks writes every output track, at most workers at once.
func writeTracks(jobs []writeJob, opt audio.WriterOptions, total int64, workers int) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, max(1, workers))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = writeTrack(j, opt, total)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

const chunk = 1 << 16

func writeTrack(j writeJob, opt audio.WriterOptions, total int64) (err error) {
	w, err := audio.CreateWAV(j.path, opt)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer func() {
		if cerr := w.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("merge: %w", cerr))
		}
	}()
	zeros := make([]float32, chunk)
	silence := func(n int64) error {
		for n > 0 {
			k := min(n, chunk)
			if err := w.WriteFloat32(zeros[:k]); err != nil {
				return fmt.Errorf("merge: %w", err)
			}
			n -= k
		}
		return nil
	}
	var pos int64
	in := make([]float32, chunk)
	for _, s := range j.spans {
		start := int64(math.Round(s.outStart))
		n := int64(math.Round(float64(s.inEnd-s.inStart) * s.ratio))
		if s.copy {
			n = s.inEnd - s.inStart
		}
		n = min(n, total-start)
		if start > pos {
			if err := silence(start - pos); err != nil {
				return err
			}
			pos = start
		}
		drop := pos - start // output frames already covered by the previous span
		if n <= drop {
			continue
		}
		// emit writes resampled output, skipping drop frames and stopping at n.
		var made int64
		emit := func(out []float32) error {
			lo := max(int64(0), drop-made)
			hi := min(int64(len(out)), n-made)
			made += int64(len(out))
			if lo >= hi {
				return nil
			}
			if err := w.WriteFloat32(out[lo:hi]); err != nil {
				return fmt.Errorf("merge: %w", err)
			}
			pos += hi - lo
			return nil
		}
		if s.copy {
			for f := s.inStart; f < s.inEnd && made < n; f += chunk {
				k := min(chunk, s.inEnd-f)
				if err := j.in.tr.readTrack(j.track, in[:k], f); err != nil {
					return err
				}
				if err := emit(in[:k]); err != nil {
					return err
				}
			}
		} else {
			if err := resampleSpan(j, s, in, n, &made, emit); err != nil {
				return err
			}
		}
		if pos < start+n { // the resampler came up short: keep the timeline
			if err := silence(start + n - pos); err != nil {
				return err
			}
			pos = start + n
		}
	}
	if pos < total {
		return silence(total - pos)
	}
	return nil
}

func resampleSpan(j writeJob, s span, in []float32, n int64, made *int64, emit func([]float32) error) error {
	r, err := align.NewResampler(float64(s.inRate), float64(s.inRate)*s.ratio, align.HQ)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer r.Close()
	out := make([]float32, int(float64(chunk)*s.ratio)+4096)
	for f := s.inStart; f < s.inEnd && *made < n; f += chunk {
		k := min(chunk, s.inEnd-f)
		if err := j.in.tr.readTrack(j.track, in[:k], f); err != nil {
			return err
		}
		rest := in[:k]
		for len(rest) > 0 {
			c, p, err := r.Process(rest, out, false)
			if err != nil {
				return fmt.Errorf("merge: %s: %w", j.path, err)
			}
			rest = rest[c:]
			if err := emit(out[:p]); err != nil {
				return err
			}
			if c == 0 && p == 0 {
				break
			}
		}
	}
	for *made < n {
		_, p, err := r.Process(nil, out, true)
		if err != nil {
			return fmt.Errorf("merge: %s: %w", j.path, err)
		}
		if p == 0 {
			break
		}
		if err := emit(out[:p]); err != nil {
			return err
		}
	}
	return nil
}
