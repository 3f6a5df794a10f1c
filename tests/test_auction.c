/*
 * test_auction.c - the level-4 start (solver/auction.c) on random regions:
 * its assignment keeps the tier counts of levels 1-3 exactly, respects
 * every capacity and reserve, uses only pairs the student may use, and its
 * hints are such pairs; a stop request or a failed allocation leaves the
 * assignment as it was and nothing allocated; and level 4 started from it
 * still reaches the optimum of the whole network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_faults.h"
#include "auction.h"
#include "candidates.h"
#include "counts.h"
#include "mcf.h"
#include "pools.h"
#include "utility.h"

#define DATE 20270614
#define HINTS 3

typedef struct fixture {
    fm_region r;
    fm_cands c;
    fm_pools p;
    fm_assign a;
    fm_cuts cuts;
    int64_t counts[3];
} fixture;

static uint64_t rng = 11;
static int pick(int n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((rng >> 33) % (uint64_t)n);
}

/* A random region: 1-40 placements of 1-4 seats, some with reserves, one
 * in five virtual; 1-120 students of all tiers with 1-3 sectors. */
static void build(fixture *f)
{
    char ref[32];
    fm_region_init(&f->r);
    int32_t sec[4] = { fm_region_intern_sector(&f->r, "law"),
                       fm_region_intern_sector(&f->r, "it"),
                       fm_region_intern_sector(&f->r, "health"),
                       fm_region_intern_sector(&f->r, "arts") };
    int32_t emp = fm_region_intern_employer(&f->r, "E1");
    int32_t sch = fm_region_intern_school(&f->r, "K1");
    int n_placements = 1 + pick(40), n_students = 1 + pick(120);
    for (int i = 0; i < n_placements; i++) {
        snprintf(ref, sizeof ref, "P%d", i);
        fm_placement p = { .ref = ref, .employer = emp, .title = "",
                           .sector = (int16_t)sec[pick(4)], .capacity = 1 + pick(4),
                           .lat = 52.0 + 0.01 * pick(30), .lon = 0.01 * pick(30),
                           .has_location = 1, .is_virtual = pick(5) == 0, .min_age = 14,
                           .reserve_pct = pick(3) == 0 ? 25 * (1 + pick(4)) : 0 };
        assert_true(fm_region_add_placement(&f->r, &p) >= 0);
    }
    for (int i = 0; i < n_students; i++) {
        snprintf(ref, sizeof ref, "S%d", i);
        fm_student s = { .ref = ref, .school = sch, .birth_date = 20110101,
                         .lat = 52.0 + 0.01 * pick(30), .lon = 0.01 * pick(30),
                         .max_travel_km = 3 + pick(30), .wants_placement = 1,
                         .low_income = pick(3) == 0, .gifted = pick(4) == 0,
                         .looked_after = pick(10) == 0, .n_sectors = (int8_t)(1 + pick(3)),
                         .sectors = { (int16_t)sec[0], (int16_t)sec[1], (int16_t)sec[2] } };
        for (int k = 0; k < s.n_sectors; k++)   /* distinct sectors in a random order */
            s.sectors[k] = (int16_t)sec[(i + k) % 4];
        assert_true(fm_region_add_student(&f->r, &s) >= 0);
    }
    fm_error err;
    assert_int_equal(fm_cands_build_placements(&f->r, DATE, &f->c, &err), FM_OK);
    assert_int_equal(fm_pools_init(&f->p, &f->r, &f->c, 0), FM_OK);
    assert_int_equal(fm_assign_init(&f->a, &f->p), FM_OK);
    assert_int_equal(fm_counts_solve(&f->p, &f->a, f->counts, &f->cuts, NULL, NULL), FM_OK);
}

static void teardown_fixture(fixture *f)
{
    fm_cuts_free(&f->cuts);
    fm_assign_free(&f->a);
    fm_pools_free(&f->p);
    fm_cands_free(&f->c);
    fm_region_free(&f->r);
}

/* Edge e is one of student s's and leads to a pool s may use. */
static int usable(const fixture *f, int32_t s, int64_t e)
{
    return e >= 2 * f->c.start[s] && e < 2 * f->c.start[s + 1] &&
           fm_pools_edge_pool(&f->p, e, f->p.tier[s]) >= 0;
}

static void copy_assign(const fixture *f, fm_assign *to)
{
    assert_int_equal(fm_assign_init(to, &f->p), FM_OK);
    memcpy(to->edge, f->a.edge, (size_t)f->p.n_students * sizeof *to->edge);
    memcpy(to->load, f->a.load, (size_t)f->p.n_pools * sizeof *to->load);
}

static void assert_same_assign(const fixture *f, const fm_assign *b)
{
    assert_memory_equal(b->edge, f->a.edge, (size_t)f->p.n_students * sizeof *b->edge);
    assert_memory_equal(b->load, f->a.load, (size_t)f->p.n_pools * sizeof *b->load);
}

static void keeps_counts_and_capacities(void **state)
{
    (void)state;
    for (int round = 0; round < 300; round++) {
        fixture f;
        build(&f);
        fm_assign b;
        copy_assign(&f, &b);
        int64_t *hints = malloc(((size_t)f.p.n_students + 1) * HINTS * sizeof *hints);
        assert_non_null(hints);
        fm_auction_stats st;
        assert_int_equal(fm_auction_start(&f.p, f.counts, &b, hints, HINTS, &st, NULL, NULL),
                         FM_OK);
        int64_t placed[3] = { 0, 0, 0 };
        int32_t *load = calloc((size_t)f.p.n_pools + 1, sizeof *load);
        assert_non_null(load);
        for (int32_t s = 0; s < f.p.n_students; s++) {
            if (b.edge[s] >= 0) {
                assert_true(usable(&f, s, b.edge[s]));
                load[fm_pools_edge_pool(&f.p, b.edge[s], f.p.tier[s])]++;
                placed[f.p.tier[s] - 1]++;
            }
            for (int k = 0; k < HINTS; k++) {
                int64_t e = hints[(size_t)s * HINTS + k];
                assert_true(e == -1 || usable(&f, s, e));
            }
        }
        for (int32_t q = 0; q < f.p.n_pools; q++) {
            assert_int_equal(load[q], b.load[q]);
            assert_true(load[q] <= f.p.cap[q]);
        }
        for (int t = 0; t < 3; t++)
            assert_int_equal(placed[t], f.counts[t]);
        if (f.counts[0] + f.counts[1] + f.counts[2] > 0)
            assert_true(st.phases >= 1 && st.bids > 0);
        free(load);
        free(hints);
        fm_assign_free(&b);
        teardown_fixture(&f);
    }
}

static int stop_now(void *arg)
{
    (void)arg;
    return 1;
}

static void stop_leaves_assignment(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    fm_assign b;
    copy_assign(&f, &b);
    fm_auction_stats st;
    assert_int_equal(fm_auction_start(&f.p, f.counts, &b, NULL, 0, &st, stop_now, NULL),
                     FM_ECANCELLED);
    assert_same_assign(&f, &b);
    fm_assign_free(&b);
    teardown_fixture(&f);
}

static void failed_allocation_leaves_assignment(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    fm_assign b;
    copy_assign(&f, &b);
    for (long n = 1;; n++) {
        long live0 = fault_live;
        fm_auction_stats st;
        fault_arm(n);
        int rc = fm_auction_start(&f.p, f.counts, &b, NULL, 0, &st, NULL, NULL);
        int did_fail = fault_failed;
        fault_arm(0);
        assert_int_equal(fault_live, live0);
        if (!did_fail) {
            assert_int_equal(rc, FM_OK);
            break;
        }
        assert_int_equal(rc, FM_ENOMEM);
        assert_same_assign(&f, &b);
    }
    fm_assign_free(&b);
    teardown_fixture(&f);
}

/* The largest utility with the counts of levels 1-3: every usable pair in
 * one network, solved cold by the simplex, without utility.c's pricing. */
static int64_t full_network_utility(const fixture *f)
{
    const fm_pools *p = &f->p;
    fm_mcf *m = fm_mcf_new(FM_UNODE_POOL(p, p->n_pools), 0);
    assert_non_null(m);
    for (int t = 1; t <= 3; t++)
        fm_mcf_set_supply(m, FM_UNODE_TIER(t), f->counts[t - 1]);
    fm_mcf_set_supply(m, FM_UNODE_SINK, -(f->counts[0] + f->counts[1] + f->counts[2]));
    for (int32_t q = 0; q < p->n_pools; q++)
        assert_true(fm_mcf_add_arc(m, FM_UNODE_POOL(p, q), FM_UNODE_SINK, p->cap[q], 0) >= 0);
    int64_t first_pair_arc = fm_mcf_arc_count(m) + p->n_students;
    for (int32_t s = 0; s < p->n_students; s++)
        assert_true(fm_mcf_add_arc(m, FM_UNODE_TIER(p->tier[s]), FM_UNODE_STUDENT(s), 1, 0) >= 0);
    int64_t *utility = malloc(((size_t)f->c.n_pairs * 2 + 1) * sizeof *utility);
    assert_non_null(utility);
    int64_t n_pair_arcs = 0;
    for (int32_t s = 0; s < p->n_students; s++)
        for (int64_t e = 2 * f->c.start[s]; e < 2 * f->c.start[s + 1]; e++) {
            int32_t q = fm_pools_edge_pool(p, e, p->tier[s]);
            if (q < 0)
                continue;
            int u = f->c.utility[e >> 1];
            assert_true(fm_mcf_add_arc(m, FM_UNODE_STUDENT(s), FM_UNODE_POOL(p, q), 1,
                                       FM_UTILITY_MAX - u) >= 0);
            utility[n_pair_arcs++] = u;
        }
    assert_int_equal(fm_mcf_solve(m), FM_MCF_OPTIMAL);
    int64_t total = 0;
    for (int64_t k = 0; k < n_pair_arcs; k++)
        total += fm_mcf_flow(m, first_pair_arc + k) * utility[k];
    free(utility);
    fm_mcf_free(m);
    return total;
}

/* Level 4, which starts from the auction, reaches the optimum of the full
 * network with the counts unchanged. */
static void level4_reaches_the_optimum(void **state)
{
    (void)state;
    for (int round = 0; round < 150; round++) {
        fixture f;
        build(&f);
        int64_t best = full_network_utility(&f);
        int64_t *pot = NULL;
        fm_utility_stats st;
        assert_int_equal(fm_utility_solve(&f.p, &f.a, f.counts, &pot, &st, 1, NULL, NULL), FM_OK);
        int64_t placed[3] = { 0, 0, 0 }, total = 0;
        for (int32_t s = 0; s < f.p.n_students; s++)
            if (f.a.edge[s] >= 0) {
                placed[f.p.tier[s] - 1]++;
                total += f.c.utility[f.a.edge[s] >> 1];
            }
        for (int t = 0; t < 3; t++)
            assert_int_equal(placed[t], f.counts[t]);
        assert_int_equal(total, best);
        free(pot);
        teardown_fixture(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_counts_and_capacities),
        cmocka_unit_test(stop_leaves_assignment),
        cmocka_unit_test(failed_allocation_leaves_assignment),
        cmocka_unit_test(level4_reaches_the_optimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
