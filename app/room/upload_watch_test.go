package room

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
)

// TestUploadWatchesLiveSession uploads a session recorded by this process
// with the folder polling turned off (Poll of an hour): the uploader must
// follow the recording through the session's Watch signals alone (a
// segment on disk, the stop), send everything and verify it, with the lag
// from the session's own count while it records.
func TestUploadWatchesLiveSession(t *testing.T) {
	r := startRelay(t, t.TempDir())
	defer r.Close()
	url := "nats://" + r.Addr().String()
	var lb logBuf
	c := joinURL(t, url, "live", &lb)
	dir := filepath.Join(t.TempDir(), "s")
	frames := int64(2*SegmentFrames + 777)
	started := make(chan *Uploader, 1)
	go func() {
		defer close(started)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, session.MetaFile)); err == nil {
				break
			}
		}
		if session.Running(dir) == nil {
			t.Error("the session being recorded is not Running")
		}
		up, err := StartUpload(context.Background(), c, dir, UploadOptions{Log: lb.log, Poll: time.Hour})
		if err != nil {
			t.Error(err)
			return
		}
		started <- up
	}()
	recordRamp(t, dir, "live", audio.Int16, 1, frames, "ramp:x20")
	up := <-started
	if up == nil {
		t.Fatal("no uploader")
	}
	defer up.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := up.Wait(ctx); err != nil {
		t.Fatalf("%v\n%s", err, lb.String())
	}
	meta, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := up.Status(); st.State != UploadVerified || st.Sent != meta.Frames || st.Recorded != meta.Frames || st.BehindMS != 0 {
		t.Errorf("status %+v, want verified with %d frames", st, meta.Frames)
	}
	obs, _ := editorStore(t, url, "live")
	checkPulled(t, obs, dir)
}

// TestLimitedReader: each Read returns a whole chunk (the object store makes
// one message of each), the last one short, then io.EOF, and every byte
// read was paid for with the bucket's tokens.
