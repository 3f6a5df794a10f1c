/*
 * summary_json.c - the report of a round as JSON (policy.md, "What a round
 * reports"; files.md, OUT/summary.json).
 *
 * Normal case: fm_summary_json_new() counts, for placements and for mentors,
 * who asked, who had an eligible target and who was matched, per tier, per
 * school and per gender x sector; the rank histogram, utility, the reasons
 * of the unmatched, the solver's proof levels and statistics; and puts them
 * with the round's date, the region's sizes and the timings into one JSON
 * object.  Keys are inserted in a fixed order (tables keyed by ref are
 * sorted by ref), and jansson keeps insertion order, so the same round always
 * serialises to the same bytes, the timings aside.  fm_summary_json_write()
 * serialises it with a 2-space indent.
 *
 * Layout (abridged):
 *   { "policy": "fair-access v1", "date": "2027-06-14",
 *     "counts": {"students", "placements", "seats", "mentors", "schools",
 *                "placements_with_reserve", "reserved_seats"},
 *     "options": {"time_limit_seconds", and the extra constraints that are on,
 *                 keyed as in the policy file (policy_file.h)},
 *     "placements": {
 *        "objective": {"n1", "n2", "n3", "utility"},
 *        "asked", "eligible", "matched", "candidates",
 *        "by_tier": {"1": {"asked", "eligible", "placed", "rate"}, "2", "3"},
 *        "by_school": {"SCH1": {"name"?, "asked", "eligible", "placed", "rate"}},
 *        "by_gender_sector": {"F": {"law": {"asked", ...}}, ..., "unspecified"},
 *        "utility": {"total", "mean"},
 *        "rank_histogram": {"1".."5"},
 *        "reasons": {"outcompeted", "no_eligible",
 *                    "no_eligible_by_rule": {"sector": n, ...}},
 *        "proof": {"method", "levels": [{"level", "name", "value", "bound"}],
 *                  "optimal", "certificate_checked"},
 *        "explanations": {"outcompeted_full", "outcompeted_reserved",
 *                  "no_eligible_with_nearest_miss", "no_eligible_without_candidate",
 *                  "seconds"} or null (explanations_csv.h),
 *        "envy": {"definition", "pairs", "pairs_by_tier": {"1", "2"},
 *                  "pairs_unmatched", "pairs_at_reserved_placements", "students",
 *                  "examples": [{"student_ref", "target_ref", "holder_ref",
 *                  "student_tier", "holder_tier", "utility_wanted", "utility_got"}],
 *                  "seconds"} (audit.h),
 *        "solver": {"pricing_rounds", "arcs_priced", "pivots", "auction_bids"},
 *        "constrained": {...} only under extra constraints (summary_constrained.c) },
 *     "mentors": { likewise },
 *     "timings": {"read_s", "candidates_s", "solve_s", "check_s", "write_s",
 *                 "total_s"},
 *     "peak_rss_mb": 123.4,
 *     "certificate_csv": "side,node,..." }   (taken out into OUT/certificate.csv
 *                                            when the files are written)
 * rate is placed / asked (0 when nobody asked); "placed" means matched on
 * the mentor side too.  by_school lists the schools with at least one pupil
 * who asked on that side; "name" only for schools listed in schools.csv.
 *
 * Failure: FM_ENOMEM when jansson cannot allocate; FM_EINTERNAL when the
 * result breaks the solver's contract (a target out of range, an unmatched
 * student without a reason).  *out is NULL then.  fm_summary_json_write()
 * gives FM_EIO when the stream fails.
 */
#include "round_output.h"
#include "policy_file.h"

#include "certificate_csv.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_GENDERS 4   /* F, M, X, unspecified */
#define N_RULES (FM_RULE_DISTANCE + 1)

static const char *const gender_names[N_GENDERS] = {"F", "M", "X",
                                                    "unspecified"};

typedef struct group {
    int64_t asked, eligible, placed;
} group;

/* Everything counted on one side; tables sized by the region. */
typedef struct side_stats {
    int64_t asked, eligible, matched, utility_total;
    group tier[3];
    group *school;        /* n_schools */
    group *gender_sector; /* N_GENDERS x (n_sectors + 1); last: no sector */
    int64_t rank[5];
    int64_t outcompeted, no_eligible;
    int64_t by_rule[N_RULES];
    int64_t by_rule_unknown;
} side_stats;

static int gender_index(char g)
{
    switch (g) {
    case 'F': return 0;
    case 'M': return 1;
    case 'X': return 2;
    default: return 3;
    }
}

static void group_add(group *g, const fm_match *m)
{
    g->asked++;
    if (m->n_eligible > 0)
        g->eligible++;
    if (m->target >= 0)
        g->placed++;
}

static void stats_free(side_stats *st)
{
    free(st->school);
    free(st->gender_sector);
}

/* Counts one side.  For by_gender_sector a student is counted under one
 * sector: the sector of what they got when matched (the placement's sector;
 * for a mentor, the student's sector that gave the pair its rank, since a
 * mentor has several), else the student's first-ranked sector; a student
 * with no sector at all counts under "none". */
static int stats_count(side_stats *st, const fm_region *r,
                       const fm_side_result *sr, int placements,
                       fm_error *err)
{
    size_t n_targets = placements ? r->n_placements : r->n_mentors;
    size_t n_sec = r->n_sectors + 1;

    memset(st, 0, sizeof *st);
    st->school = calloc(r->n_schools ? r->n_schools : 1, sizeof *st->school);
    st->gender_sector = calloc(N_GENDERS * n_sec, sizeof *st->gender_sector);
    if (!st->school || !st->gender_sector)
        return fm_error_set(err, FM_ENOMEM, "out of memory counting results");

    for (size_t i = 0; sr->match && i < r->n_students; i++) {
        const fm_student *s = &r->students[i];
        const fm_match *m = &sr->match[i];
        size_t sector = r->n_sectors; /* "none" */
        int tier = fm_student_tier(s);

        if (!m->asked)
            continue;
        st->asked++;
        if (m->n_eligible > 0)
            st->eligible++;
        if (m->target >= 0) {
            if ((size_t)m->target >= n_targets)
                return fm_error_set(err, FM_EINTERNAL,
                                    "student %s: target %ld out of range",
                                    s->ref, (long)m->target);
            st->matched++;
            st->utility_total += m->utility;
            if (m->rank >= 1 && m->rank <= 5)
                st->rank[m->rank - 1]++;
            if (placements)
                sector = (size_t)r->placements[m->target].sector;
            else if (m->rank >= 1 && m->rank <= s->n_sectors)
                sector = (size_t)s->sectors[m->rank - 1];
        } else {
            if (m->reason == FM_REASON_OUTCOMPETED) {
                st->outcompeted++;
            } else if (m->reason == FM_REASON_NO_ELIGIBLE) {
                st->no_eligible++;
                if (m->rule < N_RULES && m->rule != FM_RULE_NONE)
                    st->by_rule[m->rule]++;
                else
                    st->by_rule_unknown++;
            } else {
                return fm_error_set(err, FM_EINTERNAL,
                                    "student %s asked, got nothing and has "
                                    "no reason", s->ref);
            }
            if (s->n_sectors > 0)
                sector = (size_t)s->sectors[0];
        }
        if (sector > r->n_sectors)
            sector = r->n_sectors;
        if (tier >= 1 && tier <= 3)
            group_add(&st->tier[tier - 1], m);
        if (s->school >= 0 && (size_t)s->school < r->n_schools)
            group_add(&st->school[s->school], m);
        group_add(&st->gender_sector[(size_t)gender_index(s->gender) * n_sec
                                     + sector], m);
    }
    return 0;
}

/* JSON building: every setter returns nonzero on failure (jansson frees a
 * value it could not insert, and rejects NULL values), so the builders OR
 * the results together and report FM_ENOMEM once. */
static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) != 0;
}

static int set_int(json_t *o, const char *key, int64_t v)
{
    return set(o, key, json_integer((json_int_t)v));
}

static double ratio(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : 0.0;
}

static json_t *group_json(const group *g, const char *name)
{
    json_t *o = json_object();
    int bad = o == NULL;
    if (name)
        bad |= set(o, "name", json_string(name));
    bad |= set_int(o, "asked", g->asked);
    bad |= set_int(o, "eligible", g->eligible);
    bad |= set_int(o, "placed", g->placed);
    bad |= set(o, "rate", json_real(ratio(g->placed, g->asked)));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A name and its index, to sort tables by name without global state
 * (the daemon builds summaries on several threads). */
typedef struct keyed {
    const char *key;
    size_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *ka = a, *kb = b;
    int c = strcmp(ka->key, kb->key);
    return c ? c : (ka->idx > kb->idx) - (ka->idx < kb->idx);
}

/* Indices 0..n-1 sorted by names[i] (or schools[i].ref); NULL on ENOMEM. */
static size_t *sorted_indices(char *const *names, const fm_school *schools,
                              size_t n)
{
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!k || !idx) {
        free(k);
        free(idx);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        k[i].key = names ? names[i] : schools[i].ref;
        k[i].idx = i;
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < n; i++)
        idx[i] = k[i].idx;
    free(k);
    return idx;
}

static json_t *by_school_json(const fm_region *r, const side_stats *st,
                              const size_t *school_order)
{
    json_t *o = json_object();
    int bad = o == NULL;
    for (size_t k = 0; !bad && k < r->n_schools; k++) {
        size_t i = school_order[k];
        const fm_school *sc = &r->schools[i];
        if (st->school[i].asked == 0)
            continue;
        bad |= set(o, sc->ref,
                   group_json(&st->school[i], sc->listed ? sc->name : NULL));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *by_gender_sector_json(const fm_region *r, const side_stats *st,
                                     const size_t *sector_order)
{
    size_t n_sec = r->n_sectors + 1;
    json_t *o = json_object();
    int bad = o == NULL;
    for (size_t g = 0; !bad && g < N_GENDERS; g++) {
        const group *row = &st->gender_sector[g * n_sec];
        json_t *go = NULL;
        for (size_t k = 0; !bad && k < n_sec; k++) {
            /* sectors by name, then "none" */
            size_t sec = k < r->n_sectors ? sector_order[k] : r->n_sectors;
            if (row[sec].asked == 0)
                continue;
            if (!go) {
                go = json_object();
                bad |= set(o, gender_names[g], go);
                if (bad)
                    break;
            }
            bad |= set(go, sec < r->n_sectors ? r->sectors[sec] : "none",
                       group_json(&row[sec], NULL));
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *proof_json(const fm_side_result *sr)
{
    static const char *const level_names[4] = {
        "tier-1 placed", "tiers 1-2 placed", "tiers 1-3 placed", "utility"};
    json_t *o = json_object();
    json_t *levels = json_array();
    int bad = o == NULL || levels == NULL;
    int optimal = 1;

    bad |= set(o, "method", json_string(sr->constrained
                                        ? "constrained: see constrained.levels"
                                        : "min-cut per count level, LP duals for utility"));
    for (int i = 0; i < 4; i++) {
        json_t *l = json_object();
        bad |= l == NULL;
        bad |= set_int(l, "level", i + 1);
        bad |= set(l, "name", json_string(level_names[i]));
        bad |= set_int(l, "value", sr->proof[i].value);
        bad |= set_int(l, "bound", sr->proof[i].bound);
        bad |= json_array_append_new(levels, l) != 0;
        if (sr->proof[i].value != sr->proof[i].bound)
            optimal = 0;
    }
    bad |= set(o, "levels", levels);
    bad |= set(o, "optimal", json_boolean(optimal));
    bad |= set(o, "certificate_checked",
               json_boolean(sr->certificate_checked != 0));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Counts of explanations.csv's rows by kind and cause (null when the
 * round kept no nearest misses, e.g. a stored round). */
static json_t *explanations_json(const fm_region *r, const fm_side_result *sr)
{
    int64_t full = 0, reserved = 0, ne_miss = 0, ne_none = 0;
    if (!sr->miss || !sr->match)
        return json_null();
    for (size_t s = 0; s < r->n_students; s++) {
        const fm_match *m = &sr->match[s];
        if (!m->asked || m->target >= 0)
            continue;
        if (m->reason == FM_REASON_OUTCOMPETED)
            sr->miss[s].reserved_open ? reserved++ : full++;
        else
            sr->miss[s].target >= 0 ? ne_miss++ : ne_none++;
    }
    json_t *o = json_object();
    int bad = o == NULL;
    bad |= set_int(o, "outcompeted_full", full);
    bad |= set_int(o, "outcompeted_reserved", reserved);
    bad |= set_int(o, "no_eligible_with_nearest_miss", ne_miss);
    bad |= set_int(o, "no_eligible_without_candidate", ne_none);
    bad |= set(o, "seconds", json_real(sr->seconds_explain));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The justified-envy audit (fm_envy_audit, solver.h; audit.h). */
static json_t *envy_json(const fm_region *r, const fm_side_result *sr, int placements)
{
    const fm_envy_audit *e = &sr->envy;
    json_t *o = json_object(), *ex = json_array(), *by = json_object();
    int bad = !o || !ex || !by;
    bad |= set(o, "definition", json_string(
        "pairs (pupil s, target t): s is eligible for t, prefers t (higher utility "
        "than what s got, or s unmatched), and t holds a pupil of a lower priority "
        "tier than s; seats are not distinguished, so a lower-tier pupil in a "
        "general seat of a placement with a reserve counts too"));
    bad |= set_int(o, "pairs", e->pairs);
    bad |= set_int(by, "1", e->pairs_by_tier[0]);
    bad |= set_int(by, "2", e->pairs_by_tier[1]);
    bad |= set(o, "pairs_by_tier", by);
    bad |= set_int(o, "pairs_unmatched", e->pairs_unmatched);
    bad |= set_int(o, "pairs_at_reserved_placements", e->pairs_reserve);
    bad |= set_int(o, "students", e->students);
    for (int32_t k = 0; k < e->n_examples && !bad; k++) {
        const fm_envy_example *x = &e->examples[k];
        json_t *j = json_object();
        bad |= j == NULL;
        bad |= set(j, "student_ref", json_string(r->students[x->student].ref));
        bad |= set(j, "target_ref", json_string(placements ? r->placements[x->target].ref
                                                          : r->mentors[x->target].ref));
        bad |= set(j, "holder_ref", json_string(r->students[x->holder].ref));
        bad |= set_int(j, "student_tier", fm_student_tier(&r->students[x->student]));
        bad |= set_int(j, "holder_tier", fm_student_tier(&r->students[x->holder]));
        bad |= set_int(j, "utility_wanted", x->utility_wanted);
        bad |= set_int(j, "utility_got", x->utility_got);
        bad |= json_array_append_new(ex, j) != 0;
    }
    bad |= set(o, "examples", ex);
    bad |= set(o, "seconds", json_real(e->seconds));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *side_json(const fm_region *r, const fm_side_result *sr,
                         const side_stats *st, int placements,
                         const size_t *school_order,
                         const size_t *sector_order)
{
    static const char *const digit[] = {"1", "2", "3", "4", "5"};
    json_t *o = json_object();
    json_t *obj = json_object(), *tiers = json_object(), *util = json_object();
    json_t *hist = json_object(), *reasons = json_object();
    json_t *by_rule = json_object(), *solver = json_object();
    int bad = !o || !obj || !tiers || !util || !hist || !reasons || !by_rule
              || !solver;

    bad |= set_int(obj, "n1", sr->vector.n1);
    bad |= set_int(obj, "n2", sr->vector.n2);
    bad |= set_int(obj, "n3", sr->vector.n3);
    bad |= set_int(obj, "utility", sr->vector.utility);
    bad |= set(o, "objective", obj);
    bad |= set_int(o, "asked", st->asked);
    bad |= set_int(o, "eligible", st->eligible);
    bad |= set_int(o, "matched", st->matched);
    bad |= set_int(o, "candidates", sr->n_candidates);

    for (int t = 0; t < 3; t++)
        bad |= set(tiers, digit[t], group_json(&st->tier[t], NULL));
    bad |= set(o, "by_tier", tiers);
    bad |= set(o, "by_school", by_school_json(r, st, school_order));
    bad |= set(o, "by_gender_sector", by_gender_sector_json(r, st,
                                                            sector_order));

    bad |= set_int(util, "total", st->utility_total);
    bad |= set(util, "mean", json_real(ratio(st->utility_total, st->matched)));
    bad |= set(o, "utility", util);

    for (int k = 0; k < 5; k++)
        bad |= set_int(hist, digit[k], st->rank[k]);
    bad |= set(o, "rank_histogram", hist);

    /* Every rule that can rule out a pair on this side, in policy order,
     * even at 0, so the shape is fixed; any other rule only if it occurs. */
    bad |= set_int(reasons, "outcompeted", st->outcompeted);
    bad |= set_int(reasons, "no_eligible", st->no_eligible);
    for (int rule = FM_RULE_NONE + 1; rule < N_RULES; rule++) {
        int usual = rule == FM_RULE_SECTOR || rule == FM_RULE_DISTANCE
                    || (placements ? (rule == FM_RULE_AGE
                                      || rule == FM_RULE_WEEK
                                      || rule == FM_RULE_ACCESS)
                                   : rule == FM_RULE_SAFEGUARDING);
        const char *name = fm_rule_name((fm_rule)rule);
        char fallback[16];
        if (!usual && st->by_rule[rule] == 0)
            continue;
        if (!name || !name[0]) {
            snprintf(fallback, sizeof fallback, "rule%d", rule);
            name = fallback;
        }
        bad |= set_int(by_rule, name, st->by_rule[rule]);
    }
    if (st->by_rule_unknown > 0)
        bad |= set_int(by_rule, "unknown", st->by_rule_unknown);
    bad |= set(reasons, "no_eligible_by_rule", by_rule);
    bad |= set(o, "reasons", reasons);

    bad |= set(o, "proof", proof_json(sr));
    if (sr->constrained)
        bad |= set(o, "constrained", fm_summary_constrained_json(sr));
    bad |= set(o, "explanations", explanations_json(r, sr));
    bad |= set(o, "envy", envy_json(r, sr, placements));

    bad |= set_int(solver, "pricing_rounds", sr->pricing_rounds);
    bad |= set_int(solver, "arcs_priced", sr->n_arcs_priced);
    bad |= set_int(solver, "pivots", sr->pivots);
    bad |= set_int(solver, "auction_bids", sr->auction_bids);
    bad |= set(o, "solver", solver);

    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *date_json(const fm_round_params *params)
{
    char buf[16];
    int32_t d;
    if (!params || params->date <= 0)
        return json_null();
    d = params->date;
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", (int)(d / 10000),
             (int)(d / 100 % 100), (int)(d % 100));
    return json_string(buf);
}

/* The options the round was run with (policy_file.h), for the report. */
json_t *fm_summary_options_json(const fm_round_params *params)
{
    json_t *o = json_object();
    json_t *c = params ? fm_policy_constraints_json(&params->constraints) : json_object();
    int bad = !o || !c;
    bad |= set(o, "time_limit_seconds", json_real(params ? params->time_limit_seconds : 0.0));
    /* the extra constraints that are on, as the policy file names them */
    bad |= !bad && json_object_update(o, c) != 0;
    json_decref(c);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Seconds per solver phase of one side. */
static json_t *phase_json(const fm_side_result *sr)
{
    json_t *o = json_object();
    int bad = o == NULL;
    bad |= set(o, "candidates_s", json_real(sr->seconds_candidates));
    bad |= set(o, "counts_s", json_real(sr->seconds_counts));
    bad |= set(o, "utility_s", json_real(sr->seconds_utility));
    bad |= set(o, "check_s", json_real(sr->seconds_check));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *timings_json(const fm_round_timing *t, const fm_result *res)
{
    json_t *o;
    int bad;
    if (!t)
        return json_null();
    o = json_object();
    bad = o == NULL;
    bad |= set(o, "read_s", json_real(t->read_s));
    bad |= set(o, "candidates_s", json_real(t->candidates_s));
    bad |= set(o, "solve_s", json_real(t->solve_s));
    bad |= set(o, "check_s", json_real(t->check_s));
    bad |= set(o, "write_s", json_real(t->write_s));
    bad |= set(o, "total_s", json_real(t->total_s));
    bad |= set(o, "placements", phase_json(&res->placements));
    bad |= set(o, "mentors", phase_json(&res->mentors));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* certificate.csv's text, carried inside the summary so that a stored
 * round (fairmatchd keeps the summary) exports it too; the writers take it
 * out into OUT/certificate.csv (round_files.c).  null when no side kept
 * its certificate. */
static json_t *certificate_text(const fm_region *r, const fm_result *res)
{
    char *text = NULL;
    size_t len = 0;
    if (!res->placements.certificate.cut && !res->mentors.certificate.cut)
        return json_null();
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fm_error e;
    fm_error_clear(&e);
    int rc = fm_certificate_csv_write(f, r, res, &e);
    if (fclose(f) != 0 || rc != 0) {
        free(text);
        return NULL;
    }
    json_t *j = json_stringn(text, len);
    free(text);
    return j;
}

int fm_summary_json_new(const fm_region *r, const fm_round_params *params,
                        const fm_result *res, const fm_round_timing *timing,
                        json_t **out, fm_error *err)
{
    side_stats sp = {0}, sm = {0};
    size_t *school_order = NULL, *sector_order = NULL;
    json_t *o = NULL, *counts = NULL;
    int64_t seats = 0, reserved = 0, with_reserve = 0;
    int rc, bad;

    assert(r && res && out);
    *out = NULL;
    rc = stats_count(&sp, r, &res->placements, 1, err);
    if (rc == 0)
        rc = stats_count(&sm, r, &res->mentors, 0, err);
    if (rc != 0)
        goto done;
    school_order = sorted_indices(NULL, r->schools, r->n_schools);
    sector_order = sorted_indices(r->sectors, NULL, r->n_sectors);
    if (!school_order || !sector_order) {
        rc = fm_error_set(err, FM_ENOMEM, "out of memory building summary");
        goto done;
    }

    for (size_t i = 0; i < r->n_placements; i++) {
        const fm_placement *p = &r->placements[i];
        int64_t held = (int64_t)p->capacity * p->reserve_pct / 100; /* policy.md's R */
        seats += p->capacity;
        reserved += held;
        with_reserve += held > 0;
    }

    o = json_object();
    counts = json_object();
    bad = o == NULL || counts == NULL;
    bad |= set(o, "policy", json_string("fair-access v1"));
    bad |= set(o, "date", date_json(params));
    bad |= set_int(counts, "students", (int64_t)r->n_students);
    bad |= set_int(counts, "placements", (int64_t)r->n_placements);
    bad |= set_int(counts, "seats", seats);
    bad |= set_int(counts, "mentors", (int64_t)r->n_mentors);
    bad |= set_int(counts, "schools", (int64_t)r->n_schools);
    bad |= set_int(counts, "placements_with_reserve", with_reserve);
    bad |= set_int(counts, "reserved_seats", reserved);
    bad |= set(o, "counts", counts);
    bad |= set(o, "options", fm_summary_options_json(params));
    bad |= set(o, "placements", side_json(r, &res->placements, &sp, 1,
                                          school_order, sector_order));
    bad |= set(o, "mentors", side_json(r, &res->mentors, &sm, 0,
                                       school_order, sector_order));
    bad |= set(o, "timings", timings_json(timing, res));
    bad |= set(o, FM_SUMMARY_CERTIFICATE_KEY, certificate_text(r, res));
    bad |= set(o, "peak_rss_mb",
               timing ? json_real(timing->peak_rss_mb) : json_null());
    if (bad) {
        json_decref(o);
        o = NULL;
        rc = fm_error_set(err, FM_ENOMEM, "out of memory building summary");
        goto done;
    }
    *out = o;

done:
    free(school_order);
    free(sector_order);
    stats_free(&sp);
    stats_free(&sm);
    return rc;
}

int fm_summary_json_write(FILE *f, const json_t *summary, fm_error *err)
{
    assert(f && summary);
    errno = 0;
    if (json_dumpf(summary, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER
                                   | JSON_REAL_PRECISION(10)) != 0
        || fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f))
        return fm_error_set(err, FM_EIO, "cannot write: %s",
                            strerror(errno ? errno : EIO));
    return 0;
}
