/*
 * counts.c - lexicographically maximal counts by augmenting paths
 * (see counts.h).
 *
 * Per tier: a greedy pass gives each free student of the tier its first
 * candidate pool with a free seat.  Then, from every pool that still has a
 * free seat, a depth-first search runs backwards (pool <- a seated student
 * who could move into it <- that student's pool <- ...) to a free student of
 * the tier, and the path is applied: each student on it moves one pool
 * along and the free student takes the seat so vacated.  Seats are scarce
 * and free students plentiful, so these paths are short.  The searches run
 * in passes over the pools; within a pass no vertex is visited twice, and
 * every other pass reads the applicant lists backwards.  A search that
 * fails having met only its own vertices and dead ones proves all it saw
 * dead for the rest of the tier (closed under backward residual steps, no
 * free student of the tier), so later passes skip it.  Passes repeat until
 * one finds no path; the dead set is then the sink side of a minimum cut.
 * Both the lookahead for a free seat and the one for a free student keep
 * per-student / per-pool cursors that only move forward: loads only grow and
 * students are never unseated while counting.  Searches are iterative.
 *
 * Failure: FM_ENOMEM or FM_ECANCELLED; the assignment is then partial but
 * consistent, and the caller discards it.
 */
#include "counts.h"

#include <stdlib.h>
#include <string.h>

typedef struct bframe {
    int32_t pool;
    int32_t via;        /* the student seated in pool who moves down a frame */
    int64_t cursor;     /* applicants of pool tried so far */
} bframe;

typedef struct search {
    const fm_pools *p;
    fm_assign *a;
    int32_t *head;          /* per pool: first seated student */
    int32_t *next, *prev;   /* per student: pool member list */
    int64_t *seen_student, *seen_pool;  /* DEAD, or the search that saw it */
    int64_t *look;          /* per student: edges before it lead to full pools */
    int64_t stamp;          /* the current search's mark */
    int64_t pass_first;     /* the mark of this pass's first search */
    int32_t *dead_students, *dead_pools;   /* what the current search saw */
    size_t n_dead_students, n_dead_pools, cap_dead_students, cap_dead_pools;
    int64_t *rstart;        /* per target: start of its applicants in rlist */
    int32_t *rlist;         /* students with a pair to each target, by target */
    int64_t *rlook;         /* per pool: applicants before it are of no use now */
    int tier;               /* the tier being added */
    int backwards;          /* this pass reads applicant lists from the end */
    bframe *bstack;         /* the backward search's stack */
    size_t cap_bstack;
} search;

/* Edge cursor c covers pair c >> 1; the reserved pool (odd edge) comes first,
 * so disadvantaged students fill reserved seats before general ones. */
static inline int64_t cursor_edge(int64_t c) { return c ^ 1; }

static void seat(search *S, int32_t s, int64_t e)
{
    const fm_pools *p = S->p;
    fm_assign *a = S->a;
    int64_t old = a->edge[s];
    if (old >= 0) {
        int32_t q = fm_pools_edge_pool(p, old, p->tier[s]);
        a->load[q]--;
        if (S->prev[s] >= 0)
            S->next[S->prev[s]] = S->next[s];
        else
            S->head[q] = S->next[s];
        if (S->next[s] >= 0)
            S->prev[S->next[s]] = S->prev[s];
    }
    int32_t q = fm_pools_edge_pool(p, e, p->tier[s]);
    a->edge[s] = e;
    a->load[q]++;
    S->prev[s] = -1;
    S->next[s] = S->head[q];
    if (S->head[q] >= 0)
        S->prev[S->head[q]] = s;
    S->head[q] = s;
}

/* Marks of the tier's dead set: what reaches back from free seats without
 * meeting a free student of the tier.  Nothing dead ever comes alive while
 * the tier is added: an augmenting path runs outside the dead set and only
 * turns round arcs between its own vertices, so no arc into the dead set
 * appears. */
#define DEAD (-1)

/* How the current search sees vertex v: 0 new, 1 its own or dead, 2 seen
 * by an earlier search of this pass (the search is then not a proof). */
static inline int seen(const search *S, const int64_t *marks, int32_t v)
{
    int64_t m = marks[v];
    if (m == DEAD || m == S->stamp)
        return 1;
    return m >= S->pass_first ? 2 : 0;
}

/* Remembers that the current search saw v (its list becomes dead if the
 * search fails cleanly).  FM_OK or FM_ENOMEM. */
static int note_seen(int32_t **list, size_t *n, size_t *cap, int32_t v)
{
    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 1024;
        int32_t *nl = realloc(*list, ncap * sizeof *nl);
        if (!nl)
            return FM_ENOMEM;
        *list = nl;
        *cap = ncap;
    }
    (*list)[(*n)++] = v;
    return FM_OK;
}

/* A free pool among s's edges not yet seen this round, as an edge, or -1. */
/* A pool with a free seat among s's edges, as an edge, or -1.  Loads never
 * go down while counting (an augmenting path moves students between pools
 * and fills one more seat at its end), so a full pool stays full and the
 * per-student cursor look[s] only moves forward: all lookaheads together
 * cost one pass over the edges. */
static int64_t free_edge(search *S, int32_t s)
{
    const fm_pools *p = S->p;
    int tier = p->tier[s];
    int64_t end = 2 * p->cands->start[s + 1];
    for (int64_t c = S->look[s]; c < end; c++) {
        int64_t e = cursor_edge(c);
        int32_t q = fm_pools_edge_pool(p, e, tier);
        if (q >= 0 && S->a->load[q] < p->cap[q]) {
            S->look[s] = c;
            return e;
        }
    }
    S->look[s] = end;
    return -1;
}

/* ---- backward search: from a pool with a free seat to a free student ----
 *
 * Seats are scarce and free students plentiful, so searching from a free
 * seat back to a free student ends after a step or two, where a search from
 * a free student must wander to one of the few free seats. */

static int build_reverse(search *S)
{
    const fm_pools *p = S->p;
    const fm_cands *c = p->cands;
    size_t nt = (size_t)p->n_targets;
    S->rstart = calloc(nt + 2, sizeof *S->rstart);
    S->rlist = malloc(((size_t)c->n_pairs + 1) * sizeof *S->rlist);
    S->rlook = malloc(((size_t)p->n_pools + 1) * sizeof *S->rlook);
    if (!S->rstart || !S->rlist || !S->rlook)
        return FM_ENOMEM;
    for (int64_t i = 0; i < c->n_pairs; i++)
        S->rstart[c->target[i] + 2]++;
    for (size_t t = 0; t < nt; t++)
        S->rstart[t + 2] += S->rstart[t + 1];
    for (int32_t st = 0; st < p->n_students; st++)
        for (int64_t i = c->start[st]; i < c->start[st + 1]; i++)
            S->rlist[S->rstart[c->target[i] + 1]++] = st;
    return FM_OK; /* now rstart[t] .. rstart[t+1] is target t's list */
}

static int pool_is_reserved(const fm_pools *p, int32_t q)
{
    return p->reserved[p->target_of[q]] == q;
}

/* The edge by which student s reaches pool q. */
static int64_t edge_to_pool(const search *S, int32_t s, int32_t q)
{
    const fm_pools *p = S->p;
    const fm_cands *c = p->cands;
    int32_t t = p->target_of[q];
    for (int64_t i = c->start[s]; i < c->start[s + 1]; i++)
        if (c->target[i] == t)
            return 2 * i + pool_is_reserved(p, q);
    return -1;
}

/* A free student of the tier being added who may use pool q, or -1; the
 * cursor only moves forward, as students are never unseated here. */
static int32_t free_applicant(search *S, int32_t q)
{
    const fm_pools *p = S->p;
    int32_t t = p->target_of[q];
    int reserved = pool_is_reserved(p, q);
    int64_t end = S->rstart[t + 1];
    for (int64_t i = S->rlook[q]; i < end; i++) {
        int32_t s = S->rlist[i];
        if (S->a->edge[s] < 0 && p->tier[s] == S->tier && !(reserved && p->tier[s] == 3)) {
            S->rlook[q] = i;
            return s;
        }
    }
    S->rlook[q] = end;
    return -1;
}

/* Searches back from pool q0 (which has a free seat) to a free student of
 * the tier being added, and applies the path.  1 found, 0 not (all seen is
 * marked dead), FM_ENOMEM. */
static int search_back(search *S, int32_t q0)
{
    const fm_pools *p = S->p;
    size_t top = 0;
#define BPUSH(q, v) do { \
        if (top == S->cap_bstack) { \
            size_t ncap = S->cap_bstack ? 2 * S->cap_bstack : 1024; \
            bframe *ns = realloc(S->bstack, ncap * sizeof *ns); \
            if (!ns) \
                return FM_ENOMEM; \
            S->bstack = ns; \
            S->cap_bstack = ncap; \
        } \
        S->bstack[top].pool = (q); \
        S->bstack[top].via = (v); \
        S->bstack[top].cursor = 0; \
        top++; \
        S->seen_pool[q] = S->stamp; \
        if (note_seen(&S->dead_pools, &S->n_dead_pools, &S->cap_dead_pools, q)) \
            return FM_ENOMEM; \
    } while (0)
    S->stamp++;
    S->n_dead_students = S->n_dead_pools = 0;
    int tainted = 0;
    BPUSH(q0, -1);
    int32_t s_free = -1;
    while (top > 0) {
        bframe *f = &S->bstack[top - 1];
        if ((s_free = free_applicant(S, f->pool)) >= 0)
            break;
        int reserved = pool_is_reserved(p, f->pool);
        int64_t first = S->rstart[p->target_of[f->pool]];
        int64_t n = S->rstart[p->target_of[f->pool] + 1] - first;
        int32_t next_pool = -1, via = -1;
        while (f->cursor < n) {
            int64_t k = f->cursor++;
            int32_t x = S->rlist[first + (S->backwards ? n - 1 - k : k)];
            if (S->a->edge[x] < 0 || (reserved && p->tier[x] == 3))
                continue;
            int sx = seen(S, S->seen_student, x);
            if (sx) {
                tainted |= sx == 2;
                continue;
            }
            S->seen_student[x] = S->stamp;
            if (note_seen(&S->dead_students, &S->n_dead_students, &S->cap_dead_students, x))
                return FM_ENOMEM;
            int32_t qx = fm_pools_edge_pool(p, S->a->edge[x], p->tier[x]);
            int sq = seen(S, S->seen_pool, qx);
            if (sq) {
                tainted |= sq == 2;
                continue;
            }
            next_pool = qx;
            via = x;
            break;
        }
        if (next_pool < 0)
            top--;
        else
            BPUSH(next_pool, via);
    }
#undef BPUSH
    if (s_free < 0) {
        /* Everything this search saw was its own or already dead: it is
         * closed backwards and holds no free student of the tier. */
        if (!tainted) {
            for (size_t i = 0; i < S->n_dead_students; i++)
                S->seen_student[S->dead_students[i]] = DEAD;
            for (size_t i = 0; i < S->n_dead_pools; i++)
                S->seen_pool[S->dead_pools[i]] = DEAD;
        }
        return 0;
    }
    /* Frame i's student moves into frame i-1's pool, from the bottom up;
     * the free student takes the seat so vacated at the top. */
    const bframe *st = S->bstack;
    for (size_t i = 1; i < top; i++)
        seat(S, st[i].via, edge_to_pool(S, st[i].via, st[i - 1].pool));
    seat(S, s_free, edge_to_pool(S, s_free, st[top - 1].pool));
    return 1;
}

static void mark_cut(search *S, fm_cuts *cuts, int level)
{
    for (int32_t s = 0; s < S->p->n_students; s++)
        if (S->seen_student[s] != DEAD)
            cuts->student[s] |= (uint8_t)(1u << (level - 1));
    for (int32_t q = 0; q < S->p->n_pools; q++)
        if (S->seen_pool[q] != DEAD)
            cuts->pool[q] |= (uint8_t)(1u << (level - 1));
}


int fm_counts_solve(const fm_pools *p, fm_assign *a, int64_t counts[3],
                    fm_cuts *cuts, int (*stop)(void *), void *stop_arg)
{
    search S = { .p = p, .a = a };
    size_t ns = (size_t)p->n_students + 1, np = (size_t)p->n_pools + 1;
    int rc = FM_ENOMEM;
    S.head = malloc(np * sizeof *S.head);
    S.next = malloc(ns * sizeof *S.next);
    S.prev = malloc(ns * sizeof *S.prev);
    S.seen_student = calloc(ns, sizeof *S.seen_student);
    S.seen_pool = calloc(np, sizeof *S.seen_pool);
    S.look = malloc(ns * sizeof *S.look);
    cuts->student = calloc(ns, 1);
    cuts->pool = calloc(np, 1);
    if (!S.head || !S.next || !S.prev || !S.seen_student || !S.seen_pool || !S.look ||
        !cuts->student || !cuts->pool || build_reverse(&S) != FM_OK)
        goto out;
    memset(S.head, 0xff, np * sizeof *S.head);
    for (int32_t s = 0; s < p->n_students; s++)
        S.look[s] = 2 * p->cands->start[s];
    counts[0] = counts[1] = counts[2] = 0;

    for (int tier = 1; tier <= 3; tier++) {
        /* Greedy: first free pool in preference order. */
        memset(S.seen_student, 0, ns * sizeof *S.seen_student);
        memset(S.seen_pool, 0, np * sizeof *S.seen_pool);
        for (int32_t s = 0; s < p->n_students; s++) {
            if (p->tier[s] != tier || a->edge[s] >= 0)
                continue;
            int64_t e = free_edge(&S, s);
            if (e >= 0)
                seat(&S, s, e);
        }
        /* Back from every pool with a free seat, in passes.  Within a pass
         * nothing is visited twice (the pass's mark stays on everything a
         * search saw, found or not), so a pass costs at most one look at
         * every pair; passes repeat until one augments nothing.  (Marking
         * only what failed searches saw, search by search, let the
         * successful searches of a big region wander over the same ground
         * again and again: the time grew with the square of the size.) */
        S.tier = tier;
        for (int32_t q = 0; q < p->n_pools; q++)
            S.rlook[q] = S.rstart[p->target_of[q]];
        int64_t searched = 0, found, passes = 0;
        do {
            found = 0;
            S.pass_first = S.stamp + 1;
            /* Every other pass reads the applicant lists from the end, so
             * that a pass does not keep choosing the paths that block the
             * rest (Pothen and Fan's "fairness": at 600k pupils tier 3 took
             * 81 passes instead of 272). */
            S.backwards = (int)(passes++ & 1);
            for (int32_t q = 0; q < p->n_pools; q++) {
                while (a->load[q] < p->cap[q] && S.seen_pool[q] != DEAD) {
                    int got = search_back(&S, q);
                    if (got < 0)
                        goto out;
                    if ((++searched & 255) == 0 && stop && stop(stop_arg)) {
                        rc = FM_ECANCELLED;
                        goto out;
                    }
                    if (!got)
                        break;
                    found++;
                }
            }
        } while (found > 0);
        /* The last pass augmented nothing, so all its searches failed
         * without meeting an earlier one's success: everything that reaches
         * back from the free seats is dead now. */
        /* The cut of this level: the source side is everything not dead.
         * The dead set holds every pool with a free seat, and with each pool
         * every seated student who could move into it and that student's
         * pool, and no free student of tiers <= t: nothing leaves it in the
         * residual network backwards, so its border is a minimum cut. */
        mark_cut(&S, cuts, tier);
    }
    for (int32_t s = 0; s < p->n_students; s++)
        if (a->edge[s] >= 0)
            counts[p->tier[s] - 1]++;
    rc = FM_OK;
out:
    free(S.head);
    free(S.next);
    free(S.prev);
    free(S.seen_student);
    free(S.seen_pool);
    free(S.look);
    free(S.rstart);
    free(S.rlist);
    free(S.rlook);
    free(S.bstack);
    free(S.dead_students);
    free(S.dead_pools);
    if (rc != FM_OK)
        fm_cuts_free(cuts);
    return rc;
}

void fm_cuts_free(fm_cuts *c)
{
    free(c->student);
    free(c->pool);
    c->student = c->pool = NULL;
}
