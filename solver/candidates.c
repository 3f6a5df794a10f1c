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
 * exactly.  Distances: the squared chord between unit vectors first rejects
 * what is clearly too far, then gives the distance through one asin; only
 * where that could decide differently from geo.c's haversine (within 1e-9
 * km of the limit or of a whole kilometre, or far apart) is geo.c asked.
 *
 * Normal case: out holds the CSR pair lists.  Failure: FM_ENOMEM, out empty.
 */
#include "candidates.h"
#include "parallel.h"

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
    double *xyz;            /* their unit vectors, 3 per target, same order */
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
#define FM_UTILITY_SPAN 511 /* 500 - utility fits 9 bits */

static pair pair_pack(int32_t target, int utility, int rank)
{
    return ((uint64_t)(500 - utility) << 40) | ((uint64_t)(uint32_t)target << 8) |
           (uint64_t)rank;
}

static int32_t pair_target(pair p) { return (int32_t)(uint32_t)(p >> 8); }
static int pair_utility(pair p) { return 500 - (int)(p >> 40); }
static int pair_rank(pair p) { return (int)(p & 0xff); }

/* Sorts one student's pairs ascending, i.e. by utility descending, then
 * target: a counting sort over the student's range of 500 - utility, then
 * insertion sort inside each (small) group of equal utility. */
static void sort_pairs(pair *a, pair *tmp, size_t n)
{
    size_t count[FM_UTILITY_SPAN + 1];
    unsigned lo = FM_UTILITY_SPAN, hi = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(a[i] >> 40);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    memset(count + lo, 0, (hi - lo + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[a[i] >> 40]++;
    size_t at = 0;
    for (unsigned d = lo; d <= hi; d++) {
        size_t c = count[d];
        count[d] = at;
        at += c;
    }
    for (size_t i = 0; i < n; i++)
        tmp[count[a[i] >> 40]++] = a[i];
    for (size_t i = 0; i < n; i++) {
        pair v = tmp[i];
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

static void unit_vector(double lat, double lon, double *xyz)
{
    double phi = lat * (M_PI / 180.0), lambda = lon * (M_PI / 180.0);
    xyz[0] = cos(phi) * cos(lambda);
    xyz[1] = cos(phi) * sin(lambda);
    xyz[2] = sin(phi);
}

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
        free(ix->sectors[i].xyz);
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
        f->xyz = malloc(3 * n_local[s] * sizeof *f->xyz);
        if (!f->keys || !f->local || !f->xyz)
            goto out;
        for (size_t i = 0; i < n_local[s]; i++) {
            int32_t t = scratch[s][i].target;
            f->keys[i] = scratch[s][i].key;
            f->local[i] = t;
            if (mentors)
                unit_vector(r->mentors[t].lat, r->mentors[t].lon, f->xyz + 3 * i);
            else
                unit_vector(r->placements[t].lat, r->placements[t].lon, f->xyz + 3 * i);
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

/* The great-circle distance from the squared chord between the unit
 * vectors (the same haversine "a" reached without the sines), or -1 where
 * it might not decide exactly as geo.c would: unknown chord, far points
 * (asin is ill-conditioned near 1), or within 1e-9 km of the limit or of a
 * whole kilometre, where the utility's floor() turns.  Elsewhere the two
 * computations differ by about 1e-12 km, so they decide the same. */
static double chord_distance(double chord2, double limit)
{
    if (!(chord2 >= 0.0 && chord2 < 1.0))
        return -1.0;
    double d = 2.0 * FM_EARTH_RADIUS_KM * asin(sqrt(chord2 * 0.25));
    if (fabs(d - limit) < 1e-9 || d - floor(d) < 1e-9 || ceil(d) - d < 1e-9)
        return -1.0;
    return d;
}

/* The last rule of both sides, then the outputs: a remote target is always
 * near enough and counts as remote_km; an in-person one must be within
 * limit km.  chord2: the pair's squared chord when known, else negative. */
static int distance_rule(const fm_student *s, int remote, double lat, double lon,
                         double cos_s, double cos_t, double chord2, double limit,
                         int remote_km, int rk, int *rank, int *utility, double *distance_km)
{
    double dist = -1.0;
    int d = remote_km;
    if (!remote) {
        dist = chord_distance(chord2, limit);
        if (dist < 0.0)
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

/* Rules 3-6 of policy.md for a student who wants placements and lists the
 * placement's sector at rank rk, aged age on the round date. */
static int placement_rest(const fm_region *r, const fm_student *s, const fm_placement *p,
                          int rk, int age, double cos_s, double cos_p, double chord2,
                          int *rank, int *utility, double *distance_km)
{
    if (age < p->min_age)
        return FM_RULE_AGE;
    if (!week_ok(r, s, p->week))
        return FM_RULE_WEEK;
    if (s->needs_access && !p->accessible && !p->is_virtual)
        return FM_RULE_ACCESS;
    return distance_rule(s, p->is_virtual, p->lat, p->lon, cos_s, cos_p, chord2,
                         s->max_travel_km, VIRTUAL_PLACEMENT_KM, rk, rank, utility, distance_km);
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
    return placement_rest(r, s, p, rk, fm_geo_age(s->birth_date, date), cos_s, cos_p, -1.0,
                          rank, utility, distance_km);
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
                        int32_t mentor, double cos_s, double cos_m, double chord2,
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
    return distance_rule(s, m->online, m->lat, m->lon, cos_s, cos_m, chord2, limit,
                         ONLINE_MENTOR_KM, rk, rank, utility, distance_km);
}

int fm_cands_check_mentor(const fm_region *r, int32_t date, int32_t student,
                          int32_t mentor, int *rank, int *utility,
                          double *distance_km)
{
    return check_mentor(r, date, student, mentor,
                        fm_geo_cos_lat(r->students[student].lat),
                        fm_geo_cos_lat(r->mentors[mentor].lat), -1.0,
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
    double xyz[3];           /* its unit vector */
    double chord2_max;       /* squared chord beyond its travel limit */
    int rank, age;           /* placements: rank of the sector being read, age */
    int32_t first;           /* first student of this builder's range */
    int32_t *seen;           /* per target: last student that saw it, +1 */
    pair *buf, *tmp;         /* one student's pairs; sorting space */
    size_t n_buf, cap_buf;
    fm_cands *out;           /* start[] and n_pairs; the pairs are in blocks */
    pair **blocks;           /* BLOCK_PAIRS packed pairs each, never moved */
    size_t n_blocks, cap_blocks;
} builder;

static int buf_push(builder *b, int32_t target, int utility, int rank)
{
    if (b->n_buf == b->cap_buf) {
        size_t cap = b->cap_buf ? 2 * b->cap_buf : 256;
        pair *nb = realloc(b->buf, cap * sizeof *nb);
        if (!nb)
            return FM_ENOMEM;
        b->buf = nb;
        pair *nt = realloc(b->tmp, cap * sizeof *nt);
        if (!nt)
            return FM_ENOMEM;
        b->tmp = nt;
        b->cap_buf = cap;
    }
    b->buf[b->n_buf] = pair_pack(target, utility, rank);
    b->n_buf++;
    return FM_OK;
}

/* A placement is read once per student (its one sector is visited once);
 * a mentor may be filed under several of the student's sectors. */
static int consider(builder *b, int32_t student, int32_t target, double chord2)
{
    int rank, utility, rule;
    if (b->mentors) {
        if (b->seen[target] == student + 1)
            return FM_OK;
        b->seen[target] = student + 1;
        rule = check_mentor(b->r, b->date, student, target, b->cos_student,
                            b->cos_target[target], chord2, &rank, &utility, NULL);
    } else {
        rule = placement_rest(b->r, &b->r->students[student], &b->r->placements[target],
                              b->rank, b->age, b->cos_student, b->cos_target[target],
                              chord2, &rank, &utility, NULL);
    }
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

/* The squared chord between two unit vectors beyond which the great-circle
 * distance certainly exceeds km: the haversine "a" of a pair is a quarter of
 * its squared chord, so the bound is 4 sin^2(km / 2R), widened far beyond
 * the rounding of either computation (the exact test follows anyway; this
 * only spares the trigonometry of pairs that are clearly too far). */
static double chord2_limit(double km)
{
    double half = (km * (1.0 + 1e-9) + 1e-6) / (2.0 * FM_EARTH_RADIUS_KM);
    if (half >= M_PI / 2)
        return 5.0; /* beyond any chord: never rejects */
    double sh = sin(half);
    return 4.0 * sh * sh * (1.0 + 1e-9) + 4e-12;
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
                const double *t = f->xyz + 3 * i;
                double dx = t[0] - b->xyz[0], dy = t[1] - b->xyz[1], dz = t[2] - b->xyz[2];
                double chord2 = dx * dx + dy * dy + dz * dz;
                if (chord2 > b->chord2_max)
                    continue; /* certainly beyond the travel limit */
                int rc = consider(b, student, f->local[i], chord2);
                if (rc)
                    return rc;
            }
        }
    }
    return FM_OK;
}

/* Pairs are kept packed in fixed blocks while listing (no copying as they
 * grow) and unpacked once, by merge_parts, into the final arrays. */
#define BLOCK_PAIRS ((size_t)1 << 18)

static int append_student(builder *b, int32_t student)
{
    fm_cands *c = b->out;
    if (b->n_buf > 1)
        sort_pairs(b->buf, b->tmp, b->n_buf);
    for (size_t i = 0; i < b->n_buf; i++) {
        size_t in_block = (size_t)c->n_pairs % BLOCK_PAIRS;
        if (in_block == 0 && (size_t)c->n_pairs / BLOCK_PAIRS == b->n_blocks) {
            if (b->n_blocks == b->cap_blocks) {
                size_t cap = b->cap_blocks ? 2 * b->cap_blocks : 16;
                pair **nb = realloc(b->blocks, cap * sizeof *nb);
                if (!nb)
                    return FM_ENOMEM;
                b->blocks = nb;
                b->cap_blocks = cap;
            }
            if (!(b->blocks[b->n_blocks] = malloc(BLOCK_PAIRS * sizeof **b->blocks)))
                return FM_ENOMEM;
            b->n_blocks++;
        }
        b->blocks[(size_t)c->n_pairs / BLOCK_PAIRS][in_block] = b->buf[i];
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
            unit_vector(s->lat, s->lon, b->xyz);
            b->chord2_max = chord2_limit(s->max_travel_km);
            b->age = fm_geo_age(s->birth_date, b->date);
            for (int k = 0; k < s->n_sectors; k++) {
                int32_t sec = s->sectors[k];
                if (sec < 0 || (size_t)sec >= b->ix->n_sectors ||
                    student_rank_of(s, sec) != k + 1)
                    continue; /* listed twice: the first rank counts */
                b->rank = k + 1;
                const sector_file *f = &b->ix->sectors[sec];
                for (size_t i = 0; i < f->n_remote; i++)
                    if ((rc = consider(b, student, f->remote[i], -1.0)))
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
        for (int64_t k = 0; k < p->n_pairs; k++, at++) {
            pair v = w[i].b.blocks[(size_t)k / BLOCK_PAIRS][(size_t)k % BLOCK_PAIRS];
            out->target[at] = pair_target(v);
            out->utility[at] = (int16_t)pair_utility(v);
            out->rank[at] = (int8_t)pair_rank(v);
            if ((size_t)k % BLOCK_PAIRS == BLOCK_PAIRS - 1 || k == p->n_pairs - 1) {
                free(w[i].b.blocks[(size_t)k / BLOCK_PAIRS]); /* keeps the peak low */
                w[i].b.blocks[(size_t)k / BLOCK_PAIRS] = NULL;
            }
        }
    }
    return FM_OK;
}

/* Threads: up to the online CPUs (at most 8), one student range each, so
 * the result does not depend on how many ran. */
static int n_threads(size_t n_students, int wanted)
{
    return n_students < 2000 ? 1 : fm_parallel_threads(wanted);
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
            free(w[i].b.tmp);
            for (size_t k = 0; k < w[i].b.n_blocks; k++)
                free(w[i].b.blocks[k]);
            free(w[i].b.blocks);
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
