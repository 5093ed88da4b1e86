// A stand-in bcryptprimitives.dll for Wine 8.0 (Debian 12's), which lacks
// it; only scripts/test-windows.sh installs it, into its own Wine prefix.
// Go programs since Go 1.22 take their random numbers from ProcessPrng in
// bcryptprimitives.dll, which every Windows 10 and 11 has (and Wine from
// 9.0 on), and stop at start-up without it. This ProcessPrng fills the
// buffer from RtlGenRandom (advapi32's SystemFunction036), Windows' own
// generator, which Wine 8.0 has. It is never part of podmark.exe or its zip.
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n) {
	while (n > 0) {
		ULONG k = n > 0x10000000 ? 0x10000000 : (ULONG)n;
		if (!RtlGenRandom(data, k)) return FALSE;
		data += k;
		n -= k;
	}
	return TRUE;
}
