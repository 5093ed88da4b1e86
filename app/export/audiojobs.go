package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
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

// copyWAV copies the recorded WAV byte for byte (BWF and RF64 chunks kept),
// hashing it on the way.
func copyWAV(ctx context.Context, t track, dst string, done *atomic.Int64) (File, error) {
	in, err := os.Open(t.src)
	if err != nil {
		return File{}, fmt.Errorf("export: open %q: %w", t.src, err)
	}
	defer in.Close()
	out, err := createHashing(dst)
	if err != nil {
		return File{}, err
	}
	buf := make([]byte, 1<<20)
	bytesPerFrame := int64(t.info.Format.BytesPerSample() * t.info.Channels)
	var copied int64
	for {
		if err := ctx.Err(); err != nil {
			out.f.Close()
			return File{}, err
		}
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				out.f.Close()
				return File{}, err
			}
			copied += int64(n)
			done.Store(min(copied/bytesPerFrame, t.info.Frames))
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.f.Close()
			return File{}, fmt.Errorf("export: read %q: %w", t.src, rerr)
		}
	}
	size, sum, err := out.close()
	if err != nil {
		return File{}, err
	}
	return audioFile(t, "wav", size, sum, t.info.Channels, t.info.Format.String()), nil
}

func audioFile(t track, format string, size int64, sum string, ch int, bits string) File {
	r := t.info.Rate
	return File{Role: RoleTrack, Format: format, Size: size, SHA256: sum,
		Duration: r.Seconds(t.info.Frames), Rate: int(r), Channels: ch, Bits: bits,
		Frames: t.info.Frames, Timeline: "recording", Source: t.rel}
}

// encodeFLAC encodes a track to FLAC with libFLAC, then decodes the written
// file and compares it with the WAV sample for sample.
func encodeFLAC(ctx context.Context, t track, dst string, done *atomic.Int64) (File, error) {
	bits := int(t.info.Format)
	r, err := audio.OpenWAV(t.src)
	if err != nil {
		return File{}, fmt.Errorf("export: %w", err)
	}
	defer r.Close()
	w, err := codec.CreateFLAC(dst, codec.FLACOptions{Rate: t.info.Rate, Channels: t.info.Channels, Bits: bits, TotalFrames: t.info.Frames})
	if err != nil {
		return File{}, fmt.Errorf("export: %w", err)
	}
	buf := make([]int32, blockFrames*t.info.Channels)
	var frames int64
	for {
		if err := ctx.Err(); err != nil {
			w.Close()
			return File{}, err
		}
		n, rerr := r.ReadInt32(buf)
		if n > 0 {
			if err := w.WriteInt32(buf[:n]); err != nil {
				w.Close()
				return File{}, fmt.Errorf("export: %w", err)
			}
			frames += int64(n / t.info.Channels)
			done.Store(frames / 2) // encoding is the first half of this job
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			w.Close()
			return File{}, fmt.Errorf("export: read %q: %w", t.src, rerr)
		}
	}
	if err := w.Close(); err != nil {
		return File{}, fmt.Errorf("export: %w", err)
	}
	if err := syncFile(dst); err != nil {
		return File{}, err
	}
	if err := compareFLAC(ctx, t.src, dst, func(f int64) { done.Store(frames/2 + f/2) }); err != nil {
		return File{}, err
	}
	size, sum, err := hashFile(dst)
	if err != nil {
		return File{}, err
	}
	done.Store(t.info.Frames)
	return audioFile(t, "flac", size, sum, t.info.Channels, t.info.Format.String()), nil
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
	fr, err := codec.OpenFLAC(flacPath)
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
		n, werr := readFullInt32(wr.ReadInt32, a)
		m, ferr := readFullInt32(fr.ReadInt32, b)
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

// readFullInt32 fills buf from read until it is full or the stream ends; it
// returns io.EOF only when nothing was read.
func readFullInt32(read func([]int32) (int, error), buf []int32) (int, error) {
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
