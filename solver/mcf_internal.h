/*
 * mcf_internal.h - the network simplex's state, shared by mcf.c (pricing,
 * pivots, results) and mcf_start.c (a starting basis from a given flow).
 * Not part of the solver's interface: only those two files include it.
 */
#ifndef FM_MCF_INTERNAL_H
#define FM_MCF_INTERNAL_H

#include <stdint.h>

#include "mcf.h"

/* Arc states, as multipliers of the reduced cost in the pricing: an arc at
 * its lower bound enters when rc < 0, one at its upper bound when rc > 0. */
#define STATE_UPPER (-1)
#define STATE_TREE 0
#define STATE_LOWER 1

/* Orientation of a node's tree arc: UP = node -> parent, DOWN = parent ->
 * node. */
#define DIR_UP 1
#define DIR_DOWN (-1)

/* Residual capacity that stands for "unbounded". */
#define RES_INF INT64_MAX

/* Pricing surrogate for a reduced cost with a nonzero big-M part (see
 * price()). */
#define PRICE_BIG (INT64_MAX / 2)

#define STOP_EVERY 4096

/* Arcs per run of the mixed pricing order (see find_entering()). */
#define RUN_LEN 8


struct fm_mcf {
    int32_t n;              /* user nodes 0..n-1; the root is node n */
    int64_t m;              /* real arcs */
    int64_t arc_cap;        /* allocated real arcs */

    /* Per node (n + 1 entries, the root last; supply has n). */
    int64_t *supply;
    int32_t *parent;        /* tree parent, -1 at the root */
    int32_t *pred;          /* internal id of the tree arc to the parent */
    int32_t *thread;        /* preorder successor (cyclic, through root) */
    int32_t *rev_thread;    /* preorder predecessor */
    int32_t *succ_num;      /* nodes in the subtree, itself included */
    int32_t *last_succ;     /* last node of the subtree in preorder */
    int8_t *pred_dir;       /* DIR_UP or DIR_DOWN */
    int64_t *pi;            /* potential: the ordinary part */
    int32_t *art;           /* potential: big-M units (0 or 1 per node) */
    int64_t art_live;       /* nodes with art != 0; while 0 the pricing and
                               the potential updates skip art[] (always
                               after a start from a flow) */
    int32_t *dirty_revs;    /* scratch for update_tree() */

    /* Per arc.  Internal arc ids: 0..n-1 are the artificial arcs (node u's
     * one is u), n + k is the user's arc k.  flow has n + arc_cap entries,
     * the others arc_cap entries indexed by k. */
    int64_t *flow;
    int32_t *source;
    int32_t *target;
    int64_t *cap;
    int64_t *cost;
    int8_t *state;

    /* Solve state. */
    int have_basis;         /* the tree arrays hold a valid basis */
    int supply_dirty;       /* a supply changed since the basis was built */
    int start_given;        /* flow[] holds a caller's starting flow */
    int64_t block;          /* Block Search: arcs per block */
    double block_factor;    /* block = block_factor * sqrt(arcs) */
    int64_t run_len;        /* arcs per run of the mixed scan order */
    int64_t stride;         /* runs skipped between two runs scanned */
    int64_t scan_j, scan_q; /* where the scan resumes (see find_entering) */
    int64_t pivots;
    int64_t since_stop;     /* pivots since the stop callback was asked */
    int (*stop)(void *);
    void *stop_arg;

    /* The pivot in progress. */
    int32_t in_arc, join, u_in, v_in, u_out;
    int64_t delta;
};

/* Builds the starting basis from the flow stored by fm_mcf_set_start_flow()
 * (see mcf_start.c).  Returns 0 with the tree, states and potentials set, or
 * -1 with nothing usable (the caller starts cold). */
int fm_mcf_basis_from_flow(fm_mcf *m);

#endif
