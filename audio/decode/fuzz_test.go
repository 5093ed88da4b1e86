package decode

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the MP3/WAV/FLAC sniffing, the MP3 frame
// scanner and LAME header parser, and a decoded window: errors are fine,
// panics and hangs are not.
func FuzzOpen(f *testing.F) {
	info := make([]byte, 417)
	copy(info, []byte{0xFF, 0xFB, 0x90, 0x64})
	copy(info[36:], "Info\x00\x00\x00\x0f")
	copy(info[36+8+4+4+100+4:], "LAME3.100")
	f.Add(append(append([]byte{}, info...), info...))
	f.Add([]byte("ID3\x03\x00\x00\x00\x00\x00\x05hello\xff\xfb\x90\x64"))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt "))
	f.Add([]byte("fLaC\x00\x00\x00\x22"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(p)
		if err != nil {
			return
		}
		defer s.Close()
		if s.Frames() < 0 || s.Rate() <= 0 {
			t.Fatalf("info %+v", s.Info())
		}
		w := make([]float32, 2000)
		_ = s.ReadAt(w, 0)
		_ = s.ReadAt(w, s.Frames()/2)
		_ = s.ReadAt(w, -1000)
	})
}
