/*
 * solver.h - the public face of the fairmatch solver library.
 *
 * Given a region (region.h) and a round date, fm_solver_run() computes the
 * fair-access v1 optimum (policy.md) for placements and for mentors:
 * lexicographically the most tier-1 pupils matched, then tier 2, then tier 3,
 * then the largest total utility.  It returns, for every student, what they
 * got or why they got nothing, the objective vector, and the evidence that
 * the vector is optimal (min cuts for the three count levels, dual prices for
 * the utility level), already re-checked by an independent routine
 * (certificate.c) before fm_solver_run() returns.
 *
 * With extra constraints (params->constraints), a side whose plain optimum
 * breaks one is solved again as an LP/MIP with GLPK (constrained.h), the
 * four levels in the same order; a time limit then ends the search with the
 * best solution found and each level's bound and gap.
 *
 * Failure: FM_ENOMEM, FM_ECANCELLED (the cancel callback said stop),
 * FM_ELIMIT (time limit, before any solution meeting the constraints was
 * found), FM_EINFEASIBLE (the constraints cannot all be met: err names the
 * constraint in err->field and the party in err->id, the message says why),
 * FM_EINVAL (a constraint names a sector the region lacks), FM_EINTERNAL
 * (the certificate did not check out, or GLPK failed internally: a bug,
 * never returned as a result).  On failure *out is left cleared.
 *
 * The library does no I/O and never includes SQLite, libuv or protobuf.
 */
#ifndef FM_SOLVER_H
#define FM_SOLVER_H

#include <stdint.h>

#include "constraints.h"
#include "error.h"
#include "region.h"

/* Why a student who asked got nothing (policy.md, "Why a student is unmatched"). */
typedef enum fm_reason {
    FM_REASON_NONE = 0,        /* matched, or did not ask */
    FM_REASON_NO_ELIGIBLE = 1, /* no eligible pair; see fm_match.rule */
    FM_REASON_OUTCOMPETED = 2  /* eligible pairs exist, all full or reserved */
} fm_reason;

/* The eligibility rules, in policy order; the value of fm_match.rule. */
typedef enum fm_rule {
    FM_RULE_NONE = 0,
    FM_RULE_WANTS,        /* wants_placement / wants_mentor */
    FM_RULE_SECTOR,
    FM_RULE_AGE,
    FM_RULE_WEEK,
    FM_RULE_ACCESS,
    FM_RULE_SAFEGUARDING,
    FM_RULE_DISTANCE
} fm_rule;

const char *fm_rule_name(fm_rule rule);     /* "sector", "age", ... */
const char *fm_reason_name(fm_reason r);    /* "no_eligible", "outcompeted", "" */

typedef struct fm_vector {
    int64_t n1, n2, n3;   /* students matched, per tier */
    int64_t utility;      /* total utility of matched pairs */
} fm_vector;

/* What one student got on one side (placements or mentors). */
typedef struct fm_match {
    int32_t target;       /* placement / mentor index, -1 if none */
    int16_t utility;      /* 1..500 if matched */
    int8_t rank;          /* 1..5 if matched */
    uint8_t asked;        /* wants_placement / wants_mentor */
    uint8_t reason;       /* fm_reason */
    uint8_t rule;         /* fm_rule, with FM_REASON_NO_ELIGIBLE */
    int32_t n_eligible;   /* eligible targets of this student */
    double distance_km;   /* of the matched pair; -1 for virtual/online */
} fm_match;

/* How a level's optimum is proven. */
typedef struct fm_level_proof {
    int64_t value;        /* achieved: n1, n1+n2, n1+n2+n3, or U */
    int64_t bound;        /* proven upper bound; equals value when optimal */
} fm_level_proof;

typedef struct fm_side_result {
    fm_vector vector;
    fm_match *match;          /* n_students entries, owned */
    int64_t n_students_asked;
    int64_t n_candidates;     /* eligible pairs in the whole region */
    int64_t n_arcs_priced;    /* pair arcs handed to the flow solver */
    int32_t pricing_rounds;   /* column-generation rounds of level 4 */
    int64_t pivots;           /* network-simplex pivots, all rounds */
    fm_level_proof proof[4];  /* levels 1..4 (level 2/3 as cumulative counts) */
    int certificate_checked;  /* 1 when certificate.c accepted the proof */
    double seconds_candidates, seconds_counts, seconds_utility, seconds_check;
    /* With extra constraints on this side (constraints.h): how each level
     * was settled, bounds, gaps and slacks; proof[] then holds the
     * constrained levels' values and bounds.  NULL for a plain side. */
    fm_constrained_report *constrained;   /* owned */
    double seconds_constrained;
} fm_side_result;

typedef struct fm_result {
    fm_side_result placements;
    fm_side_result mentors;
} fm_result;

typedef struct fm_round_params {
    int32_t date;                 /* round date D, yyyymmdd */
    double time_limit_seconds;    /* 0 = none */
    int threads;                  /* for listing pairs; 0 = one per CPU */
    /* Called now and then from the solving thread; return nonzero to stop. */
    int (*cancel)(void *arg);
    void *cancel_arg;
    /* Extra constraints (constraints.h); all zero = the plain policy. */
    fm_constraints constraints;
    /* Called from the solving thread at each phase and, during a MIP, about
     * once a second; may be NULL.  Must not call back into the solver. */
    void (*progress)(const fm_progress *p, void *arg);
    void *progress_arg;
} fm_round_params;

void fm_result_init(fm_result *res);
void fm_result_free(fm_result *res);

int fm_solver_run(const fm_region *r, const fm_round_params *params,
                  fm_result *out, fm_error *err);

#endif
