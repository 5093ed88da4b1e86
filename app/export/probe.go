package export

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
)

// LAME at podcast bit rates plays a little quieter than its input (about
// 0.45 dB at 128 kbit/s, nothing at 320: its quantizer rounds down), and the
// limiter takes a little off loud peaks. So the gain that reaches the target
// is found on excerpts first: excerpts of the sum, spread over the whole
// programme, go through the same gain, limiter and encoder, are decoded and
// measured, and the difference corrects the gain.
const (
	probeExcerpts = 8
	probeSeconds  = 4
)

// excerpts collects probeExcerpts stretches of probeSeconds, evenly
// spaced, from a stream of mono blocks; a short programme is taken whole.
type excerpts struct {
	starts []int64
	n      int64 // frames per excerpt
	buf    []float32
}

func newExcerpts(rate audio.SampleRate, frames int64) *excerpts {
	e := &excerpts{n: int64(rate) * probeSeconds}
	if frames <= e.n*probeExcerpts*2 {
		e.starts, e.n = []int64{0}, frames
		return e
	}
	for j := range int64(probeExcerpts) {
		e.starts = append(e.starts, (2*j+1)*frames/(2*probeExcerpts)-e.n/2)
	}
	return e
}

// add takes what it needs of the block starting at frame pos.
func (e *excerpts) add(pos int64, block []float32) {
	end := pos + int64(len(block))
	for _, s := range e.starts {
		lo, hi := max(s, pos), min(s+e.n, end)
		if lo < hi {
			e.buf = append(e.buf, block[lo-pos:hi-pos]...)
		}
	}
}

// codecBias returns how many dB quieter the excerpts come out of the gain,
// the limiter and LAME than the gain alone makes them.
func codecBias(x []float32, rate audio.SampleRate, bitrate int, gain float64) (float64, error) {
	if len(x) == 0 {
		return 0, nil
	}
	in, err := loudness.NewMeter(int(rate), 1)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	lim, err := loudness.NewLimiter(int(rate), limiterCeiling, limiterLookahead, limiterRelease)
	if err != nil {
		return 0, err
	}
	g := make([]float32, len(x))
	for i, v := range x {
		g[i] = v * float32(gain)
	}
	if err := in.Write(g); err != nil {
		return 0, err
	}
	limited := lim.Flush(lim.Process(make([]float32, 0, len(g)), g))
	st := make([]float32, 2*len(limited))
	for i, v := range limited {
		st[2*i], st[2*i+1] = v, v
	}
	var mem memFile
	enc, err := codec.NewMP3Writer(&mem, codec.MP3Options{Rate: rate, Channels: 2, Bitrate: bitrate})
	if err != nil {
		return 0, err
	}
	if err := enc.WriteFloat32(st); err != nil {
		enc.Close()
		return 0, err
	}
	if err := enc.Close(); err != nil {
		return 0, err
	}
	out, err := loudness.NewMeter(int(rate), 2)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	dec, err := codec.NewMP3StreamDecoder(func(s []float32, ch int) error {
		if ch != 2 {
			return fmt.Errorf("probe decodes to %d channels", ch)
		}
		return out.Write(s)
	})
	if err != nil {
		return 0, err
	}
	defer dec.Close()
	if _, err := dec.Write(mem.b); err != nil {
		return 0, err
	}
	ri, err := in.Result()
	if err != nil {
		return 0, err
	}
	ro, err := out.Result()
	if err != nil {
		return 0, err
	}
	if math.IsInf(ri.Integrated, -1) || math.IsInf(ro.Integrated, -1) {
		return 0, nil
	}
	// Bounded: a probe of near-silence says little.
	return max(-1, min(3, ri.DualMono()-ro.Integrated)), nil
}

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	pos int64
}

func (m *memFile) Write(p []byte) (int, error) {
	if end := m.pos + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += int64(len(p))
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += m.pos
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("export: seek before start")
	}
	m.pos = off
	return off, nil
}
