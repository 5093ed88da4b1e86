// Package room joins podmark hosts and their editor in one live show over
// NATS: the relay (an embedded nats-server with JetStream), the room link,
// live markers, presence, the rundown and the shared clock.
//
// Every NATS subject, stream, consumer and bucket name is spelled in
// names.go and nowhere else; docs/room.md documents them. Messages are small
// versioned JSON structs (msg.go) with a Validate method, decoded with size
// limits.
//
// The package has no Fyne and app/session does not import it: the recorder
// publishes through session.Publisher, which Client implements.
package room
