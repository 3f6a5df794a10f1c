/*
 * explain.c - per-student outcome, reason and nearest miss (see explain.h).
 *
 * The rule count of a no_eligible student looks only at the targets of the
 * sectors it lists (through a sector -> targets index); every other target
 * fails at the sector rule, so that count is a subtraction.  Its nearest
 * miss is found in the same lists for every rule but `sector`; for
 * `sector` (a target of none of its sectors) the in-person targets are
 * walked outward from the student's latitude in a latitude-sorted list,
 * stopping once the latitude difference alone is farther than the best
 * found (no great circle is shorter than the meridian arc), and the remote
 * ones are read from their own list.  The nearest miss of an outcompeted
 * student is its first candidate pair (the best by utility).
 * Failure: FM_ENOMEM, match[] and miss[] partly filled.
 */
#include "explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "geo.h"

typedef struct sector_targets {
    int64_t *start;      /* per sector, n_sectors + 1 */
    int32_t *target;
} sector_targets;

static const int32_t *target_sectors(const fm_region *r, int mentors, int32_t t,
                                     int32_t *n)
{
    if (mentors) {
        *n = r->mentors[t].n_sectors;
        return r->ints + r->mentors[t].sectors_off;
    }
    *n = 1;
    return NULL;
}

static int build_index(const fm_region *r, int mentors, sector_targets *ix)
{
    size_t ns = r->n_sectors;
    int32_t nt = (int32_t)(mentors ? r->n_mentors : r->n_placements);
    ix->start = calloc(ns + 2, sizeof *ix->start);
    if (!ix->start)
        return FM_ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        int64_t *fill = NULL;
        if (pass == 1) {
            for (size_t s = 0; s < ns; s++)
                ix->start[s + 1] += ix->start[s];
            ix->target = malloc(((size_t)ix->start[ns] + 1) * sizeof *ix->target);
            fill = calloc(ns + 1, sizeof *fill);
            if (!ix->target || !fill) {
                free(fill);
                return FM_ENOMEM;
            }
        }
        for (int32_t t = 0; t < nt; t++) {
            int32_t n, one = mentors ? 0 : r->placements[t].sector;
            const int32_t *secs = target_sectors(r, mentors, t, &n);
            if (!secs)
                secs = &one;
            for (int32_t k = 0; k < n; k++) {
                int32_t sec = secs[k];
                if (sec < 0 || (size_t)sec >= ns)
                    continue;
                if (pass == 0)
                    ix->start[sec + 1]++;
                else
                    ix->target[ix->start[sec] + fill[sec]++] = t;
            }
        }
        free(fill);
    }
    return FM_OK;
}

/* Calls visit(ctx, t) once for each target of a sector that student s
 * lists (a mentor listed under two of them once); seen[t] == mark marks a
 * target visited for this student. */
static void visit_own_targets(const fm_region *r, int32_t s, const sector_targets *ix,
                              int32_t *seen, int32_t mark,
                              void (*visit)(void *, int32_t), void *ctx)
{
    const fm_student *st = &r->students[s];
    for (int k = 0; k < st->n_sectors; k++) {
        int32_t sec = st->sectors[k];
        if (sec < 0 || (size_t)sec >= r->n_sectors)
            continue;
        for (int64_t i = ix->start[sec]; i < ix->start[sec + 1]; i++) {
            int32_t t = ix->target[i];
            if (seen[t] == mark)
                continue;
            seen[t] = mark;
            visit(ctx, t);
        }
    }
}

typedef struct rule_count {
    const fm_region *r;
    int mentors;
    int32_t date, s;
    int64_t count[FM_RULE_DISTANCE + 1];
    int64_t in_sector;
} rule_count;

static void count_rule(void *arg, int32_t t)
{
    rule_count *c = arg;
    c->in_sector++;
    int rule = c->mentors ? fm_cands_check_mentor(c->r, c->date, c->s, t, NULL, NULL, NULL)
                          : fm_cands_check_placement(c->r, c->date, c->s, t, NULL, NULL, NULL);
    c->count[rule]++;
}

static int no_eligible_rule(const fm_region *r, int mentors, int32_t date,
                            int32_t s, const sector_targets *ix, int32_t *seen)
{
    int32_t nt = (int32_t)(mentors ? r->n_mentors : r->n_placements);
    rule_count c = { .r = r, .mentors = mentors, .date = date, .s = s };
    visit_own_targets(r, s, ix, seen, s + 1, count_rule, &c);
    c.count[FM_RULE_SECTOR] += nt - c.in_sector;
    int best = FM_RULE_SECTOR;
    for (int rule = FM_RULE_SECTOR; rule <= FM_RULE_DISTANCE; rule++)
        if (c.count[rule] > c.count[best])
            best = rule;
    return best;
}

/* In-person targets sorted by latitude, and the remote ones. */
typedef struct lat_index {
    int32_t *local, *remote;
    double *lat;
    size_t n_local, n_remote;
} lat_index;

static double target_lat(const fm_region *r, int mentors, int32_t t)
{
    return mentors ? r->mentors[t].lat : r->placements[t].lat;
}

static int target_remote(const fm_region *r, int mentors, int32_t t)
{
    return mentors ? r->mentors[t].online : r->placements[t].is_virtual;
}

typedef struct lat_key { double lat; int32_t t; } lat_key;

static int cmp_key(const void *a, const void *b)
{
    const lat_key *x = a, *y = b;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static int lat_build(const fm_region *r, int mentors, lat_index *ix)
{
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    ix->local = malloc((nt + 1) * sizeof *ix->local);
    ix->remote = malloc((nt + 1) * sizeof *ix->remote);
    ix->lat = malloc((nt + 1) * sizeof *ix->lat);
    if (!ix->local || !ix->remote || !ix->lat)
        return FM_ENOMEM;
    for (size_t t = 0; t < nt; t++) {
        if (target_remote(r, mentors, (int32_t)t))
            ix->remote[ix->n_remote++] = (int32_t)t;
        else
            ix->local[ix->n_local++] = (int32_t)t;
    }
    lat_key *k = malloc((ix->n_local + 1) * sizeof *k);
    if (!k)
        return FM_ENOMEM;
    for (size_t i = 0; i < ix->n_local; i++)
        k[i] = (lat_key){ target_lat(r, mentors, ix->local[i]), ix->local[i] };
    qsort(k, ix->n_local, sizeof *k, cmp_key);
    for (size_t i = 0; i < ix->n_local; i++) {
        ix->local[i] = k[i].t;
        ix->lat[i] = k[i].lat;
    }
    free(k);
    return FM_OK;
}

static void lat_free(lat_index *ix)
{
    free(ix->local);
    free(ix->remote);
    free(ix->lat);
}

/* First failing rule of (s, t), and its distance in km (-1 remote). */
static int rule_and_distance(const fm_region *r, int mentors, int32_t date, int32_t s,
                             int32_t t, double *km)
{
    const fm_student *st = &r->students[s];
    if (target_remote(r, mentors, t))
        *km = -1.0;
    else if (mentors)
        *km = fm_geo_distance_km(st->lat, st->lon, r->mentors[t].lat, r->mentors[t].lon);
    else
        *km = fm_geo_distance_km(st->lat, st->lon, r->placements[t].lat,
                                 r->placements[t].lon);
    return mentors ? fm_cands_check_mentor(r, date, s, t, NULL, NULL, NULL)
                   : fm_cands_check_placement(r, date, s, t, NULL, NULL, NULL);
}

/* Keeps (t, km) in *best when nearer; remote targets compare at the km
 * they count for in the utility. */
static void keep_nearer(int mentors, int32_t t, double km, fm_miss *best, double *best_cmp)
{
    double cmp = km < 0 ? (mentors ? 25.0 : 50.0) : km;
    if (best->target < 0 || cmp < *best_cmp || (cmp == *best_cmp && t < best->target)) {
        best->target = t;
        best->distance_km = km;
        *best_cmp = cmp;
    }
}

typedef struct nearest {
    const fm_region *r;
    int mentors;
    int32_t date, s;
    int rule;             /* < 0: any rule */
    fm_miss *best;
    double best_cmp;
} nearest;

static void keep_if_ruled_out(void *arg, int32_t t)
{
    nearest *n = arg;
    double km;
    int failed = rule_and_distance(n->r, n->mentors, n->date, n->s, t, &km);
    if (failed == n->rule || (n->rule < 0 && failed != FM_RULE_NONE)) {
        int32_t before = n->best->target;
        keep_nearer(n->mentors, t, km, n->best, &n->best_cmp);
        if (n->best->target != before)
            n->best->own_rule = (uint8_t)failed;
    }
}

/* The nearest of the student's own-sector targets that fails `rule`
 * (rule < 0: any rule; the rule it fails goes to own_rule). */
static void nearest_in_sectors(const fm_region *r, int mentors, int32_t date, int32_t s,
                               int rule, const sector_targets *ix, int32_t *seen,
                               fm_miss *best)
{
    nearest n = { .r = r, .mentors = mentors, .date = date, .s = s, .rule = rule,
                  .best = best };
    visit_own_targets(r, s, ix, seen, -(s + 1), keep_if_ruled_out, &n);
}

static void nearest_other_sector(const fm_region *r, int mentors, int32_t date, int32_t s,
                                 const lat_index *ix, fm_miss *best)
{
    const fm_student *st = &r->students[s];
    double best_cmp = 0, km;
    for (size_t i = 0; i < ix->n_remote; i++)
        if (rule_and_distance(r, mentors, date, s, ix->remote[i], &km) == FM_RULE_SECTOR)
            keep_nearer(mentors, ix->remote[i], km, best, &best_cmp);
    /* lo walks down from the student's latitude, hi up */
    size_t lo = 0, hi = ix->n_local;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->lat[mid] < st->lat)
            lo = mid + 1;
        else
            hi = mid;
    }
    hi = lo;
    const double km_per_deg = FM_EARTH_RADIUS_KM * M_PI / 180.0;
    for (;;) {
        int down = lo > 0, up = hi < ix->n_local;
        if (!down && !up)
            break;
        size_t i;
        if (down && (!up || st->lat - ix->lat[lo - 1] <= ix->lat[hi] - st->lat))
            i = --lo;
        else
            i = hi++;
        double dlat = ix->lat[i] > st->lat ? ix->lat[i] - st->lat : st->lat - ix->lat[i];
        if (best->target >= 0 && dlat * km_per_deg * (1.0 - 1e-9) > best_cmp)
            break; /* every target left is farther in latitude alone */
        if (rule_and_distance(r, mentors, date, s, ix->local[i], &km) == FM_RULE_SECTOR)
            keep_nearer(mentors, ix->local[i], km, best, &best_cmp);
    }
}

int fm_explain_side(const fm_region *r, int mentors, int32_t date,
                    const fm_pools *p, const fm_assign *a, fm_match *match,
                    fm_miss *miss)
{
    const fm_cands *c = p->cands;
    sector_targets ix = { 0 };
    lat_index lx = { 0 };
    int lx_built = 0;
    int32_t *seen = NULL;
    int rc = FM_OK;
    for (int32_t s = 0; s < p->n_students; s++) {
        const fm_student *st = &r->students[s];
        fm_match *m = &match[s];
        memset(m, 0, sizeof *m);
        m->target = -1;
        m->distance_km = -1.0;
        m->asked = mentors ? st->wants_mentor : st->wants_placement;
        m->n_eligible = (int32_t)(c->start[s + 1] - c->start[s]);
        if (miss)
            miss[s] = (fm_miss){ .target = -1, .distance_km = -1.0, .own_target = -1,
                                 .own_distance_km = -1.0 };
        if (!m->asked)
            continue;
        if (a->edge[s] >= 0) {
            int64_t pair = a->edge[s] >> 1;
            m->target = c->target[pair];
            m->utility = c->utility[pair];
            m->rank = c->rank[pair];
            if (mentors)
                fm_cands_check_mentor(r, date, s, m->target, NULL, NULL, &m->distance_km);
            else
                fm_cands_check_placement(r, date, s, m->target, NULL, NULL, &m->distance_km);
        } else if (m->n_eligible > 0) {
            m->reason = FM_REASON_OUTCOMPETED;
            if (miss) {
                int32_t t = c->target[c->start[s]];
                miss[s].target = t;
                int32_t q = p->reserved[t];
                miss[s].reserved_open = q >= 0 && a->load[q] < p->cap[q];
                if (mentors)
                    fm_cands_check_mentor(r, date, s, t, NULL, NULL, &miss[s].distance_km);
                else
                    fm_cands_check_placement(r, date, s, t, NULL, NULL, &miss[s].distance_km);
            }
        } else {
            if (!seen) {
                size_t nt = mentors ? r->n_mentors : r->n_placements;
                seen = calloc(nt + 1, sizeof *seen);
                if (!seen || (rc = build_index(r, mentors, &ix)) != FM_OK) {
                    rc = FM_ENOMEM;
                    goto out;
                }
            }
            m->reason = FM_REASON_NO_ELIGIBLE;
            m->rule = (uint8_t)no_eligible_rule(r, mentors, date, s, &ix, seen);
            if (!miss)
                continue;
            if (m->rule != FM_RULE_SECTOR) {
                nearest_in_sectors(r, mentors, date, s, m->rule, &ix, seen, &miss[s]);
                continue;
            }
            if (!lx_built) {
                lx_built = 1;
                if ((rc = lat_build(r, mentors, &lx)) != FM_OK)
                    goto out;
            }
            nearest_other_sector(r, mentors, date, s, &lx, &miss[s]);
            fm_miss own = { .target = -1, .distance_km = -1.0 };
            nearest_in_sectors(r, mentors, date, s, -1, &ix, seen, &own);
            miss[s].own_target = own.target;
            miss[s].own_distance_km = own.distance_km;
            miss[s].own_rule = own.target >= 0 ? own.own_rule : 0;
        }
    }
out:
    free(seen);
    free(ix.start);
    free(ix.target);
    lat_free(&lx);
    return rc;
}
