package export

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/audio/loudness"
)

// blockFrames is the chunk size of every audio pass.
const blockFrames = 16384

// track is one mono track of the session.
type track struct {
	src  string // path in the session folder
	name string // base name without extension, e.g. "alice-1"
	rel  string // session-relative path, slash separated
	info audio.Info
}

// trackDests are where a track job writes: the WAV copy and the FLAC
// (either may be empty), and the track's progressive hand-off segments
// (progressive.go; nil when there are none to reuse).
type trackDests struct {
	wav, flac string
	prog      *progressive
}

// trackOut is what a track job made.
type trackOut struct {
	wav, flac File
	loud      *loudness.Result // nil for a track of more than two channels
	warning   string           // a hand-off that could not be reused, or ""
}

// trackJob reads a recorded track once: it copies the file byte for byte
// into d.wav (BWF and RF64 chunks kept, hashed on the way), measures its
// loudness (a mono or stereo track) and makes d.flac: the track's
// progressive segments joined when their manifest's PCM hash matches the
// track (hashed in the same read), else libFLAC fed in the same read. The
// FLAC is then decoded back and compared sample for sample with the WAV,
// read through the audio package's reader (an independent path).
func trackJob(ctx context.Context, t track, d trackDests, done *atomic.Int64) (out trackOut, err error) {
	reuse := d.flac != "" && d.prog != nil
	spec := readSpec{wav: d.wav, measure: true, hash: reuse}
	if !reuse {
		spec.flac = d.flac
	}
	half := int64(1)
	if d.flac != "" {
		half = 2 // reading is the first half of the job, the check the second
	}
	pass, err := readTrack(ctx, t, spec, func(f int64) { done.Store(f / half) })
	if err != nil {
		return out, err
	}
	out.wav, out.loud = pass.wav, pass.loud
	if d.flac == "" {
		done.Store(t.info.Frames)
		return out, nil
	}
	segments := 0
	if reuse {
		segments, out.warning = joinProgressive(t, d, pass)
	}
	if reuse && segments == 0 {
		if err := encodeTrack(ctx, t, d.flac); err != nil {
			return out, err
		}
	}
	ref := t.src
	if d.wav != "" {
		ref = d.wav // the bundle's copy, just written and cached
	}
	check := func() error {
		return compareFLAC(ctx, ref, d.flac, func(f int64) { done.Store(t.info.Frames/2 + f/2) })
	}
	err = check()
	if segments > 0 && errors.Is(err, ErrMismatch) {
		// The segments held other audio than their manifest says: encode.
		out.warning = fmt.Sprintf("%s: the progressive FLAC segments do not decode to the track (%v); FLAC encoded afresh", t.rel, err)
		segments = 0
		if err = encodeTrack(ctx, t, d.flac); err == nil {
			err = check()
		}
	}
	if err != nil {
		return out, err
	}
	size, sum, err := hashFile(d.flac)
	if err != nil {
		return out, err
	}
	done.Store(t.info.Frames)
	out.flac = audioFile(t, "flac", size, sum, t.info.Channels, t.info.Format.String())
	out.flac.ReusedSegments = segments
	return out, nil
}

// joinProgressive writes d.flac as the join of the track's hand-off
// segments when the PCM hash of pass matches their manifest. It returns
// the segments joined (0 when it did not join, the FLAC left to encode)
// and a warning saying why a hand-off present was not used.
func joinProgressive(t track, d trackDests, pass readResult) (int, string) {
	if pass.pcmSHA256 != d.prog.man.PCMSHA256 {
		return 0, fmt.Sprintf("%s: changed after its progressive FLAC segments were made (PCM SHA-256 differs from %s); FLAC encoded afresh", t.rel, HandoffDir+"/")
	}
	n, err := codec.JoinFLACFiles(d.flac, d.prog.segs, pass.md5)
	if err == nil && n != t.info.Frames {
		err = fmt.Errorf("the segments hold %d frames, the track %d", n, t.info.Frames)
	}
	if err != nil {
		os.Remove(d.flac)
		return 0, fmt.Sprintf("%s: progressive FLAC segments not reused (%v); FLAC encoded afresh", t.rel, err)
	}
	return len(d.prog.segs), ""
}

// encodeTrack encodes the track into flacDst in a read of its own: the
// fallback when its progressive segments could not be used.
func encodeTrack(ctx context.Context, t track, flacDst string) error {
	if err := os.Remove(flacDst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("export: %w", err)
	}
	_, err := readTrack(ctx, t, readSpec{flac: flacDst}, func(int64) {})
	return err
}

// readSpec says what one read of a track does.
type readSpec struct {
	wav, flac string // copy the file to wav, encode its samples to flac ("" for neither)
	measure   bool   // measure the loudness (of a mono or stereo track)
	hash      bool   // hash the PCM: SHA-256 and FLAC's MD5
}

// readResult is what one read of a track made.
type readResult struct {
	wav       File
	loud      *loudness.Result
	pcmSHA256 string   // hex, when hashed
	md5       [16]byte // when hashed
}

// trackSinks are the destinations of one read.
type trackSinks struct {
	out   *hashingFile
	enc   *codec.FLACWriter
	meter *loudness.Meter
	sha   hash.Hash
	md5   hash.Hash
}

// openSinks creates what spec asks for.
func openSinks(t track, spec readSpec) (s trackSinks, err error) {
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	if spec.measure && t.info.Channels <= 2 {
		if s.meter, err = loudness.NewMeter(int(t.info.Rate), t.info.Channels); err != nil {
			return s, fmt.Errorf("export: %s: %w", t.src, err)
		}
	}
	if spec.wav != "" {
		if s.out, err = createHashing(spec.wav); err != nil {
			return s, err
		}
	}
	if spec.flac != "" {
		if t.info.Format != audio.Int16 && t.info.Format != audio.Int24 {
			return s, fmt.Errorf("export: %s: FLAC needs 16- or 24-bit PCM, not %s", t.src, t.info.Format)
		}
		s.enc, err = codec.CreateFLAC(spec.flac, codec.FLACOptions{Rate: t.info.Rate, Channels: t.info.Channels, Bits: int(t.info.Format), TotalFrames: t.info.Frames})
		if err != nil {
			return s, fmt.Errorf("export: %w", err)
		}
	}
	if spec.hash {
		s.sha, s.md5 = sha256.New(), md5.New()
	}
	return s, nil
}

// abort releases whatever is still open, after an error.
func (s *trackSinks) abort() {
	if s.out != nil {
		s.out.f.Close()
	}
	if s.enc != nil {
		s.enc.Close()
	}
	if s.meter != nil {
		s.meter.Close()
	}
}

// readTrack is one read of the track through the sinks spec asks for;
// progress gets the frames read so far.
func readTrack(ctx context.Context, t track, spec readSpec, progress func(int64)) (res readResult, err error) {
	in, err := os.Open(t.src)
	if err != nil {
		return res, fmt.Errorf("export: open %q: %w", t.src, err)
	}
	defer in.Close()
	s, err := openSinks(t, spec)
	if err != nil {
		return res, err
	}
	defer s.abort()
	if err := pumpTrack(ctx, t, in, &s, progress); err != nil {
		return res, err
	}
	return s.finish(t, spec)
}

// pumpTrack reads the whole file into the sinks.
func pumpTrack(ctx context.Context, t track, in io.Reader, s *trackSinks, progress func(int64)) error {
	blockAlign := int64(t.info.Format.BytesPerSample() * t.info.Channels)
	dataStart := t.info.DataOffset
	buf := make([]byte, 1<<20)
	pcm := newPCMSink(t, len(buf), s.enc, s.meter)
	pcm.sha, pcm.md5 = s.sha, s.md5
	var off int64 // file offset of buf[0]
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := in.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if s.out != nil {
				if _, err := s.out.Write(chunk); err != nil {
					return err
				}
			}
			if err := pcm.write(chunk, off); err != nil {
				return err
			}
			off += int64(n)
			progress(min(max(off-dataStart, 0)/blockAlign, t.info.Frames))
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("export: read %q: %w", t.src, rerr)
		}
	}
}

// finish closes the sinks in order and collects their results.
func (s *trackSinks) finish(t track, spec readSpec) (res readResult, err error) {
	if s.out != nil {
		size, sum, err := s.out.close()
		s.out = nil
		if err != nil {
			return res, err
		}
		res.wav = audioFile(t, "wav", size, sum, t.info.Channels, t.info.Format.String())
	}
	if s.meter != nil {
		r, err := s.meter.Result()
		if err != nil {
			return res, fmt.Errorf("export: %s: %w", t.src, err)
		}
		res.loud = &r
	}
	if s.sha != nil {
		res.pcmSHA256 = hex.EncodeToString(s.sha.Sum(nil))
		copy(res.md5[:], s.md5.Sum(nil))
	}
	if s.enc != nil {
		err := s.enc.Close()
		s.enc = nil
		if err != nil {
			return res, fmt.Errorf("export: %w", err)
		}
		if err := syncFile(spec.flac); err != nil {
			return res, err
		}
	}
	return res, nil
}

// pcmSink takes a track file's bytes as they are read and passes the
// samples of its data chunk to the FLAC encoder and the loudness meter
// (either may be nil), carrying a frame split between two reads.
type pcmSink struct {
	t                  track
	enc                *codec.FLACWriter
	meter              *loudness.Meter
	sha, md5           hash.Hash // the data chunk's bytes, when the track is hashed
	bps                int
	blockAlign         int64
	dataStart, dataEnd int64
	samples            []int32
	floats             []float32
	carry              []byte
}

func newPCMSink(t track, bufLen int, enc *codec.FLACWriter, meter *loudness.Meter) *pcmSink {
	bps := t.info.Format.BytesPerSample()
	p := &pcmSink{t: t, enc: enc, meter: meter, bps: bps, blockAlign: int64(bps * t.info.Channels),
		dataStart: t.info.DataOffset, samples: make([]int32, bufLen/bps+64)}
	p.dataEnd = p.dataStart + t.info.Frames*p.blockAlign
	p.floats = make([]float32, len(p.samples))
	return p
}

// write takes chunk, read at file offset off.
func (p *pcmSink) write(chunk []byte, off int64) error {
	if p.enc == nil && p.meter == nil && p.sha == nil {
		return nil
	}
	lo, hi := max(p.dataStart, off), min(p.dataEnd, off+int64(len(chunk)))
	if lo >= hi {
		return nil
	}
	data := chunk[lo-off : hi-off]
	if p.sha != nil {
		p.sha.Write(data)
		p.md5.Write(data) // FLAC's MD5 is over the samples as little-endian bytes: the 16/24-bit data itself
	}
	if len(p.carry) > 0 {
		data = append(p.carry, data...)
		p.carry = nil
	}
	whole := len(data) - len(data)%int(p.blockAlign)
	if p.enc != nil {
		k := unpackPCM(p.samples, data[:whole], p.bps)
		if err := p.enc.WriteInt32(p.samples[:k]); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if p.meter != nil {
		k := pcmToFloat(p.floats, data[:whole], p.t.info.Format)
		if err := p.meter.Write(p.floats[:k]); err != nil {
			return fmt.Errorf("export: %s: %w", p.t.src, err)
		}
	}
	p.carry = append([]byte(nil), data[whole:]...)
	return nil
}

// unpackPCM converts little-endian 16- or 24-bit PCM bytes to integer samples.
func unpackPCM(dst []int32, b []byte, bps int) int {
	n := len(b) / bps
	if bps == 2 {
		for i := 0; i < n; i++ {
			dst[i] = int32(int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8))
		}
		return n
	}
	for i := 0; i < n; i++ {
		j := 3 * i
		dst[i] = int32(uint32(b[j])<<8|uint32(b[j+1])<<16|uint32(b[j+2])<<24) >> 8
	}
	return n
}

// pcmToFloat converts little-endian PCM bytes (16-, 24-bit or 32-bit
// float) to float32 samples in -1..1.
func pcmToFloat(dst []float32, b []byte, f audio.SampleFormat) int {
	switch f {
	case audio.Int16:
		n := len(b) / 2
		for i := 0; i < n; i++ {
			dst[i] = float32(int16(uint16(b[2*i])|uint16(b[2*i+1])<<8)) / (1 << 15)
		}
		return n
	case audio.Int24:
		n := len(b) / 3
		for i := 0; i < n; i++ {
			j := 3 * i
			dst[i] = float32(int32(uint32(b[j])<<8|uint32(b[j+1])<<16|uint32(b[j+2])<<24)>>8) / (1 << 23)
		}
		return n
	default:
		n := len(b) / 4
		for i := 0; i < n; i++ {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return n
	}
}

func audioFile(t track, format string, size int64, sum string, ch int, bits string) File {
	r := t.info.Rate
	return File{Role: RoleTrack, Format: format, Size: size, SHA256: sum,
		Duration: r.Seconds(t.info.Frames), Rate: int(r), Channels: ch, Bits: bits,
		Frames: t.info.Frames, Timeline: "recording", Source: t.rel}
}

// ErrMismatch reports a FLAC file whose decoded samples differ from its WAV.
var ErrMismatch = errors.New("export: FLAC does not decode to the recorded samples")

// compareFLAC decodes flacPath and compares it sample for sample with the WAV
// at wavPath (libFLAC also checks every frame CRC and the MD5 signature).
func compareFLAC(ctx context.Context, wavPath, flacPath string, progress func(frames int64)) error {
	wr, err := audio.OpenWAV(wavPath)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer wr.Close()
	// Every sample is compared, so the decoder's MD5 check (half its
	// time) would add nothing; frame CRCs are still checked.
	fr, err := codec.OpenFLACWith(flacPath, codec.FLACReadOptions{NoMD5: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer fr.Close()
	wi, fi := wr.Info(), fr.Info()
	if wi.Channels != fi.Channels || int(wi.Rate) != int(fi.Rate) || fi.Frames != wi.Frames {
		return fmt.Errorf("%w: %s: %d Hz %d ch %d frames, WAV has %d Hz %d ch %d frames",
			ErrMismatch, filepath.Base(flacPath), fi.Rate, fi.Channels, fi.Frames, wi.Rate, wi.Channels, wi.Frames)
	}
	a := make([]int32, blockFrames*wi.Channels)
	b := make([]int32, len(a))
	var pos int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, werr := readFull(wr.ReadInt32, a)
		m, ferr := readFull(fr.ReadInt32, b)
		if werr != nil && werr != io.EOF {
			return fmt.Errorf("export: read %q: %w", wavPath, werr)
		}
		if ferr != nil && ferr != io.EOF {
			return fmt.Errorf("export: %w", ferr)
		}
		if n != m {
			return fmt.Errorf("%w: %s ends at frame %d, the WAV at %d", ErrMismatch, filepath.Base(flacPath), pos+int64(m/wi.Channels), pos+int64(n/wi.Channels))
		}
		for i := 0; i < n; i++ {
			if a[i] != b[i] {
				return fmt.Errorf("%w: %s: frame %d channel %d is %d, the WAV has %d", ErrMismatch, filepath.Base(flacPath), pos+int64(i/wi.Channels), i%wi.Channels+1, b[i], a[i])
			}
		}
		pos += int64(n / wi.Channels)
		progress(pos)
		if n < len(a) {
			return nil
		}
	}
}

// readFull fills buf from read until it is full or the stream ends; it
// returns io.EOF only when nothing was read.
func readFull[T int32 | float32](read func([]T) (int, error), buf []T) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := read(buf[n:])
		n += m
		if err == io.EOF {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}
