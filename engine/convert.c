/*
 * convert.c - wire rows <-> region rows, dates and weeks (convert.h).
 *
 * Normal case inbound: each row is checked field by field in wire order;
 * only when the whole row is good are its names interned and the row
 * appended.  Outbound: each region row is copied into arena memory, with
 * interned ids turned back into names and dates into text.
 * Failure cases: the first bad field stops the batch with FM_EINVAL and an
 * error naming the row (position and ref) and the field; messages quote
 * the offending value only where it is not personal (refs, sector codes,
 * weeks), never birth dates or locations.  FM_ENOMEM from the region or the
 * arena.
 */
#include "convert.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TEXT_MAX 1000   /* bytes in a title, name or organisation */
#define SECTOR_MAX 64   /* bytes in a sector code */

/* ---- dates and weeks ---------------------------------------------------- */

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

int fm_date_parse(const char *s, int32_t *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = y * 10000 + m * 100 + d;
    return 0;
}

void fm_date_format(int32_t d, char out[11])
{
    if (d <= 0) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 11, "%04d-%02d-%02d", (int)(d / 10000 % 10000), (int)(d / 100 % 100),
             (int)(d % 100));
}

/* Weekday of 31 December of year y, 0 = Sunday. */
static int dec31_weekday(int y)
{
    /* Zeller-like: Sakamoto's method for 31 Dec. */
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int m = 12, d = 31;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static int iso_weeks_in_year(int y)
{
    return dec31_weekday(y) == 4 || dec31_weekday(y - 1) == 3 ? 53 : 52;
}

int fm_week_parse(const char *s, int32_t *out)
{
    if (!s || strlen(s) != 8 || s[4] != '-' || (s[5] != 'W' && s[5] != 'w'))
        return -1;
    int y = digits(s, 4), w = digits(s + 6, 2);
    if (y < 1900 || w < 1 || w > iso_weeks_in_year(y))
        return -1;
    *out = y * 100 + w;
    return 0;
}

void fm_week_format(int32_t w, char out[9])
{
    if (w <= 0) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 9, "%04d-W%02d", (int)(w / 100 % 10000), (int)(w % 100));
}

int32_t fm_date_today(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int fm_ref_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!(isalnum(c) && c < 0x80) && c != '_' && c != '-' && c != '.')
            return 0;
    }
    return n >= 1 && n <= 64;
}

fm_store_kind fm_convert_kind(Fairmatch__V1__Kind kind)
{
    switch (kind) {
    case FAIRMATCH__V1__KIND__KIND_SCHOOLS: return FM_STORE_SCHOOLS;
    case FAIRMATCH__V1__KIND__KIND_STUDENTS: return FM_STORE_STUDENTS;
    case FAIRMATCH__V1__KIND__KIND_PLACEMENTS: return FM_STORE_PLACEMENTS;
    case FAIRMATCH__V1__KIND__KIND_MENTORS: return FM_STORE_MENTORS;
    default: return (fm_store_kind)0;
    }
}

/* ---- inbound -------------------------------------------------------------- */

typedef struct row_ctx {
    fm_error *err;
    size_t index;            /* 1-based position in the batch */
    const char *ref_field;
    const char *ref;         /* NULL until the ref is known good */
} row_ctx;

static int fail(row_ctx *rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(row_ctx *rc, const char *field, const char *fmt, ...)
{
    fm_error *err = rc->err;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err->field, sizeof err->field, "%s", field);
    if (rc->ref)
        snprintf(err->id, sizeof err->id, "%s %s", rc->ref_field, rc->ref);
    else
        snprintf(err->id, sizeof err->id, "row %zu", rc->index);
    return fm_error_set(err, FM_EINVAL, "row %zu: %s: %s", rc->index, field, what);
}

static int nomem(fm_error *err)
{
    return fm_error_set(err, FM_ENOMEM, "out of memory");
}

static int check_ref(row_ctx *rc, const char *field, const char *v)
{
    if (!v || !*v)
        return fail(rc, field, "is blank; an id is required");
    if (!fm_ref_valid(v))
        return fail(rc, field, "is not an id: 1 to 64 characters of A-Z a-z 0-9 _ - .");
    return 0;
}

static int check_text(row_ctx *rc, const char *field, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n > TEXT_MAX)
        return fail(rc, field, "is %zu bytes long; at most %d", n, TEXT_MAX);
    if (n && !fm_utf8_valid(v, n))
        return fail(rc, field, "is not valid UTF-8");
    return 0;
}

static int check_sector(row_ctx *rc, const char *field, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    int blank = 1;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)v[i]))
            blank = 0;
    if (blank)
        return fail(rc, field, "a sector code is blank");
    if (n > SECTOR_MAX)
        return fail(rc, field, "a sector code is %zu bytes long; at most %d", n, SECTOR_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || c == '|')
            return fail(rc, field, "a sector code holds a control character or '|'");
    }
    if (!fm_utf8_valid(v, n))
        return fail(rc, field, "a sector code is not valid UTF-8");
    return 0;
}

static int check_latlon(row_ctx *rc, double lat, double lon)
{
    if (!isfinite(lat) || lat < -90 || lat > 90)
        return fail(rc, "lat", "is not a latitude from -90 to 90");
    if (!isfinite(lon) || lon < -180 || lon > 180)
        return fail(rc, "lon", "is not a longitude from -180 to 180");
    return 0;
}

static int get_travel(row_ctx *rc, const Fairmatch__V1__OptDouble *v, double *out)
{
    *out = 20;
    if (!v)
        return 0;
    if (!isfinite(v->value) || v->value < 0)
        return fail(rc, "max_travel_km", "is not a distance in km, 0 or more");
    *out = v->value;
    return 0;
}

/* Sector codes of a row, interned, distinct (case-insensitively). */
static int intern_sectors(fm_region *r, row_ctx *rc, const char *field, char *const *codes,
                          size_t n, int32_t *ids)
{
    for (size_t k = 0; k < n; k++) {
        int32_t id = fm_region_intern_sector(r, codes[k]);
        if (id == FM_ENOMEM)
            return nomem(rc->err);
        if (id < 0)
            return fail(rc, field, "a sector code is blank");
        for (size_t j = 0; j < k; j++)
            if (ids[j] == id)
                return fail(rc, field, "sector \"%s\" is listed twice", codes[k]);
        ids[k] = id;
    }
    return 0;
}

int fm_convert_schools_in(fm_region *out, Fairmatch__V1__School *const *rows, size_t n,
                          fm_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const Fairmatch__V1__School *s = rows[i];
        row_ctx rc = {err, i + 1, "school_ref", NULL};
        int e;
        if ((e = check_ref(&rc, "school_ref", s->school_ref)) != 0)
            return e;
        rc.ref = s->school_ref;
        if ((e = check_text(&rc, "name", s->name)) != 0)
            return e;
        if (s->location && (e = check_latlon(&rc, s->location->lat, s->location->lon)) != 0)
            return e;
        int32_t id = fm_region_find_school(out, s->school_ref);
        if (id >= 0 && out->schools[id].listed)
            return fail(&rc, "school_ref", "given twice in this request");
        if (fm_region_set_school(out, s->school_ref, s->name ? s->name : "",
                                 s->location ? s->location->lat : NAN,
                                 s->location ? s->location->lon : NAN,
                                 s->location != NULL) != 0)
            return nomem(err);
    }
    return 0;
}

int fm_convert_students_in(fm_region *out, Fairmatch__V1__Student *const *rows, size_t n,
                           fm_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const Fairmatch__V1__Student *w = rows[i];
        row_ctx rc = {err, i + 1, "student_ref", NULL};
        fm_student s;
        memset(&s, 0, sizeof s);
        int e;
        if ((e = check_ref(&rc, "student_ref", w->student_ref)) != 0)
            return e;
        rc.ref = w->student_ref;
        if (fm_region_find_student(out, w->student_ref) >= 0)
            return fail(&rc, "student_ref", "given twice in this request");
        if ((e = check_ref(&rc, "school_ref", w->school_ref)) != 0)
            return e;
        if (fm_date_parse(w->birth_date, &s.birth_date) != 0)
            return fail(&rc, "birth_date", "is not a date YYYY-MM-DD");
        if ((e = check_latlon(&rc, w->lat, w->lon)) != 0)
            return e;
        s.lat = w->lat;
        s.lon = w->lon;
        if ((e = get_travel(&rc, w->max_travel_km, &s.max_travel_km)) != 0)
            return e;
        s.low_income = w->low_income != 0;
        s.gifted = w->gifted != 0;
        s.looked_after = w->looked_after != 0;
        s.needs_access = w->needs_access != 0;
        const char *g = w->gender ? w->gender : "";
        if (g[0] && !g[1] && strchr("FMXfmx", g[0]))
            s.gender = (char)toupper((unsigned char)g[0]);
        else if (g[0])
            return fail(&rc, "gender", "expected F, M, X or blank");
        s.wants_placement = w->wants_placement ? w->wants_placement->value != 0 : 1;
        s.wants_mentor = w->wants_mentor ? w->wants_mentor->value != 0 : 0;
        if (w->n_sectors > FM_MAX_STUDENT_SECTORS)
            return fail(&rc, "sectors", "lists %zu codes; at most %d", w->n_sectors,
                        FM_MAX_STUDENT_SECTORS);
        if (w->n_sectors == 0 && (s.wants_placement || s.wants_mentor))
            return fail(&rc, "sectors", "is empty, but the student wants %s; list 1 to 5 "
                        "sector codes", s.wants_placement ? "a placement" : "a mentor");
        for (size_t k = 0; k < w->n_sectors; k++)
            if ((e = check_sector(&rc, "sectors", w->sectors[k])) != 0)
                return e;
        int32_t weeks[64];
        if (w->n_weeks > 64)
            return fail(&rc, "weeks", "lists %zu weeks; at most 64", w->n_weeks);
        for (size_t k = 0; k < w->n_weeks; k++)
            if (fm_week_parse(w->weeks[k], &weeks[k]) != 0)
                return fail(&rc, "weeks", "\"%.20s\" is not an ISO week like 2027-W24",
                            w->weeks[k]);

        int32_t id = fm_region_intern_school(out, w->school_ref);
        if (id < 0)
            return nomem(err);
        s.school = id;
        int32_t ids[FM_MAX_STUDENT_SECTORS];
        if ((e = intern_sectors(out, &rc, "sectors", w->sectors, w->n_sectors, ids)) != 0)
            return e;
        for (size_t k = 0; k < w->n_sectors; k++)
            s.sectors[k] = (int16_t)ids[k];
        s.n_sectors = (uint8_t)w->n_sectors;
        if (w->n_weeks) {
            int32_t off = fm_region_add_ints(out, weeks, w->n_weeks);
            if (off < 0)
                return nomem(err);
            s.weeks_off = off;
            s.n_weeks = (int32_t)w->n_weeks;
        }
        s.ref = w->student_ref;
        if ((id = fm_region_add_student(out, &s)) < 0)
            return id == FM_ENOMEM ? nomem(err) : fail(&rc, "student_ref", "cannot be added");
    }
    return 0;
}

int fm_convert_placements_in(fm_region *out, Fairmatch__V1__Placement *const *rows,
                             size_t n, fm_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const Fairmatch__V1__Placement *w = rows[i];
        row_ctx rc = {err, i + 1, "placement_ref", NULL};
        fm_placement p;
        memset(&p, 0, sizeof p);
        int e;
        if ((e = check_ref(&rc, "placement_ref", w->placement_ref)) != 0)
            return e;
        rc.ref = w->placement_ref;
        if (fm_region_find_placement(out, w->placement_ref) >= 0)
            return fail(&rc, "placement_ref", "given twice in this request");
        if ((e = check_ref(&rc, "employer_ref", w->employer_ref)) != 0 ||
            (e = check_text(&rc, "title", w->title)) != 0 ||
            (e = check_sector(&rc, "sector", w->sector)) != 0)
            return e;
        if (w->capacity < 1 || w->capacity > 1000)
            return fail(&rc, "capacity", "%d is not a capacity from 1 to 1000", (int)w->capacity);
        p.capacity = w->capacity;
        p.is_virtual = w->virtual_ != 0;
        p.accessible = w->accessible != 0;
        p.profession = w->profession != 0;
        if (w->location) {
            if ((e = check_latlon(&rc, w->location->lat, w->location->lon)) != 0)
                return e;
            p.lat = w->location->lat;
            p.lon = w->location->lon;
            p.has_location = 1;
        } else if (!p.is_virtual) {
            return fail(&rc, "location", "is missing; an in-person placement (virtual "
                        "= false) needs lat and lon");
        }
        p.min_age = 14;
        if (w->min_age) {
            if (w->min_age->value < 13 || w->min_age->value > 25)
                return fail(&rc, "min_age", "%d is not an age from 13 to 25",
                            (int)w->min_age->value);
            p.min_age = w->min_age->value;
        }
        if (w->week && w->week[0] && fm_week_parse(w->week, &p.week) != 0)
            return fail(&rc, "week", "\"%.20s\" is not an ISO week like 2027-W24", w->week);
        if (w->reserve_pct < 0 || w->reserve_pct > 100)
            return fail(&rc, "reserve_pct", "%d is not a percentage from 0 to 100",
                        (int)w->reserve_pct);
        p.reserve_pct = w->reserve_pct;

        int32_t id = fm_region_intern_employer(out, w->employer_ref);
        if (id < 0)
            return nomem(err);
        p.employer = id;
        int32_t sid = -1;
        if ((e = intern_sectors(out, &rc, "sector", &w->sector, 1, &sid)) != 0)
            return e;
        p.sector = (int16_t)sid;
        p.ref = w->placement_ref;
        p.title = w->title ? w->title : "";
        if ((id = fm_region_add_placement(out, &p)) < 0)
            return id == FM_ENOMEM ? nomem(err) : fail(&rc, "placement_ref", "cannot be added");
    }
    return 0;
}

int fm_convert_mentors_in(fm_region *out, Fairmatch__V1__Mentor *const *rows, size_t n,
                          fm_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const Fairmatch__V1__Mentor *w = rows[i];
        row_ctx rc = {err, i + 1, "mentor_ref", NULL};
        fm_mentor m;
        memset(&m, 0, sizeof m);
        int e;
        if ((e = check_ref(&rc, "mentor_ref", w->mentor_ref)) != 0)
            return e;
        rc.ref = w->mentor_ref;
        if (fm_region_find_mentor(out, w->mentor_ref) >= 0)
            return fail(&rc, "mentor_ref", "given twice in this request");
        if ((e = check_text(&rc, "organisation", w->organisation)) != 0)
            return e;
        if (w->n_sectors == 0)
            return fail(&rc, "sectors", "is empty; list at least one sector code");
        if (w->n_sectors > 256)
            return fail(&rc, "sectors", "lists %zu codes; at most 256", w->n_sectors);
        for (size_t k = 0; k < w->n_sectors; k++)
            if ((e = check_sector(&rc, "sectors", w->sectors[k])) != 0)
                return e;
        if (w->capacity < 1 || w->capacity > 50)
            return fail(&rc, "capacity", "%d is not a capacity from 1 to 50", (int)w->capacity);
        m.capacity = w->capacity;
        m.online = w->online != 0;
        if (w->location) {
            if ((e = check_latlon(&rc, w->location->lat, w->location->lon)) != 0)
                return e;
            m.lat = w->location->lat;
            m.lon = w->location->lon;
            m.has_location = 1;
        } else if (!m.online) {
            return fail(&rc, "location", "is missing; an in-person mentor (online = false) "
                        "needs lat and lon");
        }
        if ((e = get_travel(&rc, w->max_travel_km, &m.max_travel_km)) != 0)
            return e;
        if (w->dbs_valid_until && w->dbs_valid_until[0] &&
            fm_date_parse(w->dbs_valid_until, &m.dbs_valid_until) != 0)
            return fail(&rc, "dbs_valid_until", "is not a date YYYY-MM-DD");

        int32_t ids[256];
        if ((e = intern_sectors(out, &rc, "sectors", w->sectors, w->n_sectors, ids)) != 0)
            return e;
        int32_t off = fm_region_add_ints(out, ids, w->n_sectors);
        if (off < 0)
            return nomem(err);
        m.sectors_off = off;
        m.n_sectors = (int32_t)w->n_sectors;
        m.ref = w->mentor_ref;
        m.organisation = w->organisation ? w->organisation : "";
        int32_t id = fm_region_add_mentor(out, &m);
        if (id < 0)
            return id == FM_ENOMEM ? nomem(err) : fail(&rc, "mentor_ref", "cannot be added");
    }
    return 0;
}

/* ---- outbound ------------------------------------------------------------- */

#define NEW(a, T, init) (T *)new_msg(a, sizeof(T), (void (*)(void *))(init))

static void *new_msg(fm_arena *a, size_t size, void (*init)(void *))
{
    void *m = fm_arena_alloc(a, size);
    if (m)
        init(m);
    return m;
}

static Fairmatch__V1__LatLon *latlon(fm_arena *a, double lat, double lon)
{
    Fairmatch__V1__LatLon *l = NEW(a, Fairmatch__V1__LatLon, fairmatch__v1__lat_lon__init);
    if (l) {
        l->lat = lat;
        l->lon = lon;
    }
    return l;
}

static char *date_str(fm_arena *a, int32_t d)
{
    char buf[11];
    fm_date_format(d, buf);
    return fm_arena_str(a, buf);
}

static char *week_str(fm_arena *a, int32_t w)
{
    char buf[9];
    fm_week_format(w, buf);
    return fm_arena_str(a, buf);
}

static int schools_out(const fm_region *r, fm_arena *a, Fairmatch__V1__ListResponse *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_schools; i++)
        n += r->schools[i].listed != 0;
    out->schools = fm_arena_array(a, n, sizeof(*out->schools));
    if (!out->schools)
        return FM_ENOMEM;
    for (size_t i = 0; i < r->n_schools; i++) {
        const fm_school *s = &r->schools[i];
        if (!s->listed)
            continue;
        Fairmatch__V1__School *w = NEW(a, Fairmatch__V1__School, fairmatch__v1__school__init);
        if (!w)
            return FM_ENOMEM;
        w->school_ref = fm_arena_str(a, s->ref);
        w->name = fm_arena_str(a, s->name);
        if (!isnan(s->lat) && !isnan(s->lon))
            w->location = latlon(a, s->lat, s->lon);
        out->schools[out->n_schools++] = w;
    }
    return 0;
}

static Fairmatch__V1__OptBool *opt_bool(fm_arena *a, int v)
{
    Fairmatch__V1__OptBool *o = NEW(a, Fairmatch__V1__OptBool, fairmatch__v1__opt_bool__init);
    if (o)
        o->value = v != 0;
    return o;
}

static Fairmatch__V1__OptDouble *opt_double(fm_arena *a, double v)
{
    Fairmatch__V1__OptDouble *o =
        NEW(a, Fairmatch__V1__OptDouble, fairmatch__v1__opt_double__init);
    if (o)
        o->value = v;
    return o;
}

static int students_out(const fm_region *r, fm_arena *a, Fairmatch__V1__ListResponse *out)
{
    out->students = fm_arena_array(a, r->n_students, sizeof(*out->students));
    if (!out->students)
        return FM_ENOMEM;
    for (size_t i = 0; i < r->n_students; i++) {
        const fm_student *s = &r->students[i];
        Fairmatch__V1__Student *w = NEW(a, Fairmatch__V1__Student, fairmatch__v1__student__init);
        if (!w)
            return FM_ENOMEM;
        w->student_ref = fm_arena_str(a, s->ref);
        w->school_ref = fm_arena_str(a, r->schools[s->school].ref);
        w->birth_date = date_str(a, s->birth_date);
        w->lat = s->lat;
        w->lon = s->lon;
        w->max_travel_km = opt_double(a, s->max_travel_km);
        w->low_income = s->low_income;
        w->gifted = s->gifted;
        w->looked_after = s->looked_after;
        w->needs_access = s->needs_access;
        char g[2] = {s->gender, 0};
        w->gender = fm_arena_str(a, g);
        w->n_sectors = s->n_sectors;
        w->sectors = fm_arena_array(a, s->n_sectors, sizeof(char *));
        for (size_t k = 0; w->sectors && k < s->n_sectors; k++)
            w->sectors[k] = fm_arena_str(a, r->sectors[s->sectors[k]]);
        w->n_weeks = (size_t)s->n_weeks;
        w->weeks = fm_arena_array(a, (size_t)s->n_weeks, sizeof(char *));
        for (size_t k = 0; w->weeks && k < (size_t)s->n_weeks; k++)
            w->weeks[k] = week_str(a, r->ints[s->weeks_off + (int32_t)k]);
        w->wants_placement = opt_bool(a, s->wants_placement);
        w->wants_mentor = opt_bool(a, s->wants_mentor);
        if (fm_arena_failed(a))
            return FM_ENOMEM;
        out->students[out->n_students++] = w;
    }
    return 0;
}

static int placements_out(const fm_region *r, fm_arena *a, Fairmatch__V1__ListResponse *out)
{
    out->placements = fm_arena_array(a, r->n_placements, sizeof(*out->placements));
    if (!out->placements)
        return FM_ENOMEM;
    for (size_t i = 0; i < r->n_placements; i++) {
        const fm_placement *p = &r->placements[i];
        Fairmatch__V1__Placement *w =
            NEW(a, Fairmatch__V1__Placement, fairmatch__v1__placement__init);
        if (!w)
            return FM_ENOMEM;
        w->placement_ref = fm_arena_str(a, p->ref);
        w->employer_ref = fm_arena_str(a, r->employers[p->employer]);
        w->title = fm_arena_str(a, p->title);
        w->sector = fm_arena_str(a, r->sectors[p->sector]);
        w->capacity = p->capacity;
        if (p->has_location)
            w->location = latlon(a, p->lat, p->lon);
        w->virtual_ = p->is_virtual;
        w->accessible = p->accessible;
        w->profession = p->profession;
        w->min_age = NEW(a, Fairmatch__V1__OptInt32, fairmatch__v1__opt_int32__init);
        if (w->min_age)
            w->min_age->value = p->min_age;
        w->week = week_str(a, p->week);
        w->reserve_pct = p->reserve_pct;
        if (fm_arena_failed(a))
            return FM_ENOMEM;
        out->placements[out->n_placements++] = w;
    }
    return 0;
}

static int mentors_out(const fm_region *r, fm_arena *a, Fairmatch__V1__ListResponse *out)
{
    out->mentors = fm_arena_array(a, r->n_mentors, sizeof(*out->mentors));
    if (!out->mentors)
        return FM_ENOMEM;
    for (size_t i = 0; i < r->n_mentors; i++) {
        const fm_mentor *m = &r->mentors[i];
        Fairmatch__V1__Mentor *w = NEW(a, Fairmatch__V1__Mentor, fairmatch__v1__mentor__init);
        if (!w)
            return FM_ENOMEM;
        w->mentor_ref = fm_arena_str(a, m->ref);
        w->organisation = fm_arena_str(a, m->organisation);
        w->n_sectors = (size_t)m->n_sectors;
        w->sectors = fm_arena_array(a, (size_t)m->n_sectors, sizeof(char *));
        for (size_t k = 0; w->sectors && k < (size_t)m->n_sectors; k++)
            w->sectors[k] = fm_arena_str(a, r->sectors[r->ints[m->sectors_off + (int32_t)k]]);
        w->capacity = m->capacity;
        if (m->has_location)
            w->location = latlon(a, m->lat, m->lon);
        w->online = m->online;
        w->max_travel_km = opt_double(a, m->max_travel_km);
        w->dbs_valid_until = date_str(a, m->dbs_valid_until);
        if (fm_arena_failed(a))
            return FM_ENOMEM;
        out->mentors[out->n_mentors++] = w;
    }
    return 0;
}

int fm_convert_list_out(const fm_region *r, fm_store_kind kind, fm_arena *a,
                        Fairmatch__V1__ListResponse *out)
{
    switch (kind) {
    case FM_STORE_SCHOOLS: return schools_out(r, a, out);
    case FM_STORE_STUDENTS: return students_out(r, a, out);
    case FM_STORE_PLACEMENTS: return placements_out(r, a, out);
    case FM_STORE_MENTORS: return mentors_out(r, a, out);
    }
    return FM_EINVAL;
}

const char *fm_convert_last_ref(const fm_region *r, fm_store_kind kind)
{
    switch (kind) {
    case FM_STORE_SCHOOLS: {
        const char *last = "";
        for (size_t i = 0; i < r->n_schools; i++)
            if (r->schools[i].listed && strcmp(r->schools[i].ref, last) > 0)
                last = r->schools[i].ref;
        return last;
    }
    case FM_STORE_STUDENTS:
        return r->n_students ? r->students[r->n_students - 1].ref : "";
    case FM_STORE_PLACEMENTS:
        return r->n_placements ? r->placements[r->n_placements - 1].ref : "";
    case FM_STORE_MENTORS:
        return r->n_mentors ? r->mentors[r->n_mentors - 1].ref : "";
    }
    return "";
}
