/*
 * verify_checks.h - the parts of `fairmatch verify` (verify_round.h) that
 * deal with a round's extra constraints; internal to the verify module.
 *
 *   fm_verify_policy       which policy the round was solved with, and does
 *                          summary.json's "options" agree (verify_policy.c)
 *   fm_verify_constraints  each constraint that is on, re-checked on the
 *                          rows (verify_constraints.c)
 *   fm_verify_levels       a constrained side's levels, bounds and gaps in
 *                          summary.json against the rows (verify_levels.c)
 *   fm_verify_infeasible   an infeasible round's evidence, re-checked from
 *                          the inputs (verify_infeasible.c)
 *
 * Each adds what it finds wrong to the report with fm_verify_fail() and
 * fills the report's figures; they return FM_OK, or an error code only for
 * what stops the check itself (an unreadable policy file: FM_EIO /
 * FM_EINVAL with err naming it; FM_ENOMEM).
 */
#ifndef FM_VERIFY_CHECKS_H
#define FM_VERIFY_CHECKS_H

#include <jansson.h>

#include "proof.h"
#include "verify_round.h"

extern const char *const fm_verify_side_files[2]; /* "placements.csv", "mentors.csv" */
extern const char *const fm_verify_side_keys[2];  /* "placements", "mentors" */

/* Records a failure: OUT's file, its line (0: not about one line), a ref
 * ("" for none) and the message. */
void fm_verify_fail(fm_verify_report *rep, const char *file, long line, const char *ref,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills params->constraints (and rep->policy_source) from policy_path,
 * else INDIR/policy.json, else summary.json's options; a policy file whose
 * constraints differ from summary.json's options is a failure. */
int fm_verify_policy(const char *indir, const char *policy_path, json_t *summary,
                     fm_round_params *params, fm_verify_report *rep, fm_error *err);

/* The constraints of one side on the recomputed matches of chk (targets
 * from the rows; eligibility and utilities from the inputs).  line: per
 * student, its row in the side's file (0: none).  side: the side's object
 * in summary.json, whose "constrained.constraints" rows are compared with
 * the recount. */
int fm_verify_constraints(const fm_region *r, int mentors, const fm_side_constraints *opt,
                          const fm_side_check *chk, const long *line, json_t *side,
                          fm_verify_report *rep);

/* The "constrained" report of one side in summary.json against the vector
 * and the justified-envy count of the rows; has_cert: certificate.csv has
 * rows for this side. */
void fm_verify_levels(json_t *side, int mentors, int on, const fm_vector *rows,
                      int64_t envy_rows, int has_cert, fm_verify_report *rep);

/* An infeasible round (summary.json "status": "infeasible"): its evidence
 * re-checked from the inputs, without solving (verify_infeasible.c). */
int fm_verify_infeasible(const fm_region *r, int32_t date, const fm_round_params *params,
                         json_t *summary, fm_verify_report *rep, fm_error *err);

/* Pupils a school floor of pct % needs placed among `eligible` applicants:
 * ceil(pct x eligible / 100), rounded as constraints.h does. */
int32_t fm_verify_floor_need(double pct, int32_t eligible);

#endif
