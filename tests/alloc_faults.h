/*
 * alloc_faults.h - allocation failure injection for the tests of code that
 * allocates with malloc & co. (test_region.c, test_csv.c).
 *
 * alloc_faults.c replaces malloc, calloc, realloc and free in the test
 * executable it is linked into (forwarding to glibc's __libc_* functions):
 * after fault_arm(n) the n-th allocation counted fails (returns NULL) and
 * sets fault_failed; fault_live counts the blocks allocated minus the blocks
 * freed, so a test can check that nothing leaks.  Under AddressSanitizer,
 * which owns malloc, nothing is replaced and FAULTS is 0: the tests that
 * need it skip.
 */
#ifndef FM_TEST_ALLOC_FAULTS_H
#define FM_TEST_ALLOC_FAULTS_H

#if defined(__SANITIZE_ADDRESS__)
#define FAULTS 0
#else
#define FAULTS 1

extern int fault_failed; /* an allocation was made to fail since fault_arm() */
extern long fault_live;  /* blocks allocated minus blocks freed */

/* Fails the n-th allocation from now on (counting malloc, calloc and
 * realloc); 0: never.  Clears fault_failed. */
void fault_arm(long n);
#endif

#endif
