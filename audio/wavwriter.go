package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// Byte layout of the header NewWriter writes (all little endian; see docs/wav.md):
//
//	0   "RIFF" | "RF64"      4
//	4   RIFF size            4   (0xFFFFFFFF once RF64)
//	8   "WAVE"               4
//	12  "JUNK" | "ds64"      4
//	16  28                   4
//	20  ds64 payload         28  riffSize u64, dataSize u64, sampleCount u64, table length u32 (0)
//	48  "bext" 602 + payload     (only when WriterOptions.BEXT is set)
//	..  "fmt " 16|18|40 + payload
//	..  "fact" 4 + sample frames (float formats only; 0xFFFFFFFF once RF64)
//	..  "data" size + samples
const (
	offRIFFSize = 4
	offDS64ID   = 12
	offDS64     = 20
	ds64Size    = 28
	bextSize    = 602

	waveFormatPCM        = 0x0001
	waveFormatIEEEFloat  = 0x0003
	waveFormatExtensible = 0xFFFE

	maxU32 = 0xFFFFFFFF
)

// DefaultRF64Threshold is the RIFF size past which a file becomes RF64: the
// largest size a 32-bit RIFF header can state.
const DefaultRF64Threshold = 0xFFFFFFFF

// BEXT is the Broadcast Wave (EBU Tech 3285) description of a recording.
// Origination is stored as local date and time; TimeReference is the first
// sample's position in samples since local midnight (see TimeReference).
type BEXT struct {
	Description, Originator, OriginatorReference string
	Origination                                  time.Time
	TimeReference                                uint64
}

// TimeReference returns the number of samples between local midnight of t's
// day and t, at rate: the BWF TimeReference of a recording whose first sample
// was taken at t.
func TimeReference(t time.Time, rate SampleRate) uint64 {
	lt := t.Local()
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.Local)
	d := lt.Sub(midnight)
	if d < 0 {
		return 0
	}
	return uint64(rate.N(d))
}

// WriterOptions configures NewWriter.
type WriterOptions struct {
	Rate     SampleRate
	Channels int
	Format   SampleFormat
	BEXT     *BEXT
	// RF64Threshold is the RIFF size (file length − 8) past which the file is
	// switched to RF64 at the next Flush. 0 means DefaultRF64Threshold; values
	// above it are clamped to it.
	RF64Threshold int64
}

// ErrBadRate reports a sample rate that cannot be used.
var ErrBadRate = errors.New("audio: unsupported sample rate")

// ErrClosed reports use of a closed Writer or Reader.
var ErrClosed = errors.New("audio: use of closed file")

func (o WriterOptions) validate() error {
	switch o.Format {
	case Int16, Int24, Float32:
	default:
		return fmt.Errorf("%w: %v (writer supports 16, 24 and 32f)", ErrBadFormat, o.Format)
	}
	if o.Rate <= 0 || o.Rate > 1<<22 {
		return fmt.Errorf("%w: %d Hz", ErrBadRate, int(o.Rate))
	}
	if o.Channels < 1 || o.Channels > 1024 {
		return fmt.Errorf("audio: unsupported channel count %d (want 1..1024)", o.Channels)
	}
	return nil
}

// Writer writes a crash-safe WAV/RF64/BWF file. The header is written first
// with a data size of 0; Flush patches the sizes, so a copy of the file taken
// at any moment parses (see NewReader, which also tolerates stale sizes).
// A Writer is not safe for concurrent use.
type Writer struct {
	ws        io.WriteSeeker
	closer    io.Closer // set by CreateWAV
	name      string
	opt       WriterOptions
	threshold int64

	blockAlign  int
	dataSizeOff int64 // offset of the data chunk's size field
	factOff     int64 // offset of the fact chunk's value, 0 if none
	dataOff     int64 // first sample byte

	written int64 // data bytes accepted by ws
	buf     []byte
	rf64    bool
	err     error // sticky write error
	closed  bool
}

const writerBufSize = 64 << 10

// NewWriter writes a WAV header to ws (at its current start, offset 0) and
// returns a Writer for the samples. ws should be empty.
func NewWriter(ws io.WriteSeeker, opt WriterOptions) (*Writer, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	w, hdr := newWriter(ws, opt)
	if _, err := ws.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("audio: seek %s: %w", w.name, err)
	}
	if _, err := ws.Write(hdr); err != nil {
		return nil, fmt.Errorf("audio: write header %s: %w", w.name, err)
	}
	return w, nil
}

// newWriter returns a Writer for opt (already valid) on ws with no samples
// written, and the header it would write; it writes nothing.
func newWriter(ws io.WriteSeeker, opt WriterOptions) (*Writer, []byte) {
	w := &Writer{ws: ws, opt: opt, name: nameOf(ws), buf: make([]byte, 0, writerBufSize)}
	w.threshold = opt.RF64Threshold
	if w.threshold <= 0 || w.threshold > DefaultRF64Threshold {
		w.threshold = DefaultRF64Threshold
	}
	w.blockAlign = opt.Channels * opt.Format.BytesPerSample()
	return w, w.header()
}

func nameOf(v any) string {
	if f, ok := v.(interface{ Name() string }); ok {
		return fmt.Sprintf("%q", f.Name())
	}
	return "wav"
}

func putStr(b []byte, s string) {
	copy(b, s) // truncates; the rest stays NUL
}

func (w *Writer) header() []byte {
	o := w.opt
	le := binary.LittleEndian
	h := make([]byte, 0, 1024)
	h = append(h, "RIFF\x00\x00\x00\x00WAVE"...)
	h = append(h, "JUNK"...)
	h = le.AppendUint32(h, ds64Size)
	h = append(h, make([]byte, ds64Size)...)
	if o.BEXT != nil {
		h = append(h, "bext"...)
		h = le.AppendUint32(h, bextSize)
		h = append(h, encodeBEXT(o.BEXT)...)
	}
	bits := o.Format.BytesPerSample() * 8
	float := o.Format == Float32
	ext := o.Channels > 2 || (!float && bits > 16) // as Microsoft's WAVEFORMATEXTENSIBLE rules ask
	tag := uint16(waveFormatPCM)
	if float {
		tag = waveFormatIEEEFloat
	}
	fmtSize := 16
	switch {
	case ext:
		fmtSize = 40
	case float:
		fmtSize = 18
	}
	h = append(h, "fmt "...)
	h = le.AppendUint32(h, uint32(fmtSize))
	if ext {
		h = le.AppendUint16(h, waveFormatExtensible)
	} else {
		h = le.AppendUint16(h, tag)
	}
	h = le.AppendUint16(h, uint16(o.Channels))
	h = le.AppendUint32(h, uint32(o.Rate))
	h = le.AppendUint32(h, uint32(int(o.Rate)*w.blockAlign))
	h = le.AppendUint16(h, uint16(w.blockAlign))
	h = le.AppendUint16(h, uint16(bits))
	if fmtSize >= 18 {
		h = le.AppendUint16(h, uint16(fmtSize-18)) // cbSize
	}
	if ext {
		h = le.AppendUint16(h, uint16(bits)) // valid bits per sample
		h = le.AppendUint32(h, channelMask(o.Channels))
		h = le.AppendUint16(h, tag) // GUID xxxxxxxx-0000-0010-8000-00aa00389b71
		h = append(h, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
	}
	if float {
		h = append(h, "fact"...)
		h = le.AppendUint32(h, 4)
		w.factOff = int64(len(h))
		h = le.AppendUint32(h, 0)
	}
	h = append(h, "data"...)
	w.dataSizeOff = int64(len(h))
	h = le.AppendUint32(h, 0)
	w.dataOff = int64(len(h))
	le.PutUint32(h[offRIFFSize:], uint32(len(h)-8))
	return h
}

// channelMask returns the WAVE_FORMAT_EXTENSIBLE speaker mask: front center
// for mono, front left/right for stereo, unassigned (0) otherwise.
func channelMask(ch int) uint32 {
	switch ch {
	case 1:
		return 0x4
	case 2:
		return 0x3
	}
	return 0
}

func encodeBEXT(b *BEXT) []byte {
	p := make([]byte, bextSize)
	putStr(p[0:256], b.Description)
	putStr(p[256:288], b.Originator)
	putStr(p[288:320], b.OriginatorReference)
	if !b.Origination.IsZero() {
		lt := b.Origination.Local()
		putStr(p[320:330], lt.Format("2006-01-02"))
		putStr(p[330:338], lt.Format("15:04:05"))
	}
	binary.LittleEndian.PutUint64(p[338:346], b.TimeReference)
	binary.LittleEndian.PutUint16(p[346:348], 1) // version 1: UMID present (zero), no loudness fields
	return p
}

// Frames returns the number of whole frames written so far (buffered or not).
func (w *Writer) Frames() int64 {
	return (w.written + int64(len(w.buf))) / int64(w.blockAlign)
}

// WriteFloat32 appends interleaved samples (len must be a multiple of the
// channel count). Values outside [-1, 1) are clipped for integer formats.
func (w *Writer) WriteFloat32(interleaved []float32) error {
	return writeSamples(w, interleaved, appendFloat)
}

// WriteInt32 appends interleaved integer samples at the file's bit depth
// (−32768..32767 for 16-bit, −8388608..8388607 for 24-bit): the lossless path.
// Out-of-range values are clipped. Float files reject it with ErrBadFormat.
func (w *Writer) WriteInt32(interleaved []int32) error {
	if w.opt.Format == Float32 {
		return fmt.Errorf("%w: WriteInt32 on a 32-bit float file %s", ErrBadFormat, w.name)
	}
	return writeSamples(w, interleaved, appendInt)
}

// writeSamples packs interleaved samples into the writer's buffer with pack,
// draining it to the file whenever it fills.
func writeSamples[T int32 | float32](w *Writer, interleaved []T, pack func([]byte, SampleFormat, []T) []byte) error {
	if err := w.check(len(interleaved)); err != nil {
		return err
	}
	for len(interleaved) > 0 {
		n := min(w.room(), len(interleaved))
		w.buf = pack(w.buf, w.opt.Format, interleaved[:n])
		interleaved = interleaved[n:]
		if w.room() == 0 {
			if err := w.drain(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer) check(n int) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if n%w.opt.Channels != 0 {
		return fmt.Errorf("audio: write %s: %d samples is not a whole number of %d-channel frames", w.name, n, w.opt.Channels)
	}
	return nil
}

// room returns how many samples fit in the buffer.
func (w *Writer) room() int {
	return (cap(w.buf) - len(w.buf)) / w.opt.Format.BytesPerSample()
}

func appendFloat(b []byte, f SampleFormat, s []float32) []byte {
	o := len(b)
	b = b[:o+len(s)*f.BytesPerSample()] // the caller guarantees the capacity
	d := b[o:]
	switch f {
	case Int16:
		for i, v := range s {
			binary.LittleEndian.PutUint16(d[2*i:], uint16(toInt(v, 32768)))
		}
	case Int24:
		// Each sample but the last is stored as 4 bytes whose top byte the
		// next sample overwrites: one store instead of two.
		n := len(s) - 1
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(d[3*i:], uint32(toInt(s[i], 8388608)))
		}
		if n >= 0 {
			x := toInt(s[n], 8388608)
			d[3*n], d[3*n+1], d[3*n+2] = byte(x), byte(x>>8), byte(x>>16)
		}
	case Float32:
		for _, v := range s {
			binary.LittleEndian.PutUint32(d, math.Float32bits(v))
			d = d[4:]
		}
	}
	return b
}

// roundMagic is 1.5 × 2^52: adding and subtracting it rounds a float64 of
// magnitude below 2^51 to an integer, half to even (the FPU's default mode).
const roundMagic = 1.5 * (1 << 52)

// toInt scales v by full (2^(bits-1)), rounds to nearest even and clips to
// the integer range; NaN becomes 0.
func toInt(v float32, full float64) int32 {
	x := float64(v) * full
	if x != x {
		return 0
	}
	if x > full-1 {
		x = full - 1
	}
	if x < -full {
		x = -full
	}
	return int32((x + roundMagic) - roundMagic)
}

func appendInt(b []byte, f SampleFormat, s []int32) []byte {
	switch f {
	case Int16:
		for _, x := range s {
			x = min(max(x, -32768), 32767)
			b = append(b, byte(x), byte(x>>8))
		}
	case Int24:
		for _, x := range s {
			x = min(max(x, -8388608), 8388607)
			b = append(b, byte(x), byte(x>>8), byte(x>>16))
		}
	}
	return b
}

// drain writes the buffer to ws. On a short write the bytes that made it are
// counted, so the header can later be finalized up to the last whole frame.
func (w *Writer) drain() error {
	if len(w.buf) == 0 || w.err != nil {
		return w.err
	}
	n, err := w.ws.Write(w.buf)
	w.written += int64(n)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("audio: write %s: %w", w.name, err)
		return w.err
	}
	return nil
}

// Flush writes buffered samples, patches the RIFF and data sizes (or the ds64
// chunk once the file is RF64) and fsyncs when ws has a Sync() error method.
// After a write error it still patches the header to cover the whole frames
// that reached ws and returns the write error.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	return w.flush(false)
}

func (w *Writer) flush(final bool) error {
	werr := w.drain()
	dataBytes := w.written - w.written%int64(w.blockAlign)
	pad := int64(0)
	if final && werr == nil && dataBytes%2 == 1 && dataBytes == w.written {
		// RIFF chunks are word aligned: a closed file gets its pad byte.
		if _, err := w.ws.Write([]byte{0}); err != nil {
			werr = fmt.Errorf("audio: write %s: %w", w.name, err)
		} else {
			pad = 1
		}
	}
	herr := w.patch(dataBytes, pad)
	if herr == nil {
		if _, err := w.ws.Seek(w.dataOff+w.written+pad, io.SeekStart); err != nil {
			herr = fmt.Errorf("audio: seek %s: %w", w.name, err)
		}
	}
	if t, ok := w.ws.(interface{ Truncate(int64) error }); ok && final && dataBytes != w.written {
		if err := t.Truncate(w.dataOff + dataBytes); err != nil && herr == nil {
			herr = fmt.Errorf("audio: truncate %s: %w", w.name, err)
		}
	}
	var serr error
	if s, ok := w.ws.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			serr = fmt.Errorf("audio: sync %s: %w", w.name, err)
		}
	}
	return errors.Join(werr, herr, serr)
}

// patch writes the sizes for dataBytes of samples. The order of the small
// writes keeps every intermediate state parseable: the ds64 payload is filled
// while its id is still JUNK, then the id becomes ds64, then the 32-bit sizes
// become 0xFFFFFFFF and finally the file id becomes RF64.
func (w *Writer) patch(dataBytes, pad int64) error {
	riffSize := w.dataOff + dataBytes + pad - 8
	frames := dataBytes / int64(w.blockAlign)
	le := binary.LittleEndian
	at := func(off int64, b []byte) error {
		if _, err := w.ws.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("audio: seek %s: %w", w.name, err)
		}
		if _, err := w.ws.Write(b); err != nil {
			return fmt.Errorf("audio: patch header %s: %w", w.name, err)
		}
		return nil
	}
	u32 := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	if !w.rf64 && riffSize > w.threshold {
		w.rf64 = true
		ds := make([]byte, 0, ds64Size)
		ds = le.AppendUint64(ds, uint64(riffSize))
		ds = le.AppendUint64(ds, uint64(dataBytes))
		ds = le.AppendUint64(ds, uint64(frames))
		ds = le.AppendUint32(ds, 0)
		if err := at(offDS64, ds); err != nil {
			return err
		}
		if err := at(offDS64ID, []byte("ds64")); err != nil {
			return err
		}
		if err := at(w.dataSizeOff, u32(maxU32)); err != nil {
			return err
		}
		if w.factOff != 0 {
			if err := at(w.factOff, u32(maxU32)); err != nil {
				return err
			}
		}
		if err := at(0, []byte("RF64\xFF\xFF\xFF\xFF")); err != nil {
			return err
		}
		return nil
	}
	if w.rf64 {
		ds := make([]byte, 0, 24)
		ds = le.AppendUint64(ds, uint64(riffSize))
		ds = le.AppendUint64(ds, uint64(dataBytes))
		ds = le.AppendUint64(ds, uint64(frames))
		return at(offDS64, ds)
	}
	if err := at(w.dataSizeOff, u32(uint32(dataBytes))); err != nil {
		return err
	}
	if w.factOff != 0 {
		if err := at(w.factOff, u32(uint32(frames))); err != nil {
			return err
		}
	}
	return at(offRIFFSize, u32(uint32(riffSize)))
}

// RF64 reports whether the file has been switched to RF64.
func (w *Writer) RF64() bool { return w.rf64 }

// Close finalizes the header (adding the RIFF pad byte after an odd-sized data
// chunk), fsyncs, closes the file when the Writer owns it (CreateWAV) and
// returns the first error met, including an earlier write error.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	err := w.flush(true)
	w.closed = true
	if w.closer != nil {
		if cerr := w.closer.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("audio: close %s: %w", w.name, cerr))
		}
	}
	return err
}

// CreateWAV creates (or truncates) path and returns a Writer that owns the
// file: Close closes it.
func CreateWAV(path string, opt WriterOptions) (*Writer, error) {
	return createWAV(path, opt, os.O_TRUNC)
}

// createNewWAV is CreateWAV for a file that must not exist yet (the
// Recorder's tracks: never overwrite a recording).
func createNewWAV(path string, opt WriterOptions) (*Writer, error) {
	return createWAV(path, opt, os.O_EXCL)
}

func createWAV(path string, opt WriterOptions, flag int) (*Writer, error) {
	if err := opt.validate(); err != nil {
		return nil, fmt.Errorf("audio: create %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("audio: create %q: %w", path, err)
	}
	w, err := NewWriter(f, opt)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	w.closer = f
	return w, nil
}

// WriteWAVFile writes interleaved samples to a new WAV file at path.
func WriteWAVFile(path string, opt WriterOptions, interleaved []float32) error {
	w, err := CreateWAV(path, opt)
	if err != nil {
		return err
	}
	if err := w.WriteFloat32(interleaved); err != nil {
		return errors.Join(err, w.Close())
	}
	return w.Close()
}
