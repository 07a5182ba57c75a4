/* Debian's Wine 8 has no bcryptprimitives.dll, which Rust's standard
 * library imports for ProcessPrng (its random source on Windows 10+).
 * This shim, placed next to ferret.exe for the Wine smoke test only,
 * exports ProcessPrng over advapi32's RtlGenRandom (SystemFunction036). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
