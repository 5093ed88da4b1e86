//go:build !linux

// No /dev/shm outside Linux (queuedir_linux.go): the user's temp folder.

package session

import "os"

// DefaultQueueDir holds the persistent capture queues: the user's temp
// folder (%TEMP% on Windows, where audio/queuemap_windows.c makes each a
// temporary file that the system keeps in memory as long as it can). It
// outlives a killed process, and a restart too.
var DefaultQueueDir = os.TempDir()
