/*
 * utility.h - level 4 of the policy: the largest total utility among the
 * assignments that keep the counts (n1, n2, n3) of levels 1-3.  Private.
 *
 * Any assignment with exactly those counts is optimal for levels 1-3, so
 * level 4 is one min-cost flow: tier nodes T1..T3 supply n1..n3 students,
 * each student sends at most one unit to a pool it may use at cost
 * 500 - utility, each pool passes at most its seats to the sink.  The flow
 * is solved by column generation: an auction (auction.h) first finds a
 * near-optimal assignment with the same counts; the network simplex (mcf.h)
 * starts from it and first sees, per student, the pair it holds and the
 * auction's best two others; then every other pair is priced with the node
 * potentials, those with a negative reduced cost are added, and the solve
 * continues from its basis, until no pair prices out.  Then the potentials are dual-feasible for the
 * whole network: the assignment is optimal, and certificate.c checks so.
 */
#ifndef FM_UTILITY_H
#define FM_UTILITY_H

#include <stdint.h>

#include "pools.h"

/* Node numbering of the level-4 network. */
#define FM_UNODE_TIER(t) ((int32_t)(t) - 1)   /* t = 1..3 */
#define FM_UNODE_SINK 3
#define FM_UNODE_STUDENT(s) (4 + (int32_t)(s))
#define FM_UNODE_POOL(p, q) (4 + (p)->n_students + (int32_t)(q))
#define FM_UTILITY_MAX 500

typedef struct fm_utility_stats {
    int32_t rounds;       /* pricing rounds */
    int64_t arcs;         /* student-pool arcs in the final network */
    int64_t pivots;
    int32_t auction_phases;   /* 0: the auction did not settle (auction.h) */
    int64_t auction_bids;
    int64_t auction_pairs_read;
} fm_utility_stats;

/* a holds an assignment with counts `counts` (from fm_counts_solve); it is
 * replaced by a utility-optimal one with the same counts.  *potentials
 * (owned by the caller after success; free()) gets one int64 per node.
 * threads: for the pricing passes (0 = one per CPU); the result does not
 * depend on it.
 * Returns FM_OK, FM_ENOMEM, FM_ECANCELLED or FM_EINTERNAL. */
int fm_utility_solve(const fm_pools *p, fm_assign *a, const int64_t counts[3],
                     int64_t **potentials, fm_utility_stats *stats, int threads,
                     int (*stop)(void *), void *stop_arg);

#endif
