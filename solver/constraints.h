/*
 * constraints.h - the extra constraints a round may ask for (policy.md,
 * "Extra constraints"), what a constrained solve reports, and the progress
 * reports of a round.  Part of the solver's public face (solver.h includes
 * it).
 *
 * Every constraint is off unless set.  Per side (0 placements, 1 mentors):
 *   - school_floor_pct f: every school with E >= 1 eligible applicants on
 *     that side (pupils who asked and have at least one eligible pair) gets
 *     at least ceil(f * E / 100) of them placed;
 *   - employer_spread_max k (placements only): no school has more than k
 *     pupils placed with one employer (over all its placements);
 *   - gender targets (placements only): among the pupils placed in sector
 *     S, at least min_pct % have gender G (100 * placed(S, G) >= min_pct *
 *     placed(S)); trivially met when nobody is placed in S;
 *   - stable_tiers: no justified envy by tier.  An envy pair is a pupil s
 *     and a target p such that s is eligible for p, s gets nothing or a
 *     target of smaller utility than u(s, p), and p holds a pupil of a lower
 *     tier than s (tier 1 is the highest).  With stable_tiers no envy pair
 *     may remain.
 * The four levels (n1, n2, n3, U) are then optimised in order subject to
 * the constraints.  A round whose constraints cannot all be met fails with
 * FM_EINFEASIBLE and an error naming the constraint and the party.
 */
#ifndef FM_CONSTRAINTS_H
#define FM_CONSTRAINTS_H

#include <stdint.h>

#define FM_MAX_GENDER_TARGETS 16

typedef struct fm_gender_target {
    char sector[64];      /* sector code, as in placements.csv */
    char gender;          /* 'F', 'M' or 'X' */
    double min_pct;       /* 0..100 */
} fm_gender_target;

typedef struct fm_side_constraints {
    double school_floor_pct;       /* 0 = off; 0..100 */
    int32_t employer_spread_max;   /* 0 = off; placements only */
    int n_gender_targets;          /* placements only */
    fm_gender_target gender_target[FM_MAX_GENDER_TARGETS];
    int stable_tiers;              /* 1 = forbid justified envy by tier */
} fm_side_constraints;

typedef struct fm_constraints {
    fm_side_constraints side[2];   /* 0: placements, 1: mentors */
    /* Tests only, never set from a policy file: make a deliberately invalid
     * GLPK call while building the model, to show that a GLPK internal
     * error fails the round cleanly. */
    int test_glpk_fault;
    /* Tests only: solve with GLPK even when the plain optimum meets every
     * constraint (to hold the MIP path to the plain solver's vector). */
    int test_force_mip;
} fm_constraints;

/* 1 when any constraint of side `mentors` is on. */
int fm_constraints_active(const fm_constraints *c, int mentors);

/* How one level of a constrained side was settled. */
typedef enum fm_level_method {
    FM_METHOD_NONE = 0,     /* not reached (a time limit stopped an earlier level) */
    FM_METHOD_NETWORK,      /* the plain network optimum met every constraint */
    FM_METHOD_LP,           /* an incumbent met the LP (or network) bound */
    FM_METHOD_MIP           /* branch and bound (glp_intopt) */
} fm_level_method;

const char *fm_level_method_name(fm_level_method m); /* "network", "LP", "MIP", "none" */

typedef struct fm_constrained_level {
    int64_t value;          /* n1, n2, n3 (per tier) or U of the result */
    int64_t bound;          /* proven upper bound, -1 when unknown */
    double gap;             /* (bound - value) / max(1, |bound|); 0 when proven */
    fm_level_method method;
    double seconds;
} fm_constrained_level;

/* One constraint row of the result: how much room it has left. */
typedef struct fm_constraint_row {
    char kind[24];          /* "school_floor", "employer_spread", "gender_target", "stable_tiers" */
    char who[128];          /* "school SCH1", "school SCH1 / employer EMP2", "sector eng / F" */
    double lhs, limit;      /* achieved and required (floor: placed >= need) */
    double slack;           /* room left: >= 0; 0 means tight */
} fm_constraint_row;

typedef struct fm_constrained_report {
    fm_constrained_level level[4];
    int64_t plain[4];       /* the plain policy's vector (n1, n2, n3, U), same side */
    int stopped_by_limit;   /* the time limit ended the search: see gaps */
    int64_t envy_pairs_plain; /* envy pairs of the plain optimum, whatever the constraints */
    /* Model figures. */
    int64_t model_rows, model_cols, model_nonzeros; /* largest model solved */
    int64_t pairs_total, pairs_in_model;            /* column generation */
    int32_t pricing_rounds, mip_solves, stable_rows;
    fm_constraint_row *rows; /* n_rows, owned */
    int32_t n_rows;
} fm_constrained_report;

void fm_constrained_report_free(fm_constrained_report *rep);

/* The evidence of an infeasible round (FM_EINFEASIBLE): school floors that
 * cannot be met, proven by LP duality so that it can be re-checked from the
 * inputs alone (`fairmatch verify`).  A certificate is a weight w_k >= 0 per
 * school k of a set K and a weight y >= 0 per capacity row of the side
 * (a target's seats; a placement's tier-3 limit, capacity - floor(capacity
 * x reserve_pct / 100); a (school, employer) group's spread limit).  Each
 * pupil s of a school k in K then needs y_s = max(0, w_k - the sum of y
 * over the rows each of its eligible pairs is in) (its pairs' worst), and
 * every assignment within the capacities places at most
 *     most = sum of y x limit + sum of y_s
 * weighted pupils of K (sum of w_k x placed_k), while the floors need
 *     needed = sum of w_k x need_k.
 * most < needed proves the floors of K impossible together (alone, when K
 * is one school); gender targets and stable_tiers are left out, so the
 * proof holds a fortiori with them. */
typedef enum fm_cert_row_kind {
    FM_CERT_CAPACITY = 0,   /* target: its seats */
    FM_CERT_TIER3,          /* placement: its tier-3 limit */
    FM_CERT_SPREAD          /* (school, employer): employer_spread_max */
} fm_cert_row_kind;

typedef struct fm_cert_row {
    fm_cert_row_kind kind;
    int32_t target;         /* placement or mentor index; -1 for spread */
    int32_t school, employer; /* spread only; else -1 */
    double limit, y;
} fm_cert_row;

typedef struct fm_floor_cert {
    int32_t n_schools;
    int32_t *school;        /* school indices (K) */
    double *weight;         /* w_k */
    int32_t *need, *eligible;
    int32_t n_rows;
    fm_cert_row *rows;      /* rows with y > 0 */
    double uncovered;       /* sum of y_s */
    double most, needed;    /* as above: most < needed */
} fm_floor_cert;

typedef struct fm_infeasible_evidence {
    int mentors;            /* the side: 0 placements, 1 mentors */
    double floor_pct;
    int64_t least_shortfall; /* phase 0's proven minimum (branch and bound) */
    int n_certs;            /* 0: no LP certificate (the conflict needs the
                               integrality, gender targets or stability) */
    fm_floor_cert *certs;   /* owned */
} fm_infeasible_evidence;

void fm_infeasible_evidence_free(fm_infeasible_evidence *ev);

/* A progress report of a round (see fm_round_params.progress). */
typedef struct fm_progress {
    const char *side;       /* "placements" or "mentors" */
    const char *phase;      /* "candidates", "counts", "utility", "check",
                               "feasibility", "level", "done" */
    int level;              /* 1..4 with "level", else 0 */
    double bound;           /* best proven bound of the level, or NAN */
    double incumbent;       /* best value found, or NAN */
    double gap;             /* relative gap, or NAN */
    double elapsed_s;       /* since the round started */
} fm_progress;

#endif
