/*
 * proof.h - re-checking a finished round's assignment and certificate
 * without solving: the solver's half of `fairmatch verify`.
 *
 * fm_proof_check_side() takes a region, the round date, the target each
 * student was given on one side (as read back from the result files) and
 * the side's certificate (as read from certificate.csv), and recomputes
 * from the inputs alone: the eligible pairs (candidates.h), which written
 * pairs break which rule, which targets are over capacity or over their
 * tier-3 limit, each student's rank, utility, distance, reason and nearest
 * miss (explain.h), the justified-envy audit (audit.h) and, when the
 * assignment is feasible, the bound of each level from the certificate with
 * the students' parts implied (fm_certificate_complete) and the check of
 * certificate.c.  It never runs counts.c, utility.c or mcf.c.
 *
 * Returns FM_OK when the recomputation ran (whatever it found: the caller
 * reads *out), FM_ENOMEM otherwise (out cleared).
 */
#ifndef FM_PROOF_H
#define FM_PROOF_H

#include "candidates.h"
#include "solver.h"

typedef struct fm_side_check {
    fm_match *match;        /* per student, recomputed for the given targets */
    fm_miss *miss;          /* per student */
    uint8_t *broken;        /* per student: fm_rule its given pair breaks, 0 if none */
    int64_t n_broken;
    int32_t over_target;    /* first target over capacity or tier-3 limit, -1 none */
    int32_t over_count, over_limit; /* its count and limit */
    int over_tier3;         /* 1: the tier-3 limit (capacity - reserved seats) */
    int proven;             /* certificate.c accepted the assignment and proof */
    char proof_error[512];  /* why not, when the assignment was feasible */
    fm_level_proof proof[4];
    fm_vector vector;       /* of the given assignment */
    fm_envy_audit envy;
    fm_cands cands;         /* the side's eligible pairs, as listed for the check
                               (kept for the caller's own checks) */
} fm_side_check;

/* target: n_students entries, -1 for none.  cert may be NULL (nothing to
 * prove: proven stays 0 and proof_error says so). */
int fm_proof_check_side(const fm_region *r, int mentors, int32_t date,
                        const int32_t *target, const fm_side_certificate *cert,
                        fm_side_check *out, fm_error *err);
void fm_side_check_free(fm_side_check *c);

#endif
