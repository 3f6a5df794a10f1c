/*
 * test_policy_bruteforce.c - holds fm_solver_run() to policy.md on hundreds
 * of tiny random rounds whose optimum is found by trying every assignment.
 *
 * Normal case: the group setup draws FM_BF_INSTANCES instances from fixed
 * seeds (up to 7 students, 4 placements of capacity 1-3, often with a
 * reserve, and 3 mentors, all within a few km so most pairs are eligible and
 * utilities tie), tabulates both sides with the independent reference
 * (policy_reference.c) and enumerates every feasible assignment to get the
 * lexicographic optimum (n1, n2, n3, U).  Each test then runs the solver on
 * every instance and checks one property: the vector of each side, the
 * matched pairs (eligible, right utility/rank/distance, feasible, summing to
 * the vector), the reasons of the unmatched, the certificate, and that a run
 * repeated (also on a freshly built copy of the region) gives the same
 * matches.  The first tests check the reference itself on hand-made pairs
 * and check that the generator makes every rule bind.
 *
 * Failure: the first instance that breaks a property fails the test with its
 * seed and the two vectors (or the offending student), and the instance is
 * dumped to stderr.  FM_BF_INSTANCES in the environment changes the number of
 * instances (for a longer soak); the seeds stay 1..N.
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

#include "policy_reference.h"
#include "region.h"
#include "solver.h"

#define DATE 20270614
#define DEFAULT_INSTANCES 2000

typedef struct instance {
    uint64_t seed;
    fm_ref_gen_params gp;
    fm_region region;
    fm_ref_side side[2];       /* 0: placements, 1: mentors */
    fm_vector best[2];         /* exhaustive optimum */
    int32_t *best_assign[2];   /* one optimal assignment */
    int64_t max_count[2];      /* most students any feasible assignment places */
} instance;

static instance *instances;
static size_t n_instances;

/* ---- helpers ---- */

#define VEC_FMT "(%lld,%lld,%lld,%lld)"
#define VEC_ARGS(v) (long long)(v).n1, (long long)(v).n2, (long long)(v).n3, (long long)(v).utility

static const char *side_word(int side) { return side ? "mentors" : "placements"; }

static const fm_side_result *side_of(const fm_result *res, int side)
{
    return side ? &res->mentors : &res->placements;
}

static void dump_instance(const instance *in, int side, const fm_side_result *sr)
{
    const fm_ref_side *sd = &in->side[side];
    fprintf(stderr, "---- seed %llu, %s side: %zu students, %zu targets ----\n",
            (unsigned long long)in->seed, side_word(side), sd->n_students, sd->n_targets);
    for (size_t t = 0; t < sd->n_targets; t++)
        fprintf(stderr, "  target %zu: capacity %d, tier-3 limit %d\n", t, sd->capacity[t],
                sd->tier3_limit[t]);
    for (size_t s = 0; s < sd->n_students; s++) {
        fprintf(stderr, "  student %zu: tier %d asked %d eligible {", s, sd->tier[s], sd->asked[s]);
        for (size_t t = 0; t < sd->n_targets; t++) {
            const fm_ref_pair *pr = fm_ref_side_pair(sd, s, t);
            if (pr->eligible)
                fprintf(stderr, " %zu:u%d", t, pr->utility);
            else
                fprintf(stderr, " %zu:%s", t, fm_ref_rule_name(pr->rule));
        }
        fprintf(stderr, " } reference -> %d", (int)in->best_assign[side][s]);
        if (sr && sr->match)
            fprintf(stderr, ", solver -> %d (reason %d rule %d n_eligible %d)",
                    (int)sr->match[s].target, sr->match[s].reason, sr->match[s].rule,
                    (int)sr->match[s].n_eligible);
        fputc('\n', stderr);
    }
    fprintf(stderr, "  reference optimum " VEC_FMT "\n", VEC_ARGS(in->best[side]));
    if (sr)
        fprintf(stderr, "  solver vector     " VEC_FMT "\n", VEC_ARGS(sr->vector));
}

/* Runs the solver; fails the test (with the seed) if it returns an error. */
static void run_solver(const fm_region *r, uint64_t seed, fm_result *res)
{
    fm_round_params params;
    memset(&params, 0, sizeof params);
    params.date = DATE;
    fm_error err;
    fm_error_clear(&err);
    fm_result_init(res);
    int rc = fm_solver_run(r, &params, res, &err);
    if (rc != 0)
        fail_msg("seed %llu: fm_solver_run returned %d (%s): %s", (unsigned long long)seed, rc,
                 fm_error_code_name(rc), err.message);
    if (r->n_students > 0 && (!res->placements.match || !res->mentors.match))
        fail_msg("seed %llu: fm_solver_run left a match array NULL", (unsigned long long)seed);
}

static void instance_free(instance *in)
{
    for (int k = 0; k < 2; k++) {
        fm_ref_side_free(&in->side[k]);
        free(in->best_assign[k]);
    }
    fm_region_free(&in->region);
}

static int instance_make(instance *in, uint64_t seed)
{
    memset(in, 0, sizeof *in);
    in->seed = seed;
    fm_ref_gen_tiny_params(seed, DATE, &in->gp);
    fm_region_init(&in->region);
    int rc = fm_ref_generate(&in->region, &in->gp, seed);
    if (rc != 0)
        return rc;
    for (int k = 0; k < 2; k++) {
        if ((rc = fm_ref_side_init(&in->side[k], &in->region, DATE, k)) != 0)
            return rc;
        in->best_assign[k] = calloc(in->region.n_students + 1, sizeof(int32_t));
        if (!in->best_assign[k])
            return FM_ENOMEM;
        rc = fm_ref_bruteforce(&in->side[k], &in->best[k], in->best_assign[k],
                               &in->max_count[k]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    n_instances = DEFAULT_INSTANCES;
    const char *env = getenv("FM_BF_INSTANCES");
    if (env && atoi(env) > 0)
        n_instances = (size_t)atoi(env);
    instances = calloc(n_instances, sizeof *instances);
    if (!instances)
        return -1;
    for (size_t i = 0; i < n_instances; i++) {
        int rc = instance_make(&instances[i], (uint64_t)i + 1);
        if (rc != 0) {
            fprintf(stderr, "building instance seed %zu failed: %d\n", i + 1, rc);
            return -1;
        }
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_instances; i++)
        instance_free(&instances[i]);
    free(instances);
    instances = NULL;
    return 0;
}

/* ---- the reference on its own ---- */

/* A region assembled by hand from stack arrays: enough for the pair functions. */
typedef struct tiny_region {
    fm_region r;
    fm_student s;
    fm_placement p;
    fm_mentor m;
    int32_t ints[8];
} tiny_region;

static const double KM_PER_DEG = 6371.0 * 3.14159265358979323846 / 180.0;

static void tiny_init(tiny_region *t)
{
    memset(t, 0, sizeof *t);
    t->r.students = &t->s;
    t->r.n_students = 1;
    t->r.placements = &t->p;
    t->r.n_placements = 1;
    t->r.mentors = &t->m;
    t->r.n_mentors = 1;
    t->r.ints = t->ints;
    t->r.n_ints = 8;
    /* student: age 15, at (51, 0), travels 5 km, sectors 10, 20, 30 */
    t->s.birth_date = 20120101;
    t->s.lat = 51.0;
    t->s.max_travel_km = 5.0;
    t->s.wants_placement = 1;
    t->s.wants_mentor = 1;
    t->s.n_sectors = 3;
    t->s.sectors[0] = 10;
    t->s.sectors[1] = 20;
    t->s.sectors[2] = 30;
    /* placement: sector 20 (rank 2), 2.5 km north, min_age 14 */
    t->p.sector = 20;
    t->p.capacity = 1;
    t->p.lat = 51.0 + 2.5 / KM_PER_DEG;
    t->p.has_location = 1;
    t->p.min_age = 14;
    /* mentor: sectors 30, 20 (best rank 2), 2.5 km north, travels 3 km, DBS valid */
    t->ints[4] = 30;
    t->ints[5] = 20;
    t->m.sectors_off = 4;
    t->m.n_sectors = 2;
    t->m.capacity = 1;
    t->m.lat = t->p.lat;
    t->m.has_location = 1;
    t->m.max_travel_km = 3.0;
    t->m.dbs_valid_until = DATE + 10000;
}

static void expect_placement(const tiny_region *t, int eligible, fm_rule rule, int utility,
                             const char *what)
{
    fm_ref_pair pr;
    fm_ref_placement_pair(&t->r, 0, 0, DATE, &pr);
    if (pr.eligible != eligible || pr.rule != rule || pr.utility != utility)
        fail_msg("placement pair, %s: want eligible %d rule %s utility %d, got %d %s %d", what,
                 eligible, fm_ref_rule_name(rule), utility, pr.eligible,
                 fm_ref_rule_name(pr.rule), pr.utility);
}

static void expect_mentor(const tiny_region *t, int eligible, fm_rule rule, int utility,
                          const char *what)
{
    fm_ref_pair pr;
    fm_ref_mentor_pair(&t->r, 0, 0, DATE, &pr);
    if (pr.eligible != eligible || pr.rule != rule || pr.utility != utility)
        fail_msg("mentor pair, %s: want eligible %d rule %s utility %d, got %d %s %d", what,
                 eligible, fm_ref_rule_name(rule), utility, pr.eligible,
                 fm_ref_rule_name(pr.rule), pr.utility);
}

static void test_reference_haversine(void **state)
{
    (void)state;
    assert_true(fabs(fm_ref_haversine_km(51.5074, -0.1278, 48.8566, 2.3522) - 343.556060341) < 1e-6);
    assert_true(fabs(fm_ref_haversine_km(0, 0, 1, 0) - 111.194926644559) < 1e-9);
    assert_true(fabs(fm_ref_haversine_km(0, 0, 0, 180) - 20015.086796020572) < 1e-6);
    assert_true(fm_ref_haversine_km(51, 0, 51, 0) == 0.0);
    assert_true(fm_ref_haversine_km(51, 1, 52, 2) == fm_ref_haversine_km(52, 2, 51, 1));
}

static void test_reference_age(void **state)
{
    (void)state;
    assert_int_equal(fm_ref_age(20120614, 20270614), 15); /* birthday today */
    assert_int_equal(fm_ref_age(20120615, 20270614), 14); /* tomorrow */
    assert_int_equal(fm_ref_age(20120613, 20270614), 15);
    assert_int_equal(fm_ref_age(20091231, 20270101), 17);
    assert_int_equal(fm_ref_age(20090101, 20270101), 18);
}

static void test_reference_placement_rules(void **state)
{
    (void)state;
    tiny_region t;
    tiny_init(&t);
    expect_placement(&t, 1, FM_RULE_NONE, 398, "base: rank 2, 2.5 km");

    tiny_init(&t);
    t.s.wants_placement = 0;
    t.p.sector = 40;
    expect_placement(&t, 0, FM_RULE_WANTS, 0, "does not want, wrong sector");

    tiny_init(&t);
    t.p.sector = 40;
    t.p.min_age = 18;
    expect_placement(&t, 0, FM_RULE_SECTOR, 0, "wrong sector, too young");

    tiny_init(&t);
    t.p.min_age = 16;
    t.p.week = 202725;
    t.ints[0] = 202724;
    t.s.weeks_off = 0;
    t.s.n_weeks = 1;
    expect_placement(&t, 0, FM_RULE_AGE, 0, "too young, wrong week");
    t.p.min_age = 15;
    expect_placement(&t, 0, FM_RULE_WEEK, 0, "age 15 = min_age, wrong week");
    t.p.week = 202724;
    expect_placement(&t, 1, FM_RULE_NONE, 398, "week listed");
    t.p.week = 0;
    expect_placement(&t, 1, FM_RULE_NONE, 398, "placement any week");

    tiny_init(&t);
    t.s.needs_access = 1;
    t.s.max_travel_km = 1.0;
    expect_placement(&t, 0, FM_RULE_ACCESS, 0, "not accessible, too far");
    t.p.accessible = 1;
    expect_placement(&t, 0, FM_RULE_DISTANCE, 0, "accessible, too far");
    t.p.is_virtual = 1;
    t.p.accessible = 0;
    expect_placement(&t, 1, FM_RULE_NONE, 350, "virtual: access and distance hold, d = 50");

    tiny_init(&t);
    t.p.lat = 51.0 + 150.0 / KM_PER_DEG;
    t.s.max_travel_km = 200.0;
    expect_placement(&t, 1, FM_RULE_NONE, 301, "150 km: d capped at 99");
    t.p.sector = 30;
    t.s.sectors[2] = 11;
    t.s.sectors[3] = 12;
    t.s.sectors[4] = 30;
    t.s.n_sectors = 5;
    expect_placement(&t, 1, FM_RULE_NONE, 1, "rank 5, d 99: the smallest utility");

    tiny_init(&t);
    t.s.max_travel_km = 2.5 - 1e-9;
    expect_placement(&t, 0, FM_RULE_DISTANCE, 0, "just beyond max travel");
}

static void test_reference_mentor_rules(void **state)
{
    (void)state;
    tiny_region t;
    tiny_init(&t);
    expect_mentor(&t, 1, FM_RULE_NONE, 398, "base: best rank 2, 2.5 km");

    tiny_init(&t);
    t.s.wants_mentor = 0;
    t.m.dbs_valid_until = 0;
    expect_mentor(&t, 0, FM_RULE_WANTS, 0, "does not want");

    tiny_init(&t);
    t.ints[4] = 40;
    t.ints[5] = 41;
    t.m.dbs_valid_until = 0;
    expect_mentor(&t, 0, FM_RULE_SECTOR, 0, "no common sector, no DBS");

    tiny_init(&t);
    t.ints[4] = 30;
    t.ints[5] = 10;
    expect_mentor(&t, 1, FM_RULE_NONE, 498, "best of ranks 3 and 1");

    tiny_init(&t);
    t.m.dbs_valid_until = 0;
    t.m.max_travel_km = 1.0;
    expect_mentor(&t, 0, FM_RULE_SAFEGUARDING, 0, "age 15, no DBS, too far");
    t.m.dbs_valid_until = DATE - 1;
    expect_mentor(&t, 0, FM_RULE_SAFEGUARDING, 0, "DBS expired yesterday");
    t.m.dbs_valid_until = DATE;
    expect_mentor(&t, 0, FM_RULE_DISTANCE, 0, "DBS valid today, beyond mentor's 1 km");
    t.m.max_travel_km = 3.0;
    t.s.birth_date = 20090615; /* 17, 18 tomorrow */
    t.m.dbs_valid_until = 0;
    expect_mentor(&t, 0, FM_RULE_SAFEGUARDING, 0, "17 today, no DBS");
    t.s.birth_date = 20090614; /* 18 today */
    expect_mentor(&t, 1, FM_RULE_NONE, 398, "18 today, no DBS needed");

    tiny_init(&t);
    t.s.max_travel_km = 2.0;
    expect_mentor(&t, 0, FM_RULE_DISTANCE, 0, "beyond the student's 2 km");
    t.m.online = 1;
    expect_mentor(&t, 1, FM_RULE_NONE, 375, "online: d = 25");
}

/* Hand-made side: which rule "ruled out the most candidates". */
static void test_reference_no_eligible_rule(void **state)
{
    (void)state;
    fm_ref_pair pairs[4];
    int tier = 3, asked = 1, n_el = 0, cap[4] = {1, 1, 1, 1};
    fm_ref_side side;
    memset(&side, 0, sizeof side);
    side.n_students = 1;
    side.n_targets = 4;
    side.pair = pairs;
    side.tier = &tier;
    side.asked = &asked;
    side.n_eligible = &n_el;
    side.capacity = cap;
    side.tier3_limit = cap;
    memset(pairs, 0, sizeof pairs);

    fm_rule r1[4] = {FM_RULE_DISTANCE, FM_RULE_DISTANCE, FM_RULE_AGE, FM_RULE_SECTOR};
    for (int k = 0; k < 4; k++)
        pairs[k].rule = r1[k];
    assert_int_equal(fm_ref_no_eligible_rule(&side, 0), FM_RULE_DISTANCE);

    fm_rule r2[4] = {FM_RULE_DISTANCE, FM_RULE_WEEK, FM_RULE_DISTANCE, FM_RULE_WEEK};
    for (int k = 0; k < 4; k++)
        pairs[k].rule = r2[k];
    assert_int_equal(fm_ref_no_eligible_rule(&side, 0), FM_RULE_WEEK); /* tie: earlier */

    side.mentors = 1;
    fm_rule r3[4] = {FM_RULE_DISTANCE, FM_RULE_SAFEGUARDING, FM_RULE_DISTANCE,
                     FM_RULE_SAFEGUARDING};
    for (int k = 0; k < 4; k++)
        pairs[k].rule = r3[k];
    assert_int_equal(fm_ref_no_eligible_rule(&side, 0), FM_RULE_SAFEGUARDING);
}

/* The solver's rule names are the ones policy.md prints. */
static void test_rule_names_match_policy(void **state)
{
    (void)state;
    const fm_rule rules[] = {FM_RULE_SECTOR, FM_RULE_AGE, FM_RULE_WEEK, FM_RULE_ACCESS,
                             FM_RULE_DISTANCE, FM_RULE_SAFEGUARDING};
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++)
        assert_string_equal(fm_rule_name(rules[k]), fm_ref_rule_name(rules[k]));
    assert_string_equal(fm_reason_name(FM_REASON_NO_ELIGIBLE), "no_eligible");
    assert_string_equal(fm_reason_name(FM_REASON_OUTCOMPETED), "outcompeted");
}

/* The instances are worth something: every rule binds, as first failing
 * rule and as the no_eligible reason, reserves bind, utilities tie. */
static void test_generator_exercises_every_rule(void **state)
{
    (void)state;
    long first_fail[2][FM_RULE_DISTANCE + 1], reason_rule[2][FM_RULE_DISTANCE + 1];
    long outcompeted = 0, reserve_binds = 0, ties = 0, tier[4] = {0, 0, 0, 0};
    memset(first_fail, 0, sizeof first_fail);
    memset(reason_rule, 0, sizeof reason_rule);
    for (size_t i = 0; i < n_instances; i++) {
        const instance *in = &instances[i];
        for (int k = 0; k < 2; k++) {
            const fm_ref_side *sd = &in->side[k];
            for (size_t s = 0; s < sd->n_students; s++) {
                if (k == 0)
                    tier[sd->tier[s]]++;
                for (size_t t = 0; t < sd->n_targets; t++) {
                    const fm_ref_pair *pr = fm_ref_side_pair(sd, s, t);
                    first_fail[k][pr->rule]++;
                    for (size_t s2 = s + 1; pr->eligible && s2 < sd->n_students; s2++)
                        ties += fm_ref_side_pair(sd, s2, t)->eligible &&
                                fm_ref_side_pair(sd, s2, t)->utility == pr->utility;
                }
                if (sd->asked[s] && sd->n_eligible[s] == 0)
                    reason_rule[k][fm_ref_no_eligible_rule(sd, s)]++;
                if (sd->asked[s] && sd->n_eligible[s] > 0 && in->best_assign[k][s] < 0)
                    outcompeted++;
            }
            /* A reserve binds when the optimum has a tier-3 limit reached
             * below capacity. */
            for (size_t t = 0; k == 0 && t < sd->n_targets; t++) {
                int load3 = 0;
                for (size_t s = 0; s < sd->n_students; s++)
                    load3 += in->best_assign[k][s] == (int32_t)t && sd->tier[s] == 3;
                reserve_binds += sd->tier3_limit[t] < sd->capacity[t] &&
                                 load3 == sd->tier3_limit[t];
            }
        }
    }
    const fm_rule prules[] = {FM_RULE_SECTOR, FM_RULE_AGE, FM_RULE_WEEK, FM_RULE_ACCESS,
                              FM_RULE_DISTANCE};
    const fm_rule mrules[] = {FM_RULE_SECTOR, FM_RULE_SAFEGUARDING, FM_RULE_DISTANCE};
    for (size_t k = 0; k < 5; k++)
        if (first_fail[0][prules[k]] < 20 || reason_rule[0][prules[k]] < 3)
            fail_msg("placement rule %s binds too rarely: first failing %ld, no_eligible reason %ld",
                     fm_ref_rule_name(prules[k]), first_fail[0][prules[k]],
                     reason_rule[0][prules[k]]);
    for (size_t k = 0; k < 3; k++)
        if (first_fail[1][mrules[k]] < 20 || reason_rule[1][mrules[k]] < 3)
            fail_msg("mentor rule %s binds too rarely: first failing %ld, no_eligible reason %ld",
                     fm_ref_rule_name(mrules[k]), first_fail[1][mrules[k]],
                     reason_rule[1][mrules[k]]);
    if (outcompeted < 50 || reserve_binds < 50 || ties < 100 || tier[1] < 100 || tier[2] < 100 ||
        tier[3] < 100)
        fail_msg("instances too easy: %ld outcompeted, %ld binding reserves, %ld utility ties, "
                 "tiers %ld/%ld/%ld", outcompeted, reserve_binds, ties, tier[1], tier[2], tier[3]);
}

/* Not a check of the solver: the tiers make the placeable students a matroid
 * (a gammoid, with the reserve), so the lexicographic optimum always places
 * as many students as any assignment can.  Confirms the reference's
 * enumeration and tells the reader that "one tier-1 pupil costs two tier-3
 * pupils" cannot happen under this policy. */
static void test_lex_optimum_places_most_students(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_instances; i++) {
        const instance *in = &instances[i];
        for (int k = 0; k < 2; k++) {
            int64_t placed = in->best[k].n1 + in->best[k].n2 + in->best[k].n3;
            if (placed != in->max_count[k]) {
                dump_instance(in, k, NULL);
                fail_msg("seed %llu %s: optimum " VEC_FMT " places %lld, an assignment places %lld",
                         (unsigned long long)in->seed, side_word(k), VEC_ARGS(in->best[k]),
                         (long long)placed, (long long)in->max_count[k]);
            }
        }
    }
}

/* ---- the solver against the reference ---- */

static void check_vector(int side)
{
    for (size_t i = 0; i < n_instances; i++) {
        instance *in = &instances[i];
        fm_result res;
        run_solver(&in->region, in->seed, &res);
        const fm_side_result *sr = side_of(&res, side);
        if (fm_ref_vector_cmp(&sr->vector, &in->best[side]) != 0) {
            dump_instance(in, side, sr);
            fm_vector got = sr->vector;
            fm_result_free(&res);
            fail_msg("seed %llu %s: solver " VEC_FMT " != exhaustive optimum " VEC_FMT,
                     (unsigned long long)in->seed, side_word(side), VEC_ARGS(got),
                     VEC_ARGS(in->best[side]));
        }
        fm_result_free(&res);
    }
}

static void test_placement_vector_matches_bruteforce(void **state)
{
    (void)state;
    check_vector(0);
}

static void test_mentor_vector_matches_bruteforce(void **state)
{
    (void)state;
    check_vector(1);
}

typedef int (*side_check_fn)(const fm_ref_side *, const fm_side_result *, char *, size_t);

static void check_each_side(side_check_fn fn)
{
    char msg[512];
    for (size_t i = 0; i < n_instances; i++) {
        instance *in = &instances[i];
        fm_result res;
        run_solver(&in->region, in->seed, &res);
        for (int k = 0; k < 2; k++) {
            const fm_side_result *sr = side_of(&res, k);
            if (fn(&in->side[k], sr, msg, sizeof msg) != 0) {
                dump_instance(in, k, sr);
                fm_result_free(&res);
                fail_msg("seed %llu: %s", (unsigned long long)in->seed, msg);
            }
        }
        fm_result_free(&res);
    }
}

static void test_matches_are_eligible_feasible_and_sum_to_vector(void **state)
{
    (void)state;
    check_each_side(fm_ref_check_assignment);
}

static void test_unmatched_reasons_and_eligible_counts(void **state)
{
    (void)state;
    check_each_side(fm_ref_check_reasons);
}

static void test_certificate_checked_and_tight(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_instances; i++) {
        instance *in = &instances[i];
        fm_result res;
        run_solver(&in->region, in->seed, &res);
        for (int k = 0; k < 2; k++) {
            const fm_side_result *sr = side_of(&res, k);
            const fm_vector *v = &sr->vector;
            int64_t want[4] = {v->n1, v->n1 + v->n2, v->n1 + v->n2 + v->n3, v->utility};
            int bad = sr->certificate_checked != 1;
            for (int l = 0; l < 4; l++)
                bad |= sr->proof[l].value != sr->proof[l].bound || sr->proof[l].value != want[l];
            if (bad) {
                char buf[400];
                snprintf(buf, sizeof buf, "seed %llu %s: certificate_checked %d, proof "
                         "(value/bound) %lld/%lld %lld/%lld %lld/%lld %lld/%lld, vector " VEC_FMT,
                         (unsigned long long)in->seed, side_word(k), sr->certificate_checked,
                         (long long)sr->proof[0].value, (long long)sr->proof[0].bound,
                         (long long)sr->proof[1].value, (long long)sr->proof[1].bound,
                         (long long)sr->proof[2].value, (long long)sr->proof[2].bound,
                         (long long)sr->proof[3].value, (long long)sr->proof[3].bound,
                         VEC_ARGS(*v));
                fm_result_free(&res);
                fail_msg("%s", buf);
            }
        }
        fm_result_free(&res);
    }
}

/* Field by field (fm_match has padding). */
static int same_match(const fm_match *a, const fm_match *b)
{
    return a->target == b->target && a->utility == b->utility && a->rank == b->rank &&
           a->asked == b->asked && a->reason == b->reason && a->rule == b->rule &&
           a->n_eligible == b->n_eligible &&
           (a->distance_km == b->distance_km ||
            (isnan(a->distance_km) && isnan(b->distance_km)));
}

static void test_same_input_same_assignment(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_instances; i++) {
        instance *in = &instances[i];
        /* A fresh copy of the region: the answer must not depend on addresses
         * or on anything left over from the first run. */
        fm_region copy;
        fm_region_init(&copy);
        assert_int_equal(fm_ref_generate(&copy, &in->gp, in->seed), 0);
        fm_result runs[3];
        run_solver(&in->region, in->seed, &runs[0]);
        run_solver(&in->region, in->seed, &runs[1]);
        run_solver(&copy, in->seed, &runs[2]);
        for (int k = 0; k < 2; k++) {
            const fm_side_result *a = side_of(&runs[0], k);
            for (int j = 1; j < 3; j++) {
                const fm_side_result *b = side_of(&runs[j], k);
                int same = fm_ref_vector_cmp(&a->vector, &b->vector) == 0;
                size_t s = 0;
                for (; same && s < in->region.n_students; s++)
                    same = same_match(&a->match[s], &b->match[s]);
                if (!same) {
                    char buf[300];
                    snprintf(buf, sizeof buf, "seed %llu %s: run 1 and run %d (%s) differ at "
                             "student %zu: vectors " VEC_FMT " and " VEC_FMT,
                             (unsigned long long)in->seed, side_word(k), j + 1,
                             j == 1 ? "same region" : "fresh copy", s ? s - 1 : 0,
                             VEC_ARGS(a->vector), VEC_ARGS(b->vector));
                    for (int r = 0; r < 3; r++)
                        fm_result_free(&runs[r]);
                    fm_region_free(&copy);
                    fail_msg("%s", buf);
                }
            }
        }
        for (int r = 0; r < 3; r++)
            fm_result_free(&runs[r]);
        fm_region_free(&copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_haversine),
        cmocka_unit_test(test_reference_age),
        cmocka_unit_test(test_reference_placement_rules),
        cmocka_unit_test(test_reference_mentor_rules),
        cmocka_unit_test(test_reference_no_eligible_rule),
        cmocka_unit_test(test_rule_names_match_policy),
        cmocka_unit_test(test_generator_exercises_every_rule),
        cmocka_unit_test(test_lex_optimum_places_most_students),
        cmocka_unit_test(test_placement_vector_matches_bruteforce),
        cmocka_unit_test(test_mentor_vector_matches_bruteforce),
        cmocka_unit_test(test_matches_are_eligible_feasible_and_sum_to_vector),
        cmocka_unit_test(test_unmatched_reasons_and_eligible_counts),
        cmocka_unit_test(test_certificate_checked_and_tight),
        cmocka_unit_test(test_same_input_same_assignment),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
