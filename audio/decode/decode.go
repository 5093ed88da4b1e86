// Package decode reads a reference recording (the call app's recording that
// holds every voice) as mono float32 windows for alignment: MP3 through
// github.com/hajimehoshi/go-mp3, WAV/RF64 through package audio, FLAC through
// package audio/codec (libFLAC).
//
// MP3 windows are decoded on their own, seeking by frame: only the audio a
// window needs (plus a few warm-up frames) is decoded, so windows spread over
// an hour cost seconds, and separate windows decode in parallel. The encoder
// delay is read from the LAME header, so sample 0 is the first sample the
// encoder was given.
package decode

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// ErrUnsupported reports a file that is not MP3 (MPEG-1/2 layer III), WAV or
// FLAC.
var ErrUnsupported = errors.New("decode: unsupported audio file")

// Info describes an opened file.
type Info struct {
	Format   string // "mp3", "wav" or "flac"
	Rate     int
	Channels int
	Frames   int64 // samples per channel, encoder delay and padding removed
	// Delay is how many decoder output samples precede sample 0 (MP3
	// only: the info frame, the encoder delay and the decoder's 529).
	Delay int
	// DelaySource says where Delay came from: "LAME header", or "no LAME
	// header: info frame and decoder delay only" when the encoder's delay
	// is unknown. A constant delay of the reference does not change how
	// the hosts line up with each other: it shifts them all alike.
	DelaySource string
}

// Source is a decoded file read in windows, mixed to mono. Its methods are
// safe for concurrent use; it implements align.Signal.
type Source struct {
	info Info
	mp3  *mp3Source

	mu  sync.Mutex
	wav *audio.Reader
	buf []float32

	mono []float32 // FLAC: decoded whole
}

// Open opens path as MP3, WAV or FLAC, by its first bytes.
func Open(path string) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decode: open %q: %w", path, err)
	}
	head := make([]byte, 12)
	n, _ := io.ReadFull(f, head)
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("decode: close %q: %w", path, err)
	}
	head = head[:n]
	switch {
	case n >= 12 && (string(head[:4]) == "RIFF" || string(head[:4]) == "RF64") && string(head[8:12]) == "WAVE":
		return openWAV(path)
	case n >= 4 && string(head[:4]) == "fLaC":
		return openFLAC(path)
	case n >= 3 && string(head[:3]) == "ID3", n >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0:
		m, err := openMP3(path)
		if err != nil {
			return nil, err
		}
		s := &Source{mp3: m, info: Info{Format: "mp3", Rate: m.ix.rate, Channels: m.ix.channels, Frames: m.frames, Delay: m.delay}}
		s.info.DelaySource = "LAME header"
		if !m.ix.lame {
			s.info.DelaySource = "no LAME header: info frame and decoder delay only"
		}
		return s, nil
	}
	return nil, unsupported(path, head)
}

// otherFormats are audio files podmark does not read that editors are
// handed (Zoom saves calls as M4A, browser recorders as WebM or Ogg), by
// their first bytes: the error names what the file is and how to convert it.
var otherFormats = []struct {
	name  string
	match func(head []byte) bool
}{
	{"an MP4/M4A file (AAC audio, as Zoom saves calls)", func(h []byte) bool { return len(h) >= 8 && string(h[4:8]) == "ftyp" }},
	{"a WebM/Matroska file (Opus audio, as browser recorders save)", func(h []byte) bool { return len(h) >= 4 && string(h[:4]) == "\x1a\x45\xdf\xa3" }},
	{"an Ogg file (Opus or Vorbis audio)", func(h []byte) bool { return len(h) >= 4 && string(h[:4]) == "OggS" }},
	{"an AIFF file", func(h []byte) bool {
		return len(h) >= 12 && string(h[:4]) == "FORM" && (string(h[8:12]) == "AIFF" || string(h[8:12]) == "AIFC")
	}},
	{"a Core Audio (CAF) file", func(h []byte) bool { return len(h) >= 4 && string(h[:4]) == "caff" }},
	{"a Windows Media (WMA) file", func(h []byte) bool { return len(h) >= 4 && string(h[:4]) == "\x30\x26\xb2\x75" }},
}

// unsupported is the error for a file that is none of MP3, WAV and FLAC:
// it says what the file is when its first bytes tell, and how to convert it.
func unsupported(path string, head []byte) error {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	for _, f := range otherFormats {
		if f.match(head) {
			flac := strings.TrimSuffix(path, filepath.Ext(path)) + ".flac"
			if strings.EqualFold(ext, "flac") {
				flac = strings.TrimSuffix(path, filepath.Ext(path)) + "-converted.flac"
			}
			return fmt.Errorf("decode: %q is %s; podmark reads MP3, WAV/RF64 and FLAC: convert it first (for example: ffmpeg -i %q %q): %w",
				path, f.name, path, flac, ErrUnsupported)
		}
	}
	return fmt.Errorf("decode: %q (%s): not MP3, WAV or FLAC: %w", path, ext, ErrUnsupported)
}

func openWAV(path string) (*Source, error) {
	r, err := audio.OpenWAV(path)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	in := r.Info()
	return &Source{wav: r, info: Info{Format: "wav", Rate: int(in.Rate), Channels: in.Channels, Frames: in.Frames}}, nil
}

func openFLAC(path string) (*Source, error) {
	r, err := codec.OpenFLAC(path)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	in := r.Info()
	s := &Source{info: Info{Format: "flac", Rate: int(in.Rate), Channels: in.Channels}}
	scale := 1 / float32(int64(1)<<(in.Bits-1))
	buf := make([]int32, 8192*in.Channels)
	mono := make([]float32, 0, in.Frames)
	for {
		n, err := r.ReadInt32(buf)
		for i := 0; i+in.Channels <= n; i += in.Channels {
			var v float32
			for c := 0; c < in.Channels; c++ {
				v += float32(buf[i+c])
			}
			mono = append(mono, v*scale/float32(in.Channels))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("decode: %w", err), r.Close())
		}
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	s.mono = mono
	s.info.Frames = int64(len(mono))
	return s, nil
}

// Info describes the file.
func (s *Source) Info() Info { return s.info }

// Rate is the sample rate in Hz.
func (s *Source) Rate() int { return s.info.Rate }

// Frames is the length in samples per channel.
func (s *Source) Frames() int64 { return s.info.Frames }

// ReadAt fills dst with the mono mix of frames frame .. frame+len(dst);
// frames outside the file read as silence.
func (s *Source) ReadAt(dst []float32, frame int64) error {
	switch {
	case s.mp3 != nil:
		return s.mp3.readMono(dst, frame)
	case s.wav != nil:
		return s.readWAV(dst, frame)
	}
	for i := range dst {
		j := frame + int64(i)
		if j < 0 || j >= int64(len(s.mono)) {
			dst[i] = 0
		} else {
			dst[i] = s.mono[j]
		}
	}
	return nil
}

func (s *Source) readWAV(dst []float32, frame int64) error {
	clear(dst)
	lo := max(frame, 0)
	hi := min(frame+int64(len(dst)), s.info.Frames)
	if lo >= hi {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wav == nil {
		return fmt.Errorf("decode: read after close: %w", os.ErrClosed)
	}
	if err := s.wav.SeekFrame(lo); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	ch := s.info.Channels
	if len(s.buf) < 8192*ch {
		s.buf = make([]float32, 8192*ch)
	}
	i := lo - frame
	for lo < hi {
		want := min(int64(8192), hi-lo)
		n, err := s.wav.ReadFloat32(s.buf[:want*int64(ch)])
		for k := 0; k+ch <= n; k += ch {
			var v float32
			for c := 0; c < ch; c++ {
				v += s.buf[k+c]
			}
			dst[i] = v / float32(ch)
			i++
		}
		lo += int64(n / ch)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
	}
	return nil
}

// Close releases the file.
func (s *Source) Close() error {
	if s.mp3 != nil {
		if err := s.mp3.f.Close(); err != nil {
			return fmt.Errorf("decode: close %q: %w", s.mp3.name, err)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wav != nil {
		err := s.wav.Close()
		s.wav = nil
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
	}
	return nil
}
