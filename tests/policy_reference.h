/*
 * policy_reference.h - an independent, deliberately plain re-statement of
 * the fair-access v1 policy (shared/spec/policy.md), for tests only.
 *
 * Written from policy.md alone, never from the solver sources, so that the policy
 * tests (test_policy_bruteforce.c, test_policy_glpk.c) hold the solver to
 * the text of the policy rather than to its own reading of it.  It owns:
 *
 *   - per-pair eligibility, the first failing rule, rank, distance and
 *     utility, for (student, placement) and (student, mentor) pairs;
 *   - the tier of a student, the reserve R of a placement, the rule that
 *     "ruled out the most candidates" for a student with no eligible pair;
 *   - a table of one side of a round (fm_ref_side) and an exhaustive
 *     lexicographic optimum over it, for tiny instances;
 *   - a seeded random instance generator that fills an fm_region through
 *     region.h's public API only.
 *
 * It uses solver.h only for the shared vocabulary (fm_rule, fm_vector); it
 * never calls the solver.  Everything here is O(students * targets) and
 * makes no attempt to be fast.  Functions that allocate return 0 or
 * FM_ENOMEM / the region API's negative code; programmer errors are asserts.
 */
#ifndef FM_POLICY_REFERENCE_H
#define FM_POLICY_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "region.h"
#include "solver.h"

#define FM_REF_EARTH_RADIUS_KM 6371.0

/* What the policy says about one (student, target) pair. */
typedef struct fm_ref_pair {
    int eligible;        /* 1 when every rule holds */
    fm_rule rule;        /* first failing rule in policy order, FM_RULE_NONE if eligible */
    int rank;            /* 1..5 when the sector rule holds, else 0 */
    int utility;         /* 1..500 when eligible, else 0 */
    double distance_km;  /* haversine distance; -1 for a virtual placement / online mentor */
} fm_ref_pair;

/* Great-circle distance, haversine, R = 6371.0 km, 2*asin(sqrt(a)) form. */
double fm_ref_haversine_km(double lat1, double lon1, double lat2, double lon2);

/* Age in whole years on date (both yyyymmdd): (date - birth) / 10000. */
int fm_ref_age(int32_t birth_date, int32_t date);

/* Tier 1, 2 or 3 (policy.md, "Tiers"); independent of fm_student_tier(). */
int fm_ref_tier(const fm_student *s);

/* R = floor(capacity * reserve_pct / 100), 0 without a reserve. */
int fm_ref_reserved_seats(const fm_placement *p);

/* Students of tier 3 that p may take: capacity - R. */
int fm_ref_tier3_limit(const fm_placement *p);

/* Eligibility of (student s, placement p) / (student s, mentor m) on date. */
void fm_ref_placement_pair(const fm_region *r, size_t s, size_t p, int32_t date,
                           fm_ref_pair *out);
void fm_ref_mentor_pair(const fm_region *r, size_t s, size_t m, int32_t date,
                        fm_ref_pair *out);

/* One side of a round, tabulated: every pair, every student's tier, every
 * target's capacity and tier-3 limit (= capacity for mentors). */
typedef struct fm_ref_side {
    int mentors;             /* 0: placements, 1: mentors */
    size_t n_students, n_targets;
    fm_ref_pair *pair;       /* [s * n_targets + t] */
    int *tier;               /* [s] */
    int *asked;              /* [s] wants_placement / wants_mentor */
    int *n_eligible;         /* [s] */
    int *capacity;           /* [t] */
    int *tier3_limit;        /* [t] */
    int64_t n_candidates;    /* eligible pairs */
    int64_t n_asked;
} fm_ref_side;

/* Fills *side (caller-owned struct, callee-allocated arrays); 0 or FM_ENOMEM.
 * On failure *side is left freed. */
int fm_ref_side_init(fm_ref_side *side, const fm_region *r, int32_t date, int mentors);
void fm_ref_side_free(fm_ref_side *side);

static inline const fm_ref_pair *fm_ref_side_pair(const fm_ref_side *side, size_t s, size_t t)
{
    return &side->pair[s * side->n_targets + t];
}

/* For a student who asked and has no eligible target: for each target, its
 * first failing rule; the rule with the highest count wins, ties going to the
 * earlier rule in policy order.  FM_RULE_NONE when there are no targets. */
fm_rule fm_ref_no_eligible_rule(const fm_ref_side *side, size_t s);

/* The policy's name of a rule ("sector", "age", ...; "wants" for rule 1,
 * which policy.md leaves unnamed), "" for FM_RULE_NONE, "?" otherwise. */
const char *fm_ref_rule_name(fm_rule rule);

/* -1, 0, 1 as a is lexicographically below, equal to, above b. */
int fm_ref_vector_cmp(const fm_vector *a, const fm_vector *b);

/* The lexicographic optimum by exhaustive enumeration of every feasible
 * assignment (each student: nothing, or one eligible target; capacities;
 * tier-3 limits).  Meant for at most ~8 students.  assign, if not NULL, gets
 * n_students entries: the target of one optimal assignment or -1.  Also
 * gives, if max_count is not NULL, the largest number of students any
 * feasible assignment places.  0 or FM_ENOMEM. */
int fm_ref_bruteforce(const fm_ref_side *side, fm_vector *best, int32_t *assign,
                      int64_t *max_count);

/* Vector of a given assignment (target or -1 per student); no feasibility check. */
void fm_ref_assignment_vector(const fm_ref_side *side, const int32_t *assign, fm_vector *out);

/* Checks of a solver's answer for one side against the policy, independent of
 * how it was found.  Each returns 0, or -1 with a one-line reason in msg.
 *
 * fm_ref_check_assignment: every student's asked flag; every matched pair is
 * eligible with the reference utility, rank and distance (-1 when virtual /
 * online) and reason NONE; students who did not ask have target -1 and reason
 * NONE; capacities and tier-3 limits hold; the matched pairs sum to
 * res->vector.
 *
 * fm_ref_check_reasons: n_eligible of every student; a student who asked and
 * got nothing has reason no_eligible exactly when it has no eligible target,
 * with rule fm_ref_no_eligible_rule() (any rule when the side has no targets
 * at all: policy.md names none), and outcompeted otherwise, in which
 * case every eligible target is full, or (tier 3) has only reserved seats
 * left, in res's own assignment; n_students_asked and n_candidates. */
int fm_ref_check_assignment(const fm_ref_side *side, const fm_side_result *res,
                            char *msg, size_t msg_size);
int fm_ref_check_reasons(const fm_ref_side *side, const fm_side_result *res,
                         char *msg, size_t msg_size);

/* Deterministic generator: splitmix64. */
typedef struct fm_ref_rng { uint64_t state; } fm_ref_rng;
void fm_ref_rng_seed(fm_ref_rng *g, uint64_t seed);
uint64_t fm_ref_rng_next(fm_ref_rng *g);
int fm_ref_rng_int(fm_ref_rng *g, int lo, int hi);   /* uniform in [lo, hi] */
double fm_ref_rng_unit(fm_ref_rng *g);                /* uniform in [0, 1) */
int fm_ref_rng_chance(fm_ref_rng *g, double p);       /* 1 with probability p */

/* Shape of a random instance.  Everything sits in a cluster a few km wide
 * around (center_lat, center_lon) so most pairs are eligible and floor(dist)
 * takes few values (utility ties are common); a fraction p_far of students
 * and targets sits 60-200 km away, so that the d = 99 cap is reached. */
typedef struct fm_ref_gen_params {
    int32_t date;                       /* round date D */
    int n_students, n_placements, n_mentors;
    int n_sectors, n_schools, n_employers;
    int cap_min, cap_max;               /* placement capacity */
    int mentor_cap_min, mentor_cap_max;
    double p_reserve;                   /* placement has reserve_pct > 0 */
    double p_disadvantaged;             /* low_income or looked_after */
    double p_gifted;
    double p_needs_access, p_accessible;
    double p_virtual, p_online;
    double p_student_weeks, p_placement_week;
    double p_wants_placement, p_wants_mentor;
    double p_dbs_missing, p_dbs_expired; /* else valid (sometimes exactly D) */
    double p_far;
    double cluster_km;                  /* half-width of the cluster */
    double center_lat, center_lon;
} fm_ref_gen_params;

/* Sensible defaults for a tiny instance, all rules sometimes binding. */
void fm_ref_gen_defaults(fm_ref_gen_params *gp);

/* Shape of tiny instance number seed (for exhaustive search): 2-7 students,
 * 1-4 placements of capacity 1..(1-3), 1-3 mentors of capacity 1..(1-2),
 * 2-5 sectors, cluster 1-5 km, varying shares of disadvantaged students
 * and reserves.  Drawn from the seed itself. */
void fm_ref_gen_tiny_params(uint64_t seed, int32_t date, fm_ref_gen_params *gp);

/* Fills r (already fm_region_init'ed, empty) with a random instance drawn
 * from gp and seed.  Same seed and params, same region.  Returns 0 or the
 * negative code of the region call that failed. */
int fm_ref_generate(fm_region *r, const fm_ref_gen_params *gp, uint64_t seed);

#endif
