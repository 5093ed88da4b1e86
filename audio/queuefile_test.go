package audio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestQueueLayout: the Go reader of a queue file (queuefile.go) and the C
// queue agree on where everything is.
func TestQueueLayout(t *testing.T) {
	got := cQueueLayout(3, 1<<10, 1<<6)
	want := []uint64{qHeadSize, qOffTag, qOffClock, qOffFW, qOffFR, qOffCommits, commitSize, qBufSize, qFlagOverflow, qFlagDropped,
		qHeadSize + (1<<6)*qBufSize + (1<<10)*3*4}
	if !slices.Equal(got, want) {
		t.Fatalf("C layout %v, Go layout %v", got, want)
	}
	if qOffCommits+2*commitSize > qHeadSize || qOffBW != qOffFW+8 || qOffBR != qOffFR+8 {
		t.Fatal("the Go layout's offsets overlap")
	}
}

// rampFrames returns n interleaved frames of the ramp (RampValue) from
// stream frame k.
func rampFrames(k int64, n, ch int) []float32 {
	s := make([]float32, n*ch)
	for i := range n {
		for c := range ch {
			s[i*ch+c] = RampValue(k+int64(i), c)
		}
	}
	return s
}

// queueRig is a persistent capture queue (the C queue, in a file) fed as the
// stream callback feeds it, with a Recorder in the role of the writer: the
// test calls what writerLoop calls (drain the queue into the files, hand
// them to the OS, Commit) and "kills" it by
// dropping the writers' buffers and unmapping the queue.
type queueRig struct {
	t      *testing.T
	q      *CaptureQueue
	rec    *Recorder
	path   string
	tracks []string
	k      int64 // stream frame of the next frame fed
	lost   [][2]int64
}

const rigRate = 48000.0

func newQueueRig(t *testing.T, frames, buffers uint64) *queueRig {
	dir := t.TempDir()
	g := &queueRig{t: t, path: filepath.Join(dir, "podmark-test.queue"), tracks: trackPaths(dir, 2)}
	g.q = newTestFileQueue(2, rigRate, frames, buffers, true, g.path, "tag-1")
	rec, err := NewRecorder(RecorderConfig{Source: &manualSource{q: g.q}, Channels: 2, Rate: 48000, Format: Int24, Tracks: g.tracks})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.q.Persistent() || rec.idle != 950*time.Millisecond {
		t.Fatalf("a source with a persistent queue did not make the writer commit and wake every 0.95 s (%v)", rec.idle)
	}
	for _, p := range g.tracks {
		w, err := createNewWAV(p, WriterOptions{Rate: 48000, Channels: 1, Format: Int24, BEXT: &BEXT{Description: "rig"}})
		if err != nil {
			t.Fatal(err)
		}
		rec.writers = append(rec.writers, w)
	}
	g.rec = rec
	return g
}

// feed queues count buffers of n frames; the first skip frames are lost
// before them (never queued, as when JACK drops periods).
func (g *queueRig) feed(count, n int) {
	for range count {
		g.q.feed(rampFrames(g.k, n, 2), n, 3+float64(g.k)/rigRate, 0, false)
		g.k += int64(n)
	}
}

// poll has the writer read and write what is queued, as a wake-up does.
func (g *queueRig) poll() {
	if _, err := g.rec.drain(); err != nil {
		g.t.Fatal(err)
	}
}

// drain hands the writers' buffers to the OS.
func (g *queueRig) drain() {
	for _, w := range g.rec.writers {
		if err := w.drain(); err != nil {
			g.t.Fatal(err)
		}
	}
}

// commit drains and commits, as a wake-up does after polling.
func (g *queueRig) commit() {
	g.drain()
	g.q.Commit(g.rec.appendState(g.rec.stateBuf[:0]))
}

// unchanged fails unless the tracks hold before (fileBytes).
func (g *queueRig) unchanged(before [][]byte, what string) {
	g.t.Helper()
	if !slices.EqualFunc(before, fileBytes(g.t, g.tracks...), bytes.Equal) {
		g.t.Fatalf("%s changed the tracks", what)
	}
}

// kill leaves the files as a killed process would: what the writers had
// handed to the OS is there, their buffers and the header patches are not.
// drained says which writers handed over their buffers first.
func (g *queueRig) kill(drained ...bool) {
	for i, w := range g.rec.writers {
		if i < len(drained) && drained[i] {
			if err := w.drain(); err != nil {
				g.t.Fatal(err)
			}
		}
		if err := w.closer.Close(); err != nil {
			g.t.Fatal(err)
		}
	}
	g.q.free()
}

// want returns track c as the recording should hold it: the ramp over the
// stream frames fed, silence where frames were lost, paused frames left out.
func (g *queueRig) want(c int, pauses [][2]int64) []float32 {
	var out []float32
	for s := range g.k {
		if slices.ContainsFunc(pauses, func(p [2]int64) bool { return s >= p[0] && (p[1] < 0 || s < p[1]) }) {
			continue
		}
		v := RampValue(s, c)
		if slices.ContainsFunc(g.lost, func(l [2]int64) bool { return s >= l[0] && s < l[0]+l[1] }) {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

func (g *queueRig) replay(opt ReplayOptions) (ReplayReport, error) {
	if opt.Tag == "" {
		opt.Tag = "tag-1"
	}
	opt.Rate, opt.Format = 48000, Int24
	return ReplayQueue(g.path, g.tracks, opt)
}

func (g *queueRig) check(pauses [][2]int64) {
	g.t.Helper()
	for c, p := range g.tracks {
		info, got, err := ReadWAVFile(p)
		if err != nil {
			g.t.Fatal(err)
		}
		want := g.want(c, pauses)
		if info.Frames != int64(len(want)) {
			g.t.Fatalf("%s: %d frames after the replay, want %d", p, info.Frames, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				g.t.Fatalf("%s: frame %d = %v, want %v", p, i, got[i], want[i])
			}
		}
	}
}

func fileBytes(t *testing.T, paths ...string) [][]byte {
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestQueueReplay: a writer killed between commits leaves tracks that end
// somewhere after its last commit (one writer had handed its buffer to the
// OS, one had not); the replay writes everything the queue captured after
// the commit, exactly where the writer would have: the ramp continues frame
// for frame, frames the queue had to drop become silence with a glitch at
// the right frame (the source's clock is restored from the commit), and a
// pause is left out. A second replay changes nothing.
func TestQueueReplay(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	g.feed(5, 256)
	g.poll()
	g.commit() // at frame 1280
	g.feed(3, 256)
	g.poll() // written, not committed
	g.feed(13, 256)
	g.poll()
	g.commit() // at frame 5376: the queue is empty again, but JACK...
	g.feed(16, 256)
	// ...delivers 16 buffers while nobody polls: 4096 frames fit, the next
	// 256-frame period is lost, as JACK loses whole periods.
	g.q.feed(rampFrames(g.k, 256, 2), 256, 3+float64(g.k)/rigRate, 0, false)
	g.lost = append(g.lost, [2]int64{g.k, 256})
	g.k += 256
	g.poll()
	g.commit()
	g.feed(6, 256) // flagged as following an overflow, then more
	g.poll()
	g.feed(2, 100) // captured, never read
	g.kill(true, false)

	var gl glitchLog
	pauses := [][2]int64{{g.k - 1000, g.k - 900}}
	rep, err := g.replay(ReplayOptions{Pauses: pauses, OnGlitch: gl.add})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Committed || rep.FromFrame != 5376+4096 || rep.Buffers != 8 {
		t.Fatalf("replay report %+v", rep)
	}
	if got := gl.list(); len(got) != 1 || got[0] != [2]int64{5376 + 4096, 256} {
		t.Fatalf("glitches %v, want one of 256 frames at %d", got, 5376+4096)
	}
	g.check(pauses)
	before := fileBytes(t, g.tracks...)
	if _, err := g.replay(ReplayOptions{Pauses: pauses}); err != nil {
		t.Fatal(err)
	}
	g.unchanged(before, "a second replay")
	if err := RemoveQueue(g.path); err != nil {
		t.Fatal(err)
	}
	if err := RemoveQueue(g.path); err != nil {
		t.Fatalf("removing a queue twice: %v", err)
	}
}

// TestQueueReplayRF64: a track that had become RF64 (a lowered threshold)
// is replayed into as RF64, its ds64 sizes patched.
func TestQueueReplayRF64(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	for i, p := range g.tracks {
		w, err := CreateWAV(p, WriterOptions{Rate: 48000, Channels: 1, Format: Int24, BEXT: &BEXT{}, RF64Threshold: 3000})
		if err != nil {
			t.Fatal(err)
		}
		g.rec.writers[i].closer.Close()
		g.rec.writers[i] = w
	}
	g.feed(4, 512)
	g.poll()
	for _, w := range g.rec.writers {
		if err := w.Flush(); err != nil || !w.RF64() {
			t.Fatalf("the track did not become RF64: %v", err)
		}
	}
	g.commit()
	g.feed(3, 512)
	g.poll()
	g.kill(true, false)
	rep, err := g.replay(ReplayOptions{RF64Threshold: 3000})
	if err != nil || rep.FromFrame != 2048 || rep.Buffers != 3 {
		t.Fatalf("replay %+v, %v", rep, err)
	}
	for _, p := range g.tracks {
		r, err := OpenWAV(p)
		if err != nil {
			t.Fatal(err)
		}
		info := r.Info()
		r.Close()
		if !info.RF64 || info.Frames != 7*512 {
			t.Fatalf("%s: %+v after the replay", p, info)
		}
		if rr, err := RepairWAV(p); err != nil || rr.Changed {
			t.Fatalf("%s: the replay left sizes to repair: %+v %v", p, rr, err)
		}
	}
	g.check(nil)
}

// TestQueueReplayBusy: while the recorder has the queue open (it is
// recording), a replay refuses and leaves the tracks alone.
func TestQueueReplayBusy(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	g.feed(3, 256)
	g.poll()
	g.commit()
	g.feed(2, 256)
	before := fileBytes(t, g.tracks...)
	if _, err := g.replay(ReplayOptions{}); !errors.Is(err, ErrQueueBusy) {
		t.Fatalf("replay of a queue being recorded: %v", err)
	}
	g.unchanged(before, "a refused replay")
	g.kill(true, true)
	if _, err := g.replay(ReplayOptions{}); err != nil {
		t.Fatalf("after the recorder is gone: %v", err)
	}
	g.check(nil)
}

// TestQueueReplayTornCommit: a kill while the writer writes a commit record
// leaves the record torn; the older one, whose buffers are still queued,
// is used, and the result is the same.
func TestQueueReplayTornCommit(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	g.feed(4, 480)
	g.poll()
	g.commit()
	g.feed(3, 480)
	g.poll()
	g.drain()
	// The next commit is cut short before it frees anything.
	slot := g.q.commits[((g.q.gen+1)%2)*commitSize:][:commitSize]
	putCommit(slot, commitRecord{gen: g.q.gen + 1, br: g.q.next, fr: g.q.nextF, clock: g.q.clock}, g.rec.appendState(nil))
	slot[100] ^= 0xff
	g.feed(1, 480)
	g.kill(true, true)
	rep, err := g.replay(ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FromFrame != 4*480 || rep.Buffers != 4 {
		t.Fatalf("replay report %+v, want 4 buffers from frame %d", rep, 4*480)
	}
	g.check(nil)
}

// TestQueueReplayNoCommit: a writer killed before its first commit (in the
// first second) wrote some frames; the queue still holds every frame from
// the start, and the replay rewrites the tracks from frame 0.
func TestQueueReplayNoCommit(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	g.feed(5, 300)
	g.poll()
	g.feed(2, 300)
	g.kill(false, true)
	rep, err := g.replay(ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Committed || rep.FromFrame != 0 || rep.Frames != 7*300 {
		t.Fatalf("replay report %+v", rep)
	}
	g.check(nil)
}

// TestQueueReplayRefuses: a queue of another recording, or one whose
// positions are damaged, is not replayed, and the tracks stay as they were.
func TestQueueReplayRefuses(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	g.feed(5, 256)
	g.poll()
	g.commit()
	g.feed(2, 256)
	g.kill(true, true)
	before := fileBytes(t, g.tracks...)
	if _, err := g.replay(ReplayOptions{Tag: "another"}); !errors.Is(err, ErrQueueMismatch) {
		t.Fatalf("another recording's queue: %v", err)
	}
	if _, err := ReplayQueue(g.path, g.tracks[:1], ReplayOptions{Tag: "tag-1", Rate: 48000, Format: Int24}); !errors.Is(err, ErrQueueMismatch) {
		t.Fatalf("a queue of 2 channels for 1 track: %v", err)
	}
	data, err := os.ReadFile(g.path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := slices.Clone(data)
	damaged[qOffBW] += 3 // buffers that were never written
	if err := os.WriteFile(g.path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := g.replay(ReplayOptions{}); !errors.Is(err, ErrBadQueue) {
		t.Fatalf("damaged positions: %v", err)
	}
	// Without a usable commit record, buffers that were freed cannot be
	// placed: refused, not written from frame 0.
	for k := range 2 {
		data[qOffCommits+k*commitSize+7] ^= 1
	}
	if err := os.WriteFile(g.path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := g.replay(ReplayOptions{}); !errors.Is(err, ErrBadQueue) {
		t.Fatalf("no commit record for freed buffers: %v", err)
	}
	g.unchanged(before, "a refused replay")
	if _, err := ReplayQueue(filepath.Join(t.TempDir(), "none"), g.tracks, ReplayOptions{}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing queue: %v", err)
	}
}

// TestQueueCommitAllocatesNothing: the writer's commit (its state record
// and the queue's commit record) allocates nothing.
func TestQueueCommitAllocatesNothing(t *testing.T) {
	g := newQueueRig(t, 4096, 64)
	defer g.kill()
	if n := testing.AllocsPerRun(100, g.commit); n != 0 {
		t.Fatalf("a commit allocates %v times", n)
	}
}

// queueSeed returns the bytes of a small queue file left by a killed
// writer, for the fuzz target.
func queueSeed(t testing.TB, commits int) []byte {
	path := filepath.Join(t.TempDir(), "seed.queue")
	q := newTestFileQueue(2, 48000, 64, 4, false, path, "seed")
	rec, err := NewRecorder(RecorderConfig{Source: &manualSource{q: q}, Channels: 2, Rate: 48000, Format: Int16})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		q.feed(rampFrames(int64(16*i), 16, 2), 16, float64(i), 0, i == 2)
		if _, err := rec.drain(); err != nil {
			t.Fatal(err)
		}
		if i < commits {
			q.Commit(rec.appendState(nil))
		}
	}
	q.free()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzParseQueue: no queue file, however damaged, makes the parser (and the
// reading of the buffers it accepts) panic or read out of range.
func FuzzParseQueue(f *testing.F) {
	for c := range 4 {
		f.Add(queueSeed(f, c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := parseQueue(data, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrBadQueue) {
				t.Fatalf("error %v is not ErrBadQueue", err)
			}
			return
		}
		var r Recorder
		if q.committed {
			_ = r.restoreState(q.state)
		}
		clock := adcClock{rate: q.rate}
		for at, i := q.firstFrame, q.firstBuf; i < q.bw; i++ {
			b, end := q.view.take(i, &clock)
			if end <= at || uint64(len(b.Samples)) != (end-at)*uint64(q.channels) {
				t.Fatalf("buffer %d: %d samples for frames %d..%d", i, len(b.Samples), at, end)
			}
			at = end
		}
	})
}
