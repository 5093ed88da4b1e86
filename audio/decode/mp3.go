package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	mp3 "github.com/hajimehoshi/go-mp3"
)

// decoderDelay is the delay, in samples, of the MPEG-1/2 layer III
// synthesis (hybrid filter bank) in any standard decoder, go-mp3 included:
// the "528 + 1" that LAME's encoder delay field is documented against.
// TestMP3DelayFromLAMEHeader measures it against lame's own output.
const decoderDelay = 529

var (
	mp3Kbps = [2][16]int{ // [MPEG-1, MPEG-2] layer III
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
	}
	mp3Rates = [2][3]int{{44100, 48000, 32000}, {22050, 24000, 16000}}
)

// mp3Frame is one MPEG audio frame of the file.
type mp3Frame struct {
	off  int64
	size int
}

// mp3Index is what a scan of an MP3 file learns.
type mp3Index struct {
	rate     int
	channels int
	spf      int // samples per frame: 1152 (MPEG-1) or 576 (MPEG-2)
	frames   []mp3Frame
	info     bool // a Xing/Info frame leads the stream (go-mp3 decodes it as silence)
	lame     bool // the info frame has a LAME extension
	encDelay int  // from the LAME extension
	encPad   int
}

type mp3Header struct {
	mpeg1    bool
	rate     int
	channels int
	size     int
	crc      bool
}

func parseHeader(b []byte) (mp3Header, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mp3Header{}, false
	}
	ver := (b[1] >> 3) & 3   // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
	layer := (b[1] >> 1) & 3 // 1 = layer III
	if layer != 1 || (ver != 3 && ver != 2) {
		return mp3Header{}, false
	}
	bri := b[2] >> 4
	ri := (b[2] >> 2) & 3
	if bri == 0 || bri == 15 || ri == 3 {
		return mp3Header{}, false
	}
	h := mp3Header{mpeg1: ver == 3, crc: b[1]&1 == 0}
	v := 1
	if h.mpeg1 {
		v = 0
	}
	h.rate = mp3Rates[v][ri]
	pad := int(b[2]>>1) & 1
	if h.mpeg1 {
		h.size = 144*mp3Kbps[v][bri]*1000/h.rate + pad
	} else {
		h.size = 72*mp3Kbps[v][bri]*1000/h.rate + pad
	}
	h.channels = 2
	if b[3]>>6 == 3 {
		h.channels = 1
	}
	return h, true
}

// scanMP3 walks the frames of an MP3 file: sizes and offsets for seeking by
// frame, and the Xing/Info frame with LAME's encoder delay and padding.
func scanMP3(f io.ReaderAt, size int64, name string) (*mp3Index, error) {
	var off int64
	head := make([]byte, 10)
	if n, _ := f.ReadAt(head, 0); n == 10 && string(head[:3]) == "ID3" {
		tag := int64(head[6]&0x7f)<<21 | int64(head[7]&0x7f)<<14 | int64(head[8]&0x7f)<<7 | int64(head[9]&0x7f)
		off = 10 + tag
		if head[5]&0x10 != 0 {
			off += 10 // footer
		}
	}
	ix := &mp3Index{}
	buf := make([]byte, 64<<10)
	var bufOff int64 = -1
	var bufN int
	get := func(at int64, n int) []byte {
		if bufOff < 0 || at < bufOff || at+int64(n) > bufOff+int64(bufN) {
			bufOff = at
			bufN, _ = f.ReadAt(buf, at)
		}
		if at+int64(n) > bufOff+int64(bufN) {
			return nil
		}
		return buf[at-bufOff : at-bufOff+int64(n)]
	}
	resync := 0
	for off+4 <= size {
		b := get(off, 4)
		if b == nil {
			break
		}
		h, ok := parseHeader(b)
		if ok && len(ix.frames) > 0 && h.rate != ix.rate {
			ok = false // a false sync inside audio data
		}
		if !ok {
			if string(b[:3]) == "TAG" && size-off == 128 {
				break // ID3v1 at the end
			}
			off++
			resync++
			if len(ix.frames) == 0 && resync > 1<<16 {
				return nil, fmt.Errorf("decode: %q: no MPEG layer III frame in the first 64 KiB: %w", name, ErrUnsupported)
			}
			continue
		}
		if len(ix.frames) == 0 {
			ix.rate, ix.channels = h.rate, h.channels
			ix.spf = 576
			if h.mpeg1 {
				ix.spf = 1152
			}
			fb := get(off, min(h.size, 400))
			if fb != nil {
				ix.parseInfo(fb, h)
			}
		}
		ix.frames = append(ix.frames, mp3Frame{off: off, size: h.size})
		off += int64(h.size)
	}
	if len(ix.frames) == 0 {
		return nil, fmt.Errorf("decode: %q: no MPEG layer III frames: %w", name, ErrUnsupported)
	}
	return ix, nil
}

// parseInfo reads a Xing/Info frame and its LAME extension, if fb is one.
func (ix *mp3Index) parseInfo(fb []byte, h mp3Header) {
	side := 17 // side information bytes after the 4-byte header
	switch {
	case h.mpeg1 && h.channels == 2:
		side = 32
	case !h.mpeg1 && h.channels == 1:
		side = 9
	}
	p := 4 + side
	if h.crc {
		p += 2
	}
	if p+8 > len(fb) {
		return
	}
	tag := string(fb[p : p+4])
	if tag != "Xing" && tag != "Info" {
		return
	}
	ix.info = true
	flags := binary.BigEndian.Uint32(fb[p+4:])
	q := p + 8
	if flags&1 != 0 {
		q += 4 // frames
	}
	if flags&2 != 0 {
		q += 4 // bytes
	}
	if flags&4 != 0 {
		q += 100 // TOC
	}
	if flags&8 != 0 {
		q += 4 // quality
	}
	// LAME extension: 9-byte encoder string, then at +21 the 24-bit
	// delay (12 bits) and padding (12 bits).
	if q+24 > len(fb) {
		return
	}
	enc := fb[q : q+9]
	if !bytes.HasPrefix(enc, []byte("LAME")) && !bytes.HasPrefix(enc, []byte("Lavc")) && !bytes.HasPrefix(enc, []byte("Lavf")) {
		return
	}
	d := fb[q+21 : q+24]
	ix.lame = true
	ix.encDelay = int(d[0])<<4 | int(d[1])>>4
	ix.encPad = int(d[1]&0x0f)<<8 | int(d[2])
}

// mp3Source decodes windows of an MP3 file with go-mp3, starting a few
// frames early so the bit reservoir and the filter bank are warm.
type mp3Source struct {
	f      *os.File
	size   int64
	name   string
	ix     *mp3Index
	delay  int   // go-mp3 output samples before the first original sample
	frames int64 // original samples
}

func openMP3(path string) (*mp3Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decode: open %q: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("decode: stat %q: %w", path, err), f.Close())
	}
	ix, err := scanMP3(f, st.Size(), path)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	s := &mp3Source{f: f, size: st.Size(), name: path, ix: ix}
	s.delay = decoderDelay
	if ix.info {
		s.delay += ix.spf
	}
	total := int64(len(ix.frames)) * int64(ix.spf)
	if ix.lame {
		s.delay += ix.encDelay
		s.frames = total - int64(s.delay) - int64(ix.encPad) + decoderDelay
	} else {
		s.frames = total - int64(s.delay)
	}
	if s.frames < 0 {
		s.frames = 0
	}
	return s, nil
}

// hideSeek keeps go-mp3 from scanning the whole file for its length.
type hideSeek struct{ io.Reader }

// parallelAbove is the window length (seconds) above which readMono splits
// the work over the CPUs: each part decodes on its own after a few warm-up
// frames, so the parts are exactly what one straight decode gives.
const parallelAbove = 8

// readMono decodes original samples [frame, frame+len(dst)) mixed to mono.
func (s *mp3Source) readMono(dst []float32, frame int64) error {
	parts := runtime.GOMAXPROCS(0)
	if parts < 2 || len(dst) < parallelAbove*s.ix.rate {
		return s.readPart(dst, frame)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	step := (len(dst) + parts - 1) / parts
	for p := 0; p < parts; p++ {
		lo, hi := p*step, min(len(dst), (p+1)*step)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = s.readPart(dst[lo:hi], frame+int64(lo))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readPart decodes original samples [frame, frame+len(dst)) mixed to mono.
func (s *mp3Source) readPart(dst []float32, frame int64) (err error) {
	clear(dst)
	n := int64(len(dst))
	lo := max(frame, 0)
	hi := min(frame+n, s.frames)
	if lo >= hi {
		return nil
	}
	spf := int64(s.ix.spf)
	first := (lo + int64(s.delay)) / spf // frame holding the first wanted sample
	// Warm up: frame first is exact when it and the frame before it find
	// their main data in the bit reservoir (up to 511 bytes back), so start
	// that far before first-1, and one frame more for safety.
	start := max(first-1, 0)
	for back := 0; start > 0 && back < 511; {
		start--
		back += s.ix.frames[start].size
	}
	start = max(0, start-1)
	end := s.size
	lastFrame := (hi+int64(s.delay))/spf + 1
	if lastFrame+1 < int64(len(s.ix.frames)) {
		end = s.ix.frames[lastFrame+1].off
	}
	sec := io.NewSectionReader(s.f, s.ix.frames[start].off, end-s.ix.frames[start].off)
	defer func() {
		if r := recover(); r != nil { // go-mp3 on corrupt data
			err = fmt.Errorf("decode: %q: corrupt MP3 data near frame %d: %v", s.name, first, r)
		}
	}()
	d, err := mp3.NewDecoder(hideSeek{sec})
	if err != nil {
		return fmt.Errorf("decode: %q: frame %d: %w", s.name, start, err)
	}
	// Stream sample of the decoder's first output sample, and of lo.
	pos := start * spf
	skip := lo + int64(s.delay) - pos
	if _, err := io.CopyN(io.Discard, d, skip*4); err != nil {
		return fmt.Errorf("decode: %q: %w", s.name, err)
	}
	buf := make([]byte, 4*4096)
	i := lo - frame
	want := hi - lo
	for want > 0 {
		m := min(int64(len(buf)), want*4)
		got, err := io.ReadFull(d, buf[:m])
		for k := 0; k+4 <= got; k += 4 {
			l := int16(binary.LittleEndian.Uint16(buf[k:]))
			r := int16(binary.LittleEndian.Uint16(buf[k+2:]))
			dst[i] = (float32(l) + float32(r)) / 65536
			i++
		}
		want -= int64(got / 4)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil // padding cut short: the rest stays silent
		}
		if err != nil {
			return fmt.Errorf("decode: %q: %w", s.name, err)
		}
	}
	return nil
}
