/*
 * verify_policy.c - which extra constraints a verified round was solved
 * with (verify_checks.h).
 *
 * Normal case: the policy is an input of the round, so it is taken from
 * the inputs when they have it: the file of `fairmatch verify --policy
 * FILE`, else INDIR/policy.json (the files.md name).  Then summary.json's
 * "options" (the constraints that were on, keyed as in the policy file,
 * policy_file.h) must say the same, constraint by constraint: a result
 * claiming a different policy than the inputs' is a failure naming the key
 * and both values.  With no policy file (a round exported from the daemon,
 * whose policy is stored there), the options recorded in summary.json are
 * the policy; rep->policy_source says which source was used.
 *
 * Failure cases: a policy file that cannot be read or is invalid is an
 * error (FM_EIO / FM_EINVAL, err names the file and key), as for `solve
 * --policy`; options in summary.json that are not a valid policy are a
 * failure in the report (then no constraint is assumed); FM_ENOMEM.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy_file.h"
#include "verify_checks.h"

static const char *const prefix[2] = { "", "mentors." };

static int side_on(const fm_side_constraints *c)
{
    return c->school_floor_pct > 0 || c->employer_spread_max > 0 || c->n_gender_targets > 0 ||
           c->stable_tiers;
}

/* Compares the constraints of one side; names the first difference of each key. */
static void compare_side(const fm_side_constraints *want, const fm_side_constraints *got,
                         int mentors, const char *source, fm_verify_report *rep)
{
    const char *p = prefix[mentors];
    if (fabs(want->school_floor_pct - got->school_floor_pct) > 1e-9)
        fm_verify_fail(rep, "summary.json", 0, "", "options.%sschool_floor_pct is %g; the "
                       "policy (%s) says %g", p, got->school_floor_pct, source,
                       want->school_floor_pct);
    if (want->stable_tiers != got->stable_tiers)
        fm_verify_fail(rep, "summary.json", 0, "", "options.%sstable_tiers is %s; the policy "
                       "(%s) says %s", p, got->stable_tiers ? "true" : "off", source,
                       want->stable_tiers ? "true" : "off");
    if (want->employer_spread_max != got->employer_spread_max)
        fm_verify_fail(rep, "summary.json", 0, "", "options.%semployer_spread_max is %d; the "
                       "policy (%s) says %d", p, (int)got->employer_spread_max, source,
                       (int)want->employer_spread_max);
    int same = want->n_gender_targets == got->n_gender_targets;
    for (int g = 0; same && g < want->n_gender_targets; g++) {
        const fm_gender_target *a = &want->gender_target[g], *b = &got->gender_target[g];
        same = strcmp(a->sector, b->sector) == 0 && a->gender == b->gender &&
               fabs(a->min_pct - b->min_pct) <= 1e-9;
    }
    if (!same)
        fm_verify_fail(rep, "summary.json", 0, "", "options.%sgender_targets (%d targets) "
                       "differ from the policy's (%s, %d targets)", p, got->n_gender_targets,
                       source, want->n_gender_targets);
}

static int resolve(const char *indir, const char *policy_path, json_t *summary,
                   fm_round_params *params, fm_verify_report *rep, fm_error *err)
{
    char path[4096];
    const char *file = policy_path;
    int rc;
    if (!file) {
        snprintf(path, sizeof path, "%s/policy.json", indir);
        if (access(path, F_OK) == 0)
            file = path;
    }
    json_t *options = json_object_get(summary, "options");
    fm_round_params recorded = *params;
    int have_recorded = 0;
    if (json_is_object(options)) {
        char *text = json_dumps(options, JSON_COMPACT);
        if (!text)
            return fm_error_set(err, FM_ENOMEM, "out of memory reading summary.json");
        fm_error e;
        fm_error_clear(&e);
        rc = fm_policy_text_read(text, &recorded, &e);
        free(text);
        if (rc == FM_ENOMEM)
            return fm_error_set(err, rc, "out of memory reading summary.json");
        if (rc)
            fm_verify_fail(rep, "summary.json", 0, "", "options: %s%s%s", e.field,
                           e.field[0] ? ": " : "", e.message);
        have_recorded = rc == FM_OK;
    }
    if (!file) {
        snprintf(rep->policy_source, sizeof rep->policy_source, "%s",
                 have_recorded ? "the options recorded in summary.json (no policy file)"
                               : "none (no policy file, no options in summary.json)");
        if (have_recorded)
            params->constraints = recorded.constraints;
        return FM_OK;
    }
    if ((rc = fm_policy_file_read(file, params, err)) != FM_OK)
        return rc;
    snprintf(rep->policy_source, sizeof rep->policy_source, "%.300s", file);
    if (!have_recorded) {
        if (!json_is_object(options) &&
            (side_on(&params->constraints.side[0]) || side_on(&params->constraints.side[1])))
            fm_verify_fail(rep, "summary.json", 0, "", "no \"options\": the result does not "
                           "say it was solved with the extra constraints of %s", file);
        return FM_OK;
    }
    for (int side = 0; side < 2; side++)
        compare_side(&params->constraints.side[side], &recorded.constraints.side[side], side,
                     file, rep);
    return FM_OK;
}

int fm_verify_policy(const char *indir, const char *policy_path, json_t *summary,
                     fm_round_params *params, fm_verify_report *rep, fm_error *err)
{
    int rc = resolve(indir, policy_path, summary, params, rep, err);
    for (int side = 0; side < 2 && rc == FM_OK; side++) {
        rep->cons[side].on = side_on(&params->constraints.side[side]);
        rep->cons[side].opt = params->constraints.side[side];
    }
    return rc;
}
