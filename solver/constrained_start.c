/*
 * constrained_start.c - quick feasible solutions for a constrained side, to
 * start each level's search from a good incumbent (see constrained.h).
 *
 * Normal case: fm_cside_repair() turns the plain optimum into an
 * assignment that meets the spread, gender-target and stable-tiers
 * constraints by taking pupils out only: over-spread (school, employer)
 * groups and over-represented genders in a target sector lose their
 * lowest-priority pupils (tier 3 first, then the smallest utility), and
 * every placement a pupil envies loses its holders of a lower tier than the
 * envier; repeated until nothing is broken (taking out only ever ends).
 * fm_cside_fill() then places more pupils of one tier, each on its best
 * pair that has a seat (within the tier-3 limit), keeps the spread and the
 * gender targets, and is not envied by a pupil of a higher tier: so it
 * keeps every constraint it was given met (floors can only improve).
 * Neither proves anything; the levels' bounds do.
 *
 * Failure: FM_ENOMEM, with pair_of unchanged or partly repaired (still a
 * valid assignment).
 */
#include <stdlib.h>
#include <string.h>

#include "constrained.h"

/* Counts per (school, employer) key, open addressing. */
typedef struct counter {
    int64_t *key;
    int32_t *n;
    size_t mask;
} counter;

static int counter_init(counter *c, size_t items)
{
    size_t size = 16;
    while (size < 2 * items + 2)
        size *= 2;
    c->mask = size - 1;
    c->key = malloc(size * sizeof *c->key);
    c->n = calloc(size, sizeof *c->n);
    if (!c->key || !c->n)
        return FM_ENOMEM;
    memset(c->key, 0xff, size * sizeof *c->key);
    return 0;
}

static void counter_free(counter *c)
{
    free(c->key);
    free(c->n);
}

static int32_t *counter_at(counter *c, int64_t key)
{
    size_t h = (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ull >> 7) & c->mask;
    while (c->key[h] != -1 && c->key[h] != key)
        h = (h + 1) & c->mask;
    c->key[h] = key;
    return &c->n[h];
}

static int64_t group_key(const fm_cside *cs, int32_t s, int64_t pair)
{
    return (int64_t)cs->r->students[s].school * cs->n_employers +
           cs->r->placements[cs->c->target[pair]].employer;
}

/* Placed students, lowest priority first: tier 3 first, then smaller utility. */
typedef struct ranked { int32_t s; int tier; int16_t u; } ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->tier != y->tier)
        return y->tier - x->tier;
    if (x->u != y->u)
        return x->u - y->u;
    return (x->s > y->s) - (x->s < y->s);
}

static ranked *rank_placed(const fm_cside *cs, const int64_t *pair_of, int32_t *n)
{
    int32_t ns = cs->c->n_students;
    ranked *r = malloc(((size_t)ns + 1) * sizeof *r);
    *n = 0;
    if (!r)
        return NULL;
    for (int32_t s = 0; s < ns; s++)
        if (pair_of[s] >= 0)
            r[(*n)++] = (ranked){s, cs->p->tier[s], cs->c->utility[pair_of[s]]};
    qsort(r, (size_t)*n, sizeof *r, cmp_ranked);
    return r;
}

static int gender_index(char g)
{
    return g == 'F' ? 0 : g == 'M' ? 1 : g == 'X' ? 2 : 3;
}

/* Takes out pupils until spread and gender targets hold; *changed set. */
static int repair_groups(const fm_cside *cs, int64_t *pair_of, int *changed)
{
    const fm_side_constraints *o = cs->opt;
    int32_t n;
    if (cs->mentors || (o->employer_spread_max <= 0 && o->n_gender_targets == 0))
        return 0;
    ranked *r = rank_placed(cs, pair_of, &n);
    if (!r)
        return FM_ENOMEM;
    if (o->employer_spread_max > 0) {
        counter cnt;
        if (counter_init(&cnt, (size_t)n)) {
            counter_free(&cnt);
            free(r);
            return FM_ENOMEM;
        }
        for (int32_t k = 0; k < n; k++)
            (*counter_at(&cnt, group_key(cs, r[k].s, pair_of[r[k].s])))++;
        for (int32_t k = 0; k < n; k++) {
            int32_t *c = counter_at(&cnt, group_key(cs, r[k].s, pair_of[r[k].s]));
            if (*c > o->employer_spread_max) {
                (*c)--;
                pair_of[r[k].s] = -1;
                *changed = 1;
            }
        }
        counter_free(&cnt);
    }
    for (int g = 0; g < o->n_gender_targets; g++) {
        const fm_gender_target *gt = &o->gender_target[g];
        int16_t sec = cs->gt_sector[g];
        double all = 0, of_g = 0;
        for (int32_t k = 0; k < n; k++) {
            int32_t s = r[k].s;
            if (pair_of[s] >= 0 && cs->r->placements[cs->c->target[pair_of[s]]].sector == sec) {
                all++;
                of_g += cs->r->students[s].gender == gt->gender;
            }
        }
        for (int32_t k = 0; k < n && 100.0 * of_g < gt->min_pct * all - 1e-9; k++) {
            int32_t s = r[k].s;
            if (pair_of[s] < 0 || cs->r->placements[cs->c->target[pair_of[s]]].sector != sec ||
                cs->r->students[s].gender == gt->gender)
                continue;
            pair_of[s] = -1;
            all--;
            *changed = 1;
        }
    }
    free(r);
    return 0;
}

/* Takes out the lower-tier holders of every envied placement. */
static int repair_envy(const fm_cside *cs, int64_t *pair_of, int *changed)
{
    enum { BATCH = 4096 };
    if (!cs->opt->stable_tiers)
        return 0;
    fm_envy *list = malloc(BATCH * sizeof *list);
    uint8_t *min_envier = malloc((size_t)cs->p->n_targets + 1);
    if (!list || !min_envier) {
        free(list);
        free(min_envier);
        return FM_ENOMEM;
    }
    for (;;) {
        fm_cviolations v;
        int64_t n = 0;
        if (fm_cside_check(cs, pair_of, &v, list, BATCH, &n, NULL) < 0) {
            free(list);
            free(min_envier);
            return FM_ENOMEM;
        }
        if (n == 0)
            break;
        memset(min_envier, 4, (size_t)cs->p->n_targets + 1);
        for (int64_t k = 0; k < n; k++) {
            uint8_t t = (uint8_t)cs->p->tier[list[k].student];
            if (t < min_envier[list[k].target])
                min_envier[list[k].target] = t;
        }
        for (int32_t s = 0; s < cs->c->n_students; s++) {
            if (pair_of[s] < 0)
                continue;
            int32_t t = cs->c->target[pair_of[s]];
            if (cs->p->tier[s] > min_envier[t]) {
                pair_of[s] = -1;
                *changed = 1;
            }
        }
    }
    free(list);
    free(min_envier);
    return 0;
}

int fm_cside_repair(const fm_cside *cs, int64_t *pair_of)
{
    for (int changed = 1; changed;) {
        changed = 0;
        int rc = repair_groups(cs, pair_of, &changed);
        if (!rc)
            rc = repair_envy(cs, pair_of, &changed);
        if (rc)
            return rc;
    }
    return 0;
}

int fm_cside_fill(const fm_cside *cs, int64_t *pair_of, int tier)
{
    const fm_side_constraints *o = cs->opt;
    int32_t nt = cs->p->n_targets, ns = cs->c->n_students;
    size_t nsec = cs->r->n_sectors + 1;
    int32_t *load = calloc((size_t)nt + 1, sizeof *load);
    int32_t *load3 = calloc((size_t)nt + 1, sizeof *load3);
    uint8_t *envy_min = malloc((size_t)nt + 1);
    double *sec = calloc(5 * nsec, sizeof *sec); /* per sector: all, F, M, X, blank */
    counter cnt = {0};
    int rc = FM_ENOMEM;
    int spread = !cs->mentors && o->employer_spread_max > 0;
    if (!load || !load3 || !envy_min || !sec || (spread && counter_init(&cnt, (size_t)ns)))
        goto out;
    memset(envy_min, 4, (size_t)nt + 1);
    for (int32_t s = 0; s < ns; s++) {
        int64_t i = pair_of[s];
        if (i >= 0) {
            int32_t t = cs->c->target[i];
            load[t]++;
            load3[t] += cs->p->tier[s] == 3;
            if (spread)
                (*counter_at(&cnt, group_key(cs, s, i)))++;
            if (!cs->mentors) {
                size_t k = (size_t)cs->r->placements[t].sector;
                sec[5 * k]++;
                sec[5 * k + 1 + (size_t)gender_index(cs->r->students[s].gender)]++;
            }
        }
        if (!o->stable_tiers || cs->p->tier[s] == 3)
            continue;
        /* s envies every target better than what it has (conservative:
         * kept even after s is placed below). */
        int got = i >= 0 ? cs->c->utility[i] : 0;
        for (int64_t j = cs->c->start[s]; j < cs->c->start[s + 1] && cs->c->utility[j] > got; j++)
            if (envy_min[cs->c->target[j]] > cs->p->tier[s])
                envy_min[cs->c->target[j]] = cs->p->tier[s];
    }
    for (int32_t s = 0; s < ns; s++) {
        if (pair_of[s] >= 0 || cs->p->tier[s] != tier)
            continue;
        for (int64_t i = cs->c->start[s]; i < cs->c->start[s + 1]; i++) {
            int32_t t = cs->c->target[i];
            int32_t cap = cs->mentors ? cs->r->mentors[t].capacity : cs->r->placements[t].capacity;
            int32_t lim3 = cap;
            if (!cs->mentors)
                lim3 -= (int32_t)((int64_t)cap * cs->r->placements[t].reserve_pct / 100);
            if (load[t] >= cap || (tier == 3 && load3[t] >= lim3) || envy_min[t] < tier)
                continue;
            if (spread && *counter_at(&cnt, group_key(cs, s, i)) >= o->employer_spread_max)
                continue;
            int ok = 1;
            size_t k = cs->mentors ? 0 : (size_t)cs->r->placements[t].sector;
            for (int g = 0; !cs->mentors && g < o->n_gender_targets; g++) {
                if ((size_t)cs->gt_sector[g] != k)
                    continue;
                const fm_gender_target *gt = &o->gender_target[g];
                double all = sec[5 * k] + 1;
                double of_g = sec[5 * k + 1 + (size_t)gender_index(gt->gender)] +
                              (cs->r->students[s].gender == gt->gender);
                ok &= 100.0 * of_g >= gt->min_pct * all - 1e-9;
            }
            if (!ok)
                continue;
            pair_of[s] = i;
            load[t]++;
            load3[t] += tier == 3;
            if (spread)
                (*counter_at(&cnt, group_key(cs, s, i)))++;
            if (!cs->mentors) {
                sec[5 * k]++;
                sec[5 * k + 1 + (size_t)gender_index(cs->r->students[s].gender)]++;
            }
            break;
        }
    }
    rc = 0;
out:
    free(load);
    free(load3);
    free(envy_min);
    free(sec);
    counter_free(&cnt);
    return rc;
}
