package audio

import "runtime"

// canSyncDir: a folder can be fsynced, so that new directory entries
// survive a power cut. Not on Windows: FlushFileBuffers refuses a folder
// ("Access denied"), and NTFS journals directory changes itself.
const canSyncDir = runtime.GOOS != "windows"
