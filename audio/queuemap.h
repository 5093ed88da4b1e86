// The capture queue's memory, per platform (queuemap_unix.c,
// queuemap_windows.c); capqueue.c's podmarkQueueNew and podmarkQueueFree
// call these.
#include <stddef.h>
#include <stdint.h>

// PODMARK_LOCK_OFFSET is the byte a recorder locks in its queue file on
// Windows, far past the end of the file (lockQueue in queuelock_windows.go
// locks the same byte): Windows locks are mandatory, so locking the file's
// own bytes would keep `podmark recover` from even reading them.
#define PODMARK_LOCK_OFFSET (UINT64_C(1) << 62)

// podmarkMapQueue maps size bytes, zeroed or not: with path NULL anonymous
// memory, else a new file path (which must not exist), mapped shared and
// locked for as long as it stays mapped, so that a recover run
// (ReplayQueue) sees that it is being recorded; the lock ends when the
// process does, however it ends. It stores the file's handle (-1 for
// anonymous memory) in *handle and returns NULL on error, with errno set
// (on Windows to the system error code, which is what Go's syscall.Errno
// means there), having removed any file it made.
void *podmarkMapQueue(const char *path, size_t size, intptr_t *handle);

// podmarkUnmapQueue releases a mapping podmarkMapQueue made; the file stays.
void podmarkUnmapQueue(void *p, size_t size, intptr_t handle);
