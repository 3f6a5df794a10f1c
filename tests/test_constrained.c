/*
 * test_constrained.c - the extra constraints of a round (constraints.h),
 * solved by fm_solver_run() with GLPK, held to an exhaustive search.
 *
 * Normal case: on hundreds of tiny random rounds (policy_reference.c's
 * generator), each constraint in turn (school floor, employer spread,
 * gender target, stable tiers) with random parameters: the solver's vector
 * must equal the best vector over every assignment that meets the
 * constraint (constrained_reference.c), its assignment must meet it, and a
 * round that no assignment can satisfy must fail with FM_EINFEASIBLE.
 * Then: an impossible floor is reported naming the school and the numbers;
 * constraints that do not bind, solved through GLPK all the same, give the
 * plain solver's vector; a time limit ends a hard stable-tiers search with
 * a result, its bound and its gap; a GLPK internal error (a deliberately
 * invalid GLPK call, test-only switch) fails the round cleanly and the
 * next round still solves; policy-file keys reach the solver.
 *
 * Failure: the first instance that disagrees fails with its seed, the
 * constraint and both vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constrained_reference.h"
#include "policy_reference.h"
#include "region.h"
#include "solver.h"

#define DATE 20270614
#define N_TINY 250

#define VEC_FMT "(%lld,%lld,%lld,%lld)"
#define VEC_ARGS(v) (long long)(v).n1, (long long)(v).n2, (long long)(v).n3, (long long)(v).utility

enum { C_FLOOR, C_SPREAD, C_GENDER, C_STABLE, C_KINDS };
static const char *const kind_name[C_KINDS] = {"floor", "spread", "gender", "stable"};

static const fm_side_result *side_of(const fm_result *res, int side)
{
    return side ? &res->mentors : &res->placements;
}

/* Random parameters of one constraint kind for a seed. */
static void draw_constraint(int kind, uint64_t seed, int n_sectors, fm_side_constraints *c)
{
    fm_ref_rng g;
    fm_ref_rng_seed(&g, seed * 31u + (uint64_t)kind);
    memset(c, 0, sizeof *c);
    static const double floors[] = {20, 34, 50, 75, 100};
    switch (kind) {
    case C_FLOOR:
        c->school_floor_pct = floors[fm_ref_rng_int(&g, 0, 4)];
        break;
    case C_SPREAD:
        c->employer_spread_max = fm_ref_rng_int(&g, 1, 2);
        break;
    case C_GENDER: {
        static const double pcts[] = {30, 50, 67, 100};
        c->n_gender_targets = 1;
        snprintf(c->gender_target[0].sector, sizeof c->gender_target[0].sector, "sector%d",
                 fm_ref_rng_int(&g, 0, n_sectors - 1));
        c->gender_target[0].gender = fm_ref_rng_chance(&g, 0.5) ? 'F' : 'M';
        c->gender_target[0].min_pct = pcts[fm_ref_rng_int(&g, 0, 3)];
        break;
    }
    case C_STABLE:
        c->stable_tiers = 1;
        break;
    }
}

static int run(const fm_region *r, const fm_round_params *p, fm_result *res, fm_error *err)
{
    fm_error_clear(err);
    fm_result_init(res);
    return fm_solver_run(r, p, res, err);
}

/* Each kind on each side it applies to, against the exhaustive optimum. */
static void check_kind(int kind)
{
    int checked = 0, infeasible = 0, binding = 0, plain_envy = 0;
    for (uint64_t seed = 1; seed <= N_TINY; seed++) {
        fm_ref_gen_params gp;
        fm_ref_gen_tiny_params(seed, DATE, &gp);
        fm_region r;
        fm_region_init(&r);
        assert_int_equal(fm_ref_generate(&r, &gp, seed), 0);
        for (int side = 0; side < 2; side++) {
            if (side == 1 && (kind == C_SPREAD || kind == C_GENDER))
                continue;
            fm_round_params p = { .date = DATE };
            draw_constraint(kind, seed, gp.n_sectors, &p.constraints.side[side]);
            fm_ref_side sd;
            assert_int_equal(fm_ref_side_init(&sd, &r, DATE, side), 0);
            fm_vector want, plain;
            int found = fm_cref_bruteforce(&r, &sd, &p.constraints.side[side], &want);
            assert_true(found >= 0);
            assert_int_equal(fm_ref_bruteforce(&sd, &plain, NULL, NULL), 0);
            fm_result res;
            fm_error err;
            int rc = run(&r, &p, &res, &err);
            if (!found) {
                if (rc != FM_EINFEASIBLE)
                    fail_msg("seed %llu %s side %d: no assignment meets it, solver rc %d (%s)",
                             (unsigned long long)seed, kind_name[kind], side, rc, err.message);
                infeasible++;
            } else {
                if (rc != 0)
                    fail_msg("seed %llu %s side %d: solver rc %d: %s; exhaustive " VEC_FMT,
                             (unsigned long long)seed, kind_name[kind], side, rc, err.message,
                             VEC_ARGS(want));
                const fm_side_result *sr = side_of(&res, side);
                fm_vector got = sr->vector;
                int32_t *assign = calloc(sd.n_students + 1, sizeof *assign);
                assert_non_null(assign);
                for (size_t s = 0; s < sd.n_students; s++)
                    assign[s] = sr->match[s].target;
                char why[128] = "";
                int meets = fm_cref_meets(&r, &sd, &p.constraints.side[side], assign, why,
                                          sizeof why);
                free(assign);
                if (fm_ref_vector_cmp(&got, &want) != 0 || !meets)
                    fail_msg("seed %llu %s side %d: solver " VEC_FMT " (meets: %d %s) != "
                             "exhaustive " VEC_FMT, (unsigned long long)seed, kind_name[kind],
                             side, VEC_ARGS(got), meets, why, VEC_ARGS(want));
                assert_non_null(sr->constrained);
                for (int k = 0; k < 4; k++)
                    assert_int_equal(sr->proof[k].value, sr->proof[k].bound);
                /* envy_pairs_plain is the plain round's audit, whatever
                 * the constraint (it once read 0 without stable_tiers). */
                fm_round_params pp = { .date = DATE };
                fm_result pres;
                assert_int_equal(run(&r, &pp, &pres, &err), 0);
                if (sr->constrained->envy_pairs_plain != side_of(&pres, side)->envy.pairs)
                    fail_msg("seed %llu %s side %d: envy_pairs_plain %lld, the plain round's "
                             "audit %lld", (unsigned long long)seed, kind_name[kind], side,
                             (long long)sr->constrained->envy_pairs_plain,
                             (long long)side_of(&pres, side)->envy.pairs);
                plain_envy += side_of(&pres, side)->envy.pairs > 0;
                fm_result_free(&pres);
                binding += fm_ref_vector_cmp(&want, &plain) != 0;
                checked++;
            }
            fm_result_free(&res);
            fm_ref_side_free(&sd);
        }
        fm_region_free(&r);
    }
    /* The instances have teeth: the constraint changes the optimum often. */
    print_message("%s: %d rounds checked, %d binding, %d infeasible, %d with plain envy\n",
                  kind_name[kind], checked, binding, infeasible, plain_envy);
    assert_true(plain_envy >= 5);
    assert_true(binding >= (kind == C_FLOOR ? 3 : 10));
    if (kind == C_FLOOR)
        assert_true(infeasible >= 20);
}

static void test_floor_matches_bruteforce(void **state) { (void)state; check_kind(C_FLOOR); }
static void test_spread_matches_bruteforce(void **state) { (void)state; check_kind(C_SPREAD); }
static void test_gender_matches_bruteforce(void **state) { (void)state; check_kind(C_GENDER); }
static void test_stable_matches_bruteforce(void **state) { (void)state; check_kind(C_STABLE); }

/* ---- hand-built rounds ---- */

static const double KM_PER_DEG = 6371.0 * 3.14159265358979323846 / 180.0;

static void add_student(fm_region *r, const char *ref, int32_t school, int32_t sector, int tier)
{
    fm_student s;
    memset(&s, 0, sizeof s);
    s.ref = (char *)ref;
    s.school = school;
    s.birth_date = 20120101;
    s.lat = 51.5;
    s.lon = -0.12;
    s.max_travel_km = 20;
    s.low_income = tier <= 2;
    s.gifted = tier == 1;
    s.wants_placement = 1;
    s.gender = 'F';
    s.n_sectors = 1;
    s.sectors[0] = (int16_t)sector;
    assert_true(fm_region_add_student(r, &s) >= 0);
}

static void add_placement(fm_region *r, const char *ref, int32_t employer, int32_t sector,
                          int capacity, double km)
{
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)ref;
    p.employer = employer;
    p.title = (char *)"";
    p.sector = (int16_t)sector;
    p.capacity = capacity;
    p.lat = 51.5 + km / KM_PER_DEG;
    p.lon = -0.12;
    p.has_location = 1;
    p.min_age = 14;
    assert_true(fm_region_add_placement(r, &p) >= 0);
}

/* An empty region with schools SCHA, SCHB, sectors law, eng, employer E1. */
static void hand_region(fm_region *r, int32_t *a, int32_t *b, int32_t *law, int32_t *eng,
                        int32_t *e)
{
    fm_region_init(r);
    *a = fm_region_intern_school(r, "SCHA");
    *b = fm_region_intern_school(r, "SCHB");
    *law = fm_region_intern_sector(r, "law");
    *eng = fm_region_intern_sector(r, "eng");
    *e = fm_region_intern_employer(r, "E1");
    assert_true(*a >= 0 && *b >= 0 && *law >= 0 && *eng >= 0 && *e >= 0);
}

/* School A: 10 eligible pupils, their only placement has 2 seats; a floor
 * of 50% needs 5: impossible, and the message says so with the numbers. */
static void test_infeasible_floor_names_school(void **state)
{
    (void)state;
    fm_region r;
    int32_t a, b, law, eng, e;
    hand_region(&r, &a, &b, &law, &eng, &e);
    char ref[16];
    for (int i = 0; i < 10; i++) {
        snprintf(ref, sizeof ref, "A%d", i);
        add_student(&r, ref, a, law, 3);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(ref, sizeof ref, "B%d", i);
        add_student(&r, ref, b, eng, 3);
    }
    add_placement(&r, "PLAW", e, law, 2, 1.0);
    add_placement(&r, "PENG", e, eng, 4, 1.0);
    fm_round_params p = { .date = DATE };
    p.constraints.side[0].school_floor_pct = 50;
    fm_result res;
    fm_error err;
    int rc = run(&r, &p, &res, &err);
    assert_int_equal(rc, FM_EINFEASIBLE);
    assert_string_equal(err.field, "school_floor_pct");
    assert_string_equal(err.id, "school_ref SCHA");
    assert_non_null(strstr(err.message, "school SCHA's floor of 50% needs 5 of its 10 eligible "
                                        "pupils placed, but at most 2 can be"));
    assert_non_null(strstr(err.message, "2 seats"));
    assert_null(strstr(err.message, "SCHB"));
    fm_result_free(&res);

    /* Two schools competing for one 3-seat placement, floors 100%: each
     * alone fits, together they do not: both named, shortfall proven. */
    fm_region_free(&r);
    hand_region(&r, &a, &b, &law, &eng, &e);
    add_student(&r, "A0", a, law, 3);
    add_student(&r, "A1", a, law, 3);
    add_student(&r, "B0", b, law, 3);
    add_student(&r, "B1", b, law, 3);
    add_placement(&r, "PLAW", e, law, 3, 1.0);
    p.constraints.side[0].school_floor_pct = 100;
    rc = run(&r, &p, &res, &err);
    assert_int_equal(rc, FM_EINFEASIBLE);
    assert_non_null(strstr(err.message, "cannot all be met together"));
    assert_non_null(strstr(err.message, "at least 1 pupils short"));
    fm_result_free(&res);
    fm_region_free(&r);
}

/* Medium rounds whose constraints do not bind, solved through GLPK anyway
 * (test_force_mip): the vector is the plain solver's, proven. */
static void test_nonbinding_constraints_give_plain_vector(void **state)
{
    (void)state;
    int plain_envy = 0;
    for (uint64_t seed = 500; seed < 512; seed++) {
        fm_ref_gen_params gp;
        fm_ref_gen_defaults(&gp);
        gp.n_students = 120;
        gp.n_placements = 25;
        gp.n_mentors = 8;
        gp.n_sectors = 5;
        gp.n_schools = 4;
        gp.n_employers = 6;
        gp.cap_max = 4;
        gp.mentor_cap_max = 4;
        fm_region r;
        fm_region_init(&r);
        assert_int_equal(fm_ref_generate(&r, &gp, seed), 0);
        fm_round_params plain = { .date = DATE }, p = { .date = DATE };
        p.constraints.test_force_mip = 1;
        p.constraints.side[0].employer_spread_max = 1000;
        p.constraints.side[0].n_gender_targets = 1;
        snprintf(p.constraints.side[0].gender_target[0].sector, 64, "sector1");
        p.constraints.side[0].gender_target[0].gender = 'F';
        p.constraints.side[0].gender_target[0].min_pct = 0;
        p.constraints.side[1].school_floor_pct = 0.001; /* one pupil per school */
        fm_result a, b;
        fm_error err;
        assert_int_equal(run(&r, &plain, &a, &err), 0);
        int rc = run(&r, &p, &b, &err);
        if (rc != 0)
            fail_msg("seed %llu: %s", (unsigned long long)seed, err.message);
        for (int side = 0; side < 2; side++) {
            fm_vector x = side_of(&a, side)->vector, y = side_of(&b, side)->vector;
            const fm_constrained_report *rep = side_of(&b, side)->constrained;
            assert_non_null(rep);
            if (fm_ref_vector_cmp(&x, &y) != 0)
                fail_msg("seed %llu side %d: plain " VEC_FMT " != GLPK path " VEC_FMT,
                         (unsigned long long)seed, side, VEC_ARGS(x), VEC_ARGS(y));
            for (int k = 0; k < 4; k++) {
                assert_int_equal(rep->level[k].value, rep->level[k].bound);
                assert_int_not_equal(rep->level[k].method, FM_METHOD_NETWORK);
            }
            assert_true(rep->pairs_in_model <= rep->pairs_total);
            assert_true(rep->model_cols > 0);
            /* No stable_tiers here: the plain optimum's envy is still counted. */
            assert_int_equal(rep->envy_pairs_plain, side_of(&a, side)->envy.pairs);
            plain_envy += rep->envy_pairs_plain > 0;
        }
        fm_result_free(&a);
        fm_result_free(&b);
        fm_region_free(&r);
    }
    assert_true(plain_envy > 0); /* the check above has teeth */
}

/* A hard stable-tiers round with a short time limit: a result that meets
 * the constraint, the level the search stopped in with a bound above its
 * value (or later levels not reached), and progress reports on the way. */
typedef struct progress_log { int calls, levels; double last_bound; } progress_log;

static void on_progress(const fm_progress *pr, void *arg)
{
    progress_log *l = arg;
    l->calls++;
    if (pr->level > 0)
        l->levels++;
    if (!isnan(pr->bound))
        l->last_bound = pr->bound;
}

static void test_time_limit_gives_gap(void **state)
{
    (void)state;
    fm_ref_gen_params gp;
    fm_ref_gen_defaults(&gp);
    gp.n_students = 600;
    gp.n_placements = 120;
    gp.n_mentors = 5;
    gp.n_sectors = 4;
    gp.n_schools = 6;
    gp.cap_max = 5;
    gp.cluster_km = 6;
    gp.p_disadvantaged = 0.5;
    fm_region r;
    fm_region_init(&r);
    assert_int_equal(fm_ref_generate(&r, &gp, 77), 0);
    progress_log log = {0, 0, NAN};
    fm_round_params p = { .date = DATE, .time_limit_seconds = 0.5,
                          .progress = on_progress, .progress_arg = &log };
    p.constraints.side[0].stable_tiers = 1;
    fm_result res;
    fm_error err;
    int rc = run(&r, &p, &res, &err);
    if (rc != 0)
        fail_msg("rc %d: %s", rc, err.message);
    const fm_constrained_report *rep = res.placements.constrained;
    assert_non_null(rep);
    assert_int_equal(rep->stopped_by_limit, 1);
    int open = 0;
    for (int k = 0; k < 4; k++)
        open += rep->level[k].bound < 0 || rep->level[k].bound > rep->level[k].value;
    assert_true(open >= 1);
    assert_true(log.calls >= 3);
    /* The result meets the constraint all the same. */
    fm_ref_side sd;
    assert_int_equal(fm_ref_side_init(&sd, &r, DATE, 0), 0);
    int32_t *assign = calloc(sd.n_students, sizeof *assign);
    assert_non_null(assign);
    for (size_t s = 0; s < sd.n_students; s++)
        assign[s] = res.placements.match[s].target;
    char why[128];
    assert_true(fm_cref_meets(&r, &sd, &p.constraints.side[0], assign, why, sizeof why));
    free(assign);
    fm_ref_side_free(&sd);
    fm_result_free(&res);
    fm_region_free(&r);
}

/* A GLPK internal error (an invalid call, test-only) fails the round with
 * FM_EINTERNAL and GLPK's message; the process lives, and the next round,
 * which needs GLPK again, solves. */
static void test_glpk_error_fails_round_cleanly(void **state)
{
    (void)state;
    fm_ref_gen_params gp;
    fm_ref_gen_tiny_params(3, DATE, &gp);
    fm_region r;
    fm_region_init(&r);
    assert_int_equal(fm_ref_generate(&r, &gp, 3), 0);
    fm_round_params p = { .date = DATE };
    p.constraints.test_force_mip = 1;
    p.constraints.test_glpk_fault = 1;
    p.constraints.side[0].stable_tiers = 1;
    fm_result res;
    fm_error err;
    for (int i = 0; i < 3; i++) {
        int rc = run(&r, &p, &res, &err);
        assert_int_equal(rc, FM_EINTERNAL);
        assert_non_null(strstr(err.message, "GLPK internal error"));
        assert_non_null(strstr(err.message, "glp_set_col_bnds"));
        assert_null(res.placements.match);
    }
    p.constraints.test_glpk_fault = 0;
    assert_int_equal(run(&r, &p, &res, &err), 0);
    assert_non_null(res.placements.constrained);
    fm_result_free(&res);
    fm_region_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infeasible_floor_names_school),
        cmocka_unit_test(test_glpk_error_fails_round_cleanly),
        cmocka_unit_test(test_nonbinding_constraints_give_plain_vector),
        cmocka_unit_test(test_time_limit_gives_gap),
        cmocka_unit_test(test_floor_matches_bruteforce),
        cmocka_unit_test(test_spread_matches_bruteforce),
        cmocka_unit_test(test_gender_matches_bruteforce),
        cmocka_unit_test(test_stable_matches_bruteforce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
