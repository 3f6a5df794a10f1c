/*
 * verify_infeasible.c - re-checking the evidence of a round whose school
 * floors cannot be met (summary.json "status": "infeasible"), from the
 * inputs alone, without solving (verify_checks.h).
 *
 * The solver writes, with the message, LP certificates (solver/constraints.h
 * fm_infeasible_evidence; summary_infeasible.c the format): a weight w_k
 * per school of a set K and a weight y per capacity row (a target's seats,
 * a placement's tier-3 limit, a (school, employer) spread group).  Verify
 * lists the side's eligible pairs itself (candidates.c, as for every
 * round), recounts each school's eligible applicants E and need ceil(f x
 * E / 100) under the round's policy, re-derives each row's limit from the
 * inputs (capacity; capacity - floor(capacity x reserve_pct / 100); the
 * policy's employer_spread_max) and each pupil's part y_s = max(0, w_k -
 * the y of the rows of its worst-covered pair), and then requires
 *     most = sum of y x limit + sum of y_s  <  needed = sum of w_k x need_k.
 * That is weak LP duality: every assignment within the capacities places
 * at most `most` weighted pupils of K, and the floors need `needed`, so no
 * assignment meets them (gender targets and stability only remove more).
 *
 * Failures (each names what is wrong): no evidence; a side, floor or
 * constraint that is not the policy's; a school, target or employer the
 * inputs do not have; a weight or y that is negative or not a number; a
 * school's eligible / need, a row's limit, or the certificate's uncovered /
 * most / needed that differ from the recount; a certificate that does not
 * prove (most >= needed); a certificate of employer spread without a spread
 * in the policy, or of a tier-3 limit on the mentors side; the school in
 * "who" not in any certificate; least_total_shortfall not a whole number
 * >= 1.  A round with no certificate (the floors conflict only through
 * integrality, gender targets or stability) is proven by the solver's
 * branch and bound alone: reported as not re-derived, like MIP bounds.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "verify_checks.h"

#define TOL 1e-6

typedef struct spread_y { int64_t key; double y; } spread_y;

typedef struct ictx {
    const fm_region *r;
    int mentors;
    const fm_side_constraints *o;
    fm_cands c;
    int32_t *eligible, *need;   /* per school */
    double *w;                  /* per school, this certificate */
    double *y_cap, *y_t3;       /* per target, this certificate */
    spread_y *sp;               /* this certificate, sorted by key */
    size_t n_sp;
    fm_verify_report *rep;
} ictx;

/* A failure about certificate j of summary.json's evidence. */
static void bad(ictx *x, int j, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad(ictx *x, int j, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fm_verify_fail(x->rep, "summary.json", 0, "", "evidence.certificates[%d]%s", j, msg);
}

static int cmp_key(const void *a, const void *b)
{
    int64_t p = ((const spread_y *)a)->key, q = ((const spread_y *)b)->key;
    return (p > q) - (p < q);
}

static double spread_of(const ictx *x, int64_t key)
{
    spread_y probe = { key, 0 };
    const spread_y *hit = x->n_sp ? bsearch(&probe, x->sp, x->n_sp, sizeof *x->sp, cmp_key)
                                  : NULL;
    return hit ? hit->y : 0.0;
}

static int32_t find_employer(const fm_region *r, const char *ref)
{
    for (size_t e = 0; ref && e < r->n_employers; e++)
        if (strcmp(r->employers[e], ref) == 0)
            return (int32_t)e;
    return -1;
}

/* A number >= 0 at key, or -1 (reported). */
static double weight(ictx *x, json_t *o, const char *key, int cert, const char *what)
{
    json_t *v = json_object_get(o, key);
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (!(d >= 0) || !isfinite(d))
        bad(x, cert, ": %s must be a number >= 0", what);
    return d >= 0 && isfinite(d) ? d : -1;
}

/* The schools of certificate j: weights into x->w; needed.  0, or -1 when
 * the certificate cannot be checked further. */
static int read_schools(ictx *x, json_t *cert, int j, double *needed)
{
    json_t *schools = json_object_get(cert, "schools");
    if (!json_is_array(schools) || json_array_size(schools) == 0) {
        bad(x, j, " names no schools");
        return -1;
    }
    int ok = 0;
    size_t i;
    json_t *k;
    json_array_foreach(schools, i, k) {
        const char *ref = json_string_value(json_object_get(k, "school_ref"));
        int32_t s = ref ? fm_region_find_school(x->r, ref) : -1;
        double w = weight(x, k, "weight", j, "a school's weight");
        if (s < 0) {
            bad(x, j, ": school \"%s\" is not in the inputs", ref ? ref : "");
            ok = -1;
            continue;
        }
        if (w < 0) {
            ok = -1;
            continue;
        }
        json_t *je = json_object_get(k, "eligible"), *jn = json_object_get(k, "need");
        if (!json_is_integer(je) || json_integer_value(je) != x->eligible[s] ||
            !json_is_integer(jn) || json_integer_value(jn) != x->need[s])
            fm_verify_fail(x->rep, "summary.json", 0, ref, "evidence.certificates[%d]: the "
                           "school has %lld eligible applicants needing %lld placed, say "
                           "the inputs under a floor of %g%%; the evidence says %lld and %lld",
                           j, (long long)x->eligible[s], (long long)x->need[s],
                           x->o->school_floor_pct, (long long)json_integer_value(je),
                           (long long)json_integer_value(jn));
        x->w[s] += w;
        *needed += w * x->need[s];
    }
    return ok;
}

/* One capacity row: its y into the arrays, y x limit into *sum. */
static int read_row(ictx *x, json_t *row, int j, double *sum)
{
    const fm_region *r = x->r;
    const char *kind = json_string_value(json_object_get(row, "kind"));
    double y = weight(x, row, "y", j, "a row's y");
    json_t *jl = json_object_get(row, "limit");
    double limit, said = json_is_number(jl) ? json_number_value(jl) : NAN;
    const char *ref = json_string_value(json_object_get(row, "ref"));
    if (y < 0)
        return -1;
    if (kind && (strcmp(kind, "capacity") == 0 || strcmp(kind, "tier3_limit") == 0)) {
        int tier3 = kind[0] == 't';
        int32_t t = !ref ? -1 : x->mentors ? fm_region_find_mentor(r, ref)
                                           : fm_region_find_placement(r, ref);
        if (t < 0) {
            bad(x, j, ": %s is not a target of this side", ref ? ref : "(no ref)");
            return -1;
        }
        if (tier3 && x->mentors) {
            bad(x, j, ": a tier-3 limit on mentor %s: mentors have no reserve", ref);
            return -1;
        }
        int32_t cap = x->mentors ? r->mentors[t].capacity : r->placements[t].capacity;
        limit = cap;
        if (tier3)
            limit = cap - (int32_t)((int64_t)cap * r->placements[t].reserve_pct / 100);
        (tier3 ? x->y_t3 : x->y_cap)[t] += y;
    } else if (kind && strcmp(kind, "employer_spread") == 0) {
        const char *sref = json_string_value(json_object_get(row, "school_ref"));
        const char *eref = json_string_value(json_object_get(row, "employer_ref"));
        int32_t k = sref ? fm_region_find_school(r, sref) : -1, e = find_employer(r, eref);
        if (x->mentors || x->o->employer_spread_max <= 0) {
            bad(x, j, ": an employer-spread row, but the policy has no "
                "employer_spread_max on this side");
            return -1;
        }
        if (k < 0 || e < 0) {
            bad(x, j, ": school / employer %s is not in the inputs",
                k < 0 ? (sref ? sref : "(none)") : (eref ? eref : "(none)"));
            return -1;
        }
        limit = x->o->employer_spread_max;
        x->sp[x->n_sp++] = (spread_y){ (int64_t)k * (int64_t)r->n_employers + e, y };
        ref = eref;
    } else {
        bad(x, j, ": row kind \"%s\" is not capacity, tier3_limit or employer_spread",
            kind ? kind : "");
        return -1;
    }
    if (!(fabs(said - limit) < TOL))
        fm_verify_fail(x->rep, "summary.json", 0, ref, "evidence.certificates[%d]: a %s row "
                       "with limit %g; the inputs give %g", j, kind, said, limit);
    *sum += y * limit;
    return 0;
}

/* Each pupil of a school with w > 0: max(0, w - its worst pair's cover). */
static double uncovered(const ictx *x)
{
    const fm_region *r = x->r;
    double sum = 0;
    for (int32_t s = 0; s < x->c.n_students; s++) {
        int32_t k = r->students[s].school;
        if (x->w[k] <= 0)
            continue;
        double ys = 0;
        int tier3 = !x->mentors && fm_student_tier(&r->students[s]) == 3;
        for (int64_t i = x->c.start[s]; i < x->c.start[s + 1]; i++) {
            int32_t t = x->c.target[i];
            double cover = x->y_cap[t] + (tier3 ? x->y_t3[t] : 0.0);
            if (!x->mentors && x->o->employer_spread_max > 0)
                cover += spread_of(x, (int64_t)k * (int64_t)r->n_employers +
                                          r->placements[t].employer);
            ys = fmax(ys, x->w[k] - cover);
        }
        sum += ys;
    }
    return sum;
}

static void said_equal(ictx *x, json_t *cert, int j, const char *key, double got)
{
    json_t *v = json_object_get(cert, key);
    double said = json_is_number(v) ? json_number_value(v) : NAN;
    if (!(fabs(said - got) <= 1e-4 * fmax(1.0, fabs(got)))) /* 10 digits in the file */
        fm_verify_fail(x->rep, "summary.json", 0, "", "evidence.certificates[%d].%s is %g; "
                       "recounted from the inputs it is %g", j, key, said, got);
}

/* Certificate j: 1 when it proves the floors of its schools impossible. */
static int check_cert(ictx *x, json_t *cert, int j)
{
    size_t nt = x->mentors ? x->r->n_mentors : x->r->n_placements;
    json_t *rows = json_object_get(cert, "rows");
    double needed = 0, most = 0;
    memset(x->w, 0, (x->r->n_schools + 1) * sizeof *x->w);
    memset(x->y_cap, 0, (nt + 1) * sizeof *x->y_cap);
    memset(x->y_t3, 0, (nt + 1) * sizeof *x->y_t3);
    x->n_sp = 0;
    if (!json_is_array(rows)) {
        bad(x, j, " has no rows");
        return 0;
    }
    spread_y *sp = realloc(x->sp, (json_array_size(rows) + 1) * sizeof *sp);
    if (!sp)
        return -1;
    x->sp = sp;
    int ok = read_schools(x, cert, j, &needed) == 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        ok &= read_row(x, row, j, &most) == 0;
    if (!ok)
        return 0;
    qsort(x->sp, x->n_sp, sizeof *x->sp, cmp_key);
    for (size_t q = 1; q < x->n_sp; q++) /* duplicates: add up */
        if (x->sp[q].key == x->sp[q - 1].key) {
            x->sp[q].y += x->sp[q - 1].y;
            x->sp[q - 1].y = 0;
        }
    double unc = uncovered(x);
    most += unc;
    said_equal(x, cert, j, "uncovered", unc);
    said_equal(x, cert, j, "most", most);
    said_equal(x, cert, j, "needed", needed);
    if (!(needed - most > TOL)) {
        fm_verify_fail(x->rep, "summary.json", 0, "", "evidence.certificates[%d] does not "
                       "prove the floors impossible: its rows and pupils allow %.6g weighted "
                       "placements and the floors need %.6g", j, most, needed);
        return 0;
    }
    x->rep->infeasible.most = most;
    x->rep->infeasible.needed = needed;
    return 1;
}

int fm_verify_infeasible(const fm_region *r, int32_t date, const fm_round_params *params,
                         json_t *summary, fm_verify_report *rep, fm_error *err)
{
    fm_verify_infeasible_report *vi = &rep->infeasible;
    json_t *ev = json_object_get(summary, "evidence");
    const char *constraint = json_string_value(json_object_get(summary, "constraint"));
    const char *who = json_string_value(json_object_get(summary, "who"));
    vi->is = 1;
    if (!json_is_object(ev)) {
        fm_verify_fail(rep, "summary.json", 0, "", "the round is infeasible (%s, %s) but "
                       "summary.json has no evidence to re-check", constraint ? constraint
                       : "?", who ? who : "?");
        return FM_OK;
    }
    const char *side = json_string_value(json_object_get(ev, "side"));
    int mentors = side && strcmp(side, "mentors") == 0;
    if (!side || (!mentors && strcmp(side, "placements") != 0)) {
        fm_verify_fail(rep, "summary.json", 0, "", "evidence.side must be placements or "
                       "mentors");
        return FM_OK;
    }
    vi->side = mentors;
    const fm_side_constraints *o = &params->constraints.side[mentors];
    json_t *jf = json_object_get(ev, "floor_pct"), *js = json_object_get(ev,
                                                                         "least_total_shortfall");
    vi->floor_pct = o->school_floor_pct;
    if (o->school_floor_pct <= 0) {
        fm_verify_fail(rep, "summary.json", 0, "", "the round is said infeasible by its %s "
                       "school floors, but the policy (%s) has no floor on that side", side,
                       rep->policy_source);
        return FM_OK;
    }
    if (!constraint || strcmp(constraint, mentors ? "mentors.school_floor_pct"
                                                  : "school_floor_pct") != 0)
        fm_verify_fail(rep, "summary.json", 0, "", "constraint is \"%s\"; the evidence is "
                       "about the %s school floors", constraint ? constraint : "", side);
    if (!json_is_number(jf) || fabs(json_number_value(jf) - o->school_floor_pct) > 1e-9)
        fm_verify_fail(rep, "summary.json", 0, "", "evidence.floor_pct is %g; the policy's "
                       "%s floor is %g", json_number_value(jf), side, o->school_floor_pct);
    if (!json_is_integer(js) || json_integer_value(js) < 1)
        fm_verify_fail(rep, "summary.json", 0, "", "evidence.least_total_shortfall must be "
                       "a whole number >= 1 (the floors' least total shortfall)");
    vi->least_shortfall = json_integer_value(js);

    ictx x = { .r = r, .mentors = mentors, .o = o, .rep = rep };
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    int rc = fm_cands_build(r, date, mentors, 0, &x.c, err);
    if (rc)
        return rc;
    rc = FM_ENOMEM;
    x.eligible = calloc(r->n_schools + 1, sizeof *x.eligible);
    x.need = calloc(r->n_schools + 1, sizeof *x.need);
    x.w = calloc(r->n_schools + 1, sizeof *x.w);
    x.y_cap = calloc(nt + 1, sizeof *x.y_cap);
    x.y_t3 = calloc(nt + 1, sizeof *x.y_t3);
    if (!x.eligible || !x.need || !x.w || !x.y_cap || !x.y_t3)
        goto out;
    for (int32_t s = 0; s < x.c.n_students; s++)
        if (x.c.start[s + 1] > x.c.start[s])
            x.eligible[r->students[s].school]++;
    for (size_t k = 0; k < r->n_schools; k++)
        x.need[k] = fm_verify_floor_need(o->school_floor_pct, x.eligible[k]);

    json_t *certs = json_object_get(ev, "certificates");
    if (!json_is_array(certs)) {
        fm_verify_fail(rep, "summary.json", 0, "", "evidence.certificates must be a list "
                       "(empty when there is no LP certificate)");
        rc = FM_OK;
        goto out;
    }
    /* The school named in "who" must be one that a certificate covers. */
    const char *named = who && strncmp(who, "school_ref ", 11) == 0 ? who + 11 : NULL;
    int named_covered = 0;
    size_t j;
    json_t *cert;
    json_array_foreach(certs, j, cert) {
        int proved = check_cert(&x, cert, (int)j);
        if (proved < 0)
            goto out;
        vi->n_certs += proved;
        int32_t k = named ? fm_region_find_school(r, named) : -1;
        named_covered |= proved && k >= 0 && x.w[k] > 0;
    }
    vi->n_given = (int)json_array_size(certs);
    if (vi->n_given > 0 && !named_covered)
        fm_verify_fail(rep, "summary.json", 0, "", "who is \"%s\", but no certificate that "
                       "proves the floors impossible has that school", who ? who : "");
    rc = FM_OK;
out:
    if (rc == FM_ENOMEM)
        fm_error_set(err, rc, "out of memory checking the infeasibility evidence");
    fm_cands_free(&x.c);
    free(x.eligible);
    free(x.need);
    free(x.w);
    free(x.y_cap);
    free(x.y_t3);
    free(x.sp);
    return rc;
}
