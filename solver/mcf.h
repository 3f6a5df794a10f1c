/*
 * mcf.h - min-cost flow by the primal network simplex method.
 *
 * The network has nodes 0..n-1 with integer supplies (positive: the node
 * sends flow; negative: it takes flow; they must sum to 0) and arcs with
 * lower bound 0, an integer capacity and an integer cost (may be negative).
 * fm_mcf_solve() finds a flow meeting every supply exactly at least cost.
 *
 * Arcs may be added after a solve; the next fm_mcf_solve() continues from the
 * basis it had (the new arcs start at flow 0), which is what column
 * generation needs: solve on a subset of the arcs, price the rest with the
 * potentials, add those that price out, solve again.
 *
 * Changing a supply after a solve makes the next solve start afresh.
 *
 * Optimality conditions, with rc(a) = cost(a) + pot(tail) - pot(head):
 *   flow(a) < cap(a)    => rc(a) >= 0
 *   flow(a) > 0         => rc(a) <= 0
 * (so rc(a) == 0 when 0 < flow(a) < cap(a); a zero-capacity arc is free).
 * fm_mcf_potential() returns pot(); the caller can verify these itself.  The
 * potentials mean this only after FM_MCF_OPTIMAL; then |pot| <= (n - 1) *
 * max|cost| and every rc(a) is within n * max|cost|.
 *
 * Limits: |cost| * (number of nodes + 1) must fit in int64_t, and so must the
 * total supply; capacities up to FM_MCF_CAP_INF, which itself means
 * unbounded (larger ones are cut to it, negative ones to 0); flows, the
 * supplies plus the finite capacities, must fit.  Memory: about 33 bytes per
 * arc (plus the growth slack, at most half) and 60 per node.
 * Deterministic: the same calls give the same flow.
 */
#ifndef FM_MCF_H
#define FM_MCF_H

#include <stdint.h>

/* Capacities at or above this are unbounded. */
#define FM_MCF_CAP_INF (INT64_MAX / 4)

typedef struct fm_mcf fm_mcf;

typedef enum fm_mcf_status {
    FM_MCF_OPTIMAL = 0,
    FM_MCF_INFEASIBLE = 1,  /* the supplies cannot be met */
    FM_MCF_UNBOUNDED = 2,   /* a negative-cost cycle of unbounded capacity */
    FM_MCF_NOMEM = 3,
    FM_MCF_STOPPED = 4      /* the stop callback returned nonzero */
} fm_mcf_status;

/* A network with n_nodes nodes, supplies 0, no arcs.  arc_hint sizes the
 * first allocation (arcs may exceed it).  NULL when out of memory. */
fm_mcf *fm_mcf_new(int32_t n_nodes, int64_t arc_hint);
void fm_mcf_free(fm_mcf *m);

void fm_mcf_set_supply(fm_mcf *m, int32_t node, int64_t supply);

/* Adds an arc and returns its id (0, 1, 2, ... in order of addition), or -1
 * when out of memory (or tail/head is not a node). */
int64_t fm_mcf_add_arc(fm_mcf *m, int32_t tail, int32_t head, int64_t cap,
                       int64_t cost);

/* A starting flow for the next fresh start (the first solve, or one after a
 * supply change): the flow on each arc, 0 for arcs not given.  If it meets
 * every supply and capacity exactly, and the arcs strictly between their
 * bounds form no cycle, the simplex starts from it instead of from nothing:
 * far fewer pivots when it is close to optimal.  Otherwise (not feasible,
 * or out of memory for the tree's scratch) the solve starts cold as usual,
 * with the same result.  Ignored once a basis exists. */
void fm_mcf_set_start_flow(fm_mcf *m, int64_t arc, int64_t flow);

/* Block Search prices blocks of factor * sqrt(arcs) arcs and enters the best
 * of the first block that has a candidate.  The default factor 1 (LEMON's)
 * suits general networks; a network where most arcs price out at once, as
 * after a column-generation round, does better with smaller blocks (cheaper
 * pivots, a few more of them).  Factors outside (0, 100] are ignored. */
void fm_mcf_set_block_factor(fm_mcf *m, double factor);

/* Called every few thousand pivots; nonzero stops the solve with
 * FM_MCF_STOPPED (the basis stays valid; a later solve may continue). */
void fm_mcf_set_stop(fm_mcf *m, int (*stop)(void *arg), void *arg);

fm_mcf_status fm_mcf_solve(fm_mcf *m);

int64_t fm_mcf_flow(const fm_mcf *m, int64_t arc);
int64_t fm_mcf_potential(const fm_mcf *m, int32_t node);
int64_t fm_mcf_pivots(const fm_mcf *m);   /* total, over all solves */
int64_t fm_mcf_arc_count(const fm_mcf *m);
int32_t fm_mcf_node_count(const fm_mcf *m);

#endif
