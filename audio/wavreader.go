package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// ErrNotWAV reports input that is not a RIFF/RF64 WAVE file or lacks the
// chunks needed to read it.
var ErrNotWAV = errors.New("audio: not a WAV file")

// Info describes a WAV file.
type Info struct {
	Rate       SampleRate
	Channels   int
	Format     SampleFormat
	Frames     int64 // whole frames available
	RF64       bool
	BEXT       *BEXT
	DataOffset int64 // file offset of the first sample byte
}

// layout is what parseWAV learns about a file's chunks.
type layout struct {
	rf64       bool  // "RF64" id or a ds64 chunk
	ds64Off    int64 // ds64 payload offset, 0 if none
	junkOff    int64 // payload offset of a JUNK chunk right after the RIFF header with ≥28 bytes, 0 if none
	factOff    int64 // fact value offset, 0 if none
	dataHdr    int64 // offset of the "data" id
	dataOff    int64
	dataBytes  int64 // effective data length (may end in a torn frame)
	dataIsLast bool  // no chunk follows the samples
	fileSize   int64

	channels   int
	rate       SampleRate
	format     SampleFormat
	blockAlign int
	bext       *BEXT
}

func isChunkID(b []byte) bool {
	for _, c := range b[:4] {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

// parseWAV walks the chunks of a RIFF/RF64 WAVE file of size bytes. It
// tolerates what a crash or a streaming writer leaves: a data size of 0,
// 0xFFFFFFFF, larger than the file, or smaller than the samples that follow
// it when no valid chunk follows (a header not yet patched).
func parseWAV(r io.ReaderAt, size int64, name string) (*layout, error) {
	le := binary.LittleEndian
	var hdr [12]byte
	if size < 12 {
		return nil, fmt.Errorf("%w: %s: %d bytes is too short for a RIFF header", ErrNotWAV, name, size)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("audio: read %s: %w", name, err)
	}
	id := string(hdr[0:4])
	if (id != "RIFF" && id != "RF64") || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: %s: no RIFF/RF64 WAVE header", ErrNotWAV, name)
	}
	l := &layout{fileSize: size, rf64: id == "RF64"}
	var ds64Data int64 = -1
	haveFmt := false
	off := int64(12)
	var ch [8]byte
	for {
		if off+8 > size {
			if !haveFmt {
				return nil, fmt.Errorf("%w: %s: no fmt chunk", ErrNotWAV, name)
			}
			return nil, fmt.Errorf("%w: %s: no data chunk", ErrNotWAV, name)
		}
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return nil, fmt.Errorf("audio: read %s: %w", name, err)
		}
		cid := string(ch[0:4])
		csize := int64(le.Uint32(ch[4:8]))
		body := off + 8
		if cid == "data" {
			if !haveFmt {
				return nil, fmt.Errorf("%w: %s: data chunk before fmt chunk", ErrNotWAV, name)
			}
			l.dataHdr = off
			l.dataOff = body
			declared := csize
			if csize == maxU32 && ds64Data >= 0 {
				declared = ds64Data
			}
			l.dataBytes, l.dataIsLast = dataExtent(r, body, declared, size, csize == 0 || (csize == maxU32 && ds64Data < 0))
			break
		}
		if body+csize > size {
			return nil, fmt.Errorf("%w: %s: %q chunk at offset %d runs past the end of the file", ErrNotWAV, name, cid, off)
		}
		switch cid {
		case "ds64":
			if csize < 24 {
				return nil, fmt.Errorf("%w: %s: ds64 chunk of %d bytes", ErrNotWAV, name, csize)
			}
			var b [24]byte
			if _, err := r.ReadAt(b[:], body); err != nil {
				return nil, fmt.Errorf("audio: read %s: %w", name, err)
			}
			l.rf64 = true
			l.ds64Off = body
			ds64Data = int64(le.Uint64(b[8:16]) & (1<<63 - 1))
		case "JUNK":
			if off == 12 && csize >= ds64Size {
				l.junkOff = body
			}
		case "fmt ":
			if err := l.parseFmt(r, body, csize, name); err != nil {
				return nil, err
			}
			haveFmt = true
		case "fact":
			if csize >= 4 {
				l.factOff = body
			}
		case "bext":
			b, err := parseBEXT(r, body, csize, name)
			if err != nil {
				return nil, err
			}
			l.bext = b
		}
		next := body + csize
		if csize%2 == 1 {
			// Word aligned, but some writers omit the pad byte.
			var a, b [4]byte
			_, errA := r.ReadAt(a[:], next+1)
			_, errB := r.ReadAt(b[:], next)
			if !(errA == nil && isChunkID(a[:])) && errB == nil && isChunkID(b[:]) {
				next--
			}
			next++
		}
		off = next
	}
	return l, nil
}

// dataExtent decides how many sample bytes a data chunk at body holds.
func dataExtent(r io.ReaderAt, body, declared, size int64, unknown bool) (int64, bool) {
	avail := size - body
	if unknown || declared >= avail {
		return avail, true
	}
	if declared%2 == 1 && declared+1 == avail {
		return declared, true
	}
	// Samples followed by more bytes: either trailing chunks (LIST, id3…)
	// or samples written after the header was last patched. Trust the
	// declared size only when the rest parses as chunks ending at EOF.
	off := body + declared + declared%2
	var ch [8]byte
	for off < size {
		if off+8 > size {
			return avail, true
		}
		if _, err := r.ReadAt(ch[:], off); err != nil || !isChunkID(ch[:]) {
			return avail, true
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:8]))
		off += 8 + n + n%2
		if off == size+1 && n%2 == 1 { // final pad byte missing
			off = size
		}
	}
	if off != size {
		return avail, true
	}
	return declared, false
}

func (l *layout) parseFmt(r io.ReaderAt, body, csize int64, name string) error {
	if csize < 16 {
		return fmt.Errorf("%w: %s: fmt chunk of %d bytes", ErrNotWAV, name, csize)
	}
	b := make([]byte, min(csize, 40))
	if _, err := r.ReadAt(b, body); err != nil {
		return fmt.Errorf("audio: read %s: %w", name, err)
	}
	le := binary.LittleEndian
	tag := le.Uint16(b[0:2])
	channels := int(le.Uint16(b[2:4]))
	rate := le.Uint32(b[4:8])
	blockAlign := int(le.Uint16(b[12:14]))
	bits := int(le.Uint16(b[14:16]))
	if tag == waveFormatExtensible {
		if len(b) < 40 {
			return fmt.Errorf("%w: %s: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes", ErrNotWAV, name, csize)
		}
		tag = le.Uint16(b[24:26])
	}
	var f SampleFormat
	switch {
	case tag == waveFormatPCM && bits == 8:
		f = Uint8
	case tag == waveFormatPCM && bits == 16:
		f = Int16
	case tag == waveFormatPCM && bits == 24:
		f = Int24
	case tag == waveFormatPCM && bits == 32:
		f = Int32
	case tag == waveFormatIEEEFloat && bits == 32:
		f = Float32
	case tag == waveFormatIEEEFloat && bits == 64:
		f = Float64
	default:
		return fmt.Errorf("%w: %s: format tag 0x%04x with %d bits per sample", ErrBadFormat, name, tag, bits)
	}
	if channels < 1 {
		return fmt.Errorf("%w: %s: %d channels", ErrNotWAV, name, channels)
	}
	if rate == 0 || rate > 1<<22 {
		return fmt.Errorf("%w: %s: %d Hz", ErrBadRate, name, rate)
	}
	if blockAlign != channels*f.BytesPerSample() {
		return fmt.Errorf("%w: %s: block align %d for %d channels of %d bits", ErrNotWAV, name, blockAlign, channels, bits)
	}
	l.channels, l.rate, l.format, l.blockAlign = channels, SampleRate(rate), f, blockAlign
	return nil
}

func cstr(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), " ")
}

func parseBEXT(r io.ReaderAt, body, csize int64, name string) (*BEXT, error) {
	if csize < 348 {
		return nil, nil // too short to hold TimeReference: ignore it
	}
	b := make([]byte, 348)
	if _, err := r.ReadAt(b, body); err != nil {
		return nil, fmt.Errorf("audio: read %s: %w", name, err)
	}
	x := &BEXT{
		Description:         cstr(b[0:256]),
		Originator:          cstr(b[256:288]),
		OriginatorReference: cstr(b[288:320]),
		TimeReference:       binary.LittleEndian.Uint64(b[338:346]),
	}
	x.Origination = parseOrigination(b[320:330], b[330:338])
	return x, nil
}

// parseOrigination reads "yyyy?mm?dd" and "hh?mm?ss" (any separator, as
// EBU Tech 3285 allows) as local time; the zero time when they are unset.
func parseOrigination(d, t []byte) time.Time {
	num := func(b []byte) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(d[0:4])
	mo, ok2 := num(d[5:7])
	dd, ok3 := num(d[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || dd < 1 || dd > 31 {
		return time.Time{}
	}
	h, ok4 := num(t[0:2])
	mi, ok5 := num(t[3:5])
	s, ok6 := num(t[6:8])
	if !ok4 || !ok5 || !ok6 {
		h, mi, s = 0, 0, 0
	}
	return time.Date(y, time.Month(mo), dd, h, mi, s, 0, time.Local)
}

// Reader reads samples from a WAV, WAVE_FORMAT_EXTENSIBLE, RF64 or BWF file.
// It reads files another process is still writing, or one left by a crash:
// stale sizes are replaced by the real data length and a torn final frame is
// not returned. A Reader is not safe for concurrent use.
type Reader struct {
	rs     io.ReadSeeker
	closer io.Closer
	name   string
	l      *layout
	info   Info
	pos    int64 // next frame
	seeked bool
	buf    []byte
}

type readerAt struct{ rs io.ReadSeeker }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if ra, ok := r.rs.(io.ReaderAt); ok {
		return ra.ReadAt(p, off)
	}
	if _, err := r.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(r.rs, p)
}

// NewReader parses the header of the WAV file in rs.
func NewReader(rs io.ReadSeeker) (*Reader, error) {
	name := nameOf(rs)
	size, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("audio: seek %s: %w", name, err)
	}
	l, err := parseWAV(readerAt{rs}, size, name)
	if err != nil {
		return nil, err
	}
	r := &Reader{rs: rs, name: name, l: l}
	r.info = Info{
		Rate:       l.rate,
		Channels:   l.channels,
		Format:     l.format,
		Frames:     l.dataBytes / int64(l.blockAlign),
		RF64:       l.rf64,
		BEXT:       l.bext,
		DataOffset: l.dataOff,
	}
	return r, nil
}

// OpenWAV opens and parses the WAV file at path; Close closes it.
func OpenWAV(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: open %q: %w", path, err)
	}
	r, err := NewReader(f)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	r.closer = f
	return r, nil
}

// Info describes the file.
func (r *Reader) Info() Info { return r.info }

// SeekFrame positions the next read at frame (0 ≤ frame ≤ Frames).
func (r *Reader) SeekFrame(frame int64) error {
	if frame < 0 || frame > r.info.Frames {
		return fmt.Errorf("audio: seek %s: frame %d outside 0..%d", r.name, frame, r.info.Frames)
	}
	if _, err := r.rs.Seek(r.info.DataOffset+frame*int64(r.l.blockAlign), io.SeekStart); err != nil {
		return fmt.Errorf("audio: seek %s: %w", r.name, err)
	}
	r.pos = frame
	r.seeked = true
	return nil
}

// readFrames reads up to n whole frames of raw bytes into r.buf.
func (r *Reader) readFrames(n int) ([]byte, error) {
	if r.rs == nil {
		return nil, ErrClosed
	}
	if !r.seeked {
		if err := r.SeekFrame(r.pos); err != nil {
			return nil, err
		}
	}
	left := r.info.Frames - r.pos
	if left <= 0 {
		return nil, io.EOF
	}
	if int64(n) > left {
		n = int(left)
	}
	want := n * r.l.blockAlign
	if cap(r.buf) < want {
		r.buf = make([]byte, want)
	}
	b := r.buf[:want]
	got, err := io.ReadFull(r.rs, b)
	got -= got % r.l.blockAlign
	r.pos += int64(got / r.l.blockAlign)
	if got == 0 && err != nil {
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != io.EOF {
			err = fmt.Errorf("audio: read %s: %w", r.name, err)
		}
		return nil, err
	}
	if got < want {
		r.seeked = false // re-seek after a short read
	}
	return b[:got], nil
}

// ReadFloat32 reads interleaved samples scaled to [-1, 1) into buf, whole
// frames only, and returns the number of samples read; io.EOF at the end.
func (r *Reader) ReadFloat32(buf []float32) (int, error) {
	b, err := r.readSamples(len(buf))
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	n := 0
	switch r.info.Format {
	case Uint8:
		for _, c := range b {
			buf[n] = float32(int(c)-128) / 128
			n++
		}
	case Int16:
		for i := 0; i+2 <= len(b); i += 2 {
			buf[n] = float32(int16(le.Uint16(b[i:]))) / 32768
			n++
		}
	case Int24:
		for i := 0; i+3 <= len(b); i += 3 {
			buf[n] = float32(int24(b[i:])) / 8388608
			n++
		}
	case Int32:
		for i := 0; i+4 <= len(b); i += 4 {
			buf[n] = float32(float64(int32(le.Uint32(b[i:]))) / 2147483648)
			n++
		}
	case Float32:
		for i := 0; i+4 <= len(b); i += 4 {
			buf[n] = math.Float32frombits(le.Uint32(b[i:]))
			n++
		}
	case Float64:
		for i := 0; i+8 <= len(b); i += 8 {
			buf[n] = float32(math.Float64frombits(le.Uint64(b[i:])))
			n++
		}
	}
	return n, nil
}

// readSamples reads the bytes of as many whole frames as fit in a buffer of
// n samples.
func (r *Reader) readSamples(n int) ([]byte, error) {
	ch := r.info.Channels
	if n < ch {
		return nil, fmt.Errorf("audio: read %s: buffer of %d samples is smaller than a %d-channel frame: %w", r.name, n, ch, io.ErrShortBuffer)
	}
	return r.readFrames(n / ch)
}

func int24(b []byte) int32 {
	return int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
}

// ReadInt32 reads interleaved integer samples at the stored bit depth (8-bit
// files are returned as signed −128..127). Float files return ErrBadFormat.
func (r *Reader) ReadInt32(buf []int32) (int, error) {
	if r.info.Format == Float32 || r.info.Format == Float64 {
		return 0, fmt.Errorf("%w: ReadInt32 on a float file %s", ErrBadFormat, r.name)
	}
	b, err := r.readSamples(len(buf))
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	n := 0
	switch r.info.Format {
	case Uint8:
		for _, c := range b {
			buf[n] = int32(c) - 128
			n++
		}
	case Int16:
		for i := 0; i+2 <= len(b); i += 2 {
			buf[n] = int32(int16(le.Uint16(b[i:])))
			n++
		}
	case Int24:
		for i := 0; i+3 <= len(b); i += 3 {
			buf[n] = int24(b[i:])
			n++
		}
	case Int32:
		for i := 0; i+4 <= len(b); i += 4 {
			buf[n] = int32(le.Uint32(b[i:]))
			n++
		}
	}
	return n, nil
}

// Close closes the file when the Reader owns it (OpenWAV).
func (r *Reader) Close() error {
	if r.rs == nil {
		return ErrClosed
	}
	r.rs = nil
	if r.closer != nil {
		if err := r.closer.Close(); err != nil {
			return fmt.Errorf("audio: close %s: %w", r.name, err)
		}
	}
	return nil
}

// ReadWAVFile reads a whole file as interleaved float32 samples.
func ReadWAVFile(path string) (Info, []float32, error) {
	r, err := OpenWAV(path)
	if err != nil {
		return Info{}, nil, err
	}
	info := r.Info()
	out := make([]float32, info.Frames*int64(info.Channels))
	n := 0
	for n < len(out) {
		k, err := r.ReadFloat32(out[n:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, nil, errors.Join(err, r.Close())
		}
	}
	if err := r.Close(); err != nil {
		return info, nil, err
	}
	if n < len(out) {
		return info, nil, fmt.Errorf("audio: read %q: file shrank to %d of %d samples", path, n, len(out))
	}
	return info, out, nil
}
