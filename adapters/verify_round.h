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
 * A side solved under extra constraints (summary.json has its
 * "constrained" object) has no network certificate: its rows, reasons and
 * vector are checked, its optimality (the MIP's bound and gap in the
 * summary) and the constraints themselves are not re-checked here.
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

typedef struct fm_verify_report {
    size_t n_failures;    /* all found; the first FM_VERIFY_MAX_FAILURES kept */
    fm_verify_failure failures[FM_VERIFY_MAX_FAILURES];
    size_t rows[2];       /* rows read: placements, mentors */
    fm_vector vector[2];
    fm_level_proof proof[2][4];
    int proven[2];
    int constrained[2];   /* side solved under extra constraints: no certificate */
    int32_t date;
    double seconds;
} fm_verify_report;

int fm_verify_round(const char *indir, const char *outdir, fm_verify_report *rep,
                    fm_error *err);

#endif
