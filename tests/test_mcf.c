/*
 * test_mcf.c - the network simplex (solver/mcf.h) against published optima
 * (the 50 NETGEN problems, the 12 OR-Library assignment problems), against
 * a small independent solver (successive shortest paths), and on warm
 * restarts.  Every OPTIMAL answer is also checked on its own: supplies met,
 * 0 <= flow <= cap, and the reduced-cost conditions of mcf.h on every arc
 * with the returned potentials (together a proof of optimality).
 *
 * FM_TEST_QUICK=1 runs a subset of the big instances (for sanitizer builds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zlib.h>

#include "mcf.h"

/* ------------------------------------------------------------------------ */
/* A network kept on the test side, to check the solver's answer.           */

typedef struct net {
    int32_t n;
    int64_t m, cap_m;
    int64_t *supply;
    int32_t *tail, *head;
    int64_t *cap, *cost;
    int64_t cost_offset;   /* from lower bounds moved out (DIMACS LOW) */
} net;

static void net_init(net *g, int32_t n)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->supply = calloc((size_t)n + 1, sizeof *g->supply);
    assert_non_null(g->supply);
}

static void net_add(net *g, int32_t t, int32_t h, int64_t cap, int64_t cost)
{
    if (g->m == g->cap_m) {
        g->cap_m = g->cap_m ? 2 * g->cap_m : 64;
        g->tail = realloc(g->tail, (size_t)g->cap_m * sizeof *g->tail);
        g->head = realloc(g->head, (size_t)g->cap_m * sizeof *g->head);
        g->cap = realloc(g->cap, (size_t)g->cap_m * sizeof *g->cap);
        g->cost = realloc(g->cost, (size_t)g->cap_m * sizeof *g->cost);
        assert_true(g->tail && g->head && g->cap && g->cost);
    }
    g->tail[g->m] = t;
    g->head[g->m] = h;
    g->cap[g->m] = cap;
    g->cost[g->m] = cost;
    g->m++;
}

static void net_free(net *g)
{
    free(g->supply);
    free(g->tail);
    free(g->head);
    free(g->cap);
    free(g->cost);
    memset(g, 0, sizeof *g);
}

/* Builds the solver's network from arcs [0, upto) of g. */
static fm_mcf *load(const net *g, int64_t upto)
{
    fm_mcf *m = fm_mcf_new(g->n, upto);
    assert_non_null(m);
    for (int32_t v = 0; v < g->n; v++)
        fm_mcf_set_supply(m, v, g->supply[v]);
    for (int64_t a = 0; a < upto; a++)
        assert_int_equal(fm_mcf_add_arc(m, g->tail[a], g->head[a], g->cap[a],
                                        g->cost[a]), a);
    return m;
}

static int64_t cap_of(int64_t c)
{
    return c < 0 ? 0 : c > FM_MCF_CAP_INF ? FM_MCF_CAP_INF : c;
}

/* Checks that the solver's flow on arcs [0, g->m) is feasible and optimal
 * (the conditions of mcf.h with its potentials); returns its cost. */
static int64_t check_optimal(const fm_mcf *m, const net *g)
{
    assert_int_equal(fm_mcf_arc_count(m), g->m);
    int64_t *bal = calloc((size_t)g->n + 1, sizeof *bal);
    assert_non_null(bal);
    int64_t total = 0;
    for (int64_t a = 0; a < g->m; a++) {
        int64_t f = fm_mcf_flow(m, a), c = cap_of(g->cap[a]);
        assert_true(f >= 0);
        assert_true(f <= c);
        bal[g->tail[a]] += f;
        bal[g->head[a]] -= f;
        total += f * g->cost[a];
        int64_t rc = g->cost[a] + fm_mcf_potential(m, g->tail[a]) -
                     fm_mcf_potential(m, g->head[a]);
        if (f < c && rc < 0)
            fail_msg("arc %lld below capacity with rc %lld", (long long)a,
                     (long long)rc);
        if (f > 0 && rc > 0)
            fail_msg("arc %lld with flow and rc %lld", (long long)a,
                     (long long)rc);
    }
    for (int32_t v = 0; v < g->n; v++)
        if (bal[v] != g->supply[v])
            fail_msg("node %d: net outflow %lld, supply %lld", v,
                     (long long)bal[v], (long long)g->supply[v]);
    free(bal);
    return total;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int quick(void)
{
    const char *q = getenv("FM_TEST_QUICK");
    return q && q[0] && strcmp(q, "0") != 0;
}

/* ------------------------------------------------------------------------ */
/* NETGEN, DIMACS min-cost-flow format                                      */

/* Reads a DIMACS "min" file; nonzero lower bounds are moved out (supplies
 * and cost_offset adjusted, capacity reduced). */
static void read_dimacs(const char *path, net *g)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[512];
    int have_p = 0;
    while (gzgets(f, line, sizeof line)) {
        char *s = line, *e;
        if (line[0] == 'p') {
            char kind[16];
            long long n, arcs;
            assert_int_equal(sscanf(line, "p %15s %lld %lld", kind, &n, &arcs), 3);
            assert_string_equal(kind, "min");
            net_init(g, (int32_t)n);
            have_p = 1;
        } else if (line[0] == 'n') {
            assert_true(have_p);
            long long id = strtoll(s + 1, &e, 10), sup = strtoll(e, &e, 10);
            assert_true(id >= 1 && id <= g->n);
            g->supply[id - 1] += sup;
        } else if (line[0] == 'a') {
            assert_true(have_p);
            long long t = strtoll(s + 1, &e, 10), h = strtoll(e, &e, 10);
            long long lo = strtoll(e, &e, 10), hi = strtoll(e, &e, 10);
            long long c = strtoll(e, &e, 10);
            assert_true(t >= 1 && t <= g->n && h >= 1 && h <= g->n);
            assert_true(lo <= hi);
            if (lo != 0) {
                g->supply[t - 1] -= lo;
                g->supply[h - 1] += lo;
                g->cost_offset += lo * c;
            }
            net_add(g, (int32_t)(t - 1), (int32_t)(h - 1), hi - lo, c);
        }
    }
    gzclose(f);
    assert_true(have_p);
}

static void test_netgen(void **state)
{
    (void)state;
    int64_t opt[51];
    int have[51] = { 0 };
    FILE *f = fopen(FM_SHARED_DATA "/netgen/optima.txt", "r");
    assert_non_null(f);
    char name[64];
    long long v;
    while (fscanf(f, "%63s %lld", name, &v) == 2) {
        int id;
        if (sscanf(name, "netgen%d", &id) == 1 && id >= 101 && id <= 150) {
            opt[id - 100] = v;
            have[id - 100] = 1;
        }
    }
    fclose(f);

    double t_solve = 0;
    int64_t pivots = 0, done = 0;
    for (int id = 101; id <= 150; id++) {
        if (quick() && id % 5 != 1)
            continue;
        assert_true(have[id - 100]);
        char path[512];
        snprintf(path, sizeof path, FM_SHARED_DATA "/netgen/netgen%d.min.gz", id);
        net g;
        read_dimacs(path, &g);
        fm_mcf *m = load(&g, g.m);
        double t0 = now();
        fm_mcf_status st = fm_mcf_solve(m);
        t_solve += now() - t0;
        assert_int_equal(st, FM_MCF_OPTIMAL);
        int64_t cost = check_optimal(m, &g) + g.cost_offset;
        if (cost != opt[id - 100])
            fail_msg("netgen%d: cost %lld, published %lld", id,
                     (long long)cost, (long long)opt[id - 100]);
        pivots += fm_mcf_pivots(m);
        done++;
        fm_mcf_free(m);
        net_free(&g);
    }
    printf("    NETGEN: %lld instances, solve time %.3f s, %lld pivots\n",
           (long long)done, t_solve, (long long)pivots);
}

/* ------------------------------------------------------------------------ */
/* OR-Library assignment problems                                           */

/* All integers of a gzip'ed text file. */
static int64_t *read_ints(const char *path, int64_t *count)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    int64_t n = 0, cap = 1 << 16;
    int64_t *a = malloc((size_t)cap * sizeof *a);
    assert_non_null(a);
    char line[4096];
    while (gzgets(f, line, sizeof line)) {
        /* A number may be cut at the buffer end: keep the tail for the
         * next read by only taking lines that ended. */
        size_t len = strlen(line);
        assert_true(len + 1 < sizeof line || line[len - 1] == '\n');
        char *s = line, *e;
        for (;;) {
            long long x = strtoll(s, &e, 10);
            if (e == s)
                break;
            if (n == cap) {
                cap *= 2;
                a = realloc(a, (size_t)cap * sizeof *a);
                assert_non_null(a);
            }
            a[n++] = x;
            s = e;
        }
    }
    gzclose(f);
    *count = n;
    return a;
}

static void test_orlib(void **state)
{
    (void)state;
    FILE *f = fopen(FM_SHARED_DATA "/orlib/assignopt.txt", "r");
    assert_non_null(f);
    char line[256];
    int done = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        long long opt;
        if (sscanf(line, "%63s %lld", name, &opt) != 2 ||
            strncmp(name, "assign", 6) != 0)
            continue;
        int sparse = name[6] == 'p';
        if (quick() && strcmp(name, "assign100") && strcmp(name, "assign400") &&
            strcmp(name, "assignp800") && strcmp(name, "assignp5000"))
            continue;
        char path[512];
        snprintf(path, sizeof path, FM_SHARED_DATA "/orlib/%s.txt.gz", name);
        int64_t cnt, *a = read_ints(path, &cnt);
        int32_t n = (int32_t)a[0];
        net g;
        net_init(&g, 2 * n);
        for (int32_t i = 0; i < n; i++) {
            g.supply[i] = 1;
            g.supply[n + i] = -1;
        }
        if (sparse) {
            assert_int_equal((cnt - 1) % 3, 0);
            for (int64_t k = 1; k + 2 < cnt; k += 3) {
                assert_true(a[k] >= 1 && a[k] <= n && a[k + 1] >= 1 && a[k + 1] <= n);
                net_add(&g, (int32_t)a[k] - 1, n + (int32_t)a[k + 1] - 1, 1, a[k + 2]);
            }
        } else {
            assert_int_equal(cnt, 1 + (int64_t)n * n);
            for (int32_t i = 0; i < n; i++)
                for (int32_t j = 0; j < n; j++)
                    net_add(&g, i, n + j, 1, a[1 + (int64_t)i * n + j]);
        }
        free(a);
        fm_mcf *m = load(&g, g.m);
        double t0 = now();
        fm_mcf_status st = fm_mcf_solve(m);
        double t = now() - t0;
        assert_int_equal(st, FM_MCF_OPTIMAL);
        int64_t cost = check_optimal(m, &g);
        if (cost != opt)
            fail_msg("%s: cost %lld, published %lld", name, (long long)cost, opt);
        printf("    %-12s n=%-5d arcs=%-7lld %.3f s, %lld pivots\n", name, n,
               (long long)g.m, t, (long long)fm_mcf_pivots(m));
        fm_mcf_free(m);
        net_free(&g);
        done++;
    }
    fclose(f);
    assert_int_equal(done, quick() ? 4 : 12);
}

/* ------------------------------------------------------------------------ */
/* Random networks and an independent reference solver                      */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* A random network.  Supplies come from a random flow within capacities
 * when `feasible`, else are random (balanced); with `ring`, a ring of
 * expensive wide arcs keeps every balanced supply feasible. */
static void random_net(net *g, uint64_t seed, int32_t n, int64_t m,
                       int64_t maxcap, int64_t mincost, int64_t maxcost,
                       int feasible, int ring)
{
    uint64_t s = seed;
    net_init(g, n);
    for (int64_t a = 0; a < m; a++) {
        int32_t t = (int32_t)rng_range(&s, 0, n - 1);
        int32_t h = (int32_t)rng_range(&s, 0, n - 1);
        int64_t cap = rng_range(&s, 0, maxcap);
        int64_t cost = rng_range(&s, mincost, maxcost);
        net_add(g, t, h, cap, cost);
        if (feasible) {
            int64_t f = rng_range(&s, 0, cap);
            g->supply[t] += f;
            g->supply[h] -= f;
        }
    }
    if (!feasible && n > 1) {
        for (int32_t v = 0; v + 1 < n; v += 2) {
            int64_t x = rng_range(&s, 0, 2 * maxcap);
            g->supply[v] += x;
            g->supply[v + 1] -= x;
        }
    }
    if (ring && n > 1) {
        int64_t tot = 0;
        for (int32_t v = 0; v < n; v++)
            tot += g->supply[v] > 0 ? g->supply[v] : 0;
        for (int32_t v = 0; v < n; v++)
            net_add(g, v, (v + 1) % n, tot, 3 * (maxcost > 0 ? maxcost : 1));
    }
}

/* Successive shortest paths with Bellman-Ford, for small networks: negative
 * arcs are saturated first, so the residual network never has a negative
 * cycle.  Returns 1 and the cost if feasible, 0 if not. */
static int reference(const net *g, int64_t *cost_out)
{
    int32_t n = g->n;
    int64_t m = g->m;
    int64_t *flow = calloc((size_t)m + 1, sizeof *flow);
    int64_t *ex = calloc((size_t)n + 1, sizeof *ex);
    int64_t *dist = malloc(((size_t)n + 1) * sizeof *dist);
    int64_t *pe = malloc(((size_t)n + 1) * sizeof *pe);
    assert_true(flow && ex && dist && pe);
    for (int32_t v = 0; v < n; v++)
        ex[v] = g->supply[v];
    for (int64_t a = 0; a < m; a++)
        if (g->cost[a] < 0) {
            flow[a] = cap_of(g->cap[a]);
            ex[g->tail[a]] -= flow[a];
            ex[g->head[a]] += flow[a];
        }
    const int64_t INF = INT64_MAX / 4;
    int ok = 1;
    for (;;) {
        int any = 0;
        for (int32_t v = 0; v < n; v++) {
            dist[v] = ex[v] > 0 ? 0 : INF;
            pe[v] = -1;
            any |= ex[v] > 0;
        }
        if (!any)
            break;
        for (int32_t it = 0; it < n; it++) {
            int changed = 0;
            for (int64_t r = 0; r < 2 * m; r++) {
                int64_t a = r / 2;
                int fwd = r % 2 == 0;
                int32_t u = fwd ? g->tail[a] : g->head[a];
                int32_t w = fwd ? g->head[a] : g->tail[a];
                int64_t res = fwd ? cap_of(g->cap[a]) - flow[a] : flow[a];
                int64_t c = fwd ? g->cost[a] : -g->cost[a];
                if (res > 0 && dist[u] < INF && dist[u] + c < dist[w]) {
                    dist[w] = dist[u] + c;
                    pe[w] = r;
                    changed = 1;
                }
            }
            if (!changed)
                break;
        }
        int32_t t = -1;
        for (int32_t v = 0; v < n; v++)
            if (ex[v] < 0 && dist[v] < INF && (t < 0 || dist[v] < dist[t]))
                t = v;
        if (t < 0) {
            ok = 0;
            break;
        }
        /* Bottleneck along the path back to a source. */
        int64_t d = -ex[t];
        int32_t v = t;
        while (pe[v] >= 0) {
            int64_t r = pe[v], a = r / 2;
            int64_t res = r % 2 == 0 ? cap_of(g->cap[a]) - flow[a] : flow[a];
            if (res < d)
                d = res;
            v = r % 2 == 0 ? g->tail[a] : g->head[a];
        }
        if (ex[v] < d)
            d = ex[v];
        v = t;
        while (pe[v] >= 0) {
            int64_t r = pe[v], a = r / 2;
            flow[a] += r % 2 == 0 ? d : -d;
            v = r % 2 == 0 ? g->tail[a] : g->head[a];
        }
        ex[v] -= d;
        ex[t] += d;
    }
    int64_t c = 0;
    for (int64_t a = 0; a < m; a++)
        c += flow[a] * g->cost[a];
    *cost_out = c;
    free(flow);
    free(ex);
    free(dist);
    free(pe);
    return ok;
}

/* The network of arcs [0, upto) of g, for check_optimal on a partial
 * network (shares g's arrays). */
static net prefix(const net *g, int64_t upto)
{
    net p = *g;
    p.m = upto;
    return p;
}

static void test_small_vs_reference(void **state)
{
    (void)state;
    int feasible_seen = 0, infeasible_seen = 0;
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        uint64_t s = seed * 7919;
        int32_t n = (int32_t)rng_range(&s, 1, 12);
        int64_t m = rng_range(&s, 0, 40);
        int feas = (int)rng_range(&s, 0, 3) != 0;
        net g;
        random_net(&g, seed, n, m, rng_range(&s, 0, 6), -10, 10, feas, 0);
        int64_t ref_cost = 0;
        int ref_ok = reference(&g, &ref_cost);
        if (feas)
            assert_true(ref_ok);

        /* From scratch. */
        fm_mcf *mc = load(&g, g.m);
        fm_mcf_status st = fm_mcf_solve(mc);
        if (ref_ok) {
            feasible_seen++;
            assert_int_equal(st, FM_MCF_OPTIMAL);
            assert_int_equal(check_optimal(mc, &g), ref_cost);
        } else {
            infeasible_seen++;
            assert_int_equal(st, FM_MCF_INFEASIBLE);
        }
        fm_mcf_free(mc);

        /* Warm: a third of the arcs, then the rest in two batches. */
        int64_t cut1 = g.m / 3, cut2 = 2 * g.m / 3;
        fm_mcf *mw = load(&g, cut1);
        st = fm_mcf_solve(mw);
        assert_true(st == FM_MCF_OPTIMAL || st == FM_MCF_INFEASIBLE);
        net p1 = prefix(&g, cut1), p2 = prefix(&g, cut2);
        if (st == FM_MCF_OPTIMAL)
            check_optimal(mw, &p1);
        for (int64_t a = cut1; a < cut2; a++)
            assert_int_equal(fm_mcf_add_arc(mw, g.tail[a], g.head[a], g.cap[a], g.cost[a]), a);
        st = fm_mcf_solve(mw);
        assert_true(st == FM_MCF_OPTIMAL || st == FM_MCF_INFEASIBLE);
        if (st == FM_MCF_OPTIMAL)
            check_optimal(mw, &p2);
        for (int64_t a = cut2; a < g.m; a++)
            assert_int_equal(fm_mcf_add_arc(mw, g.tail[a], g.head[a], g.cap[a], g.cost[a]), a);
        st = fm_mcf_solve(mw);
        if (ref_ok) {
            assert_int_equal(st, FM_MCF_OPTIMAL);
            assert_int_equal(check_optimal(mw, &g), ref_cost);
        } else {
            assert_int_equal(st, FM_MCF_INFEASIBLE);
        }
        fm_mcf_free(mw);
        net_free(&g);
    }
    assert_true(feasible_seen > 1000 && infeasible_seen > 100);
}

/* ------------------------------------------------------------------------ */
/* Warm restart on medium networks                                          */

static void test_warm_restart(void **state)
{
    (void)state;
    static const struct { int32_t n; int64_t m; } sizes[] = {
        { 50, 400 }, { 300, 3000 }, { 2000, 20000 }, { 5000, 60000 },
    };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (uint64_t seed = 1; seed <= (si < 2 ? 10u : si == 2 ? 3u : 1u); seed++) {
            int32_t n = sizes[si].n;
            net g;
            random_net(&g, 1000 * si + seed, n, sizes[si].m, 50, -20, 100, 1, 1);
            /* Put the ring first so every prefix is feasible. */
            int64_t ring0 = g.m - n;
            net h;
            net_init(&h, n);
            memcpy(h.supply, g.supply, (size_t)n * sizeof *h.supply);
            for (int64_t a = ring0; a < g.m; a++)
                net_add(&h, g.tail[a], g.head[a], g.cap[a], g.cost[a]);
            for (int64_t a = 0; a < ring0; a++)
                net_add(&h, g.tail[a], g.head[a], g.cap[a], g.cost[a]);
            net_free(&g);

            fm_mcf *full = load(&h, h.m);
            assert_int_equal(fm_mcf_solve(full), FM_MCF_OPTIMAL);
            int64_t best = check_optimal(full, &h);
            int64_t full_pivots = fm_mcf_pivots(full);
            fm_mcf_free(full);

            /* (a) a quarter of the arcs, then all the rest at once. */
            int64_t first = n + (h.m - n) / 4;
            fm_mcf *w = load(&h, first);
            assert_int_equal(fm_mcf_solve(w), FM_MCF_OPTIMAL);
            net p = prefix(&h, first);
            check_optimal(w, &p);
            int64_t piv1 = fm_mcf_pivots(w);
            for (int64_t a = first; a < h.m; a++)
                assert_int_equal(fm_mcf_add_arc(w, h.tail[a], h.head[a], h.cap[a], h.cost[a]), a);
            assert_int_equal(fm_mcf_solve(w), FM_MCF_OPTIMAL);
            assert_int_equal(check_optimal(w, &h), best);
            int64_t piv2 = fm_mcf_pivots(w) - piv1;
            fm_mcf_free(w);

            /* (b) column generation: start with the ring and a tenth, add
             * the arcs that price out, until none does. */
            int64_t start = n + (h.m - n) / 10;
            net cg;
            net_init(&cg, n);
            memcpy(cg.supply, h.supply, (size_t)n * sizeof *cg.supply);
            char *in = calloc((size_t)h.m, 1);
            assert_non_null(in);
            for (int64_t a = 0; a < start; a++) {
                net_add(&cg, h.tail[a], h.head[a], h.cap[a], h.cost[a]);
                in[a] = 1;
            }
            fm_mcf *c = load(&cg, cg.m);
            int rounds = 0;
            for (;;) {
                assert_int_equal(fm_mcf_solve(c), FM_MCF_OPTIMAL);
                check_optimal(c, &cg);
                rounds++;
                int64_t added = 0;
                for (int64_t a = start; a < h.m; a++) {
                    if (in[a])
                        continue;
                    int64_t rc = h.cost[a] + fm_mcf_potential(c, h.tail[a]) -
                                 fm_mcf_potential(c, h.head[a]);
                    if (rc < 0 && h.cap[a] > 0) {
                        assert_int_equal(fm_mcf_add_arc(c, h.tail[a], h.head[a], h.cap[a], h.cost[a]), cg.m);
                        net_add(&cg, h.tail[a], h.head[a], h.cap[a], h.cost[a]);
                        in[a] = 1;
                        added++;
                    }
                }
                if (added == 0)
                    break;
                assert_true(rounds < 100);
            }
            assert_int_equal(check_optimal(c, &cg), best);
            if (si == 3 && seed == 1)
                printf("    warm n=%d m=%lld: scratch %lld pivots; quarter+rest "
                       "%lld+%lld; column generation %d rounds, %lld of %lld "
                       "arcs, %lld pivots\n", n, (long long)h.m,
                       (long long)full_pivots, (long long)piv1, (long long)piv2,
                       rounds, (long long)cg.m, (long long)h.m,
                       (long long)fm_mcf_pivots(c));
            fm_mcf_free(c);
            free(in);
            net_free(&cg);
            net_free(&h);
        }
    }
}

/* A starting flow (fm_mcf_set_start_flow): basic ones (another cost
 * vector's optimum, or a random forest of interior arcs with the rest at a
 * bound) start warm; a flow whose interior arcs close cycles, or one that
 * breaks a supply or a capacity, falls back to the cold start.  Every solve
 * must reach the cold optimum. */
static void test_start_flow(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t r = 7000 + seed;
        int32_t n = (int32_t)rng_range(&r, 2, seed <= 30 ? 40 : 3000);
        int64_t m = rng_range(&r, n, 8 * (int64_t)n);
        int kind = (int)(seed % 4);   /* 0 other optimum, 1 forest, 2 cyclic, 3 broken */
        net g;
        net_init(&g, n);
        int64_t *flow = calloc((size_t)m + 1, sizeof *flow);
        int32_t *uf = malloc((size_t)n * sizeof *uf);
        assert_true(flow && uf);
        for (int32_t v = 0; v < n; v++)
            uf[v] = v;
        for (int64_t a = 0; a < m; a++) {
            int32_t t = (int32_t)rng_range(&r, 0, n - 1);
            int32_t h = (int32_t)rng_range(&r, 0, n - 1);
            int64_t cap = rng_range(&r, 0, 9);
            net_add(&g, t, h, cap, rng_range(&r, -20, 60));
            int32_t ra = t, rb = h;
            while (uf[ra] != ra)
                ra = uf[ra];
            while (uf[rb] != rb)
                rb = uf[rb];
            if (kind == 2 || (ra != rb && rng_range(&r, 0, 1))) {
                uf[ra] = rb;                   /* (cyclic: any arc may be interior) */
                flow[a] = cap > 1 ? rng_range(&r, 1, cap - 1) : cap;
            } else {
                flow[a] = rng_range(&r, 0, 1) ? cap : 0;
            }
            g.supply[t] += flow[a];
            g.supply[h] -= flow[a];
        }
        fm_mcf *cold = load(&g, g.m);
        assert_int_equal(fm_mcf_solve(cold), FM_MCF_OPTIMAL);
        int64_t best = check_optimal(cold, &g);
        if (kind == 0) {                       /* start from the optimum of other costs */
            net o;
            net_init(&o, n);
            memcpy(o.supply, g.supply, (size_t)n * sizeof *o.supply);
            for (int64_t a = 0; a < g.m; a++)
                net_add(&o, g.tail[a], g.head[a], g.cap[a], rng_range(&r, -30, 30));
            fm_mcf *other = load(&o, o.m);
            assert_int_equal(fm_mcf_solve(other), FM_MCF_OPTIMAL);
            for (int64_t a = 0; a < m; a++)
                flow[a] = fm_mcf_flow(other, a);
            fm_mcf_free(other);
            net_free(&o);
        } else if (kind == 3) {
            flow[rng_range(&r, 0, m - 1)] += 1;  /* a supply no longer met */
        }
        fm_mcf *warm = load(&g, g.m);
        for (int64_t a = 0; a < m; a++)
            fm_mcf_set_start_flow(warm, a, flow[a]);
        assert_int_equal(fm_mcf_solve(warm), FM_MCF_OPTIMAL);
        assert_int_equal(check_optimal(warm, &g), best);
        /* A warm basis carries on after more arcs, as column generation needs. */
        int32_t t = (int32_t)rng_range(&r, 0, n - 1), h = (int32_t)rng_range(&r, 0, n - 1);
        net_add(&g, t, h, 5, -100);
        assert_int_equal(fm_mcf_add_arc(warm, t, h, 5, -100), g.m - 1);
        assert_int_equal(fm_mcf_add_arc(cold, t, h, 5, -100), g.m - 1);
        assert_int_equal(fm_mcf_solve(warm), FM_MCF_OPTIMAL);
        assert_int_equal(fm_mcf_solve(cold), FM_MCF_OPTIMAL);
        assert_int_equal(check_optimal(warm, &g), check_optimal(cold, &g));
        fm_mcf_free(warm);
        fm_mcf_free(cold);
        free(flow);
        free(uf);
        net_free(&g);
    }
}

/* A later solve seeing much bigger costs (the big-M side must cope), and
 * costs at the documented limit |cost| * (n + 1) <= INT64_MAX. */
static void test_cost_range(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        int32_t n = 2 + (int32_t)(seed % 9);
        net g;
        random_net(&g, seed + 500, n, 4 * n, 3, -5, 5, 1, 0);
        int64_t ref = 0;
        assert_true(reference(&g, &ref));

        /* Scaled so max |cost| = 5k is right at the limit: the optimal flows
         * are the same, so the cost in the small units must be ref. */
        int64_t k = INT64_MAX / (n + 1) / 5;
        net big = g;
        big.cost = malloc((size_t)g.m * sizeof *big.cost);
        assert_non_null(big.cost);
        for (int64_t a = 0; a < g.m; a++)
            big.cost[a] = g.cost[a] * k;
        fm_mcf *m = load(&big, g.m);
        assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
        int64_t small = 0;
        for (int64_t a = 0; a < g.m; a++)
            small += fm_mcf_flow(m, a) * g.cost[a];
        assert_int_equal(small, ref);
        for (int32_t v = 0; v < n; v++) {
            int64_t p = fm_mcf_potential(m, v);
            assert_true(p <= (n - 1) * 5 * k && p >= -(n - 1) * 5 * k);
        }
        fm_mcf_free(m);

        /* Small costs first, the big ones added after a solve. */
        m = fm_mcf_new(n, 0);
        for (int32_t v = 0; v < n; v++)
            fm_mcf_set_supply(m, v, g.supply[v]);
        int64_t half = g.m / 2;
        for (int64_t a = 0; a < half; a++)
            fm_mcf_add_arc(m, g.tail[a], g.head[a], g.cap[a], g.cost[a] > 0 ? 1 : g.cost[a] < 0 ? -1 : 0);
        fm_mcf_status st = fm_mcf_solve(m);
        assert_true(st == FM_MCF_OPTIMAL || st == FM_MCF_INFEASIBLE);
        /* The rest with costs up to the limit, and a ring-free feasible
         * network again: compare against the reference on the union. */
        net u;
        net_init(&u, n);
        memcpy(u.supply, g.supply, (size_t)n * sizeof *u.supply);
        for (int64_t a = 0; a < half; a++)
            net_add(&u, g.tail[a], g.head[a], g.cap[a], g.cost[a] > 0 ? 1 : g.cost[a] < 0 ? -1 : 0);
        for (int64_t a = half; a < g.m; a++) {
            net_add(&u, g.tail[a], g.head[a], g.cap[a], big.cost[a]);
            fm_mcf_add_arc(m, g.tail[a], g.head[a], g.cap[a], big.cost[a]);
        }
        assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
        /* Compare with a scratch solve (the reference would overflow). */
        fm_mcf *s = load(&u, u.m);
        assert_int_equal(fm_mcf_solve(s), FM_MCF_OPTIMAL);
        /* Same cost: compare in two parts so nothing overflows. */
        int64_t a_small = 0, a_big = 0, b_small = 0, b_big = 0;
        for (int64_t a = 0; a < u.m; a++) {
            if (a < half) {
                a_small += fm_mcf_flow(m, a) * u.cost[a];
                b_small += fm_mcf_flow(s, a) * u.cost[a];
            } else {
                a_big += fm_mcf_flow(m, a) * g.cost[a];
                b_big += fm_mcf_flow(s, a) * g.cost[a];
            }
        }
        /* Big units dominate: equal counts of them, then equal small. */
        assert_int_equal(a_big, b_big);
        assert_int_equal(a_small, b_small);
        fm_mcf_free(s);
        fm_mcf_free(m);
        net_free(&u);
        free(big.cost);
        net_free(&g);
    }
}

/* ------------------------------------------------------------------------ */
/* Edge cases                                                               */

static void test_empty(void **state)
{
    (void)state;
    assert_null(fm_mcf_new(-1, 0));
    fm_mcf *m = fm_mcf_new(0, 0);
    assert_non_null(m);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(fm_mcf_arc_count(m), 0);
    assert_int_equal(fm_mcf_node_count(m), 0);
    assert_int_equal(fm_mcf_add_arc(m, 0, 0, 1, 1), -1);
    fm_mcf_free(m);
    fm_mcf_free(NULL);

    /* Nodes, no arcs, no supply. */
    m = fm_mcf_new(5, 0);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(fm_mcf_pivots(m), 0);
    for (int32_t v = 0; v < 5; v++)
        assert_int_equal(fm_mcf_potential(m, v), 0);
    assert_int_equal(fm_mcf_add_arc(m, 0, 5, 1, 1), -1);
    assert_int_equal(fm_mcf_add_arc(m, -1, 0, 1, 1), -1);
    assert_int_equal(fm_mcf_add_arc(m, 0, 4, 1, 1), 0);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(fm_mcf_flow(m, 0), 0);
    assert_int_equal(fm_mcf_flow(m, 1), 0);   /* out of range: 0 */
    fm_mcf_free(m);
}

static void test_infeasible(void **state)
{
    (void)state;
    /* Unbalanced supplies. */
    fm_mcf *m = fm_mcf_new(3, 0);
    fm_mcf_set_supply(m, 0, 2);
    fm_mcf_set_supply(m, 2, -1);
    fm_mcf_add_arc(m, 0, 2, 5, 1);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_INFEASIBLE);
    /* Balanced now: solvable. */
    fm_mcf_set_supply(m, 2, -2);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(fm_mcf_flow(m, 0), 2);
    fm_mcf_free(m);

    /* Balanced, but capacity 1 short; an extra arc fixes it and the warm
     * solve finds the optimum. */
    net g;
    net_init(&g, 3);
    g.supply[0] = 3;
    g.supply[2] = -3;
    net_add(&g, 0, 1, 2, 1);
    net_add(&g, 1, 2, 5, 1);
    m = load(&g, g.m);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_INFEASIBLE);
    net_add(&g, 0, 2, 1, 10);
    assert_int_equal(fm_mcf_add_arc(m, 0, 2, 1, 10), 2);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(check_optimal(m, &g), 2 * 2 + 10);
    fm_mcf_free(m);
    net_free(&g);

    /* Disconnected demand; overflowing supplies. */
    m = fm_mcf_new(4, 0);
    fm_mcf_set_supply(m, 0, 1);
    fm_mcf_set_supply(m, 3, -1);
    fm_mcf_add_arc(m, 0, 1, 1, 0);
    fm_mcf_add_arc(m, 2, 3, 1, 0);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_INFEASIBLE);
    fm_mcf_set_supply(m, 0, INT64_MAX);
    fm_mcf_set_supply(m, 1, INT64_MAX);
    fm_mcf_set_supply(m, 2, INT64_MIN);
    fm_mcf_set_supply(m, 3, INT64_MIN);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_INFEASIBLE);
    fm_mcf_free(m);
}

static void test_negative_parallel_zero(void **state)
{
    (void)state;
    net g;
    net_init(&g, 4);
    g.supply[0] = 4;
    g.supply[3] = -4;
    net_add(&g, 0, 1, 3, 2);     /* parallel 0->1 arcs */
    net_add(&g, 0, 1, 3, 5);
    net_add(&g, 0, 1, 10, -1);   /* zero capacity, negative cost */
    g.cap[2] = 0;
    net_add(&g, 1, 3, 10, -3);   /* negative cost */
    net_add(&g, 0, 2, 10, 4);
    net_add(&g, 2, 3, 10, 0);
    net_add(&g, 1, 2, 2, -7);    /* negative cycle 1->2->1, finite */
    net_add(&g, 2, 1, 2, 1);
    net_add(&g, 3, 3, 4, -2);    /* negative self-loop */
    fm_mcf *m = load(&g, g.m);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    int64_t cost = check_optimal(m, &g);
    int64_t ref;
    assert_true(reference(&g, &ref));
    assert_int_equal(cost, ref);
    assert_int_equal(fm_mcf_flow(m, 2), 0);
    assert_int_equal(fm_mcf_flow(m, 8), 4);
    fm_mcf_free(m);
    net_free(&g);
}

static void test_unbounded(void **state)
{
    (void)state;
    fm_mcf *m = fm_mcf_new(3, 0);
    fm_mcf_set_supply(m, 0, 1);
    fm_mcf_set_supply(m, 2, -1);
    fm_mcf_add_arc(m, 0, 2, 1, 1);
    fm_mcf_add_arc(m, 1, 2, FM_MCF_CAP_INF, -2);
    fm_mcf_add_arc(m, 2, 1, INT64_MAX, 1);     /* cut to FM_MCF_CAP_INF */
    assert_int_equal(fm_mcf_solve(m), FM_MCF_UNBOUNDED);
    fm_mcf_free(m);

    /* The same cycle with one finite arc: saturated. */
    m = fm_mcf_new(3, 0);
    fm_mcf_set_supply(m, 0, 1);
    fm_mcf_set_supply(m, 2, -1);
    fm_mcf_add_arc(m, 0, 2, 1, 1);
    fm_mcf_add_arc(m, 1, 2, FM_MCF_CAP_INF, -2);
    fm_mcf_add_arc(m, 2, 1, 1000, 1);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(fm_mcf_flow(m, 1), 1000);
    assert_int_equal(fm_mcf_flow(m, 2), 1000);
    fm_mcf_free(m);

    /* An unbounded negative self-loop. */
    m = fm_mcf_new(1, 0);
    fm_mcf_add_arc(m, 0, 0, FM_MCF_CAP_INF, -1);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_UNBOUNDED);
    fm_mcf_free(m);
}

static int stop_calls;
static int stop_first(void *arg)
{
    (void)arg;
    stop_calls++;
    return 1;
}
static int stop_never(void *arg)
{
    int *calls = arg;
    (*calls)++;
    return 0;
}

static void test_stop(void **state)
{
    (void)state;
    net g;
    random_net(&g, 77, 3000, 40000, 20, -5, 100, 1, 1);
    fm_mcf *ref = load(&g, g.m);
    int calls = 0;
    fm_mcf_set_stop(ref, stop_never, &calls);
    assert_int_equal(fm_mcf_solve(ref), FM_MCF_OPTIMAL);
    int64_t best = check_optimal(ref, &g);
    int64_t piv = fm_mcf_pivots(ref);
    assert_true(piv > 3 * 4096);
    assert_true(calls >= 2 && calls <= piv / 4096);

    fm_mcf *m = load(&g, g.m);
    stop_calls = 0;
    fm_mcf_set_stop(m, stop_first, NULL);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_STOPPED);
    assert_int_equal(stop_calls, 1);
    assert_true(fm_mcf_pivots(m) >= 4096 && fm_mcf_pivots(m) < piv);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_STOPPED);   /* continues */
    assert_int_equal(stop_calls, 2);
    fm_mcf_set_stop(m, NULL, NULL);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    assert_int_equal(check_optimal(m, &g), best);
    /* The same calls give the same pivots. */
    assert_int_equal(fm_mcf_pivots(m), piv);
    for (int64_t a = 0; a < g.m; a++)
        assert_int_equal(fm_mcf_flow(m, a), fm_mcf_flow(ref, a));
    fm_mcf_free(m);
    fm_mcf_free(ref);
    net_free(&g);
}

/* A supply changed after a solve: the next solve starts afresh. */
static void test_supply_change(void **state)
{
    (void)state;
    net g;
    random_net(&g, 99, 200, 2000, 30, -10, 50, 1, 1);
    fm_mcf *m = load(&g, g.m);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    check_optimal(m, &g);
    g.supply[0] += 5;
    g.supply[1] -= 5;
    fm_mcf_set_supply(m, 0, g.supply[0]);
    fm_mcf_set_supply(m, 1, g.supply[1]);
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    int64_t c = check_optimal(m, &g);
    fm_mcf *s = load(&g, g.m);
    assert_int_equal(fm_mcf_solve(s), FM_MCF_OPTIMAL);
    assert_int_equal(check_optimal(s, &g), c);
    fm_mcf_free(s);
    fm_mcf_free(m);
    net_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_infeasible),
        cmocka_unit_test(test_negative_parallel_zero),
        cmocka_unit_test(test_unbounded),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_supply_change),
        cmocka_unit_test(test_small_vs_reference),
        cmocka_unit_test(test_cost_range),
        cmocka_unit_test(test_warm_restart),
        cmocka_unit_test(test_start_flow),
        cmocka_unit_test(test_netgen),
        cmocka_unit_test(test_orlib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
