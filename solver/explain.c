/*
 * explain.c - per-student outcome and reason (see explain.h).
 *
 * The rule count of a no_eligible student looks only at the targets of the
 * sectors it lists (through a sector -> targets index); every other target
 * fails at the sector rule, so that count is a subtraction.
 * Failure: FM_ENOMEM, match[] partly filled.
 */
#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "candidates.h"

typedef struct sector_targets {
    int64_t *start;      /* per sector, n_sectors + 1 */
    int32_t *target;
} sector_targets;

static const int32_t *target_sectors(const fm_region *r, int mentors, int32_t t,
                                     int32_t *n)
{
    if (mentors) {
        *n = r->mentors[t].n_sectors;
        return r->ints + r->mentors[t].sectors_off;
    }
    *n = 1;
    return NULL;
}

static int build_index(const fm_region *r, int mentors, sector_targets *ix)
{
    size_t ns = r->n_sectors;
    int32_t nt = (int32_t)(mentors ? r->n_mentors : r->n_placements);
    ix->start = calloc(ns + 2, sizeof *ix->start);
    if (!ix->start)
        return FM_ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        int64_t *fill = NULL;
        if (pass == 1) {
            for (size_t s = 0; s < ns; s++)
                ix->start[s + 1] += ix->start[s];
            ix->target = malloc(((size_t)ix->start[ns] + 1) * sizeof *ix->target);
            fill = calloc(ns + 1, sizeof *fill);
            if (!ix->target || !fill) {
                free(fill);
                return FM_ENOMEM;
            }
        }
        for (int32_t t = 0; t < nt; t++) {
            int32_t n, one = mentors ? 0 : r->placements[t].sector;
            const int32_t *secs = target_sectors(r, mentors, t, &n);
            if (!secs)
                secs = &one;
            for (int32_t k = 0; k < n; k++) {
                int32_t sec = secs[k];
                if (sec < 0 || (size_t)sec >= ns)
                    continue;
                if (pass == 0)
                    ix->start[sec + 1]++;
                else
                    ix->target[ix->start[sec] + fill[sec]++] = t;
            }
        }
        free(fill);
    }
    return FM_OK;
}

static int no_eligible_rule(const fm_region *r, int mentors, int32_t date,
                            int32_t s, const sector_targets *ix, int32_t *seen)
{
    const fm_student *st = &r->students[s];
    int32_t nt = (int32_t)(mentors ? r->n_mentors : r->n_placements);
    int64_t count[FM_RULE_DISTANCE + 1] = { 0 };
    int64_t in_sector = 0;
    for (int k = 0; k < st->n_sectors; k++) {
        int32_t sec = st->sectors[k];
        if (sec < 0 || (size_t)sec >= r->n_sectors)
            continue;
        for (int64_t i = ix->start[sec]; i < ix->start[sec + 1]; i++) {
            int32_t t = ix->target[i];
            if (seen[t] == s + 1)
                continue;
            seen[t] = s + 1;
            in_sector++;
            int rule = mentors ? fm_cands_check_mentor(r, date, s, t, NULL, NULL, NULL)
                               : fm_cands_check_placement(r, date, s, t, NULL, NULL, NULL);
            count[rule]++;
        }
    }
    count[FM_RULE_SECTOR] += nt - in_sector;
    int best = FM_RULE_SECTOR;
    for (int rule = FM_RULE_SECTOR; rule <= FM_RULE_DISTANCE; rule++)
        if (count[rule] > count[best])
            best = rule;
    return best;
}

int fm_explain_side(const fm_region *r, int mentors, int32_t date,
                    const fm_pools *p, const fm_assign *a, fm_match *match)
{
    const fm_cands *c = p->cands;
    sector_targets ix = { 0 };
    int32_t *seen = NULL;
    int rc = FM_OK;
    for (int32_t s = 0; s < p->n_students; s++) {
        const fm_student *st = &r->students[s];
        fm_match *m = &match[s];
        memset(m, 0, sizeof *m);
        m->target = -1;
        m->distance_km = -1.0;
        m->asked = mentors ? st->wants_mentor : st->wants_placement;
        m->n_eligible = (int32_t)(c->start[s + 1] - c->start[s]);
        if (!m->asked)
            continue;
        if (a->edge[s] >= 0) {
            int64_t pair = a->edge[s] >> 1;
            m->target = c->target[pair];
            m->utility = c->utility[pair];
            m->rank = c->rank[pair];
            if (mentors)
                fm_cands_check_mentor(r, date, s, m->target, NULL, NULL, &m->distance_km);
            else
                fm_cands_check_placement(r, date, s, m->target, NULL, NULL, &m->distance_km);
        } else if (m->n_eligible > 0) {
            m->reason = FM_REASON_OUTCOMPETED;
        } else {
            if (!seen) {
                size_t nt = mentors ? r->n_mentors : r->n_placements;
                seen = calloc(nt + 1, sizeof *seen);
                if (!seen || (rc = build_index(r, mentors, &ix)) != FM_OK) {
                    rc = FM_ENOMEM;
                    goto out;
                }
            }
            m->reason = FM_REASON_NO_ELIGIBLE;
            m->rule = (uint8_t)no_eligible_rule(r, mentors, date, s, &ix, seen);
        }
    }
out:
    free(seen);
    free(ix.start);
    free(ix.target);
    return rc;
}
