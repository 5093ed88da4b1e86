//go:build linux

// /dev/shm is Linux's (other systems: queuedir_other.go).

package session

// DefaultQueueDir holds the persistent capture queues: memory (tmpfs) that
// outlives a killed process but not a restart.
const DefaultQueueDir = "/dev/shm"
