package merge

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/align"
	"github.com/podmark/podmark/internal/testenv"
	"github.com/podmark/podmark/markers"
)

var base = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type mergeCase struct {
	name       string
	tA0        float64 // truth time of host A's sample 0
	nA         float64 // seconds
	tB0        float64 // wanted truth time of host B's sample 0
	nB         float64
	kB         float64 // B's clock: B sample n is truth tB0 + n*kB/rate
	bleed      float32
	pauseAt    float64 // B file seconds where a pause begins (0: none)
	pauseLen   float64
	dropAt     float64 // B file seconds where frames were lost without a trace (0: none)
	dropLen    float64
	rateB      int     // 0: 48000
	stereoB    bool    // B has a second channel: its first at half level
	utcErrB    float64 // error of B's UTC start, seconds
	reference  bool
	refStart   float64
	refK       float64
	wantMerged int // near-duplicate markers folded
	// clock puts the show room's clock estimate into "master" (alice's
	// estimate of bob) or "session" (bob's of alice) session.json, wrong
	// by clockErr seconds; "" for none.
	clock    string
	clockErr float64
}

func TestMergeAgainstTruth(t *testing.T) {
	for _, c := range []mergeCase{
		{name: "mp3 reference, +300 ppm, B 12.5 s later", tA0: 2, nA: 60, tB0: 14.5, nB: 55, kB: 1.0003, bleed: 0.02,
			utcErrB: 0.4, reference: true, refStart: 1, refK: 1 + 50e-6, wantMerged: 1},
		{name: "hosts only, -200 ppm, B 28 s earlier, B paused", tA0: 30, nA: 45, tB0: 2, nB: 70, kB: 1 - 200e-6, bleed: 0.25,
			pauseAt: 10, pauseLen: 3, utcErrB: -0.7, stereoB: true, wantMerged: 1},
		{name: "mp3 reference, B at 44.1 kHz, -80 ppm, 30 ms dropout in B", tA0: 3, nA: 55, tB0: 1, nB: 56, kB: 1 - 80e-6, bleed: 0.02,
			dropAt: 27, dropLen: 0.03, rateB: 44100, utcErrB: 1.5, reference: true, refStart: 0.5, refK: 1, wantMerged: 1},
	} {
		t.Run(c.name, func(t *testing.T) { runMergeCase(t, c) })
	}
}

// TestMergeRoomClock: both machines' wall clocks are minutes apart (far
// outside the search range around the UTC guess), but the show room's
// clock in session.json is right within a few ms: the merge takes it as its
// coarse offset, still aligns within 1 ms, and reports how far the clock
// was from the audio.
func TestMergeRoomClock(t *testing.T) {
	for _, c := range []mergeCase{
		{name: "hosts only, alice's clock of bob, UTC 4 min off, -200 ppm, B paused", tA0: 30, nA: 45, tB0: 2, nB: 70, kB: 1 - 200e-6, bleed: 0.25,
			pauseAt: 10, pauseLen: 3, utcErrB: 240, wantMerged: 1, clock: "master", clockErr: 0.0031},
		{name: "mp3 reference, bob's clock of alice, UTC 7 min off, +300 ppm", tA0: 2, nA: 60, tB0: 14.5, nB: 55, kB: 1.0003, bleed: 0.02,
			utcErrB: -420, reference: true, refStart: 1, refK: 1 + 50e-6, wantMerged: 1, clock: "session", clockErr: -0.0012},
	} {
		t.Run(c.name, func(t *testing.T) { runMergeCase(t, c) })
	}
}

func runMergeCase(t *testing.T, c mergeCase) {
	ta, tb := speech(t)
	dir := t.TempDir()
	mixA := mix(ta, tb, 1, c.bleed)
	mixB := mix(tb, ta, 1, c.bleed)

	// Host A: exact samples of the truth.
	sA := int(c.tA0 * rate)
	trackA := append([]float32(nil), mixA[sA:sA+int(c.nA*rate)]...)
	// Host B: the truth through sox speed kB, from a whole sample.
	rB := c.rateB
	if rB == 0 {
		rB = rate
	}
	yB := driftedTo(t, mixB, c.kB, rB)
	m0 := int(math.Round(c.tB0 * float64(rB) / c.kB))
	tB0 := float64(m0) * c.kB / float64(rB)
	stream := yB[m0 : m0+int(c.nB*float64(rB))]
	trackB := stream
	var pauses []session.Pause
	P, S := int64(c.pauseAt*float64(rB)), int64(c.pauseLen*float64(rB))
	D, L := int64(c.dropAt*float64(rB)), int64(c.dropLen*float64(rB))
	if c.dropAt > 0 {
		trackB = append(append([]float32(nil), stream[:D]...), stream[D+L:]...)
	}
	if c.pauseAt > 0 {
		trackB = append(append([]float32(nil), stream[:P]...), stream[P+S:]...)
		pauses = []session.Pause{{At: P, Skipped: S, StartUTC: base.Add(time.Duration((tB0 + c.pauseAt) * float64(time.Second))),
			EndUTC: base.Add(time.Duration((tB0 + c.pauseAt + c.pauseLen) * float64(time.Second)))}}
	}
	utcA := base.Add(time.Duration(c.tA0 * float64(time.Second)))
	utcB := base.Add(time.Duration((tB0 + c.utcErrB) * float64(time.Second)))
	// Markers: A and B both press Topic about 1.2 s apart; B notes later.
	fileB := func(truth float64) int64 { // B's file frame of a truth time
		s := int64(math.Round((truth - tB0) * float64(rB) / c.kB))
		if c.pauseAt > 0 && s >= P+S {
			s -= S
		}
		if c.dropAt > 0 && s >= D+L {
			s -= L
		}
		return s
	}
	topicAt, noteAt := 30.0, tB0+c.nB*c.kB-8
	mkA := []markers.Marker{{ID: "a1", Kind: markers.Topic, Title: "Drift", Sample: int64((topicAt - c.tA0) * rate), Author: "alice", UTC: utcA}}
	mkB := []markers.Marker{
		{ID: "b1", Kind: markers.Topic, Title: "Clocks", Sample: fileB(topicAt + 1.2), Author: "bob", UTC: base.Add(time.Duration((topicAt + 1.2) * float64(time.Second)))},
		{ID: "b2", Kind: markers.Note, Title: "late note", Sample: fileB(noteAt), Author: "bob", UTC: base.Add(time.Duration(noteAt * float64(time.Second)))},
	}
	dirA, dirB := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	fsA := fakeSession{host: "alice", track: trackA, utc: utcA, markers: mkA}
	fsB := fakeSession{rate: rB, host: "bob", track: trackB, utc: utcB, pauses: pauses, markers: mkB}
	// The room's clock: bob's stream time p is truth tB0 + p*kB, alice's
	// time is truth - tA0; so bob's sample 0 is at tB0-tA0 on alice's
	// clock (plus the estimate's error), drifting by kB-1.
	clockAt := tB0 - c.tA0 + c.clockErr
	switch c.clock {
	case "master":
		fsA.clock = &session.RoomClock{Host: "alice", Rate: rate, Peers: []session.PeerClock{{Host: "bob", Rate: rB, Offset: clockAt, DriftPPM: (c.kB - 1) * 1e6, RTT: 0.0004, Rounds: 8, Measurements: 5, Span: 40}}}
		fsB.clock = &session.RoomClock{Host: "bob", Rate: rB, Peers: []session.PeerClock{}}
	case "session":
		fsB.clock = &session.RoomClock{Host: "bob", Rate: rB, Peers: []session.PeerClock{{Host: "alice", Rate: rate, Offset: -clockAt / c.kB, DriftPPM: (1/c.kB - 1) * 1e6, RTT: 0.0004, Rounds: 8, Measurements: 5, Span: 40}}}
	}
	fsA.write(t, dirA)
	if c.stereoB {
		fsB.extra = [][]float32{mix(trackB, trackB, 0.5, 0)}
	}
	fsB.write(t, dirB)

	// ±28 s keeps the probe's FFT at 2^20 points (the tests run with -race).
	opt := Options{Sessions: []string{dirA, dirB}, Out: filepath.Join(dir, "merged"), Search: 28 * time.Second}
	if c.reference {
		testenv.Tool(t, "lame")
		y := drifted(t, mix(ta, tb, 0.7, 0.7), c.refK)
		r0 := int(math.Round(c.refStart * rate / c.refK))
		wav, mp := filepath.Join(dir, "call.wav"), filepath.Join(dir, "call.mp3")
		if err := audio.WriteWAVFile(wav, audio.WriterOptions{Rate: rate, Channels: 1, Format: audio.Int16}, y[r0:r0+75*rate]); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("lame", "--quiet", "-b", "128", wav, mp).CombinedOutput(); err != nil {
			t.Fatalf("lame: %v\n%s", err, out)
		}
		opt.Reference = mp
	}
	rep, err := Merge(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sessions {
		t.Logf("%s: start %.6f offset %.6f drift %.2f ppm conf %.2f psr %.1f fit %+v", s.Host, s.Start, s.Offset, s.DriftPPM, s.Confidence, s.PSR, s.Fit)
	}
	wantPPM := (c.kB - 1) * 1e6
	if c.reference {
		wantPPM = (c.kB - 1) * 1e6 // against the master; the reference's own drift cancels
	}
	if got := rep.Sessions[1].DriftPPM; math.Abs(got-wantPPM) > 1 {
		t.Errorf("drift %.2f ppm, want %.2f", got, wantPPM)
	}
	if rc := rep.Sessions[1].RoomClock; c.clock == "" {
		if rc != nil || rep.Sessions[1].CoarseSource != "utc" {
			t.Errorf("no room clock given, but the report has %+v from %q", rc, rep.Sessions[1].CoarseSource)
		}
	} else {
		// The report names how far the clock was from the audio: the error
		// put into it (within the 1 ms the alignment is good to).
		if rc == nil || rc.From != c.clock || rep.Sessions[1].CoarseSource != "room_clock" {
			t.Fatalf("room clock in the report: %+v, coarse from %q", rc, rep.Sessions[1].CoarseSource)
		}
		if math.Abs(rc.ErrorMS-c.clockErr*1e3) > 0.5 || math.Abs(rc.EndErrorMS-c.clockErr*1e3) > 0.5 {
			t.Errorf("report says the clock was %+.3f ms (start) / %+.3f ms (end) from the audio; it was %+.3f ms", rc.ErrorMS, rc.EndErrorMS, c.clockErr*1e3)
		}
		var text strings.Builder
		if err := rep.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%+.3f ms from the audio at the start", rc.ErrorMS); !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}

	// The merged folder is a session.
	meta, err := session.Load(opt.Out)
	if err != nil {
		t.Fatal(err)
	}
	wantTracks := 2
	if c.stereoB {
		wantTracks = 3
	}
	if meta.Frames != rep.Frames || len(meta.Tracks) != wantTracks {
		t.Fatalf("merged meta %+v", meta)
	}
	if c.stereoB { // the second channel follows the first exactly
		_, b1, err := audio.ReadWAVFile(filepath.Join(opt.Out, meta.Tracks[1].File))
		if err != nil {
			t.Fatal(err)
		}
		_, b2, err := audio.ReadWAVFile(filepath.Join(opt.Out, meta.Tracks[2].File))
		if err != nil {
			t.Fatal(err)
		}
		for i := range b1 {
			if math.Abs(float64(b2[i]-0.5*b1[i])) > 1e-5 {
				t.Fatalf("bob's channel 2 differs from half of channel 1 at frame %d: %g vs %g", i, b2[i], b1[i])
			}
		}
	}
	_, outA, err := audio.ReadWAVFile(filepath.Join(opt.Out, meta.Tracks[0].File))
	if err != nil {
		t.Fatal(err)
	}
	_, outB, err := audio.ReadWAVFile(filepath.Join(opt.Out, meta.Tracks[1].File))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(outA)) != rep.Frames || int64(len(outB)) != rep.Frames {
		t.Fatalf("track lengths %d, %d, want %d", len(outA), len(outB), rep.Frames)
	}
	padA := int(math.Round(rep.Sessions[0].Start * rate))
	_, storedA, err := audio.ReadWAVFile(filepath.Join(dirA, "tracks", "alice-1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	for n := range storedA { // the master is copied unchanged
		if outA[padA+n] != storedA[n] {
			t.Fatalf("master sample %d changed: %g vs %g", n, outA[padA+n], storedA[n])
		}
	}
	// merged frame m is truth time tA0 + (m-padA)/rate.
	frameOf := func(truth float64) int { return padA + int(math.Round((truth-c.tA0)*rate)) }
	endB := tB0 + (c.nB+c.pauseLen)*c.kB
	if c.dropAt > 0 {
		fit := rep.Sessions[1].Fit
		if len(fit.Steps) != 1 || math.Abs(fit.Steps[0].Jump-c.dropLen*c.kB) > 0.2e-3 || len(rep.Warnings) == 0 {
			t.Errorf("dropout of %.0f ms at %.0f s: steps %+v, warnings %q", c.dropLen*1e3, c.dropAt, fit.Steps, rep.Warnings)
		}
	}
	for _, at := range []struct {
		name string
		from float64
		dir  float64
	}{{"start", tB0 + 0.2, 1}, {"end", endB - 3.5, -1}} {
		checked := false
		for try := 0; try < 10 && !checked; try++ {
			T := at.from + at.dir*float64(try)*1.5
			m := frameOf(T)
			if m < 0 || m+3*rate > len(outB) {
				continue
			}
			seg := outB[m : m+3*rate]
			ref := mixB[int(T*rate)-2400 : int(T*rate)+3*rate+2400]
			mt, err := align.Correlate(ref, seg, rate, 0, len(ref)-len(seg))
			if errors.Is(err, align.ErrNoSignal) || (err == nil && mt.PSR < 10) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			e := (mt.Lag - 2400 - (T*rate - float64(int(T*rate)))) / rate
			t.Logf("B at its %s (truth %.2f s): error %.4f ms (psr %.1f)", at.name, T, e*1e3, mt.PSR)
			if math.Abs(e) > 1e-3 {
				t.Errorf("B at its %s (truth %.2f s) is off by %.3f ms", at.name, T, e*1e3)
			}
			checked = true
		}
		if !checked {
			t.Errorf("no speech found to check B's %s", at.name)
		}
	}

	// Markers: one topic from both hosts at A's position; B's note in place.
	doc, err := session.LoadDoc(opt.Out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Markers.Merged != c.wantMerged || len(doc.Markers) != 2 {
		t.Fatalf("markers %+v report %+v", doc.Markers, rep.Markers)
	}
	top, note := doc.Markers[0], doc.Markers[1]
	if top.Kind != markers.Topic || top.Author != "alice, bob" || top.Title != "Drift / Clocks" {
		t.Errorf("merged topic %+v", top)
	}
	if d := math.Abs(float64(top.Sample - int64(frameOf(topicAt)))); d > 48 {
		t.Errorf("topic %d frames off", int(d))
	}
	if note.Author != "bob" || math.Abs(float64(note.Sample-int64(frameOf(noteAt)))) > 48 {
		t.Errorf("note at %d, want %d: %+v", note.Sample, frameOf(noteAt), note)
	}
	if _, err := os.Stat(filepath.Join(opt.Out, session.MergeReportFile)); err != nil {
		t.Error(err)
	}
}

func TestMergeNoCommonAudio(t *testing.T) {
	ta, tb := speech(t)
	dir := t.TempDir()
	dirA, dirB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	fakeSession{host: "alice", track: ta[rate*5 : rate*50], utc: base}.write(t, dirA)
	fakeSession{host: "bob", track: tb[rate*8 : rate*55], utc: base.Add(3 * time.Second)}.write(t, dirB)
	out := filepath.Join(dir, "merged")
	_, err := Merge(Options{Sessions: []string{dirA, dirB}, Out: out, Search: 20 * time.Second})
	if !errors.Is(err, ErrCannotAlign) || !errors.Is(err, align.ErrNoMatch) {
		t.Fatalf("no common audio: %v, want ErrCannotAlign", err)
	}
	if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("a failed merge left %s behind", out)
	}
	t.Log(err)
}

func TestMergeBadOptions(t *testing.T) {
	ta, _ := speech(t)
	dir := t.TempDir()
	dirA := filepath.Join(dir, "a")
	fakeSession{host: "alice", track: ta[:rate*10], utc: base}.write(t, dirA)
	busy := filepath.Join(dir, "busy")
	if err := os.MkdirAll(busy, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(busy, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"one session", Options{Sessions: []string{dirA}, Out: filepath.Join(dir, "o")}},
		{"same twice", Options{Sessions: []string{dirA, dirA}, Out: filepath.Join(dir, "o")}},
		{"no out", Options{Sessions: []string{dirA, dirA}}},
		{"out not empty", Options{Sessions: []string{dirA, filepath.Join(dir, "nope")}, Out: busy}},
	} {
		if _, err := Merge(tc.opt); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v, want ErrUsage", tc.name, err)
		}
	}
	if _, err := Merge(Options{Sessions: []string{dirA, filepath.Join(dir, "nope")}, Out: filepath.Join(dir, "o")}); !errors.Is(err, session.ErrNotSession) {
		t.Errorf("missing session: %v, want session.ErrNotSession", err)
	}
	if _, err := Merge(Options{Sessions: []string{dirA, dirA + "/."}, Out: filepath.Join(dir, "o2"), Reference: filepath.Join(dir, "none.mp3")}); err == nil {
		t.Error("same session through another path accepted")
	}
}
