package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/podmark/podmark/app/session"
	"github.com/podmark/podmark/markers"
)

func TestRecordBadFlagsCreateNothing(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "s")
	full := filepath.Join(root, "full")
	if err := os.MkdirAll(filepath.Join(full, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{}, "--out is required"},
		{[]string{"--out", out, "--rate", "22050"}, "--rate"},
		{[]string{"--out", out, "--rate", "abc"}, "--rate"},
		{[]string{"--out", out, "--bits", "8"}, "--bits"},
		{[]string{"--out", out, "--channels", "0"}, "--channels"},
		{[]string{"--out", out, "--duration", "-1s"}, "--duration"},
		{[]string{"--out", out, "--nope"}, "flag provided but not defined"},
		{[]string{"--out", out, "extra"}, "unexpected argument"},
		{[]string{"--out", out, "--device", "ramp:1", "--channels", "2"}, "device \"ramp:1\" has 1"},
		{[]string{"--out", out, "--device", "ramp:zz"}, "fake device"},
		{[]string{"--out", full, "--device", "ramp"}, "not empty"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := runRecord(tt.args, strings.NewReader(""), &stdout, &stderr)
		if code != 2 {
			t.Errorf("record %q: exit %d, want 2; stderr %s", tt.args, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("record %q: stderr %q does not mention %q", tt.args, stderr.String(), tt.msg)
		}
		if stdout.Len() != 0 {
			t.Errorf("record %q: stdout %q", tt.args, stdout.String())
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("record %q left %s behind", tt.args, out)
		}
	}
}

// pipeInput feeds lines to runRecord with pauses, like a person typing.
type step struct {
	wait time.Duration
	line string
}

func feed(steps []step) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		for _, s := range steps {
			time.Sleep(s.wait)
			if _, err := io.WriteString(pw, s.line+"\n"); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}

func TestRecordRampCommands(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	in := feed([]step{
		{300 * time.Millisecond, "topic Intro and welcome"},
		{0, "bogus command"},
		{200 * time.Millisecond, "pause"},
		{200 * time.Millisecond, "note while paused"},
		{0, "resume"},
		{1100 * time.Millisecond, "sponsor Acme Mics"},
		{0, "edit"},
		{0, "stop"},
		{0, "topic never read"},
	})
	var stdout, stderr bytes.Buffer
	code := runRecord([]string{"--out", out, "--device", "ramp", "--channels", "2", "--bits", "16", "--host", "Bo", "--title", "Ep 1"}, in, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	var acks []Ack
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var a Ack
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		acks = append(acks, a)
	}
	if len(acks) != 4 {
		t.Fatalf("%d acks, want 4:\n%s", len(acks), stdout.String())
	}
	wantKinds := []string{"topic", "note", "sponsor", "edit"}
	wantTitles := []string{"Intro and welcome", "while paused", "Acme Mics", ""}
	for i, a := range acks {
		if string(a.Kind) != wantKinds[i] || a.Title != wantTitles[i] || a.ID == "" || a.At != float64(a.Sample)/48000 {
			t.Errorf("ack %d = %+v", i, a)
		}
	}
	errs := stderr.String()
	for _, want := range []string{"unknown command: \"bogus\"", "paused", "resumed", "status state=", "stopped (stop)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	meta, err := session.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta.State != session.StateStopped || meta.Bits != "16" || meta.Channels != 2 || meta.Title != "Ep 1" || len(meta.Pauses) != 1 {
		t.Errorf("session.json %+v", meta)
	}
	if acks[1].Sample != meta.Pauses[0].At {
		t.Errorf("note while paused at %d, pause at %d", acks[1].Sample, meta.Pauses[0].At)
	}
	for _, f := range []string{"tracks/bo-1.wav", "tracks/bo-2.wav", "markers.jsonl", "session.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	doc, err := session.LoadDoc(out)
	if err != nil || len(doc.Markers) != 4 {
		t.Errorf("LoadDoc: %d markers, %v", len(doc.Markers), err)
	}
}

func TestRecordDurationAndEOF(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	pr, pw := io.Pipe() // stdin stays open: --duration must end it
	defer pw.Close()
	var stdout, stderr bytes.Buffer
	code := runRecord([]string{"--out", out, "--device", "ramp", "--duration", "700ms"}, pr, &stdout, &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "stopped (duration reached)") {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	meta, err := session.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	// Checked every 20 ms: the length is the duration plus at most a little.
	if meta.Frames < 700*48 || meta.Frames > 700*48+48000/2 {
		t.Errorf("%d frames for --duration 700ms", meta.Frames)
	}

	out2 := filepath.Join(t.TempDir(), "s")
	stderr.Reset()
	code = runRecord([]string{"--out", out2, "--device", "ramp"}, strings.NewReader("topic x\n"), &stdout, &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "stopped (end of input)") {
		t.Fatalf("end of stdin: exit %d; stderr:\n%s", code, stderr.String())
	}

	// With --duration, the end of stdin (cron, systemd: < /dev/null) does
	// not stop the recording: the duration does. A marker before the end
	// of input is still taken.
	out3 := filepath.Join(t.TempDir(), "s")
	stderr.Reset()
	code = runRecord([]string{"--out", out3, "--device", "ramp", "--duration", "600ms"}, strings.NewReader("topic before the end\n"), &stdout, &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "stopped (duration reached)") || !strings.Contains(stderr.String(), "end of input: recording on") {
		t.Fatalf("--duration with stdin at its end: exit %d; stderr:\n%s", code, stderr.String())
	}
	meta, err = session.Load(out3)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Frames < 600*48 {
		t.Errorf("%d frames for --duration 600ms with stdin at its end", meta.Frames)
	}
	if ms, _, err := markers.ReplayJournalFile(filepath.Join(out3, session.JournalFile)); err != nil || len(ms) != 1 {
		t.Errorf("journal: %v %+v", err, ms)
	}
}

// TestHelpNamesDocs: every command's --help (and the window's) names its
// doc page, and record's says what stops a recording.
func TestHelpNamesDocs(t *testing.T) {
	for name := range commands {
		var stderr bytes.Buffer
		run([]string{name, "--help"}, strings.NewReader(""), io.Discard, &stderr)
		page := docPages[name]
		if page == "" || !strings.Contains(stderr.String(), "Documentation: "+page) {
			t.Errorf("podmark %s --help does not name its doc page (%q):\n%s", name, page, stderr.String())
		}
		if _, err := os.Stat(filepath.Join("..", "..", page)); err != nil {
			t.Errorf("podmark %s: doc page %s: %v", name, page, err)
		}
	}
	var stderr bytes.Buffer
	t.Setenv("DISPLAY", ":99")
	run([]string{"--dir", "x", "--help"}, strings.NewReader(""), io.Discard, &stderr)
	if !strings.Contains(stderr.String(), "Documentation: docs/window.md") || !strings.Contains(stderr.String(), "-test-inputs") {
		t.Errorf("the window's --help:\n%s", stderr.String())
	}
	stderr.Reset()
	run([]string{"record", "--help"}, strings.NewReader(""), io.Discard, &stderr)
	for _, want := range []string{"What stops a recording", "end of stdin, unless --duration", "SIGINT"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("record --help lacks %q", want)
		}
	}
}

// TestVersion: podmark --version and podmark version print podmark's
// version, then Go's, Fyne's and PortAudio's.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("podmark %v: exit %d\n%s", args, code, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "podmark "+session.AppVersion) ||
			!strings.HasPrefix(lines[1], "Go go1.") || !strings.HasSuffix(lines[1], " "+runtime.GOOS+"/"+runtime.GOARCH) ||
			!strings.HasPrefix(lines[2], "Fyne ") || !strings.Contains(lines[3], "PortAudio V19") {
			t.Errorf("podmark %v:\n%s", args, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version", "x"}, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("podmark version x: exit %d, want 2", code)
	}
}

func TestRecoverCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	var stdout, stderr bytes.Buffer
	if code := runRecord([]string{"--out", out, "--device", "ramp"}, feed([]step{{200 * time.Millisecond, "topic a"}}), &stdout, &stderr); code != 0 {
		t.Fatalf("record: %s", stderr.String())
	}
	// Make it look crashed: state recording, header sizes stale.
	meta, err := session.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, session.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"state": "stopped"`), []byte(`"state": "recording"`), 1)
	if err := os.WriteFile(filepath.Join(out, session.MetaFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	track := filepath.Join(out, filepath.FromSlash(meta.Tracks[0].File))
	fi, err := os.Stat(track)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(track, fi.Size()-2); err != nil { // a torn final frame
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := runRecover([]string{out}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "repaired, state recovered (was recording)") {
		t.Errorf("recover output:\n%s", stdout.String())
	}
	after, err := session.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != session.StateRecovered || after.Frames != meta.Frames-1 {
		t.Errorf("after recover: state %s frames %d (was %d)", after.State, after.Frames, meta.Frames)
	}
	stdout.Reset()
	if code := runRecover([]string{out}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "unchanged") {
		t.Errorf("second recover: exit %d\n%s", code, stdout.String())
	}
	if code := runRecover(nil, nil, &stdout, &stderr); code != 2 {
		t.Errorf("recover without a folder: exit %d", code)
	}
	stdout.Reset()
	stderr.Reset()
	if code := runRecover([]string{t.TempDir()}, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "session.json") {
		t.Errorf("recover of a non-session: exit %d, %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("recover of a non-session printed a summary: %q", stdout.String())
	}
}

func TestDevicesCommand(t *testing.T) {
	requireJACK(t)
	var stdout, stderr bytes.Buffer
	if code := runDevices(nil, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("devices: exit %d\n%s", code, stderr.String())
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			t.Errorf("line %q: %d fields, want 5", l, len(f))
			continue
		}
		if f[2] == jackHostAPI {
			found = true
		}
	}
	if !found {
		t.Errorf("no JACK device listed:\n%s", stdout.String())
	}
	// The fake input comes last, plainly labelled as no microphone.
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if last := strings.Split(lines[len(lines)-1], "\t"); last[0] != "ramp" || !strings.Contains(last[1], "TEST SIGNAL, not a microphone") {
		t.Errorf("the ramp line: %q", lines[len(lines)-1])
	}
	if code := runDevices([]string{"x"}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("devices x: exit %d", code)
	}
}
