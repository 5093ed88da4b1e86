package room

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkTrackComplete is the editor's work on one track once its
// manifest is in, after a show of 10 minutes and of 3 hours (24-bit mono
// at 48 kHz: 86 MB and 1.55 GB of audio already on disk): completing the
// WAV in place (header and trailer around the audio, sync, rename; the
// audio's hash carried along) against rebuilding it by copying and hashing
// the whole file, as pull did before Podmark-Data-Offset.
//
//	go test -run '^$' -bench TrackComplete -benchtime 3x ./app/room
func BenchmarkTrackComplete(b *testing.B) {
	for _, minutes := range []int64{10, 180} {
		frames := minutes * 60 * 48000
		dir := b.TempDir()
		h := &hostPull{host: "alice", dir: dir}
		if err := os.MkdirAll(filepath.Join(dir, "tracks"), 0o755); err != nil {
			b.Fatal(err)
		}
		header := make([]byte, 706) // as podmark writes it: RIFF, JUNK, bext, fmt, data
		copy(header, "RIFF")
		t := &trackPull{name: "alice-1", align: 3, off: int64(len(header)), sum: sha256.New()}
		t.data = h.partPath(t)
		pcmSum := sha256.New()
		f, err := os.Create(t.data)
		if err != nil {
			b.Fatal(err)
		}
		f.Write(header)
		chunk := make([]byte, 3<<20)
		rand.Read(chunk)
		for left := frames * 3; left > 0; left -= int64(len(chunk)) {
			n := min(left, int64(len(chunk)))
			f.Write(chunk[:n])
			pcmSum.Write(chunk[:n])
			t.sum.Write(chunk[:n])
		}
		f.Close()
		fileSum := sha256.New()
		fileSum.Write(header)
		m := Manifest{Frames: frames, Header: header, PCMSHA256: hex.EncodeToString(pcmSum.Sum(nil))}
		src, _ := os.Open(t.data)
		io.Copy(fileSum, io.NewSectionReader(src, int64(len(header)), frames*3))
		src.Close()
		m.FileSHA256 = hex.EncodeToString(fileSum.Sum(nil))
		m.Segments = []Segment{{N: 0, Start: 0, Frames: frames}} // rebuild reads m.Frames of audio
		wav := h.wavPath(t)

		b.Run(fmt.Sprintf("%dmin/in-place", minutes), func(b *testing.B) {
			for range b.N {
				if err := h.finishInPlace(t, m); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := os.Rename(wav, t.data); err != nil { // as it was before the manifest came
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
		b.Run(fmt.Sprintf("%dmin/rebuild", minutes), func(b *testing.B) {
			b.SetBytes(frames * 3)
			for range b.N {
				if err := h.rebuild(t, m); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// rebuild removed the audio's file: put it back for the next run
				if err := os.Rename(wav, t.data); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
