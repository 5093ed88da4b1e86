package codec

/*
#cgo LDFLAGS: -lmp3lame
#include <stdlib.h>
#include <lame/lame.h>

static lame_t pm_lame_new(int rate, int channels, int kbps, int vbrq, int quality) {
	lame_t g = lame_init();
	if (g == NULL) return NULL;
	lame_set_in_samplerate(g, rate);
	lame_set_out_samplerate(g, rate);
	lame_set_num_channels(g, channels);
	lame_set_mode(g, channels == 1 ? MONO : JOINT_STEREO);
	lame_set_quality(g, quality);
	lame_set_bWriteVbrTag(g, 1);       // the Xing/LAME info frame, patched in at the end
	lame_set_write_id3tag_automatic(g, 0);
	if (kbps > 0) {
		lame_set_VBR(g, vbr_off);
		lame_set_brate(g, kbps);
	} else {
		lame_set_VBR(g, vbr_default);
		lame_set_VBR_quality(g, (float)vbrq);
	}
	if (lame_init_params(g) < 0) {
		lame_close(g);
		return NULL;
	}
	return g;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/podmark/podmark/audio"
)

// ErrMP3 reports an MP3 stream LAME could not encode, or a broken frame.
var ErrMP3 = errors.New("codec: mp3")

// MP3Options configures the LAME encoder.
type MP3Options struct {
	Rate     audio.SampleRate // 32000, 44100 or 48000 (MPEG-1); lower rates give MPEG-2/2.5
	Channels int              // 1 (mono) or 2 (joint stereo)
	// Bitrate in kbit/s selects CBR (e.g. 128 or 192). 0 selects VBR at
	// VBRQuality (0 best .. 9; 2 is LAME's -V2).
	Bitrate    int
	VBRQuality int
	// Quality is LAME's algorithm quality 0 (best, slowest) .. 9; 0 means 3,
	// which is close to LAME's own default of -q 3.
	Quality int
}

// MP3Writer encodes float32 PCM into MP3 frames with a correct LAME/Xing info
// frame. The caller may write an ID3v2 tag to the WriteSeeker before calling
// NewMP3Writer: the info frame is placed right after whatever precedes it.
// An MP3Writer is not safe for concurrent use; separate writers run in parallel.
type MP3Writer struct {
	g      C.lame_t
	w      io.WriteSeeker
	start  int64 // offset of the first MP3 frame (the info frame)
	ch     int
	out    []byte
	left   []float32
	right  []float32
	frames int64
	err    error
}

// NewMP3Writer starts an MP3 stream at w's current position.
func NewMP3Writer(w io.WriteSeeker, opt MP3Options) (*MP3Writer, error) {
	if opt.Channels != 1 && opt.Channels != 2 {
		return nil, fmt.Errorf("%w: %d channels (want 1 or 2)", ErrMP3, opt.Channels)
	}
	if opt.Bitrate < 0 || opt.Bitrate > 320 || opt.VBRQuality < 0 || opt.VBRQuality > 9 || opt.Quality < 0 || opt.Quality > 9 {
		return nil, fmt.Errorf("%w: bad options %+v", ErrMP3, opt)
	}
	start, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("codec: mp3: %w", err)
	}
	q := opt.Quality
	if q == 0 {
		q = 3
	}
	g := C.pm_lame_new(C.int(opt.Rate), C.int(opt.Channels), C.int(opt.Bitrate), C.int(opt.VBRQuality), C.int(q))
	if g == nil {
		return nil, fmt.Errorf("%w: LAME rejected rate %d, %d channels, %d kbit/s", ErrMP3, opt.Rate, opt.Channels, opt.Bitrate)
	}
	return &MP3Writer{g: g, w: w, start: start, ch: opt.Channels}, nil
}

// WriteFloat32 encodes interleaved samples in -1..1.
func (m *MP3Writer) WriteFloat32(interleaved []float32) error {
	if m.err != nil {
		return m.err
	}
	if m.g == nil {
		return fmt.Errorf("%w: write after close", ErrMP3)
	}
	if len(interleaved)%m.ch != 0 {
		return fmt.Errorf("%w: %d samples is not a whole number of %d-channel frames", ErrMP3, len(interleaved), m.ch)
	}
	const chunk = 8192
	for len(interleaved) > 0 {
		n := min(len(interleaved)/m.ch, chunk)
		if err := m.encode(interleaved[:n*m.ch], n); err != nil {
			m.err = err
			return err
		}
		interleaved = interleaved[n*m.ch:]
		m.frames += int64(n)
	}
	return nil
}

func (m *MP3Writer) encode(pcm []float32, n int) error {
	need := n*5/4 + 7200
	if cap(m.out) < need {
		m.out = make([]byte, need)
	}
	out := m.out[:need]
	var got C.int
	if m.ch == 2 {
		got = C.lame_encode_buffer_interleaved_ieee_float(m.g, (*C.float)(unsafe.Pointer(&pcm[0])), C.int(n),
			(*C.uchar)(unsafe.Pointer(&out[0])), C.int(len(out)))
	} else {
		p := (*C.float)(unsafe.Pointer(&pcm[0]))
		got = C.lame_encode_buffer_ieee_float(m.g, p, p, C.int(n), (*C.uchar)(unsafe.Pointer(&out[0])), C.int(len(out)))
	}
	if got < 0 {
		return fmt.Errorf("%w: lame_encode_buffer failed (%d)", ErrMP3, int(got))
	}
	if _, err := m.w.Write(out[:got]); err != nil {
		return fmt.Errorf("codec: mp3: write: %w", err)
	}
	return nil
}

// Frames returns the number of PCM frames encoded so far.
func (m *MP3Writer) Frames() int64 { return m.frames }

// Close flushes LAME, rewrites the info frame with the final frame count,
// byte count, seek table and encoder delay/padding, and leaves w positioned
// at the end of the stream. It does not close w.
func (m *MP3Writer) Close() error {
	if m.g == nil {
		return m.err
	}
	defer func() {
		C.lame_close(m.g)
		m.g = nil
		if m.err == nil {
			m.err = fmt.Errorf("%w: write after close", ErrMP3)
		}
	}()
	if m.err != nil {
		return m.err
	}
	out := m.out
	if cap(out) < 7200 {
		out = make([]byte, 7200)
	}
	out = out[:cap(out)]
	got := C.lame_encode_flush(m.g, (*C.uchar)(unsafe.Pointer(&out[0])), C.int(len(out)))
	if got < 0 {
		return fmt.Errorf("%w: lame_encode_flush failed (%d)", ErrMP3, int(got))
	}
	if _, err := m.w.Write(out[:got]); err != nil {
		return fmt.Errorf("codec: mp3: write: %w", err)
	}
	end, err := m.w.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("codec: mp3: %w", err)
	}
	tag := make([]byte, 2880)
	n := C.lame_get_lametag_frame(m.g, (*C.uchar)(unsafe.Pointer(&tag[0])), C.size_t(len(tag)))
	if int(n) > len(tag) {
		return fmt.Errorf("%w: LAME tag frame of %d bytes", ErrMP3, int(n))
	}
	if n > 0 {
		if _, err := m.w.Seek(m.start, io.SeekStart); err != nil {
			return fmt.Errorf("codec: mp3: %w", err)
		}
		if _, err := m.w.Write(tag[:n]); err != nil {
			return fmt.Errorf("codec: mp3: write info frame: %w", err)
		}
		if _, err := m.w.Seek(end, io.SeekStart); err != nil {
			return fmt.Errorf("codec: mp3: %w", err)
		}
	}
	return nil
}
