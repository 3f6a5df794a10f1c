/*
 * report_rows.c - the counts report.html takes from the pupils' rows
 * (report_rows.h).
 *
 * Normal case: one pass over the students who asked counts the matched by
 * travel distance band and the unmatched into a dense table of
 * (reason key x school) cells; the cells that are not empty become the
 * groups, ordered by key and then school ref.  Then three passes, tier 1,
 * 2 and 3, list each group's first pupils in student order (the region is
 * in ref order both for `fairmatch solve` and for an export), so the most
 * prioritised pupils are named first.  Memory is bounded by the number of
 * cells and per_group per group, never by the region's size.
 *
 * Failure: FM_ENOMEM, with everything freed and *out left empty.
 */
#include "report_rows.h"

#include <stdlib.h>
#include <string.h>

const char *const fm_report_dist_labels[FM_REPORT_DIST_BANDS] = {
    "0-2 km", "2-5 km", "5-10 km", "10-15 km", "15-20 km",
    "20-30 km", "30-40 km", "40 km+", "virtual"};

static int dist_band(double km)
{
    static const double upper[] = {2, 5, 10, 15, 20, 30, 40};
    if (km < 0)
        return FM_REPORT_DIST_BANDS - 1;
    for (int b = 0; b < (int)(sizeof upper / sizeof upper[0]); b++)
        if (km < upper[b])
            return b;
    return FM_REPORT_DIST_BANDS - 2;
}

int fm_report_rows_key(const fm_match *m)
{
    if (m->reason == FM_REASON_OUTCOMPETED)
        return FM_REPORT_KEY_OUTCOMPETED;
    if (m->rule > FM_RULE_NONE && m->rule <= FM_RULE_DISTANCE)
        return 1 + m->rule;
    return 1 + FM_RULE_NONE;
}

/* The school's slot in a row of cells: its index, or n_schools for none. */
static size_t school_slot(const fm_region *r, const fm_student *s)
{
    return s->school >= 0 && (size_t)s->school < r->n_schools ? (size_t)s->school
                                                              : r->n_schools;
}

/* A non-empty cell, to sort by key, then school ref. */
typedef struct cell_ref {
    int key;
    size_t slot;
    const char *ref;
} cell_ref;

static int by_key_then_school(const void *a, const void *b)
{
    const cell_ref *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    int c = strcmp(x->ref, y->ref);
    return c ? c : (x->slot > y->slot) - (x->slot < y->slot);
}

void fm_report_rows_free(fm_report_side_rows *rows)
{
    if (!rows)
        return;
    for (size_t i = 0; i < rows->n_groups; i++)
        free(rows->groups[i].listed);
    free(rows->groups);
    memset(rows, 0, sizeof *rows);
}

int fm_report_rows_count(fm_report_side_rows *out, const fm_region *r,
                         const fm_side_result *side, size_t per_group, fm_error *err)
{
    size_t row_len = r->n_schools + 1, n_cells = row_len * FM_REPORT_KEYS;
    int64_t *cell_n = calloc(n_cells, sizeof *cell_n);
    int32_t *cell_group = malloc(n_cells * sizeof *cell_group);
    cell_ref *order = NULL;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (!cell_n || !cell_group)
        goto nomem;
    for (size_t i = 0; side->match && i < r->n_students; i++) {
        const fm_match *m = &side->match[i];
        if (!m->asked)
            continue;
        if (m->target >= 0) {
            out->dist[dist_band(m->distance_km)]++;
            continue;
        }
        int key = fm_report_rows_key(m);
        out->unmatched++;
        out->by_key[key]++;
        cell_n[(size_t)key * row_len + school_slot(r, &r->students[i])]++;
    }

    /* The non-empty cells, by key, then school ref ("" for none sorts
     * first; it is rare: a student always has a school). */
    size_t n = 0;
    for (size_t c = 0; c < n_cells; c++)
        n += cell_n[c] > 0;
    if (n > 0) {
        order = malloc(n * sizeof *order);
        out->groups = calloc(n, sizeof *out->groups);
        if (!order || !out->groups)
            goto nomem;
    }
    n = 0;
    for (size_t c = 0; c < n_cells; c++) {
        size_t slot = c % row_len;
        cell_group[c] = -1;
        if (cell_n[c] == 0)
            continue;
        order[n].key = (int)(c / row_len);
        order[n].slot = slot;
        order[n].ref = slot < r->n_schools ? r->schools[slot].ref : "";
        n++;
    }
    if (n > 0) /* order is NULL then */
        qsort(order, n, sizeof *order, by_key_then_school);
    for (size_t g = 0; g < n; g++) {
        size_t slot = order[g].slot, c = (size_t)order[g].key * row_len + slot;
        fm_report_group *grp = &out->groups[g];
        grp->key = order[g].key;
        grp->school = slot < r->n_schools ? (int32_t)slot : -1;
        grp->n = cell_n[c];
        cell_group[c] = (int32_t)g;
        if (per_group > 0) {
            size_t cap = (size_t)grp->n < per_group ? (size_t)grp->n : per_group;
            grp->listed = malloc(cap * sizeof *grp->listed);
            if (!grp->listed)
                goto nomem;
        }
    }
    out->n_groups = n;

    for (int tier = 1; tier <= 3; tier++) {
        for (size_t i = 0; side->match && i < r->n_students; i++) {
            const fm_match *m = &side->match[i];
            const fm_student *s = &r->students[i];
            if (!m->asked || m->target >= 0 || fm_student_tier(s) != tier)
                continue;
            size_t c = (size_t)fm_report_rows_key(m) * row_len + school_slot(r, s);
            fm_report_group *grp = &out->groups[cell_group[c]];
            grp->by_tier[tier - 1]++;
            if (grp->n_listed < per_group)
                grp->listed[grp->n_listed++] = (int32_t)i;
        }
    }
    goto done;

nomem:
    fm_report_rows_free(out);
    rc = fm_error_set(err, FM_ENOMEM, "out of memory counting the report's rows");
done:
    free(cell_n);
    free(cell_group);
    free(order);
    return rc;
}
