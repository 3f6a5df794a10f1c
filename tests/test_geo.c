/*
 * test_geo.c - haversine distance and whole-year age against values worked
 * out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "geo.h"

static void distance_known_values(void **state)
{
    (void)state;
    assert_true(fm_geo_distance_km(51.5, -0.1, 51.5, -0.1) == 0.0);
    /* One degree of latitude: 2 * pi * 6371 / 360 km. */
    double deg = 2.0 * M_PI * 6371.0 / 360.0;
    assert_true(fabs(fm_geo_distance_km(10.0, 20.0, 11.0, 20.0) - deg) < 1e-9);
    /* Antipodes: half the circumference. */
    assert_true(fabs(fm_geo_distance_km(0.0, 0.0, 0.0, 180.0) - M_PI * 6371.0) < 1e-6);
    /* Symmetric, and across the antimeridian. */
    double a = fm_geo_distance_km(0.0, 179.9, 0.0, -179.9);
    assert_true(fabs(a - 0.2 * deg) < 1e-6);
    assert_true(fm_geo_distance_km(52.2, 0.12, 51.75, -1.25) ==
                fm_geo_distance_km(51.75, -1.25, 52.2, 0.12));
    /* London - Oxford, about 82 km. */
    double lo = fm_geo_distance_km(51.5074, -0.1278, 51.7520, -1.2577);
    assert_true(lo > 81.0 && lo < 83.0);
}

static void age_whole_years(void **state)
{
    (void)state;
    assert_int_equal(fm_geo_age(20100614, 20270614), 17);
    assert_int_equal(fm_geo_age(20100615, 20270614), 16);
    assert_int_equal(fm_geo_age(20101231, 20270101), 16);
    assert_int_equal(fm_geo_age(20080229, 20260228), 17); /* birthday not yet */
    assert_int_equal(fm_geo_age(20080229, 20260301), 18);
    assert_int_equal(fm_geo_age(20080229, 20280229), 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distance_known_values),
        cmocka_unit_test(age_whole_years),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
