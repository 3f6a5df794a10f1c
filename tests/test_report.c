/*
 * test_report.c - cmocka tests of report.html as a whole
 * (fm_report_html_write, adapters/report_*.c) on regions built in memory:
 * the headline against a previous round (a re-run's source, the last round
 * before, none), the unmatched list staying bounded on a large region
 * (tier 1 named first, at most FM_REPORT_LIST_PER_GROUP per group and
 * FM_REPORT_LIST_PER_SIDE per side, the page size bounded), a page without
 * the rows, escaping of school names in the unmatched tables, reading a
 * previous round's summary, and a failing stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "report_html.h"
#include "report_page.h"
#include "round_output.h"

typedef struct fixture {
    fm_region r;
    fm_result res;
    json_t *summary;
} fixture;

/* n pupils over n_schools schools; pupil i is tier 1 + i % 3, asks for a
 * placement, and is placed (rank 1, 3 km) when i % 4 == 0, otherwise
 * outcompeted, except every 10th, who has no eligible placement by
 * distance.  Nobody asks for a mentor. */
static void build(fixture *fx, size_t n, size_t n_schools, const char *school_name)
{
    fm_error err;
    fm_region_init(&fx->r);
    fm_result_init(&fx->res);
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)"PL1";
    p.employer = fm_region_intern_employer(&fx->r, "EMP1");
    p.title = (char *)"";
    p.sector = (int16_t)fm_region_intern_sector(&fx->r, "health");
    p.capacity = 1000;
    p.reserve_pct = 25;
    p.is_virtual = 1;
    assert_true(fm_region_add_placement(&fx->r, &p) >= 0);
    for (size_t k = 0; k < n_schools; k++) {
        char ref[32];
        snprintf(ref, sizeof ref, "SCH%04zu", k);
        assert_int_equal(fm_region_set_school(&fx->r, ref, k == 0 && school_name ? school_name
                                                                                  : "A school",
                                              NAN, NAN, 0), 0);
    }
    for (size_t i = 0; i < n; i++) {
        char ref[32];
        fm_student s;
        memset(&s, 0, sizeof s);
        snprintf(ref, sizeof ref, "S%06zu", i);
        s.ref = ref;
        s.school = (int32_t)(i % n_schools);
        s.birth_date = 20110305;
        s.low_income = i % 3 != 2;
        s.gifted = i % 3 == 0;
        s.wants_placement = 1;
        s.n_sectors = 1;
        s.sectors[0] = p.sector;
        s.gender = "FMX"[i % 3];
        assert_true(fm_region_add_student(&fx->r, &s) >= 0);
    }
    fx->res.placements.match = calloc(n ? n : 1, sizeof(fm_match));
    fx->res.mentors.match = calloc(n ? n : 1, sizeof(fm_match));
    assert_non_null(fx->res.placements.match);
    assert_non_null(fx->res.mentors.match);
    for (size_t i = 0; i < n; i++) {
        fm_match *m = &fx->res.placements.match[i];
        fx->res.mentors.match[i].target = -1;
        m->asked = 1;
        m->target = -1;
        if (i % 4 == 0) {
            int tier = fm_student_tier(&fx->r.students[i]);
            m->target = 0;
            m->rank = 1;
            m->utility = 497;
            m->distance_km = 3.2;
            m->n_eligible = 1;
            fx->res.placements.vector.n1 += tier == 1;
            fx->res.placements.vector.n2 += tier == 2;
            fx->res.placements.vector.n3 += tier == 3;
            fx->res.placements.vector.utility += 497;
        } else if (i % 10 == 0) {
            m->reason = FM_REASON_NO_ELIGIBLE;
            m->rule = FM_RULE_DISTANCE;
        } else {
            m->reason = FM_REASON_OUTCOMPETED;
            m->n_eligible = 1;
        }
    }
    fx->res.placements.n_students_asked = (int64_t)n;
    const fm_vector *v = &fx->res.placements.vector;
    int64_t levels[4] = {v->n1, v->n1 + v->n2, v->n1 + v->n2 + v->n3, v->utility};
    for (int k = 0; k < 4; k++) {
        fx->res.placements.proof[k].value = levels[k];
        fx->res.placements.proof[k].bound = levels[k];
    }
    fx->res.placements.certificate_checked = 1;
    fx->res.mentors.certificate_checked = 1;
    fm_round_params params;
    memset(&params, 0, sizeof params);
    params.date = 20270614;
    params.time_limit_seconds = 600;
    fm_error_clear(&err);
    assert_int_equal(fm_summary_json_new(&fx->r, &params, &fx->res, NULL, &fx->summary, &err), 0);
}

static void destroy(fixture *fx)
{
    json_decref(fx->summary);
    fm_result_free(&fx->res);
    fm_region_free(&fx->r);
}

/* The page for fx with ctx (malloc); rows says whether to pass the rows. */
static char *page(fixture *fx, const fm_report_context *ctx, int rows, size_t *len)
{
    fm_error err;
    FILE *f = tmpfile();
    long n;
    char *text;
    assert_non_null(f);
    fm_error_clear(&err);
    assert_int_equal(fm_report_html_write(f, fx->summary, rows ? &fx->r : NULL,
                                          rows ? &fx->res : NULL, ctx, &err), 0);
    n = ftell(f);
    assert_true(n > 0);
    text = malloc((size_t)n + 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return text;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_previous_rerun(void **state)
{
    (void)state;
    fixture fx;
    build(&fx, 120, 3, NULL);
    fm_report_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.round_id = 7;
    ctx.previous.round_id = 6;
    ctx.previous.rerun = 1;
    snprintf(ctx.previous.date, sizeof ctx.previous.date, "2027-06-07");
    /* round 6 placed 8 of tier 1 (now 10), 12 of tier 2 (now 10), 10 of tier 3 */
    int64_t asked[3] = {40, 40, 40}, placed[3] = {8, 12, 10};
    memcpy(ctx.previous.placements.asked, asked, sizeof asked);
    memcpy(ctx.previous.placements.placed, placed, sizeof placed);
    char *h = page(&fx, &ctx, 1, NULL);
    assert_non_null(strstr(h, "Round 7, a re-run of round 6"));
    assert_non_null(strstr(h, "Compared with round 6 of 2027-06-07, which this round re-ran"));
    assert_int_equal(count(h, "<th>Round 6</th><th>Change</th>"), 2); /* both sides */
    assert_non_null(strstr(h, "data-fm=\"placements-n1\">10</td><td>25.0%</td><td>8 of 40 "
                              "(20.0%)</td><td class=\"up\">+2 (more)</td>"));
    assert_non_null(strstr(h, "data-fm=\"placements-n2\">10</td><td>25.0%</td><td>12 of 40 "
                              "(30.0%)</td><td class=\"down\">&minus;2 (fewer)</td>"));
    assert_non_null(strstr(h, "<td>10 of 40 (25.0%)</td><td>no change</td>"));
    free(h);
    destroy(&fx);
}

static void test_previous_last_and_none(void **state)
{
    (void)state;
    fixture fx;
    build(&fx, 30, 2, NULL);
    fm_report_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.round_id = 3;
    ctx.previous.round_id = 2;
    char *h = page(&fx, &ctx, 1, NULL);
    assert_non_null(strstr(h, "Compared with round 2, the last finished round before this one."));
    assert_null(strstr(h, "re-run"));
    free(h);

    ctx.previous.round_id = 0; /* the first round in the store */
    h = page(&fx, &ctx, 1, NULL);
    assert_non_null(strstr(h, "Round 3 is the first finished round in this service"));
    assert_null(strstr(h, "<th>Change</th>"));
    free(h);

    h = page(&fx, NULL, 1, NULL); /* offline */
    assert_non_null(strstr(h, "solved offline with <code>fairmatch solve</code>, so there is no "
                              "previous round"));
    free(h);
    destroy(&fx);
}

static void test_large_region_bounded(void **state)
{
    (void)state;
    fixture fx;
    size_t len = 0;
    build(&fx, 60000, 200, NULL);
    char *h = page(&fx, NULL, 1, &len);
    /* 45000 unmatched, yet at most 600 named; groups of 200 schools */
    assert_true(count(h, " (T") <= FM_REPORT_LIST_PER_SIDE);
    assert_true(count(h, " (T") >= FM_REPORT_LIST_PER_SIDE - 3);
    assert_true(len < 600 * 1024);
    /* a group lists tier 1 first, by ref: SCH0000's pupils (0, 200, ...)
     * are all placed, so the first group is SCH0001's outcompeted pupils
     * 1 + 200k, of tier 1 when k % 3 == 1: 201, 801, 1401, ... */
    const char *row = strstr(h, "data-reason=\"outcompeted\"");
    assert_non_null(row);
    row = strstr(row, "<td>SCH0001</td>");
    assert_non_null(row);
    row = strstr(row, "<td class=\"refs\">");
    assert_non_null(row);
    static const char first[] = "S000201 (T1), S000801 (T1), S001401 (T1), ";
    assert_true(strncmp(row + strlen("<td class=\"refs\">"), first, strlen(first)) == 0);
    const char *cell_end = strstr(row, "</td>");
    const char *t2 = strstr(row, "(T2)");
    assert_true(!t2 || t2 > cell_end); /* 100 of tier 1: all 12 named are tier 1 */
    assert_non_null(strstr(row, ", and 288 more in placements.csv</td>"));
    /* the rest is pointed to the CSV */
    assert_non_null(strstr(h, "more in placements.csv"));
    assert_non_null(strstr(h, "pupils in placements.csv"));
    /* 200 schools: a histogram of schools by rate, not 200 bars */
    assert_non_null(strstr(h, "Schools by their share of pupils placed"));
    const char *chart = strstr(h, "id=\"placements-school\"");
    assert_non_null(chart);
    const char *end = strstr(chart, "</svg>");
    size_t bars = 0;
    for (const char *p = strstr(chart, "class=\"bar\""); p && p < end;
         p = strstr(p + 1, "class=\"bar\""))
        bars++;
    assert_int_equal(bars, 10);
    /* ... but the table lists every school */
    assert_int_equal(count(h, "<td class=\"text\">A school</td><td>300</td>"), 200);
    free(h);
    destroy(&fx);
}

static void test_without_rows(void **state)
{
    (void)state;
    fixture fx;
    build(&fx, 40, 2, NULL);
    char *h = page(&fx, NULL, 0, NULL);
    assert_non_null(strstr(h, "The pupils' rows were not available"));
    assert_non_null(strstr(h, "distances cannot be shown"));
    assert_null(strstr(h, " (T1)"));
    assert_non_null(strstr(h, "</html>\n"));
    free(h);
    destroy(&fx);
}

static void test_school_name_escaped(void **state)
{
    (void)state;
    fixture fx;
    build(&fx, 40, 2, "<marquee>St Ann's & \"Co\"</marquee>");
    char *h = page(&fx, NULL, 1, NULL);
    assert_null(strstr(h, "<marquee>"));
    /* in the school chart, the schools table and the unmatched tables */
    assert_true(count(h, "&lt;marquee&gt;St Ann&#39;s &amp; &quot;Co&quot;&lt;/marquee&gt;") >= 3);
    /* options and reserves from the summary, in words */
    assert_non_null(strstr(h, "Time limit: 600 seconds."));
    assert_non_null(strstr(h, "In this round 1 of the 1 placements have a reserve, holding 250 "
                              "of their 1000 seats."));
    /* no personal field */
    assert_null(strstr(h, "2011-03-05"));
    assert_null(strstr(h, "20110305"));
    free(h);
    destroy(&fx);
}

/* A side solved under extra constraints: levels with gap and method, the
 * cost against the plain optimum, the tight rows (at most 20 listed), and a
 * time limit that left a level without a bound. */
static void test_constrained_evidence(void **state)
{
    (void)state;
    fixture fx;
    build(&fx, 40, 2, NULL);
    json_t *con = json_pack("{s:[{s:i,s:s,s:i,s:i,s:f,s:s},{s:i,s:s,s:i,s:n,s:n,s:s}],"
                            "s:b,s:{s:i,s:i,s:i,s:i},s:{s:i,s:i,s:i,s:i},s:[]}",
                            "levels", "level", 1, "name", "n1", "value", 3, "bound", 3,
                            "gap", 0.0, "method", "MIP", "level", 2, "name", "n2", "value", 4,
                            "bound", "gap", "method", "none", "stopped_by_time_limit", 1,
                            "plain_vector", "n1", 3, "n2", 6, "n3", 9, "utility", 900,
                            "cost_vs_plain", "n1", 0, "n2", 2, "n3", 1, "utility", 120,
                            "constraints");
    assert_non_null(con);
    for (int i = 0; i < 25; i++) {
        char who[32];
        snprintf(who, sizeof who, "SCH<%d>", i);
        json_array_append_new(json_object_get(con, "constraints"),
                              json_pack("{s:s,s:s,s:f,s:f,s:f,s:b}", "kind", "school_floor",
                                        "who", who, "value", 3.0, "limit", 3.0, "slack", 0.0,
                                        "tight", i != 7));
    }
    json_object_set_new(json_object_get(fx.summary, "placements"), "constrained", con);
    char *h = page(&fx, NULL, 1, NULL);
    assert_non_null(strstr(h, "id=\"placements-constrained\""));
    assert_non_null(strstr(h, "The time limit stopped the search"));
    assert_non_null(strstr(h, "<td>3</td><td>0.00%</td><td>MIP</td>"));
    assert_non_null(strstr(h, "<td>unknown</td><td>unknown</td><td>none</td>"));
    assert_non_null(strstr(h, "would have been 3 tier-1 pupils, 6 tier-2 pupils, 9 tier-3 "
                              "pupils and 900 total utility; the constraints cost 0 tier-1 "
                              "pupils, 2 tier-2 pupils, 1 tier-3 pupils and 120 total utility."));
    assert_non_null(strstr(h, "data-fm=\"placements-optimal\">Not proven best possible"));
    assert_non_null(strstr(h, "25 constraint rows; 24 of them are tight"));
    assert_non_null(strstr(h, "<td class=\"text\">SCH&lt;0&gt;</td>"));
    assert_null(strstr(h, "SCH&lt;7&gt;"));  /* not tight */
    assert_null(strstr(h, "SCH&lt;21&gt;")); /* past the 20 listed */
    assert_non_null(strstr(h, "and 4 more tight rows"));
    /* the plain side keeps its min-cut evidence */
    assert_non_null(strstr(h, "id=\"mentors-proof\""));
    free(h);
    destroy(&fx);
}

/* Nearest misses, when the result kept them, follow each named pupil. */
static void test_nearest_misses(void **state)
{
    (void)state;
    fixture fx;
    build(&fx, 40, 1, NULL);
    fm_miss *miss = calloc(40, sizeof *miss);
    assert_non_null(miss);
    for (size_t i = 0; i < 40; i++) {
        miss[i].target = fx.res.placements.match[i].target >= 0 ? -1 : 0;
        miss[i].distance_km = i == 1 ? 4.25 : -1;
        miss[i].reserved_open = i == 3;
        miss[i].own_target = -1;
    }
    fx.res.placements.miss = miss; /* freed by fm_result_free */
    char *h = page(&fx, NULL, 1, NULL);
    /* pupils 1 and 3 are outcompeted (3 with reserved seats open), 10 has none eligible */
    assert_non_null(strstr(h, "S000001 (T2): best choice PL1 (4.2 km), full<br>"));
    assert_non_null(strstr(h, "S000003 (T1): best choice PL1 (virtual), only reserved seats open"));
    assert_non_null(strstr(h, "S000010 (T2): nearest ruled out PL1 (virtual)"));
    assert_non_null(strstr(h, "and each one's nearest miss"));
    free(h);
    destroy(&fx);
}

static void test_previous_from_summary(void **state)
{
    (void)state;
    fixture fx;
    fm_report_previous p;
    build(&fx, 120, 3, NULL);
    assert_int_equal(fm_report_previous_from_summary(&p, 5, 1, NULL, fx.summary), 0);
    assert_int_equal(p.round_id, 5);
    assert_int_equal(p.rerun, 1);
    assert_string_equal(p.date, "2027-06-14");
    assert_int_equal(p.placements.asked[0], 40);
    assert_int_equal(p.placements.placed[0], fx.res.placements.vector.n1);
    assert_int_equal(p.placements.placed[2], fx.res.placements.vector.n3);
    assert_int_equal(p.mentors.asked[1], 0);
    json_t *not_object = json_array();
    assert_int_equal(fm_report_previous_from_summary(&p, 5, 0, "2027-01-01", not_object),
                     FM_EINVAL);
    assert_int_equal(p.round_id, 0);
    json_decref(not_object);
    destroy(&fx);
}

static void test_stream_fails(void **state)
{
    (void)state;
    fixture fx;
    fm_error err;
    FILE *f = fopen("/dev/full", "w");
    build(&fx, 40, 2, NULL);
    assert_non_null(f);
    fm_error_clear(&err);
    assert_int_equal(fm_report_html_write(f, fx.summary, &fx.r, &fx.res, NULL, &err), FM_EIO);
    fclose(f);
    destroy(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_previous_rerun),
        cmocka_unit_test(test_previous_last_and_none),
        cmocka_unit_test(test_large_region_bounded),
        cmocka_unit_test(test_without_rows),
        cmocka_unit_test(test_school_name_escaped),
        cmocka_unit_test(test_constrained_evidence),
        cmocka_unit_test(test_nearest_misses),
        cmocka_unit_test(test_previous_from_summary),
        cmocka_unit_test(test_stream_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
