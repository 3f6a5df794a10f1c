/*
 * alloc_faults.h - allocation failure injection for the tests of code that
 * allocates with malloc & co. (test_region.c, test_csv.c,
 * test_request_faults.c).
 *
 * alloc_faults.c replaces malloc, calloc, realloc and free in the test
 * executable it is linked into, and with them the allocations of the
 * libraries it uses (SQLite, libuv, protobuf-c, libcsv).  It forwards to
 * glibc's __libc_* functions, or under AddressSanitizer to ASan's own
 * (__interceptor_*), so leak and overflow checking stay on.  After
 * fault_arm(n) the n-th allocation counted fails (returns NULL) and sets
 * fault_failed; fault_live counts the blocks allocated minus the blocks
 * freed, so a test can check that nothing leaks.  Counting is atomic (libuv's
 * worker threads allocate too); a thread may exclude its own allocations
 * with fault_pause (the test's client code, between the server's turns).
 */
#ifndef FM_TEST_ALLOC_FAULTS_H
#define FM_TEST_ALLOC_FAULTS_H

#define FAULTS 1

extern int fault_failed; /* an allocation was made to fail since fault_arm() */
extern long fault_live;  /* blocks allocated minus blocks freed */

/* Fails the n-th allocation from now on (counting malloc, calloc and
 * realloc); 0: never, and stop counting.  Clears fault_failed. */
void fault_arm(long n);

/* Allocations counted since the last fault_arm (at most n). */
long fault_counted(void);

/* Nonzero: this thread's allocations are neither counted nor failed. */
void fault_pause(int paused);

#endif
