/*
 * constrained_side.c - the side data the extra constraints need, and the
 * check of an assignment against them (see constrained.h).
 *
 * Normal case: fm_cside_init() resolves, once per side, each pair's
 * student, each school's eligible applicants and floor, and each gender
 * target's sector.  fm_cside_check() counts what an assignment breaks:
 * floors (placed < ceil(f * E / 100)), spreads (more than k pupils of one
 * school with one employer), gender targets (100 * placed(S, G) <
 * min_pct * placed(S)) and envy pairs (constraints.h), and can list the
 * envy pairs (for lazy rows) and every constraint's slack (for the
 * report).  It trusts nothing but the candidate pairs, so it is also the
 * final check of a constrained result.
 *
 * Failure: FM_ENOMEM; FM_EINVAL when a gender target names a sector the
 * region does not have (err->field "gender_targets", err->id the sector).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constrained.h"

int fm_constraints_active(const fm_constraints *c, int mentors)
{
    const fm_side_constraints *o = &c->side[mentors ? 1 : 0];
    return o->school_floor_pct > 0 || o->stable_tiers ||
           (!mentors && (o->employer_spread_max > 0 || o->n_gender_targets > 0));
}

const char *fm_level_method_name(fm_level_method m)
{
    switch (m) {
    case FM_METHOD_NETWORK: return "network";
    case FM_METHOD_LP: return "LP";
    case FM_METHOD_MIP: return "MIP";
    default: return "none";
    }
}

void fm_constrained_report_free(fm_constrained_report *rep)
{
    if (!rep)
        return;
    free(rep->rows);
    free(rep);
}

void fm_cside_free(fm_cside *cs)
{
    free(cs->pair_student);
    free(cs->eligible);
    free(cs->need);
    free(cs->gt_sector);
    memset(cs, 0, sizeof *cs);
}

int fm_cside_init(fm_cside *cs, const fm_region *r, int mentors, const fm_pools *p,
                  const fm_side_constraints *opt, fm_error *err)
{
    memset(cs, 0, sizeof *cs);
    cs->r = r;
    cs->mentors = mentors;
    cs->p = p;
    cs->c = p->cands;
    cs->opt = opt;
    cs->n_schools = (int32_t)r->n_schools;
    cs->n_employers = (int32_t)r->n_employers;
    const fm_cands *c = cs->c;
    cs->pair_student = malloc(((size_t)c->n_pairs + 1) * sizeof *cs->pair_student);
    cs->eligible = calloc((size_t)cs->n_schools + 1, sizeof *cs->eligible);
    cs->need = calloc((size_t)cs->n_schools + 1, sizeof *cs->need);
    cs->gt_sector = calloc(FM_MAX_GENDER_TARGETS, sizeof *cs->gt_sector);
    if (!cs->pair_student || !cs->eligible || !cs->need || !cs->gt_sector) {
        fm_cside_free(cs);
        return fm_error_set(err, FM_ENOMEM, "out of memory preparing the constraints");
    }
    for (int32_t s = 0; s < c->n_students; s++) {
        for (int64_t i = c->start[s]; i < c->start[s + 1]; i++)
            cs->pair_student[i] = s;
        if (c->start[s + 1] > c->start[s])
            cs->eligible[r->students[s].school]++;
    }
    if (opt->school_floor_pct > 0)
        for (int32_t k = 0; k < cs->n_schools; k++)
            cs->need[k] = (int32_t)ceil(opt->school_floor_pct * cs->eligible[k] / 100.0 - 1e-9);
    for (int g = 0; !mentors && g < opt->n_gender_targets; g++) {
        int32_t sec = fm_region_find_sector(r, opt->gender_target[g].sector);
        if (sec < 0) {
            snprintf(err->field, sizeof err->field, "gender_targets");
            snprintf(err->id, sizeof err->id, "sector %s", opt->gender_target[g].sector);
            fm_cside_free(cs);
            return fm_error_set(err, FM_EINVAL, "gender target: no placement or pupil of "
                                "this round has sector \"%s\"", opt->gender_target[g].sector);
        }
        cs->gt_sector[g] = (int16_t)sec;
    }
    return FM_OK;
}

int fm_cside_pairs_of(const fm_cside *cs, const fm_assign *a, int64_t **out)
{
    int32_t ns = cs->c->n_students;
    int64_t *pr = malloc(((size_t)ns + 1) * sizeof *pr);
    if (!pr)
        return FM_ENOMEM;
    for (int32_t s = 0; s < ns; s++)
        pr[s] = a->edge[s] < 0 ? -1 : a->edge[s] >> 1;
    *out = pr;
    return FM_OK;
}

void fm_cside_assign_from_pairs(const fm_cside *cs, const int64_t *pair_of, fm_assign *a)
{
    const fm_pools *p = cs->p;
    memset(a->load, 0, (size_t)p->n_pools * sizeof *a->load);
    /* Disadvantaged pupils fill reserved seats first; everyone else, and
     * the disadvantaged who find the reserve full, take general seats.  An
     * assignment within capacity and tier-3 limits always fits. */
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t s = 0; s < p->n_students; s++) {
            if (pass == 0)
                a->edge[s] = -1;
            if (pair_of[s] < 0 || (pass == 1 && a->edge[s] >= 0))
                continue;
            int32_t t = cs->c->target[pair_of[s]];
            int32_t q = pass == 0 ? (p->tier[s] <= 2 ? p->reserved[t] : -1) : p->general[t];
            if (q < 0 || a->load[q] >= p->cap[q])
                continue;
            a->load[q]++;
            a->edge[s] = 2 * pair_of[s] + (pass == 0);
        }
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Appends a report row; -1 on ENOMEM. */
static int add_row(fm_constrained_report *rep, const char *kind, const char *who, double lhs,
                   double limit, double slack)
{
    if ((rep->n_rows & (rep->n_rows - 1)) == 0) {
        size_t cap = rep->n_rows ? 2 * (size_t)rep->n_rows : 8;
        fm_constraint_row *n = realloc(rep->rows, cap * sizeof *n);
        if (!n)
            return -1;
        rep->rows = n;
    }
    fm_constraint_row *row = &rep->rows[rep->n_rows++];
    snprintf(row->kind, sizeof row->kind, "%s", kind);
    snprintf(row->who, sizeof row->who, "%s", who);
    row->lhs = lhs;
    row->limit = limit;
    row->slack = slack;
    return 0;
}

/* Spread rows listed in the report: the tightest, at most this many. */
#define REPORT_SPREAD_ROWS 20

static int64_t check_spread(const fm_cside *cs, const int64_t *pair_of,
                            fm_constrained_report *rep)
{
    int32_t ns = cs->c->n_students, k = cs->opt->employer_spread_max;
    int64_t *key = malloc(((size_t)ns + 1) * sizeof *key);
    int64_t n = 0, bad = 0, listed = 0;
    if (!key)
        return -1;
    for (int32_t s = 0; s < ns; s++)
        if (pair_of[s] >= 0)
            key[n++] = (int64_t)cs->r->students[s].school * cs->n_employers +
                       cs->r->placements[cs->c->target[pair_of[s]]].employer;
    qsort(key, (size_t)n, sizeof *key, cmp_i64);
    int64_t most = 0;
    for (int64_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && key[j] == key[i]; j++)
            ;
        if (j - i > most)
            most = j - i;
        if (j - i > k)
            bad++;
        if (rep && j - i >= k && listed < REPORT_SPREAD_ROWS) {
            char who[128];
            snprintf(who, sizeof who, "school %s / employer %s",
                     cs->r->schools[key[i] / cs->n_employers].ref,
                     cs->r->employers[key[i] % cs->n_employers]);
            if (add_row(rep, "employer_spread", who, (double)(j - i), k, (double)(k - (j - i))))
                bad = -1;
            listed++;
        }
    }
    if (rep && listed == 0 && bad >= 0) {
        char who[128];
        snprintf(who, sizeof who, "largest school / employer group");
        if (add_row(rep, "employer_spread", who, (double)most, k, (double)(k - most)))
            bad = -1;
    }
    free(key);
    return bad;
}

int64_t fm_cside_check(const fm_cside *cs, const int64_t *pair_of, fm_cviolations *v,
                       fm_envy *list, int64_t max_list, int64_t *n_list,
                       fm_constrained_report *rep)
{
    const fm_region *r = cs->r;
    const fm_side_constraints *o = cs->opt;
    int32_t ns = cs->c->n_students, nt = cs->p->n_targets;
    int32_t *placed = calloc((size_t)cs->n_schools + 1, sizeof *placed);
    uint8_t *worst = calloc((size_t)nt + 1, 1);
    int64_t *sec_all = calloc(r->n_sectors + 1, sizeof *sec_all);
    int64_t *sec_gender = calloc(4 * (r->n_sectors + 1), sizeof *sec_gender);
    int64_t total = -1;
    char who[128];
    memset(v, 0, sizeof *v);
    if (n_list)
        *n_list = 0;
    if (!placed || !worst || !sec_all || !sec_gender)
        goto out;

    for (int32_t s = 0; s < ns; s++) {
        if (pair_of[s] < 0)
            continue;
        int32_t t = cs->c->target[pair_of[s]];
        placed[r->students[s].school]++;
        if (cs->p->tier[s] > worst[t])
            worst[t] = cs->p->tier[s];
        if (!cs->mentors) {
            int16_t sec = r->placements[t].sector;
            char g = r->students[s].gender;
            sec_all[sec]++;
            sec_gender[4 * (size_t)sec + (g == 'F' ? 0 : g == 'M' ? 1 : g == 'X' ? 2 : 3)]++;
        }
    }
    for (int32_t k = 0; k < cs->n_schools; k++) {
        if (cs->need[k] <= 0)
            continue;
        if (placed[k] < cs->need[k])
            v->floor++;
        snprintf(who, sizeof who, "school %s", r->schools[k].ref);
        if (rep && add_row(rep, "school_floor", who, placed[k], cs->need[k],
                           placed[k] - cs->need[k]))
            goto out;
    }
    if (!cs->mentors && o->employer_spread_max > 0) {
        v->spread = check_spread(cs, pair_of, rep);
        if (v->spread < 0)
            goto out;
    }
    for (int g = 0; !cs->mentors && g < o->n_gender_targets; g++) {
        const fm_gender_target *gt = &o->gender_target[g];
        int16_t sec = cs->gt_sector[g];
        int gi = gt->gender == 'F' ? 0 : gt->gender == 'M' ? 1 : 2;
        double have = (double)sec_gender[4 * (size_t)sec + gi], all = (double)sec_all[sec];
        if (100.0 * have < gt->min_pct * all - 1e-9)
            v->gender++;
        snprintf(who, sizeof who, "sector %s / %c", gt->sector, gt->gender);
        /* lhs: the share in %; slack: pupils of that gender above the need. */
        if (rep && add_row(rep, "gender_target", who, all > 0 ? 100.0 * have / all : 0.0,
                           gt->min_pct, have - gt->min_pct * all / 100.0))
            goto out;
    }
    if (o->stable_tiers || rep || list) {
        for (int32_t s = 0; s < ns; s++) {
            int tier = cs->p->tier[s];
            if (tier == 3)
                continue;
            int got = pair_of[s] >= 0 ? cs->c->utility[pair_of[s]] : 0;
            /* Pairs are in utility order, best first. */
            for (int64_t i = cs->c->start[s]; i < cs->c->start[s + 1]; i++) {
                if (cs->c->utility[i] <= got)
                    break;
                if (worst[cs->c->target[i]] <= tier)
                    continue;
                if (list && *n_list < max_list) {
                    list[*n_list].student = s;
                    list[*n_list].target = cs->c->target[i];
                    (*n_list)++;
                }
                v->envy++;
            }
        }
        if (rep && o->stable_tiers && add_row(rep, "stable_tiers", "envy pairs",
                                              (double)v->envy, 0, (double)-v->envy))
            goto out;
    }
    total = v->floor + v->spread + v->gender + (o->stable_tiers ? v->envy : 0);
out:
    free(placed);
    free(worst);
    free(sec_all);
    free(sec_gender);
    return total;
}
