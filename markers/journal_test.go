package markers

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func mk(id string, k Kind, title string, sample int64) Marker {
	return Marker{ID: id, Kind: k, Title: title, Sample: sample, Author: "ana", UTC: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC).Add(time.Duration(sample) * time.Microsecond)}
}

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markers.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	a := mk("a", Topic, "Intro", 0)
	b := mk("b", Sponsor, "DigitalOcean", 960000)
	c := mk("c", Edit, "retake", 480000)
	c.End = 528000
	d := mk("d", Note, "löschen ✂", 1440000)
	d.URL = "https://example.com/?q=a&b=<c>"
	for _, m := range []Marker{a, b, c, d} {
		if err := j.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Update(Update{ID: "b", Title: ptr("Sponsor: DigitalOcean"), Sample: ptr(int64(1000000))}); err != nil {
		t.Fatal(err)
	}
	if err := j.Update(Update{ID: "d", Kind: ptr(Glitch), URL: ptr("")}); err != nil {
		t.Fatal(err)
	}
	if err := j.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ms, warns, err := ReplayJournalFile(path)
	if err != nil || len(warns) != 0 {
		t.Fatalf("replay: %v %q", err, warns)
	}
	b.Title, b.Sample = "Sponsor: DigitalOcean", 1000000
	d.Kind, d.URL = Glitch, ""
	want := []Marker{c, b, d}
	if !reflect.DeepEqual(ms, want) {
		t.Fatalf("replay:\n got %+v\nwant %+v", ms, want)
	}

	// Reopening appends; replay sees both sessions' lines.
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Add(mk("e", Topic, "Later", 5)); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ms, warns, err = ReplayJournalFile(path)
	if err != nil || len(warns) != 0 || len(ms) != 4 || ms[0].ID != "e" {
		t.Fatalf("after reopen: %v %q %+v", err, warns, ms)
	}
}

func TestJournalRejectsBadInput(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "markers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	bad := []Marker{
		{Kind: Topic},
		{ID: "x", Kind: "chapter"},
		{ID: "x", Kind: Topic, Sample: -1},
		{ID: "x", Kind: Edit, Sample: 10, End: 5},
	}
	for _, m := range bad {
		if err := j.Add(m); !errors.Is(err, ErrBadMarker) {
			t.Errorf("Add(%+v) = %v, want ErrBadMarker", m, err)
		}
	}
	if err := j.Update(Update{ID: "x", Kind: ptr(Kind("nope"))}); !errors.Is(err, ErrBadKind) {
		t.Errorf("Update bad kind = %v", err)
	}
	if err := j.Update(Update{}); !errors.Is(err, ErrBadMarker) {
		t.Errorf("Update no id = %v", err)
	}
	if err := j.Delete(""); !errors.Is(err, ErrBadMarker) {
		t.Errorf("Delete empty = %v", err)
	}
}

func TestJournalClosed(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "markers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Add(mk("a", Topic, "x", 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close = %v", err)
	}
	if err := j.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
}

func TestOpenJournalMissingDir(t *testing.T) {
	_, err := OpenJournal(filepath.Join(t.TempDir(), "nope", "markers.jsonl"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

// opFile records the order of Write and Sync calls.
type opFile struct {
	mu       sync.Mutex
	ops      []string
	writeErr error
	syncErr  error
}

func (f *opFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, "write")
	if f.writeErr != nil {
		return 0, f.writeErr
	}
	return len(p), nil
}
func (f *opFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, "sync")
	return f.syncErr
}
func (f *opFile) Close() error { return nil }
func (f *opFile) snapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ops...)
}

// Each Add/Update/Delete writes one line and syncs it before returning.
func TestJournalSyncsEachLineBeforeReturning(t *testing.T) {
	f := &opFile{}
	j := &Journal{f: f, path: "fake"}
	calls := []func() error{
		func() error { return j.Add(mk("a", Topic, "x", 0)) },
		func() error { return j.Update(Update{ID: "a", Title: ptr("y")}) },
		func() error { return j.Delete("a") },
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
		got := f.snapshot()
		want := []string{}
		for range i + 1 {
			want = append(want, "write", "sync")
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after call %d ops = %v, want %v", i, got, want)
		}
	}
}

func TestJournalStickyError(t *testing.T) {
	boom := errors.New("disk full")
	f := &opFile{syncErr: boom}
	j := &Journal{f: f, path: "fake"}
	if err := j.Add(mk("a", Topic, "x", 0)); !errors.Is(err, boom) {
		t.Fatalf("Add = %v, want sync error", err)
	}
	f.syncErr = nil
	if err := j.Add(mk("b", Topic, "x", 0)); !errors.Is(err, boom) {
		t.Fatalf("Add after failure = %v, want sticky error", err)
	}
}

func TestJournalConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markers.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if err := j.Add(mk(fmt.Sprintf("g%d-%d", g, i), Note, strings.Repeat("x", 500), int64(i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ms, warns, err := ReplayJournalFile(path)
	if err != nil || len(warns) != 0 || len(ms) != 100 {
		t.Fatalf("replay: %v %q %d markers", err, warns, len(ms))
	}
}

func TestReplayWarnings(t *testing.T) {
	good := `{"op":"add","marker":{"id":"a","kind":"topic","title":"Intro","sample":0,"utc":"2026-11-25T08:00:00Z"}}`
	tests := []struct {
		name  string
		in    string
		ids   []string
		warns []string // substrings, one per warning, in order
	}{
		{"empty", "", nil, nil},
		{"blank lines and CRLF", "\r\n" + good + "\r\n\r\n", []string{"a"}, nil},
		{"BOM", "\xef\xbb\xbf" + good + "\n", []string{"a"}, nil},
		{"torn last line", good + "\n" + `{"op":"add","marker":{"id":"b","ki`, []string{"a"}, []string{"line 2: torn last line"}},
		{"garbage", "hello\n" + good + "\n\x00\x01\n", []string{"a"}, []string{"line 1: not a journal line", "line 3: not a journal line"}},
		{"unknown op", `{"op":"rename","id":"a"}` + "\n" + good, []string{"a"}, []string{"line 1: unknown op"}},
		{"update unknown", good + "\n" + `{"op":"update","id":"zz","title":"x"}`, []string{"a"}, []string{`line 2: update of unknown id "zz"`}},
		{"delete unknown", good + "\n" + `{"op":"delete","id":"zz"}` + "\n", []string{"a"}, []string{`line 2: delete of unknown id "zz"`}},
		{"add without marker", `{"op":"add"}`, nil, []string{"line 1: add without a marker"}},
		{"add bad kind", `{"op":"add","marker":{"id":"q","kind":"chapter","sample":0}}`, nil, []string{"line 1: add ignored"}},
		{"update to bad kind", good + "\n" + `{"op":"update","id":"a","kind":"chapter"}`, []string{"a"}, []string{"line 2: update ignored"}},
		{"duplicate add", good + "\n" + good, []string{"a"}, []string{`line 2: add of existing id "a"`}},
		{"delete then re-add", good + "\n" + `{"op":"delete","id":"a"}` + "\n" + good, []string{"a"}, nil},
		{"wrong types", `{"op":"add","marker":{"id":1}}` + "\n" + `[1,2]` + "\n" + `null`, nil, []string{"line 1:", "line 2:", "line 3:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, warns, err := ReplayJournal(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("ids = %q, want %q", ids, tt.ids)
			}
			if len(warns) != len(tt.warns) {
				t.Fatalf("warnings = %q, want %d like %q", warns, len(tt.warns), tt.warns)
			}
			for i, w := range tt.warns {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, warns[i], w)
				}
			}
		})
	}
}

func TestReplayFileWarningNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markers.jsonl")
	if err := os.WriteFile(path, []byte("junk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, warns, err := ReplayJournalFile(path)
	if err != nil || len(warns) != 1 || !strings.HasPrefix(warns[0], path+":1: ") {
		t.Fatalf("warns = %q, err = %v", warns, err)
	}
	if _, _, err := ReplayJournalFile(filepath.Join(t.TempDir(), "missing.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

type errReader struct{ data string }

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, errors.New("device gone")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReplayReadError(t *testing.T) {
	in := `{"op":"add","marker":{"id":"a","kind":"topic","title":"Intro","sample":0}}` + "\n"
	ms, _, err := ReplayJournal(&errReader{data: in})
	if err == nil || len(ms) != 1 {
		t.Fatalf("ms=%v err=%v, want the marker and the error", ms, err)
	}
}

// A crash in the middle of a line leaves a torn tail; reopening heals it so
// later lines are not glued to the torn one.
func TestOpenJournalHealsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markers.jsonl")
	full := `{"op":"add","marker":{"id":"a","kind":"topic","title":"Intro","sample":0}}` + "\n"
	if err := os.WriteFile(path, []byte(full+`{"op":"add","marker":{"id":"b"`), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Add(mk("c", Topic, "After crash", 100)); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ms, warns, err := ReplayJournalFile(path)
	if err != nil || len(ms) != 2 || ms[1].ID != "c" || len(warns) != 1 || !strings.Contains(warns[0], ":2: not a journal line") {
		t.Fatalf("ms=%+v warns=%q err=%v", ms, warns, err)
	}
}

// Every truncation point of a journal replays without error, losing at most
// the line that was cut.
func TestReplayEveryTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markers.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := j.Add(mk(strconv.Itoa(i), Topic, "T ✓", int64(i*1000))); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for cut := range len(data) + 1 {
		part := string(data[:cut])
		complete := strings.Count(part, "\n")
		ms, warns, err := ReplayJournal(strings.NewReader(part))
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) < complete || len(ms) > complete+1 {
			t.Fatalf("cut %d: %d markers from %d complete lines", cut, len(ms), complete)
		}
		if len(ms) == complete && !strings.HasSuffix(part, "\n") && cut > 0 && len(warns) != 1 {
			t.Fatalf("cut %d: torn line without a warning: %q", cut, warns)
		}
	}
}

// TestJournalKill9 runs a child process that journals markers and prints each
// id once Add has returned, kills it with SIGKILL, and checks that every
// acknowledged marker replays.
func TestJournalKill9(t *testing.T) {
	if os.Getenv("PODMARK_JOURNAL_CHILD") != "" {
		journalChild(os.Getenv("PODMARK_JOURNAL_CHILD"))
		return
	}
	for run := range 3 {
		path := filepath.Join(t.TempDir(), "markers.jsonl")
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalKill9$")
		cmd.Env = append(os.Environ(), "PODMARK_JOURNAL_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var acked []string
		for sc.Scan() && len(acked) < 20+run*15 {
			acked = append(acked, sc.Text())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() {
			acked = append(acked, sc.Text())
		}
		_ = cmd.Wait() // killed: the error is expected
		ms, _, err := ReplayJournalFile(path)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, m := range ms {
			have[m.ID] = true
		}
		for _, id := range acked {
			if !have[id] {
				t.Fatalf("run %d: acknowledged marker %s lost (%d acked, %d replayed)", run, id, len(acked), len(ms))
			}
		}
	}
}

func journalChild(path string) {
	j, err := OpenJournal(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		id := NewID()
		if err := j.Add(Marker{ID: id, Kind: Topic, Title: "t", Sample: int64(i), UTC: time.Now()}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(id)
	}
}

func TestNewIDUniqueSortedSafe(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	for range 10000 {
		id := NewID()
		if seen[id] || id <= prev {
			t.Fatalf("id %q after %q not unique and increasing", id, prev)
		}
		seen[id] = true
		prev = id
		if len(id) != 24 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("id %q not 24 hex digits", id)
		}
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
		ok   bool
	}{
		{"topic", Topic, true}, {" Sponsor ", Sponsor, true}, {"EDIT", Edit, true}, {"note", Note, true},
		{"glitch", Glitch, true}, {"", "", false}, {"chapter", "", false},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseKind(%q) = %q, %v", tt.in, got, err)
		}
		if !tt.ok && !errors.Is(err, ErrBadKind) {
			t.Errorf("ParseKind(%q) err %v not ErrBadKind", tt.in, err)
		}
	}
}

func TestMarkerSeconds(t *testing.T) {
	m := Marker{Sample: 72000, End: 96000}
	if m.Seconds(48000) != 1.5 || m.EndSeconds(48000) != 2 || m.Seconds(0) != 0 || !m.IsRegion() {
		t.Fatal(m.Seconds(48000), m.EndSeconds(48000))
	}
}
