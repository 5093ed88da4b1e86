package room

// This file owns every NATS subject, stream, consumer and bucket name the
// room uses; nothing else in podmark spells one. docs/room.md documents them.
//
// For show S, episode E and host H:
//
//	podmark.S.E.markers.H    marker events by H (JetStream stream PODMARK_S__E)
//	podmark.S.E.presence.H   H's presence, about once a second (core NATS)
//	podmark.S.E.clock.H      H answers clock requests here (request/reply)
//	podmark.S.E.upload.H.>   reserved
//	podmark.S.E.pulled.X     editor X announces verified pulls (Pulled)
//	PODMARK_S__E_UP_H        H's object store bucket of the hand-off (handoff.go)
//	PODMARK_S__E             the room's stream (markers), kept on disk
//	PODMARK_S__E_RUNDOWN     the rundown KV bucket; key "rundown"
//	markers-H                H's durable consumer on the room's stream

import "strings"

// Names are the NATS names of one room.
type Names struct {
	Show, Episode string
}

// NamesOf returns the names of the link's room.
func NamesOf(l Link) Names { return Names{Show: l.Show, Episode: l.Episode} }

func (n Names) prefix() string { return "podmark." + n.Show + "." + n.Episode }

// Stream is the room's JetStream stream.
func (n Names) Stream() string { return "PODMARK_" + n.Show + "__" + n.Episode }

// Markers is the subject host publishes its marker events on.
func (n Names) Markers(host string) string { return n.prefix() + ".markers." + host }

// AllMarkers matches every host's marker events.
func (n Names) AllMarkers() string { return n.prefix() + ".markers.*" }

// HostOf returns the host token of a room subject (markers, presence or
// clock), or "" when subj is not one of this room's.
func (n Names) HostOf(subj string) string {
	rest, ok := strings.CutPrefix(subj, n.prefix()+".")
	if !ok {
		return ""
	}
	kind, host, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(host, ".") {
		return ""
	}
	switch kind {
	case "markers", "presence", "clock":
		return host
	}
	return ""
}

// Presence is the subject host publishes its presence on.
func (n Names) Presence(host string) string { return n.prefix() + ".presence." + host }

// AllPresence matches every host's presence.
func (n Names) AllPresence() string { return n.prefix() + ".presence.*" }

// Clock is the subject host answers clock requests on.
func (n Names) Clock(host string) string { return n.prefix() + ".clock." + host }

// AllClock matches every host's clock subject.
func (n Names) AllClock() string { return n.prefix() + ".clock.*" }

// Upload is the subject prefix reserved for host's progressive upload.
func (n Names) Upload(host string) string { return n.prefix() + ".upload." + host }

// All matches every subject of the room.
func (n Names) All() string { return n.prefix() + ".>" }

// RundownBucket is the room's rundown KV bucket.
func (n Names) RundownBucket() string { return n.Stream() + "_RUNDOWN" }

// RundownKey is the one key of the rundown bucket.
const RundownKey = "rundown"

// Consumer is host's durable consumer on the room's stream.
func (n Names) Consumer(host string) string { return "markers-" + host }

// The JetStream API subjects a room member needs; used for permissions.
const (
	jsAPI = "$JS.API"
	jsAck = "$JS.ACK"
)

// kvSubjects is the subject space of the rundown bucket's stream.
func (n Names) kvSubjects() string { return "$KV." + n.RundownBucket() + ".>" }

// kvStream is the stream behind the rundown bucket.
func (n Names) kvStream() string { return "KV_" + n.RundownBucket() }
