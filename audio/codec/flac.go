package codec

/*
#cgo pkg-config: flac
#include <stdlib.h>
#include <string.h>
#include <FLAC/stream_encoder.h>
#include <FLAC/stream_decoder.h>

// pm_dec collects what the decoder's callbacks report, so that Go pulls
// decoded frames without any C-to-Go callback.
typedef struct {
	FLAC__int32 *buf;     // interleaved samples of the last decoded frame
	size_t cap;           // capacity of buf in samples
	size_t n;             // valid samples in buf
	unsigned channels, bits, rate;
	FLAC__uint64 total;   // total frames from STREAMINFO (0 = unknown)
	int errors;           // decode errors (lost sync, bad header, CRC mismatch)
	int last_error;
	int oom;
} pm_dec;

static FLAC__StreamDecoderWriteStatus pm_write(const FLAC__StreamDecoder *d, const FLAC__Frame *frame, const FLAC__int32 *const buffer[], void *cd) {
	pm_dec *s = (pm_dec *)cd;
	unsigned ch = frame->header.channels, bs = frame->header.blocksize;
	size_t need = (size_t)ch * bs;
	if (need > s->cap) {
		FLAC__int32 *nb = realloc(s->buf, need * sizeof(FLAC__int32));
		if (nb == NULL) {
			s->oom = 1;
			return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
		}
		s->buf = nb;
		s->cap = need;
	}
	for (unsigned i = 0; i < bs; i++)
		for (unsigned c = 0; c < ch; c++)
			s->buf[(size_t)i * ch + c] = buffer[c][i];
	s->n = need;
	s->channels = ch;
	return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void pm_meta(const FLAC__StreamDecoder *d, const FLAC__StreamMetadata *m, void *cd) {
	pm_dec *s = (pm_dec *)cd;
	if (m->type == FLAC__METADATA_TYPE_STREAMINFO) {
		s->channels = m->data.stream_info.channels;
		s->bits = m->data.stream_info.bits_per_sample;
		s->rate = m->data.stream_info.sample_rate;
		s->total = m->data.stream_info.total_samples;
	}
}

static void pm_error(const FLAC__StreamDecoder *d, FLAC__StreamDecoderErrorStatus st, void *cd) {
	pm_dec *s = (pm_dec *)cd;
	s->errors++;
	s->last_error = (int)st;
}

static FLAC__StreamDecoderInitStatus pm_dec_init(FLAC__StreamDecoder *d, const char *path, pm_dec *s) {
	return FLAC__stream_decoder_init_file(d, path, pm_write, pm_meta, pm_error, s);
}

static const char *pm_dec_state(FLAC__StreamDecoder *d) {
	return FLAC__StreamDecoderStateString[FLAC__stream_decoder_get_state(d)];
}
static const char *pm_dec_init_status(FLAC__StreamDecoderInitStatus st) {
	return FLAC__StreamDecoderInitStatusString[st];
}
static const char *pm_dec_error_status(int st) {
	return FLAC__StreamDecoderErrorStatusString[st];
}
static const char *pm_enc_init_status(FLAC__StreamEncoderInitStatus st) {
	return FLAC__StreamEncoderInitStatusString[st];
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

// ErrFLAC reports a FLAC stream libFLAC could not encode or decode.
var ErrFLAC = errors.New("codec: flac")

// ErrMismatch reports decoded audio that differs from what was encoded.
var ErrMismatch = errors.New("codec: decoded audio differs")

// FLACOptions configures a FLAC encoder.
type FLACOptions struct {
	Rate     audio.SampleRate
	Channels int // 1..8
	Bits     int // 16 or 24 (4..32 accepted by libFLAC)
	// Level is the libFLAC compression level 1..8, or FLACLevel0 for
	// libFLAC's level 0; 0 means 5, the level of `flac -5`, which this
	// encoder matches without the CLI's 8 KiB padding.
	Level int
	// Verify makes libFLAC decode every frame as it is encoded and compare it
	// sample for sample with the input (the CLI's -V).
	Verify bool
	// TotalFrames, when known, is written into STREAMINFO up front.
	TotalFrames int64
	// BlockSize is the frames per FLAC block; 0 means the level's (4096 at
	// levels 3..8). The room's hand-off sets 4096 so that its segments join
	// into one stream block for block.
	BlockSize int
}

// FLACLevel0 asks FLACOptions for libFLAC's compression level 0 (fixed
// predictors only, no stereo decorrelation), since a Level of 0 means the
// default, 5.
const FLACLevel0 = -1

// FLACWriter encodes integer PCM into a FLAC file through libFLAC.
// A FLACWriter is not safe for concurrent use; separate writers run in
// parallel on separate goroutines.
type FLACWriter struct {
	enc    *C.FLAC__StreamEncoder
	path   string
	ch     int
	bits   int
	frames int64
	err    error
}

// CreateFLAC creates (or truncates) the FLAC file at path.
func CreateFLAC(path string, opt FLACOptions) (*FLACWriter, error) {
	if opt.Channels < 1 || opt.Channels > 8 {
		return nil, fmt.Errorf("codec: flac %q: %d channels (want 1..8)", path, opt.Channels)
	}
	if opt.Bits < 4 || opt.Bits > 32 {
		return nil, fmt.Errorf("codec: flac %q: %d bits per sample (want 4..32)", path, opt.Bits)
	}
	if opt.Rate <= 0 || opt.Rate > 1048575 {
		return nil, fmt.Errorf("codec: flac %q: sample rate %d", path, opt.Rate)
	}
	level := opt.Level
	switch level {
	case 0:
		level = 5
	case FLACLevel0:
		level = 0
	}
	if level < 0 || level > 8 {
		return nil, fmt.Errorf("codec: flac %q: compression level %d (want 1..8, or FLACLevel0)", path, opt.Level)
	}
	enc := C.FLAC__stream_encoder_new()
	if enc == nil {
		return nil, fmt.Errorf("%w: %q: cannot allocate encoder", ErrFLAC, path)
	}
	ok := C.FLAC__stream_encoder_set_channels(enc, C.uint32_t(opt.Channels)) != 0 &&
		C.FLAC__stream_encoder_set_bits_per_sample(enc, C.uint32_t(opt.Bits)) != 0 &&
		C.FLAC__stream_encoder_set_sample_rate(enc, C.uint32_t(opt.Rate)) != 0 &&
		C.FLAC__stream_encoder_set_compression_level(enc, C.uint32_t(level)) != 0 &&
		C.FLAC__stream_encoder_set_verify(enc, cbool(opt.Verify)) != 0
	if ok && opt.BlockSize > 0 { // after the level, which sets a block size
		ok = C.FLAC__stream_encoder_set_blocksize(enc, C.uint32_t(opt.BlockSize)) != 0
	}
	if ok && opt.TotalFrames > 0 {
		ok = C.FLAC__stream_encoder_set_total_samples_estimate(enc, C.FLAC__uint64(opt.TotalFrames)) != 0
	}
	if !ok {
		C.FLAC__stream_encoder_delete(enc)
		return nil, fmt.Errorf("%w: %q: encoder rejected its settings", ErrFLAC, path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if st := C.FLAC__stream_encoder_init_file(enc, cpath, nil, nil); st != C.FLAC__STREAM_ENCODER_INIT_STATUS_OK {
		msg := C.GoString(C.FLAC__stream_encoder_get_resolved_state_string(enc))
		if st != C.FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR {
			msg = C.GoString(C.pm_enc_init_status(st))
		}
		C.FLAC__stream_encoder_delete(enc)
		return nil, fmt.Errorf("%w: create %q: %s", ErrFLAC, path, msg)
	}
	return &FLACWriter{enc: enc, path: path, ch: opt.Channels, bits: opt.Bits}, nil
}

func cbool(b bool) C.FLAC__bool {
	if b {
		return 1
	}
	return 0
}

// WriteInt32 encodes interleaved integer samples at the stream's bit depth.
func (w *FLACWriter) WriteInt32(interleaved []int32) error {
	if w.err != nil {
		return w.err
	}
	if w.enc == nil {
		return fmt.Errorf("%w: %q: write after close", ErrFLAC, w.path)
	}
	if len(interleaved)%w.ch != 0 {
		return fmt.Errorf("codec: flac %q: %d samples is not a whole number of %d-channel frames", w.path, len(interleaved), w.ch)
	}
	n := len(interleaved) / w.ch
	if n == 0 {
		return nil
	}
	if C.FLAC__stream_encoder_process_interleaved(w.enc, (*C.FLAC__int32)(unsafe.Pointer(&interleaved[0])), C.uint32_t(n)) == 0 {
		w.err = w.stateErr("encode")
		return w.err
	}
	w.frames += int64(n)
	return nil
}

// Frames returns the number of frames written so far.
func (w *FLACWriter) Frames() int64 { return w.frames }

func (w *FLACWriter) stateErr(op string) error {
	st := C.FLAC__stream_encoder_get_state(w.enc)
	msg := C.GoString(C.FLAC__stream_encoder_get_resolved_state_string(w.enc))
	if st == C.FLAC__STREAM_ENCODER_VERIFY_MISMATCH_IN_AUDIO_DATA {
		var abs C.FLAC__uint64
		var frame, ch, sample C.uint32_t
		var exp, got C.FLAC__int32
		C.FLAC__stream_encoder_get_verify_decoder_error_stats(w.enc, &abs, &frame, &ch, &sample, &exp, &got)
		return fmt.Errorf("%w: %q: verify failed at frame %d channel %d: expected %d, got %d", ErrMismatch, w.path, uint64(abs), uint32(ch), int32(exp), int32(got))
	}
	return fmt.Errorf("%w: %s %q: %s", ErrFLAC, op, w.path, msg)
}

// Close finishes the stream (rewriting STREAMINFO with the MD5 and length)
// and closes the file. It returns every error, including a verify mismatch.
func (w *FLACWriter) Close() error {
	if w.enc == nil {
		return w.err
	}
	var err error
	if C.FLAC__stream_encoder_finish(w.enc) == 0 {
		err = w.stateErr("finish")
	}
	C.FLAC__stream_encoder_delete(w.enc)
	w.enc = nil
	if w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return w.err
	}
	w.err = fmt.Errorf("%w: %q: write after close", ErrFLAC, w.path)
	return nil
}

// FLACInfo describes a FLAC stream from its STREAMINFO block.
type FLACInfo struct {
	Rate     audio.SampleRate
	Channels int
	Bits     int
	Frames   int64 // 0 when the encoder did not know the length
}

// FLACReader decodes a FLAC file through libFLAC, checking frame CRCs and the
// stream's MD5 signature. A FLACReader is not safe for concurrent use.
type FLACReader struct {
	dec    *C.FLAC__StreamDecoder
	st     *C.pm_dec
	path   string
	info   FLACInfo
	pos    int // samples of st.buf already handed out
	frames int64
	err    error
	eof    bool
}

// OpenFLAC opens the FLAC file at path and reads its metadata. The decoder
// checks every frame's CRC and, at the end, the stream's MD5 signature.
func OpenFLAC(path string) (*FLACReader, error) {
	return OpenFLACWith(path, FLACReadOptions{})
}

// FLACReadOptions tunes a FLAC decoder.
type FLACReadOptions struct {
	// NoMD5 skips the MD5 signature check (frame CRCs are still checked):
	// for callers that compare every decoded sample with the original anyway.
	NoMD5 bool
}

// OpenFLACWith is OpenFLAC with options.
func OpenFLACWith(path string, opt FLACReadOptions) (*FLACReader, error) {
	dec := C.FLAC__stream_decoder_new()
	if dec == nil {
		return nil, fmt.Errorf("%w: %q: cannot allocate decoder", ErrFLAC, path)
	}
	C.FLAC__stream_decoder_set_md5_checking(dec, cbool(!opt.NoMD5))
	st := (*C.pm_dec)(C.calloc(1, C.size_t(unsafe.Sizeof(C.pm_dec{}))))
	if st == nil {
		C.FLAC__stream_decoder_delete(dec)
		return nil, fmt.Errorf("%w: %q: out of memory", ErrFLAC, path)
	}
	r := &FLACReader{dec: dec, st: st, path: path}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if s := C.pm_dec_init(dec, cpath, st); s != C.FLAC__STREAM_DECODER_INIT_STATUS_OK {
		r.free()
		return nil, fmt.Errorf("%w: open %q: %s", ErrFLAC, path, C.GoString(C.pm_dec_init_status(s)))
	}
	if C.FLAC__stream_decoder_process_until_end_of_metadata(dec) == 0 || st.rate == 0 {
		err := r.decodeErr("read metadata")
		C.FLAC__stream_decoder_finish(dec)
		r.free()
		return nil, err
	}
	r.info = FLACInfo{Rate: audio.SampleRate(st.rate), Channels: int(st.channels), Bits: int(st.bits), Frames: int64(st.total)}
	return r, nil
}

func (r *FLACReader) decodeErr(op string) error {
	if r.st.errors > 0 {
		return fmt.Errorf("%w: %s %q: %s (%d decode errors)", ErrFLAC, op, r.path, C.GoString(C.pm_dec_error_status(r.st.last_error)), int(r.st.errors))
	}
	return fmt.Errorf("%w: %s %q: %s", ErrFLAC, op, r.path, C.GoString(C.pm_dec_state(r.dec)))
}

func (r *FLACReader) free() {
	if r.dec != nil {
		C.FLAC__stream_decoder_delete(r.dec)
		r.dec = nil
	}
	if r.st != nil {
		C.free(unsafe.Pointer(r.st.buf))
		C.free(unsafe.Pointer(r.st))
		r.st = nil
	}
}

// Info returns the stream's STREAMINFO.
func (r *FLACReader) Info() FLACInfo { return r.info }

// ReadInt32 fills buf with interleaved samples at the stream's bit depth and
// returns how many it stored; io.EOF at the end. A corrupt frame, a length
// that disagrees with STREAMINFO or a wrong MD5 signature is an error.
func (r *FLACReader) ReadInt32(buf []int32) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.dec == nil {
		return 0, fmt.Errorf("%w: %q: read after close", ErrFLAC, r.path)
	}
	buf = buf[:len(buf)-len(buf)%r.info.Channels]
	n := 0
	for n < len(buf) {
		if r.pos < int(r.st.n) {
			src := unsafe.Slice((*int32)(unsafe.Pointer(r.st.buf)), int(r.st.n))
			c := copy(buf[n:], src[r.pos:])
			r.pos += c
			n += c
			continue
		}
		if r.eof {
			break
		}
		r.st.n, r.pos = 0, 0
		if C.FLAC__stream_decoder_process_single(r.dec) == 0 || r.st.errors > 0 || r.st.oom != 0 {
			r.err = r.decodeErr("decode")
			return n, r.err
		}
		if r.st.n > 0 && int(r.st.channels) != r.info.Channels {
			r.err = fmt.Errorf("%w: decode %q: frame with %d channels in a %d-channel stream", ErrFLAC, r.path, int(r.st.channels), r.info.Channels)
			return n, r.err
		}
		r.frames += int64(r.st.n) / int64(r.info.Channels)
		if C.FLAC__stream_decoder_get_state(r.dec) == C.FLAC__STREAM_DECODER_END_OF_STREAM {
			r.eof = true
			if err := r.finish(); err != nil {
				r.err = err
				return n, err
			}
		}
	}
	if n == 0 && r.eof {
		return 0, io.EOF
	}
	return n, nil
}

func (r *FLACReader) finish() error {
	if r.info.Frames > 0 && r.frames != r.info.Frames {
		return fmt.Errorf("%w: decode %q: %d frames, STREAMINFO says %d", ErrFLAC, r.path, r.frames, r.info.Frames)
	}
	if C.FLAC__stream_decoder_finish(r.dec) == 0 {
		return fmt.Errorf("%w: decode %q: MD5 signature does not match the decoded audio", ErrMismatch, r.path)
	}
	return nil
}

// Close releases the decoder and closes the file.
func (r *FLACReader) Close() error {
	if r.dec == nil {
		return nil
	}
	if !r.eof {
		C.FLAC__stream_decoder_finish(r.dec)
	}
	r.free()
	return nil
}
