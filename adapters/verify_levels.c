/*
 * verify_levels.c - the levels, bounds and gaps that summary.json reports
 * for a side solved under extra constraints, against the rows
 * (verify_checks.h).
 *
 * A bound proven by branch and bound (or an LP) cannot be re-derived
 * without solving again, and verify never solves.  What it checks is that
 * the claims are consistent with each other and with the files:
 *   - the side has a "constrained" report exactly when the policy puts
 *     constraints on it;
 *   - each level's incumbent ("value") is the component of the vector the
 *     rows give (n1, n2, n3, utility);
 *   - a settled level (method network, LP or MIP) has a bound >= its
 *     incumbent (every level is maximised) and gap = (bound - incumbent) /
 *     max(1, |bound|) (constraints.h), so gap 0 means bound = incumbent
 *     ("proven");
 *   - a level left with a gap, or not optimised (method "none", no bound,
 *     no gap), needs stopped_by_time_limit, and every later level is then
 *     "none" (the levels are optimised in order);
 *   - "network" (the plain optimum met every constraint) holds for all
 *     four levels or none, with bound = incumbent, plain_vector = the rows'
 *     vector, and certificate.csv rows for the side (which verify_round.c
 *     checks as for a plain side);
 *   - cost_vs_plain = plain_vector - the rows' vector, and the rows' vector
 *     is not lexicographically above plain_vector (constraints only cost);
 *   - envy_pairs_plain is a whole number >= 0 and, when the side is
 *     "network" (the rows are the plain optimum), the rows' justified-envy
 *     count; otherwise the plain optimum is not in the files and the figure
 *     cannot be recounted without solving;
 *   - without a certificate, proof.levels (cumulative counts, as for plain
 *     sides) and proof.optimal agree with the levels.
 * Every disagreement is a failure of summary.json naming the key.  The
 * figures (methods, bounds, gaps) go into rep->cons for the report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "verify_checks.h"

static const char *const names[4] = { "n1", "n2", "n3", "utility" };

static int get_int(json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return -1;
    *out = json_integer_value(v);
    return 0;
}

/* plain_vector and cost_vs_plain. */
static void check_plain(json_t *con, const char *key, const int64_t rows[4], int network,
                        fm_verify_report *rep)
{
    json_t *plain = json_object_get(con, "plain_vector"), *cost = json_object_get(con,
                                                                                 "cost_vs_plain");
    int64_t p[4], c[4];
    for (int k = 0; k < 4; k++)
        if (get_int(plain, names[k], &p[k]) || get_int(cost, names[k], &c[k])) {
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained: plain_vector and "
                           "cost_vs_plain need whole n1, n2, n3 and utility", key);
            return;
        }
    for (int k = 0; k < 4; k++)
        if (c[k] != p[k] - rows[k])
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.cost_vs_plain.%s is "
                           "%lld; plain_vector minus the rows' vector is %lld", key, names[k],
                           (long long)c[k], (long long)(p[k] - rows[k]));
    int k = 0;
    while (k < 4 && rows[k] == p[k])
        k++;
    if (k < 4 && rows[k] > p[k])
        fm_verify_fail(rep, "summary.json", 0, "", "%s: the rows' %s (%lld) is above the plain "
                       "optimum's (%lld, plain_vector) with the levels before it equal: extra "
                       "constraints can only cost", key, names[k], (long long)rows[k],
                       (long long)p[k]);
    if (network && k < 4)
        fm_verify_fail(rep, "summary.json", 0, "", "%s: every level says method network (the "
                       "plain optimum met the constraints) but plain_vector.%s is %lld and the "
                       "rows give %lld", key, names[k], (long long)p[k], (long long)rows[k]);
}

/* proof.levels (cumulative for levels 1-3) and proof.optimal from the levels. */
static void check_proof(json_t *side, const char *key, const int64_t rows[4],
                        const fm_verify_constrained *vc, fm_verify_report *rep)
{
    json_t *proof = json_object_get(side, "proof");
    json_t *levels = json_object_get(proof, "levels");
    int64_t held = 0;
    int optimal = 1;
    for (int k = 0; k < 4; k++) {
        int64_t base = k < 3 ? held : 0;
        int64_t value = base + rows[k], bound = vc->bound[k] < 0 ? -1 : base + vc->bound[k];
        int64_t wv = 0, wb = 0;
        json_t *l = json_array_get(levels, (size_t)k);
        if (get_int(l, "value", &wv) || get_int(l, "bound", &wb) || wv != value || wb != bound)
            fm_verify_fail(rep, "summary.json", 0, "", "%s.proof.levels[%d] says value %lld, "
                           "bound %lld; the rows and constrained.levels give %lld and %lld", key,
                           k, (long long)wv, (long long)wb, (long long)value, (long long)bound);
        optimal &= value == bound;
        if (k < 3)
            held += rows[k];
    }
    json_t *opt = json_object_get(proof, "optimal");
    if (!json_is_boolean(opt) || json_is_true(opt) != optimal)
        fm_verify_fail(rep, "summary.json", 0, "", "%s.proof.optimal should be %s: %s", key,
                       optimal ? "true" : "false", optimal ? "every level's bound equals its "
                       "incumbent" : "a level has a gap or was not optimised");
}

/* envy_pairs_plain: a count, and the rows' own when they are the plain optimum. */
static void check_plain_envy(json_t *con, const char *key, int network, int64_t envy_rows,
                             fm_verify_report *rep)
{
    json_t *je = json_object_get(con, "envy_pairs_plain");
    if (!json_is_integer(je) || json_integer_value(je) < 0) {
        fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.envy_pairs_plain must be "
                       "the plain optimum's number of justified-envy pairs (a whole number "
                       ">= 0)", key);
        return;
    }
    if (network && json_integer_value(je) != envy_rows)
        fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.envy_pairs_plain is %lld; "
                       "every level says method network, so the rows are the plain optimum, "
                       "and they have %lld justified-envy pairs", key,
                       (long long)json_integer_value(je), (long long)envy_rows);
}

void fm_verify_levels(json_t *side, int mentors, int on, const fm_vector *v, int64_t envy_rows,
                      int has_cert, fm_verify_report *rep)
{
    const char *key = fm_verify_side_keys[mentors];
    fm_verify_constrained *vc = &rep->cons[mentors];
    json_t *con = json_object_get(side, "constrained");
    const int64_t rows[4] = { v->n1, v->n2, v->n3, v->utility };
    if (!json_is_object(con)) {
        if (on)
            fm_verify_fail(rep, "summary.json", 0, "", "%s: the policy puts extra constraints "
                           "on this side but summary.json has no %s.constrained report "
                           "(levels, bounds, gaps)", key, key);
        return;
    }
    if (!on)
        fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained: a report of extra "
                       "constraints, but the policy (%s) has none for this side", key,
                       rep->policy_source);
    json_t *levels = json_object_get(con, "levels");
    if (!json_is_array(levels) || json_array_size(levels) != 4) {
        fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels must list the four "
                       "levels n1, n2, n3, utility", key);
        return;
    }
    vc->has_levels = 1;
    vc->stopped = json_is_true(json_object_get(con, "stopped_by_time_limit"));
    int n_network = 0, open_at = -1; /* the first level not proven */
    for (int k = 0; k < 4; k++) {
        json_t *L = json_array_get(levels, (size_t)k);
        const char *method = json_string_value(json_object_get(L, "method"));
        json_t *jb = json_object_get(L, "bound"), *jg = json_object_get(L, "gap");
        int64_t value = 0, bound = -1;
        double gap = json_is_number(jg) ? json_number_value(jg) : NAN;
        snprintf(vc->method[k], sizeof vc->method[k], "%s", method ? method : "?");
        vc->gap[k] = gap;
        vc->bound[k] = -1;
        if (get_int(L, "value", &value) || value != rows[k])
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s): the "
                           "incumbent is %lld; the rows of %s give %lld", key, k, names[k],
                           (long long)value, fm_verify_side_files[mentors], (long long)rows[k]);
        if (open_at >= 0 && (!method || strcmp(method, "none") != 0))
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) says "
                           "method %s after level %s was left open: the levels are optimised in "
                           "order, so once a time limit stops one the rest are \"none\"", key, k,
                           names[k], method ? method : "(none given)", names[open_at]);
        if (method && strcmp(method, "none") == 0) {
            if (!json_is_null(jb) || !json_is_null(jg))
                fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) "
                               "was not optimised (method none) yet has a bound or a gap", key,
                               k, names[k]);
            if (!vc->stopped)
                fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) "
                               "was not optimised (method none) but stopped_by_time_limit is "
                               "false", key, k, names[k]);
            if (open_at < 0)
                open_at = k;
            continue;
        }
        if (!method || (strcmp(method, "network") && strcmp(method, "LP") &&
                        strcmp(method, "MIP"))) {
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s): method "
                           "\"%s\" is not network, LP, MIP or none", key, k, names[k],
                           method ? method : "");
            continue;
        }
        if (!json_is_integer(jb)) {
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) is "
                           "settled by %s but has no bound", key, k, names[k], method);
            continue;
        }
        bound = vc->bound[k] = json_integer_value(jb);
        n_network += strcmp(method, "network") == 0;
        if (bound < rows[k])
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s): the "
                           "bound %lld is below the incumbent %lld that the rows give; a "
                           "maximum's upper bound cannot be", key, k, names[k],
                           (long long)bound, (long long)rows[k]);
        double want = (double)(bound - rows[k]) / fmax(1.0, fabs((double)bound));
        if (isnan(gap))
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) has a "
                           "bound but no gap", key, k, names[k]);
        else if (gap == 0 && bound != rows[k])
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) claims "
                           "gap 0 (proven) but its bound %lld is not the incumbent %lld", key,
                           k, names[k], (long long)bound, (long long)rows[k]);
        else if (fabs(gap - want) > 1e-8 * fmax(1.0, fabs(want))) /* 10 digits in the file */
            fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s): gap "
                           "%.10g, but (bound - incumbent) / max(1, |bound|) = (%lld - %lld) / "
                           "%.0f = %.10g", key, k, names[k], gap, (long long)bound,
                           (long long)rows[k], fmax(1.0, fabs((double)bound)), want);
        if (bound != rows[k]) {
            if (strcmp(method, "network") == 0)
                fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s): "
                               "method network (the plain optimum) with a gap", key, k,
                               names[k]);
            if (!vc->stopped)
                fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained.levels[%d] (%s) is "
                               "left with bound %lld above the incumbent %lld, but "
                               "stopped_by_time_limit is false: only a time limit leaves a gap",
                               key, k, names[k], (long long)bound, (long long)rows[k]);
            if (open_at < 0)
                open_at = k;
        }
    }
    if (n_network > 0 && n_network < 4)
        fm_verify_fail(rep, "summary.json", 0, "", "%s.constrained: %d of the 4 levels say "
                       "method network: the plain optimum meets every constraint (all four) or "
                       "it does not (none)", key, n_network);
    vc->network = n_network == 4;
    if (vc->network && !has_cert)
        fm_verify_fail(rep, "summary.json", 0, "", "%s: every level says method network (the "
                       "plain optimum, proven by its certificate) but certificate.csv has no "
                       "rows for this side", key);
    check_plain(con, key, rows, vc->network, rep);
    check_plain_envy(con, key, vc->network, envy_rows, rep);
    if (!has_cert)
        check_proof(side, key, rows, vc, rep);
}
