/*
 * summary_infeasible.c - summary.json of a round whose extra constraints
 * cannot be met (solver.h: FM_EINFEASIBLE), with the solver's evidence so
 * that `fairmatch verify` can re-check it from the inputs.
 *
 * Normal case: fm_summary_infeasible_write() writes
 *   { "policy", "date", "status": "infeasible", "constraint", "who",
 *     "message", "options" (as summary_json.c's: what verify checks against),
 *     "evidence": { "side", "floor_pct", "least_total_shortfall",
 *       "certificates": [ { "schools": [{"school_ref", "weight",
 *                                        "eligible", "need"}],
 *                           "rows": [{"kind": "capacity" | "tier3_limit",
 *                                     "ref", "limit", "y"} |
 *                                    {"kind": "employer_spread", "school_ref",
 *                                     "employer_ref", "limit", "y"}],
 *                           "uncovered", "most", "needed" } ] } }
 * (constraints.h, fm_infeasible_evidence, says what a certificate proves:
 * most < needed).  "evidence" is absent when the solver gave none (an
 * older solver); "certificates" is empty when no LP certificate exists
 * (the floors conflict only through integrality, gender targets or
 * stability; least_total_shortfall is then phase 0's branch-and-bound
 * result alone).  Only refs are written: no pupil appears.
 *
 * Failure: FM_EIO (OUTDIR or the file cannot be written), FM_ENOMEM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "round_output.h"

static int put(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) != 0;
}

static json_t *cert_json(const fm_region *r, int mentors, const fm_floor_cert *fc)
{
    static const char *const kinds[] = { "capacity", "tier3_limit", "employer_spread" };
    json_t *o = json_object(), *schools = json_array(), *rows = json_array();
    int bad = !o || !schools || !rows;
    for (int32_t j = 0; j < fc->n_schools && !bad; j++) {
        json_t *k = json_object();
        bad |= k == NULL;
        bad |= put(k, "school_ref", json_string(r->schools[fc->school[j]].ref));
        bad |= put(k, "weight", json_real(fc->weight[j]));
        bad |= put(k, "eligible", json_integer(fc->eligible[j]));
        bad |= put(k, "need", json_integer(fc->need[j]));
        bad |= json_array_append_new(schools, k) != 0;
    }
    for (int32_t i = 0; i < fc->n_rows && !bad; i++) {
        const fm_cert_row *cr = &fc->rows[i];
        json_t *row = json_object();
        bad |= row == NULL;
        bad |= put(row, "kind", json_string(kinds[cr->kind]));
        if (cr->kind == FM_CERT_SPREAD) {
            bad |= put(row, "school_ref", json_string(r->schools[cr->school].ref));
            bad |= put(row, "employer_ref", json_string(r->employers[cr->employer]));
        } else {
            bad |= put(row, "ref", json_string(mentors ? r->mentors[cr->target].ref
                                                       : r->placements[cr->target].ref));
        }
        bad |= put(row, "limit", json_real(cr->limit));
        bad |= put(row, "y", json_real(cr->y));
        bad |= json_array_append_new(rows, row) != 0;
    }
    bad |= put(o, "schools", schools);
    bad |= put(o, "rows", rows);
    bad |= put(o, "uncovered", json_real(fc->uncovered));
    bad |= put(o, "most", json_real(fc->most));
    bad |= put(o, "needed", json_real(fc->needed));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *evidence_json(const fm_region *r, const fm_infeasible_evidence *ev)
{
    json_t *o = json_object(), *certs = json_array();
    int bad = !o || !certs;
    bad |= put(o, "side", json_string(ev->mentors ? "mentors" : "placements"));
    bad |= put(o, "floor_pct", json_real(ev->floor_pct));
    bad |= put(o, "least_total_shortfall", json_integer(ev->least_shortfall));
    for (int i = 0; i < ev->n_certs && !bad; i++) {
        json_t *c = cert_json(r, ev->mentors, &ev->certs[i]);
        bad |= c == NULL || json_array_append_new(certs, c) != 0;
    }
    bad |= put(o, "certificates", certs);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int fm_summary_infeasible_write(const char *outdir, const fm_round_params *params,
                                const fm_error *why, const fm_region *r,
                                const fm_infeasible_evidence *ev, fm_error *err)
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
    bad |= put(o, "options", fm_summary_options_json(params));
    if (ev && r)
        bad |= put(o, "evidence", evidence_json(r, ev));
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
