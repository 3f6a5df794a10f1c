/*
 * verify_round.c - re-checking a finished round against its inputs
 * (verify_round.h).
 *
 * Normal case: summary.json gives the date; the policy comes from the
 * inputs or summary.json (verify_policy.c); the inputs are
 * read from INDIR as `fairmatch solve` reads them and put in ref order; the
 * certificate is read from OUT/certificate.csv; each side's result file is
 * parsed with the project's CSV reader, row by row, into the target each
 * pupil was given and the values written; proof.c then recomputes, from
 * the inputs only, what those targets imply (eligibility, capacities,
 * outcomes, reasons, vector, envy, and the certificate's bounds), and each
 * written value is compared with it.  Every disagreement becomes a failure
 * naming the OUT file, its line, the ref and what is wrong; the first
 * FM_VERIFY_MAX_FAILURES are kept, all are counted.  A side under extra
 * constraints then has them re-checked on the rows (verify_constraints.c)
 * and its constrained levels checked (verify_levels.c).
 *
 * Failure cases: an input in INDIR that cannot be read or is invalid
 * (FM_EINVAL / FM_EIO, err as the CSV readers fill it); no memory
 * (FM_ENOMEM).  Anything wrong in OUT only adds failures.
 */
#include "verify_round.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certificate_csv.h"
#include "csv_input.h"
#include "csv_reader.h"
#include "geo.h"
#include "proof.h"
#include "region.h"
#include "verify_checks.h"

const char *const fm_verify_side_files[2] = { "placements.csv", "mentors.csv" };
const char *const fm_verify_side_keys[2] = { "placements", "mentors" };
/* short names inside this file */
#define side_files fm_verify_side_files
#define side_keys fm_verify_side_keys
#define fail fm_verify_fail

void fm_verify_fail(fm_verify_report *rep, const char *file, long line, const char *ref,
                    const char *fmt, ...)
{
    if (rep->n_failures < FM_VERIFY_MAX_FAILURES) {
        fm_verify_failure *f = &rep->failures[rep->n_failures];
        snprintf(f->file, sizeof f->file, "%s", file);
        f->line = line;
        snprintf(f->ref, sizeof f->ref, "%s", ref ? ref : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->message, sizeof f->message, fmt, ap);
        va_end(ap);
    }
    rep->n_failures++;
}

static void fail_error(fm_verify_report *rep, const char *file, const fm_error *e)
{
    char buf[512];
    fm_error_format(e, buf, sizeof buf);
    fail(rep, file, e->line, "", "%s", buf);
}

/* ---- one side's result file ------------------------------------------------ */

enum { C_STUDENT, C_SCHOOL, C_TIER, C_TARGET, C_EMPLOYER, C_RANK, C_DIST, C_UTIL, C_REASON,
       N_COLS };

typedef struct written {
    long line;            /* 0: no row */
    int32_t target;
    int rank, utility;
    char dist[24];
    char reason[40];
} written;

typedef struct side_ctx {
    const fm_region *r;
    int mentors;
    written *w;           /* per student */
    int32_t *target;      /* per student, for proof.c */
    fm_verify_report *rep;
    size_t rows;
} side_ctx;

static int parse_small_int(const char *s, int *out)
{
    long v;
    if (!*s) {
        *out = 0;
        return 0;
    }
    if (fm_csv_parse_int(s, &v) != 0 || v < -100000 || v > 100000)
        return -1;
    *out = (int)v;
    return 0;
}

static int side_row(fm_csv_reader *rd, void *arg)
{
    side_ctx *c = arg;
    const fm_region *r = c->r;
    const char *file = side_files[c->mentors];
    long line = fm_csv_row_line(rd);
    const char *ref = fm_csv_value(rd, C_STUDENT);
    c->rows++;
    int32_t s = fm_region_find_student(r, ref);
    if (s < 0) {
        fail(c->rep, file, line, ref, "no pupil of the inputs has this student_ref");
        return 0;
    }
    const fm_student *st = &r->students[s];
    written *w = &c->w[s];
    if (w->line) {
        fail(c->rep, file, line, ref, "the pupil has a second row (the first is line %ld)",
             w->line);
        return 0;
    }
    w->line = line;
    w->target = -1;
    if (!(c->mentors ? st->wants_mentor : st->wants_placement))
        fail(c->rep, file, line, ref, "the pupil did not ask for a %s",
             c->mentors ? "mentor" : "placement");
    if (strcmp(fm_csv_value(rd, C_SCHOOL), r->schools[st->school].ref) != 0)
        fail(c->rep, file, line, ref, "school_ref is %s in the inputs",
             r->schools[st->school].ref);
    int tier;
    if (parse_small_int(fm_csv_value(rd, C_TIER), &tier) != 0 || tier != fm_student_tier(st))
        fail(c->rep, file, line, ref, "tier is %d by the inputs", fm_student_tier(st));
    const char *tref = fm_csv_value(rd, C_TARGET);
    snprintf(w->reason, sizeof w->reason, "%s", fm_csv_value(rd, C_REASON));
    snprintf(w->dist, sizeof w->dist, "%s", fm_csv_value(rd, C_DIST));
    if (parse_small_int(fm_csv_value(rd, C_RANK), &w->rank) != 0 ||
        parse_small_int(fm_csv_value(rd, C_UTIL), &w->utility) != 0) {
        fail(c->rep, file, line, ref, "rank and utility must be whole numbers");
        w->rank = w->utility = -1;
    }
    if (!*tref)
        return 0;
    int32_t t = c->mentors ? fm_region_find_mentor(r, tref) : fm_region_find_placement(r, tref);
    if (t < 0) {
        fail(c->rep, file, line, ref, "%s %s is not in the inputs",
             c->mentors ? "mentor" : "placement", tref);
        return 0;
    }
    if (!c->mentors &&
        strcmp(fm_csv_value(rd, C_EMPLOYER), r->employers[r->placements[t].employer]) != 0)
        fail(c->rep, file, line, ref, "employer_ref of %s is %s in the inputs", tref,
             r->employers[r->placements[t].employer]);
    w->target = t;
    c->target[s] = t;
    return 0;
}

static void rule_text(const fm_region *r, int mentors, int32_t date, int32_t s, int32_t t,
                      int rule, char *out, size_t n)
{
    const fm_student *st = &r->students[s];
    switch (rule) {
    case FM_RULE_SECTOR:
        snprintf(out, n, "wrong sector: no sector of it is one of the pupil's");
        break;
    case FM_RULE_AGE:
        snprintf(out, n, "too young: the placement needs age %d on the round date",
                 (int)r->placements[t].min_age);
        break;
    case FM_RULE_WEEK:
        snprintf(out, n, "wrong week: the placement's week is not one of the pupil's");
        break;
    case FM_RULE_ACCESS:
        snprintf(out, n, "no access: the pupil needs an accessible or virtual placement");
        break;
    case FM_RULE_SAFEGUARDING:
        snprintf(out, n, "no DBS check valid on %04d-%02d-%02d for a pupil under 18",
                 (int)(date / 10000), (int)(date / 100 % 100), (int)(date % 100));
        break;
    case FM_RULE_DISTANCE: {
        double lat = mentors ? r->mentors[t].lat : r->placements[t].lat;
        double lon = mentors ? r->mentors[t].lon : r->placements[t].lon;
        double limit = st->max_travel_km;
        if (mentors && r->mentors[t].max_travel_km < limit)
            limit = r->mentors[t].max_travel_km;
        double km = fm_geo_distance_km(st->lat, st->lon, lat, lon);
        snprintf(out, n, "too far: %.3f km, limit %g km", km, limit);
        break;
    }
    default:
        snprintf(out, n, "the pupil did not ask");
    }
}

static void expected_reason(const fm_match *m, char *out, size_t n)
{
    if (m->target >= 0)
        out[0] = '\0';
    else if (m->reason == FM_REASON_OUTCOMPETED)
        snprintf(out, n, "outcompeted");
    else
        snprintf(out, n, "no_eligible:%s", fm_rule_name((fm_rule)m->rule));
}

static json_int_t jint(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(json_object_get(o, a), b);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* The summary's numbers of one side against the recomputed ones. */
static void check_summary_side(fm_verify_report *rep, json_t *summary, int mentors,
                               const fm_side_check *chk)
{
    json_t *side = json_object_get(summary, side_keys[mentors]);
    const char *k = side_keys[mentors];
    const fm_vector *v = &chk->vector;
    const int64_t got[4] = { v->n1, v->n2, v->n3, v->utility };
    static const char *const names[4] = { "n1", "n2", "n3", "utility" };
    for (int i = 0; i < 4; i++) {
        json_int_t w = jint(side, "objective", names[i]);
        if (w != got[i])
            fail(rep, "summary.json", 0, "", "%s.objective.%s is %lld; the rows of %s give "
                 "%lld", k, names[i], (long long)w, side_files[mentors], (long long)got[i]);
    }
    json_t *levels = json_object_get(json_object_get(side, "proof"), "levels");
    for (int i = 0; i < 4 && chk->proven && !rep->constrained[mentors]; i++) {
        json_t *l = json_array_get(levels, (size_t)i);
        json_t *val = json_object_get(l, "value"), *bnd = json_object_get(l, "bound");
        if (!json_is_integer(val) || json_integer_value(val) != chk->proof[i].value ||
            !json_is_integer(bnd) || json_integer_value(bnd) != chk->proof[i].bound)
            fail(rep, "summary.json", 0, "", "%s.proof.levels[%d] says value %lld, bound "
                 "%lld; the rows and certificate give %lld and %lld", k, i,
                 (long long)json_integer_value(val), (long long)json_integer_value(bnd),
                 (long long)chk->proof[i].value, (long long)chk->proof[i].bound);
    }
    json_t *pairs = json_object_get(json_object_get(side, "envy"), "pairs");
    if (pairs && (!json_is_integer(pairs) || json_integer_value(pairs) != chk->envy.pairs))
        fail(rep, "summary.json", 0, "", "%s.envy.pairs is %lld; the rows give %lld", k,
             (long long)json_integer_value(pairs), (long long)chk->envy.pairs);
}

static int verify_side(const char *outdir, const fm_region *r, int32_t date, int mentors,
                       const fm_side_certificate *cert, const fm_side_constraints *opt,
                       json_t *summary, fm_verify_report *rep, fm_error *err)
{
    static const fm_csv_column pcols[N_COLS] = {
        [C_STUDENT] = {"student_ref", 1}, [C_SCHOOL] = {"school_ref", 1},
        [C_TIER] = {"tier", 1}, [C_TARGET] = {"placement_ref", 1},
        [C_EMPLOYER] = {"employer_ref", 1}, [C_RANK] = {"rank", 1},
        [C_DIST] = {"distance_km", 1}, [C_UTIL] = {"utility", 1}, [C_REASON] = {"reason", 1},
    };
    fm_csv_column cols[N_COLS];
    memcpy(cols, pcols, sizeof cols);
    if (mentors) {
        cols[C_TARGET].name = "mentor_ref";
        cols[C_EMPLOYER].required = 0;
        cols[C_EMPLOYER].name = "employer_ref";
    }
    const char *file = side_files[mentors];
    size_t n = r->n_students + 1;
    side_ctx c = { .r = r, .mentors = mentors, .rep = rep };
    fm_side_check chk;
    memset(&chk, 0, sizeof chk);
    char path[4096], *data = NULL;
    size_t len = 0;
    long *line = NULL;
    int rc = FM_ENOMEM;
    c.w = calloc(n, sizeof *c.w);
    c.target = malloc(n * sizeof *c.target);
    line = malloc(n * sizeof *line);
    if (!c.w || !c.target || !line)
        goto out;
    for (size_t s = 0; s < r->n_students; s++)
        c.target[s] = -1;
    snprintf(path, sizeof path, "%s/%s", outdir, file);
    fm_error e;
    fm_error_clear(&e);
    rc = fm_csv_slurp(path, &data, &len, &e);
    if (rc == 0)
        rc = fm_csv_parse(file, data, len, cols, N_COLS, side_row, &c, NULL, &e);
    if (rc == FM_ENOMEM)
        goto out;
    if (rc) {
        fail_error(rep, file, &e);
        rc = FM_OK;
        goto out;
    }
    rep->rows[mentors] = c.rows;
    if ((rc = fm_proof_check_side(r, mentors, date, c.target, cert, &chk, err)) != FM_OK)
        goto out;
    for (size_t s = 0; s < r->n_students; s++) {
        const fm_student *st = &r->students[s];
        const fm_match *m = &chk.match[s];
        const written *w = &c.w[s];
        if (!w->line) {
            if (m->asked)
                fail(rep, file, 0, st->ref, "the pupil asked for a %s and has no row",
                     mentors ? "mentor" : "placement");
            continue;
        }
        if (chk.broken[s]) {
            char why[200];
            rule_text(r, mentors, date, (int32_t)s, w->target, chk.broken[s], why, sizeof why);
            fail(rep, file, w->line, st->ref, "%s %s is not eligible for this pupil: %s",
                 mentors ? "mentor" : "placement",
                 mentors ? r->mentors[w->target].ref : r->placements[w->target].ref, why);
            continue;
        }
        char reason[40], dist[24] = "";
        expected_reason(m, reason, sizeof reason);
        if (strcmp(reason, w->reason) != 0) {
            fail(rep, file, w->line, st->ref, "reason is \"%s\"; the inputs give \"%s\"",
                 w->reason, reason);
            continue;
        }
        if (m->target < 0) {
            if (w->rank || w->utility || w->dist[0])
                fail(rep, file, w->line, st->ref, "an unmatched row has a rank, distance or "
                     "utility");
            continue;
        }
        if (m->distance_km >= 0)
            snprintf(dist, sizeof dist, "%.3f", m->distance_km);
        if (w->rank != m->rank)
            fail(rep, file, w->line, st->ref, "rank: written %d, the inputs give %d", w->rank,
                 m->rank);
        if (w->utility != m->utility)
            fail(rep, file, w->line, st->ref, "utility: written %d, the inputs give %d",
                 w->utility, m->utility);
        if (strcmp(dist, w->dist) != 0)
            fail(rep, file, w->line, st->ref, "distance_km: written \"%s\", the inputs give "
                 "\"%s\"", w->dist, dist);
    }
    if (chk.over_target >= 0) {
        int32_t t = chk.over_target;
        const char *tref = mentors ? r->mentors[t].ref : r->placements[t].ref;
        if (chk.over_tier3)
            fail(rep, file, 0, tref, "holds %d tier-3 pupils; with its reserved seats at "
                 "most %d", chk.over_count, chk.over_limit);
        else
            fail(rep, file, 0, tref, "holds %d pupils; its capacity is %d", chk.over_count,
                 chk.over_limit);
    }
    rep->vector[mentors] = chk.vector;
    memcpy(rep->proof[mentors], chk.proof, sizeof chk.proof);
    rep->proven[mentors] = chk.proven;
    if (!chk.proven && !chk.n_broken && chk.over_target < 0 && !rep->constrained[mentors])
        fail(rep, "certificate.csv", 0, "", "%s: %s", side_keys[mentors], chk.proof_error);
    check_summary_side(rep, summary, mentors, &chk);
    /* The extra constraints on the rows, and the constrained levels. */
    json_t *side = json_object_get(summary, side_keys[mentors]);
    if (rep->cons[mentors].on) {
        for (size_t s = 0; s < r->n_students; s++)
            line[s] = c.w[s].line;
        if ((rc = fm_verify_constraints(r, mentors, opt, &chk, line, side, rep)) != FM_OK)
            goto out;
    }
    fm_verify_levels(side, mentors, rep->cons[mentors].on, &chk.vector, chk.envy.pairs,
                     cert != NULL, rep);
    rc = FM_OK;
out:
    if (rc == FM_ENOMEM)
        fm_error_set(err, rc, "out of memory verifying %s", file);
    fm_side_check_free(&chk);
    free(data);
    free(c.w);
    free(c.target);
    free(line);
    return rc;
}

/* ---- the round ---------------------------------------------------------------- */

static int read_input(fm_region *r, const char *indir, const char *name, int required,
                      int (*read)(fm_region *, const char *, fm_csv_warnings *, fm_error *),
                      fm_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", indir, name);
    if (!required && access(path, F_OK) != 0)
        return 0;
    fm_csv_warnings w;
    fm_csv_warnings_clear(&w);
    return read(r, path, &w, err);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int fm_verify_round(const char *indir, const char *outdir, const char *policy_path,
                    fm_verify_report *rep, fm_error *err)
{
    double t0 = now_s();
    fm_region region;
    fm_region_init(&region);
    fm_side_certificate cert[2];
    memset(cert, 0, sizeof cert);
    json_t *summary = NULL;
    char path[4096], *data = NULL;
    size_t len = 0;
    int rc = 0, has[2] = { 0, 0 };

    memset(rep, 0, sizeof *rep);
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    json_error_t jerr;
    summary = json_load_file(path, 0, &jerr);
    if (!json_is_object(summary)) {
        fail(rep, "summary.json", jerr.line > 0 ? jerr.line : 0, "", "cannot read: %s",
             jerr.text);
        goto out;
    }
    const char *policy = json_string_value(json_object_get(summary, "policy"));
    const char *date = json_string_value(json_object_get(summary, "date"));
    if (!policy || strcmp(policy, "fair-access v1") != 0)
        fail(rep, "summary.json", 0, "", "policy is \"%s\"; verify knows \"fair-access v1\"",
             policy ? policy : "");
    if (!date || fm_csv_parse_date(date, &rep->date) != 0) {
        fail(rep, "summary.json", 0, "", "date is missing or not YYYY-MM-DD: the round "
             "date is needed for ages and DBS checks");
        goto out;
    }

    fm_round_params params = { .date = rep->date };
    if ((rc = fm_verify_policy(indir, policy_path, summary, &params, rep, err)) != 0)
        goto out;
    if ((rc = read_input(&region, indir, "students.csv", 1, fm_csv_read_students, err)) ||
        (rc = read_input(&region, indir, "placements.csv", 1, fm_csv_read_placements, err)) ||
        (rc = read_input(&region, indir, "mentors.csv", 0, fm_csv_read_mentors, err)) ||
        (rc = read_input(&region, indir, "schools.csv", 0, fm_csv_read_schools, err)))
        goto out;
    fm_region_sort_by_ref(&region);
    const char *status = json_string_value(json_object_get(summary, "status"));
    if (status && strcmp(status, "infeasible") == 0) {
        /* No rows: the solver's evidence is what there is to re-check. */
        rc = fm_verify_infeasible(&region, rep->date, &params, summary, rep, err);
        goto out;
    }

    snprintf(path, sizeof path, "%s/certificate.csv", outdir);
    fm_error e;
    fm_error_clear(&e);
    int crc = fm_csv_slurp(path, &data, &len, &e);
    if (crc == 0)
        crc = fm_certificate_csv_read("certificate.csv", data, len, &region, cert, has, &e);
    if (crc == FM_ENOMEM) {
        rc = fm_error_set(err, crc, "out of memory reading certificate.csv");
        goto out;
    }
    /* A side whose extra constraints changed the plain optimum is proven by
     * its MIP bounds and gaps (summary.json), not by a network certificate;
     * one they left alone keeps its certificate.  When no side keeps one,
     * the solver writes no certificate.csv. */
    int need_cert = 0;
    for (int side = 0; side < 2; side++) {
        rep->constrained[side] = !has[side] && json_is_object(
            json_object_get(json_object_get(summary, side_keys[side]), "constrained"));
        need_cert |= !rep->constrained[side] && (side == 0 || region.n_mentors > 0);
    }
    if (crc && (need_cert || access(path, F_OK) == 0))
        fail_error(rep, "certificate.csv", &e);
    for (int side = 0; side < 2; side++) {
        if (!crc && !has[side] && !rep->constrained[side] && (side == 0 || region.n_mentors > 0))
            fail(rep, "certificate.csv", 0, "", "no tier rows for the %s", side_keys[side]);
        rc = verify_side(outdir, &region, rep->date, side, has[side] ? &cert[side] : NULL,
                         &params.constraints.side[side], summary, rep, err);
        if (rc)
            goto out;
    }
out:
    rep->seconds = now_s() - t0;
    free(data);
    fm_certificate_side_free(&cert[0]);
    fm_certificate_side_free(&cert[1]);
    json_decref(summary);
    fm_region_free(&region);
    return rc;
}
