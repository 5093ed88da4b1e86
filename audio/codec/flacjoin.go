package codec

// Joining standalone FLAC streams into one without re-encoding. A FLAC
// frame depends on nothing outside itself but its header's frame number,
// so streams cut at block boundaries (the progressive hand-off's segments,
// app/room SegmentFrames) are joined by copying their frames with the
// numbers rewritten, and one STREAMINFO written for the whole.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrJoin reports FLAC streams that cannot be joined: a malformed stream,
// or streams of different formats or block sizes.
var ErrJoin = errors.New("codec: flac join")

// FLAC metadata block types this file handles.
const (
	flacStreamInfo = 0
	flacSeekTable  = 3
)

// flacMeta is one metadata block.
type flacMeta struct {
	typ  byte
	data []byte
}

// flacFrame is where one frame lies in a stream: its header (up to and
// including the CRC-8), where its coded number lies in the header, and
// its end (after the CRC-16).
type flacFrame struct {
	start, hdrEnd, end int
	numOff, numLen     int // the UTF-8 coded frame number, relative to start
	number             uint64
	blockSize          int
}

// flacStream is a parsed standalone FLAC stream.
type flacStream struct {
	data      []byte
	meta      []flacMeta // STREAMINFO first
	minBlock  int
	maxBlock  int
	rate      int
	channels  int
	bits      int
	total     int64 // samples per channel from STREAMINFO (0 = unknown)
	frames    []flacFrame
	variable  bool // variable block size (sample numbers, not frame numbers)
	totalSeen int64
}

// parseFLAC splits a whole FLAC stream into its metadata blocks and
// frames. Frame boundaries are found by parsing: a frame ends where its
// CRC-16 matches and the next frame's header (sync code, valid fields,
// CRC-8, the next number) begins, or at the end of the data.
func parseFLAC(b []byte) (*flacStream, error) {
	if len(b) < 4 || string(b[:4]) != "fLaC" {
		return nil, fmt.Errorf("%w: not a FLAC stream (no fLaC marker)", ErrJoin)
	}
	s := &flacStream{data: b}
	p := 4
	for last := false; !last; {
		if len(b)-p < 4 {
			return nil, fmt.Errorf("%w: metadata block header cut at byte %d", ErrJoin, p)
		}
		last = b[p]&0x80 != 0
		typ := b[p] & 0x7f
		n := int(b[p+1])<<16 | int(b[p+2])<<8 | int(b[p+3])
		p += 4
		if len(b)-p < n {
			return nil, fmt.Errorf("%w: metadata block of type %d cut at byte %d", ErrJoin, typ, p)
		}
		if typ == 127 {
			return nil, fmt.Errorf("%w: invalid metadata block type 127", ErrJoin)
		}
		if (len(s.meta) == 0) != (typ == flacStreamInfo) {
			return nil, fmt.Errorf("%w: STREAMINFO is not the first and only such block", ErrJoin)
		}
		s.meta = append(s.meta, flacMeta{typ: typ, data: b[p : p+n]})
		p += n
	}
	si := s.meta[0].data
	if len(si) != 34 {
		return nil, fmt.Errorf("%w: STREAMINFO of %d bytes (want 34)", ErrJoin, len(si))
	}
	s.minBlock = int(binary.BigEndian.Uint16(si[0:]))
	s.maxBlock = int(binary.BigEndian.Uint16(si[2:]))
	v := binary.BigEndian.Uint64(si[10:])
	s.rate = int(v >> 44)
	s.channels = int(v>>41&7) + 1
	s.bits = int(v>>36&31) + 1
	s.total = int64(v & (1<<36 - 1))
	if s.rate == 0 || s.maxBlock < 16 || s.minBlock > s.maxBlock {
		return nil, fmt.Errorf("%w: STREAMINFO rate %d Hz, block size %d..%d", ErrJoin, s.rate, s.minBlock, s.maxBlock)
	}
	if err := s.parseFrames(p); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *flacStream) parseFrames(p int) error {
	b := s.data
	want := uint64(0)
	for p < len(b) {
		f, ok := parseFrameHeader(b[p:])
		if !ok {
			return fmt.Errorf("%w: no valid frame header at byte %d", ErrJoin, p)
		}
		if len(s.frames) == 0 {
			s.variable = b[p+1]&1 != 0
		} else if s.variable != (b[p+1]&1 != 0) {
			return fmt.Errorf("%w: blocking strategy changes at byte %d", ErrJoin, p)
		}
		if f.number != want {
			return fmt.Errorf("%w: frame at byte %d is numbered %d, want %d", ErrJoin, p, f.number, want)
		}
		if f.blockSize > s.maxBlock {
			return fmt.Errorf("%w: frame at byte %d has %d samples, STREAMINFO says at most %d", ErrJoin, p, f.blockSize, s.maxBlock)
		}
		f.start = p
		f.hdrEnd = p + f.hdrEnd
		end, err := frameEnd(b, f, s.next(f))
		if err != nil {
			return err
		}
		f.end = end
		s.frames = append(s.frames, f)
		s.totalSeen += int64(f.blockSize)
		want = s.next(f)
		p = end
	}
	if len(s.frames) == 0 {
		return fmt.Errorf("%w: stream has no audio frames", ErrJoin)
	}
	if s.total != 0 && s.totalSeen != s.total {
		return fmt.Errorf("%w: frames hold %d samples, STREAMINFO says %d", ErrJoin, s.totalSeen, s.total)
	}
	return nil
}

// next is the number the frame after f must carry.
func (s *flacStream) next(f flacFrame) uint64 {
	if s.variable {
		return f.number + uint64(f.blockSize)
	}
	return f.number + 1
}

// frameEnd finds where the frame starting at f.start ends: the first
// position q after its header where the CRC-16 of b[f.start:q-2] equals
// b[q-2:q] and either the data ends or a valid header numbered next
// begins.
func frameEnd(b []byte, f flacFrame, next uint64) (int, error) {
	crc := flacCRC16(0, b[f.start:f.hdrEnd])
	k := f.hdrEnd // crc covers b[f.start:k]
	for q := f.hdrEnd + 2; q <= len(b); q++ {
		if q < len(b) && (b[q] != 0xff || q+1 >= len(b) || b[q+1]&0xfe != 0xf8) {
			continue
		}
		crc = flacCRC16(crc, b[k:q-2])
		k = q - 2
		if crc != binary.BigEndian.Uint16(b[q-2:]) {
			continue
		}
		if q == len(b) {
			return q, nil
		}
		if h, ok := parseFrameHeader(b[q:]); ok && h.number == next {
			return q, nil
		}
	}
	return 0, fmt.Errorf("%w: frame %d at byte %d has no valid end (CRC-16 mismatch or cut)", ErrJoin, f.number, f.start)
}

// parseFrameHeader reads a frame header at the start of b: it reports the
// header's length in hdrEnd, and whether the sync code, every field and
// the CRC-8 are valid.
func parseFrameHeader(b []byte) (f flacFrame, ok bool) {
	if len(b) < 6 || b[0] != 0xff || b[1]&0xfe != 0xf8 {
		return f, false
	}
	bsCode, srCode := b[2]>>4, b[2]&15
	chCode, ssCode := b[3]>>4, b[3]>>1&7
	if bsCode == 0 || srCode == 15 || chCode > 10 || ssCode == 3 || b[3]&1 != 0 {
		return f, false
	}
	num, n, ok := readUTF8Number(b[4:])
	if !ok {
		return f, false
	}
	f.numOff, f.numLen, f.number = 4, n, num
	p := 4 + n
	switch {
	case bsCode == 1:
		f.blockSize = 192
	case bsCode <= 5:
		f.blockSize = 576 << (bsCode - 2)
	case bsCode == 6:
		if len(b) < p+1 {
			return f, false
		}
		f.blockSize = int(b[p]) + 1
		p++
	case bsCode == 7:
		if len(b) < p+2 {
			return f, false
		}
		f.blockSize = int(binary.BigEndian.Uint16(b[p:])) + 1
		p += 2
	default:
		f.blockSize = 256 << (bsCode - 8)
	}
	switch srCode {
	case 12:
		p++
	case 13, 14:
		p += 2
	}
	if len(b) < p+1 || flacCRC8(b[:p]) != b[p] {
		return f, false
	}
	f.hdrEnd = p + 1
	return f, true
}

// readUTF8Number decodes FLAC's UTF-8-like coded frame or sample number
// (up to 36 bits in 7 bytes).
func readUTF8Number(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	c := b[0]
	switch {
	case c < 0x80:
		return uint64(c), 1, true
	case c&0xe0 == 0xc0:
		v, n = uint64(c&0x1f), 2
	case c&0xf0 == 0xe0:
		v, n = uint64(c&0x0f), 3
	case c&0xf8 == 0xf0:
		v, n = uint64(c&0x07), 4
	case c&0xfc == 0xf8:
		v, n = uint64(c&0x03), 5
	case c&0xfe == 0xfc:
		v, n = uint64(c&0x01), 6
	case c == 0xfe:
		v, n = 0, 7
	default:
		return 0, 0, false
	}
	if len(b) < n {
		return 0, 0, false
	}
	for _, x := range b[1:n] {
		if x&0xc0 != 0x80 {
			return 0, 0, false
		}
		v = v<<6 | uint64(x&0x3f)
	}
	return v, n, true
}

// appendUTF8Number codes v as FLAC does.
func appendUTF8Number(dst []byte, v uint64) []byte {
	if v < 0x80 {
		return append(dst, byte(v))
	}
	n := 2
	for limit := uint64(1) << 11; v >= limit && n < 7; limit <<= 5 {
		n++
	}
	lead := []byte{0, 0, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe}[n]
	dst = append(dst, lead|byte(v>>(6*(n-1))))
	for i := n - 2; i >= 0; i-- {
		dst = append(dst, 0x80|byte(v>>(6*i)&0x3f))
	}
	return dst
}

var flacCRC8Table, flacCRC16Table = func() (t8 [256]byte, t16 [256]uint16) {
	for i := range 256 {
		c8 := byte(i)
		c16 := uint16(i) << 8
		for range 8 {
			if c8&0x80 != 0 {
				c8 = c8<<1 ^ 0x07
			} else {
				c8 <<= 1
			}
			if c16&0x8000 != 0 {
				c16 = c16<<1 ^ 0x8005
			} else {
				c16 <<= 1
			}
		}
		t8[i], t16[i] = c8, c16
	}
	return
}()

// crc8 is the frame header's CRC-8 (polynomial x^8+x^2+x+1, initial 0).
func flacCRC8(b []byte) byte {
	var c byte
	for _, x := range b {
		c = flacCRC8Table[c^x]
	}
	return c
}

// flacCRC16Slices[k][x] is the CRC-16 of the byte x followed by k zero
// bytes: flacCRC16 takes eight bytes a step with them (slicing-by-8), the
// frames' CRC being most of the join's work.
var flacCRC16Slices = func() (t [8][256]uint16) {
	t[0] = flacCRC16Table
	for k := 1; k < 8; k++ {
		for x := range 256 {
			v := t[k-1][x]
			t[k][x] = flacCRC16Table[byte(v>>8)] ^ v<<8
		}
	}
	return
}()

// crc16 continues the frame's CRC-16 (x^16+x^15+x^2+1, initial 0) over b.
func flacCRC16(c uint16, b []byte) uint16 {
	t := &flacCRC16Slices
	for ; len(b) >= 8; b = b[8:] {
		c = t[7][b[0]^byte(c>>8)] ^ t[6][b[1]^byte(c)] ^ t[5][b[2]] ^ t[4][b[3]] ^
			t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
	}
	for _, x := range b {
		c = flacCRC16Table[byte(c>>8)^x] ^ c<<8
	}
	return c
}

// crc16Mul multiplies a and b as polynomials modulo the CRC-16
// polynomial x^16+x^15+x^2+1.
func crc16Mul(a, b uint16) uint16 {
	var r uint16
	for i := 15; i >= 0; i-- {
		if r&0x8000 != 0 {
			r = r<<1 ^ 0x8005
		} else {
			r <<= 1
		}
		if b>>i&1 != 0 {
			r ^= a
		}
	}
	return r
}

// crc16Shift is the CRC-16 state s carried through n zero bytes:
// s·x^(8n) mod the polynomial.
func crc16Shift(s uint16, n int) uint16 {
	p := uint16(1 << 8) // x^8: one byte
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			s = crc16Mul(s, p)
		}
		p = crc16Mul(p, p)
	}
	return s
}

// FLACJoiner writes standalone FLAC streams of one format and block size
// one after another as a single FLAC stream, without re-encoding: the
// first stream's metadata is the model (its SEEKTABLE dropped, as it would
// be wrong), every frame is copied with its frame number rewritten (and
// its CRC-8 and CRC-16 recomputed), and Finish writes the STREAMINFO of the
// whole: total samples, frame sizes and the MD5 of the whole PCM, which
// the caller computes (for 16- and 24-bit audio it is the MD5 of the WAV
// data chunk). A FLACJoiner is not safe for concurrent use.
type FLACJoiner struct {
	w        io.WriteSeeker
	bw       *bufio.Writer
	model    *flacStream
	siOff    int64 // file offset of the STREAMINFO block's data
	frames   int64 // frames (FLAC blocks) written
	samples  int64 // samples per channel written
	minFrame int
	maxFrame int
	short    bool // the last frame written was shorter than the block size
	hdr      []byte
	err      error
}

// NewFLACJoiner returns a joiner writing to w from its current position.
func NewFLACJoiner(w io.WriteSeeker) *FLACJoiner {
	return &FLACJoiner{w: w, bw: bufio.NewWriterSize(w, 1<<20), minFrame: -1}
}

// Append adds one whole standalone FLAC stream.
func (j *FLACJoiner) Append(stream []byte) error {
	if j.err != nil {
		return j.err
	}
	s, err := parseFLAC(stream)
	if err != nil {
		return err
	}
	if err := j.accept(s); err != nil {
		return err
	}
	if j.model == nil {
		j.model = s
		if j.err = j.writeMetadata(s); j.err != nil {
			return j.err
		}
	}
	for _, f := range s.frames {
		if j.short {
			return fmt.Errorf("%w: a frame of %d samples (shorter than the block size %d) is not the last", ErrJoin, f.blockSize, j.model.maxBlock)
		}
		if j.err = j.writeFrame(s.data, f); j.err != nil {
			return j.err
		}
		j.short = f.blockSize != j.model.maxBlock
	}
	return nil
}

// accept checks that s can follow what was appended so far.
func (j *FLACJoiner) accept(s *flacStream) error {
	if s.variable {
		return fmt.Errorf("%w: variable block size streams are not joined", ErrJoin)
	}
	if m := j.model; m != nil && (s.rate != m.rate || s.channels != m.channels || s.bits != m.bits || s.maxBlock > m.maxBlock) {
		return fmt.Errorf("%w: %d Hz %d ch %d bit, block size %d after %d Hz %d ch %d bit, block size %d",
			ErrJoin, s.rate, s.channels, s.bits, s.maxBlock, m.rate, m.channels, m.bits, m.maxBlock)
	}
	return nil
}

func (j *FLACJoiner) writeMetadata(s *flacStream) error {
	var kept []flacMeta
	for _, m := range s.meta {
		if m.typ != flacSeekTable {
			kept = append(kept, m)
		}
	}
	pos, err := j.w.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	j.siOff = pos + 8
	j.bw.WriteString("fLaC")
	for i, m := range kept {
		h := m.typ
		if i == len(kept)-1 {
			h |= 0x80
		}
		n := len(m.data)
		j.bw.Write([]byte{h, byte(n >> 16), byte(n >> 8), byte(n)})
		j.bw.Write(m.data) // STREAMINFO rewritten by Finish
	}
	return nil
}

func (j *FLACJoiner) writeFrame(b []byte, f flacFrame) error {
	hdr := append(j.hdr[:0], b[f.start:f.start+f.numOff]...)
	hdr = appendUTF8Number(hdr, uint64(j.frames))
	hdr = append(hdr, b[f.start+f.numOff+f.numLen:f.hdrEnd-1]...)
	hdr = append(hdr, flacCRC8(hdr))
	j.hdr = hdr
	body := b[f.hdrEnd : f.end-2]
	// The frame's CRC-16 is linear in the state the header leaves: only
	// the header changed, so the new CRC is the stored one corrected by
	// the two headers' difference carried through the body, not a pass
	// over the body again.
	stored := binary.BigEndian.Uint16(b[f.end-2:])
	crc := stored ^ crc16Shift(flacCRC16(0, b[f.start:f.hdrEnd])^flacCRC16(0, hdr), len(body))
	j.bw.Write(hdr)
	j.bw.Write(body)
	if _, err := j.bw.Write([]byte{byte(crc >> 8), byte(crc)}); err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	size := len(hdr) + len(body) + 2
	if j.minFrame < 0 || size < j.minFrame {
		j.minFrame = size
	}
	j.maxFrame = max(j.maxFrame, size)
	j.frames++
	j.samples += int64(f.blockSize)
	return nil
}

// Samples returns the samples per channel appended so far.
func (j *FLACJoiner) Samples() int64 { return j.samples }

// Finish flushes the frames and writes the whole stream's STREAMINFO with
// md5sum, the MD5 of all the samples as little-endian signed integers of
// the stream's byte width. It leaves w positioned at the stream's end and
// does not close it.
func (j *FLACJoiner) Finish(md5sum [16]byte) error {
	if j.err != nil {
		return j.err
	}
	if j.model == nil {
		return fmt.Errorf("%w: no streams to join", ErrJoin)
	}
	if err := j.bw.Flush(); err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	end, err := j.w.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	si := bytes.Clone(j.model.meta[0].data)
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }
	put24(si[4:], j.minFrame)
	put24(si[7:], j.maxFrame)
	v := binary.BigEndian.Uint64(si[10:])
	v = v&^(1<<36-1) | uint64(j.samples)&(1<<36-1)
	binary.BigEndian.PutUint64(si[10:], v)
	copy(si[18:], md5sum[:])
	if _, err := j.w.Seek(j.siOff, io.SeekStart); err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	if _, err := j.w.Write(si); err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	if _, err := j.w.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("codec: flac join: %w", err)
	}
	j.err = fmt.Errorf("%w: append after finish", ErrJoin)
	return nil
}

// JoinFLACFiles writes the FLAC files parts, joined, to the new file dst
// (see FLACJoiner), synced to disk, and returns the samples per channel.
func JoinFLACFiles(dst string, parts []string, md5sum [16]byte) (int64, error) {
	f, err := os.Create(dst)
	if err != nil {
		return 0, fmt.Errorf("codec: flac join: %w", err)
	}
	j := NewFLACJoiner(f)
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err == nil {
			err = j.Append(b)
		}
		if err != nil {
			f.Close()
			return 0, fmt.Errorf("codec: flac join %s: %w", p, err)
		}
	}
	err = j.Finish(md5sum)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("codec: flac join: %w", cerr)
	}
	if err != nil {
		return 0, fmt.Errorf("codec: flac join %s: %w", dst, err)
	}
	return j.samples, nil
}
