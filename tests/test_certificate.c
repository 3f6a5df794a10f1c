/*
 * test_certificate.c - the independent checker accepts the solver's own
 * proof and rejects every kind of tampering: a worse or infeasible
 * assignment, an ineligible pair, a cut that is not tight, potentials that
 * are not dual-optimal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "certificate.h"
#include "counts.h"
#include "pools.h"
#include "utility.h"

#define DATE 20270614

typedef struct fixture {
    fm_region r;
    fm_cands c;
    fm_pools p;
    fm_assign a;
    fm_cuts cuts;
    int64_t *pot;
    int64_t counts[3];
} fixture;

static uint64_t rng = 7;
static int pick(int n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((rng >> 33) % (uint64_t)n);
}

/* A small region with reserves and all three tiers; seats are scarce unless
 * `roomy`. */
static void build_region(fixture *f, int roomy)
{
    char ref[32];
    fm_region_init(&f->r);
    int32_t sec[3] = { fm_region_intern_sector(&f->r, "law"),
                       fm_region_intern_sector(&f->r, "it"),
                       fm_region_intern_sector(&f->r, "health") };
    int32_t emp = fm_region_intern_employer(&f->r, "E1");
    int32_t sch = fm_region_intern_school(&f->r, "K1");
    for (int i = 0; i < 12; i++) {
        snprintf(ref, sizeof ref, "P%d", i);
        fm_placement p = { .ref = ref, .employer = emp, .title = "",
                           .sector = (int16_t)sec[i % 3],
                           .capacity = roomy ? 20 : 1 + i % 3,
                           .lat = 52.0 + 0.01 * i, .lon = 0.01 * i, .has_location = 1,
                           .min_age = 14, .reserve_pct = i % 4 == 0 ? 50 : 0 };
        assert_true(fm_region_add_placement(&f->r, &p) >= 0);
    }
    for (int i = 0; i < 60; i++) {
        snprintf(ref, sizeof ref, "S%d", i);
        fm_student s = { .ref = ref, .school = sch, .birth_date = 20110101,
                         .lat = 52.0 + 0.002 * pick(50), .lon = 0.002 * pick(50),
                         .max_travel_km = 5 + pick(20), .wants_placement = 1,
                         .low_income = pick(3) == 0, .gifted = pick(4) == 0,
                         .looked_after = pick(10) == 0, .n_sectors = 2,
                         .sectors = { (int16_t)sec[pick(3)], (int16_t)sec[pick(3)] } };
        assert_true(fm_region_add_student(&f->r, &s) >= 0);
    }
    fm_error err;
    assert_int_equal(fm_cands_build_placements(&f->r, DATE, &f->c, &err), FM_OK);
    assert_int_equal(fm_pools_init(&f->p, &f->r, &f->c, 0), FM_OK);
    assert_int_equal(fm_assign_init(&f->a, &f->p), FM_OK);
    assert_int_equal(fm_counts_solve(&f->p, &f->a, f->counts, &f->cuts, NULL, NULL), FM_OK);
    fm_utility_stats st;
    assert_int_equal(fm_utility_solve(&f->p, &f->a, f->counts, &f->pot, &st, 2, NULL, NULL), FM_OK);
}

static void build(fixture *f)
{
    build_region(f, 0);
}

static void teardown_fixture(fixture *f)
{
    free(f->pot);
    fm_cuts_free(&f->cuts);
    fm_assign_free(&f->a);
    fm_pools_free(&f->p);
    fm_cands_free(&f->c);
    fm_region_free(&f->r);
}

static int check(fixture *f, fm_level_proof proof[4], fm_vector *v)
{
    fm_error err;
    fm_error_clear(&err);
    return fm_certificate_check(&f->r, 0, DATE, &f->p, &f->a, &f->cuts, f->pot, proof, v, &err);
}

static void accepts_the_solver_proof(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    fm_level_proof proof[4];
    fm_vector v;
    assert_int_equal(check(&f, proof, &v), FM_OK);
    assert_int_equal(v.n1, f.counts[0]);
    assert_int_equal(v.n2, f.counts[1]);
    assert_int_equal(v.n3, f.counts[2]);
    assert_true(v.n1 + v.n2 + v.n3 > 0);
    for (int k = 0; k < 4; k++)
        assert_int_equal(proof[k].value, proof[k].bound);
    teardown_fixture(&f);
}

static void rejects_an_unseated_student(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    for (int32_t s = 0; s < f.p.n_students; s++)
        if (f.a.edge[s] >= 0) {
            f.a.edge[s] = -1; /* a feasible but worse assignment */
            break;
        }
    fm_level_proof proof[4];
    fm_vector v;
    assert_int_equal(check(&f, proof, &v), FM_EINTERNAL);
    teardown_fixture(&f);
}

static void rejects_a_worse_pair(void **state)
{
    (void)state;
    fixture f;
    build_region(&f, 1);
    /* Move some student to a lower-utility pair of its own whose pool has
     * room, keeping the counts: the dual bound must exceed the value. */
    int moved = 0;
    for (int32_t s = 0; s < f.p.n_students && !moved; s++) {
        if (f.a.edge[s] < 0)
            continue;
        int64_t cur = f.a.edge[s];
        for (int64_t e = 2 * f.c.start[s]; e < 2 * f.c.start[s + 1]; e++) {
            int32_t q = fm_pools_edge_pool(&f.p, e, f.p.tier[s]);
            if (q < 0 || f.a.load[q] >= f.p.cap[q] ||
                f.c.utility[e >> 1] >= f.c.utility[cur >> 1])
                continue;
            f.a.load[fm_pools_edge_pool(&f.p, cur, f.p.tier[s])]--;
            f.a.load[q]++;
            f.a.edge[s] = e;
            moved = 1;
            break;
        }
    }
    assert_true(moved);
    fm_level_proof proof[4];
    fm_vector v;
    assert_int_equal(check(&f, proof, &v), FM_EINTERNAL);
    assert_true(proof[3].bound > proof[3].value);
    teardown_fixture(&f);
}

static void rejects_over_capacity(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    /* Seat an unmatched student in a full pool. */
    int done = 0;
    for (int32_t s = 0; s < f.p.n_students && !done; s++) {
        if (f.a.edge[s] >= 0 || f.c.start[s + 1] == f.c.start[s])
            continue;
        f.a.edge[s] = 2 * f.c.start[s];
        done = 1;
    }
    assert_true(done);
    fm_level_proof proof[4];
    fm_vector v;
    assert_int_equal(check(&f, proof, &v), FM_EINTERNAL);
    teardown_fixture(&f);
}

static void rejects_a_loose_cut(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    /* Put every pool of level 3 on the source side: the cut is then all the
     * seats, more than the students placed (seats are scarce but not all of
     * them are reachable). */
    for (int32_t q = 0; q < f.p.n_pools; q++)
        f.cuts.pool[q] |= 4;
    for (int32_t s = 0; s < f.p.n_students; s++)
        f.cuts.student[s] |= 4;
    fm_level_proof proof[4];
    fm_vector v;
    int rc = check(&f, proof, &v);
    if (proof[2].bound != proof[2].value)
        assert_int_equal(rc, FM_EINTERNAL);
    /* And the empty cut bounds by the number of students: loose too. */
    memset(f.cuts.student, 0, (size_t)f.p.n_students);
    memset(f.cuts.pool, 0, (size_t)f.p.n_pools);
    assert_int_equal(check(&f, proof, &v), FM_EINTERNAL);
    assert_true(proof[0].bound >= proof[0].value);
    teardown_fixture(&f);
}

static void rejects_wrong_potentials(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    for (int32_t v = 0; v < FM_UNODE_POOL(&f.p, f.p.n_pools); v++)
        f.pot[v] = 0;
    fm_level_proof proof[4];
    fm_vector vec;
    assert_int_equal(check(&f, proof, &vec), FM_EINTERNAL);
    assert_true(proof[3].bound > proof[3].value);
    teardown_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_the_solver_proof),
        cmocka_unit_test(rejects_an_unseated_student),
        cmocka_unit_test(rejects_a_worse_pair),
        cmocka_unit_test(rejects_over_capacity),
        cmocka_unit_test(rejects_a_loose_cut),
        cmocka_unit_test(rejects_wrong_potentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
