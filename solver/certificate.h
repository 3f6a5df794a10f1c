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

/* The pool part of a proof, as a caller outside the solver keeps it
 * (fm_side_certificate, solver.h): pool cut bits and pool potentials
 * relative to the sink.  FM_ENOMEM. */
int fm_certificate_export(const fm_pools *p, const fm_cuts *cuts,
                          const int64_t *potentials, fm_side_certificate *out);

/* The other way: from a pool part, a full proof for fm_certificate_check.
 * Each student gets its best side of each cut (in X_t exactly when every
 * pool it may use at level t is in X_t: then it adds 0 to the cut's
 * capacity, else 1 outside) and its best potential (the maximiser of its
 * terms of the dual objective: clamp(tier potential, second-largest,
 * largest of pool potential - 500 + utility over the pools it may use)).
 * Any choice gives a valid bound, the best one the tightest, so a pool part
 * taken from a proven optimum always proves it again.  *cuts and
 * *potentials are allocated (fm_cuts_free, free()).  FM_ENOMEM. */
int fm_certificate_complete(const fm_pools *p, const fm_side_certificate *in,
                            fm_cuts *cuts, int64_t **potentials);

#endif
