/*
 * cand_rules.c - the eligibility rules of policy.md for one (student,
 * target) pair, exactly (see candidates.h for fm_cands_check_*, and
 * cand_rules.h for what the listing in candidates.c shares).
 *
 * Distances: where the caller knows the pair's squared chord between unit
 * vectors, the distance comes from it through one asin; only where that
 * could decide differently from geo.c's haversine (within 1e-9 km of the
 * limit or of a whole kilometre, or far apart) is geo.c asked.  No
 * allocation, no failure: each call returns FM_RULE_NONE or the first rule
 * that fails.
 */
#include "cand_rules.h"
#include "candidates.h"

#include <math.h>

#include "geo.h"
#include "solver.h"

int fm_cand_rules_rank_of(const fm_student *s, int32_t sector)
{
    for (int k = 0; k < s->n_sectors; k++)
        if (s->sectors[k] == sector)
            return k + 1;
    return 0;
}

int fm_cand_rules_week_ok(const fm_region *r, const fm_student *s, int32_t week)
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

int fm_cand_rules_distance_cost(const fm_student *s, double lat, double lon,
                                double cos_s, double cos_t, double chord2, double limit)
{
    int utility;
    if (distance_rule(s, 0, lat, lon, cos_s, cos_t, chord2, limit, 0, 5, NULL, &utility,
                      NULL) != FM_RULE_NONE)
        return -1;
    return 100 - utility; /* rank 5: utility = 100 - distance cost */
}

/* Rules 3-6 of policy.md for a student who wants placements and lists the
 * placement's sector at rank rk, aged age on the round date. */
static int placement_rest(const fm_region *r, const fm_student *s, const fm_placement *p,
                          int rk, int age, double cos_s, double cos_p, double chord2,
                          int *rank, int *utility, double *distance_km)
{
    if (age < p->min_age)
        return FM_RULE_AGE;
    if (!fm_cand_rules_week_ok(r, s, p->week))
        return FM_RULE_WEEK;
    if (s->needs_access && !p->accessible && !p->is_virtual)
        return FM_RULE_ACCESS;
    return distance_rule(s, p->is_virtual, p->lat, p->lon, cos_s, cos_p, chord2,
                         s->max_travel_km, FM_VIRTUAL_PLACEMENT_KM, rk, rank, utility, distance_km);
}

static int check_placement(const fm_region *r, int32_t date, int32_t student,
                           int32_t placement, double cos_s, double cos_p,
                           int *rank, int *utility, double *distance_km)
{
    const fm_student *s = &r->students[student];
    const fm_placement *p = &r->placements[placement];
    if (!s->wants_placement)
        return FM_RULE_WANTS;
    int rk = fm_cand_rules_rank_of(s, p->sector);
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
        int rk = fm_cand_rules_rank_of(s, secs[k]);
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
                         FM_ONLINE_MENTOR_KM, rk, rank, utility, distance_km);
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
