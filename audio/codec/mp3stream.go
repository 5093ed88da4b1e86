package codec

/*
#cgo LDFLAGS: -lmp3lame
#include <lame/lame.h>

static int pm_hip_decode(hip_t h, unsigned char *buf, size_t len, short *l, short *r, int *channels) {
	mp3data_struct md;
	int n = hip_decode1_headers(h, buf, len, l, r, &md);
	*channels = md.header_parsed ? md.stereo : 0;
	return n;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// MP3StreamDecoder decodes an MP3 byte stream as it arrives, with the hip
// decoder built into libmp3lame (mpglib): each Write may hold any part of
// the stream, and every decoded frame goes to the emit function as
// interleaved float32 (1 or 2 channels). It lets an encoder's output be
// measured while it is written, without reading the file again. The
// encoder delay and padding are not removed (a LAME/Xing info frame decodes
// to silence or is skipped). Not safe for concurrent use.
type MP3StreamDecoder struct {
	h    C.hip_t
	emit func(interleaved []float32, channels int) error
	l, r []int16
	out  []float32
	buf  []byte
}

// NewMP3StreamDecoder returns a decoder that passes every decoded frame to emit.
func NewMP3StreamDecoder(emit func(interleaved []float32, channels int) error) (*MP3StreamDecoder, error) {
	h := C.hip_decode_init()
	if h == nil {
		return nil, fmt.Errorf("%w: hip_decode_init failed", ErrMP3)
	}
	return &MP3StreamDecoder{h: h, emit: emit, l: make([]int16, 4608), r: make([]int16, 4608), out: make([]float32, 2*4608)}, nil
}

// Write decodes the complete frames in p (and what earlier Writes left).
func (d *MP3StreamDecoder) Write(p []byte) (int, error) {
	if d.h == nil {
		return 0, fmt.Errorf("%w: write after close", ErrMP3)
	}
	const chunk = 4096 // hip buffers what it cannot decode yet
	for off := 0; off < len(p); off += chunk {
		part := p[off:min(off+chunk, len(p))]
		d.buf = append(d.buf[:0], part...) // C must not keep a Go pointer; hip copies
		in, n := (*C.uchar)(unsafe.Pointer(&d.buf[0])), C.size_t(len(d.buf))
		for {
			var ch C.int
			got := C.pm_hip_decode(d.h, in, n, (*C.short)(unsafe.Pointer(&d.l[0])), (*C.short)(unsafe.Pointer(&d.r[0])), &ch)
			in, n = nil, 0
			if got < 0 {
				return off, fmt.Errorf("%w: undecodable frame", ErrMP3)
			}
			if got == 0 {
				break
			}
			if err := d.send(int(got), int(ch)); err != nil {
				return off, err
			}
		}
	}
	return len(p), nil
}

func (d *MP3StreamDecoder) send(n, channels int) error {
	const scale = 1.0 / 32768
	if channels == 2 {
		out := d.out[:2*n]
		for i := 0; i < n; i++ {
			out[2*i], out[2*i+1] = float32(d.l[i])*scale, float32(d.r[i])*scale
		}
		return d.emit(out, 2)
	}
	out := d.out[:n]
	for i := 0; i < n; i++ {
		out[i] = float32(d.l[i]) * scale
	}
	return d.emit(out, 1)
}

// Close frees the decoder. It is safe to call more than once.
func (d *MP3StreamDecoder) Close() error {
	if d.h != nil {
		C.hip_decode_exit(d.h)
		d.h = nil
	}
	return nil
}
