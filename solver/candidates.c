/*
 * candidates.c - every eligible (student, target) pair of a round, found
 * without comparing every student with every target (see candidates.h).
 *
 * Targets (placements or mentors) are filed per sector: remote ones
 * (virtual placements, online mentors) in a plain list, in-person ones in a
 * list sorted by grid cell (0.1 degree), each entry carrying what the rules
 * need (unit vector, week, minimum age, access, DBS), so the scan reads one
 * array.  For a student, each listed sector is visited once, in rank order;
 * in-person targets are read only from the grid rows and columns that the
 * exact great-circle bounding box of the student's travel radius touches,
 * then every rule of policy.md is checked exactly.
 *
 * Distances: the squared chord c between unit vectors first rejects what
 * is clearly too far.  Then c is compared with the squared chords of the
 * travel limit and of every whole kilometre up to 99, each widened to a
 * band of +-1e-7 km: outside every band, c decides the limit and the
 * utility's floor() the way the old asin of c and geo.c's haversine both
 * would (they agree to about 1e-12 km); inside a band, or for limits over
 * 1000 km, the exact rule of cand_rules.c decides (asin, and geo.c near a
 * boundary).  So the pairs do not depend on the shortcut.
 *
 * Order: a sector at rank k gives utilities 100 * (6 - k) - cost with cost
 * 0..99, so the sectors' utility ranges are disjoint and descending, and
 * each sector's pairs are sorted alone: a counting sort by cost, then
 * targets ascending inside each (small) cost group.
 *
 * Threads: they claim chunks of 256 students in order and list each into a
 * small buffer; the chunks take their places in the result strictly in
 * student order and are copied there, so the pair arrays are written once,
 * in sequence, and the result is the same byte for byte whatever the number
 * of threads.
 *
 * Normal case: out holds the CSR pair lists.  Failure: FM_ENOMEM, out empty.
 */
#include "candidates.h"
#include "parallel.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include "cand_rules.h"
#include "geo.h"
#include "solver.h"

#define CELL_DEG 0.1
#define GRID_COLS 3601 /* longitude cells: 360 / CELL_DEG + 1 */
#define MAX_COST 99    /* the utility counts at most 99 km */

/* A target as the listing reads it. */
typedef struct filed {
    double xyz[3];       /* unit vector (in-person targets) */
    int32_t target;      /* placement or mentor index */
    int32_t week;        /* placements: yyyyww, 0 = any week */
    int32_t min_age;     /* placements */
    uint8_t accessible;  /* placements */
    uint8_t dbs_ok;      /* mentors: a DBS check valid on the round date */
} filed;

typedef struct sector_file {
    filed *remote;          /* targets needing no distance check */
    size_t n_remote;
    int64_t *keys;          /* grid cell keys, sorted */
    filed *local;           /* in-person targets, same order as keys */
    size_t n_local;
} sector_file;

/* A travel limit as squared chords: c < lo is certainly within the limit,
 * c > hi certainly beyond; fast == 0 (limit over FAST_MAX_KM or not a
 * number): the exact rule always decides. */
typedef struct limit_band {
    double lo, hi;
    int fast;
} limit_band;

#define BAND_KM 1e-7
#define FAST_MAX_KM 1000.0

typedef struct target_index {
    sector_file *sectors;
    size_t n_sectors;
    limit_band *mentor_band;           /* mentors: per mentor */
    double km_lo[MAX_COST + 1];        /* [k]: squared chord of k - BAND_KM */
    double km_hi[MAX_COST + 1];        /* [k]: squared chord of k + BAND_KM */
} target_index;

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

/* ---- distances as squared chords ----------------------------------------- */

static void unit_vector(double lat, double lon, double *xyz)
{
    double phi = lat * (M_PI / 180.0), lambda = lon * (M_PI / 180.0);
    xyz[0] = cos(phi) * cos(lambda);
    xyz[1] = cos(phi) * sin(lambda);
    xyz[2] = sin(phi);
}

/* The squared chord between two unit vectors km apart on the sphere. */
static double km_chord2(double km)
{
    double s = sin(km / (2.0 * FM_EARTH_RADIUS_KM));
    return 4.0 * s * s;
}

static limit_band band_of(double km)
{
    limit_band b = { -1.0, -1.0, 0 };
    if (!(km >= 0.0 && km <= FAST_MAX_KM))
        return b;
    b.lo = km > BAND_KM ? km_chord2(km - BAND_KM) : -1.0;
    b.hi = km_chord2(km + BAND_KM);
    b.fast = 1;
    return b;
}

#define COST_BEYOND (-1) /* beyond the travel limit */
#define COST_EXACT (-2)  /* too near a boundary: the exact rule decides */

/* The distance cost (0..99) of an in-person pair with squared chord c
 * under the limit lb, COST_BEYOND or COST_EXACT.  R * sqrt(c) is within
 * 1 km of the distance below 1000 km and only picks where to start: the
 * bands decide. */
static int fast_cost(const target_index *ix, const limit_band *lb, double c)
{
    if (!lb->fast)
        return COST_EXACT;
    if (!(c < lb->lo))
        return c > lb->hi ? COST_BEYOND : COST_EXACT;
    int k = (int)(FM_EARTH_RADIUS_KM * sqrt(c));
    if (k > MAX_COST)
        k = MAX_COST;
    while (k >= 1 && !(c > ix->km_hi[k])) { /* not certainly k km or more */
        if (!(c < ix->km_lo[k]))
            return COST_EXACT;
        k--;
    }
    while (k < MAX_COST && !(c < ix->km_lo[k + 1])) { /* not certainly under k + 1 */
        if (!(c > ix->km_hi[k + 1]))
            return COST_EXACT;
        k++;
    }
    return k;
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
    for (size_t i = 0; ix->sectors && i < ix->n_sectors; i++) {
        free(ix->sectors[i].remote);
        free(ix->sectors[i].keys);
        free(ix->sectors[i].local);
    }
    free(ix->sectors);
    free(ix->mentor_band);
    memset(ix, 0, sizeof *ix);
}

static filed file_target(const fm_region *r, int mentors, int32_t date, int32_t t)
{
    filed f = { .target = t };
    if (mentors) {
        const fm_mentor *m = &r->mentors[t];
        f.dbs_ok = !(m->dbs_valid_until == 0 || m->dbs_valid_until < date);
        if (!m->online)
            unit_vector(m->lat, m->lon, f.xyz);
    } else {
        const fm_placement *p = &r->placements[t];
        f.week = p->week;
        f.min_age = p->min_age;
        f.accessible = p->accessible;
        if (!p->is_virtual)
            unit_vector(p->lat, p->lon, f.xyz);
    }
    return f;
}

static int index_build(const fm_region *r, int mentors, int32_t date, target_index *ix)
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
    for (int k = 1; k <= MAX_COST; k++) {
        ix->km_lo[k] = km_chord2(k - BAND_KM);
        ix->km_hi[k] = km_chord2(k + BAND_KM);
    }
    if (mentors) {
        if (!(ix->mentor_band = malloc((nt + 1) * sizeof *ix->mentor_band)))
            goto out;
        for (size_t t = 0; t < nt; t++)
            ix->mentor_band[t] = band_of(r->mentors[t].max_travel_km);
    }

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
                        ix->sectors[s].remote[n_remote[s]] =
                            file_target(r, mentors, date, (int32_t)t);
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
            f->local[i] = file_target(r, mentors, date, scratch[s][i].target);
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

/* ---- building the pair lists ---------------------------------------------- */

typedef struct builder {
    const fm_region *r;
    int32_t date;
    int mentors;
    const target_index *ix;  /* shared, read-only */
    /* the student being listed */
    const fm_student *s;
    int32_t student;
    double cos_student;
    double xyz[3];           /* its unit vector */
    double chord2_max;       /* squared chord beyond its travel limit */
    limit_band band;         /* its travel limit */
    int age, minor;
    const int32_t *weeks;    /* its weeks; n_weeks == 0: any */
    int32_t n_weeks;
    int rank;                /* of the sector being read */
    /* the pairs of the sector being read, unsorted */
    int32_t *cand_target;
    uint8_t *cand_cost;
    size_t n_cand;
    size_t n_cost[MAX_COST + 1]; /* how many of them at each cost */
    int cost_lo, cost_hi;    /* the range of their costs (lo > hi: none) */
    int32_t *seen;           /* mentors, per target: last student that saw it, +1 */
    fm_cands *out;           /* this chunk's lists, start[] relative to its first */
    size_t cap;              /* room in out's pair arrays */
} builder;

static int week_ok(const builder *b, int32_t week)
{
    if (b->n_weeks == 0 || week == 0)
        return 1;
    for (int32_t k = 0; k < b->n_weeks; k++)
        if (b->weeks[k] == week)
            return 1;
    return 0;
}

/* Notes a pair of the sector being read, counting it under its cost. */
static void take(builder *b, int32_t target, int cost)
{
    b->cand_target[b->n_cand] = target;
    b->cand_cost[b->n_cand] = (uint8_t)cost;
    b->n_cand++;
    b->n_cost[cost]++;
    b->cost_lo = cost < b->cost_lo ? cost : b->cost_lo;
    b->cost_hi = cost > b->cost_hi ? cost : b->cost_hi;
}

/* A mentor may be filed under several of the student's sectors: it is
 * read once, at the first, which is its best rank.  Then safeguarding. */
static int mentor_ok(builder *b, const filed *f)
{
    if (b->seen[f->target] == b->student + 1)
        return 0;
    b->seen[f->target] = b->student + 1;
    return !(b->minor && !f->dbs_ok);
}

/* A remote target: every rule but distance, which counts a fixed km. */
static void consider_remote(builder *b, const filed *f)
{
    if (b->mentors) {
        if (mentor_ok(b, f))
            take(b, f->target, FM_ONLINE_MENTOR_KM);
    } else {
        if (b->age < f->min_age || !week_ok(b, f->week))
            return;
        take(b, f->target, FM_VIRTUAL_PLACEMENT_KM);
    }
}

/* An in-person target within the student's chord bound. */
static void consider_local(builder *b, const filed *f, double chord2)
{
    const limit_band *lb = &b->band;
    double limit = b->s->max_travel_km, lat, lon;
    if (b->mentors) {
        if (!mentor_ok(b, f))
            return;
        const fm_mentor *m = &b->r->mentors[f->target];
        if (!(limit < m->max_travel_km)) {
            limit = m->max_travel_km;
            lb = &b->ix->mentor_band[f->target];
        }
    } else {
        if (b->age < f->min_age || !week_ok(b, f->week) ||
            (b->s->needs_access && !f->accessible))
            return;
    }
    int cost = fast_cost(b->ix, lb, chord2);
    if (cost == COST_EXACT) {
        if (b->mentors) {
            lat = b->r->mentors[f->target].lat;
            lon = b->r->mentors[f->target].lon;
        } else {
            lat = b->r->placements[f->target].lat;
            lon = b->r->placements[f->target].lon;
        }
        cost = fm_cand_rules_distance_cost(b->s, lat, lon, b->cos_student,
                                           fm_geo_cos_lat(lat), chord2, limit);
    }
    if (cost >= 0)
        take(b, f->target, cost);
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

static void scan_grid(builder *b, const sector_file *f)
{
    const fm_student *s = b->s;
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
    double x = b->xyz[0], y = b->xyz[1], z = b->xyz[2], c_max = b->chord2_max;
    for (int64_t row = row_lo; row <= row_hi; row++) {
        for (int k = 0; k < n_ranges; k++) {
            int64_t k_lo = row * GRID_COLS + cell_col(ranges[k][0]);
            int64_t k_hi = row * GRID_COLS + cell_col(ranges[k][1]);
            for (size_t i = lower_bound(f->keys, f->n_local, k_lo);
                 i < f->n_local && f->keys[i] <= k_hi; i++) {
                const filed *t = &f->local[i];
                double dx = t->xyz[0] - x, dy = t->xyz[1] - y, dz = t->xyz[2] - z;
                double chord2 = dx * dx + dy * dy + dz * dz;
                if (chord2 > c_max)
                    continue; /* certainly beyond the travel limit */
                consider_local(b, t, chord2);
            }
        }
    }
}

/* Asks the kernel for 2 MiB pages in the whole 2 MiB stretches of
 * [p, p + bytes): the pair arrays are hundreds of MiB written once in
 * sequence, and one fault per 4 KiB page costs more than listing the pairs
 * in them.  Only a hint: where it is refused or unknown nothing changes. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Gives c's pair arrays room for cap pairs (c->n_pairs of them kept). */
static int reserve(fm_cands *c, size_t cap, int huge)
{
    int32_t *t = realloc(c->target, cap * sizeof *t);
    if (!t)
        return FM_ENOMEM;
    c->target = t;
    int16_t *u = realloc(c->utility, cap * sizeof *u);
    if (!u)
        return FM_ENOMEM;
    c->utility = u;
    int8_t *k = realloc(c->rank, cap);
    if (!k)
        return FM_ENOMEM;
    c->rank = k;
    if (huge) {
        advise_huge(t, cap * sizeof *t);
        advise_huge(u, cap * sizeof *u);
        advise_huge(k, cap);
    }
    return FM_OK;
}

/* Room for need pairs in the builder's chunk arrays: doubling. */
static int grow(builder *b, size_t need)
{
    if (need <= b->cap)
        return FM_OK;
    size_t cap = b->cap ? 2 * b->cap : (size_t)1 << 14;
    while (cap < need)
        cap *= 2;
    if (reserve(b->out, cap, 0))
        return FM_ENOMEM;
    b->cap = cap;
    return FM_OK;
}

/* Appends the sector's pairs to out in the documented order: cost
 * ascending (utility descending), then target ascending: a counting sort
 * by cost, then an insertion sort of each (small) cost group by target. */
static int emit_sector(builder *b)
{
    fm_cands *c = b->out;
    size_t n = b->n_cand, at = (size_t)c->n_pairs;
    if (!n)
        return FM_OK;
    if (grow(b, at + n))
        return FM_ENOMEM;
    size_t *end = b->n_cost; /* counts, then where each group ends */
    size_t sum = at;
    int lo = b->cost_lo, hi = b->cost_hi;
    for (int d = lo; d <= hi; d++) {
        sum += end[d];
        end[d] = sum - end[d];
    }
    int32_t *target = c->target;
    for (size_t i = 0; i < n; i++)
        target[end[b->cand_cost[i]]++] = b->cand_target[i];
    int base = 100 * (6 - b->rank);
    size_t from = at;
    for (int d = lo; d <= hi; d++) {
        size_t to = end[d];
        for (size_t i = from + 1; i < to; i++) {
            int32_t v = target[i];
            size_t k = i;
            while (k > from && target[k - 1] > v) {
                target[k] = target[k - 1];
                k--;
            }
            target[k] = v;
        }
        for (size_t i = from; i < to; i++)
            c->utility[i] = (int16_t)(base - d);
        from = to;
    }
    memset(c->rank + at, b->rank, n);
    memset(end + lo, 0, (size_t)(hi - lo + 1) * sizeof *end);
    b->cost_lo = MAX_COST;
    b->cost_hi = 0;
    c->n_pairs += (int64_t)n;
    b->n_cand = 0;
    return FM_OK;
}

static void start_student(builder *b, int32_t student)
{
    const fm_student *s = &b->r->students[student];
    b->s = s;
    b->student = student;
    b->cos_student = fm_geo_cos_lat(s->lat);
    unit_vector(s->lat, s->lon, b->xyz);
    b->chord2_max = chord2_limit(s->max_travel_km);
    b->band = band_of(s->max_travel_km);
    b->age = fm_geo_age(s->birth_date, b->date);
    b->minor = b->age < 18;
    b->weeks = b->r->ints + s->weeks_off;
    b->n_weeks = s->n_weeks;
}

/* Lists the pairs of students [first, last) into b->out, whose start[]
 * is relative to first. */
static int build_chunk(builder *b, int32_t first, int32_t last)
{
    const fm_region *r = b->r;
    fm_cands *out = b->out;
    out->n_students = last - first;
    out->n_pairs = 0;
    for (int32_t student = first; student < last; student++) {
        const fm_student *s = &r->students[student];
        if (b->mentors ? s->wants_mentor : s->wants_placement) {
            start_student(b, student);
            for (int k = 0; k < s->n_sectors; k++) {
                int32_t sec = s->sectors[k];
                if (sec < 0 || (size_t)sec >= b->ix->n_sectors ||
                    fm_cand_rules_rank_of(s, sec) != k + 1)
                    continue; /* listed twice: the first rank counts */
                b->rank = k + 1;
                const sector_file *f = &b->ix->sectors[sec];
                for (size_t i = 0; i < f->n_remote; i++)
                    consider_remote(b, &f->remote[i]);
                if (f->n_local)
                    scan_grid(b, f);
                if (emit_sector(b))
                    return FM_ENOMEM;
            }
        }
        out->start[student - first + 1] = out->n_pairs;
    }
    return FM_OK;
}

/* Students are listed in chunks of CHUNK, claimed in order by the threads
 * and appended to the result strictly in order, so the result does not
 * depend on the number of threads. */
#define CHUNK 256

typedef struct listing {
    fm_cands *out;           /* the result, grown as chunks are appended */
    size_t cap;              /* room in its pair arrays */
    int32_t n_students, n_chunks;
    atomic_int next;         /* next chunk to claim */
    pthread_mutex_t lock;    /* guards what follows, and out */
    pthread_cond_t turn;
    int32_t placed;          /* chunks given their place in out so far */
    int copying;             /* chunks being copied into out now */
    int rc;                  /* first failure */
} listing;

typedef struct worker {
    builder b;
    fm_cands part;           /* one chunk's lists */
    listing *l;
} worker;

/* Gives chunk j (in part) its place in the result, under l->lock and in
 * chunk order: sets its students' offsets and *at, where its pairs go.
 * The first chunk's rate of pairs per student sets the capacity for all
 * (plus a quarter: capacity never written costs address space, not
 * memory), so the arrays are seldom moved, and then by remapping, not
 * copying, and only once no chunk is being copied into them. */
static int place_chunk(listing *l, const fm_cands *part, int32_t j, int64_t *at)
{
    fm_cands *out = l->out;
    size_t need = (size_t)out->n_pairs + (size_t)part->n_pairs + 1;
    if (need > l->cap) {
        double rate = (double)(out->n_pairs + part->n_pairs) / (double)((j + 1) * CHUNK);
        double want = rate * (double)l->n_students * 1.25 + 65536.0;
        size_t cap = 2 * l->cap;
        if (want > (double)cap && want < 1e12)
            cap = (size_t)want;
        if (cap < need)
            cap = need;
        while (l->copying)
            pthread_cond_wait(&l->turn, &l->lock);
        if (reserve(out, cap, 1))
            return FM_ENOMEM;
        l->cap = cap;
    }
    *at = out->n_pairs;
    for (int32_t k = 0; k < part->n_students; k++)
        out->start[(int64_t)j * CHUNK + k + 1] = *at + part->start[k + 1];
    out->n_pairs += part->n_pairs;
    return FM_OK;
}

/* Lists chunks until none is left or one failed: each is built, placed in
 * turn, then copied into its place while the next is placed. */
static void *run_worker(void *arg)
{
    worker *w = arg;
    listing *l = w->l;
    const fm_cands *part = &w->part;
    fm_cands *out = l->out;
    for (;;) {
        int32_t j = atomic_fetch_add(&l->next, 1);
        if (j >= l->n_chunks)
            break;
        int32_t first = j * CHUNK;
        int32_t last = l->n_students - first < CHUNK ? l->n_students : first + CHUNK;
        int64_t at = 0;
        int rc = build_chunk(&w->b, first, last);
        pthread_mutex_lock(&l->lock);
        while (l->placed != j && !l->rc)
            pthread_cond_wait(&l->turn, &l->lock);
        if (!rc && !l->rc)
            rc = place_chunk(l, part, j, &at);
        if (rc && !l->rc)
            l->rc = rc;
        int copy = !l->rc;
        l->copying += copy;
        l->placed = j + 1;
        pthread_cond_broadcast(&l->turn);
        pthread_mutex_unlock(&l->lock);
        if (copy && part->n_pairs > 0) {
            size_t n = (size_t)part->n_pairs;
            memcpy(out->target + at, part->target, n * sizeof *part->target);
            memcpy(out->utility + at, part->utility, n * sizeof *part->utility);
            memcpy(out->rank + at, part->rank, n);
        }
        pthread_mutex_lock(&l->lock);
        l->copying -= copy;
        pthread_cond_broadcast(&l->turn);
        int stop = l->rc != 0;
        pthread_mutex_unlock(&l->lock);
        if (stop)
            break;
    }
    return NULL;
}

static int worker_init(worker *w, size_t nt)
{
    w->part.start = calloc(CHUNK + 1, sizeof *w->part.start);
    w->b.seen = calloc(nt + 1, sizeof *w->b.seen);
    w->b.cand_target = malloc((nt + 1) * sizeof *w->b.cand_target);
    w->b.cand_cost = malloc(nt + 1);
    w->b.cost_lo = MAX_COST;
    return w->part.start && w->b.seen && w->b.cand_target && w->b.cand_cost
               ? FM_OK : FM_ENOMEM;
}

static void worker_free(worker *w)
{
    fm_cands_free(&w->part);
    free(w->b.seen);
    free(w->b.cand_target);
    free(w->b.cand_cost);
}

/* Threads: up to the online CPUs (at most 8). */
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
    listing l = { .out = out, .n_students = (int32_t)r->n_students,
                  .n_chunks = (int32_t)((r->n_students + CHUNK - 1) / CHUNK) };
    int rc = FM_ENOMEM, sync = 0;
    memset(out, 0, sizeof *out);
    atomic_init(&l.next, 0);
    if (!w || !tid || index_build(r, mentors, date, &ix) != FM_OK)
        goto out;
    if (!(out->start = calloc(r->n_students + 1, sizeof *out->start)))
        goto out;
    out->n_students = (int32_t)r->n_students;
    for (int i = 0; i < n_workers; i++) {
        w[i].b = (builder){ .r = r, .date = date, .mentors = mentors, .ix = &ix,
                            .out = &w[i].part };
        w[i].l = &l;
        if (worker_init(&w[i], nt))
            goto out;
    }
    if (pthread_mutex_init(&l.lock, NULL) != 0)
        goto out;
    if (pthread_cond_init(&l.turn, NULL) != 0) {
        pthread_mutex_destroy(&l.lock);
        goto out;
    }
    sync = 1;
    for (int i = 1; i < n_workers; i++) {
        if (pthread_create(&tid[i], NULL, run_worker, &w[i]) != 0)
            break; /* the others do its share */
        started = i;
    }
    run_worker(&w[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    /* Exact size (shrinking a large block keeps it in place). */
    rc = l.rc ? l.rc : reserve(out, (size_t)out->n_pairs + 1, 0);
out:
    if (sync) {
        pthread_cond_destroy(&l.turn);
        pthread_mutex_destroy(&l.lock);
    }
    if (w)
        for (int i = 0; i < n_workers; i++)
            worker_free(&w[i]);
    free(w);
    free(tid);
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
