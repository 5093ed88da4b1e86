package room

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
	"github.com/podmark/podmark/markers"
)

// recordRamp records frames frames of the fake ramp source (speed: a ramp
// device name such as "ramp:x20") into a new session folder through the
// real session engine, dropping a marker now and then, and returns it
// stopped.
func recordRamp(t *testing.T, dir, host string, format audio.SampleFormat, channels int, frames int64, device string) {
	t.Helper()
	s, err := session.New(session.Config{Dir: dir, Host: host, Device: device, Channels: channels, Rate: 48000, Format: format, QueueDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; s.Frames() < frames; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("recorded %d frames in 2 minutes, want %d", s.Frames(), frames)
		}
		time.Sleep(20 * time.Millisecond)
		if i%25 == 0 {
			if _, err := s.Mark(markers.Note, fmt.Sprint("note ", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// joinURL joins the room at url (nats://HOST:PORT) as host.
func joinURL(t *testing.T, url, host string, lb *logBuf) *Client {
	t.Helper()
	l, err := ParseLink(url + "/show/ep1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Join(Config{Link: l, Host: host, Rate: 48000, Log: lb.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// editorStore opens host's bucket with a connection of its own, as the
// editor's pull does.
func editorStore(t *testing.T, url, host string) (jetstream.ObjectStore, *nats.Conn) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obs, err := js.ObjectStore(ctx, Names{Show: "show", Episode: "ep1"}.UploadBucket(host))
	if err != nil {
		t.Fatal(err)
	}
	return obs, nc
}

// putCounter counts the info messages put into a bucket, per object name:
// one per Put that reached the relay.
type putCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func countPuts(t *testing.T, nc *nats.Conn, bucket string) *putCounter {
	t.Helper()
	pc := &putCounter{n: map[string]int{}}
	_, err := nc.Subscribe("$O."+bucket+".M.>", func(m *nats.Msg) {
		var info jetstream.ObjectInfo
		if json.Unmarshal(m.Data, &info) == nil {
			pc.mu.Lock()
			pc.n[info.Name]++
			pc.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return pc
}

func (pc *putCounter) twice() []string {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	var out []string
	for name, n := range pc.n {
		if n > 1 && strings.HasSuffix(name, ".seg") {
			out = append(out, fmt.Sprintf("%s ×%d", name, n))
		}
	}
	return out
}

func (pc *putCounter) count(suffix string) int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	k := 0
	for name, n := range pc.n {
		if strings.HasSuffix(name, suffix) {
			k += n
		}
	}
	return k
}

// pulled is one track as rebuilt from the bucket alone.
type pulled struct {
	man       Manifest
	pcm, file []byte
	segs      []jetstream.ObjectInfo
}

// pullTrack rebuilds track from the bucket: the manifest, every segment
// decoded (FLAC through libFLAC, which checks CRCs and the MD5 signature)
// and checked against its headers, the file from header + PCM + trailer.
func pullTrack(t *testing.T, obs jetstream.ObjectStore, track string) pulled {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := obs.GetBytes(ctx, ManifestObject(track))
	if err != nil {
		t.Fatalf("manifest of %s: %v", track, err)
	}
	var p pulled
	if err := json.Unmarshal(b, &p.man); err != nil {
		t.Fatal(err)
	}
	format, err := audio.ParseSampleFormat(p.man.Bits)
	if err != nil {
		t.Fatal(err)
	}
	var pcm bytes.Buffer
	for i, s := range p.man.Segments {
		obj := SegmentObject(track, s.N)
		info, err := obs.GetInfo(ctx, obj)
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		p.segs = append(p.segs, *info)
		data, err := obs.GetBytes(ctx, obj)
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		if s.N != i || s.Start != int64(pcm.Len())/int64(format.BytesPerSample()) {
			t.Fatalf("%s: n %d start %d, want %d and %d", obj, s.N, s.Start, i, pcm.Len()/format.BytesPerSample())
		}
		if info.Headers.Get(HdrStart) != strconv.FormatInt(s.Start, 10) || info.Headers.Get(HdrFrames) != strconv.FormatInt(s.Frames, 10) ||
			info.Headers.Get(HdrPCMSHA256) != s.PCMSHA256 || info.Headers.Get(HdrCodec) != p.man.Codec || info.Digest != s.Digest {
			t.Fatalf("%s: headers %v digest %s disagree with the manifest %+v", obj, info.Headers, info.Digest, s)
		}
		var raw []byte
		switch p.man.Codec {
		case CodecPCM:
			raw = data
		case CodecFLAC:
			raw = decodeFLACBytes(t, data, format)
		default:
			t.Fatalf("codec %q", p.man.Codec)
		}
		if int64(len(raw)) != s.Frames*int64(format.BytesPerSample()) {
			t.Fatalf("%s: %d bytes of PCM, want %d frames", obj, len(raw), s.Frames)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != s.PCMSHA256 {
			t.Fatalf("%s: decoded PCM hash differs from its header", obj)
		}
		pcm.Write(raw)
	}
	p.pcm = pcm.Bytes()
	p.file = append(append(append([]byte(nil), p.man.Header...), p.pcm...), p.man.Trailer...)
	return p
}

// decodeFLACBytes decodes one FLAC segment into WAV-ordered PCM bytes.
func decodeFLACBytes(t *testing.T, data []byte, format audio.SampleFormat) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seg.flac")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := codec.OpenFLAC(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Info().Channels != 1 || r.Info().Bits != int(format) {
		t.Fatalf("FLAC segment: %+v", r.Info())
	}
	var out []byte
	buf := make([]int32, 8192)
	for {
		n, err := r.ReadInt32(buf)
		for _, v := range buf[:n] {
			if format == audio.Int16 {
				out = binary.LittleEndian.AppendUint16(out, uint16(int16(v)))
			} else {
				out = append(out, byte(v), byte(v>>8), byte(v>>16))
			}
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkPulled compares every track of the host's bucket with the local
// session folder: decoded PCM and the rebuilt file byte for byte, the local
// copies in handoff/, and the session's files.
func checkPulled(t *testing.T, obs jetstream.ObjectStore, dir string) {
	t.Helper()
	meta, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tr := range meta.Tracks {
		name := strings.TrimSuffix(filepath.Base(tr.File), ".wav")
		p := pullTrack(t, obs, name)
		local, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tr.File)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.file, local) {
			t.Fatalf("%s: the rebuilt file (%d bytes) differs from the local one (%d bytes)", tr.File, len(p.file), len(local))
		}
		if p.man.FileSHA256 != sha(local) || p.man.PCMSHA256 != sha(p.pcm) || p.man.Frames != meta.Frames || p.man.Track != tr.File {
			t.Fatalf("%s: manifest %s/%s %d frames, want %s, %d frames", tr.File, p.man.FileSHA256, p.man.PCMSHA256, p.man.Frames, sha(local), meta.Frames)
		}
		// The local copies are the objects, byte for byte.
		for _, s := range p.man.Segments {
			obj := SegmentObject(name, s.N)
			lb, err := os.ReadFile(filepath.Join(dir, HandoffDir, filepath.FromSlash(obj)))
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := obs.GetBytes(ctx, obj)
			if !bytes.Equal(lb, rb) {
				t.Fatalf("local %s differs from the object", obj)
			}
		}
		lm, err := os.ReadFile(filepath.Join(dir, HandoffDir, filepath.FromSlash(ManifestObject(name))))
		if err != nil {
			t.Fatal(err)
		}
		if rm, _ := obs.GetBytes(ctx, ManifestObject(name)); !bytes.Equal(lm, rm) {
			t.Fatal("local manifest differs from the object")
		}
	}
	for _, obj := range []string{ObjSession, ObjJournal} {
		lb, err := os.ReadFile(filepath.Join(dir, obj))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := obs.GetBytes(ctx, obj)
		if err != nil || !bytes.Equal(lb, rb) {
			t.Fatalf("%s: the object (%v) is not the final local file", obj, err)
		}
	}
	b, err := obs.GetBytes(ctx, ObjDone)
	if err != nil {
		t.Fatal(err)
	}
	var done UploadDone
	if err := json.Unmarshal(b, &done); err != nil || done.State != string(meta.State) || len(done.Tracks) != len(meta.Tracks) {
		t.Fatalf("done.json %s: %v", b, err)
	}
}

// TestUploadWhileRecording records in a room with the uploader following
// the tracks (16- and 24-bit as FLAC, 32-bit float as raw PCM), then checks
// the relay's copy against the local session, bit for bit.
func TestUploadWhileRecording(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	url := "nats://" + r.Addr().String()
	for _, tc := range []struct {
		host     string
		format   audio.SampleFormat
		channels int
		codec    string
	}{
		{"h16", audio.Int16, 1, CodecFLAC},
		{"h24", audio.Int24, 2, CodecFLAC},
		{"h32f", audio.Float32, 1, CodecPCM},
	} {
		t.Run(tc.host, func(t *testing.T) {
			var lb logBuf
			c := joinURL(t, url, tc.host, &lb)
			dir := filepath.Join(t.TempDir(), "s")
			// The uploader starts before the session exists on disk, as
			// record --room starts it.
			frames := int64(3*SegmentFrames + 12345)
			done := make(chan struct{})
			var up *Uploader
			var maxBehind int64
			go func() {
				defer close(done)
				deadline := time.Now().Add(30 * time.Second)
				for {
					if _, err := os.Stat(filepath.Join(dir, session.MetaFile)); err == nil {
						break
					}
					if time.Now().After(deadline) {
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
				var err error
				up, err = StartUpload(context.Background(), c, dir, UploadOptions{Kbps: 0, Log: lb.log, Poll: 50 * time.Millisecond})
				if err != nil {
					t.Error(err)
				}
			}()
			recordRamp(t, dir, tc.host, tc.format, tc.channels, frames, "ramp:x20")
			<-done
			if up == nil {
				t.Fatal("no uploader")
			}
			defer up.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for {
				st := up.Status()
				maxBehind = max(maxBehind, st.BehindMS)
				if st.State == UploadVerified {
					break
				}
				select {
				case <-up.Done():
				case <-time.After(10 * time.Millisecond):
					continue
				}
			}
			if err := up.Wait(ctx); err != nil {
				t.Fatalf("%v\n%s", err, lb.String())
			}
			st := up.Status()
			meta, _ := session.Load(dir)
			if st.State != UploadVerified || st.Sent != meta.Frames || st.Recorded != meta.Frames || st.BehindMS != 0 {
				t.Errorf("status %+v, want verified with %d frames sent", st, meta.Frames)
			}
			obs, _ := editorStore(t, url, tc.host)
			checkPulled(t, obs, dir)
			p := pullTrack(t, obs, strings.TrimSuffix(filepath.Base(meta.Tracks[0].File), ".wav"))
			if p.man.Codec != tc.codec || len(p.man.Segments) != 4 || p.man.Segments[3].Frames != 12345+meta.Frames-frames {
				t.Errorf("manifest: codec %s, %d segments (last %d frames)", p.man.Codec, len(p.man.Segments), p.man.Segments[len(p.man.Segments)-1].Frames)
			}
			if p.man.Recovered {
				t.Error("a stopped session's manifest says recovered")
			}
			t.Logf("%s: %d frames, largest lag seen %d ms", tc.host, meta.Frames, maxBehind)
		})
	}
}
