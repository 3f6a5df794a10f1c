/*
 * mcf_start.c - a starting basis from a caller's feasible flow (see
 * fm_mcf_set_start_flow() in mcf.h and mcf_internal.h).
 *
 * Normal case: the flow meets every supply and capacity.  Arcs strictly
 * between their bounds have to be tree arcs; they must form a forest
 * (checked with union-find).  Each tree of that forest hangs from the
 * artificial root by its lowest-numbered node's artificial arc, pointing up
 * (node -> root) at flow 0 and cost 0; every other node hangs from its
 * forest neighbour.  Every tree arc can then pass more flow towards the root
 * (the artificial arcs are unbounded, the forest arcs strictly inside their
 * bounds), so the tree is strongly feasible, which the pivot rule needs.
 * Non-tree arcs sit at a bound: "lower" at flow 0, "upper" at capacity.  The
 * potentials follow from a zero reduced cost on every tree arc and have no
 * big-M part.  No artificial arc ever carries flow after such a start: a
 * cycle through the root passes one artificial arc backwards, at flow 0.
 *
 * Failure: -1 when a flow is out of its bounds, a node does not balance, the
 * interior arcs close a cycle, or scratch memory is short.  The tree arrays
 * may then be half written; the caller builds the cold basis over them.
 */
#include "mcf_internal.h"

#include <stdlib.h>

static int32_t find(int32_t *uf, int32_t u)
{
    while (uf[u] != u) {
        uf[u] = uf[uf[u]];
        u = uf[u];
    }
    return u;
}

static int is_interior(const fm_mcf *m, int64_t k)
{
    int64_t f = m->flow[m->n + k];
    return f > 0 && (m->cap[k] >= FM_MCF_CAP_INF || f < m->cap[k]);
}

/* Flows within bounds, every node balanced, interior arcs acyclic; fills
 * deg[u] with u's interior arcs.  0 when all hold. */
static int check_flow(const fm_mcf *m, int64_t *bal, int32_t *uf, int32_t *deg)
{
    const int32_t n = m->n;
    for (int32_t u = 0; u < n; u++) {
        bal[u] = 0;
        uf[u] = u;
        deg[u] = 0;
    }
    for (int64_t k = 0; k < m->m; k++) {
        int64_t f = m->flow[n + k];
        int32_t s = m->source[k], t = m->target[k];
        if (f < 0 || f > m->cap[k] || __builtin_add_overflow(bal[s], f, &bal[s]) ||
            __builtin_sub_overflow(bal[t], f, &bal[t]))
            return -1;
        if (!is_interior(m, k))
            continue;
        int32_t a = find(uf, s), b = find(uf, t);
        if (a == b)
            return -1;              /* a cycle of interior arcs: not a basis */
        uf[a] = b;
        deg[s]++;
        deg[t]++;
    }
    for (int32_t u = 0; u < n; u++)
        if (bal[u] != m->supply[u])
            return -1;
    return 0;
}

/* Lays out the tree: parent, pred, pred_dir and potentials by depth-first
 * search over the interior arcs (adjacency adj_start/adj), with the preorder
 * written to order[].  stack holds per open node its next adjacency index. */
static void lay_out(fm_mcf *m, const int32_t *adj_start, const int32_t *adj,
                    int32_t *order, int32_t *stack_node, int32_t *stack_next)
{
    const int32_t n = m->n, root = n;
    int32_t placed = 0;
    for (int32_t u = 0; u < n; u++)
        m->parent[u] = -2;                      /* not yet in the tree */
    for (int32_t r = 0; r < n; r++) {
        if (m->parent[r] != -2)
            continue;
        m->parent[r] = root;
        m->pred[r] = r;                         /* its artificial arc, up */
        m->pred_dir[r] = DIR_UP;
        m->pi[r] = 0;
        m->art[r] = 0;
        order[placed++] = r;
        int32_t depth = 0;
        stack_node[0] = r;
        stack_next[0] = adj_start[r];
        while (depth >= 0) {
            int32_t u = stack_node[depth];
            if (stack_next[depth] == adj_start[u + 1]) {
                depth--;
                continue;
            }
            int32_t k = adj[stack_next[depth]++];
            int32_t v = m->source[k] == u ? m->target[k] : m->source[k];
            if (m->pred[u] == n + k)
                continue;                       /* the arc up to u's parent */
            m->parent[v] = u;
            m->pred[v] = n + k;
            if (m->source[k] == v) {            /* v -> u: up */
                m->pred_dir[v] = DIR_UP;
                m->pi[v] = m->pi[u] - m->cost[k];
            } else {                            /* u -> v: down */
                m->pred_dir[v] = DIR_DOWN;
                m->pi[v] = m->pi[u] + m->cost[k];
            }
            m->art[v] = 0;
            order[placed++] = v;
            depth++;
            stack_node[depth] = v;
            stack_next[depth] = adj_start[v];
        }
    }
}

/* Thread, rev_thread, succ_num and last_succ from the preorder. */
static void set_thread(fm_mcf *m, const int32_t *order)
{
    const int32_t n = m->n, root = n;
    m->parent[root] = -1;
    m->pred[root] = -1;
    m->pred_dir[root] = DIR_UP;
    m->pi[root] = 0;
    m->art[root] = 0;
    m->art_live = 0;
    int32_t prev = root;
    for (int32_t i = 0; i < n; i++) {
        m->thread[prev] = order[i];
        m->rev_thread[order[i]] = prev;
        prev = order[i];
        m->succ_num[order[i]] = 1;
    }
    m->thread[prev] = root;
    m->rev_thread[root] = prev;
    m->succ_num[root] = n + 1;
    m->last_succ[root] = prev;
    for (int32_t i = n - 1; i >= 0; i--) {
        int32_t u = order[i], p = m->parent[u];
        m->last_succ[u] = order[i + m->succ_num[u] - 1];
        if (p != root)
            m->succ_num[p] += m->succ_num[u];
    }
}

int fm_mcf_basis_from_flow(fm_mcf *m)
{
    const int32_t n = m->n;
    int rc = -1;
    int64_t *bal = malloc((size_t)n * sizeof *bal);
    int32_t *uf = malloc((size_t)n * sizeof *uf);
    int32_t *adj_start = calloc((size_t)n + 1, sizeof *adj_start);
    int32_t *order = malloc((size_t)n * sizeof *order);
    int32_t *stack_node = malloc((size_t)n * sizeof *stack_node);
    int32_t *stack_next = malloc((size_t)n * sizeof *stack_next);
    int32_t *adj = NULL;
    if (!bal || !uf || !adj_start || !order || !stack_node || !stack_next ||
        check_flow(m, bal, uf, adj_start + 1))
        goto out;
    /* deg was written shifted by one: prefix sums give the CSR starts, and
     * a forest has fewer than n interior arcs, so the sums fit. */
    for (int32_t u = 0; u < n; u++)
        adj_start[u + 1] += adj_start[u];
    adj = malloc(((size_t)adj_start[n] + 1) * sizeof *adj);
    if (!adj)
        goto out;
    int32_t *fill = uf;                     /* reused: next free slot per node */
    for (int32_t u = 0; u < n; u++)
        fill[u] = adj_start[u];
    for (int64_t k = 0; k < m->m; k++) {
        if (!is_interior(m, k)) {
            m->state[k] = m->flow[n + k] == 0 ? STATE_LOWER : STATE_UPPER;
            continue;
        }
        m->state[k] = STATE_TREE;
        adj[fill[m->source[k]]++] = (int32_t)k;
        adj[fill[m->target[k]]++] = (int32_t)k;
    }
    lay_out(m, adj_start, adj, order, stack_node, stack_next);
    set_thread(m, order);
    for (int32_t u = 0; u < n; u++)
        m->flow[u] = 0;                     /* artificial arcs carry nothing */
    m->scan_j = m->scan_q = 0;
    m->have_basis = 1;
    m->supply_dirty = 0;
    rc = 0;
out:
    free(bal);
    free(uf);
    free(adj_start);
    free(order);
    free(stack_node);
    free(stack_next);
    free(adj);
    return rc;
}
