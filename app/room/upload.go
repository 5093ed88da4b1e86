package room

// The host side of the progressive hand-off (handoff.go, docs/room.md
// "Progressive hand-off"). The uploader never touches the capture path: it
// reads only what the recorder's writer has already put into the track files
// (the file size, never the writer's counters or buffers), through its own
// read-only file handles, on its own goroutines.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// DefaultUploadKbps is the default cap of the upload, in kbit/s: well under
// a home uplink, so the call app keeps its share.
const DefaultUploadKbps = 2000

// HandoffDir is the folder of a session that keeps the local copy of every
// segment (HandoffDir + "/" + SegmentObject(track, n)) and of every track's
// manifest (HandoffDir + "/" + ManifestObject(track)), exactly as put.
const HandoffDir = "handoff"

// UploadChunk is the object store chunk size of the hand-off: 32 KiB
// messages leave the link in short bursts (about 130 ms apart at the
// default cap), so the call app never waits behind a long one.
const UploadChunk = 32 << 10

// ErrUpload reports an upload that cannot run (a watcher's client, a
// session folder that cannot be read).
var ErrUpload = errors.New("room: upload")

// UploadOptions tune an Uploader.
type UploadOptions struct {
	// Kbps caps the upload in kbit/s (1000 bit/s); 0 = no cap. Callers
	// pass DefaultUploadKbps unless the user chose another.
	Kbps int
	// Log tells the user about a problem (a refused put, the relay out of
	// reach); called from the uploader's goroutines.
	Log func(msg string)
	// Poll is how often the track files are looked at; 0 = 250 ms. While
	// the session is recorded by this process (session.Running), the
	// uploader looks when the session says another segment is on disk or
	// its state changed (session.Session.Watch), and otherwise only every
	// WatchPoll.
	Poll time.Duration
	// MetaEvery is how often session.json, the journal and the room record
	// are put again while recording, when they changed; 0 = 10 s.
	MetaEvery time.Duration
	// Replicas of the bucket when this podmark creates it; 0 = 1.
	Replicas int
}

// Uploader sends one session folder to its host's bucket: segments as the
// recording grows, then manifests, the final session.json, journal and room
// record, and UploadDone; then it checks the relay's copy. Its methods are
// concurrent-safe.
type Uploader struct {
	c      *Client
	dir    string
	opt    UploadOptions
	bucket string
	lim    *rate.Limiter // nil = no cap

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}    // closed when verified (or the uploader ended)
	wake   chan struct{}    // the encoder has new segments
	online context.Context  // the sender's: ends with ctx or when the link is lost
	live   *session.Session // the recording of dir in this process, or nil

	// The encoder goroutine's buffers, reused from segment to segment.
	pcmBuf []byte
	intBuf []int32
	// The sender goroutine's: the segment being put.
	segBuf []byte

	mu        sync.Mutex
	st        Upload
	tracks    []*upTrack
	rate      int
	final     bool // every track's last segment is encoded and manifests are built
	sessState session.State
	err       error
}

// upTrack is one track file as the uploader sees it.
type upTrack struct {
	file    string // path in the session ("tracks/alice-1.wav")
	name    string // "alice-1"
	path    string // on disk
	f       *os.File
	dataOff int64
	align   int64
	format  audio.SampleFormat
	rate    int

	avail  int64        // frames committed to the file
	segs   []Segment    // encoded locally, in order
	sizes  []int64      // local object sizes
	acked  int          // segments the relay acknowledged, from 0
	done   bool         // the last segment is encoded
	man    *Manifest    // built once done
	manRaw []byte       // its JSON, as put
	remote map[int]bool // segments already in the bucket when the upload (re)started

	// The SHA-256 of the audio of the segments encoded so far, in order
	// (the encoder's goroutine only): the manifest's PCMSHA256 without
	// reading the track again at Stop. nil once it cannot be carried on
	// (recover cut into an encoded segment).
	pcmSum  hash.Hash
	pcmSumd int64 // frames it covers

	dataOffHdr atomic.Int64 // dataOff for the sender's Podmark-Data-Offset (the encoder reopens the file)
}

// StartUpload starts uploading the session folder dir through c (a host's
// client, not a watcher's) and returns at once. It follows the recording
// while it runs and finishes by itself once the session is finalized
// (stopped, failed or recovered); Done is closed when everything is sent
// and verified. ctx ends it early (Close does too); what was sent stays in
// the bucket and a later StartUpload resumes from there.
func StartUpload(ctx context.Context, c *Client, dir string, opt UploadOptions) (*Uploader, error) {
	if c.cfg.Watch {
		return nil, fmt.Errorf("%w: a watcher does not upload", ErrUpload)
	}
	if opt.Kbps < 0 {
		return nil, fmt.Errorf("%w: --upload-kbps %d: want 0 (no cap) or more", ErrUpload, opt.Kbps)
	}
	if opt.Poll <= 0 {
		opt.Poll = 250 * time.Millisecond
	}
	if opt.MetaEvery <= 0 {
		opt.MetaEvery = 10 * time.Second
	}
	if _, err := os.Stat(filepath.Join(dir, session.MetaFile)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpload, err)
	}
	u := &Uploader{c: c, dir: dir, opt: opt, bucket: c.names.UploadBucket(c.cfg.Host),
		done: make(chan struct{}), wake: make(chan struct{}, 1)}
	u.st = Upload{State: UploadSending, Kbps: opt.Kbps}
	if opt.Kbps > 0 {
		bps := float64(opt.Kbps) * 1000 / 8
		u.lim = rate.NewLimiter(rate.Limit(bps), limBurst)
	}
	u.ctx, u.cancel = context.WithCancel(ctx)
	u.live = session.Running(dir)
	u.wg.Add(2)
	go u.encoder()
	go u.sender()
	return u, nil
}

// limBurst is the token bucket's depth in bytes: one chunk, which the
// putter publishes as one message anyway (130 ms at the default cap).
// Each wait for tokens is a timer that wakes the Go runtime; waiting once
// per chunk rather than in smaller pieces puts the same bytes on the link
// at the same times.
const limBurst = UploadChunk

// WatchPoll is how often the uploader looks at the folder of a recording
// it watches (UploadOptions.Poll), in case it missed a signal. Watch never
// drops one (TestUploadWatchesLiveSession follows a recording with no look
// at all), so this is a last resort: at 5 s it came before nearly every
// segment's signal (5.46 s apart) and doubled the encoder's wake-ups.
const WatchPoll = 30 * time.Second

// Status is the upload's progress now.
func (u *Uploader) Status() Upload {
	u.mu.Lock()
	st := u.st
	final, rate := u.final, u.rate
	u.mu.Unlock()
	if u.live != nil && !final && rate > 0 {
		// Between looks at the folder, the recording's own count.
		if f := u.live.Frames(); f > st.Recorded {
			st.Recorded = f
			st.BehindMS = max(st.Recorded-st.Sent, 0) * 1000 / int64(rate)
		}
	}
	if st.State == UploadSending && u.c.Link() != LinkOnline {
		st.State = UploadWaiting
	}
	return st
}

// Done is closed when everything is sent and verified, or the uploader
// ended (Close, its context).
func (u *Uploader) Done() <-chan struct{} { return u.done }

// Wait blocks until everything is sent and verified (nil), or ctx ends.
func (u *Uploader) Wait(ctx context.Context) error {
	select {
	case <-u.done:
	case <-ctx.Done():
		return fmt.Errorf("room: upload not finished: %w", ctx.Err())
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.st.State != UploadVerified {
		if u.err != nil {
			return u.err
		}
		return fmt.Errorf("room: upload stopped before it was verified")
	}
	return nil
}

// Close stops the uploader and waits for its goroutines; what was not sent
// yet is sent by a later StartUpload on the same folder.
func (u *Uploader) Close() {
	u.cancel()
	u.wg.Wait()
	u.mu.Lock()
	for _, t := range u.tracks {
		if t.f != nil {
			t.f.Close()
			t.f = nil
		}
	}
	u.mu.Unlock()
}

func (u *Uploader) log(format string, a ...any) {
	if u.opt.Log != nil {
		u.opt.Log("upload: " + fmt.Sprintf(format, a...))
	}
}

func (u *Uploader) sleep(d time.Duration) bool {
	select {
	case <-u.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// fail ends the upload for good (a folder that cannot be read); the local
// recording is untouched.
func (u *Uploader) fail(err error) {
	u.mu.Lock()
	u.err = err
	u.st.State, u.st.Error = UploadFailed, OneLine(err.Error(), MaxTitle)
	u.mu.Unlock()
	u.log("%v; the local recording is fine, 'podmark upload %s' tries again", err, u.dir)
	u.cancel()
}

// ---- the encoder: cuts and encodes what the writer committed ----

func (u *Uploader) encoder() {
	defer u.wg.Done()
	poll := u.opt.Poll
	var changes <-chan struct{}
	if u.live != nil {
		// Watch before the first look: a change after it is signalled.
		ch, stop := u.live.Watch(SegmentFrames)
		defer stop()
		changes, poll = ch, max(poll, WatchPoll)
	}
	t := time.NewTimer(poll)
	defer t.Stop()
	for {
		finished, err := u.encodeOnce()
		if err != nil {
			u.fail(err)
			return
		}
		if finished {
			return
		}
		t.Reset(poll)
		select {
		case <-u.ctx.Done():
			return
		case <-changes:
		case <-t.C:
		}
	}
}

// encodeOnce looks at session.json and the track files once, encodes every
// segment that is complete, and, once the session is finalized, the last
// segments and the manifests. It reports whether everything is encoded.
func (u *Uploader) encodeOnce() (bool, error) {
	meta, err := session.Load(u.dir)
	if err != nil {
		return false, nil // being rewritten, or not there yet: look again
	}
	final := meta.State == session.StateStopped || meta.State == session.StateRecovered || meta.State == session.StateFailed
	if meta.State == session.StateCreated || len(meta.Tracks) == 0 {
		return false, nil
	}
	u.mu.Lock()
	u.sessState, u.rate = meta.State, meta.Rate
	haveTracks := u.tracks != nil
	u.mu.Unlock()
	if !haveTracks {
		ts, err := u.openTracks(meta)
		if err != nil {
			if final {
				return false, err
			}
			return false, nil // the files appear at Start
		}
		u.mu.Lock()
		u.tracks = ts
		u.mu.Unlock()
	}
	recorded := int64(-1)
	progressed := false
	for _, t := range u.tracks {
		if t.done {
			recorded = minFrames(recorded, t.avail)
			continue
		}
		if final {
			if err := u.reopenFinal(t); err != nil {
				return false, err
			}
		} else if err := t.refresh(); err != nil {
			return false, err
		}
		for {
			start := int64(len(t.segs)) * SegmentFrames
			n := min(SegmentFrames, t.avail-start)
			if n < SegmentFrames && !(final && n > 0) {
				break
			}
			if err := u.encodeSegment(t, len(t.segs), start, n); err != nil {
				return false, err
			}
			progressed = true
		}
		recorded = minFrames(recorded, t.avail)
	}
	if final {
		// The last segments go out while the finished files are hashed
		// for their manifests, every track at once.
		select {
		case u.wake <- struct{}{}:
		default:
		}
		if err := u.buildManifests(meta); err != nil {
			return false, err
		}
	}
	u.mu.Lock()
	u.st.Recorded = max(recorded, 0)
	if final {
		u.final = true
	}
	u.updateLocked()
	u.mu.Unlock()
	if progressed || final {
		select {
		case u.wake <- struct{}{}:
		default:
		}
	}
	return final, nil
}

func minFrames(a, b int64) int64 {
	if a < 0 || b < a {
		return b
	}
	return a
}

func (u *Uploader) openTracks(meta session.Meta) ([]*upTrack, error) {
	format, err := meta.Format()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUpload, session.MetaFile, err)
	}
	var ts []*upTrack
	for _, tr := range meta.Tracks {
		name := strings.TrimSuffix(path.Base(tr.File), path.Ext(tr.File))
		if err := CheckName("track", name); err != nil {
			return nil, fmt.Errorf("%w: track %s: %v", ErrUpload, tr.File, err)
		}
		t := &upTrack{file: tr.File, name: name, path: filepath.Join(u.dir, filepath.FromSlash(tr.File)), format: format, rate: meta.Rate, pcmSum: sha256.New()}
		if err := t.open(); err != nil {
			for _, o := range ts {
				o.f.Close()
			}
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// open opens the track read-only and learns where its samples start (the
// header's size never changes while the writer writes: JUNK becomes ds64
// in place).
func (t *upTrack) open() error {
	f, err := os.Open(t.path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	r, err := audio.NewReader(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	info := r.Info()
	if info.Channels != 1 || info.Format != t.format || int(info.Rate) != t.rate {
		f.Close()
		return fmt.Errorf("%w: %s: %d channel(s), %v, %d Hz: not what %s says", ErrUpload, t.path, info.Channels, info.Format, info.Rate, session.MetaFile)
	}
	t.f, t.dataOff, t.align = f, info.DataOffset, int64(t.format.BytesPerSample())
	t.dataOffHdr.Store(info.DataOffset)
	return nil
}

// refresh learns how many whole frames the writer has put into the file.
func (t *upTrack) refresh() error {
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	t.avail = max(t.avail, (fi.Size()-t.dataOff)/t.align)
	return nil
}

// reopenFinal reads the finalized file's header: its real frame count
// (recover may have added the capture queue's tail and cut a torn frame).
func (u *Uploader) reopenFinal(t *upTrack) error {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	if err := t.open(); err != nil {
		return err
	}
	r, err := audio.OpenWAV(t.path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	info := r.Info()
	r.Close()
	if info.DataOffset != t.dataOff {
		return fmt.Errorf("%w: %s: data moved from %d to %d", ErrUpload, t.path, t.dataOff, info.DataOffset)
	}
	if info.Frames < int64(len(t.segs))*SegmentFrames {
		// Recover cut a torn frame inside a segment already encoded: cut
		// again from there.
		keep := int(info.Frames / SegmentFrames)
		t.pcmSum = nil // it covers audio recover cut
		u.mu.Lock()
		t.segs, t.sizes = t.segs[:keep], t.sizes[:keep]
		t.acked = min(t.acked, keep)
		u.mu.Unlock()
	}
	t.avail = info.Frames
	return nil
}

// localPath is where segment or manifest object obj is kept on disk.
func (u *Uploader) localPath(obj string) string {
	return filepath.Join(u.dir, HandoffDir, filepath.FromSlash(obj))
}

// readPCM reads frames [start, start+n) of the track as stored in the WAV,
// into buf when it is large enough.
func (t *upTrack) readPCM(buf []byte, start, n int64) ([]byte, error) {
	b := grow(buf, int(n*t.align))
	if _, err := t.f.ReadAt(b, t.dataOff+start*t.align); err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrUpload, t.path, err)
	}
	return b, nil
}

// grow returns b resliced to n, or a new slice when b is too short.
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// encodeSegment cuts segment n of t and keeps it in HandoffDir: a FLAC
// stream (blocks of FLACBlock frames, SegmentLevel) or, for 32-bit float tracks,
// the raw bytes. A copy left by an earlier run is kept when it holds
// exactly these samples.
func (u *Uploader) encodeSegment(t *upTrack, n int, start, frames int64) error {
	pcm, err := t.readPCM(u.pcmBuf, start, frames)
	if err != nil {
		return err
	}
	u.pcmBuf = pcm
	sum := sha256.Sum256(pcm)
	seg := Segment{N: n, Start: start, Frames: frames, PCMSHA256: hex.EncodeToString(sum[:])}
	if t.pcmSum != nil && start == t.pcmSumd {
		t.pcmSum.Write(pcm)
		t.pcmSumd += frames
	}
	obj := SegmentObject(t.name, n)
	p := u.localPath(obj)
	if size, ok := localMatches(p, t.format, pcm, frames); ok {
		u.addSeg(t, seg, size)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	tmp := p + ".tmp"
	if t.format == audio.Float32 {
		err = writeFileSync(tmp, pcm)
	} else {
		u.intBuf = pcmInts(u.intBuf, t.format, pcm)
		err = encodeFLAC(tmp, t.rate, t.format, SegmentLevel, u.intBuf)
		if err == nil {
			err = syncPath(tmp) // libFLAC wrote it; on disk before it gets its name
		}
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	u.addSeg(t, seg, fi.Size())
	return nil
}

func (u *Uploader) addSeg(t *upTrack, seg Segment, size int64) {
	u.mu.Lock()
	t.segs = append(t.segs, seg)
	t.sizes = append(t.sizes, size)
	u.mu.Unlock()
}

// syncPath fsyncs the file at p: a segment renamed into place is complete
// on disk, so a power cut cannot leave one whose STREAMINFO passes the
// restart's check with its frames missing.
func syncPath(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	serr := f.Sync()
	if err := errors.Join(serr, f.Close()); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrUpload, p, err)
	}
	return nil
}

func writeFileSync(p string, b []byte) error {
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrUpload, p, err)
	}
	return nil
}

// SegmentCodec is the codec of a track's segments for its sample format.
func SegmentCodec(f audio.SampleFormat) string {
	if f == audio.Float32 {
		return CodecPCM
	}
	return CodecFLAC
}

// pcmInts turns 16- or 24-bit little-endian mono PCM into samples, in
// out when it is large enough.
func pcmInts(out []int32, f audio.SampleFormat, pcm []byte) []int32 {
	if f.BytesPerSample() == 2 {
		out = grow(out, len(pcm)/2)
		for i := range out {
			out[i] = int32(int16(binary.LittleEndian.Uint16(pcm[2*i:])))
		}
		return out
	}
	out = grow(out, len(pcm)/3)
	for i := range out {
		b := pcm[3*i : 3*i+3 : 3*i+3]
		out[i] = int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
	}
	return out
}

// encodeFLAC writes samples (mono) as a FLAC stream in blocks of FLACBlock
// frames at libFLAC level (codec.FLACOptions.Level) into the file p.
func encodeFLAC(p string, rate int, format audio.SampleFormat, level int, samples []int32) error {
	w, err := codec.CreateFLAC(p, codec.FLACOptions{Rate: audio.SampleRate(rate), Channels: 1, Bits: int(format),
		Level: level, BlockSize: FLACBlock, TotalFrames: int64(len(samples))})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	werr := w.WriteInt32(samples)
	if err := errors.Join(werr, w.Close()); err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	return nil
}

// localMatches reports whether the local segment at p holds exactly pcm:
// for FLAC its STREAMINFO frame count and MD5 signature (which libFLAC
// computes over the samples as little-endian bytes: for 16- and 24-bit mono
// the very bytes of the WAV), for PCM its bytes.
func localMatches(p string, f audio.SampleFormat, pcm []byte, frames int64) (int64, bool) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, false
	}
	if f == audio.Float32 {
		return int64(len(b)), bytes.Equal(b, pcm)
	}
	// fLaC, then the STREAMINFO block: 4-byte header, 34 bytes of body.
	if len(b) < 42 || string(b[:4]) != "fLaC" || b[4]&0x7f != 0 {
		return 0, false
	}
	si := b[8:42]
	total := int64(si[13]&0x0f)<<32 | int64(binary.BigEndian.Uint32(si[14:18]))
	sum := md5.Sum(pcm)
	return int64(len(b)), total == frames && bytes.Equal(si[18:34], sum[:])
}

// buildManifests builds the manifest of every track not done yet, side by
// side.
func (u *Uploader) buildManifests(meta session.Meta) error {
	errs := make([]error, len(u.tracks))
	var wg sync.WaitGroup
	for i, t := range u.tracks {
		if t.done {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = u.buildManifest(t, meta)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// buildManifest hashes the finalized track file and writes its manifest
// into HandoffDir (digests are filled in as the segments are acknowledged).
func (u *Uploader) buildManifest(t *upTrack, meta session.Meta) error {
	if t.done {
		return nil
	}
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpload, err)
	}
	dataEnd := t.dataOff + t.avail*t.align
	if fi.Size() < dataEnd {
		return fmt.Errorf("%w: %s: %d bytes, shorter than its %d frames", ErrUpload, t.path, fi.Size(), t.avail)
	}
	header := make([]byte, t.dataOff)
	if _, err := t.f.ReadAt(header, 0); err != nil {
		return fmt.Errorf("%w: read %s: %v", ErrUpload, t.path, err)
	}
	trailer := make([]byte, fi.Size()-dataEnd)
	if _, err := t.f.ReadAt(trailer, dataEnd); err != nil && len(trailer) > 0 {
		return fmt.Errorf("%w: read %s: %v", ErrUpload, t.path, err)
	}
	fileSum, pcmSum := sha256.New(), t.pcmSum
	var audioTo io.Writer = fileSum
	if pcmSum == nil || t.pcmSumd != t.avail { // not carried along: hash the audio here too
		pcmSum = sha256.New()
		audioTo = io.MultiWriter(fileSum, pcmSum)
	}
	fileSum.Write(header)
	if _, err := io.Copy(audioTo, io.NewSectionReader(t.f, t.dataOff, dataEnd-t.dataOff)); err != nil {
		return fmt.Errorf("%w: read %s: %v", ErrUpload, t.path, err)
	}
	fileSum.Write(trailer)
	u.mu.Lock()
	t.man = &Manifest{V: Version, Track: t.file, Codec: SegmentCodec(t.format), Rate: t.rate, Bits: meta.Bits, Channels: 1,
		Frames: t.avail, Header: header, Trailer: trailer,
		FileSHA256: hex.EncodeToString(fileSum.Sum(nil)), PCMSHA256: hex.EncodeToString(pcmSum.Sum(nil)),
		Recovered: meta.State == session.StateRecovered, UTC: time.Now().UTC()}
	if len(t.man.Trailer) == 0 {
		t.man.Trailer = nil
	}
	t.done = true
	u.mu.Unlock()
	return nil
}

// ---- the sender: puts what is encoded, resumes, verifies ----

func (u *Uploader) sender() {
	defer u.wg.Done()
	defer close(u.done)
	backoff := time.Second
	for u.ctx.Err() == nil {
		err := u.sendOnce()
		if err == nil {
			return // verified
		}
		if u.ctx.Err() != nil {
			return
		}
		u.mu.Lock()
		changed := u.st.State != UploadWaiting || u.st.Error != OneLine(err.Error(), MaxTitle)
		u.st.State, u.st.Error = UploadWaiting, OneLine(err.Error(), MaxTitle)
		u.mu.Unlock()
		if changed {
			u.log("%v; the relay is not taking it now, trying again (the local recording is fine)", err)
		}
		if !u.sleep(backoff) {
			return
		}
		backoff = min(backoff*2, 15*time.Second)
		if err := u.c.waitOnline(u.ctx); err != nil {
			return
		}
	}
}

// sendOnce binds the bucket, learns what it holds, and sends until
// everything is verified (nil) or something fails.
func (u *Uploader) sendOnce() error {
	if err := u.c.waitOnline(u.ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(u.ctx, 20*time.Second)
	obs, err := EnsureUploadBucket(ctx, u.c.js, u.c.names, u.c.cfg.Host, u.opt.Replicas)
	if err != nil {
		cancel()
		return err
	}
	held, err := listObjects(ctx, obs)
	cancel()
	if err != nil {
		return err
	}
	op, err := newObjPutter(u.c.nc, u.bucket)
	if err != nil {
		return err
	}
	defer op.Close()
	// One watch of the link for the whole attempt, not one per put (a
	// goroutine started and woken for each of about 65 objects a minute):
	// once the link is lost, the put in flight fails at once and so does
	// this attempt; the sender tries again when the link is back.
	online, stopOnline := u.c.whileOnline(u.ctx)
	defer stopOnline()
	u.online = online
	u.setState(UploadSending, "")
	metaSent := map[string]string{}
	for name, info := range held {
		metaSent[name] = info.Digest
	}
	// The resume point: every segment the bucket holds with the samples
	// this folder has is acknowledged; the rest is (re)sent.
	firstRun := true
	nextMeta := time.Now()
	for {
		u.mu.Lock()
		final := u.final
		tracks := u.tracks
		u.mu.Unlock()
		if firstRun && tracks != nil {
			u.mu.Lock()
			for _, t := range tracks {
				if t.remote == nil {
					t.remote = map[int]bool{}
					for name := range held {
						if n, ok := segmentIndex(t.name, name); ok {
							t.remote[n] = true
						}
					}
				}
			}
			u.mu.Unlock()
			firstRun = false
		}
		sent, err := u.sendSegments(op, held)
		if err != nil {
			return err
		}
		if final && !sent && u.allAcked() {
			return u.finish(obs, op, held, metaSent)
		}
		if time.Now().After(nextMeta) {
			if err := u.putMeta(op, held, metaSent); err != nil {
				return err
			}
			nextMeta = time.Now().Add(u.opt.MetaEvery)
		}
		if !sent {
			// Nothing to send until the encoder has more, or the
			// session files are due again.
			t := time.NewTimer(max(time.Until(nextMeta), 0))
			select {
			case <-u.ctx.Done():
				t.Stop()
				return u.ctx.Err()
			case <-online.Done():
				t.Stop()
				return errLinkLost
			case <-u.wake:
			case <-t.C:
			}
			t.Stop()
		}
	}
}

func (u *Uploader) setState(s UploadState, msg string) {
	u.mu.Lock()
	u.st.State, u.st.Error = s, msg
	u.mu.Unlock()
}

// segmentIndex parses n from SegmentObject(track, n).
func segmentIndex(track, obj string) (int, bool) {
	rest, ok := strings.CutPrefix(obj, "tracks/"+track+"/")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, ".seg")
	if !ok || len(num) != 6 {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n >= 0
}

// EnsureUploadBucket binds host's hand-off bucket, creating it when it is
// missing (an open relay; with --auth the relay creates it).
func EnsureUploadBucket(ctx context.Context, js jetstream.JetStream, n Names, host string, replicas int) (jetstream.ObjectStore, error) {
	name := n.UploadBucket(host)
	obs, err := js.ObjectStore(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: name, Description: "podmark hand-off of " + host + " in " + n.Show + "/" + n.Episode,
			Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			obs, err = js.ObjectStore(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("room: bucket %s: %w", name, err)
	}
	return obs, nil
}

func listObjects(ctx context.Context, obs jetstream.ObjectStore) (map[string]*jetstream.ObjectInfo, error) {
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return map[string]*jetstream.ObjectInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("room: list: %w", err)
	}
	m := make(map[string]*jetstream.ObjectInfo, len(infos))
	for _, i := range infos {
		m[i.Name] = i
	}
	return m, nil
}

func (u *Uploader) allAcked() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, t := range u.tracks {
		if !t.done || t.acked < len(t.segs) {
			return false
		}
	}
	return true
}

// sendSegments sends the next unacknowledged segment of each track, round
// robin (so every track advances together); it reports whether it sent or
// acknowledged any.
func (u *Uploader) sendSegments(op *objPutter, held map[string]*jetstream.ObjectInfo) (bool, error) {
	progressed := false
	u.mu.Lock()
	tracks := u.tracks
	u.mu.Unlock()
	for _, t := range tracks {
		u.mu.Lock()
		if t.acked >= len(t.segs) {
			u.mu.Unlock()
			continue
		}
		i := t.acked
		seg, size := t.segs[i], t.sizes[i]
		recovered := u.sessState == session.StateRecovered && !t.remote[i] && i > maxKey(t.remote)
		u.mu.Unlock()
		obj := SegmentObject(t.name, seg.N)
		info, err := u.putSegment(op, held, t, seg, size, obj, recovered)
		if err != nil {
			return progressed, err
		}
		u.mu.Lock()
		t.segs[i].Digest = info.Digest
		t.segs[i].Recovered = info.Headers.Get(HdrRecovered) == "1"
		t.acked++
		u.updateLocked()
		u.mu.Unlock()
		progressed = true
	}
	return progressed, u.ctx.Err()
}

func maxKey(m map[int]bool) int {
	k := -1
	for n := range m {
		k = max(k, n)
	}
	return k
}

// putSegment puts one segment unless the bucket holds it already with the
// same samples (resume), and returns the object's info.
func (u *Uploader) putSegment(op *objPutter, held map[string]*jetstream.ObjectInfo, t *upTrack, seg Segment, size int64, obj string, recovered bool) (*jetstream.ObjectInfo, error) {
	if info := held[obj]; info != nil && info.Headers.Get(HdrPCMSHA256) == seg.PCMSHA256 &&
		info.Headers.Get(HdrFrames) == strconv.FormatInt(seg.Frames, 10) && info.Size == uint64(size) {
		return info, nil
	}
	// Read whole (a few hundred KiB) into the sender's buffer: one system
	// call, not one per chunk, and no garbage per segment.
	b, err := u.readSegment(u.localPath(obj), size)
	if err != nil {
		return nil, err
	}
	h := nats.Header{}
	h.Set(HdrStart, strconv.FormatInt(seg.Start, 10))
	h.Set(HdrFrames, strconv.FormatInt(seg.Frames, 10))
	h.Set(HdrPCMSHA256, seg.PCMSHA256)
	h.Set(HdrCodec, SegmentCodec(t.format))
	h.Set(HdrDataOffset, strconv.FormatInt(t.dataOffHdr.Load(), 10))
	if recovered {
		h.Set(HdrRecovered, "1")
	}
	return u.put(op, held, jetstream.ObjectMeta{Name: obj, Headers: h}, b)
}

// readSegment reads the local segment file p, which must be size bytes,
// into the sender's buffer (valid until the next call).
func (u *Uploader) readSegment(p string, size int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpload, err)
	}
	defer f.Close()
	u.segBuf = grow(u.segBuf, int(size)+1)
	n, err := io.ReadFull(f, u.segBuf)
	if err != io.ErrUnexpectedEOF || int64(n) != size {
		if err == nil || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("not the %d bytes it had when encoded", size)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrUpload, p, err)
	}
	return u.segBuf[:n], nil
}

// put puts one object through the cap (objPutter), with a deadline that
// fits its size, and notes it in held. After a failure the sender lists
// the bucket again (sendOnce), so that a put whose acknowledgement was
// lost but which arrived is not sent twice.
func (u *Uploader) put(op *objPutter, held map[string]*jetstream.ObjectInfo, meta jetstream.ObjectMeta, data []byte) (*jetstream.ObjectInfo, error) {
	meta.Opts = &jetstream.ObjectMetaOptions{ChunkSize: UploadChunk}
	limit := 30 * time.Second
	if u.opt.Kbps > 0 {
		limit += 3 * time.Duration(float64(len(data))*8/float64(u.opt.Kbps*1000)*float64(time.Second))
	}
	ctx, cancel := context.WithTimeout(u.online, limit)
	defer cancel()
	info, err := op.Put(ctx, meta, data, u.lim, held[meta.Name])
	if err == nil {
		held[meta.Name] = info
		return info, nil
	}
	if u.ctx.Err() != nil {
		return nil, u.ctx.Err()
	}
	if u.online.Err() != nil {
		err = errLinkLost
	}
	return nil, fmt.Errorf("room: put %s: %w", meta.Name, err)
}

// metaObjects are the session's small files, put as they change.
var metaObjects = []string{ObjSession, ObjJournal, ObjRecord}

// putMeta puts session.json, the journal and the room record when they
// changed since they were last put (sent maps object → digest).
func (u *Uploader) putMeta(op *objPutter, held map[string]*jetstream.ObjectInfo, sent map[string]string) error {
	for _, obj := range metaObjects {
		b, err := os.ReadFile(filepath.Join(u.dir, filepath.FromSlash(obj)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUpload, err)
		}
		h := sha256.New()
		h.Write(b)
		d := jetstream.GetObjectDigestValue(h)
		if sent[obj] == d {
			continue
		}
		info, err := u.put(op, held, jetstream.ObjectMeta{Name: obj}, b)
		if err != nil {
			return err
		}
		sent[obj] = info.Digest
	}
	return nil
}

// finish puts the manifests, the final session files and UploadDone, and
// checks the relay's copy.
func (u *Uploader) finish(obs jetstream.ObjectStore, op *objPutter, held map[string]*jetstream.ObjectInfo, metaSent map[string]string) error {
	u.mu.Lock()
	tracks := u.tracks
	var names []string
	for _, t := range tracks {
		if t.manRaw == nil {
			for _, s := range t.segs {
				t.man.Recovered = t.man.Recovered || s.Recovered
			}
			t.man.Segments = append([]Segment(nil), t.segs...)
			b, err := json.MarshalIndent(t.man, "", " ")
			if err != nil {
				u.mu.Unlock()
				return fmt.Errorf("room: manifest %s: %w", t.name, err)
			}
			t.manRaw = append(b, '\n')
		}
		names = append(names, t.file)
	}
	state := u.sessState
	u.mu.Unlock()
	for _, t := range tracks {
		obj := ManifestObject(t.name)
		if err := os.MkdirAll(filepath.Dir(u.localPath(obj)), 0o755); err != nil {
			return fmt.Errorf("%w: %v", ErrUpload, err)
		}
		if err := writeFileSync(u.localPath(obj), t.manRaw); err != nil {
			return err
		}
		if held[obj] != nil && held[obj].Digest == digestOf(t.manRaw) {
			continue
		}
		if _, err := u.put(op, held, jetstream.ObjectMeta{Name: obj}, t.manRaw); err != nil {
			return err
		}
	}
	if err := u.putMeta(op, held, metaSent); err != nil {
		return err
	}
	if err := u.verify(obs); err != nil {
		return err
	}
	done, err := json.Marshal(UploadDone{V: Version, Host: u.c.cfg.Host, State: string(state), Tracks: names, UTC: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	if _, err := u.put(op, held, jetstream.ObjectMeta{Name: ObjDone}, done); err != nil {
		return err
	}
	u.mu.Lock()
	u.st.State, u.st.Error = UploadVerified, ""
	u.updateLocked()
	u.mu.Unlock()
	return nil
}

func digestOf(b []byte) string {
	h := sha256.New()
	h.Write(b)
	return jetstream.GetObjectDigestValue(h)
}

// ErrVerify reports a relay copy that differs from what was put.
var ErrVerify = errors.New("room: the relay's copy differs")

// verify reads back the relay's info of every segment and manifest and
// checks it against what was put: the object's SHA-256 digest and size,
// and a segment's frames and PCM hash headers, against the manifest. A
// mismatch drops the object from the acknowledged ones, so it is sent
// again.
func (u *Uploader) verify(obs jetstream.ObjectStore) error {
	ctx, cancel := context.WithTimeout(u.ctx, 60*time.Second)
	defer cancel()
	held, err := listObjects(ctx, obs)
	if err != nil {
		return err
	}
	var bad []string
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, t := range u.tracks {
		for i, s := range t.man.Segments {
			obj := SegmentObject(t.name, s.N)
			info := held[obj]
			switch {
			case info == nil:
				bad = append(bad, obj+" missing")
			case info.Digest != s.Digest || info.Size != uint64(t.sizes[i]) ||
				info.Headers.Get(HdrPCMSHA256) != s.PCMSHA256 || info.Headers.Get(HdrFrames) != strconv.FormatInt(s.Frames, 10):
				bad = append(bad, fmt.Sprintf("%s: digest %s size %d, want %s size %d", obj, info.Digest, info.Size, s.Digest, t.sizes[i]))
			default:
				continue
			}
			t.acked = min(t.acked, i) // send again from here
			t.manRaw = nil
		}
		obj := ManifestObject(t.name)
		if info := held[obj]; t.manRaw != nil && (info == nil || info.Digest != digestOf(t.manRaw)) {
			bad = append(bad, obj)
		}
	}
	if len(bad) > 0 {
		u.updateLocked()
		return fmt.Errorf("%w: %s", ErrVerify, strings.Join(bad, "; "))
	}
	return nil
}

// updateLocked recomputes Sent and BehindMS.
func (u *Uploader) updateLocked() {
	sent := int64(-1)
	for _, t := range u.tracks {
		var s int64
		for _, seg := range t.segs[:t.acked] {
			s += seg.Frames
		}
		sent = minFrames(sent, s)
	}
	u.st.Sent = max(sent, 0)
	if u.rate > 0 {
		u.st.BehindMS = max(u.st.Recorded-u.st.Sent, 0) * 1000 / int64(u.rate)
	}
}

// errLinkLost ends a send attempt when the link to the relay is lost.
var errLinkLost = errors.New("room: the link to the relay was lost")

// whileOnline returns a context that ends with ctx or as soon as the link
// to the relay is lost: a put in flight then fails at once (its
// acknowledgements would never come) rather than at its deadline.
func (c *Client) whileOnline(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for {
			c.mu.Lock()
			s, ch := c.link, c.linkCh
			c.mu.Unlock()
			if s != LinkOnline {
				cancel()
				return
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, cancel
}
