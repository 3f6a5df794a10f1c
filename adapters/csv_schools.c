/*
 * csv_schools.c - schools.csv (files.md) into a region.
 *
 * Normal case: every data row names one school: school_ref (required),
 * name (default blank) and lat/lon (optional, both or neither).  A school
 * need not have students, and students may refer to schools not listed
 * here.  Rows are checked and their refs interned as they come; the names
 * are copied aside, and only once the whole file has been read are they
 * written into the region (fm_region_set_school_owned, which cannot fail),
 * marking each school listed.
 *
 * Failure cases: a bad or missing value (a bad school_ref, only one of lat
 * and lon, a latitude out of range...) or a school_ref listed twice in the
 * file: FM_EINVAL with the error naming file, line, column and the row's
 * school_ref.  Structural problems are csv_reader.c's.  FM_ENOMEM when
 * memory runs out.  On any failure the names copied aside are freed and the
 * region is rolled back to the checkpoint taken before the first row, so the
 * schools this file interned go again and those already there keep their
 * names: nothing of the file is taken.
 */
#include <stdlib.h>
#include <string.h>

#include "csv_input.h"
#include "csv_reader.h"

enum { C_REF, C_NAME, C_LAT, C_LON, N_COLS };

static const fm_csv_column columns[N_COLS] = {
    [C_REF] = {"school_ref", 1},
    [C_NAME] = {"name", 0},
    [C_LAT] = {"lat", 0},
    [C_LON] = {"lon", 0},
};

typedef struct pending {
    int32_t id;
    char *name;
    double lat, lon;
    uint8_t has_location;
} pending;

typedef struct ctx {
    fm_region *r;
    fm_region_mark mark;
    pending *rows;
    size_t n_rows, cap_rows;
    long *seen;        /* by school id: line of this file that listed it, or 0 */
    size_t cap_seen;
} ctx;

static int row(fm_csv_reader *rd, void *arg)
{
    ctx *c = arg;
    pending p;
    memset(&p, 0, sizeof p);
    const char *ref, *name;
    int rc;

    if ((rc = fm_csv_get_id(rd, C_REF, &ref)) != 0)
        return rc;
    fm_csv_set_id(rd, "school_ref", ref);
    if ((rc = fm_csv_get_text(rd, C_NAME, &name)) != 0 ||
        (rc = fm_csv_get_location(rd, C_LAT, C_LON, 0, NULL, &p.lat, &p.lon,
                                  &p.has_location)) != 0)
        return rc;

    int32_t id = fm_region_intern_school(c->r, ref);
    if (id < 0)
        return fm_csv_fail_region(rd, C_REF, id);
    if (fm_csv_grow((void **)&c->seen, &c->cap_seen, (size_t)id + 1, sizeof *c->seen) < 0 ||
        fm_csv_grow((void **)&c->rows, &c->cap_rows, c->n_rows + 1, sizeof *c->rows) < 0)
        return fm_csv_fail_region(rd, C_REF, FM_ENOMEM);
    if (c->seen[id]) {
        char q[160];
        fm_csv_quote(q, sizeof q, ref);
        return fm_csv_fail(rd, C_REF, FM_EINVAL,
                           "duplicate school_ref %s: line %ld has it already; list each "
                           "school once", q, c->seen[id]);
    }
    size_t len = strlen(name);
    p.id = id;
    p.name = malloc(len + 1);
    if (!p.name)
        return fm_csv_fail_region(rd, C_NAME, FM_ENOMEM);
    memcpy(p.name, name, len + 1);
    c->rows[c->n_rows++] = p;
    c->seen[id] = fm_csv_row_line(rd);
    return 0;
}

int fm_csv_read_schools_mem(fm_region *r, const char *name, const char *data,
                            size_t len, fm_csv_warnings *w, fm_error *err)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    int rc = fm_csv_parse_region(r, &c.mark, name, data, len, columns, N_COLS, row, &c, w,
                                 err);
    for (size_t i = 0; i < c.n_rows; i++) {
        pending *p = &c.rows[i];
        if (rc == 0)
            fm_region_set_school_owned(r, p->id, p->name, p->lat, p->lon, p->has_location);
        else
            free(p->name); /* the region is rolled back already */
    }
    free(c.rows);
    free(c.seen);
    return rc;
}

int fm_csv_read_schools(fm_region *r, const char *path, fm_csv_warnings *w, fm_error *err)
{
    return fm_csv_read_path(r, path, fm_csv_read_schools_mem, w, err);
}
