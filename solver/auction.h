/*
 * auction.h - a near-optimal start for level 4, by an auction.  Private to
 * the solver.
 *
 * Level 4 asks for the largest total utility among the assignments that
 * place exactly n_t students of each tier t.  Give each tier a "not placed"
 * object with N_t - n_t seats (N_t: the tier's students that have a pool
 * they may use) and require every such student to take exactly one seat,
 * real or not-placed: then at least n_t students of tier t are placed, and
 * since (n1, n2, n3) is lexicographically maximal, exactly n_t are.  That
 * is an assignment problem with seat capacities and no tier structure, and
 * Bertsekas' auction with epsilon-scaling solves such problems quickly.
 *
 * The auction's answer is only a start: utility.c hands it to the network
 * simplex as the starting flow and prices every pair against the simplex's
 * potentials, so exactness and the certificate never depend on this file.
 * A start close to the optimum is what saves the simplex its pivots.
 */
#ifndef FM_AUCTION_H
#define FM_AUCTION_H

#include <stdint.h>

#include "pools.h"

typedef struct fm_auction_stats {
    int32_t phases;       /* epsilon-scaling phases run */
    int64_t bids;         /* bids made, over all phases */
    int64_t scans;        /* bids that had to re-read a student's pairs */
    int64_t pairs_read;   /* pairs those scans read */
} fm_auction_stats;

/* a must hold an assignment with counts `counts` (levels 1-3).  On FM_OK it
 * is replaced by the auction's assignment, which has the same counts, and
 * if hints is not NULL, hints[s * n_hints + k] (k < n_hints) gets the pairs
 * (edges, pools.h) of best value for student s at the end, -1 where there
 * are fewer.  On any error a and hints are unchanged: FM_ENOMEM,
 * FM_ECANCELLED (stop returned nonzero), FM_EINTERNAL (a phase did not
 * settle within its bid limit, or the counts came out different; neither
 * should happen, and the caller keeps the levels-1-3 start). */
int fm_auction_start(const fm_pools *p, const int64_t counts[3], fm_assign *a,
                     int64_t *hints, int n_hints, fm_auction_stats *stats,
                     int (*stop)(void *), void *stop_arg);

#endif
