/*
 * pools.h - the seat pools of one side of a round, and an assignment of
 * students to them.  Private to the solver.
 *
 * A placement with R = floor(capacity * reserve_pct / 100) reserved seats is
 * two pools: "general" (capacity - R seats, open to every tier) and
 * "reserved" (R seats, open to disadvantaged students only).  Any assignment
 * that keeps at most capacity - R tier-3 students in the placement can be
 * laid out in these pools and back, so the reserve rule becomes a plain
 * bipartite b-matching between students and pools.  A mentor is one general
 * pool.  Pools of zero seats do not exist (id -1).
 *
 * The edges of student s are its candidate pairs expanded to pools: for pair
 * i (candidates.h) edge 2*i is the general pool, 2*i+1 the reserved one.
 */
#ifndef FM_POOLS_H
#define FM_POOLS_H

#include <stdint.h>

#include "candidates.h"
#include "region.h"

typedef struct fm_pools {
    int32_t n_students, n_targets, n_pools;
    int32_t *cap;          /* per pool: seats */
    int32_t *target_of;    /* per pool: its placement / mentor */
    int32_t *general;      /* per target: general pool or -1 */
    int32_t *reserved;     /* per target: reserved pool or -1 */
    uint8_t *tier;         /* per student: 1, 2 or 3 */
    const fm_cands *cands; /* borrowed */
} fm_pools;

/* An assignment: per student the edge it holds (2*pair + reserved) or -1. */
typedef struct fm_assign {
    int64_t *edge;         /* per student */
    int32_t *load;         /* per pool: students assigned */
} fm_assign;

int fm_pools_init(fm_pools *p, const fm_region *r, const fm_cands *c, int mentors);
void fm_pools_free(fm_pools *p);

/* Pool of edge e for a student of the given tier, or -1 if the student may
 * not use it (reserved pool, tier 3) or the pool does not exist. */
static inline int32_t fm_pools_edge_pool(const fm_pools *p, int64_t e, int tier)
{
    int32_t t = p->cands->target[e >> 1];
    if (e & 1)
        return tier <= 2 ? p->reserved[t] : -1;
    return p->general[t];
}

int fm_assign_init(fm_assign *a, const fm_pools *p);
void fm_assign_free(fm_assign *a);

#endif
