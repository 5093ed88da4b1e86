//go:build !windows

// The capture queue in mmap memory: on Linux its file lives in /dev/shm
// (session.DefaultQueueDir), memory that outlives a killed process.

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "queuemap.h"

void *podmarkMapQueue(const char *path, size_t size, intptr_t *handle) {
	void *p = MAP_FAILED;
	if (path) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) return NULL;
		// The lock says "being recorded" to a recover run (ReplayQueue)
		// for as long as the file is open here; the kernel drops it when
		// the process dies, however it dies.
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && ftruncate(fd, (off_t)size) == 0) {
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		}
		if (p == MAP_FAILED) {
			int e = errno;
			close(fd);
			unlink(path);
			errno = e;
			return NULL;
		}
		*handle = fd;
	} else {
		*handle = -1;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) return NULL;
	}
#ifdef MADV_NOHUGEPAGE
	// In ordinary 4 KiB pages: transparent huge pages made opening the
	// stream cost about 8 ms more CPU (the kernel clears each 2 MiB page on
	// the first touch, which was slow here), and a page fault in the
	// callback is avoided either way (podmarkQueueNew touches every page).
	madvise(p, size, MADV_NOHUGEPAGE);
#endif
	return p;
}

void podmarkUnmapQueue(void *p, size_t size, intptr_t handle) {
	munmap(p, size);
	if (handle >= 0) close((int)handle);
}
