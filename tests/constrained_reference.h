/*
 * constrained_reference.h - the extra constraints of a round
 * (solver/constraints.h) restated plainly, with an exhaustive lexicographic
 * optimum under them, for tests only.
 *
 * Written from the definitions in constraints.h, never from the solver's
 * constrained_*.c, and built on policy_reference.h's tabulated side (its
 * eligibility, tiers, capacities and tier-3 limits).  It owns: whether an
 * assignment (target or -1 per student) meets each constraint, and the
 * best vector over every assignment that meets all of them.  Exhaustive:
 * meant for at most ~7 students and 4 targets.
 */
#ifndef FM_CONSTRAINED_REFERENCE_H
#define FM_CONSTRAINED_REFERENCE_H

#include "policy_reference.h"

/* 1 when assign (feasible for capacities and tier-3 limits) meets every
 * constraint of c on this side; else 0 and a short reason in why. */
int fm_cref_meets(const fm_region *r, const fm_ref_side *side, const fm_side_constraints *c,
                  const int32_t *assign, char *why, size_t why_size);

/* The lexicographic optimum over the assignments that meet c: 1 found
 * (*best set), 0 none meets c (infeasible), FM_ENOMEM. */
int fm_cref_bruteforce(const fm_region *r, const fm_ref_side *side,
                       const fm_side_constraints *c, fm_vector *best);

#endif
