/*
 * round_export.c - a stored round's result files, rebuilt from its
 * assignment rows and summary (round_export.h).
 *
 * Normal case: rows are copied as they are added, after their reason and
 * rule are checked.  Writing sorts the rows by student_ref (placements side
 * first within a student), adds each student once to a fresh region -- its
 * school interned, its tier carried by the flags that give that tier
 * (fm_student_tier: low_income and gifted for tier 1, low_income for tier
 * 2, none for tier 3) -- and each named placement (with its employer) or
 * mentor once, then fills an fm_result whose matches say, per side, who
 * asked and what they got or why not.  The CSV writers of round_output.h
 * then produce the same bytes as for the round itself; the summary, as the
 * daemon stored it, is written with fm_summary_json_write and rendered with
 * fm_report_html_write.  The files go into OUT as fm_round_write() puts
 * them (round_files.c): hidden temporary names created with O_EXCL,
 * flushed and fsync()ed, then renamed into place, summary.json last, and
 * OUT fsync()ed.
 *
 * Failure cases: rows that contradict each other (a student twice on one
 * side, or with two schools or tiers) or carry an unknown reason/rule:
 * FM_EINVAL naming the student.  OUT cannot be created, a file cannot be
 * written or renamed: FM_EIO with the path in err->file.  Out of memory:
 * FM_ENOMEM.  Temporary files not yet renamed are removed on any failure.
 */
#include "round_export.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "round_output.h"
#include "solver.h"

typedef struct xrow {
    char *student, *school, *target, *employer;
    double distance_km;
    int utility;
    uint8_t mentor, tier, rank, reason, rule;
} xrow;

struct fm_round_export {
    xrow *rows;
    size_t n, cap;
};

int fm_round_export_new(fm_round_export **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : FM_ENOMEM;
}

size_t fm_round_export_count(const fm_round_export *x)
{
    return x->n;
}

static void xrow_free(xrow *r)
{
    free(r->student);
    free(r->school);
    free(r->target);
    free(r->employer);
}

void fm_round_export_free(fm_round_export *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        xrow_free(&x->rows[i]);
    free(x->rows);
    free(x);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* "sector" -> FM_RULE_SECTOR; "" -> FM_RULE_NONE; unknown -> -1. */
static int rule_of(const char *name)
{
    if (!name || !*name)
        return FM_RULE_NONE;
    for (int k = FM_RULE_WANTS; k <= FM_RULE_DISTANCE; k++)
        if (strcmp(fm_rule_name((fm_rule)k), name) == 0)
            return k;
    return -1;
}

int fm_round_export_add(fm_round_export *x, const fm_export_row *row, fm_error *err)
{
    const char *ref = row->student_ref ? row->student_ref : "";
    const char *target = row->target_ref ? row->target_ref : "";
    const char *reason = row->reason ? row->reason : "";
    const char *rule = row->rule ? row->rule : "";
    xrow r;
    memset(&r, 0, sizeof r);
    r.mentor = row->mentor != 0;

    if (row->tier < 1 || row->tier > 3)
        goto bad_tier;
    r.tier = (uint8_t)row->tier;
    if (*target) {
        if (*reason || row->rank < 1 || row->rank > FM_MAX_STUDENT_SECTORS)
            return fm_error_set(err, FM_EINVAL, "student %s: a matched row needs a rank "
                                "1-5 and no reason", ref);
        r.rank = (uint8_t)row->rank;
        r.distance_km = row->distance_km < 0 ? -1 : row->distance_km;
        r.utility = row->utility;
    } else if (strcmp(reason, "outcompeted") == 0) {
        r.reason = FM_REASON_OUTCOMPETED;
    } else if (strncmp(reason, "no_eligible", 11) == 0 &&
               (reason[11] == '\0' || reason[11] == ':')) {
        int k = rule_of(reason[11] == ':' ? reason + 12 : rule);
        if (k < 0)
            return fm_error_set(err, FM_EINVAL, "student %s: unknown rule in reason "
                                "\"%.40s\" / \"%.40s\"", ref, reason, rule);
        r.reason = FM_REASON_NO_ELIGIBLE;
        r.rule = (uint8_t)k;
    } else {
        return fm_error_set(err, FM_EINVAL, "student %s: an unmatched row needs the reason "
                            "outcompeted or no_eligible, not \"%.40s\"", ref, reason);
    }

    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 1024;
        xrow *rows = realloc(x->rows, cap * sizeof *rows);
        if (!rows)
            return fm_error_set(err, FM_ENOMEM, "out of memory");
        x->rows = rows;
        x->cap = cap;
    }
    r.student = dup_or_empty(ref);
    r.school = dup_or_empty(row->school_ref);
    r.target = dup_or_empty(target);
    r.employer = dup_or_empty(row->employer_ref);
    if (!r.student || !r.school || !r.target || !r.employer) {
        xrow_free(&r);
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    }
    x->rows[x->n++] = r;
    return 0;

bad_tier:
    return fm_error_set(err, FM_EINVAL, "student %s: tier %d is not 1, 2 or 3", ref,
                        row->tier);
}

/* ---- rows -> region and result ---------------------------------------------- */

static int by_student(const void *a, const void *b)
{
    const xrow *x = *(const xrow *const *)a, *y = *(const xrow *const *)b;
    int c = strcmp(x->student, y->student);
    return c ? c : (int)x->mentor - (int)y->mentor;
}

static int add_student(fm_region *r, const xrow *row, fm_error *err)
{
    fm_student s;
    memset(&s, 0, sizeof s);
    s.ref = row->student;
    s.school = fm_region_intern_school(r, row->school);
    if (s.school < 0)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    s.low_income = row->tier <= 2;
    s.gifted = row->tier == 1;
    assert(fm_student_tier(&s) == row->tier);
    int32_t i = fm_region_add_student(r, &s);
    if (i < 0)
        return fm_error_set(err, i == FM_ENOMEM ? FM_ENOMEM : FM_EINVAL,
                            "student %s cannot be added", row->student);
    return 0;
}

/* The index of the row's target, added if new. */
static int32_t target_of(fm_region *r, const xrow *row, int16_t *sector, fm_error *err)
{
    int32_t t;
    if (row->mentor) {
        t = fm_region_find_mentor(r, row->target);
        if (t >= 0)
            return t;
        fm_mentor m;
        memset(&m, 0, sizeof m);
        m.ref = row->target;
        m.organisation = (char *)"";
        m.capacity = 1;
        m.online = 1;
        t = fm_region_add_mentor(r, &m);
    } else {
        t = fm_region_find_placement(r, row->target);
        if (t >= 0)
            return t;
        if (*sector < 0) {
            int32_t s = fm_region_intern_sector(r, "export");
            if (s < 0)
                return fm_error_set(err, FM_ENOMEM, "out of memory");
            *sector = (int16_t)s;
        }
        fm_placement p;
        memset(&p, 0, sizeof p);
        p.ref = row->target;
        p.employer = fm_region_intern_employer(r, row->employer);
        if (p.employer < 0)
            return fm_error_set(err, FM_ENOMEM, "out of memory");
        p.title = (char *)"";
        p.sector = *sector;
        p.capacity = 1;
        p.is_virtual = 1;
        t = fm_region_add_placement(r, &p);
    }
    if (t < 0)
        return fm_error_set(err, t == FM_ENOMEM ? FM_ENOMEM : FM_EINVAL,
                            "%s %s cannot be added", row->mentor ? "mentor" : "placement",
                            row->target);
    return t;
}

static int build(fm_round_export *x, fm_region *r, fm_result *res, fm_error *err)
{
    const xrow **order = NULL;
    int rc = 0;
    int16_t sector = -1;

    if (x->n) {
        order = malloc(x->n * sizeof *order);
        if (!order)
            return fm_error_set(err, FM_ENOMEM, "out of memory");
        for (size_t i = 0; i < x->n; i++)
            order[i] = &x->rows[i];
        qsort(order, x->n, sizeof *order, by_student);
    }
    for (size_t i = 0; i < x->n; i++) {
        const xrow *row = order[i];
        if (i > 0 && strcmp(order[i - 1]->student, row->student) == 0) {
            const xrow *prev = order[i - 1];
            if (prev->mentor == row->mentor) {
                rc = fm_error_set(err, FM_EINVAL, "student %s is listed twice on the %s "
                                  "side", row->student, row->mentor ? "mentors" : "placements");
                goto out;
            }
            if (strcmp(prev->school, row->school) != 0 || prev->tier != row->tier) {
                rc = fm_error_set(err, FM_EINVAL, "student %s has two different schools or "
                                  "tiers", row->student);
                goto out;
            }
            continue;
        }
        if ((rc = add_student(r, row, err)) != 0)
            goto out;
    }

    size_t n = r->n_students ? r->n_students : 1;
    res->placements.match = calloc(n, sizeof(fm_match));
    res->mentors.match = calloc(n, sizeof(fm_match));
    if (!res->placements.match || !res->mentors.match) {
        rc = fm_error_set(err, FM_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n_students; i++) {
        res->placements.match[i].target = -1;
        res->mentors.match[i].target = -1;
    }
    int32_t student = -1;
    for (size_t i = 0; i < x->n; i++) {
        const xrow *row = order[i];
        if (i == 0 || strcmp(order[i - 1]->student, row->student) != 0)
            student++;
        fm_side_result *side = row->mentor ? &res->mentors : &res->placements;
        fm_match *m = &side->match[student];
        m->asked = 1;
        side->n_students_asked++;
        if (!row->target[0]) {
            m->reason = row->reason;
            m->rule = row->rule;
            continue;
        }
        int32_t t = target_of(r, row, &sector, err);
        if (t < 0) {
            rc = t;
            goto out;
        }
        m->target = t;
        m->rank = (int8_t)row->rank;
        m->utility = (int16_t)row->utility;
        m->distance_km = row->distance_km;
    }
out:
    free(order);
    return rc;
}

int fm_round_export_write(fm_round_export *x, const char *outdir, const json_t *summary,
                          const fm_report_context *ctx, fm_error *err)
{
    fm_region region;
    fm_result result;
    int rc;

    fm_region_init(&region);
    fm_result_init(&result);
    if (err)
        err->file[0] = '\0';
    rc = build(x, &region, &result, err);
    if (rc == 0)
        rc = fm_round_write_with_summary(outdir, &region, &result, summary, ctx, err);
    fm_result_free(&result);
    fm_region_free(&region);
    return rc;
}
