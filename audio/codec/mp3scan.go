package codec

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// MP3Info is what ScanMP3 learns from an MP3 file's frames.
type MP3Info struct {
	TagSize     int   // bytes of the leading ID3v2 tag (0 when none)
	Rate        int   // Hz
	Channels    int   // 1 or 2
	Frames      int   // MPEG audio frames, the info frame excluded
	Samples     int64 // PCM frames per channel, encoder delay and padding removed when known
	Bytes       int64 // bytes of MPEG audio, the info frame included
	InfoFrame   bool  // a Xing/Info frame leads the stream
	LAME        bool  // the info frame carries a LAME extension whose CRCs were checked
	Delay, Pad  int   // encoder delay and padding from the LAME extension
	MinKbps     int
	MaxKbps     int
	TrailingID3 bool // an ID3v1 tag ends the file
}

// Duration is the playing time.
func (i MP3Info) Duration() time.Duration {
	if i.Rate == 0 {
		return 0
	}
	return time.Duration(float64(i.Samples) / float64(i.Rate) * float64(time.Second))
}

var (
	mp3Kbps = [2][16]int{ // [MPEG-1, MPEG-2/2.5] layer III
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},
	}
	mp3Rates = [4][4]int{ // [version bits][rate index]
		{11025, 12000, 8000, 0}, // MPEG-2.5
		{0, 0, 0, 0},            // reserved
		{22050, 24000, 16000, 0},
		{44100, 48000, 32000, 0},
	}
)

type mp3Header struct {
	mpeg1    bool
	rate     int
	kbps     int
	channels int
	size     int
	samples  int
	crc      bool
}

func parseMP3Header(h []byte) (mp3Header, bool) {
	if h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return mp3Header{}, false
	}
	ver := h[1] >> 3 & 3
	layer := h[1] >> 1 & 3
	bri := h[2] >> 4
	sri := h[2] >> 2 & 3
	if ver == 1 || layer != 1 || bri == 0 || bri == 15 || sri == 3 {
		return mp3Header{}, false // reserved, not layer III, free format or bad index
	}
	m := mp3Header{mpeg1: ver == 3, rate: mp3Rates[ver][sri], crc: h[1]&1 == 0, channels: 2}
	if h[3]>>6 == 3 {
		m.channels = 1
	}
	pad := int(h[2] >> 1 & 1)
	if m.mpeg1 {
		m.kbps = mp3Kbps[0][bri]
		m.samples = 1152
		m.size = 144000*m.kbps/m.rate + pad
	} else {
		m.kbps = mp3Kbps[1][bri]
		m.samples = 576
		m.size = 72000*m.kbps/m.rate + pad
	}
	return m, true
}

// crc16Table drives crc16 a byte at a time.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for k := 0; k < 8; k++ {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc16 is the CRC-16 (polynomial 0x8005, reflected, initial 0) that the
// LAME extension uses for its music and tag checksums.
func crc16(crc uint16, b []byte) uint16 {
	for _, c := range b {
		crc = crc>>8 ^ crc16Table[byte(crc)^c]
	}
	return crc
}

// ScanMP3 walks every MPEG layer III frame of r (after an optional ID3v2
// tag): each frame must follow the previous one exactly with the same rate
// and channel count. When LAME wrote an info frame, its frame and byte counts
// and its CRC-16 checksums of the tag and of all the music data are checked,
// so a flipped byte anywhere in the audio is reported.
func ScanMP3(r io.Reader) (MP3Info, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var info MP3Info
	head, err := br.Peek(10)
	if err != nil && len(head) < 4 {
		return info, fmt.Errorf("%w: file too short", ErrMP3)
	}
	if n := TagSize(head); n > 0 {
		info.TagSize = n
		if _, err := br.Discard(n); err != nil {
			return info, fmt.Errorf("%w: ID3v2 tag of %d bytes is truncated", ErrMP3, n)
		}
	}
	var (
		first    *mp3Header
		xFrames  = -1
		xBytes   = -1
		musicCRC uint16
		wantCRC  = -1
		frame    = make([]byte, 2048)
		off      = int64(info.TagSize)
	)
	for {
		h, err := br.Peek(4)
		if len(h) < 4 {
			if len(h) == 0 && err == io.EOF {
				break
			}
			return info, fmt.Errorf("%w: %d stray bytes at offset %d", ErrMP3, len(h), off)
		}
		if string(h[:3]) == "TAG" {
			rest, _ := io.ReadAll(br)
			if len(rest) != 128 {
				return info, fmt.Errorf("%w: junk after the last frame at offset %d", ErrMP3, off)
			}
			info.TrailingID3 = true
			break
		}
		m, ok := parseMP3Header(h)
		if !ok {
			return info, fmt.Errorf("%w: no frame header at offset %d (frame %d)", ErrMP3, off, info.Frames+1)
		}
		if first == nil {
			first = &m
			info.Rate, info.Channels = m.rate, m.channels
			info.MinKbps, info.MaxKbps = m.kbps, m.kbps
		} else if m.rate != first.rate || m.channels != first.channels || m.mpeg1 != first.mpeg1 {
			return info, fmt.Errorf("%w: frame %d at offset %d changes rate or channels", ErrMP3, info.Frames+1, off)
		}
		fb := frame[:m.size]
		if _, err := io.ReadFull(br, fb); err != nil {
			return info, fmt.Errorf("%w: frame %d at offset %d is truncated", ErrMP3, info.Frames+1, off)
		}
		off += int64(m.size)
		info.Bytes += int64(m.size)
		if info.Frames == 0 && !info.InfoFrame {
			if x, ok := parseInfoFrame(fb, m); ok {
				info.InfoFrame = true
				xFrames, xBytes = x.frames, x.bytes
				if x.lame {
					if crc16(0, fb[:x.lameOff+34]) != binary.BigEndian.Uint16(fb[x.lameOff+34:]) {
						return info, fmt.Errorf("%w: the LAME info frame's checksum does not match", ErrMP3)
					}
					info.LAME = true
					info.Delay, info.Pad = x.delay, x.pad
					wantCRC = int(binary.BigEndian.Uint16(fb[x.lameOff+32:]))
				}
				continue
			}
		}
		musicCRC = crc16(musicCRC, fb)
		info.Frames++
		info.Samples += int64(m.samples)
		info.MinKbps = min(info.MinKbps, m.kbps)
		info.MaxKbps = max(info.MaxKbps, m.kbps)
	}
	if info.Frames == 0 {
		return info, fmt.Errorf("%w: no MPEG audio frames", ErrMP3)
	}
	if xFrames >= 0 && xFrames != info.Frames {
		return info, fmt.Errorf("%w: info frame says %d frames, the stream has %d", ErrMP3, xFrames, info.Frames)
	}
	if xBytes >= 0 && int64(xBytes) != info.Bytes {
		return info, fmt.Errorf("%w: info frame says %d bytes, the stream has %d", ErrMP3, xBytes, info.Bytes)
	}
	if wantCRC >= 0 && uint16(wantCRC) != musicCRC {
		return info, fmt.Errorf("%w: music checksum %04x, the LAME info frame says %04x: the audio data is damaged", ErrMP3, musicCRC, wantCRC)
	}
	if info.LAME {
		info.Samples -= int64(info.Delay + info.Pad)
	}
	return info, nil
}

type infoFrame struct {
	frames, bytes int
	lame          bool
	lameOff       int
	delay, pad    int
}

func parseInfoFrame(fb []byte, m mp3Header) (infoFrame, bool) {
	off := 4
	if m.crc {
		off += 2
	}
	switch {
	case m.mpeg1 && m.channels == 2:
		off += 32
	case m.mpeg1, m.channels == 2:
		off += 17
	default:
		off += 9
	}
	if len(fb) < off+8 {
		return infoFrame{}, false
	}
	id := string(fb[off : off+4])
	if id != "Xing" && id != "Info" {
		return infoFrame{}, false
	}
	x := infoFrame{frames: -1, bytes: -1}
	flags := binary.BigEndian.Uint32(fb[off+4:])
	p := off + 8
	if flags&1 != 0 && p+4 <= len(fb) {
		x.frames = int(binary.BigEndian.Uint32(fb[p:]))
		p += 4
	}
	if flags&2 != 0 && p+4 <= len(fb) {
		x.bytes = int(binary.BigEndian.Uint32(fb[p:]))
		p += 4
	}
	if flags&4 != 0 {
		p += 100
	}
	if flags&8 != 0 {
		p += 4
	}
	if p+36 <= len(fb) && string(fb[p:p+4]) == "LAME" {
		x.lame = true
		x.lameOff = p
		d := fb[p+21:]
		x.delay = int(d[0])<<4 | int(d[1])>>4
		x.pad = int(d[1]&0x0F)<<8 | int(d[2])
	}
	return x, true
}
