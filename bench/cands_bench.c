/*
 * cands_bench.c - times candidate-pair listing alone (solver/candidates.c).
 *
 *     fm_cands_bench DIR DATE [REPS]
 *
 * Reads DIR/students.csv, placements.csv and (if present) mentors.csv as
 * `fairmatch solve` does (sorted by ref), then lists the placement and the
 * mentor pairs REPS times (default 3) with 1 thread and with the default
 * number, and prints per side and thread count the best wall and CPU time
 * (the CPU time is the steadier figure on a shared machine), the
 * pairs, and a checksum of the lists (FNV-1a over target, utility and rank
 * of every pair in order), so a change to the listing can be checked to give
 * the same pairs.  Exit 1 when a file cannot be read (the reader's message
 * on stderr), 3 when two runs give different lists.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "candidates.h"
#include "csv_input.h"
#include "csv_reader.h"
#include "region.h"

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t checksum(const fm_cands *c)
{
    uint64_t h = 14695981039346656037ull;
    for (int32_t s = 0; s < c->n_students; s++)
        h = fnv(h, (uint64_t)(c->start[s + 1] - c->start[s]));
    for (int64_t i = 0; i < c->n_pairs; i++)
        h = fnv(h, ((uint64_t)(uint32_t)c->target[i] << 24) |
                       ((uint64_t)(uint16_t)c->utility[i] << 8) | (uint8_t)c->rank[i]);
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fm_cands_bench DIR DATE [REPS]\n");
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    fm_region r;
    fm_error err = { 0 };
    fm_csv_warnings w;
    int32_t date;
    char path[4096];
    fm_region_init(&r);
    if (fm_csv_parse_date(argv[2], &date) != 0) {
        fprintf(stderr, "fm_cands_bench: not a date: %s\n", argv[2]);
        return 2;
    }
    snprintf(path, sizeof path, "%s/students.csv", argv[1]);
    fm_csv_warnings_clear(&w);
    if (fm_csv_read_students(&r, path, &w, &err))
        goto fail;
    snprintf(path, sizeof path, "%s/placements.csv", argv[1]);
    if (fm_csv_read_placements(&r, path, &w, &err))
        goto fail;
    snprintf(path, sizeof path, "%s/mentors.csv", argv[1]);
    if (access(path, R_OK) == 0 && fm_csv_read_mentors(&r, path, &w, &err))
        goto fail;
    fm_region_sort_by_ref(&r);
    int status = 0;
    printf("side\tthreads\tbest_s\tbest_cpu_s\tpairs\tchecksum\n");
    for (int mentors = 0; mentors <= 1; mentors++) {
        uint64_t first_sum = 0;
        for (int threads = 1; threads >= 0; threads--) {
            double best = 1e30, best_cpu = 1e30;
            fm_cands c;
            uint64_t sum = 0;
            int64_t pairs = 0;
            for (int k = 0; k < reps; k++) {
                double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
                if (fm_cands_build(&r, date, mentors, threads, &c, &err))
                    goto fail;
                double t = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
                best = t < best ? t : best;
                best_cpu = cpu < best_cpu ? cpu : best_cpu;
                sum = checksum(&c);
                pairs = c.n_pairs;
                fm_cands_free(&c);
            }
            if (threads == 1)
                first_sum = sum;
            else if (sum != first_sum)
                status = 3;
            printf("%s\t%s\t%.3f\t%.3f\t%lld\t%016llx\n", mentors ? "mentors" : "placements",
                   threads ? "1" : "all", best, best_cpu, (long long)pairs, (unsigned long long)sum);
        }
    }
    fm_region_free(&r);
    return status;
fail:
    fprintf(stderr, "fm_cands_bench: %s\n", err.message);
    fm_region_free(&r);
    return 1;
}
