package room

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

// testHost is one host's session folder made for the pull tests: WAV tracks
// written by podmark's own WAV writer (with a bext chunk), a session.json,
// a journal and a room record.
type testHost struct {
	name   string
	dir    string
	tracks []string // base names
	rate   int
}

// makeTestHost writes a session folder with one track per format, each of
// frames frames of a deterministic noisy sine.
func makeTestHost(t *testing.T, name string, frames int64, formats ...audio.SampleFormat) testHost {
	t.Helper()
	h := testHost{name: name, dir: filepath.Join(t.TempDir(), name), rate: 48000}
	if err := os.MkdirAll(filepath.Join(h.dir, "tracks"), 0o755); err != nil {
		t.Fatal(err)
	}
	var trackJSON []string
	for i, f := range formats {
		base := fmt.Sprintf("%s-%d", name, i+1)
		path := filepath.Join(h.dir, "tracks", base+".wav")
		w, err := audio.CreateWAV(path, audio.WriterOptions{Rate: 48000, Channels: 1, Format: f,
			BEXT: &audio.BEXT{Description: "pull test " + base, Originator: "podmark", Origination: time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)}})
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]float32, 4800)
		seed := uint32(i*7919 + len(name))
		for n := int64(0); n < frames; n += int64(len(buf)) {
			k := min(int64(len(buf)), frames-n)
			for j := range buf[:k] {
				seed = seed*1664525 + 1013904223
				x := float64(n + int64(j))
				buf[j] = float32(0.5*math.Sin(2*math.Pi*220*x/48000) + 0.05*(float64(seed>>8)/(1<<24)-0.5))
			}
			if err := w.WriteFloat32(buf[:k]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		h.tracks = append(h.tracks, base)
		trackJSON = append(trackJSON, fmt.Sprintf(`{"file":"tracks/%s.wav","channel":%d}`, base, i+1))
	}
	sess := fmt.Sprintf(`{"format_version":1,"app":"podmark","host":%q,"rate":48000,"bits":"24","channels":%d,"tracks":[%s],"state":"stopped","frames":%d}`+"\n",
		name, len(formats), strings.Join(trackJSON, ","), frames)
	journal := fmt.Sprintf(`{"op":"add","marker":{"id":"m1","kind":"topic","title":"Intro by %s","sample":4800}}`+"\n", name)
	record := `{"seq":1,"received":"2026-12-02T20:00:01Z","v":1,"eid":"e1","op":"add","author":"other","id":"x","kind":"note","title":"hi","sample":96000,"rate":48000,"utc":"2026-12-02T20:00:01Z"}` + "\n"
	for name, body := range map[string]string{"session.json": sess, "markers.jsonl": journal, "room/markers.jsonl": record} {
		p := filepath.Join(h.dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// testUploader puts a host's session into its upload bucket per the
// hand-off contract (handoff.go), the way the host's uploader does: FLAC
// segments of SegmentFrames frames (raw PCM for 32-bit float), then each
// track's manifest, then done.json.
type testUploader struct {
	t     *testing.T
	h     testHost
	obs   jetstream.ObjectStore
	names Names
	sent  map[string][]Segment // track → segments put
	// noDataOffset leaves Podmark-Data-Offset out of the segments' headers,
	// as an uploader that does not send it (the editor then rebuilds the
	// track by copying).
	noDataOffset bool
}

func newTestUploader(t *testing.T, ctx context.Context, js jetstream.JetStream, names Names, h testHost) *testUploader {
	t.Helper()
	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: names.UploadBucket(h.name), Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	return &testUploader{t: t, h: h, obs: obs, names: names, sent: map[string][]Segment{}}
}

func (u *testUploader) putSmall(ctx context.Context) {
	u.t.Helper()
	for _, name := range []string{ObjSession, ObjJournal, ObjRecord} {
		b, err := os.ReadFile(filepath.Join(u.h.dir, filepath.FromSlash(name)))
		if err != nil {
			u.t.Fatal(err)
		}
		if _, err := u.obs.PutBytes(ctx, name, b); err != nil {
			u.t.Fatal(err)
		}
	}
}

// wavParts splits a WAV file into header, data and trailer.
func wavParts(t *testing.T, path string) (info audio.Info, header, data, trailer []byte) {
	t.Helper()
	r, err := audio.OpenWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	info = r.Info()
	r.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := info.DataOffset + info.Frames*int64(info.Channels*info.Format.BytesPerSample())
	return info, b[:info.DataOffset], b[info.DataOffset:end], b[end:]
}

// putSegments puts segments [from, to) of every track (to < 0: all).
func (u *testUploader) putSegments(ctx context.Context, from, to int) {
	u.t.Helper()
	for _, tr := range u.h.tracks {
		info, _, data, _ := wavParts(u.t, filepath.Join(u.h.dir, "tracks", tr+".wav"))
		align := int64(info.Channels * info.Format.BytesPerSample())
		nseg := int((info.Frames + SegmentFrames - 1) / SegmentFrames)
		if to >= 0 {
			nseg = min(nseg, to)
		}
		for n := from; n < nseg; n++ {
			start := int64(n) * SegmentFrames
			frames := min(SegmentFrames, info.Frames-start)
			pcm := data[start*align : (start+frames)*align]
			body, codecName := pcm, CodecPCM
			if info.Format != audio.Float32 {
				body, codecName = encodeTestFLAC(u.t, pcm, info), CodecFLAC
			}
			sum := sha256.Sum256(pcm)
			meta := jetstream.ObjectMeta{Name: SegmentObject(tr, n), Headers: nats.Header{}}
			meta.Headers.Set(HdrStart, fmt.Sprint(start))
			meta.Headers.Set(HdrFrames, fmt.Sprint(frames))
			meta.Headers.Set(HdrPCMSHA256, hex.EncodeToString(sum[:]))
			meta.Headers.Set(HdrCodec, codecName)
			if !u.noDataOffset {
				meta.Headers.Set(HdrDataOffset, fmt.Sprint(info.DataOffset))
			}
			oi, err := u.obs.Put(ctx, meta, bytes.NewReader(body))
			if err != nil {
				u.t.Fatal(err)
			}
			u.sent[tr] = append(u.sent[tr], Segment{N: n, Start: start, Frames: frames, PCMSHA256: hex.EncodeToString(sum[:]), Digest: oi.Digest})
		}
	}
}

func encodeTestFLAC(t *testing.T, pcm []byte, info audio.Info) []byte {
	t.Helper()
	bps := info.Format.BytesPerSample()
	s := make([]int32, len(pcm)/bps)
	for i := range s {
		b := pcm[i*bps:]
		if bps == 2 {
			s[i] = int32(int16(uint16(b[0]) | uint16(b[1])<<8))
		} else {
			s[i] = int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		}
	}
	path := filepath.Join(t.TempDir(), "seg.flac")
	w, err := codec.CreateFLAC(path, codec.FLACOptions{Rate: info.Rate, Channels: info.Channels, Bits: 8 * bps})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInt32(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// finish puts every track's manifest and done.json.
func (u *testUploader) finish(ctx context.Context) {
	u.t.Helper()
	u.putSmall(ctx)
	var paths []string
	for _, tr := range u.h.tracks {
		path := filepath.Join(u.h.dir, "tracks", tr+".wav")
		info, header, data, trailer := wavParts(u.t, path)
		file, _ := os.ReadFile(path)
		fs, ps := sha256.Sum256(file), sha256.Sum256(data)
		codecName := CodecFLAC
		if info.Format == audio.Float32 {
			codecName = CodecPCM
		}
		m := Manifest{V: Version, Track: "tracks/" + tr + ".wav", Codec: codecName, Rate: int(info.Rate), Bits: info.Format.String(),
			Channels: info.Channels, Frames: info.Frames, Header: header, Trailer: trailer,
			FileSHA256: hex.EncodeToString(fs[:]), PCMSHA256: hex.EncodeToString(ps[:]), Segments: u.sent[tr], UTC: time.Now().UTC()}
		b, _ := json.Marshal(m)
		if _, err := u.obs.PutBytes(ctx, ManifestObject(tr), b); err != nil {
			u.t.Fatal(err)
		}
		paths = append(paths, m.Track)
	}
	b, _ := json.Marshal(UploadDone{V: Version, Host: u.h.name, State: "stopped", Tracks: paths, UTC: time.Now().UTC()})
	if _, err := u.obs.PutBytes(ctx, ObjDone, b); err != nil {
		u.t.Fatal(err)
	}
}

// upload puts the whole session.
func (u *testUploader) upload(ctx context.Context) {
	u.putSmall(ctx)
	u.putSegments(ctx, 0, -1)
	u.finish(ctx)
}

type pullRig struct {
	relay *Relay
	nc    *nats.Conn
	js    jetstream.JetStream
	names Names
	link  Link
}

func newPullRig(t *testing.T) *pullRig {
	t.Helper()
	r := startRelay(t, t.TempDir())
	t.Cleanup(r.Close)
	nc, err := nats.Connect(r.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	l, err := ParseLink(r.ClientURL() + "/show/ep1")
	if err != nil {
		t.Fatal(err)
	}
	return &pullRig{relay: r, nc: nc, js: js, names: NamesOf(l), link: l}
}

func (rig *pullRig) pull(ctx context.Context, out string, follow bool) (*PullResult, error) {
	return Pull(ctx, PullConfig{Link: rig.link, As: "ed", Out: out, Follow: follow, Retries: 2})
}

// sameFiles checks that every file of the host's session is in dir, byte
// for byte.
func sameFiles(t *testing.T, h testHost, dir string) {
	t.Helper()
	names := []string{"session.json", "markers.jsonl", "room/markers.jsonl"}
	for _, tr := range h.tracks {
		names = append(names, "tracks/"+tr+".wav")
	}
	for _, n := range names {
		want, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(n)))
		if errors.Is(err, os.ErrNotExist) && !strings.HasPrefix(n, "tracks/") && n != "session.json" {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
				t.Errorf("%s: pulled, but the host has none", n)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: pulled copy (%d bytes) differs from the host's (%d bytes)", n, len(got), len(want))
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "tracks", "*.part"))
	if len(left) > 0 {
		t.Errorf("left over: %v", left)
	}
}

// TestPullRebuildsSessionsByteIdentical pulls two hosts (16- and 24-bit FLAC
// segments, 32-bit float raw segments, a last segment shorter than the
// rest, bext headers) and finds every file identical to the host's, the
// receipts written and the pulls announced.
func TestPullRebuildsSessionsByteIdentical(t *testing.T) {
	for _, noOffset := range []bool{false, true} {
		t.Run(fmt.Sprintf("noDataOffset=%v", noOffset), func(t *testing.T) { testPullByteIdentical(t, noOffset) })
	}
}

func testPullByteIdentical(t *testing.T, noDataOffset bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := newPullRig(t)
	alice := makeTestHost(t, "alice", 2*SegmentFrames+12345, audio.Int24, audio.Int16)
	bob := makeTestHost(t, "bob", SegmentFrames/2+7, audio.Float32)
	for _, h := range []testHost{alice, bob} {
		u := newTestUploader(t, ctx, rig.js, rig.names, h)
		u.noDataOffset = noDataOffset
		u.upload(ctx)
	}
	var mu sync.Mutex
	var got []Pulled
	sub, err := rig.nc.Subscribe(rig.names.AllPulled(), func(m *nats.Msg) {
		p, err := Decode[Pulled](m.Data, 0)
		if err != nil {
			t.Errorf("pulled: %v", err)
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	out := t.TempDir()
	res, err := rig.pull(ctx, out, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, hp := range res.Hosts {
		if hp.State != PullVerified {
			t.Errorf("%s: %s", hp.Host, hp.State)
		}
	}
	sameFiles(t, alice, filepath.Join(out, "alice"))
	sameFiles(t, bob, filepath.Join(out, "bob"))
	for _, h := range []string{"alice", "bob"} {
		if _, err := os.Stat(filepath.Join(out, h, filepath.FromSlash(PulledFile))); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(out, h+partialSuffix)); err == nil {
			t.Errorf("%s.partial left behind", h)
		}
	}
	rig.nc.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("pulled announcements: %+v", got)
	}
	for _, p := range got {
		want := int64(2*SegmentFrames + 12345)
		if p.Host == "bob" {
			want = SegmentFrames/2 + 7
		}
		if p.From != "ed" || p.Frames != want {
			t.Errorf("announcement %+v: want from ed, %d frames", p, want)
		}
	}
}

// TestPullResumes pulls a host whose upload is half done: the pull says so
// and leaves only alice.partial with no finished-looking track; after the
// rest arrives a second run fetches only what is new (plus one segment per
// track to learn the frame size), and a third run skips the verified copy.
//
// With Podmark-Data-Offset the half-pulled audio is in T.wav.part already
// where T.wav will have it (the header's bytes still to come); without it,
// in T.pcm.part from byte 0.
func TestPullResumes(t *testing.T) {
	for _, noOffset := range []bool{false, true} {
		t.Run(fmt.Sprintf("noDataOffset=%v", noOffset), func(t *testing.T) { testPullResumes(t, noOffset) })
	}
}

func testPullResumes(t *testing.T, noDataOffset bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := newPullRig(t)
	alice := makeTestHost(t, "alice", 4*SegmentFrames+100, audio.Int24)
	u := newTestUploader(t, ctx, rig.js, rig.names, alice)
	u.noDataOffset = noDataOffset
	u.putSmall(ctx)
	u.putSegments(ctx, 0, 3)
	out := t.TempDir()
	res, err := rig.pull(ctx, out, false)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("half an upload: %v, want ErrIncomplete", err)
	}
	if res.Hosts[0].State != PullPartial || res.Hosts[0].Segments != 3 {
		t.Errorf("half an upload: %+v", res.Hosts[0])
	}
	first := res.Hosts[0].Bytes
	if _, err := os.Stat(filepath.Join(out, "alice")); err == nil {
		t.Error("a half-pulled host has a finished-looking folder")
	}
	wavs, _ := filepath.Glob(filepath.Join(out, "alice.partial", "tracks", "*.wav"))
	if len(wavs) > 0 {
		t.Errorf("a half-pulled host has finished-looking tracks: %v", wavs)
	}
	for _, tr := range alice.tracks {
		info, _, data, _ := wavParts(t, filepath.Join(alice.dir, "tracks", tr+".wav"))
		part, pcm := filepath.Join(out, "alice.partial", "tracks", tr+".wav.part"), filepath.Join(out, "alice.partial", "tracks", tr+".pcm.part")
		want, off, other := part, info.DataOffset, pcm
		if noDataOffset {
			want, off, other = pcm, 0, part
		}
		b, err := os.ReadFile(want)
		if err != nil {
			t.Fatalf("half-pulled %s: %v", tr, err)
		}
		n := int64(3 * SegmentFrames * 3) // three 24-bit mono segments
		if int64(len(b)) != off+n || !bytes.Equal(b[off:], data[:n]) {
			t.Errorf("%s holds %d bytes, want the first three segments' audio at byte %d", want, len(b), off)
		}
		if fileExists(other) {
			t.Errorf("%s exists as well as %s", other, want)
		}
	}
	u.putSegments(ctx, 3, -1)
	u.finish(ctx)
	res, err = rig.pull(ctx, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if hp := res.Hosts[0]; hp.State != PullVerified || hp.Bytes >= first {
		t.Errorf("resumed pull: %+v (the first run fetched %d bytes for 3 of 5 segments)", hp, first)
	}
	sameFiles(t, alice, filepath.Join(out, "alice"))
	res, err = rig.pull(ctx, out, false)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := session.Load(alice.dir)
	if err != nil {
		t.Fatal(err)
	}
	if hp := res.Hosts[0]; hp.State != PullSkipped || hp.Bytes != 0 || hp.Frames != meta.Frames || hp.Rate != meta.Rate {
		t.Errorf("third run: %+v, want skipped with nothing fetched, %d frames at %d Hz (its length, not \"?\")", hp, meta.Frames, meta.Rate)
	}
	sameFiles(t, alice, filepath.Join(out, "alice"))
}

// damageSegment flips a byte of one chunk of an object on the relay: it
// deletes the chunk's message from the bucket's stream and publishes a
// flipped copy on the same subject, so that the object's digest no longer
// matches what the store holds.
func damageSegment(t *testing.T, ctx context.Context, js jetstream.JetStream, bucket, object string) {
	t.Helper()
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := obs.GetInfo(ctx, object)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	subj := fmt.Sprintf("$O.%s.C.%s", bucket, info.NUID)
	m, err := st.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(ctx, m.Sequence); err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(m.Data)
	b[len(b)/2] ^= 0x40
	if _, err := js.Publish(ctx, subj, b); err != nil {
		t.Fatal(err)
	}
}

// TestPullNamesDamagedSegment damages segment 1 of bob-1 on the relay: the
// pull fetches it again, then fails naming bob, bob-1 and 00:00:05–00:00:10;
// alice is pulled all the same, and nothing of bob looks complete.
func TestPullNamesDamagedSegment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := newPullRig(t)
	alice := makeTestHost(t, "alice", SegmentFrames+10, audio.Int24)
	bob := makeTestHost(t, "bob", 3*SegmentFrames, audio.Int24)
	newTestUploader(t, ctx, rig.js, rig.names, alice).upload(ctx)
	newTestUploader(t, ctx, rig.js, rig.names, bob).upload(ctx)
	damageSegment(t, ctx, rig.js, rig.names.UploadBucket("bob"), SegmentObject("bob-1", 1))
	out := t.TempDir()
	var logs []string
	var mu sync.Mutex
	_, err := Pull(ctx, PullConfig{Link: rig.link, As: "ed", Out: out, Retries: 2, Log: func(s string) {
		mu.Lock()
		logs = append(logs, s)
		mu.Unlock()
	}})
	var de *DamagedError
	if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) || !errors.Is(err, jetstream.ErrDigestMismatch) {
		t.Fatalf("pull of a damaged segment: %v", err)
	}
	if de.Host != "bob" || de.Track != "bob-1" || de.Segment != 1 {
		t.Errorf("damage named %+v", de)
	}
	msg := err.Error()
	for _, want := range []string{"bob", "bob-1", "00:00:05", "00:00:10"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	mu.Lock()
	if len(logs) < 2 {
		t.Errorf("damaged segment fetched again %d times, want 2: %q", len(logs), logs)
	}
	mu.Unlock()
	sameFiles(t, alice, filepath.Join(out, "alice"))
	if _, err := os.Stat(filepath.Join(out, "bob")); err == nil {
		t.Error("bob's damaged pull looks complete")
	}
	wavs, _ := filepath.Glob(filepath.Join(out, "bob.partial", "tracks", "*.wav"))
	if len(wavs) > 0 {
		t.Errorf("bob's damaged pull has finished-looking tracks: %v", wavs)
	}
}

// TestPullFollowsLiveShow starts pull --follow before anything is uploaded:
// it waits for the hosts seen recording, writes segments as they come and
// finishes once both have put done.json and are verified.
func TestPullFollowsLiveShow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := newPullRig(t)
	alice := makeTestHost(t, "alice", 3*SegmentFrames+99, audio.Int16)
	bob := makeTestHost(t, "bob", 2*SegmentFrames, audio.Int24)
	presence := func(host string, st State) {
		b, err := Encode(Presence{V: Version, Host: host, State: st, Rate: 48000, DiskLeft: -1, Link: "online", UTC: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		rig.nc.Publish(rig.names.Presence(host), b)
	}
	out := t.TempDir()
	type result struct {
		res *PullResult
		err error
	}
	done := make(chan result, 1)
	var progress sync.Map
	go func() {
		res, err := Pull(ctx, PullConfig{Link: rig.link, As: "ed", Out: out, Follow: true,
			OnProgress: func(p PullProgress) {
				for _, h := range p.Hosts {
					progress.Store(h.Host+"/"+string(h.State), true)
				}
			}})
		done <- result{res, err}
	}()
	time.Sleep(300 * time.Millisecond)
	presence("alice", StateRecording)
	// bob says he is recording every second, as a host does, until he stops.
	bobStop := make(chan struct{})
	bobDone := make(chan struct{})
	go func() {
		defer close(bobDone)
		for {
			presence("bob", StateRecording)
			select {
			case <-bobStop:
				return
			case <-time.After(time.Second):
			}
		}
	}()
	ua := newTestUploader(t, ctx, rig.js, rig.names, alice)
	ua.putSmall(ctx)
	ua.putSegments(ctx, 0, 1)
	// Found within 2 s, its first segment pulled, then waiting for more.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, ok := progress.Load("alice/waiting"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("progress never showed alice waiting for more")
		}
	}
	presence("alice", StateRecording)
	ua.putSegments(ctx, 1, -1)
	ua.finish(ctx)
	presence("alice", StateStopped)
	time.Sleep(2500 * time.Millisecond) // bob still recording, no bucket yet: pull must wait
	select {
	case r := <-done:
		t.Fatalf("follow ended while bob was recording: %+v %v", r.res, r.err)
	default:
	}
	if _, err := os.Stat(filepath.Join(out, "alice", filepath.FromSlash(PulledFile))); err != nil {
		t.Errorf("alice finished but not verified while bob records: %v", err)
	}
	newTestUploader(t, ctx, rig.js, rig.names, bob).upload(ctx)
	close(bobStop)
	<-bobDone
	presence("bob", StateStopped)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	sameFiles(t, alice, filepath.Join(out, "alice"))
	sameFiles(t, bob, filepath.Join(out, "bob"))
}

// TestParseManifestRefuses checks the manifest checks on hostile input.
func TestParseManifestRefuses(t *testing.T) {
	good := Manifest{V: 1, Track: "tracks/a-1.wav", Rate: 48000, Channels: 1, Frames: 10, Header: make([]byte, 44),
		FileSHA256: strings.Repeat("a", 64), PCMSHA256: strings.Repeat("b", 64),
		Segments: []Segment{{N: 0, Start: 0, Frames: 10, PCMSHA256: strings.Repeat("c", 64)}}}
	for _, tc := range []struct {
		name string
		edit func(*Manifest)
	}{
		{"escaping track", func(m *Manifest) { m.Track = "tracks/../../etc.wav" }},
		{"track outside tracks", func(m *Manifest) { m.Track = "x.wav" }},
		{"version", func(m *Manifest) { m.V = 2 }},
		{"frames", func(m *Manifest) { m.Frames = 11 }},
		{"segment gap", func(m *Manifest) { m.Segments[0].Start = 1 }},
		{"no hash", func(m *Manifest) { m.FileSHA256 = "" }},
		{"rate", func(m *Manifest) { m.Rate = 1 }},
	} {
		m := good
		m.Segments = append([]Segment(nil), good.Segments...)
		tc.edit(&m)
		b, _ := json.Marshal(m)
		if _, err := parseManifest(b); !errors.Is(err, ErrMessage) {
			t.Errorf("%s: %v, want ErrMessage", tc.name, err)
		}
	}
	b, _ := json.Marshal(good)
	if _, err := parseManifest(b); err != nil {
		t.Errorf("good manifest: %v", err)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"v":1,"track":"tracks/a-1.wav","rate":48000,"channels":1,"frames":0,"header":"UklGRgAAAABXQVZF","file_sha256":"` + strings.Repeat("a", 64) + `","pcm_sha256":"` + strings.Repeat("b", 64) + `","segments":[]}`))
	f.Add([]byte(`{"v":1,"host":"alice","state":"stopped","tracks":["tracks/alice-1.wav"],"utc":"2026-12-02T20:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := parseManifest(b); err == nil && !safeTrackPath(m.Track) {
			t.Errorf("accepted track %q", m.Track)
		}
		if d, err := parseDone(b); err == nil {
			for _, tr := range d.Tracks {
				if !safeTrackPath(tr) || strings.Contains(tr, "..") {
					t.Errorf("accepted track %q", tr)
				}
			}
		}
	})
}

// TestSegmentHeadersDataOffset: Podmark-Data-Offset is optional, and a
// value no WAV header podmark writes could have (below the RIFF header's
// 12 bytes, above 1 MiB, not a number) is refused, naming the object.
func TestSegmentHeadersDataOffset(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int64
		bad   bool
	}{
		{"", -1, false},
		{"80", 80, false},
		{"1048576", 1 << 20, false},
		{"11", 0, true},
		{"-80", 0, true},
		{"1048577", 0, true},
		{"99999999999999", 0, true},
		{"0x50", 0, true},
	} {
		info := &jetstream.ObjectInfo{ObjectMeta: jetstream.ObjectMeta{Name: SegmentObject("alice-1", 3), Headers: nats.Header{}}}
		info.Headers.Set(HdrStart, "0")
		info.Headers.Set(HdrFrames, "10")
		info.Headers.Set(HdrPCMSHA256, strings.Repeat("ab", 32))
		info.Headers.Set(HdrCodec, CodecFLAC)
		if tc.value != "" {
			info.Headers.Set(HdrDataOffset, tc.value)
		}
		hd, err := parseSegHeaders(info)
		switch {
		case tc.bad && (err == nil || !strings.Contains(err.Error(), info.Name) || !strings.Contains(err.Error(), HdrDataOffset)):
			t.Errorf("%s %q: %v, want an error naming the object and the header", HdrDataOffset, tc.value, err)
		case !tc.bad && (err != nil || hd.dataOff != tc.want):
			t.Errorf("%s %q: %d, %v; want %d", HdrDataOffset, tc.value, hd.dataOff, err, tc.want)
		}
	}
}
