/*
 * test_policy_glpk.c - holds fm_solver_run() to policy.md on medium rounds,
 * against GLPK's MIP solver on the textbook model of the policy.
 *
 * Normal case: for each side of a round, the test builds the plain integer
 * program from the reference eligibility (policy_reference.c): a binary x for
 * every eligible pair; per student sum <= 1; per target sum <= capacity; per
 * placement with a reserve, tier-3 sum <= capacity - R.  It then solves the
 * four lexicographic levels one after the other with glp_simplex and
 * glp_intopt (maximise tier-1 count; hold it with a row n1 >= n1*; maximise
 * tier-2 count; ...; maximise utility) and compares the vector with the
 * solver's.  The model is first checked against exhaustive search on tiny
 * rounds, so a disagreement later points at the solver, not at the model.
 * Medium rounds are 30-300 students, 10-60 placements, 10 mentors, from
 * fixed seeds; hand-built rounds pin the cases where the order of the levels
 * decides (a tier-1 pupil over a higher-utility tier-3 pupil, a utility gain
 * that would cost a lower-tier placement, reserves that leave seats empty or
 * round down, a reserved seat reached through a chain, safeguarding with
 * mentor levels), each with its vector worked out by hand.
 *
 * Failure: a GLPK solve that does not end optimal fails the test naming the
 * seed and level; a vector mismatch fails with the seed (or case name) and
 * both vectors.  GLPK's terminal output is off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_reference.h"
#include "region.h"
#include "solver.h"

#define DATE 20270614
#define N_TINY 200
#define N_MEDIUM 150

#define VEC_FMT "(%lld,%lld,%lld,%lld)"
#define VEC_ARGS(v) (long long)(v).n1, (long long)(v).n2, (long long)(v).n3, (long long)(v).utility

static const char *side_word(int side) { return side ? "mentors" : "placements"; }

static const fm_side_result *side_of(const fm_result *res, int side)
{
    return side ? &res->mentors : &res->placements;
}

/* ---- the textbook model ---- */

/* What one level maximises. */
typedef enum objective { OBJ_TIER1 = 1, OBJ_TIER2, OBJ_TIER3, OBJ_UTILITY, OBJ_COUNT } objective;

static const objective POLICY_LEVELS[] = {OBJ_TIER1, OBJ_TIER2, OBJ_TIER3, OBJ_UTILITY};

static double objective_coef(const fm_ref_side *side, objective obj, int s, int t)
{
    switch (obj) {
    case OBJ_TIER1:
    case OBJ_TIER2:
    case OBJ_TIER3:
        return side->tier[s] == (int)obj ? 1.0 : 0.0;
    case OBJ_UTILITY:
        return fm_ref_side_pair(side, (size_t)s, (size_t)t)->utility;
    case OBJ_COUNT:
        return 1.0;
    }
    return 0.0;
}

/* Maximises the given levels one after the other, each held at its optimum
 * (a row value >= optimum) while the next is solved, and returns in *out the
 * vector (n1, n2, n3, U) of the last MIP's solution and, if assign is not
 * NULL, that solution (target or -1 per student).  With POLICY_LEVELS this
 * is the policy's optimum, and the solution's vector must equal the level
 * values, which is checked.  Returns 0, or -1 with a message. */
static int glpk_levels(const fm_ref_side *side, const objective *levels, int n_levels,
                       fm_vector *out, int32_t *assign, char *msg, size_t msg_size)
{
    size_t ns = side->n_students, nt = side->n_targets;
    memset(out, 0, sizeof *out);
    if (assign)
        for (size_t s = 0; s < ns; s++)
            assign[s] = -1;
    size_t ncols = (size_t)side->n_candidates;
    if (ncols == 0)
        return 0;

    int rc = -1;
    glp_prob *lp = glp_create_prob();
    int *col_s = calloc(ncols + 1, sizeof *col_s);
    int *col_t = calloc(ncols + 1, sizeof *col_t);
    int *ia = calloc(3 * ncols + 1, sizeof *ia);
    int *ja = calloc(3 * ncols + 1, sizeof *ja);
    double *ar = calloc(3 * ncols + 1, sizeof *ar);
    int *row_s = calloc(ns + 1, sizeof *row_s);
    int *row_t = calloc(nt + 1, sizeof *row_t);
    int *row_t3 = calloc(nt + 1, sizeof *row_t3);
    int *ind = calloc(ncols + 1, sizeof *ind);
    double *val = calloc(ncols + 1, sizeof *val);
    if (!col_s || !col_t || !ia || !ja || !ar || !row_s || !row_t || !row_t3 || !ind || !val) {
        snprintf(msg, msg_size, "out of memory");
        goto done;
    }
    glp_set_obj_dir(lp, GLP_MAX);

    /* Columns, and which rows they need. */
    int j = 0, nrows = 0;
    for (size_t s = 0; s < ns; s++) {
        for (size_t t = 0; t < nt; t++) {
            if (!fm_ref_side_pair(side, s, t)->eligible)
                continue;
            j++;
            col_s[j] = (int)s;
            col_t[j] = (int)t;
            if (!row_s[s])
                row_s[s] = ++nrows;
            if (!row_t[t])
                row_t[t] = ++nrows;
            if (side->tier[s] == 3 && side->tier3_limit[t] < side->capacity[t] && !row_t3[t])
                row_t3[t] = ++nrows;
        }
    }
    glp_add_cols(lp, (int)ncols);
    for (j = 1; j <= (int)ncols; j++)
        glp_set_col_kind(lp, j, GLP_BV);
    glp_add_rows(lp, nrows);
    for (size_t s = 0; s < ns; s++)
        if (row_s[s])
            glp_set_row_bnds(lp, row_s[s], GLP_UP, 0.0, 1.0);
    for (size_t t = 0; t < nt; t++) {
        if (row_t[t])
            glp_set_row_bnds(lp, row_t[t], GLP_UP, 0.0, side->capacity[t]);
        if (row_t3[t])
            glp_set_row_bnds(lp, row_t3[t], GLP_UP, 0.0, side->tier3_limit[t]);
    }
    int ne = 0;
    for (j = 1; j <= (int)ncols; j++) {
        ne++, ia[ne] = row_s[col_s[j]], ja[ne] = j, ar[ne] = 1.0;
        ne++, ia[ne] = row_t[col_t[j]], ja[ne] = j, ar[ne] = 1.0;
        if (side->tier[col_s[j]] == 3 && row_t3[col_t[j]])
            ne++, ia[ne] = row_t3[col_t[j]], ja[ne] = j, ar[ne] = 1.0;
    }
    glp_load_matrix(lp, ne, ia, ja, ar);

    glp_smcp smcp;
    glp_init_smcp(&smcp);
    smcp.msg_lev = GLP_MSG_OFF;
    glp_iocp iocp;
    glp_init_iocp(&iocp);
    iocp.msg_lev = GLP_MSG_OFF;
    iocp.tm_lim = 30000;
    int64_t level_value[8];
    assert_true(n_levels >= 1 && n_levels <= 8);
    for (int level = 1; level <= n_levels; level++) {
        objective obj = levels[level - 1];
        for (j = 1; j <= (int)ncols; j++)
            glp_set_obj_coef(lp, j, objective_coef(side, obj, col_s[j], col_t[j]));
        int r1 = glp_simplex(lp, &smcp);
        if (r1 != 0 || glp_get_status(lp) != GLP_OPT) {
            snprintf(msg, msg_size, "level %d: glp_simplex returned %d, status %d", level, r1,
                     glp_get_status(lp));
            goto done;
        }
        int r2 = glp_intopt(lp, &iocp);
        if (r2 != 0 || glp_mip_status(lp) != GLP_OPT) {
            snprintf(msg, msg_size, "level %d: glp_intopt returned %d, status %d", level, r2,
                     glp_mip_status(lp));
            goto done;
        }
        level_value[level - 1] = llround(glp_mip_obj_val(lp));
        if (level == n_levels || level_value[level - 1] == 0)
            continue;
        /* Hold this level at its optimum. */
        int n = 0;
        for (j = 1; j <= (int)ncols; j++) {
            double c = objective_coef(side, obj, col_s[j], col_t[j]);
            if (c != 0.0)
                n++, ind[n] = j, val[n] = c;
        }
        int row = glp_add_rows(lp, 1);
        glp_set_mat_row(lp, row, n, ind, val);
        glp_set_row_bnds(lp, row, GLP_LO, (double)level_value[level - 1], 0.0);
    }

    /* The vector of the last MIP's solution. */
    int32_t *a = assign ? assign : calloc(ns + 1, sizeof *a);
    if (!a) {
        snprintf(msg, msg_size, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < ns; s++)
        a[s] = -1;
    for (j = 1; j <= (int)ncols; j++)
        if (glp_mip_col_val(lp, j) > 0.5)
            a[col_s[j]] = col_t[j];
    fm_ref_assignment_vector(side, a, out);
    if (a != assign)
        free(a);
    if (levels == POLICY_LEVELS &&
        (out->n1 != level_value[0] || out->n2 != level_value[1] || out->n3 != level_value[2] ||
         out->utility != level_value[3])) {
        snprintf(msg, msg_size, "GLPK's last solution " VEC_FMT " does not realise its levels "
                 "(%lld,%lld,%lld,%lld)", VEC_ARGS(*out), (long long)level_value[0],
                 (long long)level_value[1], (long long)level_value[2], (long long)level_value[3]);
        goto done;
    }
    rc = 0;
done:
    glp_delete_prob(lp);
    free(col_s);
    free(col_t);
    free(ia);
    free(ja);
    free(ar);
    free(row_s);
    free(row_t);
    free(row_t3);
    free(ind);
    free(val);
    return rc;
}

/* The policy's optimum: the four levels in policy order. */
static int glpk_lex_optimum(const fm_ref_side *side, fm_vector *out, int32_t *assign, char *msg,
                            size_t msg_size)
{
    return glpk_levels(side, POLICY_LEVELS, 4, out, assign, msg, msg_size);
}

/* ---- running the solver ---- */

static void run_solver(const fm_region *r, const char *what, fm_result *res)
{
    fm_round_params params;
    memset(&params, 0, sizeof params);
    params.date = DATE;
    fm_error err;
    fm_error_clear(&err);
    fm_result_init(res);
    int rc = fm_solver_run(r, &params, res, &err);
    if (rc != 0)
        fail_msg("%s: fm_solver_run returned %d (%s): %s", what, rc, fm_error_code_name(rc),
                 err.message);
}

/* ---- medium random rounds ---- */

typedef struct medium {
    uint64_t seed;
    fm_ref_gen_params gp;
    fm_region region;
    fm_ref_side side[2];
} medium;

static medium mediums[N_MEDIUM];

static void medium_params(uint64_t seed, fm_ref_gen_params *gp)
{
    fm_ref_rng g;
    fm_ref_rng_seed(&g, seed * 104729u + 3u);
    fm_ref_gen_defaults(gp);
    gp->date = DATE;
    gp->n_students = fm_ref_rng_int(&g, 30, 300);
    gp->n_placements = fm_ref_rng_int(&g, 10, 60);
    gp->n_mentors = 10;
    gp->n_sectors = fm_ref_rng_int(&g, 4, 10);
    gp->n_schools = fm_ref_rng_int(&g, 2, 12);
    gp->n_employers = fm_ref_rng_int(&g, 2, 20);
    gp->cap_min = 1;
    gp->cap_max = fm_ref_rng_int(&g, 1, 6);
    gp->mentor_cap_min = 1;
    gp->mentor_cap_max = fm_ref_rng_int(&g, 2, 8);
    gp->cluster_km = 2.0 + 6.0 * fm_ref_rng_unit(&g);
    gp->p_disadvantaged = 0.2 + 0.4 * fm_ref_rng_unit(&g);
    gp->p_reserve = 0.3 + 0.5 * fm_ref_rng_unit(&g);
}

static int group_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MEDIUM; i++) {
        medium *m = &mediums[i];
        m->seed = 1000 + i;
        medium_params(m->seed, &m->gp);
        fm_region_init(&m->region);
        if (fm_ref_generate(&m->region, &m->gp, m->seed) != 0)
            return -1;
        for (int k = 0; k < 2; k++)
            if (fm_ref_side_init(&m->side[k], &m->region, DATE, k) != 0)
                return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MEDIUM; i++) {
        for (int k = 0; k < 2; k++)
            fm_ref_side_free(&mediums[i].side[k]);
        fm_region_free(&mediums[i].region);
    }
    return 0;
}

/* The model itself, against exhaustive search on tiny rounds (no solver). */
static void test_glpk_model_matches_bruteforce(void **state)
{
    (void)state;
    char msg[512];
    for (uint64_t seed = 1; seed <= N_TINY; seed++) {
        fm_ref_gen_params gp;
        fm_ref_gen_tiny_params(seed, DATE, &gp);
        fm_region r;
        fm_region_init(&r);
        assert_int_equal(fm_ref_generate(&r, &gp, seed), 0);
        for (int k = 0; k < 2; k++) {
            fm_ref_side side;
            assert_int_equal(fm_ref_side_init(&side, &r, DATE, k), 0);
            fm_vector brute, lp;
            assert_int_equal(fm_ref_bruteforce(&side, &brute, NULL, NULL), 0);
            int rc = glpk_lex_optimum(&side, &lp, NULL, msg, sizeof msg);
            fm_ref_side_free(&side);
            if (rc != 0)
                fail_msg("tiny seed %llu %s: %s", (unsigned long long)seed, side_word(k), msg);
            if (fm_ref_vector_cmp(&brute, &lp) != 0)
                fail_msg("tiny seed %llu %s: GLPK " VEC_FMT " != exhaustive " VEC_FMT,
                         (unsigned long long)seed, side_word(k), VEC_ARGS(lp), VEC_ARGS(brute));
        }
        fm_region_free(&r);
    }
}

static void check_medium_vectors(int side)
{
    char msg[512];
    for (size_t i = 0; i < N_MEDIUM; i++) {
        medium *m = &mediums[i];
        fm_vector want;
        if (glpk_lex_optimum(&m->side[side], &want, NULL, msg, sizeof msg) != 0)
            fail_msg("seed %llu %s: GLPK: %s", (unsigned long long)m->seed, side_word(side), msg);
        char what[64];
        snprintf(what, sizeof what, "seed %llu", (unsigned long long)m->seed);
        fm_result res;
        run_solver(&m->region, what, &res);
        fm_vector got = side_of(&res, side)->vector;
        fm_result_free(&res);
        if (fm_ref_vector_cmp(&got, &want) != 0)
            fail_msg("seed %llu %s (%d students, %d placements, %d mentors): solver " VEC_FMT
                     " != GLPK " VEC_FMT, (unsigned long long)m->seed, side_word(side),
                     m->gp.n_students, m->gp.n_placements, m->gp.n_mentors, VEC_ARGS(got),
                     VEC_ARGS(want));
    }
}

static void test_medium_placement_vector_matches_glpk(void **state)
{
    (void)state;
    check_medium_vectors(0);
}

static void test_medium_mentor_vector_matches_glpk(void **state)
{
    (void)state;
    check_medium_vectors(1);
}

/* The medium rounds have teeth: on many of them, maximising total utility,
 * or total count then utility, gives a lexicographically worse vector than
 * the policy's, so a solver built on either would fail the tests above.
 * No solver involved. */
static void test_medium_rounds_defeat_simple_objectives(void **state)
{
    (void)state;
    static const objective UTILITY_ONLY[] = {OBJ_UTILITY};
    static const objective COUNT_THEN_UTILITY[] = {OBJ_COUNT, OBJ_UTILITY};
    char msg[512];
    int utility_worse = 0, count_worse = 0, total = 0;
    for (size_t i = 0; i < N_MEDIUM; i++) {
        for (int k = 0; k < 2; k++) {
            const fm_ref_side *sd = &mediums[i].side[k];
            fm_vector lex, util, count;
            if (glpk_lex_optimum(sd, &lex, NULL, msg, sizeof msg) != 0 ||
                glpk_levels(sd, UTILITY_ONLY, 1, &util, NULL, msg, sizeof msg) != 0 ||
                glpk_levels(sd, COUNT_THEN_UTILITY, 2, &count, NULL, msg, sizeof msg) != 0)
                fail_msg("seed %llu %s: GLPK: %s", (unsigned long long)mediums[i].seed,
                         side_word(k), msg);
            if (fm_ref_vector_cmp(&util, &lex) > 0 || fm_ref_vector_cmp(&count, &lex) > 0)
                fail_msg("seed %llu %s: a simpler objective beats the lexicographic optimum "
                         VEC_FMT ": utility-only " VEC_FMT ", count-then-utility " VEC_FMT,
                         (unsigned long long)mediums[i].seed, side_word(k), VEC_ARGS(lex),
                         VEC_ARGS(util), VEC_ARGS(count));
            utility_worse += fm_ref_vector_cmp(&util, &lex) < 0;
            count_worse += fm_ref_vector_cmp(&count, &lex) < 0;
            total++;
        }
    }
    if (utility_worse * 2 < total || count_worse * 2 < total)
        fail_msg("too few discriminating rounds: of %d, utility-only is worse on %d, "
                 "count-then-utility on %d", total, utility_worse, count_worse);
}

/* On the same rounds: the solver's own answer obeys the policy pair by
 * pair, its reasons are right and its certificate is tight. */
static void test_medium_matches_obey_policy(void **state)
{
    (void)state;
    char msg[512];
    for (size_t i = 0; i < N_MEDIUM; i++) {
        medium *m = &mediums[i];
        char what[64];
        snprintf(what, sizeof what, "seed %llu", (unsigned long long)m->seed);
        fm_result res;
        run_solver(&m->region, what, &res);
        for (int k = 0; k < 2; k++) {
            const fm_side_result *sr = side_of(&res, k);
            int bad = fm_ref_check_assignment(&m->side[k], sr, msg, sizeof msg) != 0 ||
                      fm_ref_check_reasons(&m->side[k], sr, msg, sizeof msg) != 0;
            if (!bad && sr->certificate_checked != 1) {
                snprintf(msg, sizeof msg, "%s: certificate_checked = %d", side_word(k),
                         sr->certificate_checked);
                bad = 1;
            }
            for (int l = 0; !bad && l < 4; l++) {
                if (sr->proof[l].value != sr->proof[l].bound) {
                    snprintf(msg, sizeof msg, "%s: level %d proof value %lld != bound %lld",
                             side_word(k), l + 1, (long long)sr->proof[l].value,
                             (long long)sr->proof[l].bound);
                    bad = 1;
                }
            }
            if (bad) {
                fm_result_free(&res);
                fail_msg("seed %llu: %s", (unsigned long long)m->seed, msg);
            }
        }
        fm_result_free(&res);
    }
}

/* ---- hand-built rounds ---- */

static const double KM_PER_DEG = 6371.0 * 3.14159265358979323846 / 180.0;
#define HAND_LAT 51.5
#define HAND_LON -0.12

typedef struct hand {
    fm_region r;
    int32_t sector[6];     /* sectors "A".."F" */
    int32_t school, employer;
} hand;

static void hand_init(hand *h)
{
    fm_region_init(&h->r);
    for (int k = 0; k < 6; k++) {
        char code[2] = {(char)('A' + k), 0};
        h->sector[k] = fm_region_intern_sector(&h->r, code);
        assert_true(h->sector[k] >= 0);
    }
    h->school = fm_region_intern_school(&h->r, "K1");
    h->employer = fm_region_intern_employer(&h->r, "E1");
    assert_true(h->school >= 0 && h->employer >= 0);
}

/* A student km_north of the centre, age 15 unless birth_date is given,
 * sectors as letters in rank order ("CBA": C is rank 1). */
static void hand_student(hand *h, const char *ref, int tier, const char *sectors, double km_north,
                         int32_t birth_date, int wants_placement, int wants_mentor)
{
    fm_student s;
    memset(&s, 0, sizeof s);
    s.ref = (char *)ref;
    s.school = h->school;
    s.birth_date = birth_date ? birth_date : 20120101;
    s.lat = HAND_LAT + km_north / KM_PER_DEG;
    s.lon = HAND_LON;
    s.max_travel_km = 20.0;
    s.low_income = tier == 1;
    s.looked_after = tier == 2;
    s.gifted = tier != 2; /* a gifted tier-3 pupil is still tier 3 */
    s.wants_placement = (uint8_t)wants_placement;
    s.wants_mentor = (uint8_t)wants_mentor;
    for (const char *c = sectors; *c; c++)
        s.sectors[s.n_sectors++] = (int16_t)h->sector[*c - 'A'];
    assert_true(fm_region_add_student(&h->r, &s) >= 0);
}

static void hand_placement(hand *h, const char *ref, char sector, int capacity, int reserve_pct,
                           double km_north)
{
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)ref;
    p.employer = h->employer;
    p.title = (char *)"";
    p.sector = (int16_t)h->sector[sector - 'A'];
    p.capacity = capacity;
    p.lat = HAND_LAT + km_north / KM_PER_DEG;
    p.lon = HAND_LON;
    p.has_location = 1;
    p.min_age = 14;
    p.reserve_pct = reserve_pct;
    assert_true(fm_region_add_placement(&h->r, &p) >= 0);
}

static void hand_mentor(hand *h, const char *ref, const char *sectors, int capacity,
                        double km_north, int online, int32_t dbs_valid_until)
{
    fm_mentor m;
    memset(&m, 0, sizeof m);
    m.ref = (char *)ref;
    m.organisation = (char *)"";
    int32_t ids[6];
    int n = 0;
    for (const char *c = sectors; *c; c++)
        ids[n++] = h->sector[*c - 'A'];
    m.sectors_off = fm_region_add_ints(&h->r, ids, (size_t)n);
    assert_true(m.sectors_off >= 0);
    m.n_sectors = n;
    m.capacity = capacity;
    m.lat = HAND_LAT + km_north / KM_PER_DEG;
    m.lon = HAND_LON;
    m.has_location = 1;
    m.online = (uint8_t)online;
    m.max_travel_km = 20.0;
    m.dbs_valid_until = dbs_valid_until;
    assert_true(fm_region_add_mentor(&h->r, &m) >= 0);
}

/* Hand vector == GLPK == solver, on both sides; then the region is freed. */
static void hand_check(hand *h, const char *name, fm_vector want_p, fm_vector want_m)
{
    char msg[512];
    const fm_vector want[2] = {want_p, want_m};
    fm_result res;
    run_solver(&h->r, name, &res);
    for (int k = 0; k < 2; k++) {
        fm_ref_side side;
        assert_int_equal(fm_ref_side_init(&side, &h->r, DATE, k), 0);
        fm_vector lp;
        int rc = glpk_lex_optimum(&side, &lp, NULL, msg, sizeof msg);
        int bad = rc == 0 && fm_ref_check_assignment(&side, side_of(&res, k), msg, sizeof msg);
        fm_ref_side_free(&side);
        fm_vector got = side_of(&res, k)->vector;
        if (rc != 0 || bad) {
            fm_result_free(&res);
            fail_msg("%s %s: %s", name, side_word(k), msg);
        }
        if (fm_ref_vector_cmp(&lp, &want[k]) != 0) {
            fm_result_free(&res);
            fail_msg("%s %s: GLPK " VEC_FMT " != by hand " VEC_FMT " (the test is wrong)", name,
                     side_word(k), VEC_ARGS(lp), VEC_ARGS(want[k]));
        }
        if (fm_ref_vector_cmp(&got, &want[k]) != 0) {
            fm_result_free(&res);
            fail_msg("%s %s: solver " VEC_FMT " != optimum " VEC_FMT, name, side_word(k),
                     VEC_ARGS(got), VEC_ARGS(want[k]));
        }
    }
    fm_result_free(&res);
    fm_region_free(&h->r);
}

static const fm_vector ZERO = {0, 0, 0, 0};

/* One seat; the tier-1 pupil ranks it 3rd (u 300), the tier-3 pupil 1st
 * (u 500).  Level 1 comes first: (1,0,0,300), not (0,0,1,500). */
static void test_tier1_outranks_higher_utility_tier3(void **state)
{
    (void)state;
    hand h;
    hand_init(&h);
    hand_placement(&h, "P0", 'A', 1, 0, 0.0);
    hand_student(&h, "T", 1, "CBA", 0.0, 0, 1, 0);
    hand_student(&h, "X", 3, "A", 0.0, 0, 1, 0);
    hand_check(&h, "tier1_outranks_higher_utility_tier3", (fm_vector){1, 0, 0, 300}, ZERO);
}

/* T (tier 1) gets 500 at P0 or 100 at P1; X (tier 3) can only use P0 (u 200).
 * Giving T its best (total utility 500) would leave X out: the optimum is
 * T -> P1, X -> P0 = (1,0,1,300). */
static void test_utility_yields_to_lower_tier_placement(void **state)
{
    (void)state;
    hand h;
    hand_init(&h);
    hand_placement(&h, "P0", 'A', 1, 0, 0.0);
    hand_placement(&h, "P1", 'B', 1, 0, 0.0);
    hand_student(&h, "T", 1, "ACDEB", 0.0, 0, 1, 0);
    hand_student(&h, "X", 3, "CDEA", 0.0, 0, 1, 0);
    hand_check(&h, "utility_yields_to_lower_tier_placement", (fm_vector){1, 0, 1, 300}, ZERO);
}

/* P0: 2 seats, 50% reserved, three tier-3 pupils: one placed, one seat
 * stays empty.  P1: 4 seats, all reserved: its tier-3 pupil stays out, its
 * tier-2 pupil gets in.  (0,1,1,1000). */
static void test_reserve_leaves_seats_empty(void **state)
{
    (void)state;
    hand h;
    hand_init(&h);
    hand_placement(&h, "P0", 'A', 2, 50, 0.0);
    hand_placement(&h, "P1", 'B', 4, 100, 0.0);
    hand_student(&h, "X1", 3, "A", 0.0, 0, 1, 0);
    hand_student(&h, "X2", 3, "A", 0.0, 0, 1, 0);
    hand_student(&h, "X3", 3, "A", 0.0, 0, 1, 0);
    hand_student(&h, "Y", 3, "B", 0.0, 0, 1, 0);
    hand_student(&h, "Z", 2, "B", 0.0, 0, 1, 0);
    hand_check(&h, "reserve_leaves_seats_empty", (fm_vector){0, 1, 1, 1000}, ZERO);
}

/* R = floor(capacity * pct / 100): 3 seats at 33% reserve none (3 tier-3
 * placed of 4), at 34% one (2 placed), 2 seats at 99% one (1 placed).
 * (0,0,6,3000). */
static void test_reserve_rounds_down(void **state)
{
    (void)state;
    hand h;
    hand_init(&h);
    hand_placement(&h, "P1", 'A', 3, 33, 0.0);
    hand_placement(&h, "P2", 'B', 3, 34, 0.0);
    hand_placement(&h, "P3", 'C', 2, 99, 0.0);
    const char *refs[] = {"A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2"};
    const char *secs[] = {"A", "A", "A", "A", "B", "B", "B", "B", "C", "C"};
    for (int k = 0; k < 10; k++)
        hand_student(&h, refs[k], 3, secs[k], 0.0, 0, 1, 0);
    hand_check(&h, "reserve_rounds_down", (fm_vector){0, 0, 6, 3000}, ZERO);
}

/* P0: 2 seats, 1 reserved; P1: 1 seat.  Z (tier 2) prefers P1 (500) to P0
 * (400); X (tier 3) takes only P1 (500); Y (tier 3) takes only P0 (500).
 * Giving Z its favourite leaves one tier-3 pupil out; the optimum puts Z on
 * P0's reserved seat: (0,1,2,1400). */
static void test_reserved_seat_reached_through_a_chain(void **state)
{
    (void)state;
    hand h;
    hand_init(&h);
    hand_placement(&h, "P0", 'A', 2, 50, 0.0);
    hand_placement(&h, "P1", 'B', 1, 0, 0.0);
    hand_student(&h, "Z", 2, "BA", 0.0, 0, 1, 0);
    hand_student(&h, "X", 3, "B", 0.0, 0, 1, 0);
    hand_student(&h, "Y", 3, "A", 0.0, 0, 1, 0);
    hand_check(&h, "reserved_seat_reached_through_a_chain", (fm_vector){0, 1, 2, 1400}, ZERO);
}

/* Mentors (no placements in this round).  M0 online (d 25), M1 in person
 * 2.5 km away with DBS valid exactly today, M2 1.5 km away with DBS expired
 * yesterday.  T (tier 1, 16): M0 475 or M1 398.  X (tier 3, 16): M0 only.
 * Y (tier 2, 18 tomorrow): M1 498 only, M2 is unsafe.  W (tier 3, 18 today):
 * M1 498 or M2 499.  Level 2 needs M1 for Y, so T takes M0, X is out, W
 * takes M2: (1,1,1,1472). */
static void test_mentor_levels_and_safeguarding(void **state)
{
    (void)state;
    hand h;
    hand_init(&h);
    hand_mentor(&h, "M0", "A", 1, 0.0, 1, DATE + 10000);
    hand_mentor(&h, "M1", "B", 1, 2.5, 0, DATE);
    hand_mentor(&h, "M2", "B", 1, 1.5, 0, DATE - 1);
    hand_student(&h, "T", 1, "AB", 0.0, 20110101, 0, 1);
    hand_student(&h, "X", 3, "A", 0.0, 20110101, 0, 1);
    hand_student(&h, "Y", 2, "B", 0.0, 20090615, 0, 1);
    hand_student(&h, "W", 3, "B", 0.0, 20090614, 0, 1);
    hand_check(&h, "mentor_levels_and_safeguarding", ZERO, (fm_vector){1, 1, 1, 1472});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glpk_model_matches_bruteforce),
        cmocka_unit_test(test_tier1_outranks_higher_utility_tier3),
        cmocka_unit_test(test_utility_yields_to_lower_tier_placement),
        cmocka_unit_test(test_reserve_leaves_seats_empty),
        cmocka_unit_test(test_reserve_rounds_down),
        cmocka_unit_test(test_reserved_seat_reached_through_a_chain),
        cmocka_unit_test(test_mentor_levels_and_safeguarding),
        cmocka_unit_test(test_medium_rounds_defeat_simple_objectives),
        cmocka_unit_test(test_medium_placement_vector_matches_glpk),
        cmocka_unit_test(test_medium_mentor_vector_matches_glpk),
        cmocka_unit_test(test_medium_matches_obey_policy),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
