package room

import (
	"strings"
	"testing"

	"github.com/podmark/podmark/app/session"
)

// TestFinishedSession: what `podmark upload` and the window's recovery
// send must be finalised and hold a recording; the error says what to do.
func TestFinishedSession(t *testing.T) {
	for _, tc := range []struct {
		state session.State
		want  string // "" = accepted
	}{
		{session.StateStopped, ""},
		{session.StateRecovered, ""},
		{session.StateFailed, ""},
		{session.StateRecording, "run 'podmark recover"},
		{session.StatePaused, "run 'podmark recover"},
		{session.StateCreated, "holds no recording"},
	} {
		dir := t.TempDir()
		if err := session.WriteMeta(dir, session.Meta{FormatVersion: session.FormatVersion, Title: "t", Host: "alice", Rate: 48000, State: tc.state}); err != nil {
			t.Fatal(err)
		}
		m, err := FinishedSession(dir)
		switch {
		case tc.want == "" && (err != nil || m.State != tc.state):
			t.Errorf("%s: %+v, %v", tc.state, m.State, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir)):
			t.Errorf("%s: %v, want an error naming %s and saying %q", tc.state, err, dir, tc.want)
		}
	}
	if _, err := FinishedSession(t.TempDir()); err == nil {
		t.Error("a folder without session.json was accepted")
	}
}
