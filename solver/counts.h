/*
 * counts.h - levels 1 to 3 of the policy: the most tier-1 students matched,
 * then tier 2, then tier 3.  Private to the solver.
 *
 * fm_counts_solve() grows an assignment by augmenting paths, one tier at a
 * time.  Augmenting never unmatches a student, so once tier t can grow no
 * more, later tiers cannot lower it: the counts are lexicographically
 * maximal.  For each level t it records the source side X_t of a minimum
 * cut of the network of the students of tiers <= t (everything from which
 * no pool with a free seat can be reached backwards); the cut's capacity is
 * n1 + ... + nt, which proves that no assignment matches more students of
 * tiers <= t (max-flow min-cut).  certificate.c re-checks that without
 * trusting this code.
 */
#ifndef FM_COUNTS_H
#define FM_COUNTS_H

#include <stdint.h>

#include "pools.h"

typedef struct fm_cuts {
    uint8_t *student;   /* bit t-1 set: student in X_t */
    uint8_t *pool;      /* bit t-1 set: pool in X_t */
} fm_cuts;

/* a must be empty (fm_assign_init).  On success counts[t-1] = n_t.
 * Returns FM_OK, FM_ENOMEM or FM_ECANCELLED (stop returned nonzero). */
int fm_counts_solve(const fm_pools *p, fm_assign *a, int64_t counts[3],
                    fm_cuts *cuts, int (*stop)(void *), void *stop_arg);
void fm_cuts_free(fm_cuts *c);

#endif
