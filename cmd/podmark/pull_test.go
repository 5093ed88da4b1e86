package main

import (
	"testing"
	"time"

	"github.com/podmark/podmark/app/room"
)

func TestPullStatus(t *testing.T) {
	for _, tc := range []struct {
		p    room.PullProgress
		want string
	}{
		{room.PullProgress{}, "[........................]   0% 0/0 segments 0.0 MB  0s"},
		{room.PullProgress{Elapsed: 12 * time.Second, Hosts: []room.HostPull{
			{Host: "alice", State: room.PullPulling, Segments: 3, Known: 4, Bytes: 2_500_000, Frames: 48000 * 75, Rate: 48000},
			{Host: "bob", State: room.PullSkipped, Segments: 0, Known: 0, Frames: 10, Rate: 48000},
		}}, "[##################......]  75% 3/4 segments 2.5 MB alice:pulling 00:01:15 bob:skipped 12s"},
		{room.PullProgress{Hosts: []room.HostPull{{Host: "a", State: room.PullWaiting, Segments: 5, Known: 4}}},
			"[########################] 100% 5/4 segments 0.0 MB a:waiting 0s"},
	} {
		if got := PullStatus(tc.p); got != tc.want {
			t.Errorf("PullStatus(%+v)\n got %q\nwant %q", tc.p, got, tc.want)
		}
	}
}

func TestPullLine(t *testing.T) {
	for _, tc := range []struct {
		h    room.HostPull
		want string
	}{
		{room.HostPull{Host: "alice", State: room.PullVerified, Frames: 48000 * 3661, Rate: 48000}, "alice\tverified\tout/alice\t01:01:01"},
		{room.HostPull{Host: "bob", State: room.PullDamaged, Error: "room: pull: damaged"}, "bob\tdamaged\tout/bob.partial\t?\troom: pull: damaged"},
	} {
		if got := pullLine("out", tc.h); got != tc.want {
			t.Errorf("pullLine(%+v) = %q, want %q", tc.h, got, tc.want)
		}
	}
}
