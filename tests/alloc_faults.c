/*
 * alloc_faults.c - malloc, calloc, realloc and free of a test executable,
 * made to fail on request (alloc_faults.h).
 *
 * Normal case: every call is forwarded to the allocator underneath (glibc's
 * __libc_*, or ASan's __interceptor_* under AddressSanitizer, which then
 * still sees every block) and counted.  Armed with n, the n-th counted
 * allocation returns NULL instead; later ones succeed again (the code under
 * test must cope with one failure, then be able to go on).
 */
#include <stddef.h>

#include "alloc_faults.h"

#if defined(__SANITIZE_ADDRESS__)
#define REAL(f) __interceptor_##f
#else
#define REAL(f) __libc_##f
#endif
extern void *REAL(malloc)(size_t);
extern void *REAL(calloc)(size_t, size_t);
extern void *REAL(realloc)(void *, size_t);
extern void REAL(free)(void *);

static long fail_at;   /* fail the fail_at-th allocation counted; 0: never */
static long n_counted; /* allocations since arming */
static _Thread_local int paused;
int fault_failed;
long fault_live;

static int should_fail(void)
{
    if (paused || __atomic_load_n(&fail_at, __ATOMIC_RELAXED) <= 0)
        return 0;
    if (__atomic_add_fetch(&n_counted, 1, __ATOMIC_RELAXED) ==
        __atomic_load_n(&fail_at, __ATOMIC_RELAXED)) {
        __atomic_store_n(&fault_failed, 1, __ATOMIC_RELAXED);
        return 1;
    }
    return 0;
}

static void count_live(long d)
{
    __atomic_add_fetch(&fault_live, d, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = REAL(malloc)(n);
    if (p)
        count_live(1);
    return p;
}

void *calloc(size_t a, size_t b)
{
    if (should_fail())
        return NULL;
    void *p = REAL(calloc)(a, b);
    if (p)
        count_live(1);
    return p;
}

void *realloc(void *old, size_t n)
{
    if (should_fail())
        return NULL;
    void *p = REAL(realloc)(old, n);
    if (p && !old)
        count_live(1);
    return p;
}

void free(void *p)
{
    if (p)
        count_live(-1);
    REAL(free)(p);
}

void fault_arm(long n)
{
    __atomic_store_n(&fail_at, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&n_counted, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fault_failed, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fail_at, n, __ATOMIC_RELAXED);
}

long fault_counted(void)
{
    return __atomic_load_n(&n_counted, __ATOMIC_RELAXED);
}

void fault_pause(int on)
{
    paused = on;
}
