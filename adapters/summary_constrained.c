/*
 * summary_constrained.c - the parts of summary.json that only rounds with
 * extra constraints have (solver/constraints.h).
 *
 * Normal case: fm_summary_constrained_json() renders one side's
 * constrained report as
 *   { "levels": [{"level", "name", "value", "bound", "gap", "method",
 *                 "seconds"}],
 *     "stopped_by_time_limit", "plain_vector": {"n1", "n2", "n3", "utility"},
 *     "cost_vs_plain": {"n1", "n2", "n3", "utility"},   (plain - constrained)
 *     "envy_pairs_plain",
 *     "constraints": [{"kind", "who", "value", "limit", "slack", "tight"}],
 *     "model": {"rows", "cols", "nonzeros", "pairs_total", "pairs_in_model",
 *               "pricing_rounds", "mip_solves", "stable_rows"} }
 * envy_pairs_plain: the justified-envy pairs of the plain optimum (audit.h's
 * count), whatever constraints are on.
 * Level values are per tier (n1, n2, n3, U); bound is null when unknown
 * (a level the time limit kept the search from).  fm_summary_infeasible_write()
 * writes the summary.json of a round whose constraints cannot be met:
 *   { "policy", "date", "status": "infeasible", "constraint", "who",
 *     "message" }
 * Failure: NULL (out of memory) / FM_EIO, FM_ENOMEM.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "round_output.h"

static int put(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) != 0;
}

static json_t *vector4(const int64_t v[4])
{
    json_t *o = json_object();
    int bad = o == NULL;
    bad |= put(o, "n1", json_integer(v[0]));
    bad |= put(o, "n2", json_integer(v[1]));
    bad |= put(o, "n3", json_integer(v[2]));
    bad |= put(o, "utility", json_integer(v[3]));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *fm_summary_constrained_json(const fm_side_result *sr)
{
    static const char *const names[4] = {"n1", "n2", "n3", "utility"};
    const fm_constrained_report *rep = sr->constrained;
    json_t *o = json_object(), *levels = json_array(), *rows = json_array(), *model = json_object();
    int bad = !o || !levels || !rows || !model;
    int64_t got[4] = {sr->vector.n1, sr->vector.n2, sr->vector.n3, sr->vector.utility}, cost[4];
    for (int k = 0; k < 4 && !bad; k++) {
        const fm_constrained_level *L = &rep->level[k];
        json_t *l = json_object();
        bad |= l == NULL;
        bad |= put(l, "level", json_integer(k + 1));
        bad |= put(l, "name", json_string(names[k]));
        bad |= put(l, "value", json_integer(L->value));
        bad |= put(l, "bound", L->bound < 0 ? json_null() : json_integer(L->bound));
        bad |= put(l, "gap", isnan(L->gap) ? json_null() : json_real(L->gap));
        bad |= put(l, "method", json_string(fm_level_method_name(L->method)));
        bad |= put(l, "seconds", json_real(L->seconds));
        bad |= json_array_append_new(levels, l) != 0;
        cost[k] = rep->plain[k] - got[k];
    }
    bad |= put(o, "levels", levels);
    bad |= put(o, "stopped_by_time_limit", json_boolean(rep->stopped_by_limit));
    bad |= put(o, "plain_vector", vector4(rep->plain));
    bad |= put(o, "cost_vs_plain", vector4(cost));
    bad |= put(o, "envy_pairs_plain", json_integer(rep->envy_pairs_plain));
    for (int32_t i = 0; i < rep->n_rows && !bad; i++) {
        const fm_constraint_row *r = &rep->rows[i];
        json_t *row = json_object();
        bad |= row == NULL;
        bad |= put(row, "kind", json_string(r->kind));
        bad |= put(row, "who", json_string(r->who));
        bad |= put(row, "value", json_real(r->lhs));
        bad |= put(row, "limit", json_real(r->limit));
        bad |= put(row, "slack", json_real(r->slack));
        bad |= put(row, "tight", json_boolean(fabs(r->slack) < 1e-9));
        bad |= json_array_append_new(rows, row) != 0;
    }
    bad |= put(o, "constraints", rows);
    bad |= put(model, "rows", json_integer(rep->model_rows));
    bad |= put(model, "cols", json_integer(rep->model_cols));
    bad |= put(model, "nonzeros", json_integer(rep->model_nonzeros));
    bad |= put(model, "pairs_total", json_integer(rep->pairs_total));
    bad |= put(model, "pairs_in_model", json_integer(rep->pairs_in_model));
    bad |= put(model, "pricing_rounds", json_integer(rep->pricing_rounds));
    bad |= put(model, "mip_solves", json_integer(rep->mip_solves));
    bad |= put(model, "stable_rows", json_integer(rep->stable_rows));
    bad |= put(o, "model", model);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int fm_summary_infeasible_write(const char *outdir, const fm_round_params *params,
                                const fm_error *why, fm_error *err)
{
    char path[4096], date[16] = "";
    json_t *o = json_object();
    int bad = o == NULL, rc;
    if (params && params->date > 0)
        snprintf(date, sizeof date, "%04d-%02d-%02d", (int)(params->date / 10000),
                 (int)(params->date / 100 % 100), (int)(params->date % 100));
    bad |= put(o, "policy", json_string("fair-access v1"));
    bad |= put(o, "date", date[0] ? json_string(date) : json_null());
    bad |= put(o, "status", json_string("infeasible"));
    bad |= put(o, "constraint", json_string(why->field));
    bad |= put(o, "who", json_string(why->id));
    bad |= put(o, "message", json_string(why->message));
    if (bad) {
        json_decref(o);
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    }
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        json_decref(o);
        return fm_error_set(err, FM_EIO, "cannot create %.300s: %s", outdir, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        json_decref(o);
        return fm_error_set(err, FM_EIO, "cannot write %.300s: %s", path, strerror(errno));
    }
    rc = fm_summary_json_write(f, o, err);
    if (fclose(f) != 0 && rc == 0)
        rc = fm_error_set(err, FM_EIO, "cannot write %.300s", path);
    json_decref(o);
    return rc;
}
