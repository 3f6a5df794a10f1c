/*
 * pools.c - building the seat pools of a side (see pools.h).
 * Failure: FM_ENOMEM, with nothing left allocated.
 */
#include "pools.h"

#include <stdlib.h>
#include <string.h>

int fm_pools_init(fm_pools *p, const fm_region *r, const fm_cands *c, int mentors)
{
    memset(p, 0, sizeof *p);
    p->n_students = (int32_t)r->n_students;
    p->n_targets = (int32_t)(mentors ? r->n_mentors : r->n_placements);
    p->cands = c;
    size_t nt = (size_t)p->n_targets;
    p->general = malloc((nt + 1) * sizeof *p->general);
    p->reserved = malloc((nt + 1) * sizeof *p->reserved);
    p->cap = malloc((2 * nt + 1) * sizeof *p->cap);
    p->target_of = malloc((2 * nt + 1) * sizeof *p->target_of);
    p->tier = malloc(r->n_students + 1);
    if (!p->general || !p->reserved || !p->cap || !p->target_of || !p->tier) {
        fm_pools_free(p);
        return FM_ENOMEM;
    }
    for (size_t s = 0; s < r->n_students; s++)
        p->tier[s] = (uint8_t)fm_student_tier(&r->students[s]);
    for (size_t t = 0; t < nt; t++) {
        int32_t cap, reserved = 0;
        if (mentors) {
            cap = r->mentors[t].capacity;
        } else {
            cap = r->placements[t].capacity;
            reserved = (int32_t)((int64_t)cap * r->placements[t].reserve_pct / 100);
        }
        p->general[t] = p->reserved[t] = -1;
        if (cap - reserved > 0) {
            p->general[t] = p->n_pools;
            p->cap[p->n_pools] = cap - reserved;
            p->target_of[p->n_pools++] = (int32_t)t;
        }
        if (reserved > 0) {
            p->reserved[t] = p->n_pools;
            p->cap[p->n_pools] = reserved;
            p->target_of[p->n_pools++] = (int32_t)t;
        }
    }
    return FM_OK;
}

void fm_pools_free(fm_pools *p)
{
    free(p->general);
    free(p->reserved);
    free(p->cap);
    free(p->target_of);
    free(p->tier);
    memset(p, 0, sizeof *p);
}

int fm_assign_init(fm_assign *a, const fm_pools *p)
{
    a->edge = malloc(((size_t)p->n_students + 1) * sizeof *a->edge);
    a->load = calloc((size_t)p->n_pools + 1, sizeof *a->load);
    if (!a->edge || !a->load) {
        fm_assign_free(a);
        return FM_ENOMEM;
    }
    for (int32_t s = 0; s < p->n_students; s++)
        a->edge[s] = -1;
    return FM_OK;
}

void fm_assign_free(fm_assign *a)
{
    free(a->edge);
    free(a->load);
    a->edge = NULL;
    a->load = NULL;
}
