package room

import (
	_ "unsafe" // go:linkname

	_ "github.com/nats-io/nats-server/v2/server/pse" // the sampler below
)

// natsProcStatFile is the file nats-server's pse package reads every
// second from its init on (a 1 Hz time.AfterFunc chain that keeps the
// server's CPU figure for its monitoring page): linked in by the relay, it
// runs in every podmark process, and stops at the first tick that cannot
// read it.
//
//go:linkname natsProcStatFile github.com/nats-io/nats-server/v2/server/pse.procStatFile
var natsProcStatFile string

// StopServerSampler stops nats-server's once-a-second CPU sampler in a
// process that never runs a relay (`podmark record` and every command but
// `podmark relay`): each tick reads /proc and wakes the Go runtime, which
// then polls for a few milliseconds (sysmon). It must be called before the
// process starts any goroutine that could run a relay, and at most a second
// after the process started (the sampler's first tick): it is not
// synchronized with the sampler. Only a relay's monitoring page uses the
// figure.
func StopServerSampler() { natsProcStatFile = "" }
