/*
 * utility.c - level 4 by column generation over the network simplex
 * (see utility.h).
 *
 * Normal case: the auction (auction.h) turns the levels-1-3 assignment into
 * a near-optimal one; the first network holds, per student, the pair it
 * holds and the auction's two best other pairs, and the simplex starts from
 * that assignment; a few pricing rounds each add the pairs whose reduced
 * cost is negative; then the flow is read back into the assignment.  If the
 * auction fails to settle (a bug, but not a wrong answer), the simplex
 * starts from the levels-1-3 assignment and each student's best pairs.
 * Failure: FM_ENOMEM / FM_ECANCELLED leave the assignment as it was;
 * FM_EINTERNAL means the flow solver found the network infeasible, which the
 * levels-1-3 assignment rules out (a bug).
 */
#include "utility.h"

#include <stdlib.h>
#include <string.h>

#include "auction.h"
#include "mcf.h"
#include "parallel.h"

/* Pairs per student in the first network, beyond the one it holds: the
 * auction's best ones (at 100k pupils 2 gave the fewest pivots, and adding
 * the best pairs by utility too only added arcs), or without the auction
 * the best by utility. */
#ifndef FIRST_PAIRS
#define FIRST_PAIRS 2
#endif
/* Block Search block size, as a factor of sqrt(arcs) (mcf.h): after a
 * pricing round most new arcs price out, and small blocks make each pivot
 * cheaper for a few more pivots.  At 100k pupils 0.1 priced 4x fewer arcs
 * than LEMON's 1.0 for 1.5x the pivots, and took a third less time. */
#ifndef BLOCK_FACTOR
#define BLOCK_FACTOR 0.1
#endif
/* Pairs per student added by one pricing round, at most. */
#ifndef PRICE_PAIRS
#define PRICE_PAIRS 4
#endif

typedef struct network {
    fm_mcf *mcf;
    int64_t *arc_edge;       /* per arc: the student edge, or -1 */
    int32_t *arc_student;    /* per arc: the student, where arc_edge >= 0 */
    size_t cap_arc_edge;
    uint8_t *in_net;         /* per pair: bit 0 general edge, bit 1 reserved */
} network;

static int add_edge_arc(network *n, const fm_pools *p, int32_t s, int64_t e)
{
    int32_t q = fm_pools_edge_pool(p, e, p->tier[s]);
    int64_t pair = e >> 1;
    uint8_t bit = (uint8_t)(1u << (e & 1));
    if (q < 0 || (n->in_net[pair] & bit))
        return FM_OK;
    int64_t cost = FM_UTILITY_MAX - p->cands->utility[pair];
    int64_t arc = fm_mcf_add_arc(n->mcf, FM_UNODE_STUDENT(s), FM_UNODE_POOL(p, q), 1, cost);
    if (arc < 0)
        return FM_ENOMEM;
    if ((size_t)arc >= n->cap_arc_edge) {
        size_t cap = n->cap_arc_edge ? 2 * n->cap_arc_edge : 4096;
        while (cap <= (size_t)arc)
            cap *= 2;
        int64_t *ae = realloc(n->arc_edge, cap * sizeof *ae);
        if (!ae)
            return FM_ENOMEM;
        n->arc_edge = ae;
        int32_t *as = realloc(n->arc_student, cap * sizeof *as);
        if (!as)
            return FM_ENOMEM;
        n->arc_student = as;
        for (size_t i = n->cap_arc_edge; i < cap; i++)
            ae[i] = -1;
        n->cap_arc_edge = cap;
    }
    n->arc_edge[arc] = e;
    n->arc_student[arc] = s;
    n->in_net[pair] |= bit;
    return FM_OK;
}

/* hints: FIRST_PAIRS edges per student from the auction, or NULL. */
static int build_first(network *n, const fm_pools *p, const fm_assign *a,
                       const int64_t *hints, const int64_t counts[3])
{
    const fm_cands *c = p->cands;
    int32_t nodes = FM_UNODE_POOL(p, p->n_pools);
    n->mcf = fm_mcf_new(nodes, (int64_t)p->n_students * (FIRST_PAIRS + 2) + p->n_pools);
    n->in_net = calloc((size_t)c->n_pairs + 1, 1);
    if (!n->mcf || !n->in_net)
        return FM_ENOMEM;
    int64_t total = counts[0] + counts[1] + counts[2];
    for (int t = 1; t <= 3; t++)
        fm_mcf_set_supply(n->mcf, FM_UNODE_TIER(t), counts[t - 1]);
    fm_mcf_set_supply(n->mcf, FM_UNODE_SINK, -total);
    /* The levels-1-3 assignment is the starting flow (mcf.h): it already has
     * the tier counts, so the simplex only has to raise the utility. */
    for (int32_t q = 0; q < p->n_pools; q++) {
        int64_t arc = fm_mcf_add_arc(n->mcf, FM_UNODE_POOL(p, q), FM_UNODE_SINK, p->cap[q], 0);
        if (arc < 0)
            return FM_ENOMEM;
        fm_mcf_set_start_flow(n->mcf, arc, a->load[q]);
    }
    for (int32_t s = 0; s < p->n_students; s++) {
        if (c->start[s + 1] == c->start[s])
            continue;
        int64_t arc = fm_mcf_add_arc(n->mcf, FM_UNODE_TIER(p->tier[s]), FM_UNODE_STUDENT(s), 1, 0);
        if (arc < 0)
            return FM_ENOMEM;
        if (a->edge[s] >= 0) {
            fm_mcf_set_start_flow(n->mcf, arc, 1);
            int64_t before = fm_mcf_arc_count(n->mcf);
            if (add_edge_arc(n, p, s, a->edge[s]))
                return FM_ENOMEM;
            if (fm_mcf_arc_count(n->mcf) != before + 1)
                return FM_EINTERNAL;        /* a held edge always has a pool */
            fm_mcf_set_start_flow(n->mcf, before, 1);
        }
        if (hints) {
            for (int k = 0; k < FIRST_PAIRS; k++) {
                int64_t e = hints[(size_t)s * FIRST_PAIRS + k];
                if (e >= 0 && add_edge_arc(n, p, s, e))
                    return FM_ENOMEM;
            }
            continue;
        }
        int added = 0;
        for (int64_t i = c->start[s]; i < c->start[s + 1] && added < FIRST_PAIRS; i++, added++)
            for (int k = 1; k >= 0; k--)
                if (add_edge_arc(n, p, s, 2 * i + k))
                    return FM_ENOMEM;
    }
    return FM_OK;
}

/* What one pricing pass shares with its threads. */
typedef struct pricing {
    const network *n;
    const fm_pools *p;
    const int64_t *pot;
    int64_t max_pool;
    int64_t *best;           /* per student PRICE_PAIRS edges, -1 = none */
} pricing;

/* Finds, for students [lo, hi), the PRICE_PAIRS edges not yet in the
 * network of most negative reduced cost, into best[].  Reads only. */
static void price_students(void *arg, size_t lo, size_t hi)
{
    const pricing *j = arg;
    const fm_pools *p = j->p;
    const fm_cands *c = p->cands;
    const int64_t *pot = j->pot;
    for (int32_t s = (int32_t)lo; s < (int32_t)hi; s++) {
        int64_t *best_e = j->best + (size_t)s * PRICE_PAIRS;
        int64_t best_rc[PRICE_PAIRS];
        int n_best = 0;
        for (int k = 0; k < PRICE_PAIRS; k++)
            best_e[k] = -1;
        if (c->start[s + 1] == c->start[s])
            continue;
        int64_t pot_s = pot[FM_UNODE_STUDENT(s)];
        int tier = p->tier[s];
        for (int64_t e = 2 * c->start[s]; e < 2 * c->start[s + 1]; e++) {
            /* Pairs come by utility descending, so 500 - u + pot_s - max_pool
             * bounds the reduced cost of every later pair of the student:
             * once it cannot beat what is kept, the rest is skipped. */
            int64_t bound = FM_UTILITY_MAX - c->utility[e >> 1] + pot_s - j->max_pool;
            if (bound >= 0 || (n_best == PRICE_PAIRS && bound >= best_rc[n_best - 1]))
                break;
            int32_t q = fm_pools_edge_pool(p, e, tier);
            if (q < 0 || (j->n->in_net[e >> 1] & (1u << (e & 1))))
                continue;
            int64_t rc = FM_UTILITY_MAX - c->utility[e >> 1] + pot_s -
                         pot[FM_UNODE_POOL(p, q)];
            if (rc >= 0 || (n_best == PRICE_PAIRS && rc >= best_rc[n_best - 1]))
                continue;
            /* keep best_* sorted by reduced cost, most negative first */
            int k = n_best < PRICE_PAIRS ? n_best++ : n_best - 1;
            while (k > 0 && best_rc[k - 1] > rc) {
                best_rc[k] = best_rc[k - 1];
                best_e[k] = best_e[k - 1];
                k--;
            }
            best_rc[k] = rc;
            best_e[k] = e;
        }
    }
}

/* Adds, per student, the PRICE_PAIRS pair arcs of most negative reduced cost
 * (fewer arcs keep the simplex fast; the next round finds the rest if they
 * still price out).  The search runs on `threads` threads, the adding in
 * student order, so the network does not depend on the thread count.
 * Returns how many were added, or FM_ENOMEM. */
static int64_t price(network *n, const fm_pools *p, int64_t *pot, int64_t *best,
                     int threads)
{
    int32_t nodes = fm_mcf_node_count(n->mcf);
    for (int32_t v = 0; v < nodes; v++)
        pot[v] = fm_mcf_potential(n->mcf, v);
    pricing j = { .n = n, .p = p, .pot = pot, .max_pool = INT64_MIN, .best = best };
    for (int32_t q = 0; q < p->n_pools; q++)
        if (pot[FM_UNODE_POOL(p, q)] > j.max_pool)
            j.max_pool = pot[FM_UNODE_POOL(p, q)];
    fm_parallel_for((size_t)p->n_students, 2048, threads, price_students, &j);
    int64_t added = 0;
    for (int32_t s = 0; s < p->n_students; s++)
        for (int k = 0; k < PRICE_PAIRS && best[(size_t)s * PRICE_PAIRS + k] >= 0; k++) {
            if (add_edge_arc(n, p, s, best[(size_t)s * PRICE_PAIRS + k]))
                return FM_ENOMEM;
            added++;
        }
    return added;
}

/* The simplex's start: the auction's assignment and hints, or on
 * FM_EINTERNAL from the auction a copy of a and *hints NULL. */
static int auction_start(const fm_pools *p, const fm_assign *a, const int64_t counts[3],
                         fm_assign *start, int64_t **hints, fm_utility_stats *stats,
                         int (*stop)(void *), void *stop_arg)
{
    if (fm_assign_init(start, p))
        return FM_ENOMEM;
    memcpy(start->edge, a->edge, (size_t)p->n_students * sizeof *a->edge);
    memcpy(start->load, a->load, (size_t)p->n_pools * sizeof *a->load);
    *hints = malloc(((size_t)p->n_students + 1) * FIRST_PAIRS * sizeof **hints);
    if (!*hints)
        return FM_ENOMEM;
    fm_auction_stats as;
    int rc = fm_auction_start(p, counts, start, *hints, FIRST_PAIRS, &as, stop, stop_arg);
    stats->auction_phases = as.phases;
    stats->auction_bids = as.bids;
    stats->auction_pairs_read = as.pairs_read;
    if (rc == FM_EINTERNAL) {
        free(*hints);
        *hints = NULL;
        return FM_OK;
    }
    return rc;
}

int fm_utility_solve(const fm_pools *p, fm_assign *a, const int64_t counts[3],
                     int64_t **potentials, fm_utility_stats *stats, int threads,
                     int (*stop)(void *), void *stop_arg)
{
    network n = { 0 };
    int64_t *best = NULL, *hints = NULL, *pot = NULL;
    fm_assign start = { 0 };
    int rc = FM_ENOMEM;
    memset(stats, 0, sizeof *stats);
    *potentials = NULL;
    if ((rc = auction_start(p, a, counts, &start, &hints, stats, stop, stop_arg)))
        goto out;
    rc = build_first(&n, p, &start, hints, counts);
    fm_assign_free(&start);
    free(hints);
    hints = NULL;
    if (rc)
        goto out;
    fm_mcf_set_stop(n.mcf, stop, stop_arg);
    fm_mcf_set_block_factor(n.mcf, BLOCK_FACTOR);
    int32_t nodes = fm_mcf_node_count(n.mcf);
    pot = malloc((size_t)nodes * sizeof *pot);
    best = malloc(((size_t)p->n_students + 1) * PRICE_PAIRS * sizeof *best);
    if (!pot || !best) { rc = FM_ENOMEM; goto fail; }
    for (;;) {
        stats->rounds++;
        fm_mcf_status st = fm_mcf_solve(n.mcf);
        if (st == FM_MCF_NOMEM) { rc = FM_ENOMEM; goto fail; }
        if (st == FM_MCF_STOPPED) { rc = FM_ECANCELLED; goto fail; }
        if (st != FM_MCF_OPTIMAL) { rc = FM_EINTERNAL; goto fail; }
        int64_t added = price(&n, p, pot, best, threads); /* leaves the potentials in pot */
        if (added < 0) { rc = FM_ENOMEM; goto fail; }
        if (added == 0)
            break;
        if (stop && stop(stop_arg)) { rc = FM_ECANCELLED; goto fail; }
    }
    /* Read the flow back, then rebuild the pool loads. */
    for (int32_t s = 0; s < p->n_students; s++)
        a->edge[s] = -1;
    memset(a->load, 0, (size_t)p->n_pools * sizeof *a->load);
    int64_t arcs = fm_mcf_arc_count(n.mcf), placed[3] = { 0, 0, 0 };
    for (int64_t arc = 0; arc < arcs && (size_t)arc < n.cap_arc_edge; arc++) {
        if (n.arc_edge[arc] < 0 || fm_mcf_flow(n.mcf, arc) <= 0)
            continue;
        int32_t s = n.arc_student[arc];
        int64_t e = n.arc_edge[arc];
        if (a->edge[s] >= 0) {
            rc = FM_EINTERNAL;
            goto fail;
        }
        a->edge[s] = e;
        a->load[fm_pools_edge_pool(p, e, p->tier[s])]++;
        placed[p->tier[s] - 1]++;
    }
    if (placed[0] != counts[0] || placed[1] != counts[1] || placed[2] != counts[2]) {
        rc = FM_EINTERNAL;
        goto fail;
    }
    rc = FM_OK;
    *potentials = pot;
    goto out;
fail:
    free(pot);
out:
    stats->pivots = n.mcf ? fm_mcf_pivots(n.mcf) : 0;
    stats->arcs = 0;
    for (size_t i = 0; i < n.cap_arc_edge; i++)
        stats->arcs += n.arc_edge[i] >= 0;
    free(best);
    free(hints);
    fm_assign_free(&start);
    fm_mcf_free(n.mcf);
    free(n.arc_edge);
    free(n.arc_student);
    free(n.in_net);
    return rc;
}
