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

// codecProbe returns the loudness of the excerpts x at the gain (as dual
// mono), and after the gain, the limiter and LAME (decoded, stereo).
func codecProbe(x []float32, rate audio.SampleRate, bitrate int, gain float64) (in, out float64, err error) {
	in, out = math.Inf(-1), math.Inf(-1)
	if len(x) == 0 {
		return in, out, nil
	}
	im, err := loudness.NewIntegratedMeter(int(rate), 1)
	if err != nil {
		return in, out, err
	}
	defer im.Close()
	lim, err := loudness.NewLimiter(int(rate), limiterCeiling, limiterLookahead, limiterRelease)
	if err != nil {
		return in, out, err
	}
	g := make([]float32, len(x))
	for i, v := range x {
		g[i] = v * float32(gain)
	}
	if err := im.Write(g); err != nil {
		return in, out, err
	}
	limited := lim.Flush(lim.Process(make([]float32, 0, len(g)), g))
	st := make([]float32, 2*len(limited))
	for i, v := range limited {
		st[2*i], st[2*i+1] = v, v
	}
	var mem memFile
	enc, err := codec.NewMP3Writer(&mem, codec.MP3Options{Rate: rate, Channels: 2, Bitrate: bitrate})
	if err != nil {
		return in, out, err
	}
	if err := enc.WriteFloat32(st); err != nil {
		enc.Close()
		return in, out, err
	}
	if err := enc.Close(); err != nil {
		return in, out, err
	}
	om, err := loudness.NewIntegratedMeter(int(rate), 2)
	if err != nil {
		return in, out, err
	}
	defer om.Close()
	dec, err := codec.NewMP3StreamDecoder(func(s []float32, ch int) error {
		if ch != 2 {
			return fmt.Errorf("probe decodes to %d channels", ch)
		}
		return om.Write(s)
	})
	if err != nil {
		return in, out, err
	}
	defer dec.Close()
	if _, err := dec.Write(mem.b); err != nil {
		return in, out, err
	}
	ri, err := im.Result()
	if err != nil {
		return in, out, err
	}
	ro, err := om.Result()
	if err != nil {
		return in, out, err
	}
	return ri.DualMono(), ro.Integrated, nil
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
