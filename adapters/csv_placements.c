/*
 * csv_placements.c - placements.csv (files.md) into a region.
 *
 * Normal case: every data row becomes one fm_placement.  placement_ref,
 * employer_ref, sector and capacity (1-1000) are required; lat and lon too,
 * unless virtual = 1 (a virtual placement may still give both).  title
 * defaults to blank, virtual, accessible and profession to 0, min_age
 * (13-25) to 14, week to "any week", reserve_pct (0-100) to 0.  A row's
 * values are all checked first; then its employer_ref and sector are
 * interned and the placement added.
 *
 * Failure cases: a bad or missing value (e.g. capacity 0, min_age 12,
 * reserve_pct 101, an in-person placement without lat/lon, only one of lat
 * and lon), a placement_ref seen earlier in the file or already in the
 * region: FM_EINVAL with the error naming file, line, column and the row's
 * placement_ref.  Structural problems are csv_reader.c's.  FM_ENOMEM when
 * memory runs out.  On any failure the region is rolled back to the
 * checkpoint taken before the first row (employers and sectors interned by
 * this file included): nothing of the file is taken.
 */
#include <string.h>

#include "csv_input.h"
#include "csv_reader.h"

enum {
    C_REF, C_EMPLOYER, C_TITLE, C_SECTOR, C_CAPACITY, C_LAT, C_LON, C_VIRTUAL,
    C_ACCESSIBLE, C_PROFESSION, C_MIN_AGE, C_WEEK, C_RESERVE, N_COLS
};

static const fm_csv_column columns[N_COLS] = {
    [C_REF] = {"placement_ref", 1},
    [C_EMPLOYER] = {"employer_ref", 1},
    [C_TITLE] = {"title", 0},
    [C_SECTOR] = {"sector", 1},
    [C_CAPACITY] = {"capacity", 1},
    [C_LAT] = {"lat", 0}, /* required per row unless virtual */
    [C_LON] = {"lon", 0},
    [C_VIRTUAL] = {"virtual", 0},
    [C_ACCESSIBLE] = {"accessible", 0},
    [C_PROFESSION] = {"profession", 0},
    [C_MIN_AGE] = {"min_age", 0},
    [C_WEEK] = {"week", 0},
    [C_RESERVE] = {"reserve_pct", 0},
};

static int row(fm_csv_reader *rd, void *arg)
{
    fm_csv_rows *c = arg;
    fm_region *r = c->r;
    fm_placement p;
    memset(&p, 0, sizeof p);
    const char *ref, *employer, *title, *sector;
    int rc;

    if ((rc = fm_csv_get_ref(rd, c, C_REF, fm_region_find_placement, c->mark.n_placements,
                             &ref)) != 0 ||
        (rc = fm_csv_get_id(rd, C_EMPLOYER, &employer)) != 0 ||
        (rc = fm_csv_get_text(rd, C_TITLE, &title)) != 0 ||
        (rc = fm_csv_get_sector(rd, C_SECTOR, &sector)) != 0 ||
        (rc = fm_csv_get_int(rd, C_CAPACITY, 1, 1000, 1, 0, &p.capacity)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_VIRTUAL, 0, &p.is_virtual)) != 0 ||
        (rc = fm_csv_get_location(rd, C_LAT, C_LON, !p.is_virtual,
                                  "the placement is not virtual (virtual = 0)", &p.lat,
                                  &p.lon, &p.has_location)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_ACCESSIBLE, 0, &p.accessible)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_PROFESSION, 0, &p.profession)) != 0 ||
        (rc = fm_csv_get_int(rd, C_MIN_AGE, 13, 25, 0, 14, &p.min_age)) != 0 ||
        (rc = fm_csv_get_week(rd, C_WEEK, &p.week)) != 0 ||
        (rc = fm_csv_get_int(rd, C_RESERVE, 0, 100, 0, 0, &p.reserve_pct)) != 0)
        return rc;

    /* Everything checked: into the region. */
    int32_t id = fm_region_intern_employer(r, employer);
    if (id < 0)
        return fm_csv_fail_region(rd, C_EMPLOYER, id);
    p.employer = id;
    if ((id = fm_region_intern_sector(r, sector)) < 0)
        return fm_csv_fail_region(rd, C_SECTOR, id);
    p.sector = (int16_t)id;
    p.ref = (char *)ref;
    p.title = (char *)title;
    return fm_csv_row_added(rd, c, C_REF, fm_region_add_placement(r, &p));
}

int fm_csv_read_placements_mem(fm_region *r, const char *name, const char *data,
                               size_t len, fm_csv_warnings *w, fm_error *err)
{
    return fm_csv_parse_rows(r, name, data, len, columns, N_COLS, row, w, err);
}

int fm_csv_read_placements(fm_region *r, const char *path, fm_csv_warnings *w,
                           fm_error *err)
{
    return fm_csv_read_path(r, path, fm_csv_read_placements_mem, w, err);
}
