//go:build windows

// The capture queue on Windows: there is no /dev/shm, so its file lives in
// the user's temp folder (session.DefaultQueueDir), created as a temporary
// file (the cache manager keeps it in memory and writes it to disk lazily)
// and mapped shared. What the callback wrote survives the process being
// killed: the pages belong to the file, not the process.

#include <errno.h>
#include <stdlib.h>
#include <windows.h>

#include "queuemap.h"

// wide converts UTF-8 (Go's strings) to a new UTF-16 string, or NULL.
static wchar_t *wide(const char *s) {
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	if (n <= 0) return NULL;
	wchar_t *w = malloc(n * sizeof *w);
	if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		return NULL;
	}
	return w;
}

void *podmarkMapQueue(const char *path, size_t size, intptr_t *handle) {
	if (!path) {
		*handle = -1;
		void *p = VirtualAlloc(NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
		if (!p) errno = (int)GetLastError();
		return p;
	}
	wchar_t *w = wide(path);
	if (!w) {
		errno = ERROR_INVALID_NAME;
		return NULL;
	}
	// Shared for reading, writing and deleting, so that `podmark recover`
	// can read it and remove it once written out (only the lock says
	// "being recorded").
	HANDLE f = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
		NULL, CREATE_NEW, FILE_ATTRIBUTE_TEMPORARY | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED, NULL);
	if (f == INVALID_HANDLE_VALUE) {
		errno = (int)GetLastError();
		free(w);
		return NULL;
	}
	void *p = NULL;
	HANDLE m = NULL;
	OVERLAPPED ov = {0};
	ov.Offset = (DWORD)PODMARK_LOCK_OFFSET;
	ov.OffsetHigh = (DWORD)(PODMARK_LOCK_OFFSET >> 32);
	uint64_t sz = size;
	if (LockFileEx(f, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov) &&
			(m = CreateFileMappingW(f, NULL, PAGE_READWRITE, (DWORD)(sz >> 32), (DWORD)sz, NULL)) != NULL) {
		p = MapViewOfFile(m, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, size);
	}
	if (!p) {
		DWORD e = GetLastError();
		if (m) CloseHandle(m);
		CloseHandle(f);
		DeleteFileW(w);
		free(w);
		errno = (int)e;
		return NULL;
	}
	CloseHandle(m); // the view keeps the mapping
	free(w);
	*handle = (intptr_t)f;
	return p;
}

void podmarkUnmapQueue(void *p, size_t size, intptr_t handle) {
	(void)size;
	if (handle == -1) {
		VirtualFree(p, 0, MEM_RELEASE);
		return;
	}
	UnmapViewOfFile(p);
	CloseHandle((HANDLE)handle); // also ends the lock
}
