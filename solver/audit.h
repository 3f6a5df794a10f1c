/*
 * audit.h - the justified-envy audit of one side of a round.  Private.
 *
 * Definition (policy.md's tiers, fm_envy_audit in solver.h): a pair (s, t)
 * of a student s and a target t is an envy pair when
 *   1. (s, t) is eligible (a candidate pair of s);
 *   2. s prefers t: s is unmatched, or u(s, t) > the utility s got;
 *   3. t holds at least one student of a lower priority tier than s (a
 *      tier number greater than s's).
 * Each (s, t) counts once however many lower-tier students t holds; the
 * example names the lowest-tier holder with the smallest index.  Seats are
 * not distinguished: a tier-3 pupil in a general seat of a placement with
 * a reserve counts as envied like any other (pairs_reserve says how many
 * pairs are at such placements).  fair-access v1 maximises counts tier by
 * tier, then total utility, so envy by a matched pupil is allowed by the
 * policy; envy by an unmatched pupil is not (swapping the two would place
 * one more pupil of a higher tier), so pairs_unmatched is 0 in every
 * optimum.  Cost: one pass over the students' candidate pairs, stopping at
 * the first pair not better than what s got (pairs are sorted by utility).
 */
#ifndef FM_AUDIT_H
#define FM_AUDIT_H

#include "candidates.h"
#include "solver.h"

/* match[] as filled by fm_explain_side.  FM_OK or FM_ENOMEM. */
int fm_audit_envy(const fm_region *r, int mentors, const fm_cands *c,
                  const fm_match *match, fm_envy_audit *out);

#endif
