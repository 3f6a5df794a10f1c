/*
 * test_explain_audit.c - the nearest misses (explain.c), the explanations
 * file (explanations_csv.c) and the justified-envy audit (audit.c).
 *
 * Normal case: on hand-built rounds, explanations.csv says what a
 * coordinator should read ("3 seats, all taken by tier-1 pupils", "2
 * reserved and empty; the pupil is tier 3", "is 31.x km away; the travel
 * limit is 20 km"); on hundreds of small random rounds (drawn by
 * policy_reference.c, 8-30 pupils), the solver's envy counts and nearest
 * misses equal a brute-force recount over every (pupil, target) pair with
 * the reference's own eligibility, and envy by an unmatched pupil is 0;
 * and the pool part of each side's certificate, with the students' parts
 * implied (proof.h), proves the same vector again.
 * Failure: the first instance that disagrees fails with its seed.
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

#include "explanations_csv.h"
#include "policy_reference.h"
#include "proof.h"
#include "region.h"
#include "solver.h"

#define DATE 20270614
#define N_RANDOM 300

/* ---- hand-built rounds ------------------------------------------------------ */

static void add_student(fm_region *r, const char *ref, int tier, double lat, const char *sector)
{
    fm_student s;
    memset(&s, 0, sizeof s);
    s.ref = (char *)ref;
    s.school = fm_region_intern_school(r, "SCH1");
    s.birth_date = 20120101;
    s.lat = lat;
    s.lon = -1.0;
    s.max_travel_km = 20;
    s.low_income = tier <= 2;
    s.gifted = tier == 1;
    s.wants_placement = 1;
    s.n_sectors = 1;
    s.sectors[0] = (int16_t)fm_region_intern_sector(r, sector);
    assert_true(fm_region_add_student(r, &s) >= 0);
}

static void add_placement(fm_region *r, const char *ref, int cap, int reserve_pct, double lat)
{
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)ref;
    p.employer = fm_region_intern_employer(r, "E1");
    p.title = (char *)"";
    p.sector = (int16_t)fm_region_intern_sector(r, "law");
    p.capacity = cap;
    p.lat = lat;
    p.lon = -1.0;
    p.has_location = 1;
    p.min_age = 14;
    p.reserve_pct = reserve_pct;
    assert_true(fm_region_add_placement(r, &p) >= 0);
}

/* Solves r and returns explanations.csv as a string (free()). */
static char *explanations_of(fm_region *r)
{
    fm_round_params params = { .date = DATE, .threads = 1 };
    fm_result res;
    fm_error err;
    fm_error_clear(&err);
    fm_region_sort_by_ref(r);
    assert_int_equal(fm_solver_run(r, &params, &res, &err), FM_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(fm_explanations_csv_write(f, r, DATE, &res, &err), 0);
    fclose(f);
    fm_result_free(&res);
    return text;
}

static void all_taken_by_tier1(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    add_placement(&r, "PL123", 3, 0, 52.0);
    add_student(&r, "A1", 1, 52.0, "law");
    add_student(&r, "A2", 1, 52.0, "law");
    add_student(&r, "A3", 1, 52.0, "law");
    add_student(&r, "B1", 3, 52.0, "law");
    char *text = explanations_of(&r);
    assert_non_null(strstr(text, "placements,B1,3,outcompeted,full,PL123,E1,law,0.000,,3,0,3,0,0,"));
    assert_non_null(strstr(text, "3 seats, all taken by tier-1 pupils."));
    assert_null(strstr(text, "A1"));
    free(text);
    fm_region_free(&r);
}

static void reserved_and_empty(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    add_placement(&r, "PL7", 4, 50, 52.0); /* 2 reserved seats */
    add_student(&r, "C1", 3, 52.0, "law");
    add_student(&r, "C2", 3, 52.0, "law");
    add_student(&r, "C3", 3, 52.0, "law");
    char *text = explanations_of(&r);
    assert_non_null(strstr(text, ",outcompeted,reserved,PL7,"));
    assert_non_null(strstr(text, "4 seats: 2 taken by tier-3 pupils, 2 reserved and empty; "
                                 "the pupil is tier 3."));
    free(text);
    fm_region_free(&r);
}

static void too_far(void **state)
{
    (void)state;
    fm_region r;
    fm_region_init(&r);
    add_placement(&r, "NEAR", 1, 0, 52.5);   /* about 55.6 km */
    add_placement(&r, "FAR", 1, 0, 53.0);    /* about 111 km */
    add_student(&r, "D1", 2, 52.0, "law");
    char *text = explanations_of(&r);
    assert_non_null(strstr(text, "placements,D1,2,no_eligible,distance,NEAR,E1,law,55.597,"));
    assert_non_null(strstr(text, "Nearest law placement NEAR (55.6 km) is 55.6 km away; the "
                                 "travel limit is 20 km."));
    free(text);
    fm_region_free(&r);
}

/* ---- random rounds against a brute-force recount ---------------------------- */

/* What the random rounds exercised, summed over all seeds. */
static int64_t seen_envy, seen_outcompeted, seen_reserved_open, seen_no_eligible, seen_own;

static double cmp_km(const fm_ref_pair *p, int mentors)
{
    return p->distance_km < 0 ? (mentors ? 25.0 : 50.0) : p->distance_km;
}

static void check_side(uint64_t seed, const fm_region *r, const fm_ref_side *side,
                       const fm_side_result *res)
{
    int mentors = side->mentors;
    size_t ns = side->n_students, nt = side->n_targets;
    /* envy */
    int64_t pairs = 0, by_tier[2] = { 0, 0 }, unmatched = 0, students = 0;
    for (size_t s = 0; s < ns; s++) {
        int tier = side->tier[s], got = res->match[s].target >= 0 ? res->match[s].utility : 0;
        int envious = 0;
        for (size_t t = 0; t < nt; t++) {
            const fm_ref_pair *p = fm_ref_side_pair(side, s, t);
            if (!p->eligible || p->utility <= got)
                continue;
            int lower = 0;
            for (size_t o = 0; o < ns; o++)
                lower |= res->match[o].target == (int32_t)t && side->tier[o] > tier;
            if (!lower)
                continue;
            pairs++;
            by_tier[tier - 1]++;
            unmatched += res->match[s].target < 0;
            envious = 1;
        }
        students += envious;
    }
    seen_envy += pairs;
    if (res->envy.pairs != pairs || res->envy.pairs_by_tier[0] != by_tier[0] ||
        res->envy.pairs_by_tier[1] != by_tier[1] || res->envy.students != students ||
        res->envy.pairs_unmatched != unmatched || unmatched != 0)
        fail_msg("seed %llu %s: envy %lld/%lld/%lld/%lld, brute force %lld/%lld/%lld/%lld "
                 "(unmatched %lld)", (unsigned long long)seed, mentors ? "mentors" : "placements",
                 (long long)res->envy.pairs, (long long)res->envy.pairs_by_tier[0],
                 (long long)res->envy.pairs_by_tier[1], (long long)res->envy.students,
                 (long long)pairs, (long long)by_tier[0], (long long)by_tier[1],
                 (long long)students, (long long)unmatched);
    /* nearest misses */
    for (size_t s = 0; s < ns; s++) {
        const fm_match *m = &res->match[s];
        const fm_miss *x = &res->miss[s];
        int32_t want = -1, own = -1;
        double best = 0, best_own = 0;
        if (!m->asked || m->target >= 0) {
            if (x->target != -1)
                fail_msg("seed %llu: student %zu has a miss but no reason", (unsigned long long)seed, s);
            continue;
        }
        for (size_t t = 0; t < nt; t++) {
            const fm_ref_pair *p = fm_ref_side_pair(side, s, t);
            if (m->reason == FM_REASON_OUTCOMPETED) {
                if (p->eligible && (want < 0 || p->utility > best)) {
                    want = (int32_t)t;
                    best = p->utility;
                }
                continue;
            }
            if (p->rule == (fm_rule)m->rule && (want < 0 || cmp_km(p, mentors) < best)) {
                want = (int32_t)t;
                best = cmp_km(p, mentors);
            }
            if (p->rank > 0 && (own < 0 || cmp_km(p, mentors) < best_own)) {
                own = (int32_t)t;
                best_own = cmp_km(p, mentors);
            }
        }
        if (x->target != want)
            fail_msg("seed %llu %s: student %zu (%s): nearest miss %d, brute force %d",
                     (unsigned long long)seed, mentors ? "mentors" : "placements", s,
                     fm_reason_name((fm_reason)m->reason), x->target, want);
        if (want >= 0) {
            const fm_ref_pair *p = fm_ref_side_pair(side, s, (size_t)want);
            assert_true(fabs(x->distance_km - p->distance_km) < 1e-9);
        }
        if (m->reason == FM_REASON_OUTCOMPETED) {
            seen_outcompeted++;
            seen_reserved_open += x->reserved_open;
            int held = 0;
            for (size_t o = 0; o < ns; o++)
                held += res->match[o].target == want;
            if (x->reserved_open != (held < side->capacity[want]))
                fail_msg("seed %llu: student %zu: reserved_open %d, %d of %d seats held",
                         (unsigned long long)seed, s, x->reserved_open, held,
                         side->capacity[want]);
            if (x->reserved_open)
                assert_int_equal(side->tier[s], 3);
        } else if ((seen_no_eligible++, m->rule == FM_RULE_SECTOR)) {
            seen_own += own >= 0;
            if (x->own_target != own)
                fail_msg("seed %llu: student %zu: nearest own-sector target %d, brute force %d",
                         (unsigned long long)seed, s, x->own_target, own);
            if (own >= 0)
                assert_int_equal(x->own_rule, fm_ref_side_pair(side, s, (size_t)own)->rule);
        }
    }
    (void)r;
}

static void random_rounds(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= N_RANDOM; seed++) {
        fm_ref_gen_params gp;
        fm_ref_gen_tiny_params(seed, DATE, &gp);
        gp.n_students = 8 + (int)(seed % 23);
        gp.n_placements = 2 + (int)(seed % 7);
        gp.n_mentors = 1 + (int)(seed % 4);
        gp.p_far = seed % 3 ? 0.1 : 0.4;
        fm_region r;
        fm_region_init(&r);
        assert_int_equal(fm_ref_generate(&r, &gp, seed), 0);
        fm_region_sort_by_ref(&r);
        fm_round_params params = { .date = DATE, .threads = 1 };
        fm_result res;
        fm_error err;
        fm_error_clear(&err);
        assert_int_equal(fm_solver_run(&r, &params, &res, &err), FM_OK);
        for (int mentors = 0; mentors < 2; mentors++) {
            fm_ref_side side;
            assert_int_equal(fm_ref_side_init(&side, &r, DATE, mentors), 0);
            const fm_side_result *sr = mentors ? &res.mentors : &res.placements;
            check_side(seed, &r, &side, sr);
            /* the pool part of the certificate alone proves the optimum again */
            int32_t *target = malloc((r.n_students + 1) * sizeof *target);
            assert_non_null(target);
            for (size_t s = 0; s < r.n_students; s++)
                target[s] = sr->match[s].target;
            fm_side_check chk;
            assert_int_equal(fm_proof_check_side(&r, mentors, DATE, target, &sr->certificate,
                                                 &chk, &err), FM_OK);
            if (!chk.proven || memcmp(&chk.vector, &sr->vector, sizeof chk.vector) != 0 ||
                chk.envy.pairs != sr->envy.pairs)
                fail_msg("seed %llu %s: re-check: proven %d (%s)", (unsigned long long)seed,
                         mentors ? "mentors" : "placements", chk.proven, chk.proof_error);
            for (size_t s = 0; s < r.n_students; s++)
                assert_int_equal(chk.match[s].reason, sr->match[s].reason);
            fm_side_check_free(&chk);
            free(target);
            fm_ref_side_free(&side);
        }
        fm_result_free(&res);
        fm_region_free(&r);
    }
    print_message("envy pairs %lld, outcompeted %lld (reserved open %lld), no_eligible %lld "
                  "(own-sector miss %lld)\n", (long long)seen_envy, (long long)seen_outcompeted,
                  (long long)seen_reserved_open, (long long)seen_no_eligible, (long long)seen_own);
    assert_true(seen_envy > 0 && seen_outcompeted > 0 && seen_reserved_open > 0 &&
                seen_no_eligible > 0 && seen_own > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_taken_by_tier1),
        cmocka_unit_test(reserved_and_empty),
        cmocka_unit_test(too_far),
        cmocka_unit_test(random_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
