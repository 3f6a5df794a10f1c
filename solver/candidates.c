/*
 * candidates.c - every eligible (student, target) pair of a round, found
 * without comparing every student with every target (see candidates.h).
 *
 * Targets (placements or mentors) are filed per sector: remote ones
 * (virtual placements, online mentors) in a plain list, in-person ones in a
 * list sorted by grid cell (0.1 degree).  For a student, each listed sector
 * is visited once, in rank order; in-person targets are read only from the
 * grid rows and columns that the exact great-circle bounding box of the
 * student's travel radius touches, then every rule of policy.md is checked
 * exactly (the distance with the same haversine formula as geo.c).
 *
 * Normal case: out holds the CSR pair lists.  Failure: FM_ENOMEM, out empty.
 */
#include "candidates.h"

#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "solver.h"

#define CELL_DEG 0.1
#define GRID_COLS 3601 /* longitude cells: 360 / CELL_DEG + 1 */

typedef struct sector_file {
    int32_t *remote;        /* targets needing no distance check */
    size_t n_remote;
    int64_t *keys;          /* grid cell keys, sorted */
    int32_t *local;         /* in-person targets, same order as keys */
    size_t n_local;
} sector_file;

typedef struct target_index {
    sector_file *sectors;
    size_t n_sectors;
} target_index;

/* One student's pair while listing, packed so that ascending order is the
 * documented order: utility descending, then target ascending.
 *   bits 40..48: 500 - utility, bits 8..39: target, bits 0..7: rank */
typedef uint64_t pair;

static pair pair_pack(int32_t target, int utility, int rank)
{
    return ((uint64_t)(500 - utility) << 40) | ((uint64_t)(uint32_t)target << 8) |
           (uint64_t)rank;
}

static int32_t pair_target(pair p) { return (int32_t)(uint32_t)(p >> 8); }
static int pair_utility(pair p) { return 500 - (int)(p >> 40); }
static int pair_rank(pair p) { return (int)(p & 0xff); }

/* Sorts keys ascending: quicksort with median-of-three, insertion sort
 * below 16 keys, the smaller side first so the stack stays shallow.  (qsort's
 * callback per comparison cost more than the listing itself.) */
static void sort_pairs(pair *a, size_t n)
{
    while (n > 16) {
        size_t mid = n / 2;
        pair x = a[0], y = a[mid], z = a[n - 1];
        pair pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            pair t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* a[0..j] <= pivot <= a[j+1..n-1] */
        size_t left = j + 1;
        if (left < n - left) {
            sort_pairs(a, left);
            a += left;
            n -= left;
        } else {
            sort_pairs(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        pair v = a[i];
        size_t k = i;
        while (k > 0 && a[k - 1] > v) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}

static int64_t cell_row(double lat)
{
    return (int64_t)floor((lat + 90.0) / CELL_DEG);
}

static int64_t cell_col(double lon)
{
    int64_t c = (int64_t)floor((lon + 180.0) / CELL_DEG);
    return c < 0 ? 0 : (c >= GRID_COLS ? GRID_COLS - 1 : c);
}

static int64_t cell_key(double lat, double lon)
{
    return cell_row(lat) * GRID_COLS + cell_col(lon);
}

/* ---- the per-sector target index ---------------------------------------- */

typedef struct keyed { int64_t key; int32_t target; } keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->target > y->target) - (x->target < y->target);
}

static void index_free(target_index *ix)
{
    for (size_t i = 0; i < ix->n_sectors; i++) {
        free(ix->sectors[i].remote);
        free(ix->sectors[i].keys);
        free(ix->sectors[i].local);
    }
    free(ix->sectors);
    memset(ix, 0, sizeof *ix);
}

static int index_build(const fm_region *r, int mentors, target_index *ix)
{
    size_t ns = r->n_sectors, nt = mentors ? r->n_mentors : r->n_placements;
    int rc = FM_ENOMEM;
    size_t *n_remote = calloc(ns + 1, sizeof *n_remote);
    size_t *n_local = calloc(ns + 1, sizeof *n_local);
    keyed **scratch = calloc(ns + 1, sizeof *scratch);
    ix->sectors = calloc(ns + 1, sizeof *ix->sectors);
    ix->n_sectors = ns;
    if (!n_remote || !n_local || !scratch || !ix->sectors)
        goto out;

    /* Pass 1 counts, pass 2 fills. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t s = 0; s < ns; s++) {
                sector_file *f = &ix->sectors[s];
                if (n_remote[s] && !(f->remote = malloc(n_remote[s] * sizeof *f->remote)))
                    goto out;
                if (n_local[s] && !(scratch[s] = malloc(n_local[s] * sizeof *scratch[s])))
                    goto out;
                n_remote[s] = n_local[s] = 0;
            }
        }
        for (size_t t = 0; t < nt; t++) {
            int remote, nsec;
            const int32_t *secs;
            int32_t one;
            double lat, lon;
            if (mentors) {
                const fm_mentor *m = &r->mentors[t];
                remote = m->online;
                secs = r->ints + m->sectors_off;
                nsec = m->n_sectors;
                lat = m->lat;
                lon = m->lon;
            } else {
                const fm_placement *p = &r->placements[t];
                remote = p->is_virtual;
                one = p->sector;
                secs = &one;
                nsec = 1;
                lat = p->lat;
                lon = p->lon;
            }
            for (int k = 0; k < nsec; k++) {
                int32_t s = secs[k];
                int dup = 0;
                for (int j = 0; j < k; j++)
                    dup |= secs[j] == s;
                if (dup || s < 0 || (size_t)s >= ns)
                    continue;
                if (remote) {
                    if (pass == 1)
                        ix->sectors[s].remote[n_remote[s]] = (int32_t)t;
                    n_remote[s]++;
                } else {
                    if (pass == 1) {
                        scratch[s][n_local[s]].key = cell_key(lat, lon);
                        scratch[s][n_local[s]].target = (int32_t)t;
                    }
                    n_local[s]++;
                }
            }
        }
    }
    for (size_t s = 0; s < ns; s++) {
        sector_file *f = &ix->sectors[s];
        f->n_remote = n_remote[s];
        f->n_local = n_local[s];
        if (!n_local[s])
            continue;
        qsort(scratch[s], n_local[s], sizeof *scratch[s], cmp_keyed);
        f->keys = malloc(n_local[s] * sizeof *f->keys);
        f->local = malloc(n_local[s] * sizeof *f->local);
        if (!f->keys || !f->local)
            goto out;
        for (size_t i = 0; i < n_local[s]; i++) {
            f->keys[i] = scratch[s][i].key;
            f->local[i] = scratch[s][i].target;
        }
    }
    rc = FM_OK;
out:
    if (scratch)
        for (size_t s = 0; s < ns; s++)
            free(scratch[s]);
    free(scratch);
    free(n_remote);
    free(n_local);
    if (rc != FM_OK)
        index_free(ix);
    return rc;
}

static size_t lower_bound(const int64_t *keys, size_t n, int64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- exact rules ---------------------------------------------------------- */

static int student_rank_of(const fm_student *s, int32_t sector)
{
    for (int k = 0; k < s->n_sectors; k++)
        if (s->sectors[k] == sector)
            return k + 1;
    return 0;
}

static int week_ok(const fm_region *r, const fm_student *s, int32_t week)
{
    if (s->n_weeks == 0 || week == 0)
        return 1;
    const int32_t *w = r->ints + s->weeks_off;
    for (int32_t k = 0; k < s->n_weeks; k++)
        if (w[k] == week)
            return 1;
    return 0;
}

static int distance_cost(double dist)
{
    double f = floor(dist);
    return f >= 99.0 ? 99 : (int)f;
}

/* Distances counted for a remote pair in the utility (policy.md). */
#define VIRTUAL_PLACEMENT_KM 50
#define ONLINE_MENTOR_KM 25

/* The last rule of both sides, then the outputs: a remote target is always
 * near enough and counts as remote_km; an in-person one must be within
 * limit km. */
static int distance_rule(const fm_student *s, int remote, double lat, double lon,
                         double cos_s, double cos_t, double limit, int remote_km, int rk,
                         int *rank, int *utility, double *distance_km)
{
    double dist = -1.0;
    int d = remote_km;
    if (!remote) {
        dist = fm_geo_distance_km_cos(s->lat, s->lon, cos_s, lat, lon, cos_t);
        if (!(dist <= limit))
            return FM_RULE_DISTANCE;
        d = distance_cost(dist);
    }
    if (rank)
        *rank = rk;
    if (utility)
        *utility = 100 * (6 - rk) - d;
    if (distance_km)
        *distance_km = dist;
    return FM_RULE_NONE;
}

static int check_placement(const fm_region *r, int32_t date, int32_t student,
                           int32_t placement, double cos_s, double cos_p,
                           int *rank, int *utility, double *distance_km)
{
    const fm_student *s = &r->students[student];
    const fm_placement *p = &r->placements[placement];
    if (!s->wants_placement)
        return FM_RULE_WANTS;
    int rk = student_rank_of(s, p->sector);
    if (!rk)
        return FM_RULE_SECTOR;
    if (fm_geo_age(s->birth_date, date) < p->min_age)
        return FM_RULE_AGE;
    if (!week_ok(r, s, p->week))
        return FM_RULE_WEEK;
    if (s->needs_access && !p->accessible && !p->is_virtual)
        return FM_RULE_ACCESS;
    return distance_rule(s, p->is_virtual, p->lat, p->lon, cos_s, cos_p, s->max_travel_km,
                         VIRTUAL_PLACEMENT_KM, rk, rank, utility, distance_km);
}

int fm_cands_check_placement(const fm_region *r, int32_t date, int32_t student,
                             int32_t placement, int *rank, int *utility,
                             double *distance_km)
{
    return check_placement(r, date, student, placement,
                           fm_geo_cos_lat(r->students[student].lat),
                           fm_geo_cos_lat(r->placements[placement].lat),
                           rank, utility, distance_km);
}

static int mentor_best_rank(const fm_region *r, const fm_student *s, const fm_mentor *m)
{
    int best = 0;
    const int32_t *secs = r->ints + m->sectors_off;
    for (int32_t k = 0; k < m->n_sectors; k++) {
        int rk = student_rank_of(s, secs[k]);
        if (rk && (!best || rk < best))
            best = rk;
    }
    return best;
}

static int check_mentor(const fm_region *r, int32_t date, int32_t student,
                        int32_t mentor, double cos_s, double cos_m,
                        int *rank, int *utility, double *distance_km)
{
    const fm_student *s = &r->students[student];
    const fm_mentor *m = &r->mentors[mentor];
    if (!s->wants_mentor)
        return FM_RULE_WANTS;
    int rk = mentor_best_rank(r, s, m);
    if (!rk)
        return FM_RULE_SECTOR;
    if (fm_geo_age(s->birth_date, date) < 18 &&
        (m->dbs_valid_until == 0 || m->dbs_valid_until < date))
        return FM_RULE_SAFEGUARDING;
    double limit = s->max_travel_km < m->max_travel_km ? s->max_travel_km : m->max_travel_km;
    return distance_rule(s, m->online, m->lat, m->lon, cos_s, cos_m, limit, ONLINE_MENTOR_KM,
                         rk, rank, utility, distance_km);
}

int fm_cands_check_mentor(const fm_region *r, int32_t date, int32_t student,
                          int32_t mentor, int *rank, int *utility,
                          double *distance_km)
{
    return check_mentor(r, date, student, mentor,
                        fm_geo_cos_lat(r->students[student].lat),
                        fm_geo_cos_lat(r->mentors[mentor].lat),
                        rank, utility, distance_km);
}

/* ---- building the pair lists ---------------------------------------------- */

typedef struct builder {
    const fm_region *r;
    int32_t date;
    int mentors;
    const target_index *ix;  /* shared, read-only */
    const double *cos_target; /* shared: cos(latitude) per target */
    double cos_student;      /* of the student being listed */
    int32_t first;           /* first student of this builder's range */
    int32_t *seen;           /* per target: last student that saw it, +1 */
    pair *buf;               /* one student's pairs */
    size_t n_buf, cap_buf;
    fm_cands *out;
    size_t cap_pairs;
} builder;

static int buf_push(builder *b, int32_t target, int utility, int rank)
{
    if (b->n_buf == b->cap_buf) {
        size_t cap = b->cap_buf ? 2 * b->cap_buf : 256;
        pair *nb = realloc(b->buf, cap * sizeof *nb);
        if (!nb)
            return FM_ENOMEM;
        b->buf = nb;
        b->cap_buf = cap;
    }
    b->buf[b->n_buf] = pair_pack(target, utility, rank);
    b->n_buf++;
    return FM_OK;
}

static int consider(builder *b, int32_t student, int32_t target)
{
    if (b->seen[target] == student + 1)
        return FM_OK; /* a mentor listed under two of the student's sectors */
    b->seen[target] = student + 1;
    int rank, utility;
    int rule = b->mentors
        ? check_mentor(b->r, b->date, student, target, b->cos_student,
                       b->cos_target[target], &rank, &utility, NULL)
        : check_placement(b->r, b->date, student, target, b->cos_student,
                          b->cos_target[target], &rank, &utility, NULL);
    return rule == FM_RULE_NONE ? buf_push(b, target, utility, rank) : FM_OK;
}

/* Longitude half-width (degrees) of the great-circle disc of radius km around
 * latitude lat, or 180 when the disc reaches a pole. */
static double lon_halfwidth(double lat, double km)
{
    double delta = km / FM_EARTH_RADIUS_KM;
    double c = cos(lat * (M_PI / 180.0));
    if (delta >= M_PI / 2 || sin(delta) >= c)
        return 180.0;
    return asin(sin(delta) / c) * (180.0 / M_PI);
}

static int scan_grid(builder *b, int32_t student, const sector_file *f)
{
    const fm_student *s = &b->r->students[student];
    double km = s->max_travel_km * (1.0 + 1e-9) + 1e-6; /* never too narrow */
    double dlat = km / FM_EARTH_RADIUS_KM * (180.0 / M_PI);
    double lat_lo = s->lat - dlat, lat_hi = s->lat + dlat;
    double hw = lon_halfwidth(fabs(s->lat) + dlat > 90.0 ? 90.0 : fabs(s->lat) + dlat, km);
    int64_t row_lo = cell_row(lat_lo < -90.0 ? -90.0 : lat_lo);
    int64_t row_hi = cell_row(lat_hi > 90.0 ? 90.0 : lat_hi);
    /* Longitude ranges, split where they cross the antimeridian. */
    double ranges[2][2];
    int n_ranges = 0;
    if (hw >= 180.0) {
        ranges[n_ranges][0] = -180.0; ranges[n_ranges++][1] = 180.0;
    } else {
        double lo = s->lon - hw, hi = s->lon + hw;
        if (lo < -180.0) {
            ranges[n_ranges][0] = lo + 360.0; ranges[n_ranges++][1] = 180.0;
            lo = -180.0;
        }
        if (hi > 180.0) {
            ranges[n_ranges][0] = -180.0; ranges[n_ranges++][1] = hi - 360.0;
            hi = 180.0;
        }
        ranges[n_ranges][0] = lo; ranges[n_ranges++][1] = hi;
    }
    for (int64_t row = row_lo; row <= row_hi; row++) {
        for (int k = 0; k < n_ranges; k++) {
            int64_t k_lo = row * GRID_COLS + cell_col(ranges[k][0]);
            int64_t k_hi = row * GRID_COLS + cell_col(ranges[k][1]);
            for (size_t i = lower_bound(f->keys, f->n_local, k_lo);
                 i < f->n_local && f->keys[i] <= k_hi; i++) {
                int rc = consider(b, student, f->local[i]);
                if (rc)
                    return rc;
            }
        }
    }
    return FM_OK;
}

static int append_student(builder *b, int32_t student)
{
    fm_cands *c = b->out;
    if (b->n_buf > 1)
        sort_pairs(b->buf, b->n_buf);
    if ((size_t)c->n_pairs + b->n_buf > b->cap_pairs) {
        size_t cap = b->cap_pairs ? b->cap_pairs : 1024;
        while (cap < (size_t)c->n_pairs + b->n_buf)
            cap *= 2;
        int32_t *t = realloc(c->target, cap * sizeof *t);
        if (!t)
            return FM_ENOMEM;
        c->target = t;
        int16_t *u = realloc(c->utility, cap * sizeof *u);
        if (!u)
            return FM_ENOMEM;
        c->utility = u;
        int8_t *rk = realloc(c->rank, cap * sizeof *rk);
        if (!rk)
            return FM_ENOMEM;
        c->rank = rk;
        b->cap_pairs = cap;
    }
    for (size_t i = 0; i < b->n_buf; i++) {
        c->target[c->n_pairs] = pair_target(b->buf[i]);
        c->utility[c->n_pairs] = (int16_t)pair_utility(b->buf[i]);
        c->rank[c->n_pairs] = (int8_t)pair_rank(b->buf[i]);
        c->n_pairs++;
    }
    c->start[student - b->first + 1] = c->n_pairs;
    return FM_OK;
}

/* Lists the pairs of students [b->first, last) into b->out, whose start[]
 * is relative to b->first. */
static int build_range(builder *b, int32_t last)
{
    const fm_region *r = b->r;
    size_t nt = b->mentors ? r->n_mentors : r->n_placements;
    fm_cands *out = b->out;
    out->n_students = last - b->first;
    out->start = calloc((size_t)out->n_students + 1, sizeof *out->start);
    b->seen = calloc(nt + 1, sizeof *b->seen);
    if (!out->start || !b->seen)
        return FM_ENOMEM;
    for (int32_t student = b->first; student < last; student++) {
        const fm_student *s = &r->students[student];
        int rc;
        b->n_buf = 0;
        b->cos_student = fm_geo_cos_lat(s->lat);
        if (b->mentors ? s->wants_mentor : s->wants_placement) {
            for (int k = 0; k < s->n_sectors; k++) {
                int32_t sec = s->sectors[k];
                if (sec < 0 || (size_t)sec >= b->ix->n_sectors ||
                    student_rank_of(s, sec) != k + 1)
                    continue; /* listed twice: the first rank counts */
                const sector_file *f = &b->ix->sectors[sec];
                for (size_t i = 0; i < f->n_remote; i++)
                    if ((rc = consider(b, student, f->remote[i])))
                        return rc;
                if (f->n_local && (rc = scan_grid(b, student, f)))
                    return rc;
            }
        }
        if ((rc = append_student(b, student)))
            return rc;
    }
    return FM_OK;
}

typedef struct worker {
    builder b;
    fm_cands part;
    int32_t last;
    int rc;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    w->rc = build_range(&w->b, w->last);
    return NULL;
}

/* Concatenates the parts, in student order, into out. */
static int merge_parts(worker *w, int n_workers, int32_t n_students, fm_cands *out)
{
    int64_t total = 0;
    for (int i = 0; i < n_workers; i++)
        total += w[i].part.n_pairs;
    out->n_students = n_students;
    out->n_pairs = total;
    out->start = malloc(((size_t)n_students + 1) * sizeof *out->start);
    out->target = malloc(((size_t)total + 1) * sizeof *out->target);
    out->utility = malloc(((size_t)total + 1) * sizeof *out->utility);
    out->rank = malloc((size_t)total + 1);
    if (!out->start || !out->target || !out->utility || !out->rank)
        return FM_ENOMEM;
    int64_t at = 0;
    out->start[0] = 0;
    for (int i = 0; i < n_workers; i++) {
        const fm_cands *p = &w[i].part;
        for (int32_t k = 0; k < p->n_students; k++)
            out->start[w[i].b.first + k + 1] = at + p->start[k + 1];
        if (p->n_pairs) {
            memcpy(out->target + at, p->target, (size_t)p->n_pairs * sizeof *p->target);
            memcpy(out->utility + at, p->utility, (size_t)p->n_pairs * sizeof *p->utility);
            memcpy(out->rank + at, p->rank, (size_t)p->n_pairs);
        }
        at += p->n_pairs;
    }
    return FM_OK;
}

/* Threads: up to the online CPUs (at most 8), one student range each, so
 * the result does not depend on how many ran. */
static int n_threads(size_t n_students, int wanted)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = wanted > 0 ? wanted : (cpus < 1 ? 1 : (int)cpus);
    if (n > 8)
        n = 8;
    if (n_students < 2000)
        n = 1;
    return n;
}

int fm_cands_build(const fm_region *r, int32_t date, int mentors, int threads,
                   fm_cands *out, fm_error *err)
{
    target_index ix = { 0 };
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    int n_workers = n_threads(r->n_students, threads), started = 0;
    worker *w = calloc((size_t)n_workers, sizeof *w);
    pthread_t *tid = calloc((size_t)n_workers, sizeof *tid);
    double *cos_target = malloc((nt + 1) * sizeof *cos_target);
    int rc = FM_ENOMEM;
    memset(out, 0, sizeof *out);
    if (!w || !tid || !cos_target || index_build(r, mentors, &ix) != FM_OK)
        goto out;
    for (size_t t = 0; t < nt; t++)
        cos_target[t] = fm_geo_cos_lat(mentors ? r->mentors[t].lat : r->placements[t].lat);
    for (int i = 0; i < n_workers; i++) {
        w[i].b = (builder){ .r = r, .date = date, .mentors = mentors, .ix = &ix,
                            .cos_target = cos_target, .out = &w[i].part,
                            .first = (int32_t)(r->n_students * (size_t)i / (size_t)n_workers) };
        w[i].last = (int32_t)(r->n_students * (size_t)(i + 1) / (size_t)n_workers);
    }
    for (int i = 1; i < n_workers; i++) {
        if (pthread_create(&tid[i], NULL, run_worker, &w[i]) != 0)
            break;
        started = i;
    }
    run_worker(&w[0]);
    for (int i = 1; i < n_workers; i++) {
        if (i <= started)
            pthread_join(tid[i], NULL);
        else
            run_worker(&w[i]); /* a thread could not start: do its share here */
    }
    rc = FM_OK;
    for (int i = 0; i < n_workers; i++)
        if (w[i].rc)
            rc = w[i].rc;
    if (rc == FM_OK)
        rc = merge_parts(w, n_workers, (int32_t)r->n_students, out);
out:
    if (w)
        for (int i = 0; i < n_workers; i++) {
            fm_cands_free(&w[i].part);
            free(w[i].b.seen);
            free(w[i].b.buf);
        }
    free(w);
    free(tid);
    free(cos_target);
    index_free(&ix);
    if (rc != FM_OK) {
        fm_cands_free(out);
        fm_error_set(err, rc, "out of memory while listing candidate pairs");
    }
    return rc;
}

int fm_cands_build_placements(const fm_region *r, int32_t date, fm_cands *out,
                              fm_error *err)
{
    return fm_cands_build(r, date, 0, 0, out, err);
}

int fm_cands_build_mentors(const fm_region *r, int32_t date, fm_cands *out,
                           fm_error *err)
{
    return fm_cands_build(r, date, 1, 0, out, err);
}

void fm_cands_free(fm_cands *c)
{
    free(c->start);
    free(c->target);
    free(c->utility);
    free(c->rank);
    memset(c, 0, sizeof *c);
}
