/*
 * test_output.c - the result files of a round (adapters/round_output.h).
 *
 * Builds a small region by hand (two schools, one with a name that needs
 * HTML escaping; two placements, one virtual; two mentors, one online; six
 * students: matched, outcompeted, no_eligible for several rules, and one who
 * asked for nothing) and a result filled by hand, then checks: the CSV rows
 * exactly; the RFC 4180 quoting helper; that summary.json parses and holds
 * the right objective, tables and reasons; that the HTML is escaped and
 * carries no personal field; that writing twice gives the same bytes; that
 * an unwritable outdir gives FM_EIO and leaves nothing; that a write error or
 * a broken result leaves no file at all and the previous round untouched.
 * Every test works in its own mkdtemp directory and removes it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "round_output.h"

typedef struct fixture {
    fm_region r;
    fm_result res;
    fm_round_params params;
    fm_round_timing timing;
    char dir[64]; /* mkdtemp directory, removed at teardown */
} fixture;

static const char expected_placements[] =
    "student_ref,school_ref,tier,placement_ref,employer_ref,rank,"
    "distance_km,utility,reason\n"
    "S1,SCH-A,1,P1,EMP1,1,3.142,497,\n"
    "S2,SCH-A,3,P2,EMP2,1,,450,\n"
    "S3,SCH-B,2,,,,,,outcompeted\n"
    "S4,SCH-B,3,,,,,,no_eligible:distance\n"
    "S6,SCH-B,3,,,,,,no_eligible:age\n";

static const char expected_mentors[] =
    "student_ref,school_ref,tier,mentor_ref,rank,distance_km,utility,reason\n"
    "S1,SCH-A,1,M1,1,,475,\n"
    "S3,SCH-B,2,,,,,no_eligible:safeguarding\n"
    "S6,SCH-B,3,M2,1,12.000,488,\n";

/* ---- helpers ---- */

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        chmod(path, 0755);
        while (d && (e = readdir(d)) != NULL) {
            char sub[1024];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Number of entries in a directory, "." and ".." aside; -1 if unreadable. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Whole file as a NUL-terminated string (caller frees), NULL if absent. */
static char *slurp(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;
    char *buf;
    long len;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static void path_join(char *buf, size_t size, const char *a, const char *b)
{
    snprintf(buf, size, "%s/%s", a, b);
}

/* ---- the fixture region and result ---- */

static void add_student(fm_region *r, const char *ref, const char *school,
                        int tier, char gender, const char *sec1,
                        const char *sec2, int wants_p, int wants_m)
{
    fm_student s;
    memset(&s, 0, sizeof s);
    s.ref = (char *)ref;
    s.school = fm_region_intern_school(r, school);
    assert_true(s.school >= 0);
    s.birth_date = 20110305;
    s.lat = 51.5072;
    s.lon = -0.1276;
    s.max_travel_km = 20;
    s.low_income = tier <= 2;
    s.gifted = tier == 1;
    s.gender = gender;
    s.wants_placement = (uint8_t)wants_p;
    s.wants_mentor = (uint8_t)wants_m;
    if (sec1)
        s.sectors[s.n_sectors++] = (int16_t)fm_region_intern_sector(r, sec1);
    if (sec2)
        s.sectors[s.n_sectors++] = (int16_t)fm_region_intern_sector(r, sec2);
    assert_true(fm_region_add_student(r, &s) >= 0);
    assert_int_equal(fm_student_tier(&r->students[r->n_students - 1]), tier);
}

static void add_placement(fm_region *r, const char *ref, const char *emp,
                          const char *sector, int capacity, int is_virtual)
{
    fm_placement p;
    memset(&p, 0, sizeof p);
    p.ref = (char *)ref;
    p.employer = fm_region_intern_employer(r, emp);
    p.title = (char *)"Work <shadowing> & \"more\"";
    p.sector = (int16_t)fm_region_intern_sector(r, sector);
    p.capacity = capacity;
    p.lat = 51.52;
    p.lon = -0.10;
    p.has_location = !is_virtual;
    p.is_virtual = (uint8_t)is_virtual;
    p.min_age = 14;
    assert_true(fm_region_add_placement(r, &p) >= 0);
}

static void add_mentor(fm_region *r, const char *ref, const char *sec1,
                       const char *sec2, int online)
{
    fm_mentor m;
    int32_t secs[2];
    int32_t n = 0;
    memset(&m, 0, sizeof m);
    secs[n++] = fm_region_intern_sector(r, sec1);
    if (sec2)
        secs[n++] = fm_region_intern_sector(r, sec2);
    m.ref = (char *)ref;
    m.organisation = (char *)"";
    m.sectors_off = fm_region_add_ints(r, secs, (size_t)n);
    assert_true(m.sectors_off >= 0);
    m.n_sectors = n;
    m.capacity = 3;
    m.lat = 51.6;
    m.lon = -0.2;
    m.has_location = !online;
    m.online = (uint8_t)online;
    m.max_travel_km = 20;
    m.dbs_valid_until = 20280101;
    assert_true(fm_region_add_mentor(r, &m) >= 0);
}

static fm_match matched(int32_t target, int rank, int utility, double dist,
                        int n_eligible)
{
    fm_match m;
    memset(&m, 0, sizeof m);
    m.target = target;
    m.rank = (int8_t)rank;
    m.utility = (int16_t)utility;
    m.asked = 1;
    m.n_eligible = n_eligible;
    m.distance_km = dist;
    return m;
}

static fm_match unmatched(fm_reason reason, fm_rule rule, int n_eligible)
{
    fm_match m;
    memset(&m, 0, sizeof m);
    m.target = -1;
    m.asked = 1;
    m.reason = (uint8_t)reason;
    m.rule = (uint8_t)rule;
    m.n_eligible = n_eligible;
    m.distance_km = -1;
    return m;
}

static fm_match not_asked(void)
{
    fm_match m;
    memset(&m, 0, sizeof m);
    m.target = -1;
    m.distance_km = -1;
    return m;
}

static void set_proof(fm_side_result *sr, int64_t bound4)
{
    int64_t cum = 0;
    cum += sr->vector.n1;
    sr->proof[0].value = sr->proof[0].bound = cum;
    cum += sr->vector.n2;
    sr->proof[1].value = sr->proof[1].bound = cum;
    cum += sr->vector.n3;
    sr->proof[2].value = sr->proof[2].bound = cum;
    sr->proof[3].value = sr->vector.utility;
    sr->proof[3].bound = bound4;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fm_region *r;
    fm_match *mp, *mm;
    assert_non_null(fx);
    r = &fx->r;
    fm_region_init(r);

    assert_int_equal(fm_region_set_school(r, "SCH-A", "<b>&\"", 51.5, -0.1,
                                          1), 0);
    fm_region_intern_school(r, "SCH-B"); /* not listed: no name */

    add_placement(r, "P1", "EMP1", "law", 2, 0);
    add_placement(r, "P2", "EMP2", "health", 5, 1);
    add_mentor(r, "M1", "law", "it", 1);
    add_mentor(r, "M2", "health", NULL, 0);

    add_student(r, "S1", "SCH-A", 1, 'F', "law", "health", 1, 1);
    add_student(r, "S2", "SCH-A", 3, 'M', "health", NULL, 1, 0);
    add_student(r, "S3", "SCH-B", 2, 0, "it", "law", 1, 1);
    add_student(r, "S4", "SCH-B", 3, 'X', "law", NULL, 1, 0);
    add_student(r, "S5", "SCH-A", 3, 'F', "law", NULL, 0, 0);
    add_student(r, "S6", "SCH-B", 3, 'F', "health", NULL, 1, 1);

    mp = calloc(r->n_students, sizeof *mp);
    mm = calloc(r->n_students, sizeof *mm);
    assert_non_null(mp);
    assert_non_null(mm);
    mp[0] = matched(0, 1, 497, 3.14159, 1);
    mp[1] = matched(1, 1, 450, -1, 1);
    mp[2] = unmatched(FM_REASON_OUTCOMPETED, FM_RULE_NONE, 1);
    mp[3] = unmatched(FM_REASON_NO_ELIGIBLE, FM_RULE_DISTANCE, 0);
    mp[4] = not_asked();
    mp[5] = unmatched(FM_REASON_NO_ELIGIBLE, FM_RULE_AGE, 0);
    mm[0] = matched(0, 1, 475, -1, 2);
    mm[1] = not_asked();
    mm[2] = unmatched(FM_REASON_NO_ELIGIBLE, FM_RULE_SAFEGUARDING, 0);
    mm[3] = not_asked();
    mm[4] = not_asked();
    mm[5] = matched(1, 1, 488, 12.0, 1);

    fx->res.placements.match = mp;
    fx->res.placements.vector = (fm_vector){1, 0, 1, 947};
    fx->res.placements.n_students_asked = 5;
    fx->res.placements.n_candidates = 4;
    fx->res.placements.n_arcs_priced = 4;
    fx->res.placements.pricing_rounds = 2;
    fx->res.placements.pivots = 9;
    fx->res.placements.certificate_checked = 1;
    set_proof(&fx->res.placements, 947);

    fx->res.mentors.match = mm;
    fx->res.mentors.vector = (fm_vector){1, 0, 1, 963};
    fx->res.mentors.n_students_asked = 3;
    fx->res.mentors.n_candidates = 3;
    fx->res.mentors.certificate_checked = 0;
    set_proof(&fx->res.mentors, 1000); /* a gap at level 4 */

    fx->params.date = 20270614;
    fx->timing = (fm_round_timing){0.25, 0.125, 1.5, 0.0625, 0, 2.0, 42.5};

    strcpy(fx->dir, "/tmp/fm_test_output.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    rm_tree(fx->dir);
    free(fx->res.placements.match);
    free(fx->res.mentors.match);
    fm_region_free(&fx->r);
    free(fx);
    return 0;
}

/* Writes the round into fx->dir/name and returns that path in out. */
static int write_round(fixture *fx, const char *name, char *out, size_t size,
                       fm_error *err)
{
    path_join(out, size, fx->dir, name);
    fm_error_clear(err);
    return fm_round_write(out, &fx->r, &fx->params, &fx->res, &fx->timing,
                          err);
}

/* ---- tests ---- */

static void test_csv_rows(void **state)
{
    fixture *fx = *state;
    char out[256];
    fm_error err;
    char *p, *m;

    assert_int_equal(write_round(fx, "out", out, sizeof out, &err), 0);
    p = slurp(out, "placements.csv");
    m = slurp(out, "mentors.csv");
    assert_non_null(p);
    assert_non_null(m);
    assert_string_equal(p, expected_placements);
    assert_string_equal(m, expected_mentors);
    free(p);
    free(m);
    assert_int_equal(count_entries(out), 4); /* no temporary left */
}

static void test_csv_quoting(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    (void)state;
    assert_non_null(f);
    assert_int_equal(fm_result_csv_put_field(f, "plain"), 0);
    fputc('|', f);
    assert_int_equal(fm_result_csv_put_field(f, "a,b"), 0);
    fputc('|', f);
    assert_int_equal(fm_result_csv_put_field(f, "say \"hi\""), 0);
    fputc('|', f);
    assert_int_equal(fm_result_csv_put_field(f, "two\nlines\r"), 0);
    fputc('|', f);
    assert_int_equal(fm_result_csv_put_field(f, ""), 0);
    fputc('|', f);
    assert_int_equal(fm_result_csv_put_field(f, " spaced "), 0);
    fclose(f);
    assert_string_equal(buf, "plain|\"a,b\"|\"say \"\"hi\"\"\"|"
                             "\"two\nlines\r\"|| spaced ");
    free(buf);
}

static json_t *load_summary(const char *dir)
{
    char *text = slurp(dir, "summary.json");
    json_error_t jerr;
    json_t *j;
    assert_non_null(text);
    j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("summary.json does not parse: %s (line %d)", jerr.text,
                 jerr.line);
    free(text);
    return j;
}

static long long at_int(const json_t *o, const char *path)
{
    /* path like "a.b.c" */
    char buf[256], *save = NULL, *tok;
    const json_t *cur = o;
    snprintf(buf, sizeof buf, "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok;
         tok = strtok_r(NULL, ".", &save)) {
        cur = json_object_get(cur, tok);
        if (!cur)
            fail_msg("summary has no %s", path);
    }
    if (!json_is_integer(cur))
        fail_msg("%s is not an integer", path);
    return (long long)json_integer_value(cur);
}

static const json_t *at(const json_t *o, const char *path)
{
    char buf[256], *save = NULL, *tok;
    const json_t *cur = o;
    snprintf(buf, sizeof buf, "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    return cur;
}

static double at_real(const json_t *o, const char *path)
{
    const json_t *v = at(o, path);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    return json_number_value(v);
}

static void test_summary(void **state)
{
    fixture *fx = *state;
    char out[256];
    fm_error err;
    json_t *j;
    const json_t *levels, *by_rule;

    assert_int_equal(write_round(fx, "out", out, sizeof out, &err), 0);
    j = load_summary(out);

    assert_string_equal(json_string_value(at(j, "policy")), "fair-access v1");
    assert_string_equal(json_string_value(at(j, "date")), "2027-06-14");
    assert_int_equal(at_int(j, "counts.students"), 6);
    assert_int_equal(at_int(j, "counts.placements"), 2);
    assert_int_equal(at_int(j, "counts.seats"), 7);
    assert_int_equal(at_int(j, "counts.mentors"), 2);
    assert_int_equal(at_int(j, "counts.schools"), 2);

    /* the contract of files.md: exactly n1, n2, n3, utility */
    assert_int_equal(json_object_size(at(j, "placements.objective")), 4);
    assert_int_equal(at_int(j, "placements.objective.n1"), 1);
    assert_int_equal(at_int(j, "placements.objective.n2"), 0);
    assert_int_equal(at_int(j, "placements.objective.n3"), 1);
    assert_int_equal(at_int(j, "placements.objective.utility"), 947);
    assert_int_equal(json_object_size(at(j, "mentors.objective")), 4);
    assert_int_equal(at_int(j, "mentors.objective.n1"), 1);
    assert_int_equal(at_int(j, "mentors.objective.utility"), 963);

    assert_int_equal(at_int(j, "placements.asked"), 5);
    assert_int_equal(at_int(j, "placements.eligible"), 3);
    assert_int_equal(at_int(j, "placements.matched"), 2);
    assert_int_equal(at_int(j, "placements.candidates"), 4);
    assert_int_equal(at_int(j, "mentors.asked"), 3);
    assert_int_equal(at_int(j, "mentors.eligible"), 2);
    assert_int_equal(at_int(j, "mentors.matched"), 2);

    /* per tier */
    assert_int_equal(at_int(j, "placements.by_tier.1.asked"), 1);
    assert_int_equal(at_int(j, "placements.by_tier.1.placed"), 1);
    assert_true(at_real(j, "placements.by_tier.1.rate") == 1.0);
    assert_int_equal(at_int(j, "placements.by_tier.2.asked"), 1);
    assert_int_equal(at_int(j, "placements.by_tier.2.eligible"), 1);
    assert_int_equal(at_int(j, "placements.by_tier.2.placed"), 0);
    assert_true(at_real(j, "placements.by_tier.2.rate") == 0.0);
    assert_int_equal(at_int(j, "placements.by_tier.3.asked"), 3);
    assert_int_equal(at_int(j, "placements.by_tier.3.eligible"), 1);
    assert_int_equal(at_int(j, "placements.by_tier.3.placed"), 1);
    assert_true(at_real(j, "placements.by_tier.3.rate") > 0.3333
                && at_real(j, "placements.by_tier.3.rate") < 0.3334);
    assert_int_equal(at_int(j, "mentors.by_tier.2.asked"), 1);
    assert_true(at_real(j, "mentors.by_tier.2.rate") == 0.0);

    /* per school: listed school has its name, unlisted has none */
    assert_string_equal(json_string_value(at(j,
                            "placements.by_school.SCH-A.name")), "<b>&\"");
    assert_int_equal(at_int(j, "placements.by_school.SCH-A.asked"), 2);
    assert_int_equal(at_int(j, "placements.by_school.SCH-A.placed"), 2);
    assert_null(at(j, "placements.by_school.SCH-B.name"));
    assert_int_equal(at_int(j, "placements.by_school.SCH-B.asked"), 3);
    assert_int_equal(at_int(j, "placements.by_school.SCH-B.eligible"), 1);
    assert_int_equal(at_int(j, "placements.by_school.SCH-B.placed"), 0);

    /* gender x sector: matched by placement sector, else first sector */
    assert_int_equal(at_int(j, "placements.by_gender_sector.F.law.placed"), 1);
    assert_int_equal(at_int(j, "placements.by_gender_sector.F.health.asked"),
                     1);
    assert_int_equal(at_int(j, "placements.by_gender_sector.F.health.placed"),
                     0);
    assert_int_equal(at_int(j, "placements.by_gender_sector.M.health.placed"),
                     1);
    assert_int_equal(at_int(j, "placements.by_gender_sector.X.law.asked"), 1);
    assert_int_equal(
        at_int(j, "placements.by_gender_sector.unspecified.it.asked"), 1);
    assert_int_equal(at_int(j, "mentors.by_gender_sector.F.law.placed"), 1);
    assert_int_equal(at_int(j, "mentors.by_gender_sector.F.health.placed"), 1);
    assert_null(at(j, "mentors.by_gender_sector.M"));

    /* utility and ranks */
    assert_int_equal(at_int(j, "placements.utility.total"), 947);
    assert_true(at_real(j, "placements.utility.mean") == 473.5);
    assert_int_equal(at_int(j, "placements.rank_histogram.1"), 2);
    assert_int_equal(at_int(j, "placements.rank_histogram.5"), 0);

    /* reasons */
    assert_int_equal(at_int(j, "placements.reasons.outcompeted"), 1);
    assert_int_equal(at_int(j, "placements.reasons.no_eligible"), 2);
    by_rule = at(j, "placements.reasons.no_eligible_by_rule");
    assert_int_equal(json_object_size(by_rule), 5);
    assert_int_equal(at_int(by_rule, "distance"), 1);
    assert_int_equal(at_int(by_rule, "age"), 1);
    assert_int_equal(at_int(by_rule, "sector"), 0);
    assert_null(json_object_get(by_rule, "safeguarding"));
    by_rule = at(j, "mentors.reasons.no_eligible_by_rule");
    assert_int_equal(json_object_size(by_rule), 3);
    assert_int_equal(at_int(by_rule, "safeguarding"), 1);
    assert_null(json_object_get(by_rule, "age"));

    /* proof */
    levels = at(j, "placements.proof.levels");
    assert_int_equal(json_array_size(levels), 4);
    assert_int_equal(at_int(json_array_get(levels, 0), "level"), 1);
    assert_string_equal(json_string_value(at(json_array_get(levels, 0),
                                             "name")), "tier-1 placed");
    assert_int_equal(at_int(json_array_get(levels, 2), "value"), 2);
    assert_int_equal(at_int(json_array_get(levels, 3), "bound"), 947);
    assert_string_equal(json_string_value(at(json_array_get(levels, 3),
                                             "name")), "utility");
    assert_true(json_is_true(at(j, "placements.proof.optimal")));
    assert_true(json_is_true(at(j, "placements.proof.certificate_checked")));
    assert_true(json_is_false(at(j, "mentors.proof.optimal")));
    assert_true(json_is_false(at(j, "mentors.proof.certificate_checked")));
    assert_int_equal(at_int(j, "placements.solver.pricing_rounds"), 2);
    assert_int_equal(at_int(j, "placements.solver.arcs_priced"), 4);
    assert_int_equal(at_int(j, "placements.solver.pivots"), 9);

    /* timings: the caller's, plus the writing measured by fm_round_write */
    assert_true(at_real(j, "timings.solve_s") == 1.5);
    assert_true(at_real(j, "timings.write_s") >= 0.0);
    assert_true(at_real(j, "timings.total_s") >= 2.0);
    assert_true(at_real(j, "peak_rss_mb") == 42.5);
    json_decref(j);
}

static void test_summary_deterministic(void **state)
{
    fixture *fx = *state;
    char *a = NULL, *b = NULL;
    json_t *ja = NULL, *jb = NULL;
    fm_error err;

    /* Without timings the whole summary is the same bytes every time. */
    assert_int_equal(fm_summary_json_new(&fx->r, &fx->params, &fx->res, NULL,
                                         &ja, &err), 0);
    assert_int_equal(fm_summary_json_new(&fx->r, &fx->params, &fx->res, NULL,
                                         &jb, &err), 0);
    assert_true(json_is_null(json_object_get(ja, "timings")));
    a = json_dumps(ja, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    b = json_dumps(jb, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    assert_string_equal(a, b);
    /* fixed key order: policy first, peak_rss_mb last */
    assert_true(strncmp(a, "{\n  \"policy\": \"fair-access v1\",\n", 31) == 0);
    free(a);
    free(b);
    json_decref(ja);
    json_decref(jb);
}

static void test_html(void **state)
{
    fixture *fx = *state;
    char out[256];
    fm_error err;
    char *h;

    assert_int_equal(write_round(fx, "out", out, sizeof out, &err), 0);
    h = slurp(out, "report.html");
    assert_non_null(h);
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "</html>\n"));
    assert_non_null(strstr(h, "&lt;b&gt;&amp;&quot;"));
    assert_null(strstr(h, "<b>"));
    assert_non_null(strstr(h, "SCH-B"));
    assert_non_null(strstr(h, "fair-access v1"));
    assert_non_null(strstr(h, "tier-1 placed"));
    assert_non_null(strstr(h, "data-fm=\"placements-utility\">947<"));
    /* self-contained: nothing fetched from elsewhere */
    assert_null(strstr(h, "http://"));
    assert_null(strstr(h, "https://"));
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<link"));
    /* no personal fields */
    assert_null(strstr(h, "2011-03-05"));
    assert_null(strstr(h, "20110305"));
    assert_null(strstr(h, "51.5072"));
    assert_null(strstr(h, "S1"));
    free(h);
}

static void test_write_twice_identical(void **state)
{
    fixture *fx = *state;
    static const char *const names[] = {"placements.csv", "mentors.csv"};
    char out1[256], out2[256];
    fm_error err;
    json_t *j1, *j2;

    assert_int_equal(write_round(fx, "one", out1, sizeof out1, &err), 0);
    assert_int_equal(write_round(fx, "two", out2, sizeof out2, &err), 0);
    for (size_t i = 0; i < 2; i++) {
        char *a = slurp(out1, names[i]), *b = slurp(out2, names[i]);
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    /* the summaries differ at most in their timings */
    j1 = load_summary(out1);
    j2 = load_summary(out2);
    json_object_del(j1, "timings");
    json_object_del(j2, "timings");
    assert_true(json_equal(j1, j2));
    json_decref(j1);
    json_decref(j2);

    /* writing again over a previous round replaces it in place */
    assert_int_equal(write_round(fx, "one", out1, sizeof out1, &err), 0);
    assert_int_equal(count_entries(out1), 4);
}

static void test_creates_parents(void **state)
{
    fixture *fx = *state;
    char out[256];
    fm_error err;
    struct stat st;
    mode_t mask = umask(022);

    umask(mask); /* only to read it */
    assert_int_equal(write_round(fx, "a/b//c/", out, sizeof out, &err), 0);
    assert_int_equal(stat(out, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0755 & ~mask);
    assert_int_equal(count_entries(out), 4);
}

static void test_unwritable_outdir(void **state)
{
    fixture *fx = *state;
    char blocker[256], out[256];
    fm_error err;
    FILE *f;

    /* a regular file where a directory should be: fails even for root */
    path_join(blocker, sizeof blocker, fx->dir, "blocker");
    f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);

    assert_int_equal(write_round(fx, "blocker/out", out, sizeof out, &err),
                     FM_EIO);
    assert_int_equal(err.code, FM_EIO);
    assert_non_null(strstr(err.file, "blocker"));
    assert_non_null(strstr(err.message, strerror(ENOTDIR)));
    assert_int_equal(write_round(fx, "blocker", out, sizeof out, &err),
                     FM_EIO);
    assert_int_equal(count_entries(fx->dir), 1); /* only the blocker */

    /* a read-only directory, where permissions apply (not as root) */
    if (geteuid() != 0) {
        char ro[256];
        path_join(ro, sizeof ro, fx->dir, "ro");
        assert_int_equal(mkdir(ro, 0555), 0);
        assert_int_equal(write_round(fx, "ro", out, sizeof out, &err),
                         FM_EIO);
        assert_int_equal(count_entries(ro), 0);
        chmod(ro, 0755);
    }
}

static void test_broken_result_leaves_nothing(void **state)
{
    fixture *fx = *state;
    char out[256], *before, *after;
    fm_error err;

    /* a previous, complete round */
    assert_int_equal(write_round(fx, "out", out, sizeof out, &err), 0);
    before = slurp(out, "mentors.csv");

    /* S6 asked, got no mentor and has no reason: mentors.csv fails after
     * placements.csv was written; nothing of this round may appear */
    fx->res.mentors.match[5] = unmatched(FM_REASON_NONE, FM_RULE_NONE, 0);
    fx->res.placements.match[1] = matched(0, 1, 400, 2.0, 1);
    assert_int_equal(write_round(fx, "out", out, sizeof out, &err),
                     FM_EINTERNAL);
    assert_non_null(strstr(err.message, "S6"));
    assert_int_equal(count_entries(out), 4);
    after = slurp(out, "mentors.csv");
    assert_string_equal(before, after);
    free(after);
    after = slurp(out, "placements.csv");
    assert_string_equal(after, expected_placements);
    free(after);
    free(before);

    /* into a fresh directory: it stays empty */
    assert_int_equal(write_round(fx, "fresh", out, sizeof out, &err),
                     FM_EINTERNAL);
    assert_int_equal(count_entries(out), 0);

    /* a target out of range is caught the same way */
    fx->res.mentors.match[5] = matched(7, 1, 400, 2.0, 1);
    assert_int_equal(write_round(fx, "fresh", out, sizeof out, &err),
                     FM_EINTERNAL);
    assert_int_equal(count_entries(out), 0);
}

static void test_stream_errors(void **state)
{
    fixture *fx = *state;
    fm_error err;
    json_t *j = NULL;
    FILE *f = fopen("/dev/full", "w");

    if (!f)
        skip();
    fm_error_clear(&err);
    assert_int_equal(fm_result_csv_write_placements(f, &fx->r, &fx->res,
                                                    &err), FM_EIO);
    assert_non_null(strstr(err.message, strerror(ENOSPC)));
    clearerr(f);
    assert_int_equal(fm_result_csv_write_mentors(f, &fx->r, &fx->res, &err),
                     FM_EIO);
    clearerr(f);
    assert_int_equal(fm_summary_json_new(&fx->r, &fx->params, &fx->res,
                                         &fx->timing, &j, &err), 0);
    assert_int_equal(fm_summary_json_write(f, j, &err), FM_EIO);
    clearerr(f);
    assert_int_equal(fm_report_html_write(f, j, &fx->r, &fx->res, NULL, &err), FM_EIO);
    json_decref(j);
    fclose(f);
}

static void test_empty_region(void **state)
{
    fixture *fx = *state;
    fm_region r;
    fm_result res;
    char out[256], *p;
    fm_error err;
    json_t *j;

    fm_region_init(&r);
    memset(&res, 0, sizeof res);
    path_join(out, sizeof out, fx->dir, "empty");
    assert_int_equal(fm_round_write(out, &r, NULL, &res, NULL, &err), 0);
    p = slurp(out, "mentors.csv");
    assert_string_equal(p, "student_ref,school_ref,tier,mentor_ref,rank,"
                           "distance_km,utility,reason\n");
    free(p);
    j = load_summary(out);
    assert_true(json_is_null(json_object_get(j, "date")));
    assert_true(json_is_null(json_object_get(j, "timings")));
    assert_int_equal(at_int(j, "placements.asked"), 0);
    assert_true(at_real(j, "placements.by_tier.1.rate") == 0.0);
    assert_true(at_real(j, "placements.utility.mean") == 0.0);
    json_decref(j);
    fm_region_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_deterministic, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_html, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_twice_identical, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_creates_parents, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_outdir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broken_result_leaves_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_region, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
