/*
 * certificate.c - checking a side's result and its optimality proof
 * (see certificate.h).
 *
 * Normal case: every check passes and proof[k].bound == proof[k].value.
 * A failed check returns FM_EINTERNAL naming the student or target and the
 * check that failed; the caller treats it as a failed round, never as a
 * result.
 */
#include "certificate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utility.h"

static int check_assignment(const fm_region *r, int mentors, int32_t date,
                            const fm_pools *p, const fm_assign *a,
                            fm_vector *vec, fm_error *err)
{
    const fm_cands *c = p->cands;
    int32_t nt = p->n_targets;
    int32_t *total = calloc((size_t)nt + 1, sizeof *total);
    int32_t *tier3 = calloc((size_t)nt + 1, sizeof *tier3);
    int rc = FM_ENOMEM;
    if (!total || !tier3)
        goto out;
    vec->n1 = vec->n2 = vec->n3 = vec->utility = 0;
    rc = FM_EINTERNAL;
    for (int32_t s = 0; s < p->n_students; s++) {
        int64_t e = a->edge[s];
        if (e < 0)
            continue;
        int64_t pair = e >> 1;
        if (pair < c->start[s] || pair >= c->start[s + 1]) {
            fm_error_set(err, rc, "certificate: student %d holds a pair that is not its own", s);
            goto out;
        }
        int32_t t = c->target[pair];
        int tier = fm_student_tier(&r->students[s]);
        if ((e & 1) && tier == 3) {
            fm_error_set(err, rc, "certificate: tier-3 student %d holds a reserved seat", s);
            goto out;
        }
        int rank, utility;
        int rule = mentors ? fm_cands_check_mentor(r, date, s, t, &rank, &utility, NULL)
                           : fm_cands_check_placement(r, date, s, t, &rank, &utility, NULL);
        if (rule != FM_RULE_NONE || rank != c->rank[pair] || utility != c->utility[pair]) {
            fm_error_set(err, rc, "certificate: pair of student %d and target %d is not "
                         "eligible as recorded", s, t);
            goto out;
        }
        total[t]++;
        tier3[t] += tier == 3;
        if (tier == 1) vec->n1++;
        else if (tier == 2) vec->n2++;
        else vec->n3++;
        vec->utility += utility;
    }
    for (int32_t t = 0; t < nt; t++) {
        int32_t cap = mentors ? r->mentors[t].capacity : r->placements[t].capacity;
        int32_t reserved = mentors ? 0
            : (int32_t)((int64_t)cap * r->placements[t].reserve_pct / 100);
        if (total[t] > cap || tier3[t] > cap - reserved) {
            fm_error_set(err, rc, "certificate: target %d over capacity (%d of %d, "
                         "tier 3: %d of %d)", t, total[t], cap, tier3[t], cap - reserved);
            goto out;
        }
    }
    rc = FM_OK;
out:
    free(total);
    free(tier3);
    return rc;
}

/* Capacity of cut X_t (bit t-1 of the cut arrays) in the network of the
 * students of tiers <= t: source->student arcs leaving X, student->pool
 * arcs leaving X, pool->sink arcs of pools in X. */
static int64_t cut_capacity(const fm_pools *p, const fm_cuts *cuts, int level)
{
    const fm_cands *c = p->cands;
    uint8_t bit = (uint8_t)(1u << (level - 1));
    int64_t cap = 0;
    for (int32_t s = 0; s < p->n_students; s++) {
        if (p->tier[s] > level || c->start[s + 1] == c->start[s])
            continue;
        if (!(cuts->student[s] & bit)) {
            cap += 1;
            continue;
        }
        for (int64_t e = 2 * c->start[s]; e < 2 * c->start[s + 1]; e++) {
            int32_t q = fm_pools_edge_pool(p, e, p->tier[s]);
            if (q >= 0 && !(cuts->pool[q] & bit))
                cap += 1;
        }
    }
    for (int32_t q = 0; q < p->n_pools; q++)
        if (cuts->pool[q] & bit)
            cap += p->cap[q];
    return cap;
}

static int64_t penalty(int64_t cap, int64_t reduced_cost)
{
    return reduced_cost < 0 ? cap * -reduced_cost : 0;
}

/* Dual objective of the level-4 network (utility.h) for potentials pot:
 * sum over nodes of supply * -pot, minus, per arc, capacity times the
 * amount by which its reduced cost is negative. */
static int64_t dual_objective(const fm_pools *p, const int64_t counts[3],
                              const int64_t *pot)
{
    const fm_cands *c = p->cands;
    int64_t n = counts[0] + counts[1] + counts[2];
    int64_t d = -pot[FM_UNODE_SINK] * -n;
    for (int t = 1; t <= 3; t++)
        d += counts[t - 1] * -pot[FM_UNODE_TIER(t)];
    for (int32_t q = 0; q < p->n_pools; q++)
        d -= penalty(p->cap[q], pot[FM_UNODE_POOL(p, q)] - pot[FM_UNODE_SINK]);
    for (int32_t s = 0; s < p->n_students; s++) {
        if (c->start[s + 1] == c->start[s])
            continue;
        int64_t ps = pot[FM_UNODE_STUDENT(s)];
        d -= penalty(1, pot[FM_UNODE_TIER(p->tier[s])] - ps);
        for (int64_t e = 2 * c->start[s]; e < 2 * c->start[s + 1]; e++) {
            int32_t q = fm_pools_edge_pool(p, e, p->tier[s]);
            if (q >= 0)
                d -= penalty(1, FM_UTILITY_MAX - c->utility[e >> 1] + ps -
                                    pot[FM_UNODE_POOL(p, q)]);
        }
    }
    return d;
}

int fm_certificate_check(const fm_region *r, int mentors, int32_t date,
                         const fm_pools *p, const fm_assign *a,
                         const fm_cuts *cuts, const int64_t *potentials,
                         fm_level_proof proof[4], fm_vector *vec, fm_error *err)
{
    int rc = check_assignment(r, mentors, date, p, a, vec, err);
    if (rc)
        return rc;
    int64_t counts[3] = { vec->n1, vec->n2, vec->n3 };
    int64_t cumulative = 0;
    for (int level = 1; level <= 3; level++) {
        cumulative += counts[level - 1];
        proof[level - 1].value = cumulative;
        proof[level - 1].bound = cut_capacity(p, cuts, level);
    }
    int64_t n = cumulative;
    proof[3].value = vec->utility;
    proof[3].bound = FM_UTILITY_MAX * n - dual_objective(p, counts, potentials);
    for (int k = 0; k < 4; k++)
        if (proof[k].bound != proof[k].value)
            return fm_error_set(err, FM_EINTERNAL, "certificate: level %d not proven "
                                "(value %lld, bound %lld)", k + 1,
                                (long long)proof[k].value, (long long)proof[k].bound);
    return FM_OK;
}

int fm_certificate_export(const fm_pools *p, const fm_cuts *cuts,
                          const int64_t *potentials, fm_side_certificate *out)
{
    size_t n = 2 * (size_t)p->n_targets + 1;
    memset(out, 0, sizeof *out);
    out->cut = calloc(n, sizeof *out->cut);
    out->potential = calloc(n, sizeof *out->potential);
    if (!out->cut || !out->potential) {
        fm_certificate_side_free(out);
        return FM_ENOMEM;
    }
    int64_t sink = potentials[FM_UNODE_SINK];
    for (int t = 1; t <= 3; t++)
        out->potential_tier[t - 1] = potentials[FM_UNODE_TIER(t)] - sink;
    for (int32_t t = 0; t < p->n_targets; t++) {
        int32_t q[2] = { p->general[t], p->reserved[t] };
        for (int k = 0; k < 2; k++) {
            if (q[k] < 0)
                continue;
            out->cut[2 * t + k] = cuts->pool[q[k]] & 7;
            out->potential[2 * t + k] = potentials[FM_UNODE_POOL(p, q[k])] - sink;
        }
    }
    return FM_OK;
}

void fm_certificate_side_free(fm_side_certificate *c)
{
    free(c->cut);
    free(c->potential);
    memset(c, 0, sizeof *c);
}

int fm_certificate_complete(const fm_pools *p, const fm_side_certificate *in,
                            fm_cuts *cuts, int64_t **potentials)
{
    const fm_cands *c = p->cands;
    size_t n_nodes = 4 + (size_t)p->n_students + (size_t)p->n_pools;
    int64_t *pot = calloc(n_nodes, sizeof *pot);
    cuts->student = calloc((size_t)p->n_students + 1, 1);
    cuts->pool = calloc((size_t)p->n_pools + 1, 1);
    if (!pot || !cuts->student || !cuts->pool) {
        free(pot);
        fm_cuts_free(cuts);
        return FM_ENOMEM;
    }
    for (int t = 1; t <= 3; t++)
        pot[FM_UNODE_TIER(t)] = in->potential_tier[t - 1];
    pot[FM_UNODE_SINK] = 0;
    for (int32_t q = 0; q < p->n_pools; q++) {
        int32_t t = p->target_of[q];
        int k = p->reserved[t] == q;
        cuts->pool[q] = in->cut[2 * t + k] & 7;
        pot[FM_UNODE_POOL(p, q)] = in->potential[2 * t + k];
    }
    for (int32_t s = 0; s < p->n_students; s++) {
        int tier = p->tier[s];
        uint8_t outside = 0;    /* levels at which some usable pool is not in X */
        int64_t v1 = INT64_MIN, v2 = INT64_MIN;
        int any = 0;
        for (int64_t e = 2 * c->start[s]; e < 2 * c->start[s + 1]; e++) {
            int32_t q = fm_pools_edge_pool(p, e, tier);
            if (q < 0)
                continue;
            any = 1;
            outside |= (uint8_t)(~cuts->pool[q] & 7);
            int64_t v = pot[FM_UNODE_POOL(p, q)] - FM_UTILITY_MAX + c->utility[e >> 1];
            if (v > v1) {
                v2 = v1;
                v1 = v;
            } else if (v > v2) {
                v2 = v;
            }
        }
        cuts->student[s] = (uint8_t)(~outside & 7);
        int64_t a = pot[FM_UNODE_TIER(tier)];
        int64_t ps = a;
        if (any) {
            ps = a < v1 ? a : v1;
            if (ps < v2)
                ps = v2;
        }
        pot[FM_UNODE_STUDENT(s)] = ps;
    }
    *potentials = pot;
    return FM_OK;
}
