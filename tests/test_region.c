/*
 * test_region.c - the region data model (solver/region.c): interning,
 * lookups, copies, duplicate refs, rollback, tiers, and allocation failures.
 *
 * Each test builds a region, checks it and frees it.  The allocation-failure
 * test replaces malloc/calloc/realloc/free in this executable
 * (alloc_faults.c, forwarding to glibc's __libc_* functions) so that the
 * N-th allocation fails, for every N, and checks that the call fails with
 * FM_ENOMEM, the region is unchanged and nothing leaks.  Under AddressSanitizer, which owns malloc, that test is
 * skipped.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_faults.h"
#include "region.h"

/* ---- helpers ---------------------------------------------------------- */

static fm_student student(const char *ref, int32_t school)
{
    fm_student s;
    memset(&s, 0, sizeof s);
    s.ref = (char *)ref;
    s.school = school;
    s.birth_date = 20110301;
    s.max_travel_km = 20;
    s.wants_placement = 1;
    return s;
}

/* ---- tests ------------------------------------------------------------ */

static void test_empty(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    assert_int_equal(fm_region_find_student(&r, "S1"), -1);
    assert_int_equal(fm_region_find_school(&r, "K1"), -1);
    assert_int_equal(fm_region_find_sector(&r, "law"), -1);
    fm_region_free(&r);
    fm_region_free(&r); /* freeing twice is harmless: free() re-inits */
}

static void test_intern_school_employer(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    assert_int_equal(fm_region_intern_school(&r, "K1"), 0);
    assert_int_equal(fm_region_intern_school(&r, "K2"), 1);
    assert_int_equal(fm_region_intern_school(&r, "K1"), 0);
    assert_int_equal(fm_region_intern_school(&r, "k1"), 2); /* refs are case-sensitive */
    assert_int_equal(r.n_schools, 3);
    assert_string_equal(r.schools[1].ref, "K2");
    assert_string_equal(r.schools[1].name, "");
    assert_int_equal(r.schools[1].listed, 0);
    assert_int_equal(fm_region_find_school(&r, "K2"), 1);
    assert_int_equal(fm_region_find_school(&r, "K9"), -1);

    assert_int_equal(fm_region_intern_employer(&r, "E1"), 0);
    assert_int_equal(fm_region_intern_employer(&r, "E2"), 1);
    assert_int_equal(fm_region_intern_employer(&r, "E1"), 0);
    assert_int_equal(r.n_employers, 2);
    assert_string_equal(r.employers[1], "E2");
    fm_region_free(&r);
}

static void test_intern_sector(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    assert_int_equal(fm_region_intern_sector(&r, "  Law "), 0);
    assert_int_equal(fm_region_intern_sector(&r, "law"), 0);
    assert_int_equal(fm_region_intern_sector(&r, "LAW\t"), 0);
    assert_int_equal(fm_region_intern_sector(&r, "Health care"), 1);
    assert_int_equal(fm_region_intern_sector(&r, "health CARE"), 1);
    assert_int_equal(fm_region_intern_sector(&r, "healthcare"), 2);
    assert_int_equal(fm_region_intern_sector(&r, ""), FM_EINVAL);
    assert_int_equal(fm_region_intern_sector(&r, "  \t "), FM_EINVAL);
    assert_int_equal(r.n_sectors, 3);
    assert_string_equal(r.sectors[0], "Law"); /* first spelling, trimmed */
    assert_string_equal(r.sectors[1], "Health care");
    assert_int_equal(fm_region_find_sector(&r, " lAw "), 0);
    assert_int_equal(fm_region_find_sector(&r, "arts"), -1);
    assert_int_equal(fm_region_find_sector(&r, ""), -1);
    /* A long code (past the lookup's stack buffer). */
    char longcode[300];
    memset(longcode, 'A', sizeof longcode - 1);
    longcode[sizeof longcode - 1] = '\0';
    assert_int_equal(fm_region_intern_sector(&r, longcode), 3);
    longcode[5] = 'a';
    assert_int_equal(fm_region_find_sector(&r, longcode), 3);
    fm_region_free(&r);
}

static void test_students(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t k = fm_region_intern_school(&r, "K1");
    int32_t law = fm_region_intern_sector(&r, "law");
    int32_t weeks[] = {202724, 202725};
    int32_t off = fm_region_add_ints(&r, weeks, 2);
    assert_int_equal(off, 0);

    char ref[16] = "S1";
    fm_student s = student(ref, k);
    s.n_sectors = 1;
    s.sectors[0] = (int16_t)law;
    s.weeks_off = off;
    s.n_weeks = 2;
    assert_int_equal(fm_region_add_student(&r, &s), 0);
    strcpy(ref, "S2"); /* the region copied the ref */
    assert_string_equal(r.students[0].ref, "S1");
    assert_ptr_not_equal(r.students[0].ref, ref);
    assert_int_equal(fm_region_add_student(&r, &s), 1);
    strcpy(ref, "S1");
    assert_int_equal(fm_region_add_student(&r, &s), FM_EINVAL);
    assert_int_equal(r.n_students, 2);
    assert_int_equal(fm_region_find_student(&r, "S1"), 0);
    assert_int_equal(fm_region_find_student(&r, "S2"), 1);
    assert_int_equal(fm_region_find_student(&r, "s1"), -1);
    assert_int_equal(r.students[1].n_weeks, 2);
    assert_int_equal(r.ints[r.students[1].weeks_off + 1], 202725);
    fm_region_free(&r);
}

static void test_placements_mentors(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t e = fm_region_intern_employer(&r, "E1");
    int32_t law = fm_region_intern_sector(&r, "law");
    fm_placement p;
    memset(&p, 0, sizeof p);
    char title[] = "Clerk";
    p.ref = (char *)"P1";
    p.employer = e;
    p.sector = (int16_t)law;
    p.capacity = 3;
    p.title = title;
    assert_int_equal(fm_region_add_placement(&r, &p), 0);
    title[0] = 'X';
    assert_string_equal(r.placements[0].title, "Clerk");
    p.ref = (char *)"P2";
    p.title = NULL; /* NULL text becomes "" */
    assert_int_equal(fm_region_add_placement(&r, &p), 1);
    assert_string_equal(r.placements[1].title, "");
    assert_int_equal(fm_region_add_placement(&r, &p), FM_EINVAL);
    assert_int_equal(fm_region_find_placement(&r, "P2"), 1);
    assert_int_equal(fm_region_find_placement(&r, "P3"), -1);

    int32_t secs[] = {law};
    fm_mentor m;
    memset(&m, 0, sizeof m);
    m.ref = (char *)"M1";
    m.organisation = (char *)"Acme";
    m.sectors_off = fm_region_add_ints(&r, secs, 1);
    m.n_sectors = 1;
    m.capacity = 2;
    assert_int_equal(fm_region_add_mentor(&r, &m), 0);
    assert_int_equal(fm_region_add_mentor(&r, &m), FM_EINVAL);
    assert_int_equal(fm_region_find_mentor(&r, "M1"), 0);
    assert_string_equal(r.mentors[0].organisation, "Acme");
    /* Refs of different kinds live in different tables. */
    assert_int_equal(fm_region_find_student(&r, "M1"), -1);
    fm_region_free(&r);
}

static void test_ints(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t v[3] = {1, 2, 3};
    assert_int_equal(fm_region_add_ints(&r, v, 3), 0);
    assert_int_equal(fm_region_add_ints(&r, NULL, 0), 3);
    assert_int_equal(fm_region_add_ints(&r, v, 2), 3);
    assert_int_equal(r.n_ints, 5);
    assert_int_equal(r.ints[4], 2);
    fm_region_free(&r);
}

static void test_set_school(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    assert_int_equal(fm_region_intern_school(&r, "K1"), 0);
    assert_int_equal(fm_region_set_school(&r, "K1", "Hill School", 51.5, -0.1, 1), 0);
    assert_int_equal(fm_region_set_school(&r, "K2", NULL, 0, 0, 0), 0);
    assert_int_equal(r.n_schools, 2);
    assert_string_equal(r.schools[0].name, "Hill School");
    assert_int_equal(r.schools[0].listed, 1);
    assert_true(r.schools[0].lat == 51.5 && r.schools[0].lon == -0.1);
    assert_string_equal(r.schools[1].name, "");
    assert_int_equal(r.schools[1].listed, 1);
    assert_true(isnan(r.schools[1].lat) && isnan(r.schools[1].lon));
    /* Setting again replaces the name. */
    assert_int_equal(fm_region_set_school(&r, "K1", "Hill Academy", 1, 2, 1), 0);
    assert_string_equal(r.schools[0].name, "Hill Academy");
    fm_region_free(&r);
}

static void test_rollback(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t k = fm_region_intern_school(&r, "K1");
    fm_region_intern_sector(&r, "law");
    fm_region_intern_employer(&r, "E1");
    fm_student s = student("S1", k);
    assert_int_equal(fm_region_add_student(&r, &s), 0);

    fm_region_mark m;
    fm_region_checkpoint(&r, &m);
    int32_t k2 = fm_region_intern_school(&r, "K2");
    assert_int_equal(fm_region_intern_sector(&r, "Arts"), 1);
    assert_int_equal(fm_region_intern_employer(&r, "E2"), 1);
    int32_t v[] = {202701};
    fm_region_add_ints(&r, v, 1);
    for (int i = 2; i < 3000; i++) {
        char ref[16];
        snprintf(ref, sizeof ref, "S%d", i);
        s = student(ref, k2);
        assert_true(fm_region_add_student(&r, &s) >= 0);
    }
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)"P1";
    p.capacity = 1;
    assert_int_equal(fm_region_add_placement(&r, &p), 0);
    fm_mentor mt;
    memset(&mt, 0, sizeof mt);
    mt.ref = (char *)"M1";
    assert_int_equal(fm_region_add_mentor(&r, &mt), 0);

    fm_region_rollback(&r, &m);
    assert_int_equal(r.n_students, 1);
    assert_int_equal(r.n_schools, 1);
    assert_int_equal(r.n_sectors, 1);
    assert_int_equal(r.n_employers, 1);
    assert_int_equal(r.n_placements, 0);
    assert_int_equal(r.n_mentors, 0);
    assert_int_equal(r.n_ints, 0);
    assert_int_equal(fm_region_find_student(&r, "S1"), 0);
    assert_int_equal(fm_region_find_student(&r, "S2"), -1);
    assert_int_equal(fm_region_find_school(&r, "K2"), -1);
    assert_int_equal(fm_region_find_sector(&r, "arts"), -1);
    assert_int_equal(fm_region_find_placement(&r, "P1"), -1);
    assert_int_equal(fm_region_find_mentor(&r, "M1"), -1);

    /* The same names can come back, with the same ids. */
    assert_int_equal(fm_region_intern_school(&r, "K2"), 1);
    assert_int_equal(fm_region_intern_sector(&r, "ARTS"), 1);
    assert_string_equal(r.sectors[1], "ARTS");
    s = student("S2", 1);
    assert_int_equal(fm_region_add_student(&r, &s), 1);
    /* Rolling back to the start empties the region. */
    fm_region_mark zero;
    memset(&zero, 0, sizeof zero);
    fm_region_rollback(&r, &zero);
    assert_int_equal(r.n_students, 0);
    assert_int_equal(fm_region_find_student(&r, "S1"), -1);
    fm_region_free(&r);
}

static void test_many(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t k = fm_region_intern_school(&r, "K");
    enum { N = 100000 };
    char ref[32];
    for (int i = 0; i < N; i++) {
        snprintf(ref, sizeof ref, "S%07d", i);
        fm_student s = student(ref, k);
        assert_int_equal(fm_region_add_student(&r, &s), i);
    }
    for (int i = 0; i < N; i += 7) {
        snprintf(ref, sizeof ref, "S%07d", i);
        assert_int_equal(fm_region_find_student(&r, ref), i);
    }
    assert_int_equal(fm_region_find_student(&r, "S"), -1);
    fm_region_free(&r);
}

static void test_tier(void **state)
{
    (void)state;
    fm_student s;
    memset(&s, 0, sizeof s);
    for (int li = 0; li < 2; li++)
        for (int la = 0; la < 2; la++)
            for (int g = 0; g < 2; g++) {
                s.low_income = (uint8_t)li;
                s.looked_after = (uint8_t)la;
                s.gifted = (uint8_t)g;
                int want = (li || la) ? (g ? 1 : 2) : 3;
                assert_int_equal(fm_student_tier(&s), want);
            }
    /* needs_access and gender play no part. */
    s.low_income = 1;
    s.gifted = 1;
    s.needs_access = 1;
    s.gender = 'F';
    assert_int_equal(fm_student_tier(&s), 1);
}

#if FAULTS
/* For every N, fail the N-th allocation of a batch of region calls made on a
 * region that already holds some data: each call either succeeds or returns
 * FM_ENOMEM without changing the region; after freeing, nothing is left. */
static int region_batch(fm_region *r)
{
    int32_t rc;
    if ((rc = fm_region_intern_school(r, "K-new")) < 0)
        return rc;
    if ((rc = fm_region_intern_sector(r, "New sector")) < 0)
        return rc;
    if ((rc = fm_region_intern_employer(r, "E-new")) < 0)
        return rc;
    int32_t v[] = {202724, 202725};
    int32_t off = fm_region_add_ints(r, v, 2);
    if (off < 0)
        return off;
    fm_student s = student("S-new", 0);
    s.weeks_off = off;
    s.n_weeks = 2;
    if ((rc = fm_region_add_student(r, &s)) < 0)
        return rc;
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)"P-new";
    p.title = (char *)"T";
    if ((rc = fm_region_add_placement(r, &p)) < 0)
        return rc;
    fm_mentor m;
    memset(&m, 0, sizeof m);
    m.ref = (char *)"M-new";
    if ((rc = fm_region_add_mentor(r, &m)) < 0)
        return rc;
    if ((rc = fm_region_set_school(r, "K-listed", "Name", 1, 2, 1)) < 0)
        return rc;
    return 0;
}
#endif

static void test_alloc_failures(void **state)
{
    (void)state;
#if FAULTS
    long n;
    for (n = 1;; n++) {
        long live0 = fault_live;
        fm_region r;
        fm_region_init(&r);
        int32_t k = fm_region_intern_school(&r, "K0");
        fm_region_intern_sector(&r, "law");
        fm_region_intern_employer(&r, "E0");
        for (int i = 0; i < 40; i++) {
            char ref[16];
            snprintf(ref, sizeof ref, "S%d", i);
            fm_student s = student(ref, k);
            assert_true(fm_region_add_student(&r, &s) >= 0);
        }
        fm_region_mark before, after;
        fm_region_checkpoint(&r, &before);

        /* One call at a time, so that "unchanged" can be checked per call. */
        fault_arm(n);
        int rc = region_batch(&r);
        int did_fail = fault_failed;
        fault_arm(0);
        if (did_fail) {
            assert_int_equal(rc, FM_ENOMEM);
        } else {
            assert_int_equal(rc, 0);
        }
        fm_region_checkpoint(&r, &after);
        /* Whatever was added, lookups agree with the arrays. */
        for (size_t i = 0; i < r.n_students; i++)
            assert_int_equal(fm_region_find_student(&r, r.students[i].ref), (int32_t)i);
        for (size_t i = 0; i < r.n_schools; i++)
            assert_int_equal(fm_region_find_school(&r, r.schools[i].ref), (int32_t)i);
        for (size_t i = 0; i < r.n_sectors; i++)
            assert_int_equal(fm_region_find_sector(&r, r.sectors[i]), (int32_t)i);
        fm_region_rollback(&r, &before);
        assert_int_equal(fm_region_find_student(&r, "S-new"), -1);
        assert_int_equal(fm_region_find_school(&r, "K-new"), -1);
        fm_region_free(&r);
        assert_int_equal(fault_live, live0);
        if (!did_fail)
            break;
    }
    assert_true(n > 15); /* the batch allocates; each allocation was failed once */
    /* Each single call: fails cleanly, leaving the region as it was. */
    for (long n = 1;; n++) {
        long live0 = fault_live;
        fm_region r;
        fm_region_init(&r);
        fm_region_intern_school(&r, "K0");
        fm_region_mark before, after;
        fm_region_checkpoint(&r, &before);
        fault_arm(n);
        int32_t rc = fm_region_intern_sector(&r, "Arts");
        int did_fail = fault_failed;
        fault_arm(0);
        fm_region_checkpoint(&r, &after);
        if (did_fail) {
            assert_int_equal(rc, FM_ENOMEM);
            assert_memory_equal(&before, &after, sizeof before);
            assert_int_equal(fm_region_find_sector(&r, "arts"), -1);
        }
        fm_region_free(&r);
        assert_int_equal(fault_live, live0);
        if (!did_fail)
            break;
    }
#else
    skip();
#endif
}

/* Sorting by ref reorders the rows and keeps every lookup right. */
static void sort_by_ref_keeps_lookups(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    int32_t sch = fm_region_intern_school(&r, "K1");
    int32_t sec = fm_region_intern_sector(&r, "law");
    const char *refs[] = { "S3", "S1", "S20", "S2" };
    for (int i = 0; i < 4; i++) {
        fm_student s = { .ref = (char *)refs[i], .school = sch, .birth_date = 20100101 + i,
                         .n_sectors = 1, .sectors = { (int16_t)sec } };
        assert_true(fm_region_add_student(&r, &s) >= 0);
    }
    fm_region_sort_by_ref(&r);
    const char *sorted[] = { "S1", "S2", "S20", "S3" };
    const int32_t born[] = { 20100102, 20100104, 20100103, 20100101 };
    for (int i = 0; i < 4; i++) {
        assert_string_equal(r.students[i].ref, sorted[i]);
        assert_int_equal(r.students[i].birth_date, born[i]);
        assert_int_equal(fm_region_find_student(&r, sorted[i]), i);
    }
    fm_student dup = { .ref = "S20", .school = sch };
    assert_int_equal(fm_region_add_student(&r, &dup), FM_EINVAL);
    fm_region_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_by_ref_keeps_lookups),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_intern_school_employer),
        cmocka_unit_test(test_intern_sector),
        cmocka_unit_test(test_students),
        cmocka_unit_test(test_placements_mentors),
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_set_school),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_tier),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
