package export

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
)

// encoder writes the review mix: mono blocks in, panned centre to stereo
// and fed to LAME by one goroutine; what LAME appends to the file is
// decoded by libmp3lame's hip decoder and measured by another.
type encoder struct {
	path   string
	rate   audio.SampleRate
	f      *os.File
	lame   *codec.MP3Writer
	free   chan []float32
	full   chan []float32
	done   chan error // the LAME goroutine's result
	failed atomic.Bool
	bytes  chan []byte // encoded bytes for the measuring goroutine
	meas   chan measured
	closed bool
}

type measured struct {
	r   loudness.Result
	err error
}

const encBuffers = 4

func startEncoder(path string, tag codec.Tag, rate audio.SampleRate, bitrate int) (*encoder, error) {
	tb, err := tag.Bytes()
	if err != nil {
		return nil, fmt.Errorf("export: MP3 tag: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("export: create %q: %w", path, err)
	}
	e := &encoder{path: path, rate: rate, f: f, free: make(chan []float32, encBuffers), full: make(chan []float32, encBuffers),
		done: make(chan error, 1), bytes: make(chan []byte, 64), meas: make(chan measured, 1)}
	if _, err := f.Write(tb); err != nil {
		f.Close()
		return nil, fmt.Errorf("export: write %q: %w", path, err)
	}
	tee := &teeFile{f: f, out: e.bytes}
	if tee.pos, err = f.Seek(0, io.SeekCurrent); err != nil {
		f.Close()
		return nil, fmt.Errorf("export: %w", err)
	}
	tee.end = tee.pos
	if e.lame, err = codec.NewMP3Writer(tee, codec.MP3Options{Rate: rate, Channels: 2, Bitrate: bitrate}); err != nil {
		f.Close()
		return nil, fmt.Errorf("export: %w", err)
	}
	for range encBuffers {
		e.free <- make([]float32, 0, 2*(blockFrames+4096))
	}
	go e.measure()
	go func() {
		var err error
		for b := range e.full {
			if err == nil {
				if err = e.lame.WriteFloat32(b); err != nil {
					e.failed.Store(true)
				}
			}
			e.free <- b[:0]
		}
		if err == nil {
			err = e.lame.Close()
		}
		e.lame = nil
		close(e.bytes)
		e.done <- err
	}()
	return e, nil
}

// send pans a block of the mono mix to stereo and queues it for LAME.
func (e *encoder) send(mono []float32) {
	if len(mono) == 0 {
		return
	}
	b := (<-e.free)[:0]
	for _, v := range mono {
		b = append(b, v, v)
	}
	e.full <- b
}

// measure decodes the encoded stream as it comes and measures it. The mix
// is panned centre and LAME codes it as mid/side with a silent side, so
// both decoded channels are the same: they are measured once, as their
// average (the way Verify and MeasureFile measure an MP3), and reported as
// the stereo programme (dual mono), which halves the meter's work.
func (e *encoder) measure() {
	meter, err := loudness.NewMeter(int(e.rate), 1)
	if err != nil {
		for range e.bytes {
		}
		e.meas <- measured{err: err}
		return
	}
	defer meter.Close()
	var mono []float32
	dec, err := codec.NewMP3StreamDecoder(func(x []float32, ch int) error {
		if ch != 2 {
			return fmt.Errorf("export: %s decodes to %d channel(s)", e.path, ch)
		}
		mono = mono[:0]
		for i := 0; i+1 < len(x); i += 2 {
			mono = append(mono, (x[i]+x[i+1])/2)
		}
		return meter.Write(mono)
	})
	if err == nil {
		defer dec.Close()
	}
	for b := range e.bytes {
		if err == nil {
			_, err = dec.Write(b)
		}
	}
	if err != nil {
		e.meas <- measured{err: err}
		return
	}
	r, err := meter.Result()
	r.Integrated, r.Channels = r.DualMono(), 2
	e.meas <- measured{r, err}
}

// finish closes LAME, syncs the file and reads it back: every frame is
// walked (LAME's music checksum included) and hashed in the same pass.
func (e *encoder) finish(frames int64) (File, loudness.Result, error) {
	close(e.full)
	e.closed = true
	encErr := <-e.done
	m := <-e.meas
	if encErr != nil {
		return File{}, m.r, fmt.Errorf("export: %s: %w", e.path, encErr)
	}
	if m.err != nil {
		return File{}, m.r, fmt.Errorf("export: measure %s: %w", e.path, m.err)
	}
	if err := e.f.Sync(); err != nil {
		return File{}, m.r, fmt.Errorf("export: sync %q: %w", e.path, err)
	}
	if _, err := e.f.Seek(0, io.SeekStart); err != nil {
		return File{}, m.r, fmt.Errorf("export: %w", err)
	}
	h := sha256.New()
	info, err := codec.ScanMP3(io.TeeReader(e.f, h))
	if err != nil {
		return File{}, m.r, fmt.Errorf("export: %s: %w", e.path, err)
	}
	size, _ := e.f.Seek(0, io.SeekCurrent)
	err = e.f.Close()
	e.f = nil
	if err != nil {
		return File{}, m.r, fmt.Errorf("export: close %q: %w", e.path, err)
	}
	if info.Samples != frames {
		return File{}, m.r, fmt.Errorf("export: %s: %d samples after encoding, want %d", e.path, info.Samples, frames)
	}
	return File{Role: RoleMix, Format: "mp3", Size: size, SHA256: hex.EncodeToString(h.Sum(nil)),
		Duration: e.rate.Seconds(frames), Rate: info.Rate, Channels: info.Channels, Frames: frames, Timeline: "recording"}, m.r, nil
}

// abort stops the goroutines and closes the file after a failure; after
// finish it does nothing.
func (e *encoder) abort() {
	if !e.closed {
		close(e.full)
		e.closed = true
		<-e.done
		<-e.meas
	}
	if e.f != nil {
		e.f.Close()
		e.f = nil
	}
}

// teeFile is the MP3's file as LAME sees it: every byte appended to the
// file is also passed on (copied) to out; rewrites of earlier bytes (the
// info frame, patched in at the end) are not.
type teeFile struct {
	f        *os.File
	pos, end int64
	out      chan<- []byte
}

func (t *teeFile) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	if t.pos+int64(n) > t.end {
		from := max(0, t.end-t.pos)
		t.out <- append([]byte(nil), p[from:n]...)
	}
	t.pos += int64(n)
	t.end = max(t.end, t.pos)
	return n, err
}

func (t *teeFile) Seek(off int64, whence int) (int64, error) {
	p, err := t.f.Seek(off, whence)
	if err == nil {
		t.pos = p
	}
	return p, err
}
