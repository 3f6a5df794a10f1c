/*
 * test_csv.c - the CSV readers (adapters/csv_*.c): valid files in their
 * variations, every malformed case we could think of, allocation failures,
 * and a 600,000-row file.
 *
 * Each test starts from a base region already holding a few students,
 * placements, mentors and schools (setup), reads a file from memory (or a
 * temporary file, removed again), and checks the result.  A failing read
 * must fill fm_error with the file, physical line, column, field and row id,
 * and must leave the region exactly as it was: expect_fail() compares a
 * full text dump of the region before and after, checks that every lookup
 * still agrees with the arrays, and that the refs the file introduced are
 * not found.  The allocation-failure test replaces malloc & co. in this
 * executable (alloc_faults.c, forwarding to glibc's __libc_* functions) to
 * fail the N-th allocation for every N; under AddressSanitizer it is skipped.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc_faults.h"
#include "csv_input.h"
#include "csv_reader.h"
#include "region.h"

/* ---- fixtures --------------------------------------------------------- */

typedef int (*reader_fn)(fm_region *, const char *, const char *, size_t,
                         fm_csv_warnings *, fm_error *);

#define STUDENTS fm_csv_read_students_mem
#define PLACEMENTS fm_csv_read_placements_mem
#define MENTORS fm_csv_read_mentors_mem
#define SCHOOLS fm_csv_read_schools_mem

static const char BASE_STUDENTS[] =
    "student_ref,school_ref,birth_date,lat,lon,sectors\n"
    "S1,K1,2011-03-01,51.5,-0.1,Law|Health\n"
    "S2,K2,2010-12-31,51.6,-0.2,law\n";
static const char BASE_PLACEMENTS[] =
    "placement_ref,employer_ref,sector,capacity,lat,lon\n"
    "P1,E1,Law,2,51.5,-0.1\n";
static const char BASE_MENTORS[] =
    "mentor_ref,sectors,capacity,online\n"
    "M1,Health,3,1\n";
static const char BASE_SCHOOLS[] =
    "school_ref,name\n"
    "K1,Hill School\n";

static fm_region R;
static fm_csv_warnings W;
static fm_error E;

static void load(reader_fn fn, const char *data)
{
    int rc = fn(&R, "in.csv", data, strlen(data), &W, &E);
    if (rc) {
        char buf[1024];
        fm_error_format(&E, buf, sizeof buf);
        fail_msg("unexpected error: %s", buf);
    }
}

static int setup(void **state)
{
    (void)state;
    fm_region_init(&R);
    fm_csv_warnings_clear(&W);
    load(STUDENTS, BASE_STUDENTS);
    load(PLACEMENTS, BASE_PLACEMENTS);
    load(MENTORS, BASE_MENTORS);
    load(SCHOOLS, BASE_SCHOOLS);
    fm_csv_warnings_clear(&W);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fm_region_free(&R);
    return 0;
}

/* A text dump of everything in a region, to compare before and after. */
static char *dump(const fm_region *r)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    for (size_t i = 0; i < r->n_schools; i++) {
        const fm_school *k = &r->schools[i];
        fprintf(f, "school %s|%s|%.17g|%.17g|%d\n", k->ref, k->name, k->lat, k->lon, k->listed);
    }
    for (size_t i = 0; i < r->n_sectors; i++)
        fprintf(f, "sector %s\n", r->sectors[i]);
    for (size_t i = 0; i < r->n_employers; i++)
        fprintf(f, "employer %s\n", r->employers[i]);
    for (size_t i = 0; i < r->n_ints; i++)
        fprintf(f, "int %d\n", r->ints[i]);
    for (size_t i = 0; i < r->n_students; i++) {
        const fm_student *s = &r->students[i];
        fprintf(f, "student %s|%d|%d|%.17g|%.17g|%.17g|%d%d%d%d|%d|%d%d|%d:", s->ref, s->school,
                s->birth_date, s->lat, s->lon, s->max_travel_km, s->low_income, s->gifted,
                s->looked_after, s->needs_access, s->gender, s->wants_placement,
                s->wants_mentor, s->n_sectors);
        for (int k = 0; k < s->n_sectors; k++)
            fprintf(f, "%d,", s->sectors[k]);
        fprintf(f, "|%d+%d\n", s->weeks_off, s->n_weeks);
    }
    for (size_t i = 0; i < r->n_placements; i++) {
        const fm_placement *p = &r->placements[i];
        fprintf(f, "placement %s|%d|%s|%d|%d|%.17g|%.17g|%d%d%d%d|%d|%d|%d\n", p->ref,
                p->employer, p->title, p->sector, p->capacity, p->lat, p->lon,
                p->has_location, p->is_virtual, p->accessible, p->profession, p->min_age,
                p->week, p->reserve_pct);
    }
    for (size_t i = 0; i < r->n_mentors; i++) {
        const fm_mentor *m = &r->mentors[i];
        fprintf(f, "mentor %s|%s|%d+%d|%d|%.17g|%.17g|%d%d|%.17g|%d\n", m->ref,
                m->organisation, m->sectors_off, m->n_sectors, m->capacity, m->lat, m->lon,
                m->has_location, m->online, m->max_travel_km, m->dbs_valid_until);
    }
    fclose(f);
    return text;
}

/* Every lookup agrees with the arrays. */
static void check_lookups(const fm_region *r)
{
    for (size_t i = 0; i < r->n_students; i++)
        assert_int_equal(fm_region_find_student(r, r->students[i].ref), (int32_t)i);
    for (size_t i = 0; i < r->n_placements; i++)
        assert_int_equal(fm_region_find_placement(r, r->placements[i].ref), (int32_t)i);
    for (size_t i = 0; i < r->n_mentors; i++)
        assert_int_equal(fm_region_find_mentor(r, r->mentors[i].ref), (int32_t)i);
    for (size_t i = 0; i < r->n_schools; i++)
        assert_int_equal(fm_region_find_school(r, r->schools[i].ref), (int32_t)i);
    for (size_t i = 0; i < r->n_sectors; i++)
        assert_int_equal(fm_region_find_sector(r, r->sectors[i]), (int32_t)i);
}

/* Reads data (len bytes; 0: strlen) and expects a failure with code at
 * line/column/field, the row id `id` ("" for none), and `msg` inside the
 * message; the region must be unchanged and NEW1, NEWK, "New sector" and
 * NEWE must be unknown afterwards. */
static void expect_fail_len(reader_fn fn, const char *data, size_t len, int code, long line,
                            long column, const char *field, const char *id, const char *msg)
{
    char *before = dump(&R);
    fm_error err;
    memset(&err, 0x5a, sizeof err);
    int rc = fn(&R, "in.csv", data, len ? len : strlen(data), &W, &err);
    char text[1024];
    fm_error_format(&err, text, sizeof text);
    if (rc != code || err.code != code || err.line != line || err.column != column ||
        strcmp(err.field, field) != 0 || strcmp(err.id, id) != 0 ||
        strstr(err.message, msg) == NULL || strcmp(err.file, "in.csv") != 0)
        fail_msg("rc %d, got: %s\n  field \"%s\" id \"%s\"\n  expected code %d at %ld:%ld "
                 "field \"%s\" id \"%s\" message containing \"%s\"",
                 rc, text, err.field, err.id, code, line, column, field, id, msg);
    char *after = dump(&R);
    assert_string_equal(before, after);
    free(before);
    free(after);
    check_lookups(&R);
    assert_int_equal(fm_region_find_student(&R, "NEW1"), -1);
    assert_int_equal(fm_region_find_placement(&R, "NEW1"), -1);
    assert_int_equal(fm_region_find_mentor(&R, "NEW1"), -1);
    assert_int_equal(fm_region_find_school(&R, "NEW1"), -1);
    assert_int_equal(fm_region_find_school(&R, "NEWK"), -1);
    assert_int_equal(fm_region_find_sector(&R, "New sector"), -1);
}

static void expect_fail(reader_fn fn, const char *data, long line, long column,
                        const char *field, const char *id, const char *msg)
{
    expect_fail_len(fn, data, 0, FM_EINVAL, line, column, field, id, msg);
}

static const fm_student *student(const char *ref)
{
    int32_t i = fm_region_find_student(&R, ref);
    assert_true(i >= 0);
    return &R.students[i];
}

static const fm_placement *placement(const char *ref)
{
    int32_t i = fm_region_find_placement(&R, ref);
    assert_true(i >= 0);
    return &R.placements[i];
}

static const fm_mentor *mentor(const char *ref)
{
    int32_t i = fm_region_find_mentor(&R, ref);
    assert_true(i >= 0);
    return &R.mentors[i];
}

static const char *sector_name(int32_t id)
{
    assert_true(id >= 0 && (size_t)id < R.n_sectors);
    return R.sectors[id];
}

/* ---- valid files ------------------------------------------------------ */

static void test_base(void **state)
{
    (void)state;
    assert_int_equal(R.n_students, 2);
    assert_int_equal(R.n_placements, 1);
    assert_int_equal(R.n_mentors, 1);
    assert_int_equal(R.n_schools, 2);
    assert_int_equal(R.n_sectors, 2);
    assert_string_equal(R.sectors[0], "Law");
    const fm_student *s = student("S1");
    assert_string_equal(R.schools[s->school].ref, "K1");
    assert_int_equal(s->birth_date, 20110301);
    assert_true(s->lat == 51.5 && s->lon == -0.1);
    assert_int_equal(s->n_sectors, 2);
    assert_string_equal(sector_name(s->sectors[0]), "Law");
    assert_string_equal(sector_name(s->sectors[1]), "Health");
    assert_int_equal(student("S2")->sectors[0], s->sectors[0]); /* "law" = "Law" */
    assert_int_equal(placement("P1")->sector, s->sectors[0]);
    assert_string_equal(R.schools[0].name, "Hill School");
    assert_int_equal(R.schools[0].listed, 1);
    assert_int_equal(R.schools[1].listed, 0);
    assert_int_equal(W.count, 0);
}

static void test_students_all_columns_other_order(void **state)
{
    (void)state;
    load(STUDENTS,
         "wants_mentor,weeks,gender,sectors,needs_access,looked_after,gifted,low_income,"
         "max_travel_km,lon,lat,birth_date,school_ref,student_ref,wants_placement\n"
         "1, 2027-W24 | 2027-W25|2027-w24 ,f, Arts | LAW ,1,0,1,1,12.5,-1.25,52.0,"
         "2012-02-29,NEWK,S3,0\n");
    const fm_student *s = student("S3");
    assert_string_equal(R.schools[s->school].ref, "NEWK");
    assert_int_equal(s->birth_date, 20120229);
    assert_true(s->lat == 52.0 && s->lon == -1.25);
    assert_true(s->max_travel_km == 12.5);
    assert_int_equal(s->low_income, 1);
    assert_int_equal(s->gifted, 1);
    assert_int_equal(s->looked_after, 0);
    assert_int_equal(s->needs_access, 1);
    assert_int_equal(s->gender, 'F');
    assert_int_equal(s->wants_placement, 0);
    assert_int_equal(s->wants_mentor, 1);
    assert_int_equal(s->n_sectors, 2);
    assert_string_equal(sector_name(s->sectors[0]), "Arts");
    assert_string_equal(sector_name(s->sectors[1]), "Law"); /* first spelling kept */
    assert_int_equal(s->n_weeks, 2); /* the repeated week counts once */
    assert_int_equal(R.ints[s->weeks_off], 202724);
    assert_int_equal(R.ints[s->weeks_off + 1], 202725);
    assert_int_equal(fm_student_tier(s), 1);
}

static void test_students_defaults(void **state)
{
    (void)state;
    load(STUDENTS,
         "student_ref,school_ref,birth_date,lat,lon,max_travel_km,low_income,gifted,"
         "looked_after,needs_access,gender,sectors,weeks,wants_placement,wants_mentor\n"
         "S3,K1,2011-01-01,51,0,,,,,,,law,,,\n");
    const fm_student *s = student("S3");
    assert_true(s->max_travel_km == 20);
    assert_int_equal(s->low_income + s->gifted + s->looked_after + s->needs_access, 0);
    assert_int_equal(s->gender, 0);
    assert_int_equal(s->n_weeks, 0);
    assert_int_equal(s->wants_placement, 1);
    assert_int_equal(s->wants_mentor, 0);
    assert_int_equal(fm_student_tier(s), 3);
    /* The same defaults when the optional columns are absent. */
    const fm_student *s1 = student("S1");
    assert_true(s1->max_travel_km == 20);
    assert_int_equal(s1->wants_placement, 1);
    assert_int_equal(s1->wants_mentor, 0);
    assert_int_equal(s1->gender, 0);
    /* No sectors is fine for a student who wants neither. */
    load(STUDENTS,
         "student_ref,school_ref,birth_date,lat,lon,wants_placement,gender\n"
         "S4,K1,2011-01-01,51,0,0,x\n");
    assert_int_equal(student("S4")->n_sectors, 0);
    assert_int_equal(student("S4")->gender, 'X');
    assert_int_equal(W.count, 0);
}

static void test_booleans_every_spelling(void **state)
{
    (void)state;
    static const struct { const char *text; int value; } cases[] = {
        {"1", 1}, {"0", 0}, {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
        {"TRUE", 1}, {"False", 0}, {"YES", 1}, {"No", 0}, {"yEs", 1}, {"fAlSe", 0},
        {" 1 ", 1}, {"\"true\"", 1}, {"", 0},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(buf, sizeof buf,
                 "student_ref,school_ref,birth_date,lat,lon,sectors,low_income\n"
                 "B%zu,K1,2011-01-01,51,0,law,%s\n", i, cases[i].text);
        load(STUDENTS, buf);
        snprintf(buf, sizeof buf, "B%zu", i);
        assert_int_equal(student(buf)->low_income, cases[i].value);
    }
    uint8_t b;
    assert_int_equal(fm_csv_parse_bool("y", &b), -1);
    assert_int_equal(fm_csv_parse_bool("2", &b), -1);
    assert_int_equal(fm_csv_parse_bool("on", &b), -1);
    assert_int_equal(fm_csv_parse_bool("", &b), -1);
}

static void test_placements_valid(void **state)
{
    (void)state;
    load(PLACEMENTS,
         "reserve_pct,week,min_age,profession,accessible,virtual,lon,lat,capacity,sector,"
         "title,employer_ref,placement_ref\n"
         "25,2027-W24,16,yes,true,0,-0.5,51.25,1000,health,\"Clerk, \"\"junior\"\"\",E2,P2\n"
         ",,,,,1,,,1, LAW ,,E1,P3\n"
         "0,,13,0,0,1,1,2,5,New sector,\"two\nlines\",NEWE,P4\n");
    const fm_placement *p = placement("P2");
    assert_int_equal(p->reserve_pct, 25);
    assert_int_equal(p->week, 202724);
    assert_int_equal(p->min_age, 16);
    assert_int_equal(p->profession, 1);
    assert_int_equal(p->accessible, 1);
    assert_int_equal(p->is_virtual, 0);
    assert_int_equal(p->has_location, 1);
    assert_true(p->lat == 51.25 && p->lon == -0.5);
    assert_int_equal(p->capacity, 1000);
    assert_string_equal(sector_name(p->sector), "Health");
    assert_string_equal(p->title, "Clerk, \"junior\"");
    assert_string_equal(R.employers[p->employer], "E2");
    p = placement("P3"); /* defaults; virtual without a location */
    assert_int_equal(p->reserve_pct, 0);
    assert_int_equal(p->week, 0);
    assert_int_equal(p->min_age, 14);
    assert_int_equal(p->profession + p->accessible, 0);
    assert_int_equal(p->is_virtual, 1);
    assert_int_equal(p->has_location, 0);
    assert_string_equal(p->title, "");
    assert_string_equal(sector_name(p->sector), "Law");
    assert_int_equal(p->employer, placement("P1")->employer);
    p = placement("P4"); /* virtual with a location */
    assert_int_equal(p->has_location, 1);
    assert_string_equal(p->title, "two\nlines");
    assert_string_equal(sector_name(p->sector), "New sector");
    assert_int_equal(p->min_age, 13);
}

static void test_mentors_valid(void **state)
{
    (void)state;
    load(MENTORS,
         "mentor_ref,organisation,sectors,capacity,lat,lon,online,max_travel_km,"
         "dbs_valid_until\n"
         "M2,\"Acme, Ltd\",law|HEALTH|arts,50,51,-1,no,5,2028-02-29\n"
         "M3,,law,1,,,1,,\n");
    const fm_mentor *m = mentor("M2");
    assert_string_equal(m->organisation, "Acme, Ltd");
    assert_int_equal(m->n_sectors, 3);
    assert_string_equal(sector_name(R.ints[m->sectors_off]), "Law");
    assert_string_equal(sector_name(R.ints[m->sectors_off + 1]), "Health");
    assert_string_equal(sector_name(R.ints[m->sectors_off + 2]), "arts");
    assert_int_equal(m->capacity, 50);
    assert_int_equal(m->has_location, 1);
    assert_int_equal(m->online, 0);
    assert_true(m->max_travel_km == 5);
    assert_int_equal(m->dbs_valid_until, 20280229);
    m = mentor("M3");
    assert_int_equal(m->online, 1);
    assert_int_equal(m->has_location, 0);
    assert_true(m->max_travel_km == 20);
    assert_int_equal(m->dbs_valid_until, 0);
    assert_string_equal(m->organisation, "");
}

static void test_schools_valid(void **state)
{
    (void)state;
    load(SCHOOLS,
         "lon,lat,name,school_ref\n"
         "-1,51.1,\"Valley, the \"\"best\"\"\",K3\n"
         ",,Hill Academy,K1\n"
         ",,,K2\n");
    int32_t k3 = fm_region_find_school(&R, "K3");
    assert_true(k3 >= 0);
    assert_string_equal(R.schools[k3].name, "Valley, the \"best\"");
    assert_true(R.schools[k3].lat == 51.1 && R.schools[k3].lon == -1);
    assert_int_equal(R.schools[k3].listed, 1);
    int32_t k1 = fm_region_find_school(&R, "K1");
    assert_int_equal(k1, 0);
    assert_string_equal(R.schools[k1].name, "Hill Academy");
    assert_true(isnan(R.schools[k1].lat));
    assert_int_equal(R.schools[1].listed, 1);
    assert_string_equal(R.schools[1].name, "");
}

static void test_quotes_newlines_and_lines(void **state)
{
    (void)state;
    /* Quoted ids and values, commas, doubled quotes, newlines in a field. */
    load(PLACEMENTS,
         "placement_ref,title,employer_ref,sector,capacity,lat,lon\n"
         "\"P2\",\"a, b\",E1,law,1,1,1\n"
         "P3,\"say \"\"hi\"\"\nthen\n\"\"bye\"\"\",E1,law,1,1,1\n"
         "  P4  ,   spaced out   ,E1,law,1,1,1\n");
    assert_string_equal(placement("P2")->title, "a, b");
    assert_string_equal(placement("P3")->title, "say \"hi\"\nthen\n\"bye\"");
    assert_string_equal(placement("P4")->title, "spaced out");

    /* A later error: lines 2-4 are one row, so row 3 is on line 5. */
    expect_fail(PLACEMENTS,
                "placement_ref,title,employer_ref,sector,capacity,lat,lon\n"
                "NEW1,\"one\ntwo\nthree\",NEWE,New sector,1,1,1\n"
                "NEW2,x,E1,law,0,1,1\n",
                5, 5, "capacity", "placement_ref NEW2", "\"0\" is out of range");
    /* An error in the same row, after the multi-line field: its own line. */
    expect_fail(PLACEMENTS,
                "placement_ref,title,employer_ref,sector,capacity,lat,lon\n"
                "NEW1,\"one\ntwo\",NEWE,law,1001,1,1\n",
                3, 5, "capacity", "placement_ref NEW1", "\"1001\" is out of range");
    /* An error in a multi-line field itself: the line where it starts. */
    expect_fail(PLACEMENTS,
                "placement_ref,title,employer_ref,sector,capacity,lat,lon\n"
                "NEW1,t,\"E\n1\",law,1,1,1\n",
                2, 3, "employer_ref", "placement_ref NEW1", "not a valid id");
    /* Blank lines count as lines. */
    expect_fail(STUDENTS,
                "\n"
                "student_ref,school_ref,birth_date,lat,lon,sectors\n"
                "\n"
                "NEW1,NEWK,2011-01-01,51,0,New sector\n"
                "   \n"
                "\n"
                "NEW2,K1,2011-01-01,51,0,\n",
                7, 6, "sectors", "student_ref NEW2", "is blank, but the student wants");
}

static void test_crlf(void **state)
{
    (void)state;
    load(PLACEMENTS,
         "placement_ref,title,employer_ref,sector,capacity,lat,lon\r\n"
         "P2,\"x\r\ny\",E1,law,1,1,1\r\n"
         "P3,plain,E1,law,2,1,1\r\n");
    assert_string_equal(placement("P2")->title, "x\r\ny");
    assert_string_equal(placement("P3")->title, "plain");
    assert_int_equal(placement("P3")->capacity, 2);
    expect_fail(PLACEMENTS,
                "placement_ref,title,employer_ref,sector,capacity,lat,lon\r\n"
                "NEW1,\"x\r\ny\r\nz\",NEWE,New sector,1,1,1\r\n"
                "\r\n"
                "NEW2,plain,E1,law,2,1,200\r\n",
                6, 7, "lon", "placement_ref NEW2", "\"200\" is out of range");
    /* Old Mac line ends (lone CR) are line ends too. */
    expect_fail(STUDENTS,
                "student_ref,school_ref,birth_date,lat,lon,sectors\r"
                "NEW1,NEWK,2011-01-01,51,0,law\r"
                "NEW2,K1,2011-01-01,91,0,law",
                3, 4, "lat", "student_ref NEW2", "\"91\" is out of range");
}

static void test_bom(void **state)
{
    (void)state;
    load(STUDENTS,
         "\xEF\xBB\xBFstudent_ref,school_ref,birth_date,lat,lon,sectors\n"
         "S3,K1,2011-01-01,51,0,law\n");
    assert_int_equal(student("S3")->birth_date, 20110101);
    assert_int_equal(W.count, 0);
    expect_fail(STUDENTS,
                "\xEF\xBB\xBFstudent_ref,school_ref,birth_date,lat,lon,sectors\r\n"
                "NEW1,K1,2011-01-32,51,0,law\r\n",
                2, 3, "birth_date", "student_ref NEW1", "January 2011 has 31 days");
}

static void test_unknown_columns_warn(void **state)
{
    (void)state;
    load(STUDENTS,
         " Student_Ref ,notes,school_ref,BIRTH_DATE,lat,lon,sectors,\n"
         "S3,\"free text, \xff ignored\",K1,2011-01-01,51,0,law,\n");
    assert_int_equal(W.count, 2);
    assert_string_equal(W.text[0], "in.csv:1:2: unknown column \"notes\" ignored");
    assert_string_equal(W.text[1], "in.csv:1:8: column 8 has no name; ignored");
    assert_int_equal(student("S3")->birth_date, 20110101);
    /* Warnings beyond the limit are counted, not kept. */
    fm_csv_warnings_clear(&W);
    char head[4096] = "student_ref,school_ref,birth_date,lat,lon,sectors";
    for (int i = 0; i < FM_CSV_WARNINGS_MAX + 5; i++) {
        size_t n = strlen(head);
        snprintf(head + n, sizeof head - n, ",extra%d", i);
    }
    strcat(head, "\n");
    load(STUDENTS, head);
    assert_int_equal(W.count, FM_CSV_WARNINGS_MAX + 5);
    assert_string_equal(W.text[FM_CSV_WARNINGS_MAX - 1],
                        "in.csv:1:38: unknown column \"extra31\" ignored");
}

static void test_header_only_and_blank_rows(void **state)
{
    (void)state;
    char *before = dump(&R);
    load(STUDENTS, "student_ref,school_ref,birth_date,lat,lon,sectors\n");
    load(STUDENTS, "student_ref,school_ref,birth_date,lat,lon,sectors");
    load(PLACEMENTS, "placement_ref,employer_ref,sector,capacity\r\n\r\n\r\n");
    load(STUDENTS, "student_ref,school_ref,birth_date,lat,lon,sectors\n,,,,,\n , ,\"\",,,\n\n");
    char *after = dump(&R);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* The last row without a line end is taken. */
    load(STUDENTS, "student_ref,school_ref,birth_date,lat,lon,sectors\nS3,K1,2011-01-01,51,0,law");
    assert_true(student("S3")->lat == 51);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_path(void **state)
{
    (void)state;
    char path[] = "/tmp/fm_test_csv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    static const char data[] = "placement_ref,employer_ref,sector,capacity,lat,lon\n"
                               "P2,E1,law,3,1,2\n";
    write_file(path, data, sizeof data - 1);
    fm_error err;
    assert_int_equal(fm_csv_read_placements(&R, path, &W, &err), 0);
    assert_int_equal(placement("P2")->capacity, 3);
    static const char data2[] = "placement_ref,employer_ref,sector,capacity,lat,lon\n"
                                "P5,E1,law,3,1,2\n"
                                "P3,E1,law,x,1,2\n";
    write_file(path, data2, sizeof data2 - 1);
    size_t n = R.n_placements;
    assert_int_equal(fm_csv_read_placements(&R, path, &W, &err), FM_EINVAL);
    assert_string_equal(err.file, path); /* the name as given */
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 4);
    assert_int_equal(R.n_placements, n);
    char text[1024];
    fm_error_format(&err, text, sizeof text);
    char want[1024];
    snprintf(want, sizeof want,
             "%s:3:4: capacity: \"x\" is not a whole number; expected an integer from 1 to "
             "1000 (placement_ref P3)", path);
    assert_string_equal(text, want);
    /* Students, mentors and schools by path too. */
    write_file(path, "\xEF\xBB\xBFstudent_ref,school_ref,birth_date,lat,lon,sectors\r\n"
                     "S3,K1,2011-01-01,51,0,law\r\n", 81);
    assert_int_equal(fm_csv_read_students(&R, path, &W, &err), 0);
    assert_int_equal(student("S3")->birth_date, 20110101);
    write_file(path, "mentor_ref,sectors,capacity,online\nM2,law,2,1\n", 46);
    assert_int_equal(fm_csv_read_mentors(&R, path, NULL, NULL), 0);
    assert_int_equal(mentor("M2")->capacity, 2);
    write_file(path, "school_ref,name\nK2,Dale\n", 24);
    assert_int_equal(fm_csv_read_schools(&R, path, &W, &err), 0);
    assert_string_equal(R.schools[1].name, "Dale");
    unlink(path);

    assert_int_equal(fm_csv_read_students(&R, "/nonexistent/students.csv", &W, &err), FM_EIO);
    assert_string_equal(err.file, "/nonexistent/students.csv");
    assert_non_null(strstr(err.message, "cannot open"));
    assert_int_equal(fm_csv_read_mentors(&R, "/nonexistent/m.csv", NULL, NULL), FM_EIO);
    assert_int_equal(fm_csv_read_schools(&R, "/nonexistent/k.csv", NULL, &err), FM_EIO);
    assert_int_equal(fm_csv_read_placements(&R, "/tmp", NULL, &err), FM_EIO);
    assert_int_equal(R.n_students, 3);
}

/* ---- value syntaxes --------------------------------------------------- */

static void test_syntaxes(void **state)
{
    (void)state;
    int32_t v;
    assert_int_equal(fm_csv_parse_date("2011-02-28", &v), 0);
    assert_int_equal(v, 20110228);
    assert_int_equal(fm_csv_parse_date("2011-02-29", &v), -1);
    assert_int_equal(fm_csv_parse_date("2012-02-29", &v), 0);
    assert_int_equal(fm_csv_parse_date("1900-02-29", &v), -1);
    assert_int_equal(fm_csv_parse_date("2000-02-29", &v), 0);
    assert_int_equal(fm_csv_parse_date("2011-04-31", &v), -1);
    assert_int_equal(fm_csv_parse_date("2011-12-31", &v), 0);
    assert_int_equal(fm_csv_parse_date("2011-00-10", &v), -1);
    assert_int_equal(fm_csv_parse_date("2011-1-10", &v), -1);
    assert_int_equal(fm_csv_parse_date("2011/01/10", &v), -1);
    assert_int_equal(fm_csv_parse_date("20110110", &v), -1);
    assert_int_equal(fm_csv_parse_date("2011-01-10T00", &v), -1);
    assert_int_equal(fm_csv_parse_date("1899-12-31", &v), -1);

    /* ISO weeks: 53 when the year starts (or, in a leap year, ends) on a Thursday. */
    static const int long_years[] = {2004, 2009, 2015, 2020, 2026, 2032, 2037};
    for (size_t i = 0; i < sizeof long_years / sizeof long_years[0]; i++)
        assert_int_equal(fm_csv_iso_weeks_in_year(long_years[i]), 53);
    static const int short_years[] = {2019, 2021, 2024, 2025, 2027, 2028};
    for (size_t i = 0; i < sizeof short_years / sizeof short_years[0]; i++)
        assert_int_equal(fm_csv_iso_weeks_in_year(short_years[i]), 52);
    assert_int_equal(fm_csv_parse_week("2027-W24", &v), 0);
    assert_int_equal(v, 202724);
    assert_int_equal(fm_csv_parse_week("2026-W53", &v), 0);
    assert_int_equal(fm_csv_parse_week("2027-W53", &v), -1);
    assert_int_equal(fm_csv_parse_week("2027-W00", &v), -1);
    assert_int_equal(fm_csv_parse_week("2027-W1", &v), -1);
    assert_int_equal(fm_csv_parse_week("2027W24", &v), -1);
    assert_int_equal(fm_csv_parse_week("2027-24", &v), -1);

    double d;
    assert_int_equal(fm_csv_parse_number("51.5", &d), 0);
    assert_true(d == 51.5);
    assert_int_equal(fm_csv_parse_number("-.5", &d), 0);
    assert_int_equal(fm_csv_parse_number("+1e2", &d), 0);
    assert_true(d == 100);
    assert_int_equal(fm_csv_parse_number("5.", &d), 0);
    static const char *bad_numbers[] = {"", ".", "-", "nan", "inf", "0x10", "1e", "1e999",
                                        "1,5", "1 5", "51.5N", "e5"};
    for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++)
        assert_int_equal(fm_csv_parse_number(bad_numbers[i], &d), -1);

    long l;
    assert_int_equal(fm_csv_parse_int("42", &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(fm_csv_parse_int("-3", &l), 0);
    assert_int_equal(fm_csv_parse_int("4.0", &l), -1);
    assert_int_equal(fm_csv_parse_int("1e3", &l), -1);
    assert_int_equal(fm_csv_parse_int("99999999999999999999", &l), -1);

    assert_int_equal(fm_csv_parse_id("a-Z_0.9"), 0);
    assert_int_equal(fm_csv_parse_id(""), -1);
    assert_int_equal(fm_csv_parse_id("a b"), -1);
    assert_int_equal(fm_csv_parse_id("caf\xc3\xa9"), -1);
    char id[80];
    memset(id, 'x', 64);
    id[64] = '\0';
    assert_int_equal(fm_csv_parse_id(id), 0);
    id[64] = 'x';
    id[65] = '\0';
    assert_int_equal(fm_csv_parse_id(id), -1);

    char q[200];
    fm_csv_quote(q, sizeof q, "a\"b\nc");
    assert_string_equal(q, "\"a\\\"b\\nc\"");
    char longv[200];
    memset(longv, 'y', 150);
    longv[150] = '\0';
    fm_csv_quote(q, sizeof q, longv);
    assert_int_equal(strlen(q), 60 + 5);
    assert_string_equal(q + 61, "...\"");
}

/* ---- malformed: values ------------------------------------------------ */

#define SH "student_ref,school_ref,birth_date,lat,lon,sectors\n"
#define SHX "student_ref,school_ref,birth_date,lat,lon,max_travel_km,sectors,weeks,low_income," \
            "gender,wants_placement,wants_mentor\n"

static void test_bad_ids(void **state)
{
    (void)state;
    expect_fail(STUDENTS, SH "S 17,NEWK,2011-01-01,51,0,law\n", 2, 1, "student_ref", "",
                "\"S 17\" is not a valid id: it contains a space");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law\nS#2,K1,2011-01-01,51,0,law\n",
                3, 1, "student_ref", "", "\"S#2\" is not a valid id: '#' is not allowed");
    expect_fail(STUDENTS, SH "S\xc3\xa9,K1,2011-01-01,51,0,law\n", 2, 1, "student_ref", "",
                "is not a valid id");
    char longid[300];
    memset(longid, 'A', 65);
    snprintf(longid + 65, sizeof longid - 65, ",K1,2011-01-01,51,0,law\n");
    char file[400];
    snprintf(file, sizeof file, SH "%s", longid);
    expect_fail(STUDENTS, file, 2, 1, "student_ref", "", "is 65 characters long");
    memmove(longid, longid + 1, strlen(longid)); /* 64 characters: fine */
    snprintf(file, sizeof file, SH "%s", longid);
    load(STUDENTS, file);
    expect_fail(STUDENTS, SH ",K1,2011-01-01,51,0,law\n", 2, 1, "student_ref", "",
                "is blank; an id is required");
    expect_fail(STUDENTS, SH "NEW1,K/1,2011-01-01,51,0,law\n", 2, 2, "school_ref",
                "student_ref NEW1", "\"K/1\" is not a valid id");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,lat,lon\nNEW1,,law,1,1,1\n", 2, 2,
                "employer_ref", "placement_ref NEW1", "is blank");
    expect_fail(SCHOOLS, "school_ref,name\nNEWK,x\nK 1,y\n", 3, 1, "school_ref", "",
                "not a valid id");
}

static void test_bad_dates(void **state)
{
    (void)state;
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-02-30,51,0,law\n", 2, 3, "birth_date",
                "student_ref NEW1", "\"2011-02-30\" is not a date: February 2011 has 28 days");
    expect_fail(STUDENTS, SH "NEW1,K1,2011-13-01,51,0,law\n", 2, 3, "birth_date",
                "student_ref NEW1", "there is no month 13");
    expect_fail(STUDENTS, SH "NEW1,K1,01/02/2011,51,0,law\n", 2, 3, "birth_date",
                "student_ref NEW1", "\"01/02/2011\" is not a date; expected YYYY-MM-DD");
    expect_fail(STUDENTS, SH "NEW1,K1,,51,0,law\n", 2, 3, "birth_date", "student_ref NEW1",
                "is blank; a date YYYY-MM-DD is required");
    expect_fail(STUDENTS, SH "NEW1,K1,1011-01-01,51,0,law\n", 2, 3, "birth_date",
                "student_ref NEW1", "the year must be from 1900");
    expect_fail(MENTORS,
                "mentor_ref,sectors,capacity,online,dbs_valid_until\nNEW1,law,1,1,2025-02-29\n",
                2, 5, "dbs_valid_until", "mentor_ref NEW1", "February 2025 has 28 days");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,91,0,law\n", 2, 4, "lat", "student_ref NEW1",
                "\"91\" is out of range; expected a latitude in decimal degrees from -90 to 90");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,-90.0001,0,law\n", 2, 4, "lat",
                "student_ref NEW1", "out of range");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,180.5,law\n", 2, 5, "lon",
                "student_ref NEW1", "from -180 to 180");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51.5N,0,law\n", 2, 4, "lat",
                "student_ref NEW1", "\"51.5N\" is not a number");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,nan,0,law\n", 2, 4, "lat", "student_ref NEW1",
                "\"nan\" is not a number");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,\"51,5\",0,law\n", 2, 4, "lat",
                "student_ref NEW1", "\"51,5\" is not a number");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,,0,law\n", 2, 4, "lat", "student_ref NEW1",
                "is blank but lon is given");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,,,law\n", 2, 4, "lat", "student_ref NEW1",
                "is blank; a latitude");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,-5,law,,,,,\n", 2, 6, "max_travel_km",
                "student_ref NEW1", "\"-5\" is out of range; expected a distance in km, 0 or more");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,1e999,law,,,,,\n", 2, 6,
                "max_travel_km", "student_ref NEW1", "is not a number");
    expect_fail(MENTORS,
                "mentor_ref,sectors,capacity,lat,lon,max_travel_km\nNEW1,law,1,1,1,-0.1\n", 2, 6,
                "max_travel_km", "mentor_ref NEW1", "out of range");
}

static void test_bad_lists(void **state)
{
    (void)state;
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,a|b|c|d|e|New sector\n", 2, 6,
                "sectors", "student_ref NEW1", "lists 6 sectors; at most 5 are allowed");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,\n", 2, 6, "sectors", "student_ref NEW1",
                "is blank, but the student wants a placement");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,,,,,0,1\n", 2, 7, "sectors",
                "student_ref NEW1", "is blank, but the student wants a mentor");
    expect_fail(STUDENTS,
                "student_ref,school_ref,birth_date,lat,lon\nNEW1,NEWK,2011-01-01,51,0\n", 2, 0,
                "sectors", "student_ref NEW1", "the file has no sectors column");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law||arts\n", 2, 6, "sectors",
                "student_ref NEW1", "has an empty item");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law|\n", 2, 6, "sectors",
                "student_ref NEW1", "has an empty item");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,Law| law \n", 2, 6, "sectors",
                "student_ref NEW1", "lists the sector \"Law\" twice");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,law,2027-W53,,,,\n", 2, 8, "weeks",
                "student_ref NEW1", "\"2027-W53\" is not an ISO week: 2027 has weeks W01 to W52");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,law,2027-W24|2027-24,,,,\n", 2, 8,
                "weeks", "student_ref NEW1", "\"2027-24\" is not an ISO week; expected YYYY-Www");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,law,2027-W24|,,,,\n", 2, 8, "weeks",
                "student_ref NEW1", "has an empty item");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,lat,lon,week\n"
                "NEW1,NEWE,law,1,1,1,2027-W00\n",
                2, 7, "week", "placement_ref NEW1", "2027 has weeks W01 to W52");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,lat,lon\nNEW1,NEWE,,1,1,1\n", 2, 3,
                "sector", "placement_ref NEW1", "is blank; a sector code is required");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,lat,lon\nNEW1,NEWE,law|arts,1,1,1\n",
                2, 3, "sector", "placement_ref NEW1", "'|' separates list items");
    expect_fail(MENTORS, "mentor_ref,sectors,capacity,online\nNEW1,,1,1\n", 2, 2, "sectors",
                "mentor_ref NEW1", "is blank; list the mentor's sector codes");
    expect_fail(MENTORS, "mentor_ref,sectors,capacity,online\nNEW1,law|New sector|LAW,1,1\n", 2,
                2, "sectors", "mentor_ref NEW1", "twice");
}

static void test_bad_bool_gender(void **state)
{
    (void)state;
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,law,,maybe,,,\n", 2, 9, "low_income",
                "student_ref NEW1", "\"maybe\" is not a yes/no value; expected 0 or 1");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,law,,,,2,\n", 2, 11, "wants_placement",
                "student_ref NEW1", "\"2\" is not a yes/no value");
    expect_fail(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,law,,,female,,\n", 2, 10, "gender",
                "student_ref NEW1", "\"female\" is not a gender; expected F, M, X or blank");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,virtual\nNEW1,NEWE,law,1,y\n", 2, 5,
                "virtual", "placement_ref NEW1", "\"y\" is not a yes/no value");
}

static void test_bad_placements(void **state)
{
    (void)state;
#define PH "placement_ref,employer_ref,sector,capacity,lat,lon,virtual,min_age,reserve_pct\n"
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,New sector,0,1,1,,,\n", 2, 4, "capacity",
                "placement_ref NEW1", "\"0\" is out of range; expected an integer from 1 to 1000");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1001,1,1,,,\n", 2, 4, "capacity",
                "placement_ref NEW1", "\"1001\" is out of range");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,,1,1,,,\n", 2, 4, "capacity", "placement_ref NEW1",
                "is blank; an integer from 1 to 1000 is required");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,2.5,1,1,,,\n", 2, 4, "capacity",
                "placement_ref NEW1", "\"2.5\" is not a whole number");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,1,1,,12,\n", 2, 8, "min_age", "placement_ref NEW1",
                "\"12\" is out of range; expected an integer from 13 to 25");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,1,1,,26,\n", 2, 8, "min_age", "placement_ref NEW1",
                "out of range");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,1,1,,,101\n", 2, 9, "reserve_pct",
                "placement_ref NEW1", "\"101\" is out of range; expected an integer from 0 to 100");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,1,1,,,-1\n", 2, 9, "reserve_pct",
                "placement_ref NEW1", "out of range");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,,,0,,\n", 2, 5, "lat", "placement_ref NEW1",
                "is blank; a latitude in decimal degrees from -90 to 90 is required: the "
                "placement is not virtual");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,,,,,\n", 2, 5, "lat", "placement_ref NEW1",
                "not virtual");
    expect_fail(PLACEMENTS, PH "NEW1,NEWE,law,1,,5,1,,\n", 2, 5, "lat", "placement_ref NEW1",
                "is blank but lon is given");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity\nNEW1,NEWE,law,1\n", 2, 0, "lat",
                "placement_ref NEW1", "the file has no lat column");
#undef PH
}

static void test_bad_mentors(void **state)
{
    (void)state;
#define MH "mentor_ref,sectors,capacity,lat,lon,online\n"
    expect_fail(MENTORS, MH "NEW1,New sector,51,1,1,\n", 2, 3, "capacity", "mentor_ref NEW1",
                "\"51\" is out of range; expected an integer from 1 to 50");
    expect_fail(MENTORS, MH "NEW1,law,0,1,1,\n", 2, 3, "capacity", "mentor_ref NEW1",
                "out of range");
    expect_fail(MENTORS, MH "NEW1,law,1,,,0\n", 2, 4, "lat", "mentor_ref NEW1",
                "the mentor is not online");
    expect_fail(MENTORS, "mentor_ref,sectors,lat\nNEW1,law,1\n", 1, 0, "capacity", "",
                "the required column \"capacity\" is missing");
#undef MH
}

static void test_duplicate_refs(void **state)
{
    (void)state;
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,New sector\n\nNEW1,K1,2011-01-01,51,0,law\n",
                4, 1, "student_ref", "student_ref NEW1",
                "duplicate student_ref \"NEW1\": line 2 has it already");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,New sector\nS2,K1,2011-01-01,51,0,law\n",
                3, 1, "student_ref", "student_ref S2",
                "student_ref \"S2\" is already loaded (from an earlier file)");
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,virtual\n"
                "NEW1,NEWE,New sector,1,1\nNEW1,E1,law,1,1\n",
                3, 1, "placement_ref", "placement_ref NEW1", "line 2 has it already");
    expect_fail(MENTORS, "mentor_ref,sectors,capacity,online\nNEW1,law,1,1\nM1,law,1,1\n", 3, 1,
                "mentor_ref", "mentor_ref M1", "already loaded");
    /* schools.csv: a school listed twice; K2 (already known) must keep its
     * blank name and unlisted state, NEWK must go again. */
    expect_fail(SCHOOLS, "school_ref,name\nK2,Renamed\nNEWK,New\nK2,Again\n", 4, 1, "school_ref",
                "school_ref K2", "duplicate school_ref \"K2\": line 2 has it already");
    assert_int_equal(R.schools[1].listed, 0);
    expect_fail(SCHOOLS, "school_ref,name,lat,lon\nK1,Renamed,1,1\nNEWK,New,91,1\n", 3, 3, "lat",
                "school_ref NEWK", "out of range");
    assert_string_equal(R.schools[0].name, "Hill School");
}

/* ---- malformed: structure --------------------------------------------- */

static void test_bad_structure(void **state)
{
    (void)state;
    /* Missing required columns. */
    expect_fail(STUDENTS, "student_ref,school_ref,lat,lon,sectors\nNEW1,NEWK,51,0,law\n", 1, 0,
                "birth_date", "", "the required column \"birth_date\" is missing");
    expect_fail(PLACEMENTS, "placement_ref,sector,capacity\nNEW1,law,1\n", 1, 0, "employer_ref",
                "", "missing");
    expect_fail(SCHOOLS, "name,lat,lon\nx,1,1\n", 1, 0, "school_ref", "", "missing");
    /* Duplicate header names, also when unknown or differently cased. */
    expect_fail(STUDENTS,
                "student_ref,school_ref,birth_date,lat,lon,sectors, LAT\nNEW1,K1,2011-01-01,51,0,"
                "law,1\n",
                1, 7, "LAT", "", "duplicate column \"LAT\": column 4 has the same name");
    expect_fail(STUDENTS,
                "notes,student_ref,school_ref,birth_date,lat,lon,sectors,Notes\n", 1, 8, "Notes",
                "", "duplicate column");
    /* Wrong number of fields. */
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law,extra\n", 2, 7, "", "",
                "the row has 7 fields, but the header has 6");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law\nNEW2,K1,2011-01-01,51,0\n", 3, 6,
                "sectors", "", "the row has 5 fields, but the header has 6");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law,,\n", 2, 7, "", "", "has 8 fields");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law\n,,,,,,x\n", 3, 7, "", "",
                "has 7 fields");
    char wide[4096] = "student_ref,school_ref,birth_date,lat,lon,sectors";
    for (int i = 6; i < FM_CSV_MAX_COLUMNS + 1; i++) {
        size_t n = strlen(wide);
        snprintf(wide + n, sizeof wide - n, ",c%d", i);
    }
    expect_fail(STUDENTS, wide, 1, 0, "", "", "the header has 257 columns; at most 256");
    /* Quoting. */
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law\nNEW2,\"K1,2011-01-01,51,0,law\n"
                             "NEW3,K1,2011-01-01,51,0,law\n",
                3, 2, "school_ref", "", "a quoted field is still open at the end of the file");
    expect_fail(STUDENTS, SH "NEW1,\"NEW\nK\",2011-01-01,51,0,\"law\n\n", 3, 6, "sectors", "",
                "still open");
    expect_fail(STUDENTS, SH "NEW1,K\"1,2011-01-01,51,0,law\n", 2, 2, "school_ref", "",
                "bad quoting");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,law\n\"NEW2\"x,K1,2011-01-01,51,0,law\n", 3,
                1, "student_ref", "", "bad quoting");
    expect_fail(PLACEMENTS,
                "placement_ref,title,employer_ref,sector,capacity,virtual\n"
                "NEW1,\"a\nb\" \"c\",NEWE,law,1,1\n",
                3, 2, "title", "", "bad quoting");
    /* Empty files. */
    expect_fail(STUDENTS, "", 0, 0, "", "", "the file is empty");
    expect_fail(STUDENTS, "\n\r\n  \n\t\n", 0, 0, "", "", "the file is empty");
    expect_fail(STUDENTS, "\xEF\xBB\xBF", 0, 0, "", "", "the file is empty");
    expect_fail(STUDENTS, "\xEF\xBB\xBF\r\n", 0, 0, "", "", "the file is empty");
    /* Not text. */
    static const char nul[] = SH "NEW1,NE\0WK,2011-01-01,51,0,law\n";
    expect_fail_len(STUDENTS, nul, sizeof nul - 1, FM_EINVAL, 2, 2, "school_ref", "",
                    "NUL byte");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,l\xe9gal\n", 2, 6, "sectors", "",
                "not valid UTF-8");
    expect_fail(STUDENTS, SH "NEW1,NEWK,2011-01-01,51,0,\xed\xa0\x80\n", 2, 6, "sectors", "",
                "not valid UTF-8");
    expect_fail(STUDENTS, "student_ref,school_ref,birth_date,lat,lon,sect\xc0rs\n", 1, 6, "", "",
                "not valid UTF-8");
}

/* Nothing of a failed file is taken, including the schools, sectors and
 * employers its good rows interned before the bad row. */
static void test_rollback_of_interned(void **state)
{
    (void)state;
    size_t k = R.n_schools, s = R.n_sectors, e = R.n_employers, n = R.n_ints;
    expect_fail(STUDENTS,
                SHX "NEW1,NEWK,2011-01-01,51,0,,New sector|Brand,2027-W01|2027-W02,,,,\n"
                    "NEW2,K1,2011-01-01,51,0,,law,2027-W60,,,,\n",
                3, 8, "weeks", "student_ref NEW2", "2027 has weeks W01 to W52");
    assert_int_equal(fm_region_find_sector(&R, "brand"), -1);
    expect_fail(PLACEMENTS,
                "placement_ref,employer_ref,sector,capacity,virtual\n"
                "NEW1,NEWE,New sector,1,1\nNEW2,NEWE2,Brand,0,1\n",
                3, 4, "capacity", "placement_ref NEW2", "out of range");
    assert_int_equal(R.n_schools, k);
    assert_int_equal(R.n_sectors, s);
    assert_int_equal(R.n_employers, e);
    assert_int_equal(R.n_ints, n);
    /* After a failure, the same file, fixed, loads. */
    load(STUDENTS, SHX "NEW1,NEWK,2011-01-01,51,0,,New sector|Brand,2027-W01|2027-W02,,,,\n");
    assert_int_equal(R.n_schools, k + 1);
    assert_int_equal(R.n_sectors, s + 2);
    assert_int_equal(student("NEW1")->n_weeks, 2);
}

/* ---- allocation failures ---------------------------------------------- */

#if FAULTS
static const char FAULT_STUDENTS[] =
    SHX "NEW1,NEWK,2011-01-01,51,0,,New sector|law,2027-W01|2027-W02,1,F,1,0\n"
        "NEW2,K1,2011-01-01,51,0,,\"Brand, new\",2027-W03,1,F,1,0\n"
        "NEW3,NEWK2,2011-01-01,51,0,,law,,,M,1,1\n";
static const char FAULT_PLACEMENTS[] =
    "placement_ref,employer_ref,title,sector,capacity,virtual,week\n"
    "NEW1,NEWE,\"Long\ntitle\",New sector,1,1,2027-W01\n"
    "NEW2,E1,t,law,1,1,\n";
static const char FAULT_MENTORS[] =
    "mentor_ref,organisation,sectors,capacity,online\n"
    "NEW1,Org,New sector|law,1,1\n"
    "NEW2,,Brand,1,1\n";
static const char FAULT_SCHOOLS[] =
    "school_ref,name,lat,lon\n"
    "NEWK,Name,1,1\n"
    "K1,Renamed,,\n";

/* The first row of each fault file made it in. */
static const void *placement_or_student_new1(void)
{
    if (fm_region_find_student(&R, "NEW1") >= 0 || fm_region_find_placement(&R, "NEW1") >= 0 ||
        fm_region_find_mentor(&R, "NEW1") >= 0 || fm_region_find_school(&R, "NEWK") >= 0)
        return &R;
    return NULL;
}
#endif

static void test_alloc_failures(void **state)
{
    (void)state;
#if FAULTS
    static const struct { reader_fn fn; const char *data; } files[] = {
        {STUDENTS, FAULT_STUDENTS},
        {PLACEMENTS, FAULT_PLACEMENTS},
        {MENTORS, FAULT_MENTORS},
        {SCHOOLS, FAULT_SCHOOLS},
    };
    teardown(state); /* each round builds its own base region */
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        long n;
        for (n = 1;; n++) {
            long live0 = fault_live;
            setup(state);
            char *before = dump(&R);
            fm_error err;
            fault_arm(n);
            int rc = files[f].fn(&R, "in.csv", files[f].data, strlen(files[f].data), &W, &err);
            int did_fail = fault_failed;
            fault_arm(0);
            if (rc) {
                /* libcsv retries a failed buffer growth with a smaller size, so a
                 * failed allocation need not fail the read; if it does: */
                assert_true(did_fail);
                assert_int_equal(rc, FM_ENOMEM);
                assert_int_equal(err.code, FM_ENOMEM);
                assert_string_equal(err.file, "in.csv");
                char *after = dump(&R);
                assert_string_equal(before, after);
                free(after);
                check_lookups(&R);
                assert_int_equal(fm_region_find_student(&R, "NEW1"), -1);
            } else {
                assert_non_null(placement_or_student_new1());
            }
            free(before);
            teardown(state);
            assert_int_equal(fault_live, live0);
            if (!did_fail)
                break;
        }
        print_message("file %zu: %ld allocations failed in turn\n", f, n - 1);
        assert_true(n > 5);
    }
    setup(state);
#else
    skip();
#endif
}

/* ---- size ------------------------------------------------------------- */

static void test_600k_students(void **state)
{
    (void)state;
#if !defined(__SANITIZE_ADDRESS__)
    enum { N = 600000 };
#else
    enum { N = 100000 }; /* sanitizers are slow */
#endif
    size_t cap = (size_t)N * 120 + 256, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    len += (size_t)snprintf(data, cap, SHX);
    static const char *const sectors[] = {"law", "health|law", "Arts|Law|Health",
                                          "engineering|arts", "\"Finance, banking|law\""};
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(data + len, cap - len,
                                "X%d,K%d,20%02d-%02d-%02d,%.4f,%.4f,%d,%s,%s,%d,%c,1,%d\n", i,
                                i % 3000, 10 + i % 3, 1 + i % 12, 1 + i % 28,
                                50 + (i % 1000) / 1000.0, -1 - (i % 997) / 1000.0, 5 + i % 30,
                                sectors[i % 5], i % 4 ? "" : "2027-W24|2027-W25", i % 2,
                                "FMX"[i % 3], i % 3 == 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fm_error err;
    int rc = fm_csv_read_students_mem(&R, "big.csv", data, len, &W, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc) {
        char text[1024];
        fm_error_format(&err, text, sizeof text);
        fail_msg("%s", text);
    }
    print_message("read %d students (%.1f MB) in %.2f s\n", N, (double)len / 1e6, secs);
    assert_int_equal(R.n_students, (size_t)N + 2);
    free(data);
    char last[32];
    snprintf(last, sizeof last, "X%d", N - 1);
    const fm_student *s = student(last);
    assert_int_equal(s - R.students, (ptrdiff_t)N + 1);
    /* The time is printed, not asserted: speed is the benchmarks' business
     * (a loaded machine made a time limit here fail). */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_students_all_columns_other_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_students_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_booleans_every_spelling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_placements_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mentors_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schools_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quotes_newlines_and_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_columns_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_only_and_blank_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path, setup, teardown),
        cmocka_unit_test(test_syntaxes),
        cmocka_unit_test_setup_teardown(test_bad_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bool_gender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_placements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_mentors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_of_interned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_600k_students, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
