/*
 * verify_round.h - `fairmatch verify INDIR OUT`: re-checking a finished
 * round's files against its inputs without running the solver.
 *
 * INDIR holds the round's inputs under their files.md names:
 * students.csv and placements.csv (required), mentors.csv and schools.csv
 * (optional: absent means none) and policy.json (optional, as for
 * `fairmatch solve --policy`).  OUT is what `fairmatch solve` or `fairmatch
 * round export` wrote: placements.csv, mentors.csv, summary.json and
 * certificate.csv.  The round date and policy are taken from summary.json.
 *
 * fm_verify_round() reads the inputs as `fairmatch solve` does, then for
 * each side: every row names a pupil of the inputs who asked, once, with
 * the right school and tier; every pupil who asked has a row; every matched
 * pair is eligible (sector, age, week, access, safeguarding, distance) with
 * the rank, distance and utility written; no placement or mentor is over
 * its capacity or its tier-3 limit (reserves); every unmatched pupil has
 * the reason the inputs give (outcompeted, or no_eligible and the rule);
 * the vector and proof levels in summary.json equal those of the rows; and
 * the certificate (certificate.csv, students' parts implied) proves each
 * level's bound equal to its value (proof.h, certificate.c).  It also
 * recomputes the justified-envy count and compares it with the summary.
 *
 * Extra constraints (policy.md, solver/constraints.h).  The round's policy
 * is, in this order: the file given as policy_path (`verify --policy
 * FILE`), INDIR/policy.json, or else the options summary.json records
 * (verify_policy.c); a policy file that disagrees with summary.json's
 * options is a failure.  Each constraint that is on is re-checked on the
 * rows, from its definition (verify_constraints.c: school floors, employer
 * spread, gender targets, stable tiers; both sides), never with the
 * solver's constrained code.  A side the constraints changed has no
 * network certificate; its "constrained" levels are checked for internal
 * consistency (verify_levels.c): each incumbent is the vector component
 * the rows give, bound >= incumbent, gap = (bound - incumbent) / max(1,
 * |bound|), gap 0 exactly when bound = incumbent, every level proven unless
 * a time limit stopped the search.  A MIP bound itself cannot be re-derived
 * without solving; verify does not try.
 *
 * An infeasible round (summary.json "status": "infeasible") has no rows:
 * its evidence, LP certificates that the school floors cannot be met, is
 * re-checked from the inputs without solving (verify_infeasible.c); one
 * without a certificate is reported as proven by the solver's branch and
 * bound, not re-derived.
 *
 * Returns FM_OK when the check ran -- the report says whether it found
 * failures -- FM_EINVAL / FM_EIO when an input in INDIR cannot be read
 * (err names file, line, column), FM_ENOMEM.  A missing or malformed file
 * in OUT is a failure in the report, not an error.
 */
#ifndef FM_VERIFY_ROUND_H
#define FM_VERIFY_ROUND_H

#include <stddef.h>

#include "error.h"
#include "solver.h"

#define FM_VERIFY_MAX_FAILURES 20

typedef struct fm_verify_failure {
    char file[64];        /* in OUT: "placements.csv", "summary.json", ... */
    long line;            /* 0 when not about one line */
    char ref[80];         /* student_ref, or the placement/mentor ref, or "" */
    char message[400];
} fm_verify_failure;

/* What the extra constraints of one side came to (verify_constraints.c,
 * verify_levels.c). */
typedef struct fm_verify_constrained {
    int on;                   /* the policy asks for constraints on this side */
    fm_side_constraints opt;  /* which (from the policy) */
    int32_t floor_schools;    /* schools with E >= 1 under a floor */
    int32_t floor_broken;
    int32_t spread_largest;   /* the largest school / employer group */
    int32_t spread_broken;
    int gender_targets, gender_broken;
    int64_t envy_pairs;       /* recounted; counts against stable_tiers */
    int stable_tiers;
    int has_levels;           /* summary.json has the "constrained" levels */
    int network;              /* every level settled by the plain network */
    int stopped;              /* stopped_by_time_limit */
    char method[4][8];        /* "network", "LP", "MIP", "none" */
    int64_t bound[4];         /* -1: unknown */
    double gap[4];            /* NAN: unknown */
} fm_verify_constrained;

/* An infeasible round's evidence (verify_infeasible.c). */
typedef struct fm_verify_infeasible_report {
    int is;                   /* summary.json says status infeasible */
    int side;                 /* 0 placements, 1 mentors */
    double floor_pct;
    int64_t least_shortfall;  /* the solver's branch-and-bound figure */
    int n_given, n_certs;     /* LP certificates written / that prove it */
    double most, needed;      /* the last proving certificate's recount */
} fm_verify_infeasible_report;

typedef struct fm_verify_report {
    size_t n_failures;    /* all found; the first FM_VERIFY_MAX_FAILURES kept */
    fm_verify_failure failures[FM_VERIFY_MAX_FAILURES];
    size_t rows[2];       /* rows read: placements, mentors */
    fm_vector vector[2];
    fm_level_proof proof[2][4];
    int proven[2];
    int constrained[2];   /* side solved under extra constraints: no certificate */
    fm_verify_constrained cons[2];
    char policy_source[320];  /* where the policy came from (verify_policy.c) */
    fm_verify_infeasible_report infeasible;
    int32_t date;
    double seconds;
} fm_verify_report;

/* policy_path: the round's policy file, or NULL for INDIR/policy.json or
 * else summary.json's options. */
int fm_verify_round(const char *indir, const char *outdir, const char *policy_path,
                    fm_verify_report *rep, fm_error *err);

#endif
