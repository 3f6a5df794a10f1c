/*
 * verify_constraints.c - re-checking a round's extra constraints on its
 * result rows (verify_checks.h), from their definitions in policy.md and
 * solver/constraints.h, without the solver's constrained code.
 *
 * Normal case, for one side, on the matches recomputed from the rows
 * (only eligible pairs count; eligibility and utilities come from the
 * inputs, proof.h) and the side's eligible pairs:
 *   - school_floor_pct f: E = the school's pupils who asked and have at
 *     least one eligible pair; every school with E >= 1 needs at least
 *     ceil(f * E / 100) of them placed (computed as ceil(f * E / 100 -
 *     1e-9), as constraints.h rounds: 30 % of 20 needs 6, 33.3 % of 3
 *     needs 1);
 *   - employer_spread_max k (placements): no (school, employer) has more
 *     than k pupils placed, over all the employer's placements;
 *   - gender_targets (placements): for each target (sector S, gender G,
 *     min_pct m), 100 * placed(S, G) >= m * placed(S) (1e-9 tolerance);
 *     met when nobody is placed in S;
 *   - stable_tiers: no pair (s, t) with s eligible for t, s of tier 1 or
 *     2, s unmatched or u(s, t) > the utility s got, and t holding a pupil
 *     of a larger tier number than s.  Every pair is scanned (no reliance
 *     on the pairs' utility order).
 * Each broken constraint is one failure naming the school, employer,
 * sector or pupil and the numbers; envy is listed for the first five
 * envious pupils (one pair each), then counted.  Then every row of
 * summary.json's constrained.constraints (kind, who, value, limit, slack,
 * tight) must equal the recount.
 *
 * Failure cases: FM_ENOMEM (the report is then incomplete).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_checks.h"

#define ENVY_LISTED 5

typedef struct recount {
    const fm_region *r;
    int mentors;
    const fm_side_constraints *o;
    int32_t *eligible, *placed, *need;  /* per school */
    int64_t *groups;                    /* sorted school * n_employers + employer */
    int64_t n_groups;
    int64_t placed_in[FM_MAX_GENDER_TARGETS], of_gender[FM_MAX_GENDER_TARGETS];
} recount;

static int tier_of(const fm_region *r, int32_t s) { return fm_student_tier(&r->students[s]); }

static const char *target_ref(const fm_region *r, int mentors, int32_t t)
{
    return mentors ? r->mentors[t].ref : r->placements[t].ref;
}

static void check_floors(recount *c, const fm_side_check *chk, fm_verify_report *rep)
{
    const fm_region *r = c->r;
    fm_verify_constrained *vc = &rep->cons[c->mentors];
    for (size_t s = 0; s < r->n_students; s++) {
        int32_t k = r->students[s].school;
        if (chk->match[s].asked && chk->cands.start[s + 1] > chk->cands.start[s])
            c->eligible[k]++;
        if (chk->match[s].target >= 0)
            c->placed[k]++;
    }
    for (size_t k = 0; k < r->n_schools; k++) {
        if (c->eligible[k] == 0)
            continue;
        c->need[k] = fm_verify_floor_need(c->o->school_floor_pct, c->eligible[k]);
        vc->floor_schools++;
        if (c->placed[k] >= c->need[k])
            continue;
        vc->floor_broken++;
        fm_verify_fail(rep, fm_verify_side_files[c->mentors], 0, r->schools[k].ref,
                       "school floor: %d of %d eligible applicants placed (%.1f%%), below the "
                       "floor of %g%% (needs %d)", (int)c->placed[k], (int)c->eligible[k],
                       100.0 * c->placed[k] / c->eligible[k], c->o->school_floor_pct,
                       (int)c->need[k]);
    }
}

int32_t fm_verify_floor_need(double pct, int32_t eligible)
{
    return (int32_t)ceil(pct * eligible / 100.0 - 1e-9);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* How many placed pupils of school k have employer e (binary search). */
static int64_t group_size(const recount *c, int64_t key)
{
    int64_t lo = 0, hi = c->n_groups;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->groups[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t n = 0;
    while (lo + n < c->n_groups && c->groups[lo + n] == key)
        n++;
    return n;
}

static int check_spread(recount *c, const fm_side_check *chk, fm_verify_report *rep)
{
    const fm_region *r = c->r;
    int64_t ne = (int64_t)r->n_employers;
    c->groups = malloc((r->n_students + 1) * sizeof *c->groups);
    if (!c->groups)
        return FM_ENOMEM;
    for (size_t s = 0; s < r->n_students; s++)
        if (chk->match[s].target >= 0)
            c->groups[c->n_groups++] = (int64_t)r->students[s].school * ne +
                                       r->placements[chk->match[s].target].employer;
    qsort(c->groups, (size_t)c->n_groups, sizeof *c->groups, cmp_i64);
    fm_verify_constrained *vc = &rep->cons[0];
    for (int64_t i = 0, j; i < c->n_groups; i = j) {
        for (j = i; j < c->n_groups && c->groups[j] == c->groups[i]; j++)
            ;
        if (j - i > vc->spread_largest)
            vc->spread_largest = (int32_t)(j - i);
        if (j - i <= c->o->employer_spread_max)
            continue;
        vc->spread_broken++;
        fm_verify_fail(rep, "placements.csv", 0, r->schools[c->groups[i] / ne].ref,
                       "employer spread: %lld pupils of the school placed with employer %s, "
                       "more than the %d allowed", (long long)(j - i),
                       r->employers[c->groups[i] % ne], (int)c->o->employer_spread_max);
    }
    return FM_OK;
}

static void check_gender(recount *c, const fm_side_check *chk, fm_verify_report *rep)
{
    const fm_region *r = c->r;
    fm_verify_constrained *vc = &rep->cons[0];
    vc->gender_targets = c->o->n_gender_targets;
    for (int g = 0; g < c->o->n_gender_targets; g++) {
        const fm_gender_target *gt = &c->o->gender_target[g];
        int32_t sec = fm_region_find_sector(r, gt->sector);
        for (size_t s = 0; sec >= 0 && s < r->n_students; s++) {
            int32_t t = chk->match[s].target;
            if (t < 0 || r->placements[t].sector != sec)
                continue;
            c->placed_in[g]++;
            c->of_gender[g] += r->students[s].gender == gt->gender;
        }
        double all = (double)c->placed_in[g], have = (double)c->of_gender[g];
        if (100.0 * have >= gt->min_pct * all - 1e-9)
            continue;
        vc->gender_broken++;
        fm_verify_fail(rep, "placements.csv", 0, gt->sector, "gender target: %lld of the %lld "
                       "pupils placed in sector %s are %c (%.1f%%), below the target of %g%%",
                       (long long)c->of_gender[g], (long long)c->placed_in[g], gt->sector,
                       gt->gender, 100.0 * have / all, gt->min_pct);
    }
}

/* Counts envy pairs into rep (always: the summary's stable_tiers row is
 * compared with it); failures only when stable_tiers is on. */
static int check_envy(recount *c, const fm_side_check *chk, const long *line,
                      fm_verify_report *rep)
{
    const fm_region *r = c->r;
    size_t nt = c->mentors ? r->n_mentors : r->n_placements;
    int32_t *holder = malloc((nt + 1) * sizeof *holder); /* a pupil of the worst tier */
    if (!holder)
        return FM_ENOMEM;
    for (size_t t = 0; t < nt; t++)
        holder[t] = -1;
    for (size_t s = 0; s < r->n_students; s++) {
        int32_t t = chk->match[s].target;
        if (t >= 0 && (holder[t] < 0 || tier_of(r, (int32_t)s) > tier_of(r, holder[t])))
            holder[t] = (int32_t)s;
    }
    fm_verify_constrained *vc = &rep->cons[c->mentors];
    int64_t envious = 0;
    for (size_t s = 0; s < r->n_students; s++) {
        const fm_match *m = &chk->match[s];
        int tier = tier_of(r, (int32_t)s);
        if (!m->asked || tier == 3)
            continue;
        int got = m->target >= 0 ? m->utility : 0, counted = 0;
        for (int64_t i = chk->cands.start[s]; i < chk->cands.start[s + 1]; i++) {
            int32_t t = chk->cands.target[i], h = holder[t];
            if (chk->cands.utility[i] <= got || h < 0 || tier_of(r, h) <= tier)
                continue;
            vc->envy_pairs++;
            int first = !counted;
            envious += first;
            counted = 1;
            if (!c->o->stable_tiers || !first || envious > ENVY_LISTED)
                continue;
            char had[160];
            if (m->target >= 0)
                snprintf(had, sizeof had, "utility %d from %s", m->utility,
                         target_ref(r, c->mentors, m->target));
            else
                snprintf(had, sizeof had, "nothing");
            fm_verify_fail(rep, fm_verify_side_files[c->mentors], line[s], r->students[s].ref,
                           "justified envy (stable_tiers): this tier-%d pupil is eligible for "
                           "%s %s (utility %d; it got %s), which holds tier-%d pupil %s",
                           tier, c->mentors ? "mentor" : "placement",
                           target_ref(r, c->mentors, t), (int)chk->cands.utility[i], had,
                           tier_of(r, h), r->students[h].ref);
        }
    }
    if (c->o->stable_tiers && vc->envy_pairs > 0)
        fm_verify_fail(rep, fm_verify_side_files[c->mentors], 0, "", "stable_tiers: %lld "
                       "justified-envy pairs in all (by %lld pupils); the policy allows none",
                       (long long)vc->envy_pairs, (long long)envious);
    free(holder);
    return FM_OK;
}

/* The recount of one row of summary.json's constrained.constraints: its
 * value, limit and slack (room left, constraints.h); 1, or -1 for a row
 * that names no constraint of the policy. */
static int row_recount(const recount *c, const fm_verify_report *rep, const char *kind,
                       const char *who, double *want, double *limit, double *slack)
{
    const fm_region *r = c->r;
    char a[128] = "", b[128] = "";
    if (strcmp(kind, "school_floor") == 0 && c->o->school_floor_pct > 0 &&
        sscanf(who, "school %127s", a) == 1) {
        int32_t k = fm_region_find_school(r, a);
        if (k < 0 || c->eligible[k] == 0)
            return -1;
        *want = c->placed[k];
        *limit = c->need[k];
        *slack = *want - *limit;
        return 1;
    }
    if (strcmp(kind, "employer_spread") == 0 && c->groups) {
        *limit = c->o->employer_spread_max;
        if (strcmp(who, "largest school / employer group") == 0) {
            *want = rep->cons[0].spread_largest;
            *slack = *limit - *want;
            return 1;
        }
        if (sscanf(who, "school %127s / employer %127s", a, b) != 2)
            return -1;
        int32_t k = fm_region_find_school(r, a);
        for (size_t e = 0; k >= 0 && e < r->n_employers; e++)
            if (strcmp(r->employers[e], b) == 0) {
                *want = (double)group_size(c, (int64_t)k * (int64_t)r->n_employers +
                                                  (int64_t)e);
                *slack = *limit - *want;
                return 1;
            }
        return -1;
    }
    if (strcmp(kind, "gender_target") == 0) {
        for (int g = 0; g < c->o->n_gender_targets; g++) {
            const fm_gender_target *gt = &c->o->gender_target[g];
            snprintf(a, sizeof a, "sector %s / %c", gt->sector, gt->gender);
            if (strcmp(a, who) != 0)
                continue;
            *want = c->placed_in[g] ? 100.0 * (double)c->of_gender[g] / (double)c->placed_in[g]
                                    : 0.0;
            *limit = gt->min_pct;
            /* pupils of that gender above the need */
            *slack = (double)c->of_gender[g] - gt->min_pct * (double)c->placed_in[g] / 100.0;
            return 1;
        }
        return -1;
    }
    if (strcmp(kind, "stable_tiers") == 0 && c->o->stable_tiers) {
        *want = (double)rep->cons[c->mentors].envy_pairs;
        *limit = 0;
        *slack = -*want;
        return 1;
    }
    return -1;
}

static void check_rows(const recount *c, json_t *side, fm_verify_report *rep)
{
    const char *key = fm_verify_side_keys[c->mentors];
    json_t *rows = json_object_get(json_object_get(side, "constrained"), "constraints");
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *kind = json_string_value(json_object_get(row, "kind"));
        const char *who = json_string_value(json_object_get(row, "who"));
        json_t *value = json_object_get(row, "value"), *limit = json_object_get(row, "limit");
        json_t *slack = json_object_get(row, "slack"), *tight = json_object_get(row, "tight");
        double want = 0, want_limit = 0, want_slack = 0;
        int known = kind && who ? row_recount(c, rep, kind, who, &want, &want_limit,
                                              &want_slack) : -1;
        if (known < 0 || !json_is_number(value) || !json_is_number(limit)) {
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.constraints[%zu] "
                           "(%s, %s) is not a constraint of this round's policy", key, i,
                           kind ? kind : "no kind", who ? who : "no who");
            continue;
        }
        /* values are printed with 10 significant digits */
        double v = json_number_value(value), l = json_number_value(limit);
        if (fabs(v - want) > 1e-6 * fmax(1.0, fabs(want)) ||
            fabs(l - want_limit) > 1e-6 * fmax(1.0, fabs(want_limit)))
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.constraints[%zu] (%s, "
                           "%s) says %g (limit %g); the rows give %g (limit %g)", key, i, kind,
                           who, v, l, want, want_limit);
        else if (!json_is_number(slack) || !json_is_boolean(tight) ||
                 fabs(json_number_value(slack) - want_slack) >
                     1e-6 * fmax(1.0, fabs(want_slack)) ||
                 json_is_true(tight) != (fabs(want_slack) < 1e-9))
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.constraints[%zu] (%s, "
                           "%s) says slack %g, tight %s; the rows give slack %g, tight %s", key,
                           i, kind, who, json_number_value(slack),
                           json_is_true(tight) ? "true" : "false", want_slack,
                           fabs(want_slack) < 1e-9 ? "true" : "false");
    }
}

int fm_verify_constraints(const fm_region *r, int mentors, const fm_side_constraints *opt,
                          const fm_side_check *chk, const long *line, json_t *side,
                          fm_verify_report *rep)
{
    recount c = { .r = r, .mentors = mentors, .o = opt };
    int rc = FM_ENOMEM;
    c.eligible = calloc(r->n_schools + 1, sizeof *c.eligible);
    c.placed = calloc(r->n_schools + 1, sizeof *c.placed);
    c.need = calloc(r->n_schools + 1, sizeof *c.need);
    if (!c.eligible || !c.placed || !c.need)
        goto out;
    rep->cons[mentors].stable_tiers = opt->stable_tiers;
    if (opt->school_floor_pct > 0)
        check_floors(&c, chk, rep);
    if (!mentors && opt->employer_spread_max > 0 && check_spread(&c, chk, rep) != FM_OK)
        goto out;
    if (!mentors)
        check_gender(&c, chk, rep);
    if (check_envy(&c, chk, line, rep) != FM_OK)
        goto out;
    check_rows(&c, side, rep);
    rc = FM_OK;
out:
    free(c.eligible);
    free(c.placed);
    free(c.need);
    free(c.groups);
    return rc;
}
