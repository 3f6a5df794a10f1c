/*
 * parallel.h - a parallel loop over an index range, for the solver's
 * embarrassingly parallel passes (pricing every candidate pair).
 */
#ifndef FM_PARALLEL_H
#define FM_PARALLEL_H

#include <stddef.h>

/* How many threads to use: `wanted` if positive, else one per online CPU;
 * at most 8. */
int fm_parallel_threads(int wanted);

/* Calls fn(arg, lo, hi) for consecutive chunks [lo, hi) of [0, n), each of
 * at most `chunk` indices, on up to `threads` threads (fm_parallel_threads
 * decides) including the caller's.  Chunks are handed out in order as
 * threads become free, so fn must only write what belongs to its own
 * indices; the result then does not depend on the number of threads.  If
 * a thread cannot be started, the others do its share.  Returns when every
 * chunk is done. */
void fm_parallel_for(size_t n, size_t chunk, int threads,
                     void (*fn)(void *arg, size_t lo, size_t hi), void *arg);

#endif
