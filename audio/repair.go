package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ErrTooLarge reports a RIFF file whose data outgrew 32-bit sizes and has no
// reserved JUNK chunk to become RF64.
var ErrTooLarge = errors.New("audio: WAV data exceeds 4 GiB and there is no JUNK chunk to make it RF64")

// RepairReport says what RepairWAV found and did.
type RepairReport struct {
	Path      string
	Frames    int64 // whole frames in the repaired file
	DataBytes int64 // sample bytes kept (Frames × block align)
	TornBytes int64 // bytes of a partial final frame that were cut off
	RF64      bool
	Changed   bool // false when the file was already consistent
}

// RepairWAV makes the header of a WAV file left by a crash agree with the
// samples on disk: the RIFF, data and fact sizes (or the ds64 chunk) are
// rewritten from the real data length, and a torn partial final frame is cut
// off; whole frames are never discarded. Running it twice changes nothing the
// second time. The file is fsynced before RepairWAV returns.
func RepairWAV(path string) (RepairReport, error) {
	rep := RepairReport{Path: path}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return rep, fmt.Errorf("audio: repair %q: %w", path, err)
	}
	err = repair(f, path, &rep)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("audio: repair %q: %w", path, cerr)
	}
	return rep, err
}

func repair(f *os.File, path string, rep *RepairReport) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audio: repair %q: %w", path, err)
	}
	size := st.Size()
	l, err := parseWAV(f, size, fmt.Sprintf("%q", path))
	if err != nil {
		return err
	}
	ba := int64(l.blockAlign)
	frames := l.dataBytes / ba
	keep := frames * ba
	rep.Frames, rep.DataBytes = frames, keep
	if l.dataIsLast {
		rep.TornBytes = l.dataBytes - keep
	}
	before := make([]byte, l.dataOff)
	if _, err := f.ReadAt(before, 0); err != nil {
		return fmt.Errorf("audio: repair %q: read header: %w", path, err)
	}
	hdr := bytes.Clone(before)
	newSize := size
	if l.dataIsLast {
		newSize = l.dataOff + keep + keep%2
	}
	le := binary.LittleEndian
	riff := newSize - 8
	sizeField := keep // the data chunk's stated size
	if !l.dataIsLast {
		// Chunks follow the samples: their position fixes the data size,
		// even when it is not a whole number of frames.
		sizeField = l.dataBytes
	}
	needRF64 := l.rf64 || riff > maxU32 || sizeField > maxU32
	switch {
	case needRF64:
		ds := l.ds64Off
		if ds == 0 {
			if l.junkOff == 0 {
				return fmt.Errorf("audio: repair %q: %w", path, ErrTooLarge)
			}
			ds = l.junkOff
			copy(hdr[ds-8:], "ds64")
		}
		le.PutUint64(hdr[ds:], uint64(riff))
		le.PutUint64(hdr[ds+8:], uint64(sizeField))
		le.PutUint64(hdr[ds+16:], uint64(frames))
		copy(hdr[0:], "RF64")
		le.PutUint32(hdr[4:], maxU32)
		le.PutUint32(hdr[l.dataHdr+4:], maxU32)
		if l.factOff != 0 {
			le.PutUint32(hdr[l.factOff:], maxU32)
		}
		rep.RF64 = true
	default:
		le.PutUint32(hdr[4:], uint32(riff))
		le.PutUint32(hdr[l.dataHdr+4:], uint32(sizeField))
		if l.factOff != 0 {
			le.PutUint32(hdr[l.factOff:], uint32(frames))
		}
	}
	if newSize == size && bytes.Equal(hdr, before) {
		return nil
	}
	rep.Changed = true
	if newSize != size {
		// Only a torn partial frame is cut; a pad byte is added after an
		// odd-sized data chunk.
		if err := f.Truncate(l.dataOff + keep); err != nil {
			return fmt.Errorf("audio: repair %q: %w", path, err)
		}
		if keep%2 == 1 {
			if _, err := f.WriteAt([]byte{0}, l.dataOff+keep); err != nil {
				return fmt.Errorf("audio: repair %q: %w", path, err)
			}
		}
	}
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return fmt.Errorf("audio: repair %q: write header: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audio: repair %q: %w", path, err)
	}
	return nil
}
