package export

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
)

// blockFrames is the chunk size of every audio pass.
const blockFrames = 16384

// track is one mono track of the session.
type track struct {
	src  string // path in the session folder
	name string // base name without extension, e.g. "alice-1"
	rel  string // session-relative path, slash separated
	info audio.Info
}

// trackJob reads a recorded track once: it copies the file byte for byte
// into wavDst (BWF and RF64 chunks kept, hashed on the way), feeds its
// samples to libFLAC for flacDst and measures their loudness (for a mono
// or stereo track; nil otherwise). Either destination may be empty. The
// FLAC is then decoded back and compared sample for sample with the WAV,
// read through the audio package's reader (an independent path).
func trackJob(ctx context.Context, t track, wavDst, flacDst string, done *atomic.Int64) (wavFile, flacFile File, lr *loudness.Result, err error) {
	wavFile, flacFile, lr, err = copyTrack(ctx, t, wavDst, flacDst, done)
	if err != nil || flacDst == "" {
		return wavFile, flacFile, lr, err
	}
	ref := t.src
	if wavDst != "" {
		ref = wavDst // the bundle's copy, just written and cached
	}
	encoded := t.info.Frames / 2
	if err := compareFLAC(ctx, ref, flacDst, func(f int64) { done.Store(encoded + f/2) }); err != nil {
		return wavFile, flacFile, lr, err
	}
	size, sum, err := hashFile(flacDst)
	if err != nil {
		return wavFile, flacFile, lr, err
	}
	done.Store(t.info.Frames)
	return wavFile, audioFile(t, "flac", size, sum, t.info.Channels, t.info.Format.String()), lr, nil
}

// copyTrack is trackJob's single read of the track: the copy, the FLAC
// encoding and the measurement.
func copyTrack(ctx context.Context, t track, wavDst, flacDst string, done *atomic.Int64) (wavFile, flacFile File, lr *loudness.Result, err error) {
	in, err := os.Open(t.src)
	if err != nil {
		return wavFile, flacFile, nil, fmt.Errorf("export: open %q: %w", t.src, err)
	}
	defer in.Close()
	var meter *loudness.Meter
	if t.info.Channels <= 2 {
		if meter, err = loudness.NewMeter(int(t.info.Rate), t.info.Channels); err != nil {
			return wavFile, flacFile, nil, fmt.Errorf("export: %s: %w", t.src, err)
		}
		defer meter.Close()
	}
	var out *hashingFile
	if wavDst != "" {
		if out, err = createHashing(wavDst); err != nil {
			return wavFile, flacFile, nil, err
		}
		defer func() {
			if out != nil {
				out.f.Close()
			}
		}()
	}
	var enc *codec.FLACWriter
	bps := t.info.Format.BytesPerSample()
	if flacDst != "" {
		if t.info.Format != audio.Int16 && t.info.Format != audio.Int24 {
			return wavFile, flacFile, nil, fmt.Errorf("export: %s: FLAC needs 16- or 24-bit PCM, not %s", t.src, t.info.Format)
		}
		enc, err = codec.CreateFLAC(flacDst, codec.FLACOptions{Rate: t.info.Rate, Channels: t.info.Channels, Bits: int(t.info.Format), TotalFrames: t.info.Frames})
		if err != nil {
			return wavFile, flacFile, nil, fmt.Errorf("export: %w", err)
		}
		defer func() {
			if enc != nil {
				enc.Close()
			}
		}()
	}
	half := int64(1)
	if enc != nil {
		half = 2 // encoding is the first half of the job, the check the second
	}
	blockAlign := int64(bps * t.info.Channels)
	dataStart := t.info.DataOffset
	buf := make([]byte, 1<<20)
	pcm := newPCMSink(t, len(buf), enc, meter)
	var off int64 // file offset of buf[0]
	for {
		if err := ctx.Err(); err != nil {
			return wavFile, flacFile, nil, err
		}
		n, rerr := in.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if out != nil {
				if _, err := out.Write(chunk); err != nil {
					return wavFile, flacFile, nil, err
				}
			}
			if err := pcm.write(chunk, off); err != nil {
				return wavFile, flacFile, nil, err
			}
			off += int64(n)
			done.Store(min(max(off-dataStart, 0)/blockAlign, t.info.Frames) / half)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return wavFile, flacFile, nil, fmt.Errorf("export: read %q: %w", t.src, rerr)
		}
	}
	if out != nil {
		size, sum, err := out.close()
		out = nil
		if err != nil {
			return wavFile, flacFile, nil, err
		}
		wavFile = audioFile(t, "wav", size, sum, t.info.Channels, t.info.Format.String())
	}
	if meter != nil {
		r, err := meter.Result()
		if err != nil {
			return wavFile, flacFile, nil, fmt.Errorf("export: %s: %w", t.src, err)
		}
		lr = &r
	}
	if enc == nil {
		done.Store(t.info.Frames)
		return wavFile, flacFile, lr, nil
	}
	err = enc.Close()
	enc = nil
	if err != nil {
		return wavFile, flacFile, lr, fmt.Errorf("export: %w", err)
	}
	if err := syncFile(flacDst); err != nil {
		return wavFile, flacFile, lr, err
	}
	return wavFile, flacFile, lr, nil
}

// pcmSink takes a track file's bytes as they are read and passes the
// samples of its data chunk to the FLAC encoder and the loudness meter
// (either may be nil), carrying a frame split between two reads.
type pcmSink struct {
	t                  track
	enc                *codec.FLACWriter
	meter              *loudness.Meter
	bps                int
	blockAlign         int64
	dataStart, dataEnd int64
	samples            []int32
	floats             []float32
	carry              []byte
}

func newPCMSink(t track, bufLen int, enc *codec.FLACWriter, meter *loudness.Meter) *pcmSink {
	bps := t.info.Format.BytesPerSample()
	p := &pcmSink{t: t, enc: enc, meter: meter, bps: bps, blockAlign: int64(bps * t.info.Channels),
		dataStart: t.info.DataOffset, samples: make([]int32, bufLen/bps+64)}
	p.dataEnd = p.dataStart + t.info.Frames*p.blockAlign
	p.floats = make([]float32, len(p.samples))
	return p
}

// write takes chunk, read at file offset off.
func (p *pcmSink) write(chunk []byte, off int64) error {
	if p.enc == nil && p.meter == nil {
		return nil
	}
	lo, hi := max(p.dataStart, off), min(p.dataEnd, off+int64(len(chunk)))
	if lo >= hi {
		return nil
	}
	data := chunk[lo-off : hi-off]
	if len(p.carry) > 0 {
		data = append(p.carry, data...)
		p.carry = nil
	}
	whole := len(data) - len(data)%int(p.blockAlign)
	if p.enc != nil {
		k := unpackPCM(p.samples, data[:whole], p.bps)
		if err := p.enc.WriteInt32(p.samples[:k]); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if p.meter != nil {
		k := pcmToFloat(p.floats, data[:whole], p.t.info.Format)
		if err := p.meter.Write(p.floats[:k]); err != nil {
			return fmt.Errorf("export: %s: %w", p.t.src, err)
		}
	}
	p.carry = append([]byte(nil), data[whole:]...)
	return nil
}

// unpackPCM converts little-endian 16- or 24-bit PCM bytes to integer samples.
func unpackPCM(dst []int32, b []byte, bps int) int {
	n := len(b) / bps
	if bps == 2 {
		for i := 0; i < n; i++ {
			dst[i] = int32(int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8))
		}
		return n
	}
	for i := 0; i < n; i++ {
		j := 3 * i
		dst[i] = int32(uint32(b[j])<<8|uint32(b[j+1])<<16|uint32(b[j+2])<<24) >> 8
	}
	return n
}

// pcmToFloat converts little-endian PCM bytes (16-, 24-bit or 32-bit
// float) to float32 samples in -1..1.
func pcmToFloat(dst []float32, b []byte, f audio.SampleFormat) int {
	switch f {
	case audio.Int16:
		n := len(b) / 2
		for i := 0; i < n; i++ {
			dst[i] = float32(int16(uint16(b[2*i])|uint16(b[2*i+1])<<8)) / (1 << 15)
		}
		return n
	case audio.Int24:
		n := len(b) / 3
		for i := 0; i < n; i++ {
			j := 3 * i
			dst[i] = float32(int32(uint32(b[j])<<8|uint32(b[j+1])<<16|uint32(b[j+2])<<24)>>8) / (1 << 23)
		}
		return n
	default:
		n := len(b) / 4
		for i := 0; i < n; i++ {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return n
	}
}

func audioFile(t track, format string, size int64, sum string, ch int, bits string) File {
	r := t.info.Rate
	return File{Role: RoleTrack, Format: format, Size: size, SHA256: sum,
		Duration: r.Seconds(t.info.Frames), Rate: int(r), Channels: ch, Bits: bits,
		Frames: t.info.Frames, Timeline: "recording", Source: t.rel}
}

// ErrMismatch reports a FLAC file whose decoded samples differ from its WAV.
var ErrMismatch = errors.New("export: FLAC does not decode to the recorded samples")

// compareFLAC decodes flacPath and compares it sample for sample with the WAV
// at wavPath (libFLAC also checks every frame CRC and the MD5 signature).
func compareFLAC(ctx context.Context, wavPath, flacPath string, progress func(frames int64)) error {
	wr, err := audio.OpenWAV(wavPath)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer wr.Close()
	// Every sample is compared, so the decoder's MD5 check (half its
	// time) would add nothing; frame CRCs are still checked.
	fr, err := codec.OpenFLACWith(flacPath, codec.FLACReadOptions{NoMD5: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer fr.Close()
	wi, fi := wr.Info(), fr.Info()
	if wi.Channels != fi.Channels || int(wi.Rate) != int(fi.Rate) || fi.Frames != wi.Frames {
		return fmt.Errorf("%w: %s: %d Hz %d ch %d frames, WAV has %d Hz %d ch %d frames",
			ErrMismatch, filepath.Base(flacPath), fi.Rate, fi.Channels, fi.Frames, wi.Rate, wi.Channels, wi.Frames)
	}
	a := make([]int32, blockFrames*wi.Channels)
	b := make([]int32, len(a))
	var pos int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, werr := readFull(wr.ReadInt32, a)
		m, ferr := readFull(fr.ReadInt32, b)
		if werr != nil && werr != io.EOF {
			return fmt.Errorf("export: read %q: %w", wavPath, werr)
		}
		if ferr != nil && ferr != io.EOF {
			return fmt.Errorf("export: %w", ferr)
		}
		if n != m {
			return fmt.Errorf("%w: %s ends at frame %d, the WAV at %d", ErrMismatch, filepath.Base(flacPath), pos+int64(m/wi.Channels), pos+int64(n/wi.Channels))
		}
		for i := 0; i < n; i++ {
			if a[i] != b[i] {
				return fmt.Errorf("%w: %s: frame %d channel %d is %d, the WAV has %d", ErrMismatch, filepath.Base(flacPath), pos+int64(i/wi.Channels), i%wi.Channels+1, b[i], a[i])
			}
		}
		pos += int64(n / wi.Channels)
		progress(pos)
		if n < len(a) {
			return nil
		}
	}
}

// readFull fills buf from read until it is full or the stream ends; it
// returns io.EOF only when nothing was read.
func readFull[T int32 | float32](read func([]T) (int, error), buf []T) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := read(buf[n:])
		n += m
		if err == io.EOF {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}
