/*
 * policy_reference.c - the fair-access v1 policy restated plainly, for the
 * policy tests (see policy_reference.h for what it owns).
 *
 * Normal case: every function reads the region and the round date and
 * returns what policy.md says, rule by rule, in the policy's own order, with
 * no caching, no indexes and no cleverness, so that a reader can check each
 * line against the text.  The generator draws everything from a seeded
 * splitmix64 stream, so a seed names an instance for good.
 *
 * Failure: allocation failure returns FM_ENOMEM with nothing half-built; a
 * failing region call (fm_region_add_*, fm_region_intern_*) makes
 * fm_ref_generate() return that call's code, leaving the region for the
 * caller to free.  Misuse (a bad index) is an assert.
 */
#include "policy_reference.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double DEG = 3.14159265358979323846 / 180.0;

double fm_ref_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG, p2 = lat2 * DEG;
    double dp = (lat2 - lat1) * DEG, dl = (lon2 - lon1) * DEG;
    double sp = sin(dp / 2.0), sl = sin(dl / 2.0);
    double a = sp * sp + cos(p1) * cos(p2) * sl * sl;
    if (a > 1.0)
        a = 1.0;
    return FM_REF_EARTH_RADIUS_KM * 2.0 * asin(sqrt(a));
}

int fm_ref_age(int32_t birth_date, int32_t date)
{
    return (date - birth_date) / 10000;
}

int fm_ref_tier(const fm_student *s)
{
    int disadvantaged = s->low_income || s->looked_after;
    if (disadvantaged && s->gifted)
        return 1;
    if (disadvantaged)
        return 2;
    return 3;
}

int fm_ref_reserved_seats(const fm_placement *p)
{
    if (p->reserve_pct <= 0)
        return 0;
    /* Both factors are non-negative integers: integer division is floor. */
    return (int)(((int64_t)p->capacity * p->reserve_pct) / 100);
}

int fm_ref_tier3_limit(const fm_placement *p)
{
    return p->capacity - fm_ref_reserved_seats(p);
}

/* d of the utility formula for an in-person pair. */
static int distance_penalty(double dist)
{
    double f = floor(dist);
    return f >= 99.0 ? 99 : (int)f;
}

static void pair_fail(fm_ref_pair *out, fm_rule rule)
{
    out->eligible = 0;
    out->rule = rule;
    out->utility = 0;
}

void fm_ref_placement_pair(const fm_region *r, size_t si, size_t pi, int32_t date,
                           fm_ref_pair *out)
{
    assert(si < r->n_students && pi < r->n_placements);
    const fm_student *s = &r->students[si];
    const fm_placement *p = &r->placements[pi];

    memset(out, 0, sizeof *out);
    out->distance_km = p->is_virtual ? -1.0
                                     : fm_ref_haversine_km(s->lat, s->lon, p->lat, p->lon);

    /* 1. wants_placement */
    if (!s->wants_placement) {
        pair_fail(out, FM_RULE_WANTS);
        return;
    }
    /* 2. sector; rank = 1-based position of p.sector in s.sectors (first one) */
    for (int k = 0; k < s->n_sectors; k++) {
        if (s->sectors[k] == p->sector) {
            out->rank = k + 1;
            break;
        }
    }
    if (out->rank == 0) {
        pair_fail(out, FM_RULE_SECTOR);
        return;
    }
    /* 3. age */
    if (fm_ref_age(s->birth_date, date) < p->min_age) {
        pair_fail(out, FM_RULE_AGE);
        return;
    }
    /* 4. weeks */
    if (s->n_weeks > 0 && p->week != 0) {
        int found = 0;
        for (int32_t k = 0; k < s->n_weeks; k++)
            if (r->ints[s->weeks_off + k] == p->week)
                found = 1;
        if (!found) {
            pair_fail(out, FM_RULE_WEEK);
            return;
        }
    }
    /* 5. access */
    if (!(s->needs_access == 0 || p->accessible == 1 || p->is_virtual == 1)) {
        pair_fail(out, FM_RULE_ACCESS);
        return;
    }
    /* 6. distance */
    if (!(p->is_virtual == 1 || out->distance_km <= s->max_travel_km)) {
        pair_fail(out, FM_RULE_DISTANCE);
        return;
    }
    out->eligible = 1;
    out->rule = FM_RULE_NONE;
    int d = p->is_virtual ? 50 : distance_penalty(out->distance_km);
    out->utility = 100 * (6 - out->rank) - d;
}

void fm_ref_mentor_pair(const fm_region *r, size_t si, size_t mi, int32_t date,
                        fm_ref_pair *out)
{
    assert(si < r->n_students && mi < r->n_mentors);
    const fm_student *s = &r->students[si];
    const fm_mentor *m = &r->mentors[mi];

    memset(out, 0, sizeof *out);
    out->distance_km = m->online ? -1.0
                                 : fm_ref_haversine_km(s->lat, s->lon, m->lat, m->lon);

    /* 1. wants_mentor */
    if (!s->wants_mentor) {
        pair_fail(out, FM_RULE_WANTS);
        return;
    }
    /* 2. sector: best rank among the mentor's sectors that the student lists */
    int best = 0;
    for (int32_t j = 0; j < m->n_sectors; j++) {
        int32_t sec = r->ints[m->sectors_off + j];
        for (int k = 0; k < s->n_sectors; k++) {
            if (s->sectors[k] == sec) {
                if (best == 0 || k + 1 < best)
                    best = k + 1;
                break;
            }
        }
    }
    out->rank = best;
    if (best == 0) {
        pair_fail(out, FM_RULE_SECTOR);
        return;
    }
    /* 3. safeguarding */
    if (fm_ref_age(s->birth_date, date) < 18 &&
        !(m->dbs_valid_until != 0 && m->dbs_valid_until >= date)) {
        pair_fail(out, FM_RULE_SAFEGUARDING);
        return;
    }
    /* 4. distance */
    if (!m->online) {
        double limit = s->max_travel_km < m->max_travel_km ? s->max_travel_km : m->max_travel_km;
        if (!(out->distance_km <= limit)) {
            pair_fail(out, FM_RULE_DISTANCE);
            return;
        }
    }
    out->eligible = 1;
    out->rule = FM_RULE_NONE;
    int d = m->online ? 25 : distance_penalty(out->distance_km);
    out->utility = 100 * (6 - out->rank) - d;
}

void fm_ref_side_free(fm_ref_side *side)
{
    free(side->pair);
    free(side->tier);
    free(side->asked);
    free(side->n_eligible);
    free(side->capacity);
    free(side->tier3_limit);
    memset(side, 0, sizeof *side);
}

int fm_ref_side_init(fm_ref_side *side, const fm_region *r, int32_t date, int mentors)
{
    memset(side, 0, sizeof *side);
    side->mentors = mentors;
    side->n_students = r->n_students;
    side->n_targets = mentors ? r->n_mentors : r->n_placements;
    size_t ns = side->n_students, nt = side->n_targets;

    side->pair = calloc(ns * nt + 1, sizeof *side->pair);
    side->tier = calloc(ns + 1, sizeof *side->tier);
    side->asked = calloc(ns + 1, sizeof *side->asked);
    side->n_eligible = calloc(ns + 1, sizeof *side->n_eligible);
    side->capacity = calloc(nt + 1, sizeof *side->capacity);
    side->tier3_limit = calloc(nt + 1, sizeof *side->tier3_limit);
    if (!side->pair || !side->tier || !side->asked || !side->n_eligible ||
        !side->capacity || !side->tier3_limit) {
        fm_ref_side_free(side);
        return FM_ENOMEM;
    }
    for (size_t t = 0; t < nt; t++) {
        if (mentors) {
            side->capacity[t] = r->mentors[t].capacity;
            side->tier3_limit[t] = r->mentors[t].capacity;
        } else {
            side->capacity[t] = r->placements[t].capacity;
            side->tier3_limit[t] = fm_ref_tier3_limit(&r->placements[t]);
        }
    }
    for (size_t s = 0; s < ns; s++) {
        const fm_student *st = &r->students[s];
        side->tier[s] = fm_ref_tier(st);
        side->asked[s] = mentors ? st->wants_mentor != 0 : st->wants_placement != 0;
        side->n_asked += side->asked[s];
        for (size_t t = 0; t < nt; t++) {
            fm_ref_pair *pr = &side->pair[s * nt + t];
            if (mentors)
                fm_ref_mentor_pair(r, s, t, date, pr);
            else
                fm_ref_placement_pair(r, s, t, date, pr);
            side->n_eligible[s] += pr->eligible;
        }
        side->n_candidates += side->n_eligible[s];
    }
    return 0;
}

/* The rules of each side in policy order. */
static const fm_rule placement_rules[] = {FM_RULE_WANTS, FM_RULE_SECTOR, FM_RULE_AGE,
                                          FM_RULE_WEEK, FM_RULE_ACCESS, FM_RULE_DISTANCE};
static const fm_rule mentor_rules[] = {FM_RULE_WANTS, FM_RULE_SECTOR, FM_RULE_SAFEGUARDING,
                                       FM_RULE_DISTANCE};

fm_rule fm_ref_no_eligible_rule(const fm_ref_side *side, size_t s)
{
    const fm_rule *order = side->mentors ? mentor_rules : placement_rules;
    size_t n_rules = side->mentors ? sizeof mentor_rules / sizeof mentor_rules[0]
                                   : sizeof placement_rules / sizeof placement_rules[0];
    fm_rule best = FM_RULE_NONE;
    size_t best_count = 0;
    for (size_t k = 0; k < n_rules; k++) {
        size_t count = 0;
        for (size_t t = 0; t < side->n_targets; t++)
            if (fm_ref_side_pair(side, s, t)->rule == order[k])
                count++;
        if (count > best_count) { /* strictly more: ties keep the earlier rule */
            best = order[k];
            best_count = count;
        }
    }
    return best;
}

int fm_ref_vector_cmp(const fm_vector *a, const fm_vector *b)
{
    if (a->n1 != b->n1)
        return a->n1 < b->n1 ? -1 : 1;
    if (a->n2 != b->n2)
        return a->n2 < b->n2 ? -1 : 1;
    if (a->n3 != b->n3)
        return a->n3 < b->n3 ? -1 : 1;
    if (a->utility != b->utility)
        return a->utility < b->utility ? -1 : 1;
    return 0;
}

void fm_ref_assignment_vector(const fm_ref_side *side, const int32_t *assign, fm_vector *out)
{
    memset(out, 0, sizeof *out);
    for (size_t s = 0; s < side->n_students; s++) {
        if (assign[s] < 0)
            continue;
        const fm_ref_pair *pr = fm_ref_side_pair(side, s, (size_t)assign[s]);
        if (side->tier[s] == 1)
            out->n1++;
        else if (side->tier[s] == 2)
            out->n2++;
        else
            out->n3++;
        out->utility += pr->utility;
    }
}

/* Depth-first enumeration state. */
typedef struct bf_state {
    const fm_ref_side *side;
    int *load, *load3;
    int32_t *cur, *best_assign;
    fm_vector cur_vec, best_vec;
    int64_t max_count;
    int have_best;
} bf_state;

static void bf_leaf(bf_state *st)
{
    int64_t count = st->cur_vec.n1 + st->cur_vec.n2 + st->cur_vec.n3;
    if (count > st->max_count)
        st->max_count = count;
    if (!st->have_best || fm_ref_vector_cmp(&st->cur_vec, &st->best_vec) > 0) {
        st->best_vec = st->cur_vec;
        memcpy(st->best_assign, st->cur, st->side->n_students * sizeof *st->cur);
        st->have_best = 1;
    }
}

static void bf_visit(bf_state *st, size_t s)
{
    const fm_ref_side *side = st->side;
    if (s == side->n_students) {
        bf_leaf(st);
        return;
    }
    /* Option: nothing. */
    st->cur[s] = -1;
    bf_visit(st, s + 1);
    int tier = side->tier[s];
    for (size_t t = 0; t < side->n_targets; t++) {
        const fm_ref_pair *pr = fm_ref_side_pair(side, s, t);
        if (!pr->eligible || st->load[t] >= side->capacity[t])
            continue;
        if (tier == 3 && st->load3[t] >= side->tier3_limit[t])
            continue;
        st->load[t]++;
        st->load3[t] += tier == 3;
        int64_t *n = tier == 1 ? &st->cur_vec.n1 : tier == 2 ? &st->cur_vec.n2 : &st->cur_vec.n3;
        (*n)++;
        st->cur_vec.utility += pr->utility;
        st->cur[s] = (int32_t)t;
        bf_visit(st, s + 1);
        st->cur_vec.utility -= pr->utility;
        (*n)--;
        st->load3[t] -= tier == 3;
        st->load[t]--;
    }
    st->cur[s] = -1;
}

int fm_ref_bruteforce(const fm_ref_side *side, fm_vector *best, int32_t *assign,
                      int64_t *max_count)
{
    bf_state st;
    memset(&st, 0, sizeof st);
    st.side = side;
    st.load = calloc(side->n_targets + 1, sizeof *st.load);
    st.load3 = calloc(side->n_targets + 1, sizeof *st.load3);
    st.cur = calloc(side->n_students + 1, sizeof *st.cur);
    st.best_assign = calloc(side->n_students + 1, sizeof *st.best_assign);
    int rc = FM_ENOMEM;
    if (!st.load || !st.load3 || !st.cur || !st.best_assign)
        goto done;
    bf_visit(&st, 0);
    assert(st.have_best);
    *best = st.best_vec;
    if (assign)
        memcpy(assign, st.best_assign, side->n_students * sizeof *assign);
    if (max_count)
        *max_count = st.max_count;
    rc = 0;
done:
    free(st.load);
    free(st.load3);
    free(st.cur);
    free(st.best_assign);
    return rc;
}

/* ---- checks of a solver's answer ---- */

const char *fm_ref_rule_name(fm_rule rule)
{
    switch (rule) {
    case FM_RULE_NONE: return "";
    case FM_RULE_WANTS: return "wants";
    case FM_RULE_SECTOR: return "sector";
    case FM_RULE_AGE: return "age";
    case FM_RULE_WEEK: return "week";
    case FM_RULE_ACCESS: return "access";
    case FM_RULE_SAFEGUARDING: return "safeguarding";
    case FM_RULE_DISTANCE: return "distance";
    }
    return "?";
}

static const char *side_name(const fm_ref_side *side)
{
    return side->mentors ? "mentor" : "placement";
}

/* Loads per target of res's assignment; -1 (with msg) on a target out of range. */
static int assignment_loads(const fm_ref_side *side, const fm_side_result *res, int *load,
                            int *load3, char *msg, size_t msg_size)
{
    for (size_t t = 0; t < side->n_targets; t++)
        load[t] = load3[t] = 0;
    for (size_t s = 0; s < side->n_students; s++) {
        int32_t t = res->match[s].target;
        if (t == -1)
            continue;
        if (t < 0 || (size_t)t >= side->n_targets) {
            snprintf(msg, msg_size, "%s side: student %zu has target %d out of range [0, %zu)",
                     side_name(side), s, (int)t, side->n_targets);
            return -1;
        }
        load[t]++;
        load3[t] += side->tier[s] == 3;
    }
    return 0;
}

int fm_ref_check_assignment(const fm_ref_side *side, const fm_side_result *res, char *msg,
                            size_t msg_size)
{
    const char *sn = side_name(side);
    int rc = -1;
    int *load = calloc(side->n_targets + 1, sizeof *load);
    int *load3 = calloc(side->n_targets + 1, sizeof *load3);
    if (!load || !load3) {
        snprintf(msg, msg_size, "out of memory");
        goto done;
    }
    if (assignment_loads(side, res, load, load3, msg, msg_size) < 0)
        goto done;

    fm_vector sum = {0, 0, 0, 0};
    for (size_t s = 0; s < side->n_students; s++) {
        const fm_match *m = &res->match[s];
        if (m->asked != side->asked[s]) {
            snprintf(msg, msg_size, "%s side: student %zu: asked = %d, policy says %d", sn, s,
                     m->asked, side->asked[s]);
            goto done;
        }
        if (m->target < 0) {
            if (!side->asked[s] && m->reason != FM_REASON_NONE) {
                snprintf(msg, msg_size, "%s side: student %zu did not ask but has reason %d", sn,
                         s, m->reason);
                goto done;
            }
            continue;
        }
        const fm_ref_pair *pr = fm_ref_side_pair(side, s, (size_t)m->target);
        if (!pr->eligible) {
            snprintf(msg, msg_size, "%s side: student %zu matched to %d, an ineligible pair "
                     "(first failing rule %s)", sn, s, (int)m->target, fm_ref_rule_name(pr->rule));
            goto done;
        }
        if (m->reason != FM_REASON_NONE) {
            snprintf(msg, msg_size, "%s side: student %zu is matched but has reason %d", sn, s,
                     m->reason);
            goto done;
        }
        if (m->utility != pr->utility || m->rank != pr->rank) {
            snprintf(msg, msg_size, "%s side: student %zu -> %d: utility %d rank %d, policy "
                     "says utility %d rank %d", sn, s, (int)m->target, m->utility, m->rank,
                     pr->utility, pr->rank);
            goto done;
        }
        int dist_ok = pr->distance_km < 0 ? m->distance_km == -1.0
                                          : fabs(m->distance_km - pr->distance_km) <= 1e-6;
        if (!dist_ok) {
            snprintf(msg, msg_size, "%s side: student %zu -> %d: distance_km %.9f, policy says "
                     "%.9f", sn, s, (int)m->target, m->distance_km, pr->distance_km);
            goto done;
        }
        if (side->tier[s] == 1)
            sum.n1++;
        else if (side->tier[s] == 2)
            sum.n2++;
        else
            sum.n3++;
        sum.utility += pr->utility;
    }
    for (size_t t = 0; t < side->n_targets; t++) {
        if (load[t] > side->capacity[t]) {
            snprintf(msg, msg_size, "%s side: target %zu takes %d students, capacity %d", sn, t,
                     load[t], side->capacity[t]);
            goto done;
        }
        if (load3[t] > side->tier3_limit[t]) {
            snprintf(msg, msg_size, "%s side: target %zu takes %d tier-3 students, at most %d "
                     "(capacity %d minus reserve)", sn, t, load3[t], side->tier3_limit[t],
                     side->capacity[t]);
            goto done;
        }
    }
    if (fm_ref_vector_cmp(&sum, &res->vector) != 0) {
        snprintf(msg, msg_size, "%s side: matches sum to (%lld,%lld,%lld,%lld), reported vector "
                 "(%lld,%lld,%lld,%lld)", sn, (long long)sum.n1, (long long)sum.n2,
                 (long long)sum.n3, (long long)sum.utility, (long long)res->vector.n1,
                 (long long)res->vector.n2, (long long)res->vector.n3,
                 (long long)res->vector.utility);
        goto done;
    }
    rc = 0;
done:
    free(load);
    free(load3);
    return rc;
}

int fm_ref_check_reasons(const fm_ref_side *side, const fm_side_result *res, char *msg,
                         size_t msg_size)
{
    const char *sn = side_name(side);
    int rc = -1;
    int *load = calloc(side->n_targets + 1, sizeof *load);
    int *load3 = calloc(side->n_targets + 1, sizeof *load3);
    if (!load || !load3) {
        snprintf(msg, msg_size, "out of memory");
        goto done;
    }
    if (assignment_loads(side, res, load, load3, msg, msg_size) < 0)
        goto done;
    if (res->n_students_asked != side->n_asked) {
        snprintf(msg, msg_size, "%s side: n_students_asked %lld, policy says %lld", sn,
                 (long long)res->n_students_asked, (long long)side->n_asked);
        goto done;
    }
    if (res->n_candidates != side->n_candidates) {
        snprintf(msg, msg_size, "%s side: n_candidates %lld, policy says %lld", sn,
                 (long long)res->n_candidates, (long long)side->n_candidates);
        goto done;
    }
    for (size_t s = 0; s < side->n_students; s++) {
        const fm_match *m = &res->match[s];
        if (m->n_eligible != side->n_eligible[s]) {
            snprintf(msg, msg_size, "%s side: student %zu: n_eligible %d, policy says %d", sn, s,
                     (int)m->n_eligible, side->n_eligible[s]);
            goto done;
        }
        if (!side->asked[s]) {
            if (m->target != -1 || m->reason != FM_REASON_NONE) {
                snprintf(msg, msg_size, "%s side: student %zu did not ask: want target -1 and "
                         "reason none, got target %d reason %d", sn, s, (int)m->target,
                         m->reason);
                goto done;
            }
            continue;
        }
        if (m->target >= 0)
            continue;
        if (side->n_eligible[s] == 0) {
            /* With no targets at all no rule ruled anything out, and
             * policy.md names none: only the reason is checked then. */
            fm_rule want = fm_ref_no_eligible_rule(side, s);
            int rule_ok = side->n_targets == 0 || m->rule == want;
            if (m->reason != FM_REASON_NO_ELIGIBLE || !rule_ok) {
                snprintf(msg, msg_size, "%s side: student %zu has no eligible target: want "
                         "no_eligible/%s, got reason %d rule %d (%s)", sn, s, fm_ref_rule_name(want),
                         m->reason, m->rule, fm_ref_rule_name((fm_rule)m->rule));
                goto done;
            }
            continue;
        }
        if (m->reason != FM_REASON_OUTCOMPETED) {
            snprintf(msg, msg_size, "%s side: student %zu is unmatched with %d eligible targets: "
                     "want outcompeted, got reason %d", sn, s, side->n_eligible[s], m->reason);
            goto done;
        }
        for (size_t t = 0; t < side->n_targets; t++) {
            if (!fm_ref_side_pair(side, s, t)->eligible)
                continue;
            int full = load[t] >= side->capacity[t];
            int reserved = side->tier[s] == 3 && load3[t] >= side->tier3_limit[t];
            if (!full && !reserved) {
                snprintf(msg, msg_size, "%s side: student %zu (tier %d) is outcompeted, yet its "
                         "eligible target %zu has a seat it may take (%d of %d taken, %d of %d "
                         "tier-3) - the assignment is not optimal", sn, s, side->tier[s], t,
                         load[t], side->capacity[t], load3[t], side->tier3_limit[t]);
                goto done;
            }
        }
    }
    rc = 0;
done:
    free(load);
    free(load3);
    return rc;
}

/* ---- random numbers ---- */

void fm_ref_rng_seed(fm_ref_rng *g, uint64_t seed)
{
    g->state = seed ^ 0x5eed5eed12345678ull;
}

uint64_t fm_ref_rng_next(fm_ref_rng *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int fm_ref_rng_int(fm_ref_rng *g, int lo, int hi)
{
    assert(lo <= hi);
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    return lo + (int)(fm_ref_rng_next(g) % span);
}

double fm_ref_rng_unit(fm_ref_rng *g)
{
    return (double)(fm_ref_rng_next(g) >> 11) * (1.0 / 9007199254740992.0);
}

int fm_ref_rng_chance(fm_ref_rng *g, double p)
{
    return fm_ref_rng_unit(g) < p;
}

/* ---- instance generator ---- */

void fm_ref_gen_defaults(fm_ref_gen_params *gp)
{
    memset(gp, 0, sizeof *gp);
    gp->date = 20270614;
    gp->n_students = 6;
    gp->n_placements = 3;
    gp->n_mentors = 3;
    gp->n_sectors = 4;
    gp->n_schools = 3;
    gp->n_employers = 2;
    gp->cap_min = 1;
    gp->cap_max = 3;
    gp->mentor_cap_min = 1;
    gp->mentor_cap_max = 2;
    gp->p_reserve = 0.4;
    gp->p_disadvantaged = 0.45;
    gp->p_gifted = 0.4;
    gp->p_needs_access = 0.15;
    gp->p_accessible = 0.5;
    gp->p_virtual = 0.15;
    gp->p_online = 0.25;
    gp->p_student_weeks = 0.35;
    gp->p_placement_week = 0.4;
    gp->p_wants_placement = 0.9;
    gp->p_wants_mentor = 0.7;
    gp->p_dbs_missing = 0.15;
    gp->p_dbs_expired = 0.15;
    gp->p_far = 0.06;
    gp->cluster_km = 3.0;
    gp->center_lat = 51.5072;
    gp->center_lon = -0.1276;
}

void fm_ref_gen_tiny_params(uint64_t seed, int32_t date, fm_ref_gen_params *gp)
{
    fm_ref_rng g;
    fm_ref_rng_seed(&g, seed * 7919u + 17u);
    fm_ref_gen_defaults(gp);
    gp->date = date;
    gp->n_students = fm_ref_rng_int(&g, 2, 7);
    gp->n_placements = fm_ref_rng_int(&g, 1, 4);
    gp->n_mentors = fm_ref_rng_int(&g, 1, 3);
    gp->n_sectors = fm_ref_rng_int(&g, 2, 5);
    gp->n_schools = fm_ref_rng_int(&g, 1, 3);
    gp->n_employers = fm_ref_rng_int(&g, 1, 3);
    gp->cap_min = 1;
    gp->cap_max = fm_ref_rng_int(&g, 1, 3);
    gp->mentor_cap_min = 1;
    gp->mentor_cap_max = fm_ref_rng_int(&g, 1, 2);
    static const double clusters[] = {1.0, 2.0, 3.0, 5.0};
    gp->cluster_km = clusters[fm_ref_rng_int(&g, 0, 3)];
    gp->p_disadvantaged = 0.2 + 0.5 * fm_ref_rng_unit(&g);
    gp->p_reserve = 0.8 * fm_ref_rng_unit(&g);
}

/* A point in the cluster, or (with p_far) 60-200 km due north-east of it. */
static void random_point(fm_ref_rng *g, const fm_ref_gen_params *gp, double *lat, double *lon)
{
    double km_per_deg_lat = FM_REF_EARTH_RADIUS_KM * DEG;
    double km_per_deg_lon = km_per_deg_lat * cos(gp->center_lat * DEG);
    double dx, dy;
    if (fm_ref_rng_chance(g, gp->p_far)) {
        double dist = 60.0 + 140.0 * fm_ref_rng_unit(g);
        dx = dist * 0.6;
        dy = dist * 0.8;
    } else {
        dx = (2.0 * fm_ref_rng_unit(g) - 1.0) * gp->cluster_km;
        dy = (2.0 * fm_ref_rng_unit(g) - 1.0) * gp->cluster_km;
    }
    *lat = gp->center_lat + dy / km_per_deg_lat;
    *lon = gp->center_lon + dx / km_per_deg_lon;
}

/* Ages 12-19 on D: the day before / of / after D's month-day (age boundaries)
 * in a random year, else a random day. */
static int32_t random_birth_date(fm_ref_rng *g, int32_t date)
{
    int year = date / 10000 - fm_ref_rng_int(g, 13, 19);
    int md = date % 10000;
    int choice = fm_ref_rng_int(g, 0, 9);
    if (choice == 0)
        return year * 10000 + md;          /* birthday today: just turned */
    if (choice == 1)
        return year * 10000 + md + 1;      /* birthday tomorrow (D is mid-month) */
    if (choice == 2)
        return year * 10000 + md - 1;      /* birthday yesterday */
    /* A random day: with the youngest year drawn, this may be age 12. */
    return year * 10000 + fm_ref_rng_int(g, 1, 12) * 100 + fm_ref_rng_int(g, 1, 28);
}

static const int32_t week_values[] = {202724, 202725, 202726};

static double random_travel(fm_ref_rng *g)
{
    static const double values[] = {0.0, 0.5, 1.5, 2.5, 4.0, 6.0, 20.0, 20.0, 250.0};
    return values[fm_ref_rng_int(g, 0, (int)(sizeof values / sizeof values[0]) - 1)];
}

int fm_ref_generate(fm_region *r, const fm_ref_gen_params *gp, uint64_t seed)
{
    fm_ref_rng g;
    fm_ref_rng_seed(&g, seed);
    char name[64];
    int32_t sector_ids[64], school_ids[64], employer_ids[64];
    assert(gp->n_sectors >= 1 && gp->n_sectors <= 64);
    assert(gp->n_schools >= 1 && gp->n_schools <= 64);
    assert(gp->n_employers >= 1 && gp->n_employers <= 64);

    for (int k = 0; k < gp->n_sectors; k++) {
        snprintf(name, sizeof name, "sector%d", k);
        if ((sector_ids[k] = fm_region_intern_sector(r, name)) < 0)
            return sector_ids[k];
    }
    for (int k = 0; k < gp->n_schools; k++) {
        snprintf(name, sizeof name, "K%d", k);
        if ((school_ids[k] = fm_region_intern_school(r, name)) < 0)
            return school_ids[k];
    }
    for (int k = 0; k < gp->n_employers; k++) {
        snprintf(name, sizeof name, "E%d", k);
        if ((employer_ids[k] = fm_region_intern_employer(r, name)) < 0)
            return employer_ids[k];
    }

    for (int i = 0; i < gp->n_students; i++) {
        fm_student s;
        memset(&s, 0, sizeof s);
        snprintf(name, sizeof name, "S%d", i);
        s.ref = name;
        s.school = school_ids[fm_ref_rng_int(&g, 0, gp->n_schools - 1)];
        s.birth_date = random_birth_date(&g, gp->date);
        random_point(&g, gp, &s.lat, &s.lon);
        s.max_travel_km = random_travel(&g);
        if (fm_ref_rng_chance(&g, gp->p_disadvantaged)) {
            int which = fm_ref_rng_int(&g, 0, 2);
            s.low_income = which != 1;
            s.looked_after = which != 0;
        }
        s.gifted = (uint8_t)fm_ref_rng_chance(&g, gp->p_gifted);
        s.needs_access = (uint8_t)fm_ref_rng_chance(&g, gp->p_needs_access);
        static const char genders[] = {'F', 'M', 'X', 0};
        s.gender = genders[fm_ref_rng_int(&g, 0, 3)];
        s.wants_placement = (uint8_t)fm_ref_rng_chance(&g, gp->p_wants_placement);
        s.wants_mentor = (uint8_t)fm_ref_rng_chance(&g, gp->p_wants_mentor);
        /* 1..min(5, n_sectors) distinct sectors in random order, more
         * often many than few (the larger of two draws). */
        int max_n = gp->n_sectors < FM_MAX_STUDENT_SECTORS ? gp->n_sectors : FM_MAX_STUDENT_SECTORS;
        int n = fm_ref_rng_int(&g, 1, max_n);
        int n2 = fm_ref_rng_int(&g, 1, max_n);
        if (n2 > n)
            n = n2;
        int perm[64];
        for (int k = 0; k < gp->n_sectors; k++)
            perm[k] = k;
        for (int k = 0; k < n; k++) {
            int j = fm_ref_rng_int(&g, k, gp->n_sectors - 1);
            int tmp = perm[k];
            perm[k] = perm[j];
            perm[j] = tmp;
            s.sectors[k] = (int16_t)sector_ids[perm[k]];
        }
        s.n_sectors = (uint8_t)n;
        if (fm_ref_rng_chance(&g, gp->p_student_weeks)) {
            int32_t weeks[3];
            int nw = 0;
            for (int k = 0; k < 3; k++)
                if (fm_ref_rng_chance(&g, 0.5))
                    weeks[nw++] = week_values[k];
            if (nw == 0)
                weeks[nw++] = week_values[fm_ref_rng_int(&g, 0, 2)];
            int32_t off = fm_region_add_ints(r, weeks, (size_t)nw);
            if (off < 0)
                return off;
            s.weeks_off = off;
            s.n_weeks = nw;
        }
        int32_t rc = fm_region_add_student(r, &s);
        if (rc < 0)
            return rc;
    }

    for (int i = 0; i < gp->n_placements; i++) {
        fm_placement p;
        memset(&p, 0, sizeof p);
        snprintf(name, sizeof name, "P%d", i);
        p.ref = name;
        p.employer = employer_ids[fm_ref_rng_int(&g, 0, gp->n_employers - 1)];
        p.title = (char *)"";
        p.sector = (int16_t)sector_ids[fm_ref_rng_int(&g, 0, gp->n_sectors - 1)];
        p.capacity = fm_ref_rng_int(&g, gp->cap_min, gp->cap_max);
        p.is_virtual = (uint8_t)fm_ref_rng_chance(&g, gp->p_virtual);
        if (!p.is_virtual || fm_ref_rng_chance(&g, 0.5)) {
            random_point(&g, gp, &p.lat, &p.lon);
            p.has_location = 1;
        }
        p.accessible = (uint8_t)fm_ref_rng_chance(&g, gp->p_accessible);
        p.profession = (uint8_t)fm_ref_rng_chance(&g, 0.3);
        static const int32_t ages[] = {13, 14, 14, 14, 15, 15, 16, 18};
        p.min_age = ages[fm_ref_rng_int(&g, 0, 7)];
        if (fm_ref_rng_chance(&g, gp->p_placement_week))
            p.week = week_values[fm_ref_rng_int(&g, 0, 2)];
        if (fm_ref_rng_chance(&g, gp->p_reserve)) {
            static const int32_t pcts[] = {10, 25, 33, 34, 50, 50, 67, 100};
            p.reserve_pct = pcts[fm_ref_rng_int(&g, 0, 7)];
        }
        int32_t rc = fm_region_add_placement(r, &p);
        if (rc < 0)
            return rc;
    }

    for (int i = 0; i < gp->n_mentors; i++) {
        fm_mentor m;
        memset(&m, 0, sizeof m);
        snprintf(name, sizeof name, "M%d", i);
        m.ref = name;
        m.organisation = (char *)"";
        int32_t secs[2];
        int ns = fm_ref_rng_int(&g, 1, gp->n_sectors >= 2 ? 2 : 1);
        secs[0] = sector_ids[fm_ref_rng_int(&g, 0, gp->n_sectors - 1)];
        if (ns == 2) {
            do
                secs[1] = sector_ids[fm_ref_rng_int(&g, 0, gp->n_sectors - 1)];
            while (secs[1] == secs[0]);
        }
        int32_t off = fm_region_add_ints(r, secs, (size_t)ns);
        if (off < 0)
            return off;
        m.sectors_off = off;
        m.n_sectors = ns;
        m.capacity = fm_ref_rng_int(&g, gp->mentor_cap_min, gp->mentor_cap_max);
        m.online = (uint8_t)fm_ref_rng_chance(&g, gp->p_online);
        if (!m.online || fm_ref_rng_chance(&g, 0.5)) {
            random_point(&g, gp, &m.lat, &m.lon);
            m.has_location = 1;
        }
        m.max_travel_km = random_travel(&g);
        double u = fm_ref_rng_unit(&g);
        if (u < gp->p_dbs_missing) {
            m.dbs_valid_until = 0;
        } else if (u < gp->p_dbs_missing + gp->p_dbs_expired) {
            /* Expired yesterday or some time ago. */
            m.dbs_valid_until = fm_ref_rng_chance(&g, 0.5) ? gp->date - 1 : gp->date - 10000;
        } else {
            /* Valid: exactly today (the boundary) or later. */
            m.dbs_valid_until = fm_ref_rng_chance(&g, 0.3) ? gp->date : gp->date + 10000;
        }
        int32_t rc = fm_region_add_mentor(r, &m);
        if (rc < 0)
            return rc;
    }
    return 0;
}
