/*
 * rerun.c - keeping a source round's confirmed assignments in a re-run
 * (rerun.h).
 *
 * Seats.  A placement with capacity c and reserve_pct q has
 * R = floor(c * q / 100) reserved seats (policy.md).  Its confirmed tier-3
 * students sit in general seats; its confirmed disadvantaged (tier 1-2)
 * students take reserved seats first, then general ones.  So with f
 * confirmed students of which fd disadvantaged, the copy solved gets
 * c' = max(0, c - f) seats of which R' = min(c', max(0, R - fd)) reserved,
 * and reserve_pct' is the integer percentage with floor(c' * pct' / 100) ==
 * R'.  Rule when none exists (possible only for c' > 100, where one percent
 * is more than one seat): the smallest pct' giving more than R' reserved
 * seats is used, i.e. the re-run errs towards keeping seats for
 * disadvantaged pupils rather than opening them to tier 3.  A target that
 * reaches 0 seats keeps capacity 0: the solver makes no pool of 0 seats
 * (fm_pools_init) and its candidates are reported as outcompeted.
 * Mentors: c' = max(0, c - f), no reserves.
 *
 * Declined rows are not kept and nothing is forbidden: a pupil whose
 * placement was declined competes again for every target, the declined one
 * included.
 */
#include "rerun.h"

#include <stdlib.h>
#include <string.h>

#define PAGE 256

void fm_rerun_init(fm_rerun *k)
{
    memset(k, 0, sizeof *k);
}

void fm_rerun_free(fm_rerun *k)
{
    free(k->fixed);
    free(k->p_capacity);
    free(k->p_reserve_pct);
    free(k->m_capacity);
    free(k->confirmed[0]);
    free(k->confirmed[1]);
    fm_rerun_init(k);
}

int32_t fm_rerun_reserve_pct(int32_t capacity, int32_t want)
{
    if (capacity <= 0 || want <= 0)
        return 0;
    for (int32_t pct = 0; pct <= 100; pct++)
        if ((int64_t)capacity * pct / 100 == want)
            return pct;
    for (int32_t pct = 0; pct <= 100; pct++)
        if ((int64_t)capacity * pct / 100 >= want)
            return pct;
    return 100;
}

static int add_fixed(fm_rerun *k, size_t *cap, const fm_rerun_fixed *f)
{
    if (k->n_fixed == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        fm_rerun_fixed *p = realloc(k->fixed, nc * sizeof *p);
        if (!p)
            return FM_ENOMEM;
        k->fixed = p;
        *cap = nc;
    }
    k->fixed[k->n_fixed++] = *f;
    return 0;
}

static int read_confirmed(fm_rerun *k, fm_store *st, int64_t source, const fm_region *region,
                          fm_error *err)
{
    fm_store_scope coordinator;
    memset(&coordinator, 0, sizeof coordinator);
    coordinator.role = FM_ROLE_COORDINATOR;
    fm_store_assignment *rows = malloc(PAGE * sizeof *rows);
    fm_store_assignment last;
    size_t cap = 0;
    int rc = 0;
    if (!rows)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    fm_store_assignment_query q;
    memset(&q, 0, sizeof q);
    q.side = -1;
    for (;;) {
        size_t n = 0;
        if ((rc = fm_store_assignment_page(st, &coordinator, source, &q, rows, PAGE, &n,
                                           err)) != 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            const fm_store_assignment *a = &rows[i];
            if (a->status != FM_ASSIGNMENT_CONFIRMED || !a->target_ref[0])
                continue;
            int32_t s = fm_region_find_student(region, a->student_ref);
            int32_t t = a->side == FM_SIDE_PLACEMENT
                            ? fm_region_find_placement(region, a->target_ref)
                            : fm_region_find_mentor(region, a->target_ref);
            if (s < 0 || t < 0)
                continue; /* withdrawn since: not kept */
            const fm_student *x = &region->students[s];
            if (!(a->side == FM_SIDE_PLACEMENT ? x->wants_placement : x->wants_mentor))
                continue; /* no longer asks on this side */
            fm_rerun_fixed f = {s, t, a->side, (int8_t)a->rank, (int16_t)a->utility,
                                a->distance_km};
            if (add_fixed(k, &cap, &f) != 0)
                rc = fm_error_set(err, FM_ENOMEM, "out of memory");
        }
        if (rc != 0 || n < PAGE)
            break;
        last = rows[n - 1];
        q.after = &last;
    }
    free(rows);
    return rc;
}

int fm_rerun_prepare(fm_rerun *k, fm_store *st, int64_t source, fm_region *region,
                     fm_error *err)
{
    int rc = read_confirmed(k, st, source, region, err);
    if (rc != 0)
        return rc;
    size_t np = region->n_placements, nm = region->n_mentors;
    k->p_capacity = malloc((np + 1) * sizeof(int32_t));
    k->p_reserve_pct = malloc((np + 1) * sizeof(int32_t));
    k->m_capacity = malloc((nm + 1) * sizeof(int32_t));
    k->confirmed[0] = calloc(region->n_students + 1, 1);
    k->confirmed[1] = calloc(region->n_students + 1, 1);
    int32_t *fixed = calloc(np + nm + 1, sizeof(int32_t));
    int32_t *fixed_dis = calloc(np + 1, sizeof(int32_t));
    if (!k->p_capacity || !k->p_reserve_pct || !k->m_capacity || !fixed || !fixed_dis ||
        !k->confirmed[0] || !k->confirmed[1]) {
        free(fixed);
        free(fixed_dis);
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < np; i++) {
        k->p_capacity[i] = region->placements[i].capacity;
        k->p_reserve_pct[i] = region->placements[i].reserve_pct;
    }
    for (size_t i = 0; i < nm; i++)
        k->m_capacity[i] = region->mentors[i].capacity;
    for (size_t i = 0; i < k->n_fixed; i++) {
        const fm_rerun_fixed *f = &k->fixed[i];
        fm_student *x = &region->students[f->student];
        k->confirmed[f->side][f->student] = 1;
        if (f->side == FM_SIDE_PLACEMENT) {
            x->wants_placement = 0;
            fixed[f->target]++;
            fixed_dis[f->target] += fm_student_tier(x) <= 2;
        } else {
            x->wants_mentor = 0;
            fixed[np + (size_t)f->target]++;
        }
    }
    for (size_t i = 0; i < np; i++) {
        if (!fixed[i])
            continue;
        fm_placement *p = &region->placements[i];
        int32_t c = p->capacity;
        int32_t R = (int32_t)((int64_t)c * p->reserve_pct / 100);
        int32_t c2 = c - fixed[i] > 0 ? c - fixed[i] : 0;
        int32_t R2 = R - fixed_dis[i] > 0 ? R - fixed_dis[i] : 0;
        if (R2 > c2)
            R2 = c2;
        p->capacity = c2;
        p->reserve_pct = fm_rerun_reserve_pct(c2, R2);
    }
    for (size_t i = 0; i < nm; i++) {
        int32_t f = fixed[np + i];
        if (f)
            region->mentors[i].capacity = region->mentors[i].capacity - f > 0
                                              ? region->mentors[i].capacity - f : 0;
    }
    free(fixed);
    free(fixed_dis);
    k->applied = 1;
    return 0;
}

static void recompute(const fm_region *region, fm_side_result *side)
{
    fm_vector v = {0, 0, 0, 0};
    for (size_t i = 0; side->match && i < region->n_students; i++) {
        const fm_match *m = &side->match[i];
        if (!m->asked || m->target < 0)
            continue;
        int tier = fm_student_tier(&region->students[i]);
        if (tier == 1) v.n1++;
        else if (tier == 2) v.n2++;
        else v.n3++;
        v.utility += m->utility;
    }
    side->vector = v;
}

void fm_rerun_merge(fm_rerun *k, fm_region *region, fm_result *res)
{
    if (!k->applied)
        return;
    for (size_t i = 0; i < region->n_placements; i++) {
        region->placements[i].capacity = k->p_capacity[i];
        region->placements[i].reserve_pct = k->p_reserve_pct[i];
    }
    for (size_t i = 0; i < region->n_mentors; i++)
        region->mentors[i].capacity = k->m_capacity[i];
    for (size_t i = 0; i < k->n_fixed; i++) {
        const fm_rerun_fixed *f = &k->fixed[i];
        fm_student *x = &region->students[f->student];
        fm_side_result *side = f->side == FM_SIDE_PLACEMENT ? &res->placements : &res->mentors;
        if (f->side == FM_SIDE_PLACEMENT)
            x->wants_placement = 1;
        else
            x->wants_mentor = 1;
        if (!side->match)
            continue;
        fm_match *m = &side->match[f->student];
        m->target = f->target;
        m->rank = f->rank;
        m->utility = f->utility;
        m->distance_km = f->distance_km;
        m->asked = 1;
        m->reason = FM_REASON_NONE;
        m->rule = FM_RULE_NONE;
        if (m->n_eligible < 1)
            m->n_eligible = 1;
        side->n_students_asked++;
    }
    recompute(region, &res->placements);
    recompute(region, &res->mentors);
    k->applied = 0;
}
