/*
 * test_candidates.c - the bucketed candidate search finds exactly the pairs
 * that checking every (student, target) pair finds, in the documented order,
 * including near the poles, across the antimeridian and with radii larger
 * than the grid; at the edges of the squared-chord bands that let the
 * listing skip the exact haversine; with any number of threads; and with
 * every allocation made to fail in turn (FM_ENOMEM, nothing leaked).
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

#include "alloc_faults.h"
#include "candidates.h"
#include "geo.h"
#include "region.h"
#include "solver.h"

#define DATE 20270614

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0; }
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

typedef struct area { double lat, lon, spread, max_km; } area;

/* A random point of the area, wrapped across the antimeridian and clamped
 * at the poles. */
static void place_in(area a, double *lat, double *lon)
{
    *lat = a.lat + unif(-a.spread, a.spread);
    *lon = a.lon + unif(-a.spread, a.spread);
    if (*lon > 180) *lon -= 360;
    if (*lon < -180) *lon += 360;
    if (*lat > 90) *lat = 90;
    if (*lat < -90) *lat = -90;
}

static void make_region(fm_region *r, area a, int ns, int np, int nm, int nsec)
{
    char buf[64];
    fm_region_init(r);
    for (int k = 0; k < nsec; k++) {
        snprintf(buf, sizeof buf, "sec%d", k);
        assert_true(fm_region_intern_sector(r, buf) >= 0);
    }
    int32_t emp = fm_region_intern_employer(r, "EMP1");
    int32_t sch = fm_region_intern_school(r, "SCH1");
    for (int i = 0; i < np; i++) {
        fm_placement p = { 0 };
        snprintf(buf, sizeof buf, "P%d", i);
        p.ref = buf;
        p.employer = emp;
        p.title = "";
        p.sector = (int16_t)pick(nsec);
        p.capacity = 1 + pick(3);
        p.is_virtual = pick(10) == 0;
        p.has_location = !p.is_virtual;
        place_in(a, &p.lat, &p.lon);
        p.accessible = pick(2);
        p.min_age = 14 + pick(3);
        p.week = pick(3) ? 0 : 202724 + pick(3);
        assert_true(fm_region_add_placement(r, &p) >= 0);
    }
    for (int i = 0; i < nm; i++) {
        fm_mentor m = { 0 };
        snprintf(buf, sizeof buf, "M%d", i);
        m.ref = buf;
        m.organisation = "";
        int32_t secs[3];
        m.n_sectors = 1 + pick(3);
        for (int k = 0; k < m.n_sectors; k++)
            secs[k] = pick(nsec);
        m.sectors_off = fm_region_add_ints(r, secs, (size_t)m.n_sectors);
        m.capacity = 1 + pick(3);
        m.online = pick(8) == 0;
        m.has_location = !m.online;
        place_in(a, &m.lat, &m.lon);
        m.max_travel_km = unif(0, a.max_km);
        m.dbs_valid_until = pick(4) ? 20280101 : (pick(2) ? 20260101 : 0);
        assert_true(fm_region_add_mentor(r, &m) >= 0);
    }
    for (int i = 0; i < ns; i++) {
        fm_student s = { 0 };
        snprintf(buf, sizeof buf, "S%d", i);
        s.ref = buf;
        s.school = sch;
        s.birth_date = 20080101 + 10000 * pick(5) + 100 * pick(12);
        place_in(a, &s.lat, &s.lon);
        s.max_travel_km = pick(10) == 0 ? 0.0 : unif(0, a.max_km);
        s.needs_access = pick(5) == 0;
        s.wants_placement = pick(8) != 0;
        s.wants_mentor = pick(2);
        s.n_sectors = (uint8_t)(1 + pick(5));
        for (int k = 0; k < s.n_sectors; k++)
            s.sectors[k] = (int16_t)pick(nsec); /* repeats on purpose */
        if (pick(3) == 0) {
            int32_t w[2] = { 202724 + pick(3), 202724 + pick(3) };
            s.weeks_off = fm_region_add_ints(r, w, 2);
            s.n_weeks = 2;
        }
        assert_true(fm_region_add_student(r, &s) >= 0);
    }
}

static void compare_with_all_pairs(const fm_region *r, int mentors)
{
    fm_cands c;
    fm_error err;
    fm_error_clear(&err);
    int rc = mentors ? fm_cands_build_mentors(r, DATE, &c, &err)
                     : fm_cands_build_placements(r, DATE, &c, &err);
    assert_int_equal(rc, FM_OK);
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    int64_t expected = 0;
    for (size_t s = 0; s < r->n_students; s++) {
        int64_t i = c.start[s];
        int prev_u = 1000, prev_t = -1;
        for (int64_t k = c.start[s]; k < c.start[s + 1]; k++) {
            /* documented order: utility descending, then target ascending */
            assert_true(c.utility[k] < prev_u ||
                        (c.utility[k] == prev_u && c.target[k] > prev_t));
            prev_u = c.utility[k];
            prev_t = c.target[k];
        }
        for (size_t t = 0; t < nt; t++) {
            int rank, util;
            int rule = mentors
                ? fm_cands_check_mentor(r, DATE, (int32_t)s, (int32_t)t, &rank, &util, NULL)
                : fm_cands_check_placement(r, DATE, (int32_t)s, (int32_t)t, &rank, &util, NULL);
            if (rule != FM_RULE_NONE)
                continue;
            expected++;
            int found = 0;
            for (int64_t k = c.start[s]; k < c.start[s + 1]; k++)
                if (c.target[k] == (int32_t)t) {
                    assert_int_equal(c.utility[k], util);
                    assert_int_equal(c.rank[k], rank);
                    found = 1;
                }
            if (!found)
                fail_msg("student %zu target %zu eligible but not listed (%s)", s, t,
                         mentors ? "mentor" : "placement");
            (void)i;
        }
    }
    assert_int_equal(c.n_pairs, expected);
    fm_cands_free(&c);
}

static void run_area(area a, uint64_t seed)
{
    rng_state = seed;
    fm_region r;
    make_region(&r, a, 120, 150, 40, 6);
    compare_with_all_pairs(&r, 0);
    compare_with_all_pairs(&r, 1);
    fm_region_free(&r);
}

static void a_town(void **state)
{
    (void)state;
    area a = { 52.2, 0.12, 0.3, 40.0 };
    for (uint64_t seed = 1; seed <= 5; seed++)
        run_area(a, seed);
}

static void across_the_antimeridian(void **state)
{
    (void)state;
    area a = { -17.8, 179.9, 0.5, 80.0 };
    for (uint64_t seed = 10; seed <= 13; seed++)
        run_area(a, seed);
}

static void near_a_pole(void **state)
{
    (void)state;
    area a = { 89.7, 10.0, 0.4, 120.0 };
    for (uint64_t seed = 20; seed <= 23; seed++)
        run_area(a, seed);
}

static void radius_larger_than_the_world(void **state)
{
    (void)state;
    area a = { 0.0, 0.0, 60.0, 30000.0 };
    run_area(a, 30);
}

/* Enough students for the search to run on several threads: the result
 * must be the same pairs in the same order. */
static void many_students_on_threads(void **state)
{
    (void)state;
    rng_state = 40;
    fm_region r;
    area a = { 52.2, 0.12, 0.3, 40.0 };
    make_region(&r, a, 4000, 200, 60, 6);
    compare_with_all_pairs(&r, 0);
    compare_with_all_pairs(&r, 1);
    fm_region_free(&r);
}

/* Placements at whole kilometres (and a hair either side) due north of each
 * student, and students whose travel limit is exactly such a distance: the
 * listing's shortcut for distances must decide every one of these as the
 * exact haversine of geo.c does (utility floor and limit). */
static void whole_kilometre_boundaries(void **state)
{
    (void)state;
    rng_state = 99;
    fm_region r;
    area a = { 51.5, -0.1, 0.5, 30.0 };
    make_region(&r, a, 0, 0, 0, 1);
    int32_t emp = fm_region_intern_employer(&r, "EMP1");
    int32_t sch = fm_region_intern_school(&r, "SCH1");
    char buf[64];
    /* a hair either side, and either side of the listing's +-1e-7 km bands */
    const double hair[9] = { 0.0, 1e-10, -1e-10, 9e-8, -9e-8, 1.1e-7, -1.1e-7, 3e-7, -3e-7 };
    for (int i = 0; i < 12; i++) {
        double lat0, lon0;
        place_in(a, &lat0, &lon0);
        for (int km = 0; km <= 25; km++)
            for (int h = 0; h < 9; h++) {
                fm_placement p = { 0 };
                snprintf(buf, sizeof buf, "P%d_%d_%d", i, km, h);
                p.ref = buf;
                p.employer = emp;
                p.title = "";
                p.capacity = 1;
                p.has_location = 1;
                p.lat = lat0 + (km + hair[h]) / FM_EARTH_RADIUS_KM * (180.0 / M_PI);
                p.lon = lon0;
                p.accessible = 1;
                p.min_age = 14;
                assert_true(fm_region_add_placement(&r, &p) >= 0);
            }
        fm_student s = { 0 };
        snprintf(buf, sizeof buf, "S%d", i);
        s.ref = buf;
        s.school = sch;
        s.birth_date = 20100101;
        s.lat = lat0;
        s.lon = lon0;
        /* limit exactly at the distance of one of the placements, or at a
         * band's edge away from it */
        s.max_travel_km = fm_geo_distance_km(lat0, lon0,
                                             lat0 + (5 + i) / FM_EARTH_RADIUS_KM * (180.0 / M_PI), lon0) +
                          hair[i % 9];
        s.wants_placement = 1;
        s.n_sectors = 1;
        s.sectors[0] = 0;
        assert_true(fm_region_add_student(&r, &s) >= 0);
    }
    compare_with_all_pairs(&r, 0);
    fm_region_free(&r);
}

/* Mentors at whole kilometres (and either side of the bands) from each
 * student, whose own travel limit, not the student's, is exactly such a
 * distance: the smaller limit decides, through the mentor's band. */
static void mentor_limits_at_boundaries(void **state)
{
    (void)state;
    rng_state = 77;
    fm_region r;
    area a = { 48.8, 2.3, 0.5, 30.0 };
    make_region(&r, a, 0, 0, 0, 2);
    int32_t sch = fm_region_intern_school(&r, "SCH1");
    int32_t secs[2] = { 0, 1 };
    int32_t off = fm_region_add_ints(&r, secs, 2);
    const double hair[7] = { 0.0, 1e-10, -1e-10, 9e-8, -9e-8, 1.1e-7, -1.1e-7 };
    char buf[64];
    for (int i = 0; i < 8; i++) {
        double lat0, lon0;
        place_in(a, &lat0, &lon0);
        for (int km = 0; km <= 12; km++)
            for (int h = 0; h < 7; h++) {
                fm_mentor m = { 0 };
                snprintf(buf, sizeof buf, "M%d_%d_%d", i, km, h);
                m.ref = buf;
                m.organisation = "";
                m.sectors_off = off;
                m.n_sectors = 1 + (h & 1); /* some filed under both sectors */
                m.capacity = 1;
                m.has_location = 1;
                m.lat = lat0 + (km + hair[h]) / FM_EARTH_RADIUS_KM * (180.0 / M_PI);
                m.lon = lon0;
                m.max_travel_km = fm_geo_distance_km(lat0, lon0, m.lat, m.lon) + hair[(h + i) % 7];
                m.dbs_valid_until = 20280101;
                assert_true(fm_region_add_mentor(&r, &m) >= 0);
            }
        fm_student s = { 0 };
        snprintf(buf, sizeof buf, "S%d", i);
        s.ref = buf;
        s.school = sch;
        s.birth_date = 20080101;
        s.lat = lat0;
        s.lon = lon0;
        s.max_travel_km = i % 2 ? 1000.0 : 7.0 + hair[i % 7];
        s.wants_mentor = 1;
        s.n_sectors = 2;
        s.sectors[0] = 1;
        s.sectors[1] = 0;
        assert_true(fm_region_add_student(&r, &s) >= 0);
    }
    compare_with_all_pairs(&r, 1);
    fm_region_free(&r);
}

/* Radii around 1000 km, where the listing stops using its bands and the
 * exact rule decides every pair, with costs far beyond the 99 counted. */
static void radii_around_a_thousand_km(void **state)
{
    (void)state;
    area a = { 45.0, 10.0, 8.0, 2000.0 };
    for (uint64_t seed = 50; seed <= 51; seed++)
        run_area(a, seed);
}

/* Dense: few sectors, many virtual placements and online mentors, so the
 * cost groups are large (the remote ones at 50 and 25 km mixed with
 * in-person ones at that distance) and the sort within them is exercised. */
static void dense_groups(void **state)
{
    (void)state;
    rng_state = 60;
    fm_region r;
    area a = { 52.2, 0.12, 0.15, 40.0 };
    make_region(&r, a, 150, 900, 200, 2);
    for (size_t i = 0; i < r.n_placements; i += 3) {
        r.placements[i].is_virtual = 1;
        r.placements[i].has_location = 0;
    }
    for (size_t i = 0; i < r.n_mentors; i += 3)
        r.mentors[i].online = 1;
    compare_with_all_pairs(&r, 0);
    compare_with_all_pairs(&r, 1);
    fm_region_free(&r);
}

static void assert_same_cands(const fm_cands *a, const fm_cands *b)
{
    assert_int_equal(a->n_students, b->n_students);
    assert_int_equal(a->n_pairs, b->n_pairs);
    assert_memory_equal(a->start, b->start, ((size_t)a->n_students + 1) * sizeof *a->start);
    assert_memory_equal(a->target, b->target, (size_t)a->n_pairs * sizeof *a->target);
    assert_memory_equal(a->utility, b->utility, (size_t)a->n_pairs * sizeof *a->utility);
    assert_memory_equal(a->rank, b->rank, (size_t)a->n_pairs);
}

/* The same lists, byte for byte, whatever the number of threads (chunks
 * are appended in student order). */
static void any_number_of_threads(void **state)
{
    (void)state;
    rng_state = 41;
    fm_region r;
    area a = { 52.2, 0.12, 0.3, 40.0 };
    make_region(&r, a, 3000, 120, 40, 6);
    for (int mentors = 0; mentors <= 1; mentors++) {
        fm_cands one;
        fm_error err;
        fm_error_clear(&err);
        assert_int_equal(fm_cands_build(&r, DATE, mentors, 1, &one, &err), FM_OK);
        assert_true(one.n_pairs > 0);
        const int threads[3] = { 2, 3, 8 };
        for (int k = 0; k < 3; k++) {
            fm_cands c;
            assert_int_equal(fm_cands_build(&r, DATE, mentors, threads[k], &c, &err), FM_OK);
            assert_same_cands(&one, &c);
            fm_cands_free(&c);
        }
        fm_cands_free(&one);
    }
    fm_region_free(&r);
}

/* Under AddressSanitizer a new thread's own start-up allocates (and stops
 * the program when that fails), so the helper threads' failures are only
 * injected in the plain build. */
#ifdef __SANITIZE_ADDRESS__
#define MAX_FAULT_THREADS 1
#else
#define MAX_FAULT_THREADS 3
#endif

/* Each allocation of a listing made to fail in turn, on one thread and on
 * three: FM_ENOMEM with an empty result and nothing leaked, or the same
 * lists as without faults (once no allocation is left to fail, or when
 * the failure only kept a thread from starting: the others do its share). */
static void allocation_failures(void **state)
{
    (void)state;
    rng_state = 42;
    fm_region r;
    area a = { 52.2, 0.12, 0.3, 40.0 };
    make_region(&r, a, 2600, 60, 30, 4);
    for (int mentors = 0; mentors <= 1; mentors++)
        for (int threads = 1; threads <= MAX_FAULT_THREADS; threads += 2) {
            fm_cands ref;
            fm_error err;
            fm_error_clear(&err);
            assert_int_equal(fm_cands_build(&r, DATE, mentors, threads, &ref, &err), FM_OK);
            for (long n = 1;; n++) {
                long live0 = fault_live;
                fm_cands c;
                fault_arm(n);
                int rc = fm_cands_build(&r, DATE, mentors, threads, &c, &err);
                int did_fail = fault_failed;
                fault_arm(0);
                if (rc != FM_OK) {
                    assert_true(did_fail);
                    assert_int_equal(rc, FM_ENOMEM);
                    assert_null(c.start);
                    assert_null(c.target);
                    assert_int_equal(c.n_pairs, 0);
                } else {
                    assert_same_cands(&ref, &c);
                    fm_cands_free(&c);
                }
                assert_int_equal(fault_live, live0);
                if (!did_fail)
                    break;
            }
            fm_cands_free(&ref);
        }
    fm_region_free(&r);
}

static void rank_is_first_listing(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t law = fm_region_intern_sector(&r, "law");
    int32_t eng = fm_region_intern_sector(&r, "Engineering");
    assert_int_equal(fm_region_intern_sector(&r, " LAW "), law);
    fm_placement p = { .ref = "P1", .title = "", .employer = fm_region_intern_employer(&r, "E"),
                       .sector = (int16_t)law, .capacity = 1, .lat = 51.0, .lon = 0.0,
                       .has_location = 1, .min_age = 14 };
    assert_true(fm_region_add_placement(&r, &p) >= 0);
    fm_student s = { .ref = "S1", .school = fm_region_intern_school(&r, "K"),
                     .birth_date = 20100101, .lat = 51.0, .lon = 0.1, .max_travel_km = 20,
                     .wants_placement = 1, .n_sectors = 3,
                     .sectors = { (int16_t)eng, (int16_t)law, (int16_t)law } };
    assert_true(fm_region_add_student(&r, &s) >= 0);
    int rank, util;
    double dist;
    assert_int_equal(fm_cands_check_placement(&r, DATE, 0, 0, &rank, &util, &dist), FM_RULE_NONE);
    assert_int_equal(rank, 2);
    /* 0.1 degree of longitude at 51N is about 7 km: d = 6 or 7 */
    assert_int_equal(util, 100 * (6 - 2) - (int)dist);
    fm_region_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_town),
        cmocka_unit_test(across_the_antimeridian),
        cmocka_unit_test(near_a_pole),
        cmocka_unit_test(radius_larger_than_the_world),
        cmocka_unit_test(many_students_on_threads),
        cmocka_unit_test(rank_is_first_listing),
        cmocka_unit_test(whole_kilometre_boundaries),
        cmocka_unit_test(mentor_limits_at_boundaries),
        cmocka_unit_test(radii_around_a_thousand_km),
        cmocka_unit_test(dense_groups),
        cmocka_unit_test(any_number_of_threads),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
