/*
 * rerun.h - what a re-run round (rerun_round) keeps from its source round:
 * every assignment confirmed there.  Private to engine/ (jobs.c).
 *
 * Normal case: after the region is loaded (and sorted), fm_rerun_prepare
 * reads the source round's confirmed rows and reduces the region in place:
 * each confirmed student stops asking on that side (wants_* = 0), each
 * target's capacity drops by its confirmed students, and a placement's
 * reserve_pct is reset so the reserved seats still open are right (see
 * rerun.c).  fm_solver_run then solves the rest; fm_rerun_merge restores the
 * region, lays the confirmed rows over the result and recomputes both
 * vectors over the union, so the round is saved and summarised as a whole.
 *
 * Failure cases: the store's errors reading the source rows; FM_ENOMEM.
 * A confirmed row whose student or target is no longer active (withdrawn),
 * or whose student no longer asks on that side, is not kept.
 */
#ifndef FM_RERUN_H
#define FM_RERUN_H

#include <stdint.h>

#include "region.h"
#include "solver.h"
#include "store.h"

typedef struct fm_rerun_fixed {
    int32_t student, target;
    int side;                 /* FM_SIDE_* */
    int8_t rank;
    int16_t utility;
    double distance_km;
} fm_rerun_fixed;

typedef struct fm_rerun {
    fm_rerun_fixed *fixed;
    size_t n_fixed;
    int32_t *p_capacity, *p_reserve_pct; /* originals, per placement */
    int32_t *m_capacity;                 /* originals, per mentor */
    uint8_t *confirmed[2];               /* per side, per student: kept */
    int applied;
} fm_rerun;

void fm_rerun_init(fm_rerun *k);
void fm_rerun_free(fm_rerun *k);

/* Reads the confirmed rows of round source and reduces region (above). */
int fm_rerun_prepare(fm_rerun *k, fm_store *st, int64_t source, fm_region *region,
                     fm_error *err);

/* Restores region and merges the kept rows into res (vectors recomputed). */
void fm_rerun_merge(fm_rerun *k, fm_region *region, fm_result *res);

/* The reserve_pct (0..100) that gives floor(capacity * pct / 100) == want,
 * or, when no integer pct does, the smallest one giving more (rerun.c). */
int32_t fm_rerun_reserve_pct(int32_t capacity, int32_t want);

#endif
