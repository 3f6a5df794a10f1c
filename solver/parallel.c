/*
 * parallel.c - a parallel loop over an index range (see parallel.h).
 *
 * Normal case: the caller and up to threads - 1 helper threads claim chunks
 * from one atomic counter until none is left.  Failure: a helper that cannot
 * be started is simply not there; the others, the caller at least, do all
 * the chunks.  No allocation beyond the helpers' thread ids.
 */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define MAX_THREADS 8

typedef struct loop {
    size_t n, chunk;
    atomic_size_t next;
    void (*fn)(void *, size_t, size_t);
    void *arg;
} loop;

int fm_parallel_threads(int wanted)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = wanted > 0 ? wanted : (cpus < 1 ? 1 : (int)cpus);
    return n > MAX_THREADS ? MAX_THREADS : n;
}

static void *run(void *arg)
{
    loop *l = arg;
    for (;;) {
        size_t lo = atomic_fetch_add(&l->next, l->chunk);
        if (lo >= l->n)
            return NULL;
        size_t hi = l->n - lo < l->chunk ? l->n : lo + l->chunk;
        l->fn(l->arg, lo, hi);
    }
}

void fm_parallel_for(size_t n, size_t chunk, int threads,
                     void (*fn)(void *arg, size_t lo, size_t hi), void *arg)
{
    loop l = { .n = n, .chunk = chunk ? chunk : 1, .fn = fn, .arg = arg };
    atomic_init(&l.next, 0);
    int nt = fm_parallel_threads(threads);
    if ((size_t)nt > n / l.chunk + 1)
        nt = (int)(n / l.chunk + 1);
    pthread_t tid[MAX_THREADS];
    int started = 0;
    for (int i = 1; i < nt; i++) {
        if (pthread_create(&tid[started], NULL, run, &l) != 0)
            break;
        started++;
    }
    run(&l);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}
