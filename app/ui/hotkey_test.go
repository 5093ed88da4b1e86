package ui

import (
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/podmark/podmark/internal/testenv"
)

func TestParseChord(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"Ctrl+Alt+1", "Ctrl+Alt+1", false},
		{"ctrl+alt+T", "Ctrl+Alt+T", false},
		{"Super+F9", "Super+F9", false},
		{"ctrl+alt+f12", "Ctrl+Alt+F12", false},
		{"ctrl+alt+space", "Ctrl+Alt+space", false},
		{" Control + Shift + a ", "Ctrl+Shift+A", false},
		{"Shift+a", "", true},
		{"a", "", true},
		{"Ctrl+", "", true},
		{"Hyper+1", "", true},
	}
	for _, tt := range tests {
		c, err := ParseChord(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseChord(%q) err = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && c.String() != tt.want {
			t.Errorf("ParseChord(%q) = %q, want %q", tt.in, c.String(), tt.want)
		}
	}
}

// TestGrabHotkeysX11 grabs a chord on the real X display and presses it with
// xdotool: the press must arrive even though no window of ours has the focus.
func TestGrabHotkeysX11(t *testing.T) {
	testenv.Display(t)
	c3, _ := ParseChord("Ctrl+Alt+Shift+F7")
	c5, _ := ParseChord("Ctrl+Alt+Shift+F8")
	got := make(chan Action, 4)
	h, err := GrabHotkeys(map[Action]Chord{ActionEdit: c3, ActionNext: c5}, func(a Action) { got <- a })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, k := range []struct {
		keys string
		want Action
	}{{"ctrl+alt+shift+F8", ActionNext}, {"ctrl+alt+shift+F7", ActionEdit}} {
		if out, err := exec.Command("xdotool", "key", k.keys).CombinedOutput(); err != nil {
			t.Fatalf("xdotool key %s: %v %s", k.keys, err, out)
		}
		select {
		case a := <-got:
			if a != k.want {
				t.Fatalf("%s fired %v, want %v", k.keys, a, k.want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("%s: hotkey did not fire", k.keys)
		}
	}
	// A second grab of the same chord by another connection must fail clearly.
	if h2, err := GrabHotkeys(map[Action]Chord{ActionEdit: c3}, func(Action) {}); err == nil {
		h2.Close()
		t.Fatal("grabbing a taken chord succeeded")
	} else if h2 != nil {
		h2.Close()
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHotkeysText: the shared modifiers are said once; mixed chords are
// listed in full.
func TestHotkeysText(t *testing.T) {
	ctrlAlt := ModCtrl | ModAlt
	tests := []struct {
		chords map[Action]Chord
		err    error
		want   string
	}{
		{map[Action]Chord{ActionTopic: {ctrlAlt, "1"}, ActionSponsor: {ctrlAlt, "2"}, ActionEdit: {ctrlAlt, "3"}, ActionNote: {ctrlAlt, "4"}, ActionNext: {ctrlAlt, "5"}}, nil,
			"From any app: Ctrl+Alt + 1 topic · 2 sponsor · 3 edit · 4 note · 5 next segment"},
		{map[Action]Chord{ActionTopic: {ctrlAlt, "1"}, ActionNote: {ModSuper, "m"}}, nil,
			"From any app: Ctrl+Alt+1 topic · Super+M note"},
		{map[Action]Chord{ActionEdit: {ModCtrl | ModShift, "e"}}, errors.New("grab"),
			"From any app: Ctrl+Shift + E edit (some could not be set up: see Settings)"},
	}
	for _, tt := range tests {
		if got := hotkeysText(tt.chords, tt.err); got != tt.want {
			t.Errorf("hotkeysText(%v) = %q, want %q", tt.chords, got, tt.want)
		}
	}
}
