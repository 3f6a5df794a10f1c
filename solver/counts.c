/*
 * counts.c - lexicographically maximal counts by augmenting paths
 * (see counts.h).
 *
 * Per tier: a greedy pass gives each free student its first candidate pool
 * with a free seat; then rounds of depth-first searches for augmenting paths
 * (student -> pool -> a student seated there -> another pool ... -> a pool
 * with a free seat), with visit marks shared by all searches of a round, run
 * until a round finds none.  A round that finds none changed nothing, so its
 * failed searches prove there is no augmenting path: the tier is maximal.
 * The search is iterative (paths can be as long as the region is large) and
 * looks at all of a student's pools for a free seat before going deeper.
 *
 * Failure: FM_ENOMEM or FM_ECANCELLED; the assignment is then partial but
 * consistent, and the caller discards it.
 */
#include "counts.h"

#include <stdlib.h>
#include <string.h>

typedef struct frame {
    int32_t student;
    int32_t pool;      /* pool being expanded, -1 if none */
    int32_t member;    /* next member of pool to try */
    int32_t pad;
    int64_t cursor;    /* next edge cursor */
    int64_t edge;      /* edge that led to pool */
} frame;

typedef struct search {
    const fm_pools *p;
    fm_assign *a;
    int32_t *head;          /* per pool: first seated student */
    int32_t *next, *prev;   /* per student: pool member list */
    int32_t *seen_student, *seen_pool;
    int32_t stamp;          /* this search's mark */
    int32_t dead;           /* the mark of vertices proven dead this tier */
    int32_t *trail;         /* students, then pools (negated - 1), seen this search */
    size_t n_trail, cap_trail;
    frame *stack;
    size_t cap_stack;
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

static int seen(const search *S, const int32_t *marks, int32_t v)
{
    return marks[v] == S->stamp || marks[v] == S->dead;
}

/* Remembers a vertex seen by this search: student s >= 0, pool as -1 - q. */
static int trail_add(search *S, int32_t v)
{
    if (S->n_trail == S->cap_trail) {
        size_t cap = S->cap_trail ? 2 * S->cap_trail : 4096;
        int32_t *nt = realloc(S->trail, cap * sizeof *nt);
        if (!nt)
            return FM_ENOMEM;
        S->trail = nt;
        S->cap_trail = cap;
    }
    S->trail[S->n_trail++] = v;
    return FM_OK;
}

static int push(search *S, size_t *top, int32_t s)
{
    if (*top == S->cap_stack) {
        size_t cap = S->cap_stack ? 2 * S->cap_stack : 1024;
        frame *ns = realloc(S->stack, cap * sizeof *ns);
        if (!ns)
            return FM_ENOMEM;
        S->stack = ns;
        S->cap_stack = cap;
    }
    frame *f = &S->stack[(*top)++];
    f->student = s;
    f->pool = -1;
    f->member = -1;
    f->cursor = 2 * S->p->cands->start[s];
    f->edge = -1;
    S->seen_student[s] = S->stamp;
    return trail_add(S, s);
}

/* A free pool among s's edges not yet seen this round, as an edge, or -1. */
static int64_t free_edge(search *S, int32_t s)
{
    const fm_pools *p = S->p;
    int tier = p->tier[s];
    int64_t end = 2 * p->cands->start[s + 1];
    for (int64_t c = 2 * p->cands->start[s]; c < end; c++) {
        int64_t e = cursor_edge(c);
        int32_t q = fm_pools_edge_pool(p, e, tier);
        if (q >= 0 && !seen(S, S->seen_pool, q) && S->a->load[q] < p->cap[q])
            return e;
    }
    return -1;
}

static int search_path(search *S, int32_t s0);

/* Searches an augmenting path from free student s0 and applies it.
 * Returns 1 if found, 0 if not, FM_ENOMEM.  When not, everything the search
 * saw is marked dead: no later search need enter it again. */
static int augment(search *S, int32_t s0)
{
    int found = search_path(S, s0);
    if (found == 0) {
        for (size_t i = 0; i < S->n_trail; i++) {
            int32_t v = S->trail[i];
            if (v >= 0)
                S->seen_student[v] = S->dead;
            else
                S->seen_pool[-1 - v] = S->dead;
        }
    }
    return found;
}

static int search_path(search *S, int32_t s0)
{
    const fm_pools *p = S->p;
    size_t top = 0;
    S->stamp++;
    S->n_trail = 0;
    if (push(S, &top, s0))
        return FM_ENOMEM;
    int64_t e = free_edge(S, s0);
    while (e < 0 && top > 0) {
        frame *f = &S->stack[top - 1];
        if (f->pool >= 0) {
            int32_t m = f->member;
            while (m >= 0 && seen(S, S->seen_student, m))
                m = S->next[m];
            if (m >= 0) {
                f->member = S->next[m];
                if (push(S, &top, m))
                    return FM_ENOMEM;
                e = free_edge(S, m);
                continue;
            }
            f->pool = -1;
        }
        int64_t end = 2 * p->cands->start[f->student + 1];
        int tier = p->tier[f->student];
        while (f->cursor < end) {
            int64_t ce = cursor_edge(f->cursor++);
            int32_t q = fm_pools_edge_pool(p, ce, tier);
            if (q < 0 || seen(S, S->seen_pool, q))
                continue;
            S->seen_pool[q] = S->stamp;
            if (trail_add(S, -1 - q))
                return FM_ENOMEM;
            f->pool = q;
            f->member = S->head[q];
            f->edge = ce;
            break;
        }
        if (f->pool < 0)
            top--;
    }
    if (e < 0)
        return 0;
    /* The top student takes the free seat; each one below moves into the
     * pool vacated by the student above it. */
    seat(S, S->stack[top - 1].student, e);
    for (size_t i = top - 1; i-- > 0;)
        seat(S, S->stack[i].student, S->stack[i].edge);
    return 1;
}

static void mark_cut(search *S, fm_cuts *cuts, int level)
{
    for (int32_t s = 0; s < S->p->n_students; s++)
        if (S->seen_student[s] == S->dead)
            cuts->student[s] |= (uint8_t)(1u << (level - 1));
    for (int32_t q = 0; q < S->p->n_pools; q++)
        if (S->seen_pool[q] == S->dead)
            cuts->pool[q] |= (uint8_t)(1u << (level - 1));
}

static int has_edges(const fm_pools *p, int32_t s)
{
    return p->cands->start[s + 1] > p->cands->start[s];
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
    cuts->student = calloc(ns, 1);
    cuts->pool = calloc(np, 1);
    if (!S.head || !S.next || !S.prev || !S.seen_student || !S.seen_pool ||
        !cuts->student || !cuts->pool)
        goto out;
    memset(S.head, 0xff, np * sizeof *S.head);
    counts[0] = counts[1] = counts[2] = 0;

    for (int tier = 1; tier <= 3; tier++) {
        /* Greedy: first free pool in preference order. */
        S.dead = ++S.stamp;
        for (int32_t s = 0; s < p->n_students; s++) {
            if (p->tier[s] != tier || a->edge[s] >= 0)
                continue;
            int64_t e = free_edge(&S, s);
            if (e >= 0)
                seat(&S, s, e);
        }
        /* One search per free student of this tier.  A failed search marks
         * what it saw dead, and dead stays dead while others augment (its
         * pools are full and it has no edge out of itself), so one pass
         * leaves no augmenting path from any of them. */
        int64_t searched = 0;
        for (int32_t s = 0; s < p->n_students; s++) {
            if (p->tier[s] != tier || a->edge[s] >= 0 || !has_edges(p, s) ||
                seen(&S, S.seen_student, s))
                continue;
            if (augment(&S, s) < 0)
                goto out;
            if ((++searched & 255) == 0 && stop && stop(stop_arg)) {
                rc = FM_ECANCELLED;
                goto out;
            }
        }
        /* The cut of this level: everything reachable from every free
         * student of tiers <= t, found by searches that must all fail. */
        S.dead = ++S.stamp;
        for (int32_t s = 0; s < p->n_students; s++) {
            if (p->tier[s] > tier || a->edge[s] >= 0 || !has_edges(p, s) ||
                seen(&S, S.seen_student, s))
                continue;
            int got = augment(&S, s);
            if (got < 0)
                goto out;
            if (got > 0) { /* impossible after the pass above */
                rc = FM_EINTERNAL;
                goto out;
            }
        }
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
    free(S.stack);
    free(S.trail);
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
