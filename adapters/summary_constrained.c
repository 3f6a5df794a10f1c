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
 * (a level the time limit kept the search from).  An infeasible round's
 * summary.json is summary_infeasible.c's.
 * Failure: NULL (out of memory).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

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
