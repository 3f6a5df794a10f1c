/*
 * test_verify_constraints.c - verify's re-check of the extra constraints
 * (adapters/verify_constraints.c) held to the plain restatement in
 * constrained_reference.c, both written from constraints.h and neither
 * from the solver's constrained code.
 *
 * Normal case: on 200 tiny random rounds (policy_reference.c's
 * generator), random assignments that respect capacities and tier-3
 * limits (random pupils in random eligible targets, and the plain
 * optimum), each checked against random constraints (a floor, a spread, a
 * gender target, stable tiers, and all at once, on each side they apply
 * to): verify finds no failure exactly when the reference says the
 * assignment meets every constraint.  Then hand-made cases pin the
 * messages and the floor's rounding: 34 % of 3 eligible needs 2 (ceil
 * 1.02), 33.3 % of 3 needs 1, and f = 100 / 11 of 11 needs 1, not 2,
 * although f * 11 / 100 is 1.0000000000000002 in doubles.
 *
 * Infeasible rounds: the solver's evidence (LP certificates that the
 * floors cannot be met) passes verify_infeasible.c on every tiny round
 * that the exhaustive search finds infeasible; a liar's evidence for a
 * floor that some assignment meets never does.
 *
 * Failure: the first disagreement fails with its seed, side, constraint
 * and the reference's reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "constrained_reference.h"
#include "policy_reference.h"
#include "proof.h"
#include "region.h"
#include "round_output.h"
#include "solver.h"
#include "verify_checks.h"

#define DATE 20270614
#define N_SEEDS 200
#define DRAWS 6

enum { C_FLOOR, C_SPREAD, C_GENDER, C_STABLE, C_ALL, C_KINDS };
static const char *const kind_name[C_KINDS] = { "floor", "spread", "gender", "stable", "all" };

static void draw(int kind, fm_ref_rng *g, int n_sectors, fm_side_constraints *c, int mentors)
{
    static const double floors[] = { 20, 34, 50, 75, 100, 33.3 };
    static const double pcts[] = { 30, 50, 67, 100 };
    memset(c, 0, sizeof *c);
    if (kind == C_FLOOR || kind == C_ALL)
        c->school_floor_pct = floors[fm_ref_rng_int(g, 0, 5)];
    if (!mentors && (kind == C_SPREAD || kind == C_ALL))
        c->employer_spread_max = fm_ref_rng_int(g, 1, 2);
    if (!mentors && (kind == C_GENDER || kind == C_ALL)) {
        c->n_gender_targets = 1;
        snprintf(c->gender_target[0].sector, sizeof c->gender_target[0].sector, "sector%d",
                 fm_ref_rng_int(g, 0, n_sectors - 1));
        c->gender_target[0].gender = fm_ref_rng_chance(g, 0.5) ? 'F' : 'M';
        c->gender_target[0].min_pct = pcts[fm_ref_rng_int(g, 0, 3)];
    }
    if (kind == C_STABLE || kind == C_ALL)
        c->stable_tiers = 1;
}

/* A random assignment within capacities and tier-3 limits. */
static void random_assignment(const fm_ref_side *sd, fm_ref_rng *g, int32_t *assign)
{
    int load[64] = { 0 }, load3[64] = { 0 };
    assert_true(sd->n_targets <= 64);
    for (size_t s = 0; s < sd->n_students; s++) {
        assign[s] = -1;
        if (!sd->asked[s] || !fm_ref_rng_chance(g, 0.8))
            continue;
        int t = fm_ref_rng_int(g, 0, (int)sd->n_targets - 1);
        if (!fm_ref_side_pair(sd, s, (size_t)t)->eligible || load[t] >= sd->capacity[t] ||
            (sd->tier[s] == 3 && load3[t] >= sd->tier3_limit[t]))
            continue;
        assign[s] = t;
        load[t]++;
        load3[t] += sd->tier[s] == 3;
    }
}

/* The recomputed side of one assignment (proof.c), as verify has it. */
static void side_check(const fm_region *r, int mentors, const int32_t *assign,
                       fm_side_check *chk)
{
    fm_error err;
    fm_error_clear(&err);
    assert_int_equal(fm_proof_check_side(r, mentors, DATE, assign, NULL, chk, &err), 0);
    assert_int_equal(chk->n_broken, 0);
    assert_int_equal(chk->over_target, -1);
}

/* verify's verdict on constraints c: the number of failures. */
static size_t constraint_failures(const fm_region *r, int mentors, const fm_side_constraints *c,
                                  const fm_side_check *chk, fm_verify_report *rep)
{
    long *line = calloc(r->n_students + 1, sizeof *line);
    assert_non_null(line);
    memset(rep, 0, sizeof *rep);
    assert_int_equal(fm_verify_constraints(r, mentors, c, chk, line, NULL, rep), 0);
    free(line);
    return rep->n_failures;
}

static size_t verify_failures(const fm_region *r, int mentors, const fm_side_constraints *c,
                              const int32_t *assign, fm_verify_report *rep)
{
    fm_side_check chk;
    side_check(r, mentors, assign, &chk);
    size_t n = constraint_failures(r, mentors, c, &chk, rep);
    fm_side_check_free(&chk);
    return n;
}

static void test_matches_reference(void **state)
{
    (void)state;
    int met[C_KINDS] = { 0 }, broken[C_KINDS] = { 0 };
    fm_verify_report *rep = malloc(sizeof *rep);
    assert_non_null(rep);
    for (uint64_t seed = 1; seed <= N_SEEDS; seed++) {
        fm_ref_gen_params gp;
        fm_ref_gen_tiny_params(seed, DATE, &gp);
        fm_region r;
        fm_region_init(&r);
        assert_int_equal(fm_ref_generate(&r, &gp, seed), 0);
        fm_ref_rng g;
        fm_ref_rng_seed(&g, seed * 7919u);
        for (int side = 0; side < 2; side++) {
            fm_ref_side sd;
            assert_int_equal(fm_ref_side_init(&sd, &r, DATE, side), 0);
            int32_t *assign = calloc(sd.n_students + 1, sizeof *assign);
            assert_non_null(assign);
            fm_vector best;
            for (int d = 0; d < DRAWS; d++) {
                if (d == 0) /* the plain optimum: often meets stable tiers */
                    assert_int_equal(fm_ref_bruteforce(&sd, &best, assign, NULL), 0);
                else
                    random_assignment(&sd, &g, assign);
                fm_side_check chk;
                side_check(&r, side, assign, &chk);
                for (int kind = 0; kind < C_KINDS; kind++) {
                    if (side == 1 && (kind == C_SPREAD || kind == C_GENDER))
                        continue;
                    fm_side_constraints c;
                    draw(kind, &g, gp.n_sectors, &c, side);
                    char why[128] = "";
                    int meets = fm_cref_meets(&r, &sd, &c, assign, why, sizeof why);
                    size_t nf = constraint_failures(&r, side, &c, &chk, rep);
                    if ((nf == 0) != (meets == 1))
                        fail_msg("seed %llu side %d %s draw %d: reference meets=%d (%s), "
                                 "verify %zu failures (first: %s: %s)",
                                 (unsigned long long)seed, side, kind_name[kind], d, meets, why,
                                 nf, nf ? rep->failures[0].ref : "",
                                 nf ? rep->failures[0].message : "");
                    met[kind] += meets == 1;
                    broken[kind] += meets != 1;
                }
                fm_side_check_free(&chk);
            }
            free(assign);
            fm_ref_side_free(&sd);
        }
        fm_region_free(&r);
    }
    free(rep);
    for (int kind = 0; kind < C_KINDS; kind++) {
        print_message("%s: %d assignments meet it, %d break it\n", kind_name[kind], met[kind],
                      broken[kind]);
        /* both verdicts occur often: the comparison has teeth */
        assert_true(met[kind] >= 50 && broken[kind] >= 50);
    }
}

/* One school, n pupils who all asked for law (S1 F, the others M); one
 * placement of n seats. */
static void pupils(fm_region *r, int n)
{
    fm_region_init(r);
    int32_t school = fm_region_intern_school(r, "SCH1");
    int32_t law = fm_region_intern_sector(r, "law");
    int32_t emp = fm_region_intern_employer(r, "EMP1");
    assert_true(school >= 0 && law >= 0 && emp >= 0);
    for (int i = 0; i < n; i++) {
        char ref[16];
        snprintf(ref, sizeof ref, "S%d", i + 1);
        fm_student s = { .school = school, .birth_date = 20100101, .lat = 52.4, .lon = -1.5,
                         .max_travel_km = 20, .gender = i ? 'M' : 'F', .wants_placement = 1,
                         .n_sectors = 1 };
        s.ref = ref;
        s.sectors[0] = (int16_t)law;
        assert_true(fm_region_add_student(r, &s) >= 0);
    }
    fm_placement p = { .employer = emp, .sector = (int16_t)law, .capacity = n, .lat = 52.4,
                       .lon = -1.5, .has_location = 1, .min_age = 13 };
    p.ref = "PL1";
    assert_true(fm_region_add_placement(r, &p) >= 0);
}

static void test_floor_rounding_and_messages(void **state)
{
    (void)state;
    fm_region r;
    fm_verify_report *rep = malloc(sizeof *rep);
    assert_non_null(rep);
    fm_side_constraints c;
    memset(&c, 0, sizeof c);
    /* 1 of 11 placed, f = 100 / 11 as a double: f * 11 / 100 is
     * 1.0000000000000002, and the floor still needs 1, not 2 */
    pupils(&r, 11);
    int32_t one_of_11[11];
    for (int i = 0; i < 11; i++)
        one_of_11[i] = i ? -1 : 0;
    c.school_floor_pct = 100.0 / 11.0;
    assert_true(c.school_floor_pct * 11 / 100.0 > 1.0);
    assert_int_equal(verify_failures(&r, 0, &c, one_of_11, rep), 0);
    assert_int_equal(rep->cons[0].floor_schools, 1);
    fm_region_free(&r);

    pupils(&r, 3);
    int32_t one[3] = { 0, -1, -1 }, two[3] = { 0, 0, -1 };
    c.school_floor_pct = 100.0 / 3.0;
    assert_int_equal(verify_failures(&r, 0, &c, one, rep), 0);
    c.school_floor_pct = 33.3;
    assert_int_equal(verify_failures(&r, 0, &c, one, rep), 0);
    c.school_floor_pct = 34; /* ceil(1.02) = 2 */
    assert_int_equal(verify_failures(&r, 0, &c, one, rep), 1);
    assert_string_equal(rep->failures[0].ref, "SCH1");
    assert_string_equal(rep->failures[0].message, "school floor: 1 of 3 eligible applicants "
                        "placed (33.3%), below the floor of 34% (needs 2)");
    assert_int_equal(verify_failures(&r, 0, &c, two, rep), 0);
    /* spread: two of SCH1's pupils with EMP1 */
    memset(&c, 0, sizeof c);
    c.employer_spread_max = 1;
    assert_int_equal(verify_failures(&r, 0, &c, two, rep), 1);
    assert_string_equal(rep->failures[0].message, "employer spread: 2 pupils of the school "
                        "placed with employer EMP1, more than the 1 allowed");
    assert_int_equal(rep->cons[0].spread_largest, 2);
    /* gender: S1 (F) and S2 (M) placed in law: 50 % F */
    memset(&c, 0, sizeof c);
    c.n_gender_targets = 1;
    snprintf(c.gender_target[0].sector, sizeof c.gender_target[0].sector, "law");
    c.gender_target[0].gender = 'F';
    c.gender_target[0].min_pct = 50;
    assert_int_equal(verify_failures(&r, 0, &c, two, rep), 0);
    c.gender_target[0].min_pct = 50.5;
    assert_int_equal(verify_failures(&r, 0, &c, two, rep), 1);
    assert_string_equal(rep->failures[0].ref, "law");
    assert_string_equal(rep->failures[0].message, "gender target: 1 of the 2 pupils placed in "
                        "sector law are F (50.0%), below the target of 50.5%");
    free(rep);
    fm_region_free(&r);
}

/* ---- infeasible rounds: the solver's evidence, re-checked ---- */

/* summary.json of an infeasible solve, as `fairmatch solve` writes it. */
static json_t *infeasible_summary(const fm_region *r, const fm_round_params *p,
                                  const fm_error *why, const fm_infeasible_evidence *ev)
{
    char dir[] = "/tmp/fm_vc_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    fm_error werr;
    fm_error_clear(&werr);
    assert_int_equal(fm_summary_infeasible_write(dir, p, why, r, ev, &werr), 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    assert_non_null(s);
    unlink(path);
    rmdir(dir);
    return s;
}

static size_t infeasible_failures(const fm_region *r, const fm_round_params *p, json_t *s,
                                  fm_verify_report *rep)
{
    fm_error err;
    fm_error_clear(&err);
    memset(rep, 0, sizeof *rep);
    snprintf(rep->policy_source, sizeof rep->policy_source, "test");
    assert_int_equal(fm_verify_infeasible(r, DATE, p, s, rep, &err), 0);
    return rep->n_failures;
}

/* A liar's certificate for a lower floor: every need and "needed"
 * recomputed consistently, the rows kept. */
static void forge_lower_floor(json_t *s, double pct)
{
    json_t *ev = json_object_get(s, "evidence"), *cert, *k;
    json_object_set_new(ev, "floor_pct", json_real(pct));
    size_t i, j;
    json_array_foreach(json_object_get(ev, "certificates"), i, cert) {
        double needed = 0;
        json_array_foreach(json_object_get(cert, "schools"), j, k) {
            int32_t e = (int32_t)json_integer_value(json_object_get(k, "eligible"));
            int32_t need = fm_verify_floor_need(pct, e);
            json_object_set_new(k, "need", json_integer(need));
            needed += json_number_value(json_object_get(k, "weight")) * need;
        }
        json_object_set_new(cert, "needed", json_real(needed));
    }
}

/* Every failure is one of the two that a sound check must give here. */
static int only_unproven(const fm_verify_report *rep)
{
    size_t n = rep->n_failures < FM_VERIFY_MAX_FAILURES ? rep->n_failures
                                                        : FM_VERIFY_MAX_FAILURES;
    for (size_t i = 0; i < n; i++)
        if (!strstr(rep->failures[i].message, "does not prove the floors impossible") &&
            !strstr(rep->failures[i].message, "no certificate that proves"))
            return 0;
    return n > 0;
}

/* Tiny rounds whose floors (alone, or with an employer spread of 1) no
 * assignment meets (exhaustive search): the solver's evidence verifies;
 * with floors alone (a totally unimodular LP) it always has a certificate.
 * The same evidence made to claim a lower floor that some assignment
 * meets, by a consistent liar, is rejected as not proving it; a row's
 * limit edited is caught. */
static void test_infeasible_evidence(void **state)
{
    (void)state;
    static const double floors[] = { 50, 75, 100 };
    int verified = 0, with_cert = 0, forged = 0, limits = 0;
    fm_verify_report *rep = malloc(sizeof *rep);
    assert_non_null(rep);
    for (uint64_t seed = 1; seed <= N_SEEDS; seed++) {
        fm_ref_gen_params gp;
        fm_ref_gen_tiny_params(seed, DATE, &gp);
        fm_region r;
        fm_region_init(&r);
        assert_int_equal(fm_ref_generate(&r, &gp, seed), 0);
        for (int side = 0; side < 2; side++) {
            fm_ref_side sd;
            assert_int_equal(fm_ref_side_init(&sd, &r, DATE, side), 0);
            for (int spread = 0; spread <= (side == 0); spread++) {
                fm_round_params p = { .date = DATE };
                fm_side_constraints *c = &p.constraints.side[side];
                c->school_floor_pct = floors[seed % 3];
                c->employer_spread_max = spread;
                fm_vector best;
                if (fm_cref_bruteforce(&r, &sd, c, &best) != 0)
                    continue; /* feasible (or ENOMEM, caught by the assert below) */
                fm_result res;
                fm_error err;
                fm_error_clear(&err);
                fm_result_init(&res);
                assert_int_equal(fm_solver_run(&r, &p, &res, &err), FM_EINFEASIBLE);
                assert_non_null(res.infeasible);
                json_t *s = infeasible_summary(&r, &p, &err, res.infeasible);
                if (infeasible_failures(&r, &p, s, rep) != 0)
                    fail_msg("seed %llu side %d spread %d: the honest evidence fails: %s",
                             (unsigned long long)seed, side, spread, rep->failures[0].message);
                verified++;
                if (!spread)
                    assert_true(rep->infeasible.n_certs >= 1);
                with_cert += rep->infeasible.n_certs >= 1;
                /* a lower floor that some assignment meets, claimed infeasible */
                fm_round_params low = p;
                fm_side_constraints *lc = &low.constraints.side[side];
                for (double f = c->school_floor_pct / 2; f >= 1 && rep->infeasible.n_certs;
                     f /= 2) {
                    lc->school_floor_pct = f;
                    if (fm_cref_bruteforce(&r, &sd, lc, &best) != 1)
                        continue;
                    json_t *liar = json_deep_copy(s);
                    forge_lower_floor(liar, f);
                    infeasible_failures(&r, &low, liar, rep);
                    if (!only_unproven(rep))
                        fail_msg("seed %llu side %d: the forged %g%% evidence: %zu failures "
                                 "(first: %s)", (unsigned long long)seed, side, f,
                                 rep->n_failures, rep->n_failures ? rep->failures[0].message
                                                                  : "none");
                    json_decref(liar);
                    forged++;
                    break;
                }
                /* a row's limit edited */
                json_t *rows = json_object_get(json_array_get(json_object_get(json_object_get(
                    s, "evidence"), "certificates"), 0), "rows");
                if (json_array_size(rows) > 0) {
                    json_t *row = json_array_get(rows, 0);
                    json_object_set_new(row, "limit", json_real(json_number_value(
                        json_object_get(row, "limit")) + 1));
                    assert_true(infeasible_failures(&r, &p, s, rep) > 0);
                    assert_non_null(strstr(rep->failures[0].message, "the inputs give"));
                    limits++;
                }
                json_decref(s);
                fm_result_free(&res);
            }
            fm_ref_side_free(&sd);
        }
        fm_region_free(&r);
    }
    free(rep);
    print_message("infeasible rounds: %d verified (%d with an LP certificate), %d forged "
                  "lower floors rejected, %d edited limits caught\n", verified, with_cert,
                  forged, limits);
    assert_true(verified >= 30 && forged >= 10 && limits >= 10);
}

/* A floor that only the tier-3 limit breaks: 4 eligible pupils of SCH1
 * (S1 tier 2, the others tier 3), PL1 with 4 seats, half reserved, so at
 * most 2 tier-3 pupils: 3 of the 4 that a 100 % floor needs.  The
 * certificate is the tier-3 row (y 1, limit 2) and S1 left uncovered. */
static void test_infeasible_tier3_certificate(void **state)
{
    (void)state;
    fm_region r;
    pupils(&r, 4);
    r.students[0].low_income = 1;
    r.placements[0].reserve_pct = 50;
    fm_round_params p = { .date = DATE };
    p.constraints.side[0].school_floor_pct = 100;
    fm_result res;
    fm_error err;
    fm_error_clear(&err);
    fm_result_init(&res);
    assert_int_equal(fm_solver_run(&r, &p, &res, &err), FM_EINFEASIBLE);
    json_t *s = infeasible_summary(&r, &p, &err, res.infeasible);
    json_t *cert = json_array_get(json_object_get(json_object_get(s, "evidence"),
                                                  "certificates"), 0);
    json_t *row = json_array_get(json_object_get(cert, "rows"), 0);
    assert_int_equal(json_array_size(json_object_get(cert, "rows")), 1);
    assert_string_equal(json_string_value(json_object_get(row, "kind")), "tier3_limit");
    assert_true(json_number_value(json_object_get(row, "limit")) == 2);
    assert_true(json_number_value(json_object_get(cert, "uncovered")) == 1);
    assert_true(json_number_value(json_object_get(cert, "most")) == 3);
    assert_true(json_number_value(json_object_get(cert, "needed")) == 4);
    fm_verify_report *rep = malloc(sizeof *rep);
    assert_non_null(rep);
    assert_int_equal(infeasible_failures(&r, &p, s, rep), 0);
    assert_int_equal(rep->infeasible.n_certs, 1);
    /* 75 % needs 3: S1 and two tier-3 pupils meet it */
    fm_round_params low = p;
    low.constraints.side[0].school_floor_pct = 75;
    json_t *liar = json_deep_copy(s);
    forge_lower_floor(liar, 75);
    infeasible_failures(&r, &low, liar, rep);
    assert_true(only_unproven(rep));
    /* the tier-3 row read as covering S1 too (uncovered 0, most 2) */
    json_object_set_new(cert, "uncovered", json_real(0));
    json_object_set_new(cert, "most", json_real(2));
    assert_true(infeasible_failures(&r, &p, s, rep) >= 1);
    assert_non_null(strstr(rep->failures[0].message, "uncovered is 0; recounted from the "
                           "inputs it is 1"));
    json_decref(liar);
    json_decref(s);
    free(rep);
    fm_result_free(&res);
    fm_region_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_floor_rounding_and_messages),
        cmocka_unit_test(test_infeasible_evidence),
        cmocka_unit_test(test_infeasible_tier3_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
