/*
 * csv_students.c - students.csv (files.md) into a region.
 *
 * Normal case: every data row becomes one fm_student.  student_ref,
 * school_ref, birth_date, lat and lon are required; max_travel_km defaults
 * to 20, low_income, gifted, looked_after and needs_access to 0, gender to
 * blank, weeks to "any week", wants_placement to 1 and wants_mentor to 0.
 * sectors lists 1-5 codes in order of preference and may be blank only for
 * a student who wants neither a placement nor a mentor.  A row's values are
 * all checked first; then its school_ref and sectors are interned, its
 * weeks appended to region->ints and the student added.
 *
 * Failure cases: a bad or missing value, a sectors list with more than 5
 * codes (or the same code twice, compared case-insensitively), a blank
 * sectors field for a student who wants a placement or mentor, a
 * student_ref seen earlier in the file or already in the region: FM_EINVAL
 * with the error naming file, line, column and the row's student_ref.
 * Structural problems (header, quoting, field counts) are csv_reader.c's.
 * FM_ENOMEM when memory runs out.  On any failure the region is rolled back
 * to the checkpoint taken before the first row, so the schools and sectors
 * this file interned go too, and nothing of the file is taken.
 */
#include <float.h>
#include <string.h>

#include "csv_input.h"
#include "csv_reader.h"

enum {
    C_REF, C_SCHOOL, C_BIRTH, C_LAT, C_LON, C_TRAVEL, C_LOW_INCOME, C_GIFTED,
    C_LOOKED_AFTER, C_NEEDS_ACCESS, C_GENDER, C_SECTORS, C_WEEKS,
    C_WANTS_PLACEMENT, C_WANTS_MENTOR, N_COLS
};

static const fm_csv_column columns[N_COLS] = {
    [C_REF] = {"student_ref", 1},
    [C_SCHOOL] = {"school_ref", 1},
    [C_BIRTH] = {"birth_date", 1},
    [C_LAT] = {"lat", 1},
    [C_LON] = {"lon", 1},
    [C_TRAVEL] = {"max_travel_km", 0},
    [C_LOW_INCOME] = {"low_income", 0},
    [C_GIFTED] = {"gifted", 0},
    [C_LOOKED_AFTER] = {"looked_after", 0},
    [C_NEEDS_ACCESS] = {"needs_access", 0},
    [C_GENDER] = {"gender", 0},
    [C_SECTORS] = {"sectors", 0}, /* required per row, see below */
    [C_WEEKS] = {"weeks", 0},
    [C_WANTS_PLACEMENT] = {"wants_placement", 0},
    [C_WANTS_MENTOR] = {"wants_mentor", 0},
};

static int row(fm_csv_reader *rd, void *arg)
{
    fm_csv_rows *c = arg;
    fm_region *r = c->r;
    fm_student s;
    memset(&s, 0, sizeof s);
    const char *ref, *school;
    const char *const *sectors;
    const int32_t *weeks;
    size_t n_sectors, n_weeks;
    int rc;

    if ((rc = fm_csv_get_ref(rd, c, C_REF, fm_region_find_student, c->mark.n_students,
                             &ref)) != 0 ||
        (rc = fm_csv_get_id(rd, C_SCHOOL, &school)) != 0 ||
        (rc = fm_csv_get_date(rd, C_BIRTH, 1, &s.birth_date)) != 0 ||
        (rc = fm_csv_get_location(rd, C_LAT, C_LON, 1, NULL, &s.lat, &s.lon,
                                  &(uint8_t){0})) != 0 ||
        (rc = fm_csv_get_number(rd, C_TRAVEL, 0, DBL_MAX, "a distance in km, 0 or more",
                                20, &s.max_travel_km)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_LOW_INCOME, 0, &s.low_income)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_GIFTED, 0, &s.gifted)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_LOOKED_AFTER, 0, &s.looked_after)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_NEEDS_ACCESS, 0, &s.needs_access)) != 0 ||
        (rc = fm_csv_get_gender(rd, C_GENDER, &s.gender)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_WANTS_PLACEMENT, 1, &s.wants_placement)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_WANTS_MENTOR, 0, &s.wants_mentor)) != 0 ||
        (rc = fm_csv_get_sectors(rd, C_SECTORS, FM_MAX_STUDENT_SECTORS, &sectors,
                                 &n_sectors)) != 0 ||
        (rc = fm_csv_get_weeks(rd, C_WEEKS, &weeks, &n_weeks)) != 0)
        return rc;
    if (n_sectors == 0 && (s.wants_placement || s.wants_mentor)) {
        const char *what = s.wants_placement ? "a placement" : "a mentor";
        if (!fm_csv_has(rd, C_SECTORS))
            return fm_csv_fail(rd, C_SECTORS, FM_EINVAL,
                               "the file has no sectors column, but the student wants %s; "
                               "add one listing 1 to 5 sector codes separated by |", what);
        return fm_csv_fail(rd, C_SECTORS, FM_EINVAL,
                           "is blank, but the student wants %s; list 1 to 5 sector codes "
                           "separated by |, e.g. law|health", what);
    }

    /* Everything checked: into the region. */
    int32_t id = fm_region_intern_school(r, school);
    if (id < 0)
        return fm_csv_fail_region(rd, C_SCHOOL, id);
    s.school = id;
    for (size_t k = 0; k < n_sectors; k++) {
        if ((id = fm_region_intern_sector(r, sectors[k])) < 0)
            return fm_csv_fail_region(rd, C_SECTORS, id);
        s.sectors[k] = (int16_t)id;
    }
    s.n_sectors = (uint8_t)n_sectors;
    if ((rc = fm_csv_add_ints(rd, r, C_WEEKS, weeks, n_weeks, &s.weeks_off, &s.n_weeks)) != 0)
        return rc;
    s.ref = (char *)ref;
    return fm_csv_row_added(rd, c, C_REF, fm_region_add_student(r, &s));
}

int fm_csv_read_students_mem(fm_region *r, const char *name, const char *data,
                             size_t len, fm_csv_warnings *w, fm_error *err)
{
    return fm_csv_parse_rows(r, name, data, len, columns, N_COLS, row, w, err);
}

int fm_csv_read_students(fm_region *r, const char *path, fm_csv_warnings *w, fm_error *err)
{
    return fm_csv_read_path(r, path, fm_csv_read_students_mem, w, err);
}
