package room

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"
)

// objRig is a relay with one object store bucket, the putter's connection
// and an editor's jetstream view of the same bucket.
type objRig struct {
	obs jetstream.ObjectStore
	js  jetstream.JetStream
	p   *objPutter
	nc  *nats.Conn
}

func newObjRig(t *testing.T) *objRig {
	t.Helper()
	r := startRelay(t, t.TempDir())
	t.Cleanup(r.Close)
	url := "nats://" + r.Addr().String()
	var rig objRig
	var err error
	if rig.nc, err = nats.Connect(url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rig.nc.Close)
	if rig.js, err = jetstream.New(rig.nc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rig.obs, err = rig.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "PUTTEST", Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if rig.p, err = newObjPutter(rig.nc, "PUTTEST"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rig.p.Close)
	return &rig
}

func testData(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// TestObjPutReadByNATS puts objects of every shape through the uploader's
// putter and reads them back through nats.go's object store (what `podmark
// pull` uses): the same bytes, headers, size, chunk count and digest as
// nats.go's own Put gives the same object, and a replaced object's old
// chunks are purged.
func TestObjPutReadByNATS(t *testing.T) {
	rig := newObjRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"session.json", 1},
		{"one-chunk", UploadChunk},
		{"tracks/alice-1/000000.seg", 7*UploadChunk + 1234},
		{"tracks/alice-1/000001.seg", 3 * UploadChunk},
	} {
		data := testData(tc.size, byte(tc.size))
		h := nats.Header{}
		h.Set(HdrFrames, "262144")
		h.Set(HdrPCMSHA256, "ab01")
		info, err := rig.p.Put(ctx, jetstream.ObjectMeta{Name: tc.name, Headers: h}, data, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// The reference: nats.go's Put of the same object under another name.
		ref, err := rig.obs.Put(ctx, jetstream.ObjectMeta{Name: "ref-" + tc.name, Headers: h,
			Opts: &jetstream.ObjectMetaOptions{ChunkSize: UploadChunk}}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, err := rig.obs.GetInfo(ctx, tc.name)
		if err != nil {
			t.Fatalf("%s: GetInfo: %v", tc.name, err)
		}
		if got.Digest != ref.Digest || got.Size != ref.Size || got.Chunks != ref.Chunks || got.Bucket != ref.Bucket ||
			got.Opts == nil || got.Opts.ChunkSize != UploadChunk || got.Headers.Get(HdrFrames) != "262144" || got.Headers.Get(HdrPCMSHA256) != "ab01" {
			t.Errorf("%s: info %+v, nats.go's Put gives %+v", tc.name, *got, *ref)
		}
		if info.Digest != got.Digest || info.NUID != got.NUID || info.Size != got.Size {
			t.Errorf("%s: Put returned %+v, the relay holds %+v", tc.name, *info, *got)
		}
		res, err := rig.obs.Get(ctx, tc.name)
		if err != nil {
			t.Fatalf("%s: Get: %v", tc.name, err)
		}
		b, err := io.ReadAll(res) // nats.go checks the digest at the end
		res.Close()
		if err != nil || !bytes.Equal(b, data) {
			t.Errorf("%s: Get: %d bytes, err %v; want the %d bytes put", tc.name, len(b), err, len(data))
		}
	}

	// Replace an object: the new one is read, the old chunks are gone.
	old, err := rig.obs.GetInfo(ctx, "tracks/alice-1/000000.seg")
	if err != nil {
		t.Fatal(err)
	}
	data := testData(2*UploadChunk+5, 99)
	if _, err := rig.p.Put(ctx, jetstream.ObjectMeta{Name: old.Name}, data, nil, old); err != nil {
		t.Fatal(err)
	}
	b, err := rig.obs.GetBytes(ctx, old.Name)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("replaced object: %d bytes, err %v", len(b), err)
	}
	stream, err := rig.js.Stream(ctx, "OBJ_PUTTEST")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, func() bool {
		si, err := stream.Info(ctx, jetstream.WithSubjectFilter("$O.PUTTEST.C."+old.NUID))
		return err == nil && len(si.State.Subjects) == 0
	})
	infos, err := rig.obs.List(ctx)
	if err != nil || len(infos) != 10 {
		t.Errorf("List: %d objects, err %v; want 10", len(infos), err)
	}
}

// TestObjPutRefusesGap: a message stored in the bucket's stream between an
// object's first chunk and its meta message (as a lost chunk would leave a
// gap) makes the relay refuse the meta message: the put fails and no object
// appears half-sent.
func TestObjPutRefusesGap(t *testing.T) {
	rig := newObjRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// 64 KiB a second, one chunk deep: the second and third chunks wait.
	lim := rate.NewLimiter(64<<10, UploadChunk)
	errc := make(chan error, 1)
	go func() {
		_, err := rig.p.Put(ctx, jetstream.ObjectMeta{Name: "gap"}, testData(3*UploadChunk, 1), lim, nil)
		errc <- err
	}()
	// The first chunk is stored; the next waits half a second for tokens.
	stream, err := rig.js.Stream(ctx, "OBJ_PUTTEST")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, func() bool {
		si, err := stream.Info(ctx)
		return err == nil && si.State.Msgs >= 1
	})
	if _, err := rig.js.Publish(ctx, "$O.PUTTEST.C.stray", []byte("x")); err != nil {
		t.Fatal(err)
	}
	err = <-errc
	if !errors.Is(err, ErrPutRefused) {
		t.Fatalf("put with a gap: %v, want ErrPutRefused", err)
	}
	if _, err := rig.obs.GetInfo(ctx, "gap"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("GetInfo after the refused put: %v, want not found", err)
	}
	// The next put goes through.
	if _, err := rig.p.Put(ctx, jetstream.ObjectMeta{Name: "gap"}, testData(3*UploadChunk, 1), nil, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := rig.obs.GetBytes(ctx, "gap"); err != nil || !bytes.Equal(b, testData(3*UploadChunk, 1)) {
		t.Errorf("after the retry: %d bytes, err %v", len(b), err)
	}
}

// TestObjPutPaces: every byte put is paid for in the token bucket, one
// chunk at a time (the bucket is one chunk deep, so a wait for more would
// block until the deadline).
func TestObjPutPaces(t *testing.T) {
	rig := newObjRig(t)
	for _, size := range []int{0, 5, UploadChunk, 2*UploadChunk + 3} {
		// A full bucket, refilled at 1 byte a second.
		lim := rate.NewLimiter(1, UploadChunk)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if size > UploadChunk {
			// More than one bucket: refill fast enough for the test.
			lim = rate.NewLimiter(rate.Limit(size), UploadChunk)
			lim.AllowN(time.Now(), UploadChunk)
		}
		start := time.Now()
		_, err := rig.p.Put(ctx, jetstream.ObjectMeta{Name: "paced"}, testData(size, 3), lim, nil)
		cancel()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if size <= UploadChunk {
			want := float64(UploadChunk - size)
			if left := lim.Tokens(); left < want-0.5 || left > want+0.5+time.Since(start).Seconds() {
				t.Errorf("size %d: %.1f tokens left, want %.0f (every byte paid)", size, left, want)
			}
		} else if d := time.Since(start); d < 900*time.Millisecond {
			// size bytes at size bytes a second from an empty bucket.
			t.Errorf("size %d: put in %v with an empty bucket refilled at %d B/s, want about 1 s", size, d, size)
		}
	}
}
