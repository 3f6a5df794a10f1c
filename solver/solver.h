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

/* The optimality certificate of a side as it leaves the solver (written to
 * OUT/certificate.csv, re-checked by `fairmatch verify`): the seat-pool part
 * of the three min cuts and of the level-4 node potentials (certificate.h).
 * Students' parts are implied: for a fixed pool part each student's best
 * side of each cut and best potential are computed by the checker
 * (fm_certificate_complete), which can only tighten the bounds.
 * Per target t: index 2t is its general pool, 2t+1 its reserved pool; a
 * pool that does not exist has cut 0 and potential 0.  Potentials are
 * relative to the sink's (the sink's is 0). */
typedef struct fm_side_certificate {
    uint8_t *cut;             /* 2 per target: bit k-1 set = on the source side of cut k */
    int64_t *potential;       /* 2 per target */
    int64_t potential_tier[3];
} fm_side_certificate;

void fm_certificate_side_free(fm_side_certificate *c);

/* The nearest miss of an unmatched student (explain.h): for `outcompeted`
 * its best eligible target (highest utility, then lowest index); for
 * `no_eligible` the nearest target ruled out by the rule named in
 * fm_match.rule (remote targets count as 50 km / 25 km). */
typedef struct fm_miss {
    int32_t target;           /* -1: none (matched, did not ask, or no target at all) */
    double distance_km;       /* great-circle km; -1 for a virtual / online target */
    uint8_t reserved_open;    /* outcompeted: target has empty reserved seats (pupil tier 3) */
    /* no_eligible by `sector`: also the nearest target of the pupil's own
     * sectors and the first rule it fails (-1 / 0 when none) */
    uint8_t own_rule;
    int32_t own_target;
    double own_distance_km;
} fm_miss;

/* Justified-envy audit (audit.h): pairs (s, t) where s is eligible for t,
 * prefers t to what it got (utility of (s,t) greater, or s unmatched), and
 * t holds a pupil of a lower priority tier (greater tier number) than s. */
#define FM_ENVY_EXAMPLES 5
typedef struct fm_envy_example {
    int32_t student, target, holder; /* holder: the lowest-tier pupil at target */
    int16_t utility_wanted;          /* u(student, target) */
    int16_t utility_got;             /* 0 when unmatched */
} fm_envy_example;

typedef struct fm_envy_audit {
    int64_t pairs;             /* all envy pairs */
    int64_t pairs_by_tier[2];  /* envious pupil of tier 1 / tier 2 */
    int64_t pairs_unmatched;   /* envious pupil got nothing (0 in a correct optimum) */
    int64_t pairs_reserve;     /* at a placement with reserved seats */
    int64_t students;          /* distinct envious pupils */
    int32_t n_examples;
    fm_envy_example examples[FM_ENVY_EXAMPLES];
    double seconds;
} fm_envy_audit;

typedef struct fm_side_result {
    fm_vector vector;
    fm_match *match;          /* n_students entries, owned */
    int64_t n_students_asked;
    int64_t n_candidates;     /* eligible pairs in the whole region */
    int64_t n_arcs_priced;    /* pair arcs handed to the flow solver */
    int32_t pricing_rounds;   /* column-generation rounds of level 4 */
    int64_t pivots;           /* network-simplex pivots, all rounds */
    int64_t auction_bids;     /* bids of level 4's start (0: no auction ran) */
    fm_level_proof proof[4];  /* levels 1..4 (level 2/3 as cumulative counts) */
    int certificate_checked;  /* 1 when certificate.c accepted the proof */
    fm_side_certificate certificate; /* owned; arrays NULL when not kept */
    fm_miss *miss;            /* n_students entries, owned; NULL when not computed */
    fm_envy_audit envy;
    double seconds_explain;   /* nearest misses */
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
    /* After FM_EINFEASIBLE: the solver's evidence (constraints.h), owned;
     * the only part of the result kept on failure.  Else NULL. */
    fm_infeasible_evidence *infeasible;
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
