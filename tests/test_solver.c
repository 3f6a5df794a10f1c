/*
 * test_solver.c - fm_solver_run as a whole: the time limit and the cancel
 * callback stop a round with the right code and leave no result behind;
 * empty and one-sided regions solve to zero vectors with every reason set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "solver.h"

#define DATE 20270614

/* A town of n pupils and n/4 one-seat placements in three sectors. */
static void make_town(fm_region *r, int n)
{
    char ref[32];
    fm_region_init(r);
    int32_t sec[3] = { fm_region_intern_sector(r, "law"), fm_region_intern_sector(r, "it"),
                       fm_region_intern_sector(r, "arts") };
    int32_t emp = fm_region_intern_employer(r, "E1");
    int32_t sch = fm_region_intern_school(r, "K1");
    for (int i = 0; i < n / 4; i++) {
        snprintf(ref, sizeof ref, "P%05d", i);
        fm_placement p = { .ref = ref, .employer = emp, .title = "", .sector = (int16_t)sec[i % 3],
                           .capacity = 1, .lat = 52.0 + 0.001 * (i % 50),
                           .lon = 0.001 * (i / 50), .has_location = 1, .min_age = 14 };
        assert_true(fm_region_add_placement(r, &p) >= 0);
    }
    for (int i = 0; i < n; i++) {
        snprintf(ref, sizeof ref, "S%05d", i);
        fm_student s = { .ref = ref, .school = sch, .birth_date = 20110101,
                         .lat = 52.0 + 0.001 * (i % 40), .lon = 0.001 * (i / 40),
                         .max_travel_km = 30, .wants_placement = 1, .wants_mentor = i % 2,
                         .low_income = i % 4 == 0, .gifted = i % 7 == 0, .n_sectors = 2,
                         .sectors = { (int16_t)sec[i % 3], (int16_t)sec[(i + 1) % 3] } };
        assert_true(fm_region_add_student(r, &s) >= 0);
    }
}

static int calls;
static int cancel_after_first(void *arg)
{
    (void)arg;
    return ++calls > 1;
}

static void cancel_stops_the_round(void **state)
{
    (void)state;
    fm_region r;
    make_town(&r, 4000);
    fm_round_params params = { .date = DATE, .cancel = cancel_after_first };
    fm_result res;
    fm_error err;
    fm_error_clear(&err);
    calls = 0;
    assert_int_equal(fm_solver_run(&r, &params, &res, &err), FM_ECANCELLED);
    assert_non_null(strstr(err.message, "cancelled"));
    assert_null(res.placements.match);
    assert_null(res.mentors.match);
    fm_region_free(&r);
}

static void time_limit_stops_the_round(void **state)
{
    (void)state;
    fm_region r;
    make_town(&r, 4000);
    fm_round_params params = { .date = DATE, .time_limit_seconds = 1e-9 };
    fm_result res;
    fm_error err;
    fm_error_clear(&err);
    assert_int_equal(fm_solver_run(&r, &params, &res, &err), FM_ELIMIT);
    assert_non_null(strstr(err.message, "time limit"));
    assert_null(res.placements.match);
    fm_region_free(&r);
}

static void a_generous_limit_changes_nothing(void **state)
{
    (void)state;
    fm_region r;
    make_town(&r, 400);
    fm_round_params plain = { .date = DATE }, limited = { .date = DATE, .time_limit_seconds = 600 };
    fm_result a, b;
    fm_error err;
    assert_int_equal(fm_solver_run(&r, &plain, &a, &err), FM_OK);
    assert_int_equal(fm_solver_run(&r, &limited, &b, &err), FM_OK);
    assert_memory_equal(&a.placements.vector, &b.placements.vector, sizeof(fm_vector));
    assert_true(a.placements.vector.n1 + a.placements.vector.n2 + a.placements.vector.n3 > 0);
    assert_int_equal(a.placements.certificate_checked, 1);
    fm_result_free(&a);
    fm_result_free(&b);
    fm_region_free(&r);
}

/* Candidate listing and level 4's pricing run on the solver's threads: one
 * thread or several must give the same assignment, pupil by pupil. */
static void threads_change_nothing(void **state)
{
    (void)state;
    fm_region r;
    make_town(&r, 6000);
    fm_round_params one = { .date = DATE, .threads = 1 }, three = { .date = DATE, .threads = 3 };
    fm_result a, b;
    fm_error err;
    assert_int_equal(fm_solver_run(&r, &one, &a, &err), FM_OK);
    assert_int_equal(fm_solver_run(&r, &three, &b, &err), FM_OK);
    assert_true(a.placements.pricing_rounds > 1);
    for (int side = 0; side < 2; side++) {
        const fm_side_result *x = side ? &a.mentors : &a.placements;
        const fm_side_result *y = side ? &b.mentors : &b.placements;
        assert_memory_equal(&x->vector, &y->vector, sizeof(fm_vector));
        for (size_t s = 0; s < r.n_students; s++) {
            assert_int_equal(x->match[s].target, y->match[s].target);
            assert_int_equal(x->match[s].reason, y->match[s].reason);
        }
    }
    fm_result_free(&a);
    fm_result_free(&b);
    fm_region_free(&r);
}

static void empty_and_one_sided_regions(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    fm_round_params params = { .date = DATE };
    fm_result res;
    fm_error err;
    assert_int_equal(fm_solver_run(&r, &params, &res, &err), FM_OK);
    assert_int_equal(res.placements.vector.utility, 0);
    fm_result_free(&res);
    /* Pupils but no placements and no mentors: all no_eligible. */
    int32_t sch = fm_region_intern_school(&r, "K1");
    int32_t sec = fm_region_intern_sector(&r, "law");
    fm_student s = { .ref = "S1", .school = sch, .birth_date = 20100101, .max_travel_km = 20,
                     .wants_placement = 1, .wants_mentor = 1, .n_sectors = 1,
                     .sectors = { (int16_t)sec } };
    assert_true(fm_region_add_student(&r, &s) >= 0);
    assert_int_equal(fm_solver_run(&r, &params, &res, &err), FM_OK);
    assert_int_equal(res.placements.match[0].reason, FM_REASON_NO_ELIGIBLE);
    assert_int_equal(res.mentors.match[0].reason, FM_REASON_NO_ELIGIBLE);
    assert_int_equal(res.placements.match[0].target, -1);
    assert_int_equal(res.placements.certificate_checked, 1);
    fm_result_free(&res);
    fm_region_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancel_stops_the_round),
        cmocka_unit_test(time_limit_stops_the_round),
        cmocka_unit_test(a_generous_limit_changes_nothing),
        cmocka_unit_test(threads_change_nothing),
        cmocka_unit_test(empty_and_one_sided_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
