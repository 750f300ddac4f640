/*
 * A stand-in for bcryptprimitives.dll, for the Windows smoke test under wine
 * only (never shipped). Rust's standard library asks ProcessPrng for random
 * bytes on Windows 10 and later; Debian 12's wine 8.0 does not have it yet,
 * so the .exe would not even load. This answers from RtlGenRandom, which
 * wine has. scripts/smoke-windows.sh builds it into the test's wine prefix.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
