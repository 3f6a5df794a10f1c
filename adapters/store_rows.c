/*
 * store_rows.c - the input rows of a round in the store: schools, students,
 * employers with their placements, and mentors.  Batched upserts from a
 * region, withdrawals by ref, paged lists, the whole region for a round, and
 * counts.
 *
 * Normal case: fm_store_put_region_rows() takes the rows of one kind from a
 * region that one CSV file filled, and in one BEGIN IMMEDIATE transaction
 * checks each against the caller's scope and upserts it (a student's school
 * and a placement's employer are created on the way when new); the rows are
 * stored as the CSV columns carry them (dates 'YYYY-MM-DD', weeks
 * 'YYYY-Www', lists '|'-separated, the four student flags as bits), and
 * read back into a region by the same code for lists and for a round.
 * Withdrawal marks rows withdrawn_at; for a student it also erases every
 * personal field at once (data minimisation), keeping only ref and school.
 * fm_store_load_region() reads, inside one read transaction, students,
 * placements, mentors, then listed schools, each ordered by ref (store.h).
 *
 * Failure cases: a row outside the caller's scope, or a ref that a school or
 * employer tries to take over from another one, is FM_EINVAL with field
 * "scope"; a value that breaks a schema CHECK (a hand-built region, a
 * capacity of 0...) is FM_EINVAL with SQLite's message, which names the
 * constraint and never the value; either way err->id names the row and the
 * transaction is rolled back, so nothing of the batch is visible.  A stored
 * row that cannot be read back (bad date text, too many sectors) is
 * FM_EINTERNAL naming the row.  Region allocation failures are FM_ENOMEM and
 * leave the output region as it was (checkpoint / rollback).
 */
#include "store_private.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLAG_LOW_INCOME = 1, FLAG_GIFTED = 2, FLAG_LOOKED_AFTER = 4, FLAG_NEEDS_ACCESS = 8 };

#define LIST_LIMIT_MAX 10000
#define SECTOR_MAX 64 /* bytes in a sector code, as files.md's readers allow */

/* ---- value conversions ------------------------------------------------------ */

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

int fm_store__date_text(int32_t yyyymmdd, char *buf, size_t size)
{
    int y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return FM_EINVAL;
    snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
    return 0;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int fm_store__date_parse(const char *t, int32_t *out)
{
    int y, m, d;
    if (!t || strlen(t) != 10 || t[4] != '-' || t[7] != '-' || digits(t, 4, &y) ||
        digits(t + 5, 2, &m) || digits(t + 8, 2, &d) || y < 1 || m < 1 || m > 12 ||
        d < 1 || d > days_in_month(y, m))
        return -1;
    *out = y * 10000 + m * 100 + d;
    return 0;
}

static int week_text(int32_t yyyyww, char *buf, size_t size)
{
    int y = yyyyww / 100, w = yyyyww % 100;
    if (y < 1 || y > 9999 || w < 1 || w > 53)
        return FM_EINVAL;
    snprintf(buf, size, "%04d-W%02d", y, w);
    return 0;
}

static int week_parse(const char *t, size_t len, int32_t *out)
{
    int y, w;
    if (len != 8 || t[4] != '-' || t[5] != 'W' || digits(t, 4, &y) ||
        digits(t + 6, 2, &w) || y < 1 || w < 1 || w > 53)
        return -1;
    *out = y * 100 + w;
    return 0;
}

/* Binds a location: both coordinates, or two NULLs. */
static void bind_location(sqlite3_stmt *s, int i, int has, double lat, double lon)
{
    if (has && isfinite(lat) && isfinite(lon)) {
        sqlite3_bind_double(s, i, lat);
        sqlite3_bind_double(s, i + 1, lon);
    } else {
        sqlite3_bind_null(s, i);
        sqlite3_bind_null(s, i + 1);
    }
}

/* Binds a number, NULL when it is not finite (then a CHECK refuses it). */
static void bind_number(sqlite3_stmt *s, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/* ---- '|'-separated lists ------------------------------------------------------ */

/* The i-th text of a list to join, written to buf if it needs to be; NULL
 * for one that cannot be stored. */
typedef const char *(*item_fn)(const void *ctx, size_t i, char *buf, size_t size);

/* Joins the n texts of item with '|' into a new sqlite3 string (*out,
 * sqlite3_free), or NULL for none.  FM_EINVAL for a text that cannot be
 * stored, FM_ENOMEM. */
static int join_list(const void *ctx, size_t n, item_fn item, char **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    sqlite3_str *b = sqlite3_str_new(NULL);
    for (size_t i = 0; i < n; i++) {
        char buf[16];
        const char *text = item(ctx, i, buf, sizeof buf);
        if (!text) {
            sqlite3_free(sqlite3_str_finish(b));
            return FM_EINVAL;
        }
        if (i > 0)
            sqlite3_str_appendchar(b, 1, '|');
        sqlite3_str_appendall(b, text);
    }
    if (sqlite3_str_errcode(b) != SQLITE_OK) {
        sqlite3_free(sqlite3_str_finish(b));
        return FM_ENOMEM;
    }
    *out = sqlite3_str_finish(b);
    return *out ? 0 : FM_ENOMEM;
}

typedef struct sector_ids {
    const fm_region *r;
    const int32_t *ids32; /* one of the two */
    const int16_t *ids16;
} sector_ids;

/* A code holding '|' could not be read back, and one longer than SECTOR_MAX
 * no reader makes. */
static const char *sector_item(const void *ctx, size_t i, char *buf, size_t size)
{
    (void)buf;
    (void)size;
    const sector_ids *c = ctx;
    int32_t id = c->ids32 ? c->ids32[i] : c->ids16[i];
    if (id < 0 || (size_t)id >= c->r->n_sectors || strchr(c->r->sectors[id], '|') ||
        strlen(c->r->sectors[id]) > SECTOR_MAX)
        return NULL;
    return c->r->sectors[id];
}

static const char *week_item(const void *ctx, size_t i, char *buf, size_t size)
{
    const int32_t *weeks = ctx;
    return week_text(weeks[i], buf, size) < 0 ? NULL : buf;
}

/* Joins sector codes (ids into r->sectors) with '|', as join_list. */
static int join_sectors(const fm_region *r, const int32_t *ids32, const int16_t *ids16,
                        size_t n, char **out)
{
    return join_list(&(sector_ids){r, ids32, ids16}, n, sector_item, out);
}

/* Joins ISO weeks with '|', as join_list. */
static int join_weeks(const int32_t *weeks, size_t n, char **out)
{
    return join_list(weeks, n, week_item, out);
}

/* Called with each item of a list (not NUL-terminated); 0 to go on. */
typedef int (*each_fn)(void *ctx, const char *item, size_t len);

/* Calls each for every '|'-separated item of text (none for NULL or "");
 * stops at, and returns, the first result that is not 0. */
static int split_list(const char *text, each_fn each, void *ctx)
{
    if (!text || !*text)
        return 0;
    const char *p = text;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        int rc = each(ctx, p, len);
        if (rc != 0 || !bar)
            return rc;
        p = bar + 1;
    }
}

/* Interns the sector code of len bytes at p: its id; -1 for a blank or
 * invalid code (a corrupt row); or the region's FM_ENOMEM / FM_ELIMIT. */
static int32_t intern_code(fm_region *r, const char *p, size_t len)
{
    char code[256];
    if (len == 0 || len >= sizeof code)
        return -1;
    memcpy(code, p, len);
    code[len] = '\0';
    int32_t id = fm_region_intern_sector(r, code);
    return id == FM_EINVAL ? -1 : id;
}

typedef struct id_list {
    fm_region *r;
    int32_t *ids;
    size_t max, *n;
} id_list;

static int intern_each(void *ctx, const char *p, size_t len)
{
    id_list *l = ctx;
    if (*l->n >= l->max)
        return -1;
    int32_t id = intern_code(l->r, p, len);
    if (id < 0)
        return id;
    l->ids[(*l->n)++] = id;
    return 0;
}

/* Interns each '|'-separated code of text into ids (at most max); *n gets
 * the count.  -1: a blank or too many codes (a corrupt row); or the
 * region's FM_ENOMEM / FM_ELIMIT. */
static int intern_sector_list(fm_region *r, const char *text, int32_t *ids, size_t max,
                              size_t *n)
{
    *n = 0;
    return split_list(text, intern_each, &(id_list){r, ids, max, n});
}

typedef struct int_list {
    fm_region *r;
    int32_t *off, *n; /* where the list is in r->ints */
} int_list;

/* Appends v to r->ints as the next item of l. */
static int append_int(int_list *l, int32_t v)
{
    int32_t at = fm_region_add_ints(l->r, &v, 1);
    if (at < 0)
        return at;
    if (*l->n == 0)
        *l->off = at;
    ++*l->n;
    return 0;
}

static int week_each(void *ctx, const char *p, size_t len)
{
    int32_t week;
    if (week_parse(p, len, &week) != 0)
        return -1;
    return append_int(ctx, week);
}

static int sector_each(void *ctx, const char *p, size_t len)
{
    int32_t id = intern_code(((int_list *)ctx)->r, p, len);
    if (id < 0)
        return id;
    return append_int(ctx, id);
}

/* Appends the items of the '|'-separated text, as each converts them, to
 * r->ints: *off and *n get where they are.  -1 for an item that does not
 * convert (a corrupt row), or the region's FM_ENOMEM / FM_ELIMIT. */
static int append_list(fm_region *r, const char *text, each_fn each, int32_t *off,
                       int32_t *n)
{
    *off = (int32_t)r->n_ints;
    *n = 0;
    return split_list(text, each, &(int_list){r, off, n});
}

/* The ISO weeks of text, as append_list. */
static int append_weeks(fm_region *r, const char *text, int32_t *off, int32_t *n)
{
    return append_list(r, text, week_each, off, n);
}

/* The ids of the sector codes of text, interned, as append_list. */
static int append_sectors(fm_region *r, const char *text, int32_t *off, int32_t *n)
{
    return append_list(r, text, sector_each, off, n);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : NULL;
}

static int col_is_null(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL;
}

/* The location in columns i (lat) and i + 1 (lon): *has unless lat is NULL. */
static void col_location(sqlite3_stmt *s, int i, uint8_t *has, double *lat, double *lon)
{
    *has = !col_is_null(s, i);
    *lat = *has ? sqlite3_column_double(s, i) : 0.0;
    *lon = *has ? sqlite3_column_double(s, i + 1) : 0.0;
}

/* ---- reading rows back into a region ------------------------------------------
 * Each reader takes the current row of a statement whose columns are in the
 * order of its SELECT_* text below, with its ref (column 0, not NULL), and
 * appends it to r.  They return 0, a region error, or FM_EINTERNAL for a row
 * that cannot be read; run_reader() steps the statement. */

#define SELECT_STUDENTS \
    "SELECT ref, school, birth_date, lat, lon, max_travel_km, flags, gender, sectors," \
    " weeks, wants_placement, wants_mentor FROM students"
#define SELECT_PLACEMENTS \
    "SELECT ref, employer, title, sector, capacity, lat, lon, virtual, accessible," \
    " profession, min_age, week, reserve_pct FROM placements"
#define SELECT_MENTORS \
    "SELECT ref, organisation, sectors, capacity, lat, lon, online, max_travel_km," \
    " dbs_valid_until FROM mentors"
#define SELECT_SCHOOLS "SELECT ref, name, lat, lon FROM schools"

static int corrupt(const fm_store *st, fm_error *err, const char *id_field,
                   const char *ref, const char *field)
{
    fm_store__set_row(err, field, id_field, ref ? ref : "?");
    return fm_store__fail(st, err, FM_EINTERNAL,
                          "a stored %s cannot be read back; the database was changed "
                          "outside fairmatch", field);
}

/* A region call failed with rc: FM_ENOMEM / FM_ELIMIT as they are, anything
 * else is a corrupt row. */
static int region_fail(const fm_store *st, fm_error *err, int rc, const char *id_field,
                       const char *ref, const char *field)
{
    if (rc == FM_ENOMEM)
        return fm_store__fail(st, err, FM_ENOMEM, "out of memory reading %s rows",
                              id_field);
    if (rc == FM_ELIMIT)
        return fm_store__fail(st, err, FM_ELIMIT, "too many rows to hold in memory");
    return corrupt(st, err, id_field, ref, field);
}

/* Interns the ref in column 1 of row ref (id_field) with intern: its id, or
 * the failure naming field (a NULL column is a corrupt row). */
static int32_t intern_parent(fm_store *st, sqlite3_stmt *s, const char *ref,
                             const char *id_field, const char *field,
                             int32_t (*intern)(fm_region *, const char *), fm_region *r,
                             fm_error *err)
{
    const char *parent = col_text(s, 1);
    if (!parent)
        return corrupt(st, err, id_field, ref, id_field);
    int32_t id = intern(r, parent);
    return id < 0 ? region_fail(st, err, id, id_field, ref, field) : id;
}

static int read_student(fm_store *st, sqlite3_stmt *s, const char *ref, fm_region *r,
                        fm_error *err)
{
    fm_student x;
    memset(&x, 0, sizeof x);
    x.ref = (char *)ref;
    x.school = intern_parent(st, s, ref, "student_ref", "school_ref",
                             fm_region_intern_school, r, err);
    if (x.school < 0)
        return x.school;
    if (fm_store__date_parse(col_text(s, 2), &x.birth_date) != 0)
        return corrupt(st, err, "student_ref", ref, "birth_date");
    x.lat = sqlite3_column_double(s, 3);
    x.lon = sqlite3_column_double(s, 4);
    x.max_travel_km = sqlite3_column_double(s, 5);
    int flags = sqlite3_column_int(s, 6);
    x.low_income = (flags & FLAG_LOW_INCOME) != 0;
    x.gifted = (flags & FLAG_GIFTED) != 0;
    x.looked_after = (flags & FLAG_LOOKED_AFTER) != 0;
    x.needs_access = (flags & FLAG_NEEDS_ACCESS) != 0;
    const char *g = col_text(s, 7);
    x.gender = g ? g[0] : 0;
    int32_t ids[FM_MAX_STUDENT_SECTORS];
    size_t n = 0;
    int rc = intern_sector_list(r, col_text(s, 8), ids, FM_MAX_STUDENT_SECTORS, &n);
    if (rc != 0)
        return region_fail(st, err, rc, "student_ref", ref, "sectors");
    x.n_sectors = (uint8_t)n;
    for (size_t i = 0; i < n; i++)
        x.sectors[i] = (int16_t)ids[i];
    rc = append_weeks(r, col_text(s, 9), &x.weeks_off, &x.n_weeks);
    if (rc != 0)
        return region_fail(st, err, rc, "student_ref", ref, "weeks");
    x.wants_placement = (uint8_t)sqlite3_column_int(s, 10);
    x.wants_mentor = (uint8_t)sqlite3_column_int(s, 11);
    int32_t id = fm_region_add_student(r, &x);
    return id < 0 ? region_fail(st, err, id, "student_ref", ref, "student_ref") : 0;
}

static int read_placement(fm_store *st, sqlite3_stmt *s, const char *ref, fm_region *r,
                          fm_error *err)
{
    fm_placement x;
    memset(&x, 0, sizeof x);
    x.ref = (char *)ref;
    x.employer = intern_parent(st, s, ref, "placement_ref", "employer_ref",
                               fm_region_intern_employer, r, err);
    if (x.employer < 0)
        return x.employer;
    x.title = (char *)col_text(s, 2);
    int32_t sector = col_text(s, 3) ? fm_region_intern_sector(r, col_text(s, 3)) : -1;
    if (sector < 0)
        return region_fail(st, err, sector, "placement_ref", ref, "sector");
    x.sector = (int16_t)sector;
    x.capacity = sqlite3_column_int(s, 4);
    col_location(s, 5, &x.has_location, &x.lat, &x.lon);
    x.is_virtual = (uint8_t)sqlite3_column_int(s, 7);
    x.accessible = (uint8_t)sqlite3_column_int(s, 8);
    x.profession = (uint8_t)sqlite3_column_int(s, 9);
    x.min_age = sqlite3_column_int(s, 10);
    const char *week = col_text(s, 11);
    if (week && week_parse(week, strlen(week), &x.week) != 0)
        return corrupt(st, err, "placement_ref", ref, "week");
    x.reserve_pct = sqlite3_column_int(s, 12);
    int32_t id = fm_region_add_placement(r, &x);
    return id < 0 ? region_fail(st, err, id, "placement_ref", ref, "placement_ref") : 0;
}

static int read_mentor(fm_store *st, sqlite3_stmt *s, const char *ref, fm_region *r,
                       fm_error *err)
{
    fm_mentor x;
    memset(&x, 0, sizeof x);
    x.ref = (char *)ref;
    x.organisation = (char *)col_text(s, 1);
    int rc = append_sectors(r, col_text(s, 2), &x.sectors_off, &x.n_sectors);
    if (rc != 0)
        return region_fail(st, err, rc, "mentor_ref", ref, "sectors");
    x.capacity = sqlite3_column_int(s, 3);
    col_location(s, 4, &x.has_location, &x.lat, &x.lon);
    x.online = (uint8_t)sqlite3_column_int(s, 6);
    x.max_travel_km = sqlite3_column_double(s, 7);
    const char *dbs = col_text(s, 8);
    if (dbs && fm_store__date_parse(dbs, &x.dbs_valid_until) != 0)
        return corrupt(st, err, "mentor_ref", ref, "dbs_valid_until");
    int32_t id = fm_region_add_mentor(r, &x);
    return id < 0 ? region_fail(st, err, id, "mentor_ref", ref, "mentor_ref") : 0;
}

static int read_school(fm_store *st, sqlite3_stmt *s, const char *ref, fm_region *r,
                       fm_error *err)
{
    int has = !col_is_null(s, 2) && !col_is_null(s, 3);
    int rc = fm_region_set_school(r, ref, col_text(s, 1),
                                  has ? sqlite3_column_double(s, 2) : NAN,
                                  has ? sqlite3_column_double(s, 3) : NAN, has);
    return rc < 0 ? region_fail(st, err, rc, "school_ref", ref, "school_ref") : 0;
}

/* ---- upserts ---------------------------------------------------------------- */

/* Who owns existing row `ref` per sql (one text column), into owner; 0 if
 * the row exists, 1 if not, or the failing code. */
static int lookup_owner(fm_store *st, sqlite3_stmt *s, const char *ref, char *owner,
                        size_t size, fm_error *err)
{
    sqlite3_reset(s);
    fm_store__bind_text(s, 1, ref);
    int step = sqlite3_step(s);
    int rc;
    if (step == SQLITE_ROW) {
        fm_store__column_copy(s, 0, owner, size);
        rc = 0;
    } else if (step == SQLITE_DONE) {
        rc = 1;
    } else {
        rc = fm_store__sql_fail(st, err, step, "looking up a row");
    }
    sqlite3_reset(s);
    return rc;
}

/* A school or employer (who) sending row ref (id_field) of parent_ref:
 * FM_EINVAL with field "scope" unless the parent is itself (`own` says what
 * it may send) and no other one holds the ref already (owner: the
 * lookup_owner statement); else 0 or the failing code. */
static int check_own_row(fm_store *st, const fm_store_scope *who, sqlite3_stmt *owner,
                         const char *id_field, const char *ref, const char *parent_ref,
                         const char *own, fm_error *err)
{
    const char *role = fm_store_role_name(who->role);
    char was[FM_STORE_REF_MAX + 1];
    if (strcmp(parent_ref, who->ref) != 0) {
        fm_store__set_row(err, "scope", id_field, ref);
        return fm_store__fail(st, err, FM_EINVAL, "%s (%s_ref %.64s)", own, role, who->ref);
    }
    int rc = lookup_owner(st, owner, ref, was, sizeof was, err);
    if (rc == 0 && strcmp(was, who->ref) != 0) {
        fm_store__set_row(err, "scope", id_field, ref);
        return fm_store__fail(st, err, FM_EINVAL,
                              "this %s is held by another %s; refs must be unique across "
                              "the region", id_field, role);
    }
    return rc == 1 ? 0 : rc;
}

/* A sector or week list of row ref that join_list could not store (rc):
 * FM_EINVAL naming field sectors with message what, or FM_ENOMEM. */
static int list_fail(const fm_store *st, fm_error *err, int rc, const char *id_field,
                     const char *ref, const char *what)
{
    fm_store__set_row(err, rc == FM_EINVAL ? "sectors" : NULL, id_field, ref);
    return fm_store__fail(st, err, rc, "%s", rc == FM_ENOMEM ? "out of memory" : what);
}

/* Steps a write statement once and resets it. */
static int step_write(fm_store *st, sqlite3_stmt *s, const char *what, fm_error *err)
{
    int rc = fm_store__step_done(st, s, what, err);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

/* Each put_* function stores the rows of one kind of batch b for who (whom
 * fm_store_put_region_rows has allowed to write them), counting them in
 * *n_rows; 0 or the failing code, with err naming the row. */

static int put_students(fm_store *st, const fm_store_scope *who, const fm_region *b,
                        size_t *n_rows, fm_error *err)
{
    sqlite3_stmt *school = NULL, *owner = NULL, *up = NULL;
    char *sectors = NULL, *weeks = NULL;
    int64_t now = fm_store__now();
    int rc = fm_store__prepare(st, "INSERT INTO schools(ref) VALUES (?1)"
                               " ON CONFLICT(ref) DO NOTHING", &school, err);
    if (rc == 0)
        rc = fm_store__prepare(st, "SELECT school FROM students WHERE ref = ?1", &owner, err);
    if (rc == 0)
        rc = fm_store__prepare(st,
            "INSERT INTO students(ref, school, birth_date, lat, lon, max_travel_km, flags,"
            " gender, sectors, weeks, wants_placement, wants_mentor, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            " ON CONFLICT(ref) DO UPDATE SET school = excluded.school,"
            " birth_date = excluded.birth_date, lat = excluded.lat, lon = excluded.lon,"
            " max_travel_km = excluded.max_travel_km, flags = excluded.flags,"
            " gender = excluded.gender, sectors = excluded.sectors, weeks = excluded.weeks,"
            " wants_placement = excluded.wants_placement,"
            " wants_mentor = excluded.wants_mentor, updated_at = excluded.updated_at,"
            " withdrawn_at = NULL", &up, err);
    for (size_t i = 0; rc == 0 && i < b->n_students; i++) {
        const fm_student *x = &b->students[i];
        const char *school_ref = b->schools[x->school].ref;
        fm_store__set_row(err, NULL, "student_ref", x->ref);
        if (who->role == FM_ROLE_SCHOOL &&
            (rc = check_own_row(st, who, owner, "student_ref", x->ref, school_ref,
                                "a school may only send its own pupils", err)) < 0)
            break;
        char date[16];
        if (fm_store__date_text(x->birth_date, date, sizeof date) < 0) {
            fm_store__set_row(err, "birth_date", "student_ref", x->ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "birth_date is not a date");
            break;
        }
        rc = join_sectors(b, NULL, x->sectors, x->n_sectors, &sectors);
        if (rc == 0)
            /* A batch without weeks may have no ints array at all. */
            rc = join_weeks(x->n_weeks ? b->ints + x->weeks_off : NULL, (size_t)x->n_weeks,
                            &weeks);
        if (rc < 0) {
            rc = list_fail(st, err, rc, "student_ref", x->ref,
                           "a sector code or week cannot be stored");
            break;
        }
        fm_store__bind_text(school, 1, school_ref);
        rc = step_write(st, school, "adding a school", err);
        if (rc < 0)
            break;
        int flags = (x->low_income ? FLAG_LOW_INCOME : 0) | (x->gifted ? FLAG_GIFTED : 0) |
                    (x->looked_after ? FLAG_LOOKED_AFTER : 0) |
                    (x->needs_access ? FLAG_NEEDS_ACCESS : 0);
        char gender[2] = {x->gender, '\0'};
        fm_store__bind_text(up, 1, x->ref);
        fm_store__bind_text(up, 2, school_ref);
        fm_store__bind_text(up, 3, date);
        bind_location(up, 4, 1, x->lat, x->lon);
        bind_number(up, 6, x->max_travel_km);
        sqlite3_bind_int(up, 7, flags);
        fm_store__bind_text(up, 8, x->gender ? gender : NULL);
        fm_store__bind_text(up, 9, sectors);
        fm_store__bind_text(up, 10, weeks);
        sqlite3_bind_int(up, 11, x->wants_placement != 0);
        sqlite3_bind_int(up, 12, x->wants_mentor != 0);
        sqlite3_bind_int64(up, 13, now);
        rc = step_write(st, up, "storing a student", err);
        sqlite3_free(sectors);
        sqlite3_free(weeks);
        sectors = weeks = NULL;
        if (rc == 0)
            ++*n_rows;
    }
    sqlite3_free(sectors);
    sqlite3_free(weeks);
    sqlite3_finalize(school);
    sqlite3_finalize(owner);
    sqlite3_finalize(up);
    return rc;
}

static int put_placements(fm_store *st, const fm_store_scope *who, const fm_region *b,
                          size_t *n_rows, fm_error *err)
{
    sqlite3_stmt *employer = NULL, *owner = NULL, *up = NULL;
    int64_t now = fm_store__now();
    int rc = fm_store__prepare(st, "INSERT INTO employers(ref) VALUES (?1)"
                               " ON CONFLICT(ref) DO NOTHING", &employer, err);
    if (rc == 0)
        rc = fm_store__prepare(st, "SELECT employer FROM placements WHERE ref = ?1",
                               &owner, err);
    if (rc == 0)
        rc = fm_store__prepare(st,
            "INSERT INTO placements(ref, employer, title, sector, capacity, lat, lon,"
            " virtual, accessible, profession, min_age, week, reserve_pct, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            " ON CONFLICT(ref) DO UPDATE SET employer = excluded.employer,"
            " title = excluded.title, sector = excluded.sector,"
            " capacity = excluded.capacity, lat = excluded.lat, lon = excluded.lon,"
            " virtual = excluded.virtual, accessible = excluded.accessible,"
            " profession = excluded.profession, min_age = excluded.min_age,"
            " week = excluded.week, reserve_pct = excluded.reserve_pct,"
            " updated_at = excluded.updated_at, withdrawn_at = NULL", &up, err);
    for (size_t i = 0; rc == 0 && i < b->n_placements; i++) {
        const fm_placement *x = &b->placements[i];
        const char *employer_ref = b->employers[x->employer];
        fm_store__set_row(err, NULL, "placement_ref", x->ref);
        if (who->role == FM_ROLE_EMPLOYER &&
            (rc = check_own_row(st, who, owner, "placement_ref", x->ref, employer_ref,
                                "an employer may only send its own placements", err)) < 0)
            break;
        char week[16];
        if (x->week && week_text(x->week, week, sizeof week) < 0) {
            fm_store__set_row(err, "week", "placement_ref", x->ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "week is not an ISO week");
            break;
        }
        if (x->sector < 0 || (size_t)x->sector >= b->n_sectors) {
            fm_store__set_row(err, "sector", "placement_ref", x->ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "sector is not set");
            break;
        }
        fm_store__bind_text(employer, 1, employer_ref);
        rc = step_write(st, employer, "adding an employer", err);
        if (rc < 0)
            break;
        fm_store__bind_text(up, 1, x->ref);
        fm_store__bind_text(up, 2, employer_ref);
        fm_store__bind_text(up, 3, x->title ? x->title : "");
        fm_store__bind_text(up, 4, b->sectors[x->sector]);
        sqlite3_bind_int(up, 5, x->capacity);
        bind_location(up, 6, x->has_location, x->lat, x->lon);
        sqlite3_bind_int(up, 8, x->is_virtual != 0);
        sqlite3_bind_int(up, 9, x->accessible != 0);
        sqlite3_bind_int(up, 10, x->profession != 0);
        sqlite3_bind_int(up, 11, x->min_age);
        fm_store__bind_text(up, 12, x->week ? week : NULL);
        sqlite3_bind_int(up, 13, x->reserve_pct);
        sqlite3_bind_int64(up, 14, now);
        rc = step_write(st, up, "storing a placement", err);
        if (rc == 0)
            ++*n_rows;
    }
    sqlite3_finalize(employer);
    sqlite3_finalize(owner);
    sqlite3_finalize(up);
    return rc;
}

static int put_mentors(fm_store *st, const fm_store_scope *who, const fm_region *b,
                       size_t *n_rows, fm_error *err)
{
    (void)who; /* only the coordinator writes mentors */
    sqlite3_stmt *up = NULL;
    char *sectors = NULL;
    int64_t now = fm_store__now();
    int rc = fm_store__prepare(st,
        "INSERT INTO mentors(ref, organisation, sectors, capacity, lat, lon, online,"
        " max_travel_km, dbs_valid_until, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT(ref) DO UPDATE SET organisation = excluded.organisation,"
        " sectors = excluded.sectors, capacity = excluded.capacity, lat = excluded.lat,"
        " lon = excluded.lon, online = excluded.online,"
        " max_travel_km = excluded.max_travel_km,"
        " dbs_valid_until = excluded.dbs_valid_until, updated_at = excluded.updated_at,"
        " withdrawn_at = NULL", &up, err);
    for (size_t i = 0; rc == 0 && i < b->n_mentors; i++) {
        const fm_mentor *x = &b->mentors[i];
        fm_store__set_row(err, NULL, "mentor_ref", x->ref);
        char dbs[16];
        if (x->dbs_valid_until && fm_store__date_text(x->dbs_valid_until, dbs, sizeof dbs) < 0) {
            fm_store__set_row(err, "dbs_valid_until", "mentor_ref", x->ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "dbs_valid_until is not a date");
            break;
        }
        rc = join_sectors(b, b->ints + x->sectors_off, NULL, (size_t)x->n_sectors, &sectors);
        if (rc < 0) {
            rc = list_fail(st, err, rc, "mentor_ref", x->ref, "a sector code cannot be stored");
            break;
        }
        fm_store__bind_text(up, 1, x->ref);
        fm_store__bind_text(up, 2, x->organisation ? x->organisation : "");
        fm_store__bind_text(up, 3, sectors);
        sqlite3_bind_int(up, 4, x->capacity);
        bind_location(up, 5, x->has_location, x->lat, x->lon);
        sqlite3_bind_int(up, 7, x->online != 0);
        bind_number(up, 8, x->max_travel_km);
        fm_store__bind_text(up, 9, x->dbs_valid_until ? dbs : NULL);
        sqlite3_bind_int64(up, 10, now);
        rc = step_write(st, up, "storing a mentor", err);
        sqlite3_free(sectors);
        sectors = NULL;
        if (rc == 0)
            ++*n_rows;
    }
    sqlite3_free(sectors);
    sqlite3_finalize(up);
    return rc;
}

static int put_schools(fm_store *st, const fm_store_scope *who, const fm_region *b,
                       size_t *n_rows, fm_error *err)
{
    sqlite3_stmt *up = NULL;
    int rc = fm_store__prepare(st,
        "INSERT INTO schools(ref, name, lat, lon, listed) VALUES (?1, ?2, ?3, ?4, 1)"
        " ON CONFLICT(ref) DO UPDATE SET name = excluded.name, lat = excluded.lat,"
        " lon = excluded.lon, listed = 1", &up, err);
    for (size_t i = 0; rc == 0 && i < b->n_schools; i++) {
        const fm_school *x = &b->schools[i];
        if (!x->listed)
            continue; /* only interned by a student of the batch */
        fm_store__set_row(err, NULL, "school_ref", x->ref);
        if (who->role == FM_ROLE_SCHOOL && strcmp(x->ref, who->ref) != 0) {
            fm_store__set_row(err, "scope", "school_ref", x->ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "a school may only describe itself");
            break;
        }
        fm_store__bind_text(up, 1, x->ref);
        fm_store__bind_text(up, 2, x->name ? x->name : "");
        bind_location(up, 3, 1, x->lat, x->lon);
        rc = step_write(st, up, "storing a school", err);
        if (rc == 0)
            ++*n_rows;
    }
    sqlite3_finalize(up);
    return rc;
}

/* ---- the kinds of row ------------------------------------------------------- */

typedef int (*reader_fn)(fm_store *, sqlite3_stmt *, const char *, fm_region *,
                         fm_error *);
typedef int (*put_fn)(fm_store *, const fm_store_scope *, const fm_region *, size_t *,
                      fm_error *);

/* What the public calls do per fm_store_kind. */
typedef struct row_kind {
    const char *id_field;  /* "student_ref": names a row in errors */
    fm_store_role scoped;  /* the role that may act on its own rows (as well as the
                              coordinator); FM_ROLE_NONE: the coordinator only */
    reader_fn read;
    const char *reading;   /* what a failed step was doing */
    const char *load;      /* the rows of fm_store_load_region, by ref */
    const char *page;      /* ?1 the cursor, ?2 the scope ref (NULL for the
                              coordinator), ?3 the limit */
    put_fn put;
    const char *lookup;    /* withdrawal: ?1 ref -> owner, withdrawn */
    const char *withdraw;  /* ?1 ref, ?2 now */
} row_kind;

static const row_kind kinds[] = {
    [FM_STORE_STUDENTS] = {
        "student_ref", FM_ROLE_SCHOOL, read_student, "reading students",
        SELECT_STUDENTS " WHERE withdrawn_at IS NULL ORDER BY ref",
        SELECT_STUDENTS " WHERE withdrawn_at IS NULL AND ref > ?1"
        " AND (?2 IS NULL OR school = ?2) ORDER BY ref LIMIT ?3",
        put_students,
        "SELECT school, withdrawn_at IS NOT NULL FROM students WHERE ref = ?1",
        "UPDATE students SET withdrawn_at = ?2, birth_date = NULL, lat = NULL,"
        " lon = NULL, max_travel_km = NULL, flags = 0, gender = NULL,"
        " sectors = NULL, weeks = NULL, wants_placement = 0, wants_mentor = 0"
        " WHERE ref = ?1",
    },
    [FM_STORE_PLACEMENTS] = {
        "placement_ref", FM_ROLE_EMPLOYER, read_placement, "reading placements",
        SELECT_PLACEMENTS " WHERE withdrawn_at IS NULL ORDER BY ref",
        SELECT_PLACEMENTS " WHERE withdrawn_at IS NULL AND ref > ?1"
        " AND (?2 IS NULL OR employer = ?2) ORDER BY ref LIMIT ?3",
        put_placements,
        "SELECT employer, withdrawn_at IS NOT NULL FROM placements WHERE ref = ?1",
        "UPDATE placements SET withdrawn_at = ?2 WHERE ref = ?1",
    },
    [FM_STORE_MENTORS] = {
        "mentor_ref", FM_ROLE_NONE, read_mentor, "reading mentors",
        SELECT_MENTORS " WHERE withdrawn_at IS NULL ORDER BY ref",
        SELECT_MENTORS " WHERE withdrawn_at IS NULL AND ref > ?1"
        " AND ?2 IS NULL ORDER BY ref LIMIT ?3",
        put_mentors,
        "SELECT '', withdrawn_at IS NOT NULL FROM mentors WHERE ref = ?1",
        "UPDATE mentors SET withdrawn_at = ?2 WHERE ref = ?1",
    },
    [FM_STORE_SCHOOLS] = {
        "school_ref", FM_ROLE_SCHOOL, read_school, "reading schools",
        SELECT_SCHOOLS " WHERE listed = 1 ORDER BY ref",
        SELECT_SCHOOLS " WHERE listed = 1 AND ref > ?1"
        " AND (?2 IS NULL OR ref = ?2) ORDER BY ref LIMIT ?3",
        put_schools,
        "SELECT ref, listed = 0 FROM schools WHERE ref = ?1",
        "UPDATE schools SET listed = 0, name = '', lat = NULL, lon = NULL"
        " WHERE ref = ?1 AND ?2 IS NOT NULL",
    },
};

/* The row_kind of kind, NULL for an unknown kind. */
static const row_kind *kind_of(fm_store_kind kind)
{
    return kind >= FM_STORE_STUDENTS && kind <= FM_STORE_SCHOOLS ? &kinds[kind] : NULL;
}

/* Prepares sql, binds the texts a (?1) and b (?2) and the integer c (?3)
 * where the statement has them, and reads its rows with k->read. */
static int run_reader(fm_store *st, const row_kind *k, const char *sql, const char *a,
                      const char *b, int64_t c, fm_region *r, fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, sql, &s, err);
    if (rc < 0)
        return rc;
    int np = sqlite3_bind_parameter_count(s);
    if (np >= 1)
        fm_store__bind_text(s, 1, a);
    if (np >= 2)
        fm_store__bind_text(s, 2, b);
    if (np >= 3)
        sqlite3_bind_int64(s, 3, c);
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *ref = col_text(s, 0);
        rc = ref ? k->read(st, s, ref, r, err) : corrupt(st, err, k->id_field, ref, k->id_field);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = fm_store__sql_fail(st, err, step, k->reading);
    sqlite3_finalize(s);
    return rc;
}

const char *fm_store_kind_name(fm_store_kind kind)
{
    switch (kind) {
    case FM_STORE_STUDENTS: return "students";
    case FM_STORE_PLACEMENTS: return "placements";
    case FM_STORE_MENTORS: return "mentors";
    case FM_STORE_SCHOOLS: return "schools";
    default: return "";
    }
}

static int bad_kind(const fm_store *st, fm_error *err)
{
    return fm_store__fail(st, err, FM_EINVAL, "unknown kind of row");
}

/* Whether who may act on rows of kind k (within its scope). */
static int may_act(const fm_store_scope *who, const row_kind *k)
{
    return who->role == FM_ROLE_COORDINATOR || who->role == k->scoped;
}

/* fm_store__deny() for "<doing> <kind name>", e.g. "listing students". */
static int deny_kind(const fm_store *st, const fm_store_scope *who, const char *doing,
                     fm_store_kind kind, fm_error *err)
{
    char what[64];
    snprintf(what, sizeof what, "%s %s", doing, fm_store_kind_name(kind));
    return fm_store__deny(st, who, what, err);
}

/* The end of a batch of n rows in a write transaction that ended with rc:
 * commits (0, *n_out = n, err cleared of the row names set on the way) or
 * rolls back (the failing code). */
static int batch_done(fm_store *st, int rc, size_t n, size_t *n_out, fm_error *err)
{
    rc = fm_store__finish(st, rc, err);
    if (rc < 0)
        return rc;
    if (err)
        fm_error_clear(err);
    if (n_out)
        *n_out = n;
    return 0;
}

int fm_store_put_region_rows(fm_store *st, const fm_store_scope *who,
                             const fm_region *batch, fm_store_kind kind,
                             size_t *n_rows, fm_error *err)
{
    assert(st && batch);
    size_t n = 0;
    if (n_rows)
        *n_rows = 0;
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    rc = fm_store__begin_write(st, err);
    if (rc < 0)
        return rc;
    const row_kind *k = kind_of(kind);
    if (!k)
        rc = bad_kind(st, err);
    else if (!may_act(who, k))
        rc = deny_kind(st, who, "writing", kind, err);
    else
        rc = k->put(st, who, batch, &n, err);
    return batch_done(st, rc, n, n_rows, err);
}

/* ---- withdrawal ------------------------------------------------------------- */

int fm_store_withdraw(fm_store *st, const fm_store_scope *who, fm_store_kind kind,
                      const char *const *refs, size_t n_refs, size_t *n_withdrawn,
                      fm_error *err)
{
    assert(st && (refs || n_refs == 0));
    if (n_withdrawn)
        *n_withdrawn = 0;
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;

    /* Per kind: who may, the row's owner and state, and the change. */
    const row_kind *k = kind_of(kind);
    if (!k)
        return bad_kind(st, err);
    if (!may_act(who, k))
        return deny_kind(st, who, "withdrawing", kind, err);
    const char *id_field = k->id_field;

    sqlite3_stmt *look = NULL, *upd = NULL;
    size_t n = 0;
    int64_t now = fm_store__now();
    rc = fm_store__begin_write(st, err);
    if (rc < 0)
        return rc;
    rc = fm_store__prepare(st, k->lookup, &look, err);
    if (rc == 0)
        rc = fm_store__prepare(st, k->withdraw, &upd, err);
    for (size_t i = 0; rc == 0 && i < n_refs; i++) {
        const char *ref = refs[i];
        if (!fm_store__valid_ref(ref)) {
            fm_store__set_row(err, id_field, NULL, NULL);
            rc = fm_store__fail(st, err, FM_EINVAL, "ref number %zu is not a valid id",
                                i + 1);
            break;
        }
        fm_store__set_row(err, NULL, id_field, ref);
        sqlite3_reset(look);
        fm_store__bind_text(look, 1, ref);
        int step = sqlite3_step(look);
        int mine = 0, gone = 0;
        if (step == SQLITE_ROW) {
            const char *owner = col_text(look, 0);
            mine = who->role == FM_ROLE_COORDINATOR ||
                   (owner && strcmp(owner, who->ref) == 0);
            gone = sqlite3_column_int(look, 1);
        } else if (step != SQLITE_DONE) {
            rc = fm_store__sql_fail(st, err, step, "looking up a row");
            break;
        }
        sqlite3_reset(look);
        if (!mine) {
            /* Unknown and someone else's read the same to a scoped caller. */
            if (who->role != FM_ROLE_COORDINATOR)
                fm_store__set_row(err, "scope", id_field, ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "no such %s among your %s", id_field,
                                fm_store_kind_name(kind));
            break;
        }
        if (gone)
            continue;
        fm_store__bind_text(upd, 1, ref);
        sqlite3_bind_int64(upd, 2, now);
        rc = step_write(st, upd, "withdrawing a row", err);
        if (rc == 0)
            n++;
    }
    sqlite3_finalize(look);
    sqlite3_finalize(upd);
    return batch_done(st, rc, n, n_withdrawn, err);
}

/* ---- lists and the region of a round ----------------------------------------- */

int fm_store_list(fm_store *st, const fm_store_scope *who, fm_store_kind kind,
                  const char *after_ref, size_t limit, fm_region *out, fm_error *err)
{
    assert(st && out);
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    if (limit < 1 || limit > LIST_LIMIT_MAX)
        return fm_store__fail(st, err, FM_EINVAL, "a page holds 1 to %d rows",
                              LIST_LIMIT_MAX);
    if (!after_ref)
        after_ref = "";
    int coord = who->role == FM_ROLE_COORDINATOR;
    const row_kind *k = kind_of(kind);
    if (!k)
        return bad_kind(st, err);
    if (!may_act(who, k))
        return deny_kind(st, who, "listing", kind, err);
    fm_region_mark mark;
    fm_region_checkpoint(out, &mark);
    rc = run_reader(st, k, k->page, after_ref, coord ? NULL : who->ref, (int64_t)limit, out,
                    err);
    if (rc < 0)
        fm_region_rollback(out, &mark);
    return rc;
}

int fm_store_load_region(fm_store *st, const fm_store_scope *who, fm_region *out,
                         fm_error *err)
{
    assert(st && out);
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    if (who->role != FM_ROLE_COORDINATOR)
        return fm_store__deny(st, who, "loading the whole region", err);
    fm_region_mark mark;
    fm_region_checkpoint(out, &mark);
    rc = fm_store__begin_read(st, err);
    if (rc < 0)
        return rc;
    /* students, placements, mentors, then the listed schools */
    for (int kind = FM_STORE_STUDENTS; rc == 0 && kind <= FM_STORE_SCHOOLS; kind++)
        rc = run_reader(st, &kinds[kind], kinds[kind].load, NULL, NULL, 0, out, err);
    rc = fm_store__finish(st, rc, err);
    if (rc < 0)
        fm_region_rollback(out, &mark);
    return rc;
}

int fm_store_count(fm_store *st, const fm_store_scope *who, fm_store_counts *out,
                   fm_error *err)
{
    assert(st && out);
    memset(out, 0, sizeof *out);
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    const char *sql;
    switch (who->role) {
    case FM_ROLE_SCHOOL:
        sql = "SELECT (SELECT count(*) FROM students WHERE withdrawn_at IS NULL AND school = ?1),"
              " 0, 0, (SELECT count(*) FROM schools WHERE listed = 1 AND ref = ?1),"
              " (SELECT count(*) FROM rounds)";
        break;
    case FM_ROLE_EMPLOYER:
        sql = "SELECT 0, (SELECT count(*) FROM placements WHERE withdrawn_at IS NULL"
              " AND employer = ?1), 0, 0, (SELECT count(*) FROM rounds)";
        break;
    default:
        sql = "SELECT (SELECT count(*) FROM students WHERE withdrawn_at IS NULL),"
              " (SELECT count(*) FROM placements WHERE withdrawn_at IS NULL),"
              " (SELECT count(*) FROM mentors WHERE withdrawn_at IS NULL),"
              " (SELECT count(*) FROM schools WHERE listed = 1),"
              " (SELECT count(*) FROM rounds)";
        break;
    }
    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, sql, &s, err);
    if (rc < 0)
        return rc;
    if (sqlite3_bind_parameter_count(s) >= 1)
        fm_store__bind_text(s, 1, who->ref);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        out->students = sqlite3_column_int64(s, 0);
        out->placements = sqlite3_column_int64(s, 1);
        out->mentors = sqlite3_column_int64(s, 2);
        out->schools = sqlite3_column_int64(s, 3);
        out->rounds = sqlite3_column_int64(s, 4);
    } else {
        rc = fm_store__sql_fail(st, err, step, "counting rows");
    }
    sqlite3_finalize(s);
    return rc;
}
