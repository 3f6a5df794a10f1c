/*
 * csv_mentors.c - mentors.csv (files.md) into a region.
 *
 * Normal case: every data row becomes one fm_mentor.  mentor_ref, sectors
 * (one or more codes separated by |) and capacity (1-50) are required; lat
 * and lon too, unless online = 1 (an online mentor may still give both).
 * organisation defaults to blank, online to 0, max_travel_km to 20,
 * dbs_valid_until (YYYY-MM-DD) to none.  A row's values are all checked
 * first; then its sectors are interned, their ids appended to region->ints
 * and the mentor added.
 *
 * Failure cases: a bad or missing value (e.g. capacity 51, a blank sectors
 * field, a sector listed twice, an in-person mentor without lat/lon, an
 * impossible dbs_valid_until), a mentor_ref seen earlier in the file or
 * already in the region: FM_EINVAL with the error naming file, line, column
 * and the row's mentor_ref.  Structural problems are csv_reader.c's.
 * FM_ENOMEM when memory runs out.  On any failure the region is rolled back
 * to the checkpoint taken before the first row (sectors interned by this
 * file included): nothing of the file is taken.
 */
#include <float.h>
#include <string.h>

#include "csv_input.h"
#include "csv_reader.h"

enum {
    C_REF, C_ORG, C_SECTORS, C_CAPACITY, C_LAT, C_LON, C_ONLINE, C_TRAVEL, C_DBS,
    N_COLS
};

static const fm_csv_column columns[N_COLS] = {
    [C_REF] = {"mentor_ref", 1},
    [C_ORG] = {"organisation", 0},
    [C_SECTORS] = {"sectors", 1},
    [C_CAPACITY] = {"capacity", 1},
    [C_LAT] = {"lat", 0}, /* required per row unless online */
    [C_LON] = {"lon", 0},
    [C_ONLINE] = {"online", 0},
    [C_TRAVEL] = {"max_travel_km", 0},
    [C_DBS] = {"dbs_valid_until", 0},
};

static int row(fm_csv_reader *rd, void *arg)
{
    fm_csv_rows *c = arg;
    fm_region *r = c->r;
    fm_mentor m;
    memset(&m, 0, sizeof m);
    const char *ref, *org;
    const char *const *sectors;
    size_t n_sectors;
    int rc;

    if ((rc = fm_csv_get_ref(rd, c, C_REF, fm_region_find_mentor, c->mark.n_mentors,
                             &ref)) != 0 ||
        (rc = fm_csv_get_text(rd, C_ORG, &org)) != 0 ||
        (rc = fm_csv_get_sectors(rd, C_SECTORS, FM_CSV_LIST_MAX, &sectors, &n_sectors)) != 0)
        return rc;
    if (n_sectors == 0)
        return fm_csv_fail(rd, C_SECTORS, FM_EINVAL,
                           "is blank; list the mentor's sector codes separated by |, "
                           "e.g. law|health");
    if ((rc = fm_csv_get_int(rd, C_CAPACITY, 1, 50, 1, 0, &m.capacity)) != 0 ||
        (rc = fm_csv_get_bool(rd, C_ONLINE, 0, &m.online)) != 0 ||
        (rc = fm_csv_get_location(rd, C_LAT, C_LON, !m.online,
                                  "the mentor is not online (online = 0)", &m.lat, &m.lon,
                                  &m.has_location)) != 0 ||
        (rc = fm_csv_get_number(rd, C_TRAVEL, 0, DBL_MAX, "a distance in km, 0 or more",
                                20, &m.max_travel_km)) != 0 ||
        (rc = fm_csv_get_date(rd, C_DBS, 0, &m.dbs_valid_until)) != 0)
        return rc;

    /* Everything checked: into the region. */
    int32_t ids[FM_CSV_LIST_MAX];
    for (size_t k = 0; k < n_sectors; k++)
        if ((ids[k] = fm_region_intern_sector(r, sectors[k])) < 0)
            return fm_csv_fail_region(rd, C_SECTORS, ids[k]);
    if ((rc = fm_csv_add_ints(rd, r, C_SECTORS, ids, n_sectors, &m.sectors_off,
                              &m.n_sectors)) != 0)
        return rc;
    m.ref = (char *)ref;
    m.organisation = (char *)org;
    return fm_csv_row_added(rd, c, C_REF, fm_region_add_mentor(r, &m));
}

int fm_csv_read_mentors_mem(fm_region *r, const char *name, const char *data,
                            size_t len, fm_csv_warnings *w, fm_error *err)
{
    return fm_csv_parse_rows(r, name, data, len, columns, N_COLS, row, w, err);
}

int fm_csv_read_mentors(fm_region *r, const char *path, fm_csv_warnings *w, fm_error *err)
{
    return fm_csv_read_path(r, path, fm_csv_read_mentors_mem, w, err);
}
