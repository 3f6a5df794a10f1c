/*
 * constrained_reference.c - exhaustive optimum under the extra constraints
 * (see constrained_reference.h).
 *
 * Normal case: every assignment is enumerated (each student: nothing or
 * one eligible target, within capacities and tier-3 limits), each complete
 * one is checked against the constraints rule by rule as constraints.h
 * words them, and the lexicographically best vector is kept.
 * Failure: FM_ENOMEM.  Misuse is an assert.
 */
#include "constrained_reference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fm_cref_meets(const fm_region *r, const fm_ref_side *side, const fm_side_constraints *c,
                  const int32_t *assign, char *why, size_t why_size)
{
    size_t ns = side->n_students, nt = side->n_targets;
    /* School floor: placed >= ceil(f * eligible applicants / 100). */
    if (c->school_floor_pct > 0) {
        for (size_t k = 0; k < r->n_schools; k++) {
            int eligible = 0, placed = 0;
            for (size_t s = 0; s < ns; s++) {
                if (r->students[s].school != (int32_t)k)
                    continue;
                eligible += side->asked[s] && side->n_eligible[s] > 0;
                placed += assign[s] >= 0;
            }
            int need = (int)ceil(c->school_floor_pct * eligible / 100.0 - 1e-9);
            if (placed < need) {
                snprintf(why, why_size, "school %zu: %d placed < %d", k, placed, need);
                return 0;
            }
        }
    }
    /* Employer spread: at most k pupils of one school with one employer. */
    if (!side->mentors && c->employer_spread_max > 0) {
        for (size_t k = 0; k < r->n_schools; k++) {
            for (size_t e = 0; e < r->n_employers; e++) {
                int n = 0;
                for (size_t s = 0; s < ns; s++)
                    n += assign[s] >= 0 && r->students[s].school == (int32_t)k &&
                         r->placements[assign[s]].employer == (int32_t)e;
                if (n > c->employer_spread_max) {
                    snprintf(why, why_size, "school %zu employer %zu: %d", k, e, n);
                    return 0;
                }
            }
        }
    }
    /* Gender targets: 100 * placed(S, G) >= min_pct * placed(S). */
    for (int g = 0; !side->mentors && g < c->n_gender_targets; g++) {
        const fm_gender_target *gt = &c->gender_target[g];
        int32_t sec = fm_region_find_sector(r, gt->sector);
        int all = 0, of_g = 0;
        for (size_t s = 0; s < ns; s++) {
            if (assign[s] < 0 || r->placements[assign[s]].sector != sec)
                continue;
            all++;
            of_g += r->students[s].gender == gt->gender;
        }
        if (100.0 * of_g < gt->min_pct * all) {
            snprintf(why, why_size, "gender target %d: %d of %d", g, of_g, all);
            return 0;
        }
    }
    /* Stable tiers: no s, p with s eligible for p, u(s, p) > what s got,
     * and p holding a pupil of a lower tier (larger number) than s. */
    if (c->stable_tiers) {
        for (size_t s = 0; s < ns; s++) {
            int got = assign[s] >= 0 ? fm_ref_side_pair(side, s, (size_t)assign[s])->utility : 0;
            for (size_t t = 0; t < nt; t++) {
                const fm_ref_pair *pr = fm_ref_side_pair(side, s, t);
                if (!pr->eligible || pr->utility <= got)
                    continue;
                for (size_t h = 0; h < ns; h++) {
                    if (assign[h] == (int32_t)t && side->tier[h] > side->tier[s]) {
                        snprintf(why, why_size, "student %zu envies %zu at target %zu", s, h, t);
                        return 0;
                    }
                }
            }
        }
    }
    return 1;
}

typedef struct search {
    const fm_region *r;
    const fm_ref_side *side;
    const fm_side_constraints *c;
    int32_t *assign;
    int *load, *load3;
    fm_vector best;
    int found;
} search;

static void visit(search *st, size_t s)
{
    const fm_ref_side *side = st->side;
    if (s == side->n_students) {
        char why[128];
        if (!fm_cref_meets(st->r, side, st->c, st->assign, why, sizeof why))
            return;
        fm_vector v;
        fm_ref_assignment_vector(side, st->assign, &v);
        if (!st->found || fm_ref_vector_cmp(&v, &st->best) > 0)
            st->best = v;
        st->found = 1;
        return;
    }
    st->assign[s] = -1;
    visit(st, s + 1);
    for (size_t t = 0; t < side->n_targets; t++) {
        if (!fm_ref_side_pair(side, s, t)->eligible || st->load[t] >= side->capacity[t])
            continue;
        int t3 = side->tier[s] == 3;
        if (t3 && st->load3[t] >= side->tier3_limit[t])
            continue;
        st->assign[s] = (int32_t)t;
        st->load[t]++;
        st->load3[t] += t3;
        visit(st, s + 1);
        st->load[t]--;
        st->load3[t] -= t3;
        st->assign[s] = -1;
    }
}

int fm_cref_bruteforce(const fm_region *r, const fm_ref_side *side,
                       const fm_side_constraints *c, fm_vector *best)
{
    search st = { .r = r, .side = side, .c = c };
    st.assign = calloc(side->n_students + 1, sizeof *st.assign);
    st.load = calloc(side->n_targets + 1, sizeof *st.load);
    st.load3 = calloc(side->n_targets + 1, sizeof *st.load3);
    int rc = FM_ENOMEM;
    if (st.assign && st.load && st.load3) {
        visit(&st, 0);
        *best = st.best;
        rc = st.found;
    }
    free(st.assign);
    free(st.load);
    free(st.load3);
    return rc;
}
