/*
 * alloc_faults.c - malloc, calloc, realloc and free of a test executable,
 * made to fail on request (alloc_faults.h).
 */
#include <stddef.h>

#include "alloc_faults.h"

#if FAULTS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static long fail_at;   /* fail the fail_at-th allocation counted; 0: never */
static long n_counted; /* allocations since arming */
int fault_failed;
long fault_live;

static int should_fail(void)
{
    if (fail_at <= 0)
        return 0;
    if (++n_counted == fail_at) {
        fault_failed = 1;
        return 1;
    }
    return 0;
}

void *malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __libc_malloc(n);
    if (p)
        fault_live++;
    return p;
}

void *calloc(size_t a, size_t b)
{
    if (should_fail())
        return NULL;
    void *p = __libc_calloc(a, b);
    if (p)
        fault_live++;
    return p;
}

void *realloc(void *old, size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __libc_realloc(old, n);
    if (p && !old)
        fault_live++;
    return p;
}

void free(void *p)
{
    if (p)
        fault_live--;
    __libc_free(p);
}

void fault_arm(long n)
{
    fail_at = n;
    n_counted = 0;
    fault_failed = 0;
}
#else
typedef int alloc_faults_unused; /* AddressSanitizer owns malloc */
#endif
