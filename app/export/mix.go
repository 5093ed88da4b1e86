package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync/atomic"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// LimitDBFS is the ceiling of the review mix: tracks are summed at unity gain
// (hosts mostly take turns) and a peak limiter with instant attack and a
// 200 ms release keeps the sum at or below -1 dBFS, so it never clips.
const LimitDBFS = -1.0

// limiter is a sample-peak limiter with instant attack; its output never
// exceeds ceil.
type limiter struct {
	ceil, gain, release float64
	limited             int64 // samples whose gain was reduced
}

func newLimiter(rate audio.SampleRate) *limiter {
	return &limiter{
		ceil:    math.Pow(10, LimitDBFS/20),
		gain:    1,
		release: 1 - math.Exp(-1/(0.2*float64(rate))),
	}
}

func (l *limiter) process(s []float32) {
	for i, x := range s {
		l.gain += (1 - l.gain) * l.release
		a := math.Abs(float64(x))
		if a*l.gain > l.ceil {
			l.gain = l.ceil / a
		}
		if l.gain < 0.9999 {
			l.limited++
		}
		y := float64(x) * l.gain
		s[i] = float32(max(-l.ceil, min(l.ceil, y)))
	}
}

// peaks is the per-column minimum and maximum of one track, for the overview.
type peaks struct {
	lo, hi []float32
}

// mixResult is what the mix pass learned.
type mixResult struct {
	file    File // the MP3 (zero when no MP3 was asked for)
	peaks   []peaks
	frames  int64
	limited int64
}

// mixPass reads every track once: it sums them into the MP3 review copy
// (when mp3Path is set) and gathers the waveform peaks over cols columns.
func mixPass(ctx context.Context, tracks []track, frames int64, cols int, mp3Path string, tag codec.Tag, bitrate int, done *atomic.Int64) (res mixResult, err error) {
	if len(tracks) == 0 {
		return res, errors.New("export: no tracks to mix")
	}
	rate := tracks[0].info.Rate
	readers := make([]*audio.Reader, len(tracks))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.Close()
			}
		}
	}()
	for i, t := range tracks {
		if readers[i], err = audio.OpenWAV(t.src); err != nil {
			return res, fmt.Errorf("export: %w", err)
		}
	}
	res.frames = frames
	res.peaks = make([]peaks, len(tracks))
	for i := range res.peaks {
		res.peaks[i] = peaks{lo: make([]float32, cols), hi: make([]float32, cols)}
	}

	var (
		f   *os.File
		enc *codec.MP3Writer
	)
	if mp3Path != "" {
		b, err := tag.Bytes()
		if err != nil {
			return res, fmt.Errorf("export: MP3 tag: %w", err)
		}
		if f, err = os.OpenFile(mp3Path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
			return res, fmt.Errorf("export: create %q: %w", mp3Path, err)
		}
		defer func() {
			if f != nil {
				f.Close()
			}
		}()
		if _, err := f.Write(b); err != nil {
			return res, fmt.Errorf("export: write %q: %w", mp3Path, err)
		}
		if enc, err = codec.NewMP3Writer(f, codec.MP3Options{Rate: rate, Channels: 1, Bitrate: bitrate}); err != nil {
			return res, fmt.Errorf("export: %w", err)
		}
		defer func() {
			if enc != nil {
				enc.Close()
			}
		}()
	}

	// The tracks are read and mixed here while another goroutine feeds LAME,
	// so the encoder (the longest single job of an export) never waits for I/O.
	const nbuf = 4
	free := make(chan []float32, nbuf)
	full := make(chan []float32, nbuf)
	for range nbuf {
		free <- make([]float32, blockFrames)
	}
	encDone := make(chan error, 1)
	var encFailed atomic.Bool
	if enc != nil {
		go func() {
			var err error
			for b := range full {
				if err == nil {
					if err = enc.WriteFloat32(b); err != nil {
						encFailed.Store(true)
					}
				}
				free <- b[:cap(b)]
			}
			encDone <- err
		}()
	} else {
		go func() {
			for b := range full {
				free <- b[:cap(b)]
			}
			encDone <- nil
		}()
	}
	readErr := func() error {
		lim := newLimiter(rate)
		defer func() { res.limited = lim.limited }()
		bufs := make([][]float32, len(tracks))
		for i, t := range tracks {
			bufs[i] = make([]float32, blockFrames*t.info.Channels)
		}
		for pos := int64(0); pos < frames; {
			if err := ctx.Err(); err != nil {
				return err
			}
			if encFailed.Load() {
				return nil // the encoder's error is reported below
			}
			n := int(min(int64(blockFrames), frames-pos))
			sum := (<-free)[:n]
			clear(sum)
			for i, r := range readers {
				ch := tracks[i].info.Channels
				buf := bufs[i][:n*ch]
				got, err := readFull(r.ReadFloat32, buf)
				if err != nil && err != io.EOF {
					return fmt.Errorf("export: read %q: %w", tracks[i].src, err)
				}
				clear(buf[got:]) // a shorter track continues as silence
				p := res.peaks[i]
				for k := 0; k < n; k++ {
					var v float32
					for c := 0; c < ch; c++ {
						v += buf[k*ch+c]
					}
					v /= float32(ch)
					sum[k] += v
					col := int((pos + int64(k)) * int64(cols) / frames)
					if v < p.lo[col] {
						p.lo[col] = v
					}
					if v > p.hi[col] {
						p.hi[col] = v
					}
				}
			}
			if enc != nil {
				lim.process(sum)
			}
			full <- sum
			pos += int64(n)
			done.Store(pos)
		}
		return nil
	}()
	close(full)
	encErr := <-encDone
	if readErr != nil {
		return res, readErr
	}
	if encErr != nil {
		return res, fmt.Errorf("export: %s: %w", mp3Path, encErr)
	}
	if enc == nil {
		return res, nil
	}
	err = enc.Close()
	enc = nil
	if err != nil {
		return res, fmt.Errorf("export: %s: %w", mp3Path, err)
	}
	if err := f.Sync(); err != nil {
		return res, fmt.Errorf("export: sync %q: %w", mp3Path, err)
	}
	// Read the file back: walk every frame (LAME's music checksum included)
	// and hash it in the same pass.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	h := sha256.New()
	info, err := codec.ScanMP3(io.TeeReader(f, h))
	if err != nil {
		return res, fmt.Errorf("export: %s: %w", mp3Path, err)
	}
	size, _ := f.Seek(0, io.SeekCurrent)
	err = f.Close()
	f = nil
	if err != nil {
		return res, fmt.Errorf("export: close %q: %w", mp3Path, err)
	}
	if info.Samples != frames {
		return res, fmt.Errorf("export: %s: %d samples after encoding, want %d", mp3Path, info.Samples, frames)
	}
	res.file = File{Role: RoleMix, Format: "mp3", Size: size, SHA256: hex.EncodeToString(h.Sum(nil)),
		Duration: rate.Seconds(frames), Rate: info.Rate, Channels: info.Channels, Frames: frames, Timeline: "recording"}
	return res, nil
}
