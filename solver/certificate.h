/*
 * certificate.h - the independent check of a side's result.  Private.
 *
 * fm_certificate_check() trusts neither counts.c nor utility.c.  From the
 * candidate pairs, the final assignment, the three cuts and the level-4
 * potentials it
 *   1. re-checks every assigned pair against the rules (fm_cands_check_*),
 *      its rank and utility, and every placement's capacity and tier-3 limit
 *      (capacity - floor(capacity * reserve_pct / 100));
 *   2. computes the capacity of each cut X_t over all pairs of the region:
 *      an upper bound on n1 + ... + nt for any assignment;
 *   3. computes the dual objective D of the level-4 network from the
 *      potentials over all pairs: weak duality gives U <= 500 * N - D for
 *      any assignment with the same counts.
 * It fills proof[] with value and bound of each level and vec with the
 * recomputed vector.  FM_OK when every bound equals its value (the result is
 * proven optimal); FM_EINTERNAL with a message otherwise.
 */
#ifndef FM_CERTIFICATE_H
#define FM_CERTIFICATE_H

#include "candidates.h"
#include "counts.h"
#include "pools.h"
#include "solver.h"

int fm_certificate_check(const fm_region *r, int mentors, int32_t date,
                         const fm_pools *p, const fm_assign *a,
                         const fm_cuts *cuts, const int64_t *potentials,
                         fm_level_proof proof[4], fm_vector *vec, fm_error *err);

#endif
