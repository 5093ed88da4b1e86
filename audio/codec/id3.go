package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrID3 reports a malformed ID3v2 tag or chapter list.
var ErrID3 = errors.New("codec: id3")

// Chapter is one chapter of an audio file, neutral of any marker model.
// ID is the element ID (unique, ASCII, no NUL); End must be after Start.
type Chapter struct {
	ID, Title, URL string
	Start, End     time.Duration
}

// Tag is an ID3v2 tag holding the episode title and its chapters as the ID3v2
// Chapter Frame Addendum 1.0 defines them: one CHAP frame per chapter (start
// and end in milliseconds, byte offsets unused, a TIT2 title sub-frame and a
// WXXX sub-frame for the URL) and one top-level, ordered CTOC listing them.
type Tag struct {
	Version  int // 3 (ID3v2.3, the default: what most podcast apps read) or 4
	Title    string
	Artist   string
	Chapters []Chapter
}

// TOCID is the element ID of the table of contents Bytes writes.
const TOCID = "toc"

// Bytes renders the tag. Chapters must be in order, non-overlapping, with
// unique IDs; at most 255 (the CTOC entry count is one byte).
func (t Tag) Bytes() ([]byte, error) {
	v := t.Version
	if v == 0 {
		v = 3
	}
	if v != 3 && v != 4 {
		return nil, fmt.Errorf("%w: version 2.%d (want 2.3 or 2.4)", ErrID3, v)
	}
	if len(t.Chapters) > 255 {
		return nil, fmt.Errorf("%w: %d chapters (a table of contents holds at most 255)", ErrID3, len(t.Chapters))
	}
	var frames bytes.Buffer
	if t.Title != "" {
		writeFrame(&frames, v, "TIT2", textFrame(v, t.Title))
	}
	if t.Artist != "" {
		writeFrame(&frames, v, "TPE1", textFrame(v, t.Artist))
	}
	if len(t.Chapters) > 0 {
		seen := map[string]bool{TOCID: true}
		var toc bytes.Buffer
		toc.WriteString(TOCID)
		toc.WriteByte(0)
		toc.WriteByte(0x03) // %000000ab: a = top-level, b = ordered
		toc.WriteByte(byte(len(t.Chapters)))
		var prevEnd time.Duration
		for i, c := range t.Chapters {
			if c.ID == "" || strings.IndexByte(c.ID, 0) >= 0 || !isASCII(c.ID) || seen[c.ID] {
				return nil, fmt.Errorf("%w: chapter %d: element ID %q must be unique, non-empty ASCII", ErrID3, i+1, c.ID)
			}
			seen[c.ID] = true
			if c.Start < 0 || c.End <= c.Start || c.Start < prevEnd || c.End/time.Millisecond > 0xFFFFFFFE {
				return nil, fmt.Errorf("%w: chapter %d %q: times %v-%v out of order", ErrID3, i+1, c.Title, c.Start, c.End)
			}
			prevEnd = c.End
			toc.WriteString(c.ID)
			toc.WriteByte(0)
		}
		if t.Title != "" {
			writeFrame(&toc, v, "TIT2", textFrame(v, t.Title))
		}
		writeFrame(&frames, v, "CTOC", toc.Bytes())
		for _, c := range t.Chapters {
			var ch bytes.Buffer
			ch.WriteString(c.ID)
			ch.WriteByte(0)
			var b [16]byte
			binary.BigEndian.PutUint32(b[0:], uint32(c.Start/time.Millisecond))
			binary.BigEndian.PutUint32(b[4:], uint32(c.End/time.Millisecond))
			binary.BigEndian.PutUint32(b[8:], 0xFFFFFFFF) // byte offsets not used
			binary.BigEndian.PutUint32(b[12:], 0xFFFFFFFF)
			ch.Write(b[:])
			writeFrame(&ch, v, "TIT2", textFrame(v, c.Title))
			if c.URL != "" {
				if !isLatin1(c.URL) {
					return nil, fmt.Errorf("%w: chapter %q: URL %q is not ISO-8859-1 (percent-encode it)", ErrID3, c.Title, c.URL)
				}
				var u bytes.Buffer
				u.WriteByte(0) // ISO-8859-1 description
				u.WriteByte(0) // empty description
				u.Write(latin1(c.URL))
				writeFrame(&ch, v, "WXXX", u.Bytes())
			}
			writeFrame(&frames, v, "CHAP", ch.Bytes())
		}
	}
	size := frames.Len()
	if size >= 1<<28 {
		return nil, fmt.Errorf("%w: tag of %d bytes is too large", ErrID3, size)
	}
	out := make([]byte, 10, 10+size)
	copy(out, "ID3")
	out[3], out[4], out[5] = byte(v), 0, 0
	putSyncsafe(out[6:10], uint32(size))
	return append(out, frames.Bytes()...), nil
}

func writeFrame(b *bytes.Buffer, v int, id string, body []byte) {
	var h [10]byte
	copy(h[:4], id)
	if v == 4 {
		putSyncsafe(h[4:8], uint32(len(body)))
	} else {
		binary.BigEndian.PutUint32(h[4:8], uint32(len(body)))
	}
	b.Write(h[:])
	b.Write(body)
}

// textFrame encodes a text frame body: ISO-8859-1 when it fits, otherwise
// UTF-16 with BOM (v2.3) or UTF-8 (v2.4).
func textFrame(v int, s string) []byte {
	if isLatin1(s) {
		return append([]byte{0}, latin1(s)...)
	}
	if v == 4 {
		return append([]byte{3}, s...)
	}
	b := []byte{1, 0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isLatin1(s string) bool {
	for _, r := range s {
		if r > 0xFF || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}

func putSyncsafe(b []byte, n uint32) {
	b[0] = byte(n >> 21 & 0x7F)
	b[1] = byte(n >> 14 & 0x7F)
	b[2] = byte(n >> 7 & 0x7F)
	b[3] = byte(n & 0x7F)
}

func syncsafe(b []byte) uint32 {
	return uint32(b[0]&0x7F)<<21 | uint32(b[1]&0x7F)<<14 | uint32(b[2]&0x7F)<<7 | uint32(b[3]&0x7F)
}

// TagSize returns the total size of the ID3v2 tag at the start of b (header,
// frames, padding and footer), or 0 when b does not start with one.
func TagSize(b []byte) int {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] == 0xFF || b[4] == 0xFF ||
		b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return 0
	}
	n := 10 + int(syncsafe(b[6:10]))
	if b[5]&0x10 != 0 {
		n += 10
	}
	return n
}

// ParseTag reads the title, artist and chapters (ordered as the top-level
// CTOC lists them, else as stored) of an ID3v2.3/2.4 tag at the start of b.
// Unsynchronisation, compression and encryption are not supported.
func ParseTag(b []byte) (Tag, error) {
	n := TagSize(b)
	if n == 0 {
		return Tag{}, fmt.Errorf("%w: no ID3v2 header", ErrID3)
	}
	if n > len(b) {
		return Tag{}, fmt.Errorf("%w: tag of %d bytes in %d", ErrID3, n, len(b))
	}
	t := Tag{Version: int(b[3])}
	if t.Version != 3 && t.Version != 4 {
		return Tag{}, fmt.Errorf("%w: version 2.%d", ErrID3, t.Version)
	}
	if b[5]&0xC0 != 0 {
		return Tag{}, fmt.Errorf("%w: unsynchronised or extended headers are not supported", ErrID3)
	}
	chaps := map[string]Chapter{}
	var stored, toc []string
	err := walkFrames(t.Version, b[10:10+int(syncsafe(b[6:10]))], func(id string, body []byte) error {
		switch id {
		case "TIT2":
			t.Title = decodeText(body)
		case "TPE1":
			t.Artist = decodeText(body)
		case "CHAP":
			c, err := parseCHAP(t.Version, body)
			if err != nil {
				return err
			}
			chaps[c.ID] = c
			stored = append(stored, c.ID)
		case "CTOC":
			i := bytes.IndexByte(body, 0)
			if i < 0 || len(body) < i+3 {
				return fmt.Errorf("%w: short CTOC frame", ErrID3)
			}
			flags, cnt, rest := body[i+1], int(body[i+2]), body[i+3:]
			if flags&0x02 == 0 {
				return nil
			}
			for k := 0; k < cnt; k++ {
				j := bytes.IndexByte(rest, 0)
				if j < 0 {
					return fmt.Errorf("%w: CTOC entry %d is not terminated", ErrID3, k+1)
				}
				toc = append(toc, string(rest[:j]))
				rest = rest[j+1:]
			}
		}
		return nil
	})
	if err != nil {
		return Tag{}, err
	}
	order := stored
	if toc != nil {
		order = toc
	}
	for _, id := range order {
		c, ok := chaps[id]
		if !ok {
			return Tag{}, fmt.Errorf("%w: CTOC lists %q but there is no such CHAP", ErrID3, id)
		}
		t.Chapters = append(t.Chapters, c)
	}
	return t, nil
}

func walkFrames(v int, b []byte, fn func(id string, body []byte) error) error {
	for len(b) >= 10 && b[0] != 0 {
		id := string(b[:4])
		var size int
		if v == 4 {
			size = int(syncsafe(b[4:8]))
		} else {
			size = int(binary.BigEndian.Uint32(b[4:8]))
		}
		if size < 0 || 10+size > len(b) {
			return fmt.Errorf("%w: frame %q of %d bytes overruns the tag", ErrID3, id, size)
		}
		if err := fn(id, b[10:10+size]); err != nil {
			return err
		}
		b = b[10+size:]
	}
	return nil
}

func parseCHAP(v int, body []byte) (Chapter, error) {
	i := bytes.IndexByte(body, 0)
	if i < 0 || len(body) < i+17 {
		return Chapter{}, fmt.Errorf("%w: short CHAP frame", ErrID3)
	}
	c := Chapter{ID: string(body[:i])}
	c.Start = time.Duration(binary.BigEndian.Uint32(body[i+1:])) * time.Millisecond
	c.End = time.Duration(binary.BigEndian.Uint32(body[i+5:])) * time.Millisecond
	err := walkFrames(v, body[i+17:], func(id string, sub []byte) error {
		switch id {
		case "TIT2":
			c.Title = decodeText(sub)
		case "WXXX":
			if len(sub) < 1 {
				return fmt.Errorf("%w: empty WXXX in chapter %q", ErrID3, c.ID)
			}
			rest := sub[1:]
			if sub[0] == 1 || sub[0] == 2 { // UTF-16 description ends with 00 00
				for k := 0; k+1 < len(rest); k += 2 {
					if rest[k] == 0 && rest[k+1] == 0 {
						rest = rest[k+2:]
						break
					}
				}
			} else if j := bytes.IndexByte(rest, 0); j >= 0 {
				rest = rest[j+1:]
			}
			c.URL = string(bytes.TrimRight(rest, "\x00"))
		}
		return nil
	})
	return c, err
}

func decodeText(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	enc, s := b[0], b[1:]
	switch enc {
	case 1, 2:
		le := enc == 1
		if len(s) >= 2 && s[0] == 0xFF && s[1] == 0xFE {
			s, le = s[2:], true
		} else if len(s) >= 2 && s[0] == 0xFE && s[1] == 0xFF {
			s, le = s[2:], false
		}
		u := make([]uint16, 0, len(s)/2)
		for k := 0; k+1 < len(s); k += 2 {
			if le {
				u = append(u, uint16(s[k])|uint16(s[k+1])<<8)
			} else {
				u = append(u, uint16(s[k])<<8|uint16(s[k+1]))
			}
		}
		for len(u) > 0 && u[len(u)-1] == 0 {
			u = u[:len(u)-1]
		}
		return string(utf16.Decode(u))
	case 3:
		return strings.TrimRight(string(s), "\x00")
	}
	r := make([]rune, 0, len(s))
	for _, c := range bytes.TrimRight(s, "\x00") {
		r = append(r, rune(c))
	}
	return string(r)
}
